//! Domain policy between two live instances: an instance in allow-list mode drops what a
//! server it has not allowed delivers, and takes it once allowed; a server whose media are
//! rejected has its cached copies dropped and later files left where they are. The second instance
//! listens on another loopback address (`127.0.0.2`), since policy applies to host names.

use std::time::Duration;

use rookery_model::Role;
use serde_json::Value;

use crate::kit::{TestApp, eventually, spawn_federating};

async fn followers(app: &TestApp, token: &str) -> i64 {
    let (_, me, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(token))
        .await;
    me["followers_count"].as_i64().unwrap_or(-1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_list_mode_refuses_deliveries_from_servers_not_allowed() {
    let backend = rookery_testkit::Backend::Sqlite;
    let a = spawn_federating(
        backend,
        &[("ROOKERY_FEDERATION__LIMITED_FEDERATION", "true")],
    )
    .await;
    let port = rookery_testkit::free_port().unwrap();
    let addr = format!("127.0.0.2:{port}");
    let b = spawn_federating(
        backend,
        &[
            ("ROOKERY_SERVER__LISTEN", addr.as_str()),
            ("ROOKERY_SERVER__DOMAIN", addr.as_str()),
        ],
    )
    .await;
    assert_eq!(b.domain(), addr);
    let alice = a.token("alice").await;
    let bob = b.token("bob").await;

    // bob@B follows alice@A: A drops the Follow (B's server is not allowed).
    let (s, found, _) = b
        .get_auth(
            &format!("/api/v1/accounts/lookup?acct=alice@{}", a.domain()),
            Some(&bob),
        )
        .await;
    assert_eq!(s, 200, "{found}");
    let alice_on_b = found["id"].as_str().unwrap().to_owned();
    let follow = format!("/api/v1/accounts/{alice_on_b}/follow");
    let (s, _) = b.post_auth(&follow, &bob, &[]).await;
    assert_eq!(s, 200);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(followers(&a, &alice).await, 0);

    // Allowed: the next Follow is taken.
    a.services
        .create_local_account(rookery_service::NewLocalAccount {
            username: "boss".into(),
            email: "boss@example.com".into(),
            password: Some("a good password".into()),
            role: Role::Admin,
            confirmed: true,
            approved: true,
            send_confirmation: false,
        })
        .await
        .unwrap();
    let admin = a
        .token_with_scopes("boss", "read write admin:read admin:write")
        .await;
    let (s, allow) = a
        .post_auth(
            "/api/v1/admin/domain_allows",
            &admin,
            &[("domain", "127.0.0.2")],
        )
        .await;
    assert_eq!(s, 200, "{allow}");
    let (s, _) = b
        .post_auth(
            &format!("/api/v1/accounts/{alice_on_b}/unfollow"),
            &bob,
            &[],
        )
        .await;
    assert_eq!(s, 200);
    // The Undo is applied before the new Follow is sent: applied at the same moment by two
    // ingress workers, an Undo can still end the follow that replaced it (a known gap).
    eventually("A has applied bob's Undo", || async {
        a.services.federation_counters().inbox_count("accepted") == 1
            && a.sql_texts("SELECT kind FROM jobs WHERE kind = 'ingress'")
                .await
                .is_empty()
    })
    .await;
    let (s, _) = b.post_auth(&follow, &bob, &[]).await;
    assert_eq!(s, 200);
    eventually("alice@A has bob@B as a follower", || async {
        followers(&a, &alice).await == 1
    })
    .await;
}

/// bob@B posts a photo with `text`; returns it as alice@A's home timeline shows it, once there.
async fn photo_reaches_a(a: &TestApp, alice: &str, b: &TestApp, bob: &str, text: &str) -> Value {
    use crate::media::{make_jpeg, processed, upload};
    let (_, m) = upload(b, bob, "photo.jpg", make_jpeg(400, 300), &[]).await;
    let id = m["id"].as_str().unwrap().to_owned();
    assert_eq!(processed(b, bob, &id).await.0, 200);
    let (s, _) = b
        .post_auth(
            "/api/v1/statuses",
            bob,
            &[("status", text), ("media_ids[]", id.as_str())],
        )
        .await;
    assert_eq!(s, 200);
    let mut found = Value::Null;
    for _ in 0..500 {
        let (_, home, _) = a.get_auth("/api/v1/timelines/home", Some(alice)).await;
        if let Some(s) = home.as_array().and_then(|l| {
            l.iter()
                .find(|s| s["content"].as_str().unwrap_or_default().contains(text))
        }) {
            found = s["media_attachments"][0].clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(found.is_object(), "{text} did not reach A");
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_media_is_neither_fetched_nor_kept() {
    let backend = rookery_testkit::Backend::Sqlite;
    let a = spawn_federating(backend, &[("ROOKERY_MEDIA__REMOTE__POLICY", "on_receipt")]).await;
    let port = rookery_testkit::free_port().unwrap();
    let addr = format!("127.0.0.2:{port}");
    let b = spawn_federating(
        backend,
        &[
            ("ROOKERY_SERVER__LISTEN", addr.as_str()),
            ("ROOKERY_SERVER__DOMAIN", addr.as_str()),
        ],
    )
    .await;
    let alice = a.token("alice").await;
    let bob = b.token("bob").await;
    let (s, found, _) = a
        .get_auth(
            &format!("/api/v1/accounts/lookup?acct=bob@{addr}"),
            Some(&alice),
        )
        .await;
    assert_eq!(s, 200, "{found}");
    let bob_id = found["id"].as_str().unwrap().to_owned();
    a.post_auth(&format!("/api/v1/accounts/{bob_id}/follow"), &alice, &[])
        .await;
    eventually("alice follows bob", || async {
        let (_, rel, _) = a
            .get_auth(
                &format!("/api/v1/accounts/relationships?id[]={bob_id}"),
                Some(&alice),
            )
            .await;
        rel[0]["following"] == true
    })
    .await;
    let cache = format!("{}/system/cache/", a.base);
    let url_of = |text: &'static str| {
        let (a, alice) = (&a, alice.as_str());
        async move {
            let (_, home, _) = a.get_auth("/api/v1/timelines/home", Some(alice)).await;
            home.as_array()
                .and_then(|l| {
                    l.iter()
                        .find(|s| s["content"].as_str().unwrap_or_default().contains(text))
                })
                .map(|s| {
                    s["media_attachments"][0]["url"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned()
                })
                .unwrap_or_default()
        }
    };

    // Copied on receipt while B's media are welcome…
    photo_reaches_a(&a, &alice, &b, &bob, "first photo").await;
    eventually("the first photo is cached on A", || async {
        url_of("first photo").await.starts_with(&cache)
    })
    .await;

    // …dropped once they are rejected, and later ones are not fetched.
    a.services
        .admin_domain_blocks()
        .create(
            rookery_service::moderation::Moderator::CLI,
            rookery_service::NewDomainBlock {
                domain: "127.0.0.2".into(),
                severity: "noop".into(),
                reject_media: true,
                reject_reports: false,
                private_comment: String::new(),
                public_comment: String::new(),
                obfuscate: false,
            },
        )
        .await
        .unwrap();
    eventually("the first photo's copy is dropped", || async {
        let url = url_of("first photo").await;
        !url.is_empty() && !url.starts_with(&cache)
    })
    .await;
    let second = photo_reaches_a(&a, &alice, &b, &bob, "second photo").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let url = url_of("second photo").await;
    assert!(!url.starts_with(&cache), "{url} {second}");
    // The proxy sends viewers to the origin instead of copying it.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(&url)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("http://{addr}/")),
        "{location}"
    );
}
