//! OAuth 2 as apps drive it, on every database engine.

use reqwest::StatusCode;
use rookery_testkit::Backend;
use serde_json::{Value, json};

use crate::kit::{TestApp, on_every_backend, spawn_with};

on_every_backend!(
    apps_register_from_forms_and_json,
    password_grant_and_scope_enforcement,
    client_credentials_act_as_the_app,
    refresh_rotates_and_revoke_ends,
    authorization_code_through_the_browser_forms_with_pkce,
    authorization_code_out_of_band,
);

pub(crate) async fn register(app: &TestApp, scopes: &str, redirect: &str) -> (String, String) {
    let r = app
        .client
        .post(app.url("/api/v1/apps"))
        .form(&[
            ("client_name", "Test App"),
            ("redirect_uris", redirect),
            ("scopes", scopes),
            ("website", "https://app.example"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    (
        v["client_id"].as_str().unwrap().to_owned(),
        v["client_secret"].as_str().unwrap().to_owned(),
    )
}

async fn password_token(app: &TestApp, id: &str, secret: &str, scope: &str) -> Value {
    let r = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", id),
            ("client_secret", secret),
            ("username", "alice@example.com"),
            ("password", "a good password"),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

pub(crate) async fn get_with(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value) {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn apps_register_from_forms_and_json(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let r = app
        .client
        .post(app.url("/api/v1/apps"))
        .form(&[
            ("client_name", "Mastodon.py style"),
            ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
            ("scopes", "read write follow push"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert!(v["id"].is_string());
    assert_eq!(v["name"], "Mastodon.py style");
    assert_eq!(v["redirect_uri"], "urn:ietf:wg:oauth:2.0:oob");
    assert_eq!(v["scopes"], json!(["follow", "push", "read", "write"]));
    assert!(v["client_id"].as_str().unwrap().len() >= 32);
    assert!(v["client_secret"].as_str().unwrap().len() >= 32);
    assert!(v["website"].is_null());

    let r = app
        .client
        .post(app.url("/api/v1/apps"))
        .json(&json!({
            "client_name": "masto style",
            "redirect_uris": ["https://a.example/cb", "com.example.app://oauth"],
            "scopes": "read",
            "website": "https://a.example"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v["redirect_uris"],
        json!(["https://a.example/cb", "com.example.app://oauth"])
    );
    assert_eq!(v["website"], "https://a.example");

    // Bad input: 422 with Mastodon's error shape, nothing stored.
    for (body, ct) in [
        (json!({"redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}).to_string(), "application/json"),
        (json!({"client_name": "x"}).to_string(), "application/json"),
        (json!({"client_name": "x", "redirect_uris": "not a uri"}).to_string(), "application/json"),
        (json!({"client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read sudo"}).to_string(), "application/json"),
        (json!({"client_name": "x".repeat(61), "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}).to_string(), "application/json"),
        ("{\"client_name\": ".to_owned(), "application/json"),
        ("[1,2]".to_owned(), "application/json"),
        (json!({"client_name": ["a"], "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}).to_string(), "application/json"),
    ] {
        let r = app
            .client
            .post(app.url("/api/v1/apps"))
            .header("Content-Type", ct)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{body}");
        let v: Value = r.json().await.unwrap();
        assert!(v["error"].is_string(), "{v}");
    }
    // Oversized bodies are refused before they are read whole.
    let huge = format!("client_name={}", "a".repeat(2 * 1024 * 1024));
    crate::kit::assert_refused_as_too_large(
        // A client of its own: the refused connection is closed under it.
        reqwest::Client::new()
            .post(app.url("/api/v1/apps"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(huge),
    )
    .await;
}

async fn password_grant_and_scope_enforcement(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    app.create_account("alice").await;
    let (id, secret) = register(&app, "read write follow", "urn:ietf:wg:oauth:2.0:oob").await;
    let t = password_token(&app, &id, &secret, "read write").await;
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["scope"], "read write");
    assert!(t["created_at"].is_i64());
    let token = t["access_token"].as_str().unwrap();
    let (status, me) = get_with(&app, "/api/v1/accounts/verify_credentials", token).await;
    assert_eq!(status, 200);
    assert_eq!(me["username"], "alice");
    assert_eq!(me["source"]["privacy"], "public");
    assert!(me["role"]["name"].is_string());

    // Narrow token: read:statuses does not cover read:accounts.
    let narrow = password_token(&app, &id, &secret, "read:statuses").await;
    let (status, body) = get_with(
        &app,
        "/api/v1/accounts/verify_credentials",
        narrow["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        body["error"],
        "This action is outside the authorized scopes"
    );

    // No token, a garbage token, a Basic header.
    let r = app.get("/api/v1/accounts/verify_credentials").await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "The access token is invalid"
    );
    let (status, _) = get_with(&app, "/api/v1/accounts/verify_credentials", "garbage").await;
    assert_eq!(status, 401);
    let (status, _) = get_with(
        &app,
        "/api/v1/accounts/verify_credentials",
        &"x".repeat(10_000),
    )
    .await;
    assert_eq!(status, 401);
    // A public endpoint with an invalid token still answers, as in Mastodon.
    let (status, _) = get_with(&app, "/api/v1/instance", "garbage").await;
    assert_eq!(status, 200);

    // Grant errors.
    let post = |fields: Vec<(&'static str, String)>| {
        let client = app.client.clone();
        let url = app.url("/oauth/token");
        async move { client.post(url).form(&fields).send().await.unwrap() }
    };
    let r = post(vec![
        ("grant_type", "password".into()),
        ("client_id", id.clone()),
        ("client_secret", secret.clone()),
        ("username", "alice@example.com".into()),
        ("password", "wrong password".into()),
    ])
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let r = post(vec![
        ("grant_type", "password".into()),
        ("client_id", id.clone()),
        ("client_secret", "nope".into()),
        ("username", "alice@example.com".into()),
        ("password", "a good password".into()),
    ])
    .await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
    let r = post(vec![
        ("grant_type", "password".into()),
        ("client_id", id.clone()),
        ("client_secret", secret.clone()),
        ("username", "alice@example.com".into()),
        ("password", "a good password".into()),
        ("scope", "admin:write".into()),
    ])
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_scope");
    let r = post(vec![("grant_type", "implicit".into())]).await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );
    let r = post(vec![]).await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
    // A suspended user cannot get a token, and their existing tokens stop working.
    app.services.set_suspended("alice", true).await.unwrap();
    let (status, _) = get_with(&app, "/api/v1/accounts/verify_credentials", token).await;
    assert_eq!(status, 401);
}

async fn client_credentials_act_as_the_app(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let (id, secret) = register(&app, "read write", "urn:ietf:wg:oauth:2.0:oob").await;
    // Credentials in HTTP Basic, as some libraries send them.
    let r = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "read")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    assert!(t.get("refresh_token").is_none());
    let token = t["access_token"].as_str().unwrap();
    let (status, v) = get_with(&app, "/api/v1/apps/verify_credentials", token).await;
    assert_eq!(status, 200);
    assert_eq!(v["name"], "Test App");
    assert!(v.get("client_secret").is_none());
    let (status, v) = get_with(&app, "/api/v1/accounts/verify_credentials", token).await;
    assert_eq!(status, 422);
    assert_eq!(v["error"], "This method requires an authenticated user");
}

async fn refresh_rotates_and_revoke_ends(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    app.create_account("alice").await;
    let (id, secret) = register(&app, "read write", "urn:ietf:wg:oauth:2.0:oob").await;
    let first = password_token(&app, &id, &secret, "read").await;
    let refresh = first["refresh_token"].as_str().unwrap();
    let r = app
        .client
        .post(app.url("/oauth/token"))
        .json(&json!({"grant_type": "refresh_token", "client_id": id, "client_secret": secret, "refresh_token": refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let second: Value = r.json().await.unwrap();
    assert_eq!(second["scope"], "read");
    let old = first["access_token"].as_str().unwrap();
    let new = second["access_token"].as_str().unwrap();
    assert_eq!(
        get_with(&app, "/api/v1/accounts/verify_credentials", old)
            .await
            .0,
        401
    );
    assert_eq!(
        get_with(&app, "/api/v1/accounts/verify_credentials", new)
            .await
            .0,
        200
    );
    // A used refresh token is refused.
    let r = app
        .client
        .post(app.url("/oauth/token"))
        .json(&json!({"grant_type": "refresh_token", "client_id": id, "client_secret": secret, "refresh_token": refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Revocation.
    let r = app
        .client
        .post(app.url("/oauth/revoke"))
        .form(&[
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
            ("token", new),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        get_with(&app, "/api/v1/accounts/verify_credentials", new)
            .await
            .0,
        401
    );
    // Unknown tokens revoke "successfully" (RFC 7009); a wrong client does not.
    let r = app
        .client
        .post(app.url("/oauth/revoke"))
        .form(&[
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
            ("token", "unknown"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .client
        .post(app.url("/oauth/revoke"))
        .form(&[
            ("client_id", id.as_str()),
            ("client_secret", "wrong"),
            ("token", "unknown"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// The value of a hidden input in a page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].replace("&amp;", "&")
}

fn cookie(r: &reqwest::Response) -> String {
    r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

async fn authorization_code_through_the_browser_forms_with_pkce(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    app.create_account("alice").await;
    let redirect = "https://client.example/callback";
    let (id, secret) = register(&app, "read write", redirect).await;
    // RFC 7636 appendix B pair.
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let query = [
        ("response_type", "code"),
        ("client_id", id.as_str()),
        ("redirect_uri", redirect),
        ("scope", "read"),
        ("state", "xyz&<>"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ];
    let r = app
        .client
        .get(app.url("/oauth/authorize"))
        .query(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The sign-in page cannot be framed (clickjacking) and runs no scripts.
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    let jar = cookie(&r);
    let html = r.text().await.unwrap();
    assert!(html.contains("<form method=\"post\" action=\"/oauth/authorize\">"));
    assert!(html.contains("Test App"));
    assert!(!html.contains("<script"));
    let csrf = hidden(&html, "csrf");
    let mut fields: Vec<(&str, String)> =
        query.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    fields.push(("csrf", csrf.clone()));
    fields.push(("login", "alice".into()));

    // Wrong password: the form again, with an error.
    let mut wrong = fields.clone();
    wrong.push(("password", "nope nope".into()));
    let r = app
        .client
        .post(app.url("/oauth/authorize"))
        .header("Cookie", &jar)
        .form(&wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Invalid e-mail address or password.")
    );
    // No cookie: CSRF refused.
    let mut right = fields.clone();
    right.push(("password", "a good password".into()));
    let r = app
        .client
        .post(app.url("/oauth/authorize"))
        .form(&right)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Right password: the consent page.
    let r = app
        .client
        .post(app.url("/oauth/authorize"))
        .header("Cookie", &jar)
        .form(&right)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let consent = r.text().await.unwrap();
    assert!(consent.contains("@alice"));
    let ticket = hidden(&consent, "ticket");
    let csrf2 = hidden(&consent, "csrf");
    // A tampered ticket is refused.
    let r = app
        .client
        .post(app.url("/oauth/authorize/decision"))
        .header("Cookie", &jar)
        .form(&[
            ("ticket", format!("x{ticket}")),
            ("csrf", csrf2.clone()),
            ("decision", "approve".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = app
        .client
        .post(app.url("/oauth/authorize/decision"))
        .header("Cookie", &jar)
        .form(&[
            ("ticket", ticket.clone()),
            ("csrf", csrf2.clone()),
            ("decision", "approve".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{redirect}?code=")),
        "{location}"
    );
    let url = reqwest::Url::parse(&location).unwrap();
    let params: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(params["state"], "xyz&<>");
    let code = params["code"].clone();

    let exchange = |verifier: &str| {
        let form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("client_id", id.clone()),
            ("client_secret", secret.clone()),
            ("redirect_uri", redirect.to_owned()),
            ("code", code.clone()),
            ("code_verifier", verifier.to_owned()),
        ];
        let client = app.client.clone();
        let url = app.url("/oauth/token");
        async move { client.post(url).form(&form).send().await.unwrap() }
    };
    // A wrong verifier burns nothing useful: the code is single-use either way.
    let r = exchange("wrong-verifier-wrong-verifier-wrong-verifier-x").await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");

    // Start again and exchange properly.
    let r = app
        .client
        .post(app.url("/oauth/authorize/decision"))
        .header("Cookie", &jar)
        .form(&[
            ("ticket", ticket.clone()),
            ("csrf", csrf2.clone()),
            ("decision", "approve".into()),
        ])
        .send()
        .await
        .unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let url = reqwest::Url::parse(&location).unwrap();
    let code2 = url
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
        ("redirect_uri", redirect),
        ("code", code2.as_str()),
        ("code_verifier", verifier),
    ];
    let r = app
        .client
        .post(app.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["scope"], "read");
    let token = t["access_token"].as_str().unwrap();
    let (status, me) = get_with(&app, "/api/v1/accounts/verify_credentials", token).await;
    assert_eq!(status, 200);
    assert_eq!(me["username"], "alice");
    // The code works once.
    let r = app
        .client
        .post(app.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // Denying redirects with access_denied.
    let r = app
        .client
        .post(app.url("/oauth/authorize/decision"))
        .header("Cookie", &jar)
        .form(&[
            ("ticket", ticket),
            ("csrf", csrf2),
            ("decision", "deny".into()),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .contains("error=access_denied")
    );

    // Bad authorization requests get an error page, not a redirect to an unregistered URI.
    for q in [
        vec![
            ("response_type", "code"),
            ("client_id", "unknown"),
            ("redirect_uri", redirect),
        ],
        vec![
            ("response_type", "code"),
            ("client_id", id.as_str()),
            ("redirect_uri", "https://evil.example/"),
        ],
        vec![
            ("response_type", "token"),
            ("client_id", id.as_str()),
            ("redirect_uri", redirect),
        ],
        vec![
            ("response_type", "code"),
            ("client_id", id.as_str()),
            ("redirect_uri", redirect),
            ("scope", "admin:write"),
        ],
        vec![
            ("response_type", "code"),
            ("client_id", id.as_str()),
            ("redirect_uri", redirect),
            ("code_challenge", challenge),
            ("code_challenge_method", "plain"),
        ],
    ] {
        let r = app
            .client
            .get(app.url("/oauth/authorize"))
            .query(&q)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{q:?}");
    }
}

async fn authorization_code_out_of_band(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    app.create_account("alice").await;
    let oob = "urn:ietf:wg:oauth:2.0:oob";
    let (id, secret) = register(&app, "read", oob).await;
    let query = [
        ("response_type", "code"),
        ("client_id", id.as_str()),
        ("redirect_uri", oob),
        ("scope", "read"),
    ];
    let r = app
        .client
        .get(app.url("/oauth/authorize"))
        .query(&query)
        .send()
        .await
        .unwrap();
    let jar = cookie(&r);
    let html = r.text().await.unwrap();
    let mut fields: Vec<(&str, String)> =
        query.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    fields.push(("csrf", hidden(&html, "csrf")));
    fields.push(("login", "alice@example.com".into()));
    fields.push(("password", "a good password".into()));
    let consent = app
        .client
        .post(app.url("/oauth/authorize"))
        .header("Cookie", &jar)
        .form(&fields)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = app
        .client
        .post(app.url("/oauth/authorize/decision"))
        .header("Cookie", &jar)
        .form(&[
            ("ticket", hidden(&consent, "ticket")),
            ("csrf", hidden(&consent, "csrf")),
            ("decision", "approve".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    let marker = "id=\"code\" value=\"";
    let start = page.find(marker).unwrap() + marker.len();
    let code = &page[start..start + page[start..].find('"').unwrap()];
    let r = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("redirect_uri", oob),
            ("code", code),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, meta) = (
        0,
        app.get("/.well-known/oauth-authorization-server")
            .await
            .json::<Value>()
            .await
            .unwrap(),
    );
    assert_eq!(meta["token_endpoint"], "https://rookery.test/oauth/token");
    assert!(
        meta["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("password"))
    );
    assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
}
