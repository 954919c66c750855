//! The account settings pages behind a web session: the profile (with its images), the
//! posting preferences, the authorized apps, follow requests, blocks and mutes. Each change
//! made through a page is checked through the client API; forms without their CSRF token
//! are refused with 403 and change nothing; without a session every page sends the browser
//! to sign in.

use rookery_testkit::Backend;
use serde_json::Value;

use crate::browser::{Browser, Page};
use crate::kit::{TestApp, on_every_backend, spawn_with};
use crate::media::{file_part, make_png};

on_every_backend!(
    profile_page_edits_the_profile,
    preferences_round_trip,
    authorized_apps_are_listed_and_revoked,
    follow_requests_blocks_and_mutes,
    pages_need_a_session
);

async fn me(app: &TestApp, token: &str) -> Value {
    let (s, body, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(token))
        .await;
    assert_eq!(s, 200, "{body}");
    body
}

/// The profile form as a browser sends it: every text field, the ticked boxes, and files.
fn profile_form(
    token: &str,
    display_name: &str,
    note: &str,
    fields: &[(&str, &str)],
    ticked: &[&str],
) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new()
        .text("authenticity_token", token.to_owned())
        .text("display_name", display_name.to_owned())
        .text("note", note.to_owned());
    for i in 0..4 {
        let (name, value) = fields.get(i).copied().unwrap_or(("", ""));
        form = form
            .text(format!("fields_attributes[{i}][name]"), name.to_owned())
            .text(format!("fields_attributes[{i}][value]"), value.to_owned());
    }
    for t in ticked {
        form = form.text((*t).to_owned(), "1");
    }
    // A file field left empty, as browsers send it.
    form.part(
        "header",
        reqwest::multipart::Part::bytes(Vec::new())
            .file_name("")
            .mime_str("application/octet-stream")
            .unwrap(),
    )
}

async fn profile_token(browser: &mut Browser<'_>) -> String {
    let page = browser.get("/settings/profile").await;
    assert_eq!(page.status, 200, "{}", page.html);
    page.field("authenticity_token")
}

