//! The instance claims only what it has: every URL and capability `/api/v1/instance` and
//! `/api/v2/instance` advertise (and every URL a local actor advertises) is called and works.

use rookery_testkit::Backend;
use serde_json::{Value, json};

use crate::kit::{TestApp, on_every_backend, spawn_with};
use crate::media::{files::make_png, upload};

on_every_backend!(every_advertised_capability_answers);

/// Every string in `v` that is a URL of this instance.
fn own_urls(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.starts_with("https://rookery.test") => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| own_urls(i, out)),
        Value::Object(m) => m.values().for_each(|i| own_urls(i, out)),
        _ => {}
    }
}

async fn answers(app: &TestApp, url: &str, accept: &str) {
    let path = url.trim_start_matches("https://rookery.test");
    let r = app
        .client
        .get(app.url(path))
        .header("accept", accept)
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    assert!((200..400).contains(&st), "{url} advertised, answers {st}");
}

async fn every_advertised_capability_answers(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_INSTANCE__CONTACT_USERNAME", "alice")]).await;
    let alice = app.token("alice").await;
    let (_, v1) = app.get_json("/api/v1/instance").await;
    let (_, v2) = app.get_json("/api/v2/instance").await;

    // Every URL of this instance in both entities.
    let mut urls = Vec::new();
    own_urls(&v1, &mut urls);
    own_urls(&v2, &mut urls);
    assert!(urls.len() >= 2, "{urls:?}");
    for u in &urls {
        answers(&app, u, "*/*").await;
    }
    // The streaming server, at the advertised address.
    for s in [
        &v1["urls"]["streaming_api"],
        &v2["configuration"]["urls"]["streaming"],
    ] {
        assert_eq!(s, "wss://rookery.test");
        assert_eq!(app.get("/api/v1/streaming/health").await.status(), 200);
    }

    // api_versions.mastodon 2: grouped notifications and their companions.
    assert_eq!(v2["api_versions"]["mastodon"], 2);
    for path in [
        "/api/v2/notifications",
        "/api/v2/notifications/unread_count",
        "/api/v2/notifications/policy",
        "/api/v1/notifications/requests",
        "/api/v1/markers?timeline[]=notifications",
    ] {
        assert_eq!(app.get_auth(path, Some(&alice)).await.0, 200, "{path}");
    }

    // Statuses: exactly the advertised length posts, one more does not.
    let max = v2["configuration"]["statuses"]["max_characters"]
        .as_u64()
        .unwrap() as usize;
    let (st, _) = app
        .post_auth("/api/v1/statuses", &alice, &[("status", &"a".repeat(max))])
        .await;
    assert_eq!(st, 200);
    let (st, _) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[("status", &"a".repeat(max + 1))],
        )
        .await;
    assert_eq!(st, 422);

    // Polls: the advertised number of options and option length work, one more does not.
    let polls = &v2["configuration"]["polls"];
    let n = polls["max_options"].as_u64().unwrap() as usize;
    let chars = polls["max_characters_per_option"].as_u64().unwrap() as usize;
    let min = polls["min_expiration"].as_u64().unwrap();
    let max_exp = polls["max_expiration"].as_u64().unwrap();
    let options: Vec<String> = (0..n)
        .map(|i| format!("{i}{}", "x".repeat(chars - 1)))
        .collect();
    for (opts, expires, ok) in [
        (options.clone(), min, true),
        (options.clone(), max_exp, true),
        (
            [options.clone(), vec!["one more".into()]].concat(),
            min,
            false,
        ),
        (options.clone(), min - 1, false),
    ] {
        let r = app
            .client
            .post(app.url("/api/v1/statuses"))
            .bearer_auth(&alice)
            .json(&json!({"status": "poll", "poll": {"options": opts, "expires_in": expires}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().is_success(), ok, "{opts:?} {expires}");
    }

    // Media: an advertised type uploads.
    let media = &v2["configuration"]["media_attachments"];
    assert!(
        media["supported_mime_types"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "image/png")
    );
    let (st, _) = upload(&app, &alice, "a.png", make_png(4, 4), &[]).await;
    assert!(st == 200 || st == 202);

    // Accounts: pinned statuses up to the advertised number.
    let pins = v2["configuration"]["accounts"]["max_pinned_statuses"]
        .as_u64()
        .unwrap();
    for i in 0..pins {
        let (_, s) = app
            .post_auth(
                "/api/v1/statuses",
                &alice,
                &[("status", &format!("pin {i}"))],
            )
            .await;
        let id = s["id"].as_str().unwrap();
        let (st, _) = app
            .post_auth(&format!("/api/v1/statuses/{id}/pin"), &alice, &[])
            .await;
        assert_eq!(st, 200, "pin {i}");
    }

    // Push and translation are advertised only when they work.
    let vapid = v2["configuration"]["vapid"]["public_key"]
        .as_str()
        .unwrap_or("");
    let push = app
        .get_auth("/api/v1/push/subscription", Some(&alice))
        .await
        .0;
    assert!(
        vapid.is_empty() || push != 404,
        "vapid advertised, push answers {push}"
    );
    let translation = v2["configuration"]["translation"]["enabled"]
        .as_bool()
        .unwrap();
    let (_, languages, _) = app
        .get_auth("/api/v1/instance/translation_languages", None)
        .await;
    assert_eq!(
        translation,
        languages.as_object().is_some_and(|m| !m.is_empty()),
        "translation enabled only with languages to translate"
    );

    // The instance's other documented pages.
    for path in [
        "/api/v1/instance/rules",
        "/api/v1/instance/peers",
        "/api/v1/instance/activity",
        "/api/v1/instance/extended_description",
        "/api/v1/custom_emojis",
        "/api/v1/directory",
        "/nodeinfo/2.0",
        "/.well-known/nodeinfo",
        "/.well-known/host-meta",
    ] {
        let st = app.get(path).await.status().as_u16();
        assert_eq!(st, 200, "{path}");
    }

    // The contact account and every URL a local actor and the instance actor advertise.
    let contact = v2["contact"]["account"]["url"]
        .as_str()
        .expect("a contact account");
    answers(&app, contact, "text/html").await;
    for actor in [
        "https://rookery.test/users/alice",
        "https://rookery.test/actor",
    ] {
        let path = actor.trim_start_matches("https://rookery.test");
        let doc: Value = app
            .client
            .get(app.url(path))
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut advertised = Vec::new();
        own_urls(&doc, &mut advertised);
        assert!(advertised.len() >= 4, "{doc}");
        for u in advertised {
            // Key ids and fragments name parts of the document itself.
            let u = u.split('#').next().unwrap_or_default().to_owned();
            if u.ends_with("/inbox") {
                continue; // POST only
            }
            answers(&app, &u, "application/activity+json").await;
        }
    }
}
