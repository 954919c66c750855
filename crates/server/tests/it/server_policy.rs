//! Server-wide moderation policy through the admin API: domain blocks, allowed domains,
//! e-mail domain and canonical e-mail blocks, IP blocks (and their effect on sign-up and
//! access), the dashboard's figures, and the audit log each change writes.

use rookery_model::{BlockSeverity, Role};
use rookery_service::moderation::Moderator;
use rookery_store::Page;
use rookery_testkit::Backend;
use serde_json::{Value, json};

use crate::kit::{TestApp, on_every_backend, spawn_with};
use crate::oauth::register;

on_every_backend!(
    domain_blocks_as_mastodon_py_uses_them,
    email_blocks_refuse_sign_ups,
    ip_blocks_refuse_sign_ups_and_access,
    dashboard_figures_from_real_data,
    allow_list_mode_suspends_every_other_domain,
);

const ADMIN_SCOPES: &str = "read write admin:read admin:write";

/// A token with the admin scopes for a new user with `role`.
pub(crate) async fn staff_token(app: &TestApp, name: &str, role: Role) -> String {
    app.services
        .create_local_account(rookery_service::NewLocalAccount {
            username: name.into(),
            email: format!("{name}@example.com"),
            password: Some("a good password".into()),
            role,
            confirmed: true,
            approved: true,
            send_confirmation: false,
        })
        .await
        .unwrap();
    app.token_with_scopes(name, ADMIN_SCOPES).await
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    send(app, reqwest::Method::GET, path, token, None).await
}

pub(crate) async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    send(app, reqwest::Method::POST, path, token, Some(body)).await
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    send(app, reqwest::Method::PUT, path, token, Some(body)).await
}

async fn delete(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    send(app, reqwest::Method::DELETE, path, token, None).await
}

/// The audit log's entries as `action target_type target_name`, oldest first.
async fn audit(app: &TestApp) -> Vec<String> {
    let mut rows: Vec<String> = app
        .services
        .audit_log()
        .list(
            Moderator::CLI,
            Page {
                max_id: None,
                limit: 200,
            },
            None,
            None,
        )
        .await
        .unwrap()
        .into_iter()
        .map(|l| format!("{} {} {}", l.action, l.target_type, l.target_name))
        .collect();
    rows.reverse();
    rows
}

pub(crate) async fn app_token(app: &TestApp) -> String {
    let (id, secret) = register(app, "read write follow", "urn:ietf:wg:oauth:2.0:oob").await;
    let r = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "read write"),
        ])
        .send()
        .await
        .unwrap();
    r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `POST /api/v1/accounts` as an app; (status, body).
