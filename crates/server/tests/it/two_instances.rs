//! Two live instances on 127.0.0.1, federating over HTTP with signatures, driven through the
//! client API as users would: follows (open and locked accounts), posts, replies, favourites,
//! boosts, edits, deletes, unfollows and blocks.

use serde_json::Value;

use crate::kit::{TestApp, eventually, on_every_backend, spawn_federating};

/// The account `acct` as `viewer` on `app` sees it (resolved through WebFinger if needed).
pub(crate) async fn lookup(app: &TestApp, token: &str, acct: &str) -> Value {
    let (s, body, _) = app
        .get_auth(&format!("/api/v1/accounts/lookup?acct={acct}"), Some(token))
        .await;
    assert_eq!(s, 200, "lookup {acct}: {body}");
    body
}

pub(crate) async fn relationship(app: &TestApp, token: &str, id: &str) -> Value {
    let (s, body, _) = app
        .get_auth(
            &format!("/api/v1/accounts/relationships?id[]={id}"),
            Some(token),
        )
        .await;
    assert_eq!(s, 200);
    body[0].clone()
}

pub(crate) async fn home(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, body, _) = app.get_auth("/api/v1/timelines/home", Some(token)).await;
    assert_eq!(s, 200);
    body.as_array().cloned().unwrap_or_default()
}

pub(crate) async fn notifications(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, body, _) = app.get_auth("/api/v1/notifications", Some(token)).await;
    assert_eq!(s, 200);
    body.as_array().cloned().unwrap_or_default()
}

/// The status in `list` (or the original a reblog wraps) whose content contains `text`.
pub(crate) fn find<'a>(list: &'a [Value], text: &str) -> Option<&'a Value> {
    list.iter()
        .find(|s| s["content"].as_str().unwrap_or_default().contains(text))
}

pub(crate) async fn has_notification(app: &TestApp, token: &str, kind: &str, from: &str) -> bool {
    notifications(app, token)
        .await
        .iter()
        .any(|n| n["type"] == kind && n["account"]["acct"] == from)
}

pub(crate) async fn post(app: &TestApp, token: &str, form: &[(&str, &str)]) -> Value {
    let (s, body) = app.post_auth("/api/v1/statuses", token, form).await;
    assert_eq!(s, 200, "{body}");
    body
}