async fn profile_page_edits_the_profile(backend: Backend) {
    let app = spawn_with(
        backend,
        &[
            ("ROOKERY_RATE_LIMITS__ENABLED", "false"),
            ("ROOKERY_MEDIA__UPLOAD_WAIT_MS", "30000"),
        ],
    )
    .await;
    let token = app.token("alice").await;
    let before = me(&app, &token).await;
    let default_avatar = before["avatar"].as_str().unwrap().to_owned();
    let mut browser = Browser::signed_in(&app, "alice").await;
    let page = browser.get("/settings/profile").await;
    assert!(page.html.contains(&default_avatar), "{}", page.html);

    // Everything at once, with a new avatar.
    let csrf = profile_token(&mut browser).await;
    let form = profile_form(
        &csrf,
        "Alice A.",
        "Hello\r\nthere",
        &[("Site", "alice.example"), ("Pronouns", "she/her")],
        &["locked", "bot", "hide_collections"],
    )
    .part("avatar", file_part("me.png", make_png(600, 600), None));
    let page = browser.post_multipart("/settings/profile", form).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.html.contains("Your profile is saved."),
        "{}",
        page.html
    );
    let after = me(&app, &token).await;
    assert_eq!(after["display_name"], "Alice A.");
    assert_eq!(after["source"]["note"], "Hello\nthere");
    assert_eq!(after["locked"], true);
    assert_eq!(after["bot"], true);
    assert_eq!(after["discoverable"], false);
    assert_eq!(after["source"]["hide_collections"], true);
    assert_eq!(after["source"]["indexable"], false);
    let fields: Vec<(String, String)> = after["source"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_owned(),
                f["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("Site".to_owned(), "alice.example".to_owned()),
            ("Pronouns".to_owned(), "she/her".to_owned())
        ]
    );
    let avatar = after["avatar"].as_str().unwrap().to_owned();
    assert_ne!(avatar, default_avatar);
    assert!(
        avatar.contains("/system/media/") && avatar.ends_with(".png"),
        "{avatar}"
    );
    // The empty header field changed nothing.
    assert_eq!(after["header"], before["header"]);
    let page = browser.get("/settings/profile").await;
    assert!(page.html.contains(&avatar), "{}", page.html);
    assert!(page.html.contains("value=\"she/her\""), "{}", page.html);

    // Unticked boxes turn the flags off again; emptied fields go.
    let csrf = profile_token(&mut browser).await;
    let form = profile_form(&csrf, "Alice A.", "", &[], &["discoverable", "indexable"]);
    let page = browser.post_multipart("/settings/profile", form).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let after = me(&app, &token).await;
    assert_eq!(after["locked"], false);
    assert_eq!(after["bot"], false);
    assert_eq!(after["discoverable"], true);
    assert_eq!(after["source"]["indexable"], true);
    assert_eq!(after["source"]["hide_collections"], false);
    assert_eq!(after["source"]["fields"], serde_json::json!([]));
    assert_eq!(after["avatar"], avatar.as_str());

    // What update_credentials refuses, the page refuses: shown with 422, nothing changed.
    let long = "x".repeat(31);
    let csrf = profile_token(&mut browser).await;
    let form = profile_form(&csrf, &long, "changed", &[], &["locked"]);
    let page = browser.post_multipart("/settings/profile", form).await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert!(
        page.html
            .contains("The display name is too long (maximum is 30 characters)."),
        "{}",
        page.html
    );
    // The refused values stay in the form to be corrected.
    assert!(
        page.html.contains(&format!("value=\"{long}\"")),
        "{}",
        page.html
    );
    let unchanged = me(&app, &token).await;
    assert_eq!(unchanged["display_name"], "Alice A.");
    assert_eq!(unchanged["source"]["note"], "");
    assert_eq!(unchanged["locked"], false);
    let csrf = profile_token(&mut browser).await;
    let too_long_field = "v".repeat(256);
    let form = profile_form(&csrf, "Alice", "", &[("Site", &too_long_field)], &[]);
    let page = browser.post_multipart("/settings/profile", form).await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert_eq!(me(&app, &token).await["display_name"], "Alice A.");

    // A file that is no image refuses the whole form, as update_credentials does.
    let csrf = profile_token(&mut browser).await;
    let form = profile_form(&csrf, "Alice B.", "", &[], &[]).part(
        "avatar",
        file_part("me.png", b"not an image at all".to_vec(), Some("image/png")),
    );
    let page = browser.post_multipart("/settings/profile", form).await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert!(page.html.contains("The avatar "), "{}", page.html);
    let unchanged = me(&app, &token).await;
    assert_eq!(unchanged["display_name"], "Alice A.");
    assert_eq!(unchanged["avatar"], avatar.as_str());

    // Hostile text is stored as written and escaped on the page.
    let hostile = "<script>alert(1)</script>";
    let note = "</textarea><img src=x onerror=alert(2)>";
    let csrf = profile_token(&mut browser).await;
    let form = profile_form(&csrf, hostile, note, &[("\"><b>x", "ok")], &[]);
    let page = browser.post_multipart("/settings/profile", form).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_eq!(me(&app, &token).await["display_name"], hostile);
    let page = browser.get("/settings/profile").await;
    for raw in [hostile, note, "\"><b>x"] {
        assert!(!page.html.contains(raw), "{raw} unescaped: {}", page.html);
    }
    assert!(
        page.html
            .contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{}",
        page.html
    );

    // Without the form's token: 403 and nothing changed.
    let form = profile_form("", "Forged", "", &[], &["locked"]);
    let page = browser.post_multipart("/settings/profile", form).await;
    assert_eq!(page.status, 403, "{}", page.html);
    let form = profile_form("not-a-token", "Forged", "", &[], &["locked"]);
    let page = browser.post_multipart("/settings/profile", form).await;
    assert_eq!(page.status, 403, "{}", page.html);
    let unchanged = me(&app, &token).await;
    assert_eq!(unchanged["display_name"], hostile);
    assert_eq!(unchanged["locked"], false);
}

