//! Polls between two live instances: a poll posted on either side is seen on the other as a
//! poll, votes cast on either side are counted once by the poll's server and travel back as
//! tallies, and the end of the poll reaches the other side with its final tallies and a `poll`
//! notification for the voters there.

use serde_json::{Value, json};

use crate::kit::{TestApp, eventually, on_every_backend, spawn_federating};

async fn follow(app: &TestApp, token: &str, acct: &str) {
    let (s, account, _) = app
        .get_auth(&format!("/api/v1/accounts/lookup?acct={acct}"), Some(token))
        .await;
    assert_eq!(s, 200, "{account}");
    let id = account["id"].as_str().unwrap().to_owned();
    let (s, body) = app
        .post_auth(&format!("/api/v1/accounts/{id}/follow"), token, &[])
        .await;
    assert_eq!(s, 200, "{body}");
    eventually(&format!("following {acct}"), || async {
        let (_, rel, _) = app
            .get_auth(
                &format!("/api/v1/accounts/relationships?id[]={id}"),
                Some(token),
            )
            .await;
        rel[0]["following"] == true
    })
    .await;
}

async fn post_poll(app: &TestApp, token: &str, text: &str, options: &[&str]) -> Value {
    let (s, body) = app
        .post_json_auth(
            "/api/v1/statuses",
            token,
            &json!({"status": text, "poll": {"options": options, "expires_in": 600}}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    body
}

/// The status containing `text` in `token`'s home timeline.
async fn in_home(app: &TestApp, token: &str, text: &str) -> Option<Value> {
    let (s, list, _) = app.get_auth("/api/v1/timelines/home", Some(token)).await;
    assert_eq!(s, 200);
    list.as_array()?
        .iter()
        .find(|x| x["content"].as_str().unwrap_or_default().contains(text))
        .cloned()
}

async fn poll(app: &TestApp, token: &str, id: &str) -> Value {
    let (s, body, _) = app
        .get_auth(&format!("/api/v1/polls/{id}"), Some(token))
        .await;
    assert_eq!(s, 200, "{body}");
    body
}

fn tallies(poll: &Value) -> Vec<i64> {
    poll["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["votes_count"].as_i64().unwrap_or(-1))
        .collect()
}

async fn vote(app: &TestApp, token: &str, id: &str, choice: usize) -> Value {
    let (s, body) = app
        .post_json_auth(
            &format!("/api/v1/polls/{id}/votes"),
            token,
            &json!({"choices": [choice]}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    body
}

/// Ends every poll of `app` now and runs the jobs waiting for their end.
async fn end_polls(app: &TestApp) {
    app.sql("UPDATE polls SET expires_at = 1").await;
    app.sql("UPDATE jobs SET run_at = 1 WHERE kind = 'poll_expired'")
        .await;
}

async fn polls_travel_both_ways(backend: rookery_testkit::Backend) {
    let a = spawn_federating(backend, &[]).await;
    let b = spawn_federating(backend, &[]).await;
    let (da, db) = (a.domain(), b.domain());
    let alice = a.token("alice").await;
    let bob = b.token("bob").await;
    let carol = b.token("carol").await;
    follow(&a, &alice, &format!("bob@{db}")).await;
    follow(&b, &bob, &format!("alice@{da}")).await;

    // bob's poll on B reaches alice on A as a poll.
    let asked = post_poll(&b, &bob, "tea or coffee?", &["tea", "coffee"]).await;
    let b_poll = asked["poll"]["id"].as_str().unwrap().to_owned();
    eventually("bob's poll on A", || async {
        in_home(&a, &alice, "tea or coffee").await.is_some()
    })
    .await;
    let seen = in_home(&a, &alice, "tea or coffee").await.unwrap();
    let a_poll = seen["poll"]["id"].as_str().unwrap().to_owned();
    assert_eq!(seen["poll"]["options"][0]["title"], "tea");
    assert_eq!(seen["poll"]["options"][1]["title"], "coffee");
    assert_eq!(seen["poll"]["multiple"], false);
    assert_eq!(seen["poll"]["expired"], false);
    assert!(seen["poll"]["expires_at"].is_string());
    assert_eq!(tallies(&seen["poll"]), vec![0, 0]);

    // alice votes on A: counted at once there, and once on B.
    let mine = vote(&a, &alice, &a_poll, 1).await;
    assert_eq!(mine["voted"], true);
    assert_eq!(mine["own_votes"], json!([1]));
    assert_eq!(tallies(&mine), vec![0, 1]);
    eventually("alice's vote counted on B", || async {
        tallies(&poll(&b, &bob, &b_poll).await) == vec![0, 1]
    })
    .await;
    // A vote twice is refused on A; nothing more reaches B.
    let (s, _) = a
        .post_json_auth(
            &format!("/api/v1/polls/{a_poll}/votes"),
            &alice,
            &json!({"choices": [0]}),
        )
        .await;
    assert_eq!(s, 422);

    // carol votes on B: A learns the new tallies from the Update.
    vote(&b, &carol, &b_poll, 0).await;
    for _ in 0..500 {
        if tallies(&poll(&a, &alice, &a_poll).await) == vec![1, 1] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    if tallies(&poll(&a, &alice, &a_poll).await) != vec![1, 1] {
        let q = "SELECT kind || ' ' || state || ' ' || CAST(attempts AS TEXT) || ' ' || COALESCE(unique_key, '-') || ' ' || COALESCE(last_error, '-') || ' ' || payload FROM jobs";
        panic!(
            "carol's vote did not reach A: A {:?} B {:?}\nA jobs {:#?}\nB jobs {:#?}",
            poll(&a, &alice, &a_poll).await,
            poll(&b, &bob, &b_poll).await,
            a.sql_texts(q).await,
            b.sql_texts(q).await
        );
    }
    assert_eq!(poll(&a, &alice, &a_poll).await["own_votes"], json!([1]));

    // The poll ends on B; A sees it closed with the final tallies and tells alice.
    end_polls(&b).await;
    eventually("the end of the poll reaches A", || async {
        let p = poll(&a, &alice, &a_poll).await;
        p["expired"] == true && tallies(&p) == vec![1, 1]
    })
    .await;
    end_polls(&a).await;
    eventually("alice is told the poll ended", || async {
        let (_, list, _) = a.get_auth("/api/v1/notifications", Some(&alice)).await;
        list.as_array()
            .is_some_and(|l| l.iter().any(|n| n["type"] == "poll"))
    })
    .await;

    // The other way: alice's multiple-choice poll on A, voted by bob on B.
    let (s, asked) = a
        .post_json_auth(
            "/api/v1/statuses",
            &alice,
            &json!({"status": "which days?", "poll": {"options": ["mon", "tue", "wed"],
                    "expires_in": 600, "multiple": true}}),
        )
        .await;
    assert_eq!(s, 200, "{asked}");
    let alice_poll = asked["poll"]["id"].as_str().unwrap().to_owned();
    eventually("alice's poll on B", || async {
        in_home(&b, &bob, "which days").await.is_some()
    })
    .await;
    let seen = in_home(&b, &bob, "which days").await.unwrap();
    assert_eq!(seen["poll"]["multiple"], true);
    let remote = seen["poll"]["id"].as_str().unwrap().to_owned();
    let (s, voted) = b
        .post_json_auth(
            &format!("/api/v1/polls/{remote}/votes"),
            &bob,
            &json!({"choices": [0, 2]}),
        )
        .await;
    assert_eq!(s, 200, "{voted}");
    eventually("bob's votes counted on A", || async {
        let p = poll(&a, &alice, &alice_poll).await;
        tallies(&p) == vec![1, 0, 1] && p["voters_count"] == 1
    })
    .await;
    eventually("A's tallies back on B", || async {
        let p = poll(&b, &bob, &remote).await;
        tallies(&p) == vec![1, 0, 1] && p["voters_count"] == 1
    })
    .await;
}

on_every_backend!(polls_travel_both_ways);