async fn two_instances_talk(backend: rookery_testkit::Backend) {
    let a = spawn_federating(backend, &[]).await;
    let b = spawn_federating(backend, &[]).await;
    let (da, db) = (a.domain(), b.domain());
    let alice = a.token("alice").await;
    let bob = b.token("bob").await;
    let carol = b.token("carol").await;
    let (s, _) = b
        .patch_auth(
            "/api/v1/accounts/update_credentials",
            &carol,
            &[("locked", "true")],
        )
        .await;
    assert_eq!(s, 200);

    // alice@A finds bob@B through WebFinger and follows him; B accepts at once.
    let bob_on_a = lookup(&a, &alice, &format!("bob@{db}")).await;
    assert_eq!(bob_on_a["acct"], format!("bob@{db}"));
    assert_eq!(bob_on_a["url"], format!("http://{db}/@bob"));
    let bob_id = bob_on_a["id"].as_str().unwrap().to_owned();
    let (s, rel) = a
        .post_auth(&format!("/api/v1/accounts/{bob_id}/follow"), &alice, &[])
        .await;
    assert_eq!(s, 200, "{rel}");
    assert_eq!(rel["requested"], true, "pending until B accepts: {rel}");
    eventually("alice follows bob", || async {
        relationship(&a, &alice, &bob_id).await["following"] == true
    })
    .await;
    eventually("bob is notified of the follow", || async {
        has_notification(&b, &bob, "follow", &format!("alice@{da}")).await
    })
    .await;

    // carol@B is locked: a request, which she approves.
    let carol_on_a = lookup(&a, &alice, &format!("carol@{db}")).await;
    assert_eq!(carol_on_a["locked"], true);
    let carol_id = carol_on_a["id"].as_str().unwrap().to_owned();
    a.post_auth(&format!("/api/v1/accounts/{carol_id}/follow"), &alice, &[])
        .await;
    let alice_on_b = lookup(&b, &bob, &format!("alice@{da}")).await;
    let alice_b_id = alice_on_b["id"].as_str().unwrap().to_owned();
    eventually("carol sees the request", || async {
        let (_, list, _) = b.get_auth("/api/v1/follow_requests", Some(&carol)).await;
        list.as_array()
            .is_some_and(|l| l.iter().any(|x| x["id"] == alice_b_id.as_str()))
    })
    .await;
    assert_eq!(relationship(&a, &alice, &carol_id).await["requested"], true);
    let (s, _) = b
        .post_auth(
            &format!("/api/v1/follow_requests/{alice_b_id}/authorize"),
            &carol,
            &[],
        )
        .await;
    assert_eq!(s, 200);
    eventually("alice follows carol once approved", || async {
        relationship(&a, &alice, &carol_id).await["following"] == true
    })
    .await;

    // bob posts; it reaches alice's home timeline on A.
    let hello = post(&b, &bob, &[("status", "hello from #rookery B")]).await;
    eventually("bob's post in alice's home", || async {
        find(&home(&a, &alice).await, "hello from").is_some()
    })
    .await;
    let on_a = find(&home(&a, &alice).await, "hello from")
        .cloned()
        .unwrap();
    assert_eq!(on_a["account"]["acct"], format!("bob@{db}"));
    assert_eq!(
        on_a["uri"],
        format!(
            "http://{db}/users/bob/statuses/{}",
            hello["id"].as_str().unwrap()
        )
    );
    assert_eq!(on_a["visibility"], "public");
    let remote_id = on_a["id"].as_str().unwrap().to_owned();

    // Search: a handle and, with resolve, a post by someone nobody here follows, by its URL.
    let dave = b.token("dave").await;
    let thoughts = post(&b, &dave, &[("status", "dave's own thoughts")]).await;
    let (s, found, _) = a
        .get_auth(
            &format!("/api/v2/search?q=@dave@{db}&resolve=true&type=accounts"),
            Some(&alice),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        found["accounts"][0]["acct"],
        format!("dave@{db}"),
        "{found}"
    );
    let (s, found, _) = a
        .get_auth(
            &format!(
                "/api/v2/search?q={}&resolve=true",
                thoughts["uri"].as_str().unwrap()
            ),
            Some(&alice),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        found["statuses"][0]["account"]["acct"],
        format!("dave@{db}"),
        "{found}"
    );
    assert!(
        found["statuses"][0]["content"]
            .as_str()
            .unwrap()
            .contains("own thoughts")
    );
    // Without resolve, or without a user, nothing is fetched.
    let (_, none, _) = a
        .get_auth(&format!("/api/v2/search?q=@erin@{db}"), Some(&alice))
        .await;
    assert_eq!(none["accounts"].as_array().map(Vec::len), Some(0));
    b.create_account("frank").await;
    let (s, _, _) = a
        .get_auth(&format!("/api/v1/accounts/lookup?acct=frank@{db}"), None)
        .await;
    assert_eq!(s, 404, "anonymous look-ups find known accounts only");
    assert_eq!(
        lookup(&a, &alice, &format!("frank@{db}")).await["acct"],
        format!("frank@{db}")
    );
    let (s, _, _) = a
        .get_auth(&format!("/api/v1/accounts/lookup?acct=frank@{db}"), None)
        .await;
    assert_eq!(s, 200, "known now");
    // A followers-only post stored here for alice is not found by someone else searching it.
    let secret = post(
        &b,
        &carol,
        &[("status", "for followers"), ("visibility", "private")],
    )
    .await;
    eventually("carol's private post arrives", || async {
        find(&home(&a, &alice).await, "for followers").is_some()
    })
    .await;
    let zed = a.token("zed").await;
    let q = format!(
        "/api/v2/search?q={}&resolve=true",
        secret["uri"].as_str().unwrap()
    );
    let (_, as_zed, _) = a.get_auth(&q, Some(&zed)).await;
    assert_eq!(
        as_zed["statuses"].as_array().map(Vec::len),
        Some(0),
        "{as_zed}"
    );
    let (_, as_alice, _) = a.get_auth(&q, Some(&alice)).await;
    assert_eq!(
        as_alice["statuses"][0]["visibility"], "private",
        "{as_alice}"
    );

    // alice replies, favourites and boosts: bob hears of each.
    let reply = post(
        &a,
        &alice,
        &[
            ("status", &format!("@bob@{db} nice to meet you")),
            ("in_reply_to_id", &remote_id),
        ],
    )
    .await;
    assert_eq!(reply["mentions"][0]["acct"], format!("bob@{db}"));
    let (s, _) = a
        .post_auth(
            &format!("/api/v1/statuses/{remote_id}/favourite"),
            &alice,
            &[],
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = a
        .post_auth(&format!("/api/v1/statuses/{remote_id}/reblog"), &alice, &[])
        .await;
    assert_eq!(s, 200);
    let from = format!("alice@{da}");
    for kind in ["mention", "favourite", "reblog"] {
        eventually(&format!("bob gets a {kind} notification"), || async {
            has_notification(&b, &bob, kind, &from).await
        })
        .await;
    }
    let (_, original, _) = b
        .get_auth(
            &format!("/api/v1/statuses/{}", hello["id"].as_str().unwrap()),
            Some(&bob),
        )
        .await;
    assert_eq!(original["favourites_count"], 1);
    assert_eq!(original["reblogs_count"], 1);
    assert_eq!(original["replies_count"], 1);

    // bob edits; alice sees the new text. Then he deletes; it is gone on A.
    let (s, _) = b
        .client
        .put(b.url(&format!(
            "/api/v1/statuses/{}",
            hello["id"].as_str().unwrap()
        )))
        .bearer_auth(&bob)
        .form(&[("status", "hello again, edited")])
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(s, 200);
    eventually("alice sees the edit", || async {
        let (_, st, _) = a
            .get_auth(&format!("/api/v1/statuses/{remote_id}"), Some(&alice))
            .await;
        st["content"]
            .as_str()
            .unwrap_or_default()
            .contains("edited")
            && !st["edited_at"].is_null()
    })
    .await;
    let (s, _) = b
        .client
        .delete(b.url(&format!(
            "/api/v1/statuses/{}",
            hello["id"].as_str().unwrap()
        )))
        .bearer_auth(&bob)
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(s, 200);
    eventually("the deletion reaches A", || async {
        a.get_auth(&format!("/api/v1/statuses/{remote_id}"), Some(&alice))
            .await
            .0
            == 404
    })
    .await;

    // alice unfollows: B drops her from bob's followers; his next post is not sent to A.
    a.post_auth(&format!("/api/v1/accounts/{bob_id}/unfollow"), &alice, &[])
        .await;
    let bob_local = b.services.local_account("bob").await.unwrap().account.id;
    eventually("B forgets the follow", || async {
        let (_, list, _) = b
            .get_auth(
                &format!("/api/v1/accounts/{bob_local}/followers"),
                Some(&bob),
            )
            .await;
        list.as_array().is_some_and(Vec::is_empty)
    })
    .await;
    post(&b, &bob, &[("status", "after the unfollow")]).await;
    // Also a post that does reach A (carol is still followed), to know deliveries happened.
    post(&b, &carol, &[("status", "carol was here")]).await;
    eventually("carol's post arrives", || async {
        find(&home(&a, &alice).await, "carol was here").is_some()
    })
    .await;
    assert!(find(&home(&a, &alice).await, "after the unfollow").is_none());

    // Blocks stop delivery both ways: alice follows bob again, bob blocks her.
    a.post_auth(&format!("/api/v1/accounts/{bob_id}/follow"), &alice, &[])
        .await;
    eventually("alice follows bob again", || async {
        relationship(&a, &alice, &bob_id).await["following"] == true
    })
    .await;
    let (s, _) = b
        .post_auth(&format!("/api/v1/accounts/{alice_b_id}/block"), &bob, &[])
        .await;
    assert_eq!(s, 200);
    eventually("A learns of the block", || async {
        let r = relationship(&a, &alice, &bob_id).await;
        r["following"] == false && r["blocked_by"] == true
    })
    .await;
    post(&b, &bob, &[("status", "after the block")]).await;
    post(
        &a,
        &alice,
        &[("status", &format!("@bob@{db} are you there?"))],
    )
    .await;
    post(&b, &carol, &[("status", "carol again")]).await;
    eventually("carol's second post arrives", || async {
        find(&home(&a, &alice).await, "carol again").is_some()
    })
    .await;
    assert!(find(&home(&a, &alice).await, "after the block").is_none());
    // B received alice's mention (it is addressed to bob) but bob is not notified of it.
    let bob_mentions = notifications(&b, &bob).await;
    assert!(
        !bob_mentions.iter().any(|n| n["status"]["content"]
            .as_str()
            .unwrap_or_default()
            .contains("are you there")),
        "{bob_mentions:?}"
    );
}

on_every_backend!(two_instances_talk);

fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(k, x)| (k.as_str(), x.as_str())).collect()
}