async fn preferences(app: &TestApp, token: &str) -> Value {
    let (s, body, _) = app.get_auth("/api/v1/preferences", Some(token)).await;
    assert_eq!(s, 200, "{body}");
    body
}

async fn preferences_round_trip(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_RATE_LIMITS__ENABLED", "false")]).await;
    let token = app.token("alice").await;
    let mut browser = Browser::signed_in(&app, "alice").await;
    let page = browser
        .submit(
            "/settings/preferences",
            "/settings/preferences",
            &[
                ("privacy", "private"),
                ("language", "de"),
                ("quote_policy", "followers"),
                ("sensitive", "1"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.html
            .contains("<option value=\"followers\" selected>Followers only</option>"),
        "{}",
        page.html
    );
    assert!(
        page.html.contains("Your preferences are saved."),
        "{}",
        page.html
    );
    assert!(
        page.html.contains("<option value=\"private\" selected>"),
        "{}",
        page.html
    );
    assert!(
        page.html.contains("<option value=\"de\" selected>"),
        "{}",
        page.html
    );
    let p = preferences(&app, &token).await;
    assert_eq!(p["posting:default:visibility"], "private");
    assert_eq!(p["posting:default:language"], "de");
    assert_eq!(p["posting:default:sensitive"], true);
    assert_eq!(p["posting:default:quote_policy"], "followers");
    assert_eq!(me(&app, &token).await["source"]["privacy"], "private");

    // Refused as update_credentials refuses it: 422, nothing changed.
    for (privacy, language) in [("direct", "fr"), ("unlisted", "<b>")] {
        let page = browser
            .submit(
                "/settings/preferences",
                "/settings/preferences",
                &[("privacy", privacy), ("language", language)],
            )
            .await;
        assert_eq!(page.status, 422, "{}", page.html);
        assert!(page.html.contains("role=\"alert\""), "{}", page.html);
        assert!(!page.html.contains("<b>\""), "{}", page.html);
    }
    let p = preferences(&app, &token).await;
    assert_eq!(p["posting:default:visibility"], "private");
    assert_eq!(p["posting:default:language"], "de");
    assert_eq!(p["posting:default:sensitive"], true);

    // An unticked box and no language clear them.
    let page = browser
        .submit(
            "/settings/preferences",
            "/settings/preferences",
            &[("privacy", "unlisted"), ("language", "")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    let p = preferences(&app, &token).await;
    assert_eq!(p["posting:default:visibility"], "unlisted");
    assert_eq!(p["posting:default:language"], Value::Null);
    assert_eq!(p["posting:default:sensitive"], false);
    // A form without the quote choice leaves it; an unknown one is refused.
    assert_eq!(p["posting:default:quote_policy"], "followers");
    let page = browser
        .submit(
            "/settings/preferences",
            "/settings/preferences",
            &[
                ("privacy", "unlisted"),
                ("language", ""),
                ("quote_policy", "friends"),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert_eq!(
        preferences(&app, &token).await["posting:default:quote_policy"],
        "followers"
    );

    // Without the token: 403, nothing changed.
    let page = browser
        .post(
            "/settings/preferences",
            &[
                ("privacy", "public"),
                ("language", "en"),
                ("sensitive", "1"),
            ],
        )
        .await;
    assert_eq!(page.status, 403, "{}", page.html);
    let p = preferences(&app, &token).await;
    assert_eq!(p["posting:default:visibility"], "unlisted");
    assert_eq!(p["posting:default:language"], Value::Null);
    assert_eq!(p["posting:default:sensitive"], false);
}

/// Registers an app; its (id, client_id, client_secret).
async fn register(app: &TestApp, name: &str, website: &str) -> (String, String, String) {
    let r = app
        .client
        .post(app.url("/api/v1/apps"))
        .form(&[
            ("client_name", name),
            ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
            ("scopes", "read write follow"),
            ("website", website),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let text = |k: &str| v[k].as_str().unwrap().to_owned();
    (text("id"), text("client_id"), text("client_secret"))
}

/// A password-grant token of alice's for the app.
async fn password_token(app: &TestApp, client_id: &str, secret: &str, scope: &str) -> String {
    let r = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", client_id),
            ("client_secret", secret),
            ("username", "alice@example.com"),
            ("password", "a good password"),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["access_token"].as_str().unwrap().to_owned()
}

async fn status_with(app: &TestApp, token: &str) -> u16 {
    app.get_auth("/api/v1/accounts/verify_credentials", Some(token))
        .await
        .0
}

async fn authorized_apps_are_listed_and_revoked(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_RATE_LIMITS__ENABLED", "false")]).await;
    let other = app.token("alice").await; // the "it" app
    let (id, client_id, secret) = register(&app, "Test <App>", "https://app.example").await;
    let first = password_token(&app, &client_id, &secret, "read").await;
    let second = password_token(&app, &client_id, &secret, "read write").await;
    let (_, unused_id, _) = register(&app, "Never used", "https://unused.example").await;
    // Someone else's token for the same app is not alice's to revoke.
    app.token("bob").await;
    let bob_app = register(&app, "Bob's app", "https://bob.example").await;
    let bob_token = {
        let r = app
            .client
            .post(app.url("/oauth/token"))
            .form(&[
                ("grant_type", "password"),
                ("client_id", bob_app.1.as_str()),
                ("client_secret", bob_app.2.as_str()),
                ("username", "bob@example.com"),
                ("password", "a good password"),
                ("scope", "read"),
            ])
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        v["access_token"].as_str().unwrap().to_owned()
    };

    let mut browser = Browser::signed_in(&app, "alice").await;
    let page = browser.get("/settings/applications").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("Test &#60;App&#62;"), "{}", page.html);
    assert!(!page.html.contains("Test <App>"), "{}", page.html);
    assert!(
        page.html.contains("href=\"https://app.example\""),
        "{}",
        page.html
    );
    // The scopes of both tokens, together.
    assert!(
        page.html.contains("<code>read write</code>"),
        "{}",
        page.html
    );
    assert!(page.html.contains(">it<"), "{}", page.html);
    assert!(!page.html.contains("Never used"), "{}", page.html);
    assert!(!page.html.contains("Bob"), "{}", page.html);
    let action = format!("/settings/applications/{id}/revoke");
    assert!(page.html.contains(&action), "{}", page.html);
    assert!(
        !page
            .html
            .contains(&format!("/settings/applications/{unused_id}/"))
    );

    // Without the token: 403, the tokens still work.
    let page = browser.post(&action, &[]).await;
    assert_eq!(page.status, 403, "{}", page.html);
    assert_eq!(status_with(&app, &first).await, 200);
    assert_eq!(status_with(&app, &second).await, 200);

    // Revoked: every token of that app for alice stops working, no other.
    let page = browser.submit("/settings/applications", &action, &[]).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.html.contains("The app&#39;s access is revoked."),
        "{}",
        page.html
    );
    assert!(!page.html.contains("Test &#60;App&#62;"), "{}", page.html);
    assert_eq!(status_with(&app, &first).await, 401);
    assert_eq!(status_with(&app, &second).await, 401);
    assert_eq!(status_with(&app, &other).await, 200);
    assert_eq!(status_with(&app, &bob_token).await, 200);
    // Alice cannot revoke bob's app for bob.
    let bob_action = format!("/settings/applications/{}/revoke", bob_app.0);
    let page = browser
        .submit("/settings/applications", &bob_action, &[])
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_eq!(status_with(&app, &bob_token).await, 200);
}

async fn relationship(app: &TestApp, token: &str, id: &str) -> Value {
    let (s, body, _) = app
        .get_auth(
            &format!("/api/v1/accounts/relationships?id[]={id}"),
            Some(token),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    body[0].clone()
}

async fn follow_requests_blocks_and_mutes(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_RATE_LIMITS__ENABLED", "false")]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let carol = app.token("carol").await;
    let alice_id = app.account_id("alice").await;
    let (bob_id, carol_id) = (app.account_id("bob").await, app.account_id("carol").await);
    let (s, _) = app
        .patch_auth(
            "/api/v1/accounts/update_credentials",
            &alice,
            &[("locked", "true")],
        )
        .await;
    assert_eq!(s, 200);
    for t in [&bob, &carol] {
        let (s, r) = app
            .post_auth(&format!("/api/v1/accounts/{alice_id}/follow"), t, &[])
            .await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["requested"], true);
    }

    let mut browser = Browser::signed_in(&app, "alice").await;
    let page = browser.get("/settings/follow_requests").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("@bob"), "{}", page.html);
    assert!(page.html.contains("@carol"), "{}", page.html);
    let accept = format!("/settings/follow_requests/{bob_id}/authorize");
    let reject = format!("/settings/follow_requests/{carol_id}/reject");
    assert!(page.html.contains(&accept), "{}", page.html);
    assert!(page.html.contains(&reject), "{}", page.html);

    // Without the token: 403, still pending.
    for action in [&accept, &reject] {
        let page = browser.post(action, &[]).await;
        assert_eq!(page.status, 403, "{}", page.html);
    }
    assert_eq!(relationship(&app, &bob, &alice_id).await["requested"], true);
    assert_eq!(
        relationship(&app, &carol, &alice_id).await["requested"],
        true
    );

    let page = browser
        .submit("/settings/follow_requests", &accept, &[])
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("Accepted."), "{}", page.html);
    let r = relationship(&app, &bob, &alice_id).await;
    assert_eq!(r["following"], true, "{r}");
    assert_eq!(r["requested"], false, "{r}");
    let page = browser
        .submit("/settings/follow_requests", &reject, &[])
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("Rejected."), "{}", page.html);
    assert!(page.html.contains("No one is waiting"), "{}", page.html);
    let r = relationship(&app, &carol, &alice_id).await;
    assert_eq!(r["following"], false, "{r}");
    assert_eq!(r["requested"], false, "{r}");
    let (_, followers, _) = app
        .get_auth(
            &format!("/api/v1/accounts/{alice_id}/followers"),
            Some(&alice),
        )
        .await;
    let followers: Vec<&str> = followers
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(followers, [bob_id.as_str()]);
    // Answering again: the request is gone.
    let page = browser
        .submit("/settings/follow_requests", &reject, &[])
        .await;
    assert_eq!(page.status, 404, "{}", page.html);

    // Blocks and mutes, listed and ended.
    let (s, _) = app
        .post_auth(&format!("/api/v1/accounts/{carol_id}/block"), &alice, &[])
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .post_auth(&format!("/api/v1/accounts/{bob_id}/mute"), &alice, &[])
        .await;
    assert_eq!(s, 200);
    let blocks = browser.get("/settings/blocks").await;
    assert_eq!(blocks.status, 200, "{}", blocks.html);
    assert!(blocks.html.contains("@carol"), "{}", blocks.html);
    assert!(!blocks.html.contains("@bob"), "{}", blocks.html);
    let mutes = browser.get("/settings/mutes").await;
    assert!(mutes.html.contains("@bob"), "{}", mutes.html);
    assert!(!mutes.html.contains("@carol"), "{}", mutes.html);
    let unblock = format!("/settings/blocks/{carol_id}/unblock");
    let unmute = format!("/settings/mutes/{bob_id}/unmute");
    for action in [&unblock, &unmute] {
        let page = browser.post(action, &[]).await;
        assert_eq!(page.status, 403, "{}", page.html);
    }
    let r = relationship(&app, &alice, &carol_id).await;
    assert_eq!(r["blocking"], true, "{r}");
    assert_eq!(relationship(&app, &alice, &bob_id).await["muting"], true);
    let page = browser.submit("/settings/blocks", &unblock, &[]).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.html.contains("You have not blocked anyone."),
        "{}",
        page.html
    );
    assert_eq!(
        relationship(&app, &alice, &carol_id).await["blocking"],
        false
    );
    let page = browser.submit("/settings/mutes", &unmute, &[]).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.html.contains("You have not muted anyone."),
        "{}",
        page.html
    );
    let r = relationship(&app, &alice, &bob_id).await;
    assert_eq!(r["muting"], false, "{r}");
    assert_eq!(r["followed_by"], true, "{r}");

    // Long lists are paged at 40, newest first, with a link to the older ones.
    let local = app.services.local_account("alice").await.unwrap();
    let mut names = Vec::new();
    for i in 0..41 {
        let name = format!("muted{i:02}");
        let created = app
            .services
            .create_local_account(rookery_service::NewLocalAccount {
                username: name.clone(),
                email: format!("{name}@example.com"),
                password: None,
                role: rookery_model::Role::User,
                confirmed: true,
                approved: true,
                send_confirmation: false,
            })
            .await
            .unwrap();
        app.services
            .mute(&local, created.local.account.id, None, None)
            .await
            .unwrap();
        names.push(name);
    }
    let first: Page = browser.get("/settings/mutes").await;
    assert_eq!(first.status, 200, "{}", first.html);
    let listed = |page: &Page| {
        names
            .iter()
            .filter(|n| page.html.contains(&format!("@{n}<")))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(listed(&first), names[1..]);
    let marker = "href=\"/settings/mutes?max_id=";
    let start = first.html.find(marker).expect("an older link") + "href=\"".len();
    let older = first.html[start..].split('"').next().unwrap().to_owned();
    let second = browser.get(&older).await;
    assert_eq!(second.status, 200, "{}", second.html);
    assert_eq!(listed(&second), names[..1]);
    assert!(!second.html.contains(marker), "{}", second.html);
}

async fn pages_need_a_session(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_RATE_LIMITS__ENABLED", "false")]).await;
    let token = app.token("alice").await;
    app.create_account("bob").await;
    let bob_id = app.account_id("bob").await;
    let mut browser = Browser::new(&app);
    for path in [
        "/settings/profile",
        "/settings/preferences",
        "/settings/applications",
        "/settings/follow_requests",
        "/settings/blocks",
        "/settings/mutes",
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, 303, "{path}: {}", page.html);
        assert_eq!(page.location.as_deref(), Some("/auth/sign_in"), "{path}");
    }
    for path in [
        "/settings/preferences".to_owned(),
        "/settings/applications/1/revoke".to_owned(),
        format!("/settings/follow_requests/{bob_id}/authorize"),
        format!("/settings/blocks/{bob_id}/unblock"),
        format!("/settings/mutes/{bob_id}/unmute"),
    ] {
        let page = browser.post(&path, &[("privacy", "private")]).await;
        assert_eq!(page.status, 303, "{path}: {}", page.html);
        assert_eq!(page.location.as_deref(), Some("/auth/sign_in"), "{path}");
    }
    let form = profile_form("", "Signed out", "", &[], &["locked"]);
    let page = browser.post_multipart("/settings/profile", form).await;
    assert_eq!(page.status, 303, "{}", page.html);
    assert_eq!(page.location.as_deref(), Some("/auth/sign_in"));
    let after = me(&app, &token).await;
    assert_eq!(after["display_name"], "");
    assert_eq!(after["locked"], false);
    assert_eq!(after["source"]["privacy"], "public");
}
