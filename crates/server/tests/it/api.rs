//! The HTTP surface, on every database engine.

use rookery_testkit::Backend;
use serde_json::Value;

use crate::kit::{on_every_backend, spawn_with};

on_every_backend!(
    instance_v1_has_mastodon_shape,
    instance_v2_has_mastodon_shape,
    instance_counts_are_real,
    contact_account_is_rendered,
    cors_preflight_and_exposed_headers,
    health_ready_metrics,
    ready_reports_a_newer_schema,
    webfinger_resolves_local_accounts,
    webfinger_refuses_bad_resources,
    webfinger_resolves_the_instance_actor,
    every_url_an_actor_advertises_answers,
    about_page_escapes_and_forbids_framing,
    host_meta_and_nodeinfo,
    actor_is_served_by_content_negotiation,
    profile_page_escapes_user_text,
    unknown_routes_are_json_404,
);

async fn instance_v1_has_mastodon_shape(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_INSTANCE__TITLE", "Test Rookery")]).await;
    for path in ["/api/v1/instance", "/api/v1/instance/"] {
        let (status, v) = app.get_json(path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(v["uri"], "rookery.test");
        assert_eq!(v["title"], "Test Rookery");
        let version = v["version"].as_str().unwrap();
        assert!(
            version.starts_with("4.3.0 (compatible; Rookery "),
            "{version}"
        );
        assert_eq!(v["urls"]["streaming_api"], "wss://rookery.test");
        for key in ["user_count", "status_count", "domain_count"] {
            assert!(v["stats"][key].is_i64(), "{key}");
        }
        assert!(v["registrations"].is_boolean());
        assert!(v["approval_required"].is_boolean());
        assert!(v["invites_enabled"].is_boolean());
        assert_eq!(
            v["thumbnail"],
            "https://rookery.test/instance/thumbnail.png"
        );
        assert!(v["contact_account"].is_null());
        assert!(v["rules"].is_array());
        assert_eq!(v["configuration"]["statuses"]["max_characters"], 500);
        assert!(v["configuration"]["media_attachments"]["supported_mime_types"].is_array());
        assert_eq!(v["configuration"]["polls"]["max_options"], 4);
    }
}

async fn instance_v2_has_mastodon_shape(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_INSTANCE__REGISTRATIONS", "approval")]).await;
    for path in ["/api/v2/instance", "/api/v2/instance/"] {
        let (status, v) = app.get_json(path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(v["domain"], "rookery.test");
        assert!(v["version"].as_str().unwrap().starts_with("4.3.0"));
        assert_eq!(v["api_versions"]["mastodon"], 2);
        assert_eq!(
            v["configuration"]["urls"]["streaming"],
            "wss://rookery.test"
        );
        assert!(v["usage"]["users"]["active_month"].is_i64());
        assert!(v["thumbnail"]["url"].is_string());
        assert_eq!(v["registrations"]["enabled"], true);
        assert_eq!(v["registrations"]["approval_required"], true);
        assert!(v["contact"]["email"].is_string());
        assert!(v["contact"]["account"].is_null());
        assert_eq!(v["configuration"]["statuses"]["max_media_attachments"], 4);
        assert_eq!(v["configuration"]["accounts"]["max_pinned_statuses"], 5);
        assert_eq!(v["configuration"]["translation"]["enabled"], false);
        assert!(v["languages"].is_array() && v["icon"].is_array() && v["rules"].is_array());
        // The advertised picture is there.
        let thumb = v["thumbnail"]["url"].as_str().unwrap();
        let r = app
            .get(thumb.trim_start_matches("https://rookery.test"))
            .await;
        assert_eq!(r.status(), 200, "{thumb}");
        assert_eq!(r.headers()["content-type"], "image/png");
        assert!(r.bytes().await.unwrap().starts_with(b"\x89PNG"));
    }
}

async fn instance_counts_are_real(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    app.create_account("one").await;
    app.create_account("two").await;
    let (_, v) = app.get_json("/api/v1/instance").await;
    assert_eq!(v["stats"]["user_count"], 2);
    app.services.set_suspended("two", true).await.unwrap();
    let (_, v) = app.get_json("/api/v1/instance").await;
    assert_eq!(v["stats"]["user_count"], 1);
}

async fn contact_account_is_rendered(backend: Backend) {
    let app = spawn_with(
        backend,
        &[
            ("ROOKERY_INSTANCE__CONTACT_USERNAME", "Admin"),
            ("ROOKERY_INSTANCE__CONTACT_EMAIL", "admin@rookery.test"),
        ],
    )
    .await;
    let local = app.create_account("admin").await;
    let (_, v2) = app.get_json("/api/v2/instance").await;
    let account = &v2["contact"]["account"];
    assert_eq!(account["id"], local.account.id.to_string());
    assert_eq!(account["username"], "admin");
    assert_eq!(account["acct"], "admin");
    assert_eq!(account["url"], "https://rookery.test/@admin");
    assert_eq!(account["uri"], "https://rookery.test/users/admin");
    assert!(
        account["avatar"]
            .as_str()
            .unwrap()
            .ends_with("/avatars/original/missing.png")
    );
    assert!(account["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(account["last_status_at"].is_null());
    for key in ["locked", "bot", "group"] {
        assert!(account[key].is_boolean(), "{key}");
    }
    for key in ["fields", "emojis", "roles"] {
        assert!(account[key].is_array(), "{key}");
    }
    assert_eq!(v2["contact"]["email"], "admin@rookery.test");
    let (_, v1) = app.get_json("/api/v1/instance").await;
    assert_eq!(v1["contact_account"]["id"], local.account.id.to_string());
    assert_eq!(v1["email"], "admin@rookery.test");
    // The default avatar is really there.
    let png = app.get("/avatars/original/missing.png").await;
    assert_eq!(png.status(), 200);
    assert_eq!(png.headers()["content-type"], "image/png");
}

async fn cors_preflight_and_exposed_headers(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let r = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/instance"))
        .header("Origin", "https://phanpy.example")
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "authorization")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://phanpy.example"
    );
    let r = app
        .client
        .get(app.url("/api/v1/instance"))
        .header("Origin", "https://elk.example")
        .send()
        .await
        .unwrap();
    let exposed = r.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap();
    assert!(exposed.to_ascii_lowercase().contains("link"), "{exposed}");
}

async fn health_ready_metrics(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let r = app.get("/health").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "OK");
    let (status, v) = app.get_json("/ready").await;
    assert_eq!(status, 200);
    assert_eq!(v["status"], "ready");
    assert_eq!(v["checks"]["database"], "ok");
    app.get("/api/v1/instance").await;
    app.get("/no/such/thing").await;
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(
        text.contains(
            "rookery_http_requests_total{method=\"GET\",route=\"/api/v1/instance\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("route=\"unmatched\",status=\"404\""),
        "{text}"
    );
    assert!(
        text.contains("rookery_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(
        text.contains("rookery_db_pool_connections{state=\"idle\"}"),
        "{text}"
    );
    assert!(
        text.contains("rookery_db_pool_connections{state=\"in_use\"}"),
        "{text}"
    );
}

async fn ready_reports_a_newer_schema(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let direct = app.db.migration_url.clone().unwrap_or(app.db.url.clone());
    exec(&direct, "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (999, 'future', 'x', 0)").await;
    let (status, v) = app.get_json("/ready").await;
    assert_eq!(status, 503);
    assert_eq!(v["status"], "unavailable");
    assert!(
        v["checks"]["schema"].as_str().unwrap().contains("999"),
        "{v}"
    );
}

pub async fn exec(url: &str, sql: &'static str) {
    use sqlx::Connection;
    if url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
    }
}

async fn webfinger_resolves_local_accounts(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    app.create_account("Alice").await;
    for resource in [
        "acct:alice@rookery.test",
        "acct:ALICE@Rookery.Test",
        "alice@rookery.test",
        "https://rookery.test/users/Alice",
        "https://rookery.test/@alice",
    ] {
        let r = app
            .client
            .get(app.url("/.well-known/webfinger"))
            .query(&[("resource", resource)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{resource}");
        assert_eq!(
            r.headers()["content-type"],
            "application/jrd+json; charset=utf-8"
        );
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["subject"], "acct:Alice@rookery.test");
        let links = v["links"].as_array().unwrap();
        let me = links.iter().find(|l| l["rel"] == "self").unwrap();
        assert_eq!(me["type"], "application/activity+json");
        assert_eq!(me["href"], "https://rookery.test/users/Alice");
        let page = links
            .iter()
            .find(|l| l["rel"] == "http://webfinger.net/rel/profile-page")
            .unwrap();
        assert_eq!(page["href"], "https://rookery.test/@Alice");
    }
}

/// Peers (GoToSocial among them) look up every signer they do not know by WebFinger, including
/// the instance actor that signs our fetches.
async fn webfinger_resolves_the_instance_actor(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    for resource in [
        "acct:rookery.test@rookery.test",
        "acct:ROOKERY.TEST@rookery.test",
        "rookery.test@rookery.test",
        "https://rookery.test/actor",
    ] {
        let r = app
            .client
            .get(app.url("/.well-known/webfinger"))
            .query(&[("resource", resource)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{resource}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["subject"], "acct:rookery.test@rookery.test", "{resource}");
        let me = v["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "self")
            .unwrap();
        assert_eq!(me["href"], "https://rookery.test/actor");
        assert_eq!(me["type"], "application/activity+json");
    }
    // The actor it points at names itself the same way.
    let r = app
        .client
        .get(app.url("/actor"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    let actor: Value = r.json().await.unwrap();
    assert_eq!(actor["preferredUsername"], "rookery.test");
    assert_eq!(actor["id"], "https://rookery.test/actor");
    // Another domain's name is not ours to answer.
    let r = app
        .client
        .get(app.url("/.well-known/webfinger"))
        .query(&[("resource", "acct:other.example@rookery.test")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

/// Every URL of this server that the instance actor or a user's actor names answers (empty
/// collections where there is nothing); inboxes take POSTs only.
async fn every_url_an_actor_advertises_answers(backend: Backend) {
    fn urls(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) if s.starts_with("https://rookery.test/") => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| urls(x, out)),
            Value::Object(o) => o.values().for_each(|x| urls(x, out)),
            _ => {}
        }
    }
    let app = spawn_with(backend, &[]).await;
    app.create_account("alice").await;
    for actor in ["/actor", "/users/alice"] {
        let doc: Value = app
            .client
            .get(app.url(actor))
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut found = Vec::new();
        urls(&doc, &mut found);
        assert!(found.len() >= 8, "{actor}: {found:?}");
        for url in found {
            let path = url.trim_start_matches("https://rookery.test");
            let path = path.split('#').next().unwrap();
            for accept in ["application/activity+json", "text/html"] {
                let r = app
                    .client
                    .get(app.url(path))
                    .header("accept", accept)
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                if path.ends_with("/inbox") {
                    assert_eq!(status, 405, "{actor} names {url}");
                } else {
                    assert!(
                        matches!(status, 200 | 302 | 303),
                        "{actor} names {url}: {status} for {accept}"
                    );
                }
                if status == 200 && accept.contains("activity") && !path.ends_with(".png") {
                    let body: Value = r.json().await.unwrap_or(Value::Null);
                    if body
                        .get("type")
                        .is_some_and(|t| t.as_str().unwrap().contains("Collection"))
                    {
                        assert!(body["totalItems"].is_i64(), "{url}: {body}");
                    }
                }
            }
        }
    }
}

/// The about page (also `/`, and the instance actor's `url`) escapes what operators write and
/// carries the page security headers.
async fn about_page_escapes_and_forbids_framing(backend: Backend) {
    let app = spawn_with(
        backend,
        &[
            ("ROOKERY_INSTANCE__TITLE", "<script>alert(1)</script>Rooks"),
            ("ROOKERY_INSTANCE__DESCRIPTION", "a \"quoted\" <b>place</b>"),
        ],
    )
    .await;
    app.create_account("alice").await;
    for path in ["/", "/about"] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers().clone();
        assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
        assert!(h.contains_key("referrer-policy"));
        let html = r.text().await.unwrap();
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;Rooks"),
            "{html}"
        );
        assert!(!html.contains("<b>place</b>"), "{html}");
        assert!(html.contains("<dd>1</dd>"), "one person: {html}");
    }
    // Every other page too: a profile, a hashtag page.
    for path in ["/@alice", "/tags/rust"] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers();
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(h.contains_key("referrer-policy"), "{path}");
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
    }
    let r = app.client.head(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // robots.txt; and an account that is not discoverable is kept out of indexes.
    let r = app.get("/robots.txt").await;
    assert_eq!(r.status(), 200);
    let robots = r.text().await.unwrap();
    assert!(robots.contains("Disallow: /api/"), "{robots}");
    assert!(
        app.get("/@alice")
            .await
            .headers()
            .get("x-robots-tag")
            .is_none()
    );
    app.sql("UPDATE accounts SET discoverable = FALSE WHERE username = 'alice'")
        .await;
    assert_eq!(
        app.get("/@alice").await.headers()["x-robots-tag"],
        "noindex, noarchive"
    );
}

async fn webfinger_refuses_bad_resources(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    app.create_account("alice").await;
    app.create_account("mallory").await;
    app.services.set_suspended("mallory", true).await.unwrap();
    let long = format!("acct:{}@rookery.test", "a".repeat(10_000));
    let cases: Vec<(&str, u16)> = vec![
        ("", 400),
        ("alice", 400),
        ("acct:", 400),
        ("acct:alice", 400),
        ("acct:@rookery.test", 400),
        ("acct:alice@", 400),
        ("acct:a@b@c", 400),
        ("mailto:alice@rookery.test", 400),
        ("acct:alice@rookery.test\u{0}", 400),
        ("acct:al ice@rookery.test", 400),
        (&long, 400),
        ("acct:alice@other.example", 404),
        ("acct:bob@rookery.test", 404),
        ("acct:\u{430}lice@rookery.test", 404), // Cyrillic а
        ("acct:alice@rookery.test.evil.example", 404),
        ("acct:alice@ROOKERY.TEST:443", 404),
        ("acct:mallory@rookery.test", 404),
        ("https://evil.example/users/alice", 404),
        ("https://rookery.test/users/", 404),
        ("https://rookery.test/users/../admin", 404),
    ];
    for (resource, want) in cases {
        let r = app
            .client
            .get(app.url("/.well-known/webfinger"))
            .query(&[("resource", resource)])
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status().as_u16(),
            want,
            "{:?}",
            &resource[..resource.len().min(40)]
        );
        let v: Value = r.json().await.unwrap();
        assert!(v["error"].is_string(), "{v}");
    }
    // No resource parameter at all, and a broken query string.
    assert_eq!(app.get("/.well-known/webfinger").await.status(), 400);
    assert_eq!(
        app.get("/.well-known/webfinger?resource=%ZZ")
            .await
            .status()
            .as_u16()
            / 100,
        4
    );
}

async fn host_meta_and_nodeinfo(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    app.create_account("alice").await;
    let r = app.get("/.well-known/host-meta").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xrd+xml")
    );
    let xml = r.text().await.unwrap();
    assert!(
        xml.contains("template=\"https://rookery.test/.well-known/webfinger?resource={uri}\""),
        "{xml}"
    );

    for path in [
        "/.well-known/host-meta?format=json",
        "/.well-known/host-meta.json",
    ] {
        let (status, v) = app.get_json(path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(v["links"][0]["rel"], "lrdd");
        assert_eq!(
            v["links"][0]["template"],
            "https://rookery.test/.well-known/webfinger?resource={uri}"
        );
    }

    let (status, links) = app.get_json("/.well-known/nodeinfo").await;
    assert_eq!(status, 200);
    assert_eq!(
        links["links"][0]["href"],
        "https://rookery.test/nodeinfo/2.0"
    );
    assert_eq!(
        links["links"][0]["rel"],
        "http://nodeinfo.diaspora.software/ns/schema/2.0"
    );
    let (status, info) = app.get_json("/nodeinfo/2.0").await;
    assert_eq!(status, 200);
    assert_eq!(info["version"], "2.0");
    assert_eq!(info["software"]["name"], "rookery");
    assert_eq!(info["protocols"][0], "activitypub");
    assert_eq!(info["usage"]["users"]["total"], 1);
    assert_eq!(info["usage"]["localPosts"], 0);
    assert_eq!(info["openRegistrations"], true);
}

async fn actor_is_served_by_content_negotiation(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    app.create_account("alice").await;
    for accept in [
        "application/activity+json",
        "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
    ] {
        let r = app
            .client
            .get(app.url("/users/alice"))
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{accept}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/activity+json")
        );
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["type"], "Person");
        assert_eq!(v["id"], "https://rookery.test/users/alice");
        assert_eq!(v["preferredUsername"], "alice");
        assert_eq!(v["inbox"], "https://rookery.test/users/alice/inbox");
        assert_eq!(v["outbox"], "https://rookery.test/users/alice/outbox");
        assert_eq!(v["followers"], "https://rookery.test/users/alice/followers");
        assert_eq!(v["following"], "https://rookery.test/users/alice/following");
        assert_eq!(v["endpoints"]["sharedInbox"], "https://rookery.test/inbox");
        assert_eq!(
            v["publicKey"]["id"],
            "https://rookery.test/users/alice#main-key"
        );
        assert_eq!(v["publicKey"]["owner"], "https://rookery.test/users/alice");
        let pem = v["publicKey"]["publicKeyPem"].as_str().unwrap();
        rookery_activitypub::keys::parse_public_key_pem(pem).expect("an RSA public key");
        assert!(v["@context"][0] == "https://www.w3.org/ns/activitystreams");
    }
    // Browsers are sent to the profile page.
    let r = app
        .client
        .get(app.url("/users/alice"))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection());
    assert_eq!(r.headers()["location"], "https://rookery.test/@alice");
    // Unknown, invalid and suspended accounts are 404.
    app.create_account("gone").await;
    app.services.set_suspended("gone", true).await.unwrap();
    for path in [
        "/users/bob",
        "/users/gone",
        "/users/%E2%80%AEalice",
        "/users/a%2Fb",
    ] {
        let r = app
            .client
            .get(app.url(path))
            .header("Accept", "application/activity+json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
}

async fn profile_page_escapes_user_text(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    app.create_account("alice").await;
    let r = app.get("/@alice").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("@alice@rookery.test"));
    assert!(html.contains("href=\"https://rookery.test/users/alice\""));
    let r = app
        .client
        .get(app.url("/@alice"))
        .header("Accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["type"], "Person");
}

async fn unknown_routes_are_json_404(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let (status, v) = app.get_json("/api/v1/nothing-here").await;
    assert_eq!(status, 404);
    assert_eq!(v["error"], "Record not found");
    // A known path with a method it does not take: JSON too, with what it does take.
    let r = app
        .client
        .post(app.url("/api/v2/notifications/unread_count"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert!(r.headers()["allow"].to_str().unwrap().contains("GET"));
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"], "Method not allowed");
}