pub(crate) async fn sign_up(app: &TestApp, token: &str, name: &str, email: &str) -> (u16, Value) {
    let r = app
        .client
        .post(app.url("/api/v1/accounts"))
        .bearer_auth(token)
        .form(&[
            ("username", name),
            ("email", email),
            ("password", "a good password"),
            ("agreement", "1"),
        ])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn domain_blocks_as_mastodon_py_uses_them(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_INSTANCE__SHOW_DOMAIN_BLOCKS", "all")]).await;
    let admin = staff_token(&app, "boss", Role::Admin).await;
    let path = "/api/v1/admin/domain_blocks";

    // Mastodon.py's test_admin_domain_blocks, as form fields.
    let r = app
        .client
        .post(app.url(path))
        .bearer_auth(&admin)
        .form(&[
            ("domain", "chitter.xyz"),
            ("public_comment", "sicko behaviour"),
            ("severity", "suspend"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let block: Value = r.json().await.unwrap();
    assert_eq!(block["severity"], "suspend");
    assert_eq!(block["public_comment"], "sicko behaviour");
    assert_eq!(block["domain"], "chitter.xyz");
    assert_eq!(block["obfuscate"], false);
    assert_eq!(
        block["digest"],
        rookery_service::crypto::sha256_hex("chitter.xyz")
    );
    let id = block["id"].as_str().unwrap().to_owned();
    let (status, list) = get(&app, path, &admin).await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, one) = get(&app, &format!("{path}/{id}"), &admin).await;
    assert_eq!((status, &one["severity"]), (200, &json!("suspend")));
    let (status, changed) = put(
        &app,
        &format!("{path}/{id}"),
        &admin,
        json!({"severity": "silence", "private_comment": "jk ilu <3", "obfuscate": true}),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["severity"], "silence");
    assert_eq!(changed["public_comment"], "sicko behaviour");
    assert_eq!(changed["private_comment"], "jk ilu <3");
    // Federation sees the change at once.
    let seen = app
        .services
        .domain_block_for("a.chitter.xyz")
        .await
        .unwrap();
    assert_eq!(seen.map(|b| b.severity), Some(BlockSeverity::Silence));
    assert!(
        app.services
            .domain_silenced(Some("a.chitter.xyz"))
            .await
            .unwrap()
    );
    assert!(
        !app.services
            .domain_silenced(Some("chitter.xyz.example"))
            .await
            .unwrap()
    );
    assert!(!app.services.domain_silenced(None).await.unwrap());
    assert_eq!(
        app.services.silenced_domains().await.unwrap(),
        ["chitter.xyz"]
    );
    // The public list stars the domain out, with the real domain's digest.
    let (status, public) = app.get_json("/api/v1/instance/domain_blocks").await;
    assert_eq!(status, 200);
    assert_eq!(public[0]["domain"], "chi****.*yz");
    assert_eq!(
        public[0]["digest"],
        rookery_service::crypto::sha256_hex("chitter.xyz")
    );

    // A subdomain may only be limited further than its parent.
    let (status, body) = post(
        &app,
        path,
        &admin,
        json!({"domain": "sub.chitter.xyz", "severity": "noop"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("chitter.xyz"),
        "{body}"
    );
    let (status, body) = post(&app, path, &admin, json!({"domain": "chitter.xyz"})).await;
    assert_eq!(status, 422, "{body}");
    let (status, sub) = post(
        &app,
        path,
        &admin,
        json!({"domain": "sub.chitter.xyz", "severity": "suspend"}),
    )
    .await;
    assert_eq!(status, 200, "{sub}");

    // Malformed domains and severities: 422, nothing stored.
    let long = format!("{}.example", "a".repeat(260));
    for (domain, severity) in [
        ("https://chitter.xyz", "silence"),
        ("*.example.com", "silence"),
        ("bad domain.example", "silence"),
        ("", "silence"),
        (long.as_str(), "silence"),
        ("rookery.test", "suspend"),
        ("fine.example", "obliterate"),
    ] {
        let (status, body) = post(
            &app,
            path,
            &admin,
            json!({"domain": domain, "severity": severity}),
        )
        .await;
        assert_eq!(status, 422, "{domain} {severity}: {body}");
        assert!(body["error"].is_string(), "{body}");
    }
    let (status, body) = put(
        &app,
        &format!("{path}/{id}"),
        &admin,
        json!({"severity": "SUSPEND"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");

    // Neither a user nor a moderator (who may not manage federation) changes anything.
    let user = app.token_with_scopes("someone", ADMIN_SCOPES).await;
    let moderator = staff_token(&app, "mod_erator", Role::Moderator).await;
    for token in [&user, &moderator] {
        assert_eq!(get(&app, path, token).await.0, 403);
        let (status, _) = post(&app, path, token, json!({"domain": "x.example"})).await;
        assert_eq!(status, 403);
        assert_eq!(delete(&app, &format!("{path}/{id}"), token).await.0, 403);
        let (status, _) = put(
            &app,
            &format!("{path}/{id}"),
            token,
            json!({"severity": "noop"}),
        )
        .await;
        assert_eq!(status, 403);
    }
    // A token without the admin scopes is refused too.
    let plain = app.token("boss").await;
    assert_eq!(get(&app, path, &plain).await.0, 403);
    assert_eq!(get(&app, path, &admin).await.1.as_array().unwrap().len(), 2);

    // Deleted: gone from the list; an unknown id is 404.
    let (status, _) = delete(&app, &format!("{path}/{id}"), &admin).await;
    assert_eq!(status, 200);
    let (_, list) = get(&app, path, &admin).await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|b| b["id"] != id.as_str())
    );
    assert_eq!(get(&app, &format!("{path}/{id}"), &admin).await.0, 404);
    assert_eq!(get(&app, &format!("{path}/nope"), &admin).await.0, 404);

    // The command line goes through the same use case, and is logged too.
    app.services
        .unblock_domain(Moderator::CLI, "sub.chitter.xyz")
        .await
        .unwrap();
    assert_eq!(
        audit(&app).await,
        [
            "create DomainBlock chitter.xyz",
            "update DomainBlock chitter.xyz",
            "create DomainBlock sub.chitter.xyz",
            "destroy DomainBlock chitter.xyz",
            "destroy DomainBlock sub.chitter.xyz",
        ]
    );
}

async fn email_blocks_refuse_sign_ups(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let admin = staff_token(&app, "boss", Role::Admin).await;
    let apptoken = app_token(&app).await;
    let path = "/api/v1/admin/email_domain_blocks";

    // Mastodon.py's test_admin_email_domain_blocks.
    let (status, block) = post(&app, path, &admin, json!({"domain": "blockedexample.com"})).await;
    assert_eq!(status, 200, "{block}");
    assert_eq!(block["domain"], "blockedexample.com");
    assert_eq!(block["history"].as_array().unwrap().len(), 7);
    let id = block["id"].as_str().unwrap().to_owned();
    let (status, one) = get(&app, &format!("{path}/{id}"), &admin).await;
    assert_eq!(
        (status, &one["domain"]),
        (200, &json!("blockedexample.com"))
    );
    let (_, list) = get(&app, path, &admin).await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|b| b["id"] == id.as_str())
    );
    for bad in [
        "",
        "https://x.example",
        "a b.example",
        "@x.example",
        "*.x.example",
    ] {
        let (status, body) = post(&app, path, &admin, json!({"domain": bad})).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
    let (status, _) = post(&app, path, &admin, json!({"domain": "blockedexample.com"})).await;
    assert_eq!(status, 422);

    // Sign-ups with the domain, or a subdomain of it, are refused as Mastodon refuses them.
    for email in ["eve@blockedexample.com", "eve@mail.BlockedExample.com"] {
        let (status, body) = sign_up(&app, &apptoken, "eve", email).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            body["details"]["email"],
            json!([{"error": "ERR_BLOCKED", "description": "uses a disallowed e-mail provider"}])
        );
    }
    assert!(app.services.local_account("eve").await.is_err());

    // Mastodon.py's test_admin_canonical_email_block.
    let cpath = "/api/v1/admin/canonical_email_blocks";
    let (status, c) = post(&app, cpath, &admin, json!({"email": "test@example.com"})).await;
    assert_eq!(status, 200, "{c}");
    let cid = c["id"].as_str().unwrap().to_owned();
    assert_eq!(
        c["canonical_email_hash"],
        rookery_service::crypto::sha256_hex("test@example.com")
    );
    for variation in [
        "test@example.com",
        "Test@example.com",
        "te.st@example.com",
        "test+other@EXAMPLE.com",
    ] {
        let (status, found) = post(
            &app,
            &format!("{cpath}/test"),
            &admin,
            json!({"email": variation}),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(found[0]["id"], cid.as_str(), "{variation}");
    }
    let (_, none) = post(
        &app,
        &format!("{cpath}/test"),
        &admin,
        json!({"email": "other@example.com"}),
    )
    .await;
    assert_eq!(none, json!([]));
    // The dot and plus variants of a blocked address cannot sign up.
    for email in ["te.st+x@example.com", "TEST@example.com"] {
        let (status, body) = sign_up(&app, &apptoken, "tess", email).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["details"]["email"][0]["error"], "ERR_TAKEN");
    }
    // Nor can an existing user change to one.
    let carl = app.create_account("carl").await;
    let change = app
        .services
        .account_links()
        .request_email_change(&carl, "t.e.s.t@example.com", "a good password")
        .await;
    assert!(change.is_err());
    assert_eq!(delete(&app, &format!("{cpath}/{cid}"), &admin).await.0, 200);
    let (_, all) = get(&app, cpath, &admin).await;
    assert_eq!(all, json!([]));
    // By hash.
    let hash = rookery_service::crypto::sha256_hex("test@example.com");
    let (status, c) = post(&app, cpath, &admin, json!({"canonical_email_hash": hash})).await;
    assert_eq!(status, 200);
    let cid = c["id"].as_str().unwrap().to_owned();
    assert_eq!(
        get(&app, &format!("{cpath}/{cid}"), &admin).await.1["id"],
        cid.as_str()
    );
    for bad in [
        json!({}),
        json!({"canonical_email_hash": "abc"}),
        json!({"email": "nope"}),
    ] {
        let (status, body) = post(&app, cpath, &admin, bad.clone()).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
    assert_eq!(
        get(&app, cpath, &admin).await.1.as_array().unwrap().len(),
        1
    );

    // A moderator may not manage blocks.
    let moderator = staff_token(&app, "mod_erator", Role::Moderator).await;
    assert_eq!(get(&app, path, &moderator).await.0, 403);
    assert_eq!(
        post(&app, cpath, &moderator, json!({"email": "a@b.example"}))
            .await
            .0,
        403
    );

    // Lifted: the address signs up.
    assert_eq!(delete(&app, &format!("{path}/{id}"), &admin).await.0, 200);
    let (status, body) = sign_up(&app, &apptoken, "eve", "eve@blockedexample.com").await;
    assert_eq!(status, 200, "{body}");
    let log = audit(&app).await;
    assert_eq!(log[0], "create EmailDomainBlock blockedexample.com");
    assert!(log.contains(&"destroy EmailDomainBlock blockedexample.com".to_owned()));
    assert_eq!(
        log.iter()
            .filter(|l| l.contains("CanonicalEmailBlock"))
            .count(),
        3
    );
}

async fn ip_blocks_refuse_sign_ups_and_access(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let admin = staff_token(&app, "boss", Role::Admin).await;
    let apptoken = app_token(&app).await;
    let path = "/api/v1/admin/ip_blocks";

    // Mastodon.py's test_admin_ip_blocks.
    let (status, b) = post(
        &app,
        path,
        &admin,
        json!({"ip": "8.8.8.0/24", "severity": "no_access", "comment": "Google DNS is ULTRA BANNED"}),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["ip"], "8.8.8.0/24");
    assert_eq!(b["severity"], "no_access");
    assert_eq!(b["expires_at"], Value::Null);
    let id = b["id"].as_str().unwrap().to_owned();
    assert_eq!(
        get(&app, &format!("{path}/{id}"), &admin).await.1["ip"],
        "8.8.8.0/24"
    );
    let (status, u) = put(
        &app,
        &format!("{path}/{id}"),
        &admin,
        json!({"comment": "Updated test block", "expires_in": 3600}),
    )
    .await;
    assert_eq!(status, 200, "{u}");
    assert_eq!(u["comment"], "Updated test block");
    assert!(u["expires_at"].is_string());
    for (ip, severity) in [
        ("8.8.8.0/33", "no_access"),
        ("8.8.8/24", "no_access"),
        ("nope", "no_access"),
        ("", "no_access"),
        ("::/129", "no_access"),
        ("9.9.9.9", "block_everything"),
        ("8.8.8.1/24", "sign_up_block"),
    ] {
        let (status, body) =
            post(&app, path, &admin, json!({"ip": ip, "severity": severity})).await;
        assert_eq!(status, 422, "{ip} {severity}: {body}");
    }
    assert_eq!(get(&app, path, &admin).await.1.as_array().unwrap().len(), 1);
    let moderator = staff_token(&app, "mod_erator", Role::Moderator).await;
    assert_eq!(get(&app, path, &moderator).await.0, 403);
    assert_eq!(
        delete(&app, &format!("{path}/{id}"), &moderator).await.0,
        403
    );
    assert_eq!(delete(&app, &format!("{path}/{id}"), &admin).await.0, 200);
    assert_eq!(get(&app, path, &admin).await.1, json!([]));

    // The list is paged as Mastodon's: newest first, `limit`, `Link` to the rest.
    let mut ids = Vec::new();
    for ip in ["10.0.0.1", "10.0.0.2", "10.0.0.3"] {
        let (_, b) = post(
            &app,
            path,
            &admin,
            json!({"ip": ip, "severity": "sign_up_block"}),
        )
        .await;
        ids.push(b["id"].as_str().unwrap().to_owned());
    }
    let (status, first, link) = app.get_auth(&format!("{path}?limit=2"), Some(&admin)).await;
    assert_eq!(status, 200, "{first}");
    let listed: Vec<&str> = first
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [ids[2].as_str(), ids[1].as_str()]);
    let link = link.unwrap();
    let next = link.split('<').nth(1).unwrap().split('>').next().unwrap();
    assert!(next.contains("limit=2"), "{link}");
    let next = &next[next.find("/api/").unwrap()..];
    let (_, rest, _) = app.get_auth(next, Some(&admin)).await;
    assert_eq!(rest.as_array().unwrap().len(), 1, "{rest}");
    assert_eq!(rest[0]["id"], ids[0].as_str());
    let (_, newer, _) = app
        .get_auth(&format!("{path}?limit=1&min_id={}", ids[0]), Some(&admin))
        .await;
    assert_eq!(newer[0]["id"], ids[1].as_str(), "{newer}");
    for id in &ids {
        assert_eq!(delete(&app, &format!("{path}/{id}"), &admin).await.0, 200);
    }

    // The kit's requests come from 127.0.0.1: sign-ups from there are refused…
    let (_, b) = post(
        &app,
        path,
        &admin,
        json!({"ip": "127.0.0.1", "severity": "sign_up_block"}),
    )
    .await;
    let local = b["id"].as_str().unwrap().to_owned();
    assert_eq!(b["ip"], "127.0.0.1/32");
    let (status, body) = sign_up(&app, &apptoken, "ivan", "ivan@example.com").await;
    assert_eq!(status, 403, "{body}");
    assert!(app.services.local_account("ivan").await.is_err());
    // …then wait for approval, the address kept as the Admin::Account's `ip`.
    let (status, _) = put(
        &app,
        &format!("{path}/{local}"),
        &admin,
        json!({"severity": "sign_up_requires_approval"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = sign_up(&app, &apptoken, "ivan", "ivan@example.com").await;
    assert_eq!(status, 200, "{body}");
    let ivan = app.services.local_account("ivan").await.unwrap();
    assert!(!ivan.user.approved);
    let entity = app
        .services
        .admin_account(Moderator::CLI, ivan.account.id)
        .await
        .unwrap();
    assert_eq!(entity.ip.as_deref(), Some("127.0.0.1"));
    // …then are cut off altogether, sign-in included.
    let (status, _) = put(
        &app,
        &format!("{path}/{local}"),
        &admin,
        json!({"severity": "no_access"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(app.get("/api/v1/instance").await.status().as_u16(), 403);
    assert_eq!(get(&app, path, &admin).await.0, 403);
    let r = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[("grant_type", "password"), ("username", "boss@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let lid = local.parse().unwrap();
    app.services
        .ip_blocks()
        .delete(Moderator::CLI, lid)
        .await
        .unwrap();
    assert_eq!(app.get("/api/v1/instance").await.status().as_u16(), 200);
    let log = audit(&app).await;
    assert_eq!(
        log.iter().filter(|l| l.contains(" IpBlock ")).count(),
        13,
        "{log:?}"
    );
}

async fn dashboard_figures_from_real_data(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let admin = staff_token(&app, "boss", Role::Admin).await;
    app.create_account("ann").await;
    app.create_account("ben").await;
    let today = app.services.clock.now().to_date_string();
    // Mastodon.py's test_admin_stats (JSON, with deprotocolized domains).
    let (status, m) = post(
        &app,
        "/api/v1/admin/measures",
        &admin,
        json!({
            "keys": ["active_users", "new_users", "interactions", "opened_reports",
                     "resolved_reports", "instance_accounts", "instance_media_attachments",
                     "instance_reports", "instance_statuses", "instance_follows",
                     "instance_followers", "no_such_key"],
            "instance_accounts": {"domain": "chitter.xyz"},
            "instance_media_attachments": {"domain": "chitter.xyz"},
            "instance_reports": {"domain": "chitter.xyz"},
            "instance_statuses": {"domain": "chitter.xyz"},
            "instance_follows": {"domain": "chitter.xyz"},
            "instance_followers": {"domain": "chitter.xyz"},
            "start_at": "2020-10-05T00:00:00+00:00",
            "end_at": "2020-10-10T00:00:00+00:00",
        }),
    )
    .await;
    assert_eq!(status, 200, "{m}");
    let m = m.as_array().unwrap();
    assert_eq!(m.len(), 11, "unknown keys are left out");
    assert_eq!(m[1]["key"], "new_users");
    assert_eq!(m[1]["total"], "0");
    assert_eq!(m[1]["data"].as_array().unwrap().len(), 6);
    assert_eq!(m[6]["unit"], "bytes");
    // Today's sign-ups are counted today.
    let (_, m) = post(
        &app,
        "/api/v1/admin/measures",
        &admin,
        json!({"keys": ["new_users"], "start_at": today, "end_at": today}),
    )
    .await;
    assert_eq!(m[0]["total"], "3", "{m}");
    assert_eq!(m[0]["data"][0]["value"], "3");

    let (status, d) = post(
        &app,
        "/api/v1/admin/dimensions",
        &admin,
        json!({
            "keys": ["languages", "sources", "servers", "space_usage", "software_versions",
                     "instance_accounts", "instance_languages"],
            "limit": 3,
            "instance_accounts": {"domain": "chitter.xyz"},
            "instance_languages": {"domain": "chitter.xyz"},
            "start_at": "2020-10-05T00:00:00+00:00",
            "end_at": "2020-10-10T00:00:00+00:00",
        }),
    )
    .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d.as_array().unwrap().len(), 7);
    assert_eq!(d[3]["data"][0]["unit"], "bytes");

    // Retention as a form, as Mastodon.py sends it.
    let form = |frequency: &'static str| {
        vec![
            ("start_at", "2020-09-30T00:00:00+00:00"),
            ("end_at", "2020-10-10T00:00:00+00:00"),
            ("frequency", frequency),
        ]
    };
    let r = app
        .client
        .post(app.url("/api/v1/admin/retention"))
        .bearer_auth(&admin)
        .form(&form("day"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let cohorts: Value = r.json().await.unwrap();
    assert_eq!(cohorts.as_array().unwrap().len(), 11);
    assert_eq!(cohorts[0]["frequency"], "day");
    let r = app
        .client
        .post(app.url("/api/v1/admin/retention"))
        .bearer_auth(&admin)
        .form(&form("dayz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let (status, _) = post(
        &app,
        "/api/v1/admin/measures",
        &admin,
        json!({"keys": ["new_users"], "start_at": "soon", "end_at": today}),
    )
    .await;
    assert_eq!(status, 422);
    // Moderators may view the dashboard; users may not.
    let moderator = staff_token(&app, "mod_erator", Role::Moderator).await;
    let user = app.token_with_scopes("someone", ADMIN_SCOPES).await;
    let body = json!({"keys": ["new_users"], "start_at": today, "end_at": today});
    assert_eq!(
        post(&app, "/api/v1/admin/measures", &moderator, body.clone())
            .await
            .0,
        200
    );
    assert_eq!(
        post(&app, "/api/v1/admin/measures", &user, body).await.0,
        403
    );
}

async fn allow_list_mode_suspends_every_other_domain(backend: Backend) {
    let app = spawn_with(
        backend,
        &[("ROOKERY_FEDERATION__LIMITED_FEDERATION", "true")],
    )
    .await;
    let admin = staff_token(&app, "boss", Role::Admin).await;
    let s = &app.services;
    let severity = |host: &'static str| async move {
        s.domain_block_for(host).await.unwrap().map(|b| b.severity)
    };
    assert_eq!(
        severity("friends.example").await,
        Some(BlockSeverity::Suspend)
    );
    assert_eq!(severity("rookery.test").await, None);
    let path = "/api/v1/admin/domain_allows";
    let (status, a) = post(&app, path, &admin, json!({"domain": "friends.example"})).await;
    assert_eq!(status, 200, "{a}");
    let id = a["id"].as_str().unwrap().to_owned();
    // Allowing it again gives the same entry.
    let (_, again) = post(&app, path, &admin, json!({"domain": "friends.example"})).await;
    assert_eq!(again["id"], id.as_str());
    assert_eq!(severity("friends.example").await, None);
    assert_eq!(severity("social.friends.example").await, None);
    assert_eq!(
        severity("strangers.example").await,
        Some(BlockSeverity::Suspend)
    );
    assert_eq!(
        get(&app, &format!("{path}/{id}"), &admin).await.1["domain"],
        "friends.example"
    );
    assert_eq!(get(&app, path, &admin).await.1.as_array().unwrap().len(), 1);
    let (status, _) = post(&app, path, &admin, json!({"domain": "https://x.example"})).await;
    assert_eq!(status, 422);
    let moderator = staff_token(&app, "mod_erator", Role::Moderator).await;
    assert_eq!(
        delete(&app, &format!("{path}/{id}"), &moderator).await.0,
        403
    );
    assert_eq!(delete(&app, &format!("{path}/{id}"), &admin).await.0, 200);
    assert_eq!(
        severity("friends.example").await,
        Some(BlockSeverity::Suspend)
    );
    assert_eq!(
        audit(&app).await,
        [
            "create DomainAllow friends.example",
            "destroy DomainAllow friends.example"
        ]
    );
}