/// The same over HTTPS only (as GoToSocial insists): each instance terminates TLS with a
/// certificate from its own test CA and trusts the other's through `federation.extra_ca_file`;
/// plain-HTTP WebFinger is not allowed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_over_https() {
    let dir = rookery_testkit::TempDir::new("rookery-fed-tls").unwrap();
    let (dir_a, dir_b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&dir_a).unwrap();
    std::fs::create_dir_all(&dir_b).unwrap();
    let certs_a = rookery_testkit::TestCerts::generate(&dir_a).unwrap();
    let certs_b = rookery_testkit::TestCerts::generate(&dir_b).unwrap();
    let bundle = dir.path().join("cas.pem");
    let mut pem = std::fs::read(&certs_a.ca).unwrap();
    pem.extend(std::fs::read(&certs_b.ca).unwrap());
    std::fs::write(&bundle, pem).unwrap();
    let bundle = bundle.to_str().unwrap().to_owned();
    let tls_env = |c: &rookery_testkit::TestCerts| {
        vec![
            ("ROOKERY_SERVER__HTTPS".to_owned(), "true".to_owned()),
            ("ROOKERY_FEDERATION__ALLOW_HTTP".into(), "false".into()),
            ("ROOKERY_FEDERATION__EXTRA_CA_FILE".into(), bundle.clone()),
            (
                "ROOKERY_SERVER__TLS_CERT".into(),
                c.server_cert.to_str().unwrap().to_owned(),
            ),
            (
                "ROOKERY_SERVER__TLS_KEY".into(),
                c.server_key.to_str().unwrap().to_owned(),
            ),
        ]
    };
    let (env_a, env_b) = (tls_env(&certs_a), tls_env(&certs_b));
    let backend = rookery_testkit::Backend::Sqlite;
    let a = spawn_federating(backend, &pairs(&env_a)).await;
    let b = spawn_federating(backend, &pairs(&env_b)).await;
    assert!(a.base.starts_with("https://"));
    let db = b.domain();
    let alice = a.token("alice").await;
    let bob = b.token("bob").await;
    let bob_on_a = lookup(&a, &alice, &format!("bob@{db}")).await;
    assert_eq!(bob_on_a["url"], format!("https://{db}/@bob"));
    let bob_id = bob_on_a["id"].as_str().unwrap().to_owned();
    a.post_auth(&format!("/api/v1/accounts/{bob_id}/follow"), &alice, &[])
        .await;
    eventually("alice follows bob over https", || async {
        relationship(&a, &alice, &bob_id).await["following"] == true
    })
    .await;
    post(&b, &bob, &[("status", "over TLS")]).await;
    eventually("the post arrives over https", || async {
        find(&home(&a, &alice).await, "over TLS").is_some()
    })
    .await;
}
