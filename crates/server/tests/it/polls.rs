//! Polls: made with a status (form and JSON), shown, voted in, closed by the job with `poll`
//! notifications, and bad input, on every engine.

use rookery_testkit::Backend;
use serde_json::{Value, json};

use crate::kit::{TestApp, eventually, on_every_backend, spawn_with};

on_every_backend!(
    polls_are_made_voted_and_closed,
    bad_polls_and_votes_are_refused,
    polls_are_edited_as_mastodon_edits_them
);

/// How many `poll` notifications `token`'s account has.
async fn poll_notices(app: &TestApp, token: &str) -> usize {
    let (_, list, _) = app.get_auth("/api/v1/notifications", Some(token)).await;
    list.as_array()
        .map_or(0, |l| l.iter().filter(|n| n["type"] == "poll").count())
}

async fn put_json(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    let r = app
        .client
        .put(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(Value::Null))
}

/// Edits keep votes while the options stay, void them when the options or the kind change,
/// move the end (the old end's job is void), add a poll, and take it away when none is sent.
async fn polls_are_edited_as_mastodon_edits_them(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let poll = |options: &[&str], expires_in: i64, multiple: bool| json!({"options": options, "expires_in": expires_in, "multiple": multiple});
    let (st, status) = post_json(
        &app,
        "/api/v1/statuses",
        &alice,
        json!({"status": "lunch?", "poll": poll(&["soup", "salad"], 600, false)}),
    )
    .await;
    assert_eq!(st, 200, "{status}");
    let sid = status["id"].as_str().unwrap().to_owned();
    let pid = status["poll"]["id"].as_str().unwrap().to_owned();
    let first_end = status["poll"]["expires_at"].as_str().unwrap().to_owned();
    let (st, _) = post_json(
        &app,
        &format!("/api/v1/polls/{pid}/votes"),
        &bob,
        json!({"choices": [1]}),
    )
    .await;
    assert_eq!(st, 200);
    let edit = format!("/api/v1/statuses/{sid}");

    // Same options, longer: the vote stays, the end moves.
    let (st, edited) = put_json(
        &app,
        &edit,
        &alice,
        json!({"status": "lunch? (edited)", "poll": poll(&["soup", "salad"], 7200, false)}),
    )
    .await;
    assert_eq!(st, 200, "{edited}");
    assert_eq!(edited["poll"]["id"], pid.as_str());
    assert_eq!(edited["poll"]["options"][1]["votes_count"], 1);
    assert_ne!(edited["poll"]["expires_at"], first_end.as_str());
    assert!(edited["edited_at"].is_string());

    // Other options: votes are void, bob may vote again.
    let (st, edited) = put_json(
        &app,
        &edit,
        &alice,
        json!({"status": "lunch?", "poll": poll(&["soup", "salad", "pie"], 7200, false)}),
    )
    .await;
    assert_eq!(st, 200, "{edited}");
    assert_eq!(edited["poll"]["votes_count"], 0);
    assert_eq!(edited["poll"]["options"].as_array().map(Vec::len), Some(3));
    let (_, seen, _) = app
        .get_auth(&format!("/api/v1/polls/{pid}"), Some(&bob))
        .await;
    assert_eq!(
        (seen["voted"].clone(), seen["own_votes"].clone()),
        (json!(false), json!([]))
    );
    let (st, _) = post_json(
        &app,
        &format!("/api/v1/polls/{pid}/votes"),
        &bob,
        json!({"choices": [2]}),
    )
    .await;
    assert_eq!(st, 200);

    // A bad poll in an edit is refused, and nothing changes.
    let (st, body) = put_json(
        &app,
        &edit,
        &alice,
        json!({"status": "changed", "poll": poll(&["only one"], 600, false)}),
    )
    .await;
    assert_eq!(st, 422, "{body}");
    let (_, now, _) = app
        .get_auth(&format!("/api/v1/statuses/{sid}"), Some(&alice))
        .await;
    assert_eq!(now["poll"]["votes_count"], 1);
    assert!(!now["content"].as_str().unwrap().contains("changed"));

    // The jobs queued for the earlier end wait for the new one; once it has come, bob is
    // told once.
    app.sql("UPDATE jobs SET run_at = 1 WHERE kind = 'poll_expired'")
        .await;
    eventually("the early job waits for the new end", || async {
        let jobs = app
            .sql_texts("SELECT CAST(run_at AS TEXT) FROM jobs WHERE kind = 'poll_expired'")
            .await;
        jobs.len() == 1 && jobs[0] != "1"
    })
    .await;
    assert_eq!(poll_notices(&app, &bob).await, 0);
    app.sql("UPDATE polls SET expires_at = 1").await;
    app.sql("UPDATE jobs SET run_at = 1 WHERE kind = 'poll_expired'")
        .await;
    eventually("bob is told the poll ended", || async {
        poll_notices(&app, &bob).await == 1
    })
    .await;
    // Opened again by an edit: its new end is waited for again.
    let (st, edited) = put_json(
        &app,
        &edit,
        &alice,
        json!({"status": "lunch, again", "poll": poll(&["soup", "salad", "pie"], 600, false)}),
    )
    .await;
    assert_eq!(st, 200, "{edited}");
    assert_eq!(edited["poll"]["expired"], false);
    eventually("a job waits for the new end", || async {
        app.sql_texts("SELECT payload FROM jobs WHERE kind = 'poll_expired'")
            .await
            .len()
            == 1
    })
    .await;

    // Without a poll, an edit takes it away; another edit adds a new one.
    let (st, edited) = put_json(&app, &edit, &alice, json!({"status": "no poll now"})).await;
    assert_eq!(st, 200, "{edited}");
    assert_eq!(edited["poll"], Value::Null);
    let (st, _, _) = app
        .get_auth(&format!("/api/v1/polls/{pid}"), Some(&bob))
        .await;
    assert_eq!(st, 404);
    let (st, edited) = put_json(
        &app,
        &edit,
        &alice,
        json!({"status": "a poll again", "poll": poll(&["yes", "no"], 300, true)}),
    )
    .await;
    assert_eq!(st, 200, "{edited}");
    assert_eq!(edited["poll"]["multiple"], true);
    assert_ne!(edited["poll"]["id"], pid.as_str());
}

async fn post_json(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(Value::Null))
}

async fn polls_are_made_voted_and_closed(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let carol = app.token("carol").await;

    // A form poll, with Mastodon.py's string booleans.
    let (st, status) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[
                ("status", "tea or coffee?"),
                ("poll[options][]", "tea"),
                ("poll[options][]", "coffee"),
                ("poll[expires_in]", "600"),
                ("poll[multiple]", "False"),
                ("poll[hide_totals]", "0"),
            ],
        )
        .await;
    assert_eq!(st, 200, "{status}");
    let poll = &status["poll"];
    let pid = poll["id"].as_str().unwrap().to_owned();
    assert_eq!(poll["expired"], false);
    assert_eq!(poll["multiple"], false);
    assert_eq!(poll["votes_count"], 0);
    assert_eq!(poll["voters_count"], Value::Null);
    assert_eq!(
        poll["options"],
        json!([{"title": "tea", "votes_count": 0}, {"title": "coffee", "votes_count": 0}])
    );
    assert_eq!(poll["emojis"], json!([]));
    assert_eq!(poll["voted"], true, "the author counts as voted");
    assert_eq!(poll["own_votes"], json!([]));
    assert!(poll["expires_at"].is_string());

    let (st, seen, _) = app
        .get_auth(&format!("/api/v1/polls/{pid}"), Some(&bob))
        .await;
    assert_eq!(st, 200);
    assert_eq!(
        (seen["voted"].clone(), seen["own_votes"].clone()),
        (json!(false), json!([]))
    );
    // Without a token: no voted/own_votes.
    let (st, anon, _) = app.get_auth(&format!("/api/v1/polls/{pid}"), None).await;
    assert_eq!(st, 200);
    assert!(
        anon.get("voted").is_none() && anon.get("own_votes").is_none(),
        "{anon}"
    );

    let vote = format!("/api/v1/polls/{pid}/votes");
    let (st, after) = app.post_auth(&vote, &bob, &[("choices[]", "1")]).await;
    assert_eq!(st, 200, "{after}");
    assert_eq!(after["votes_count"], 1);
    assert_eq!(after["options"][1]["votes_count"], 1);
    assert_eq!(
        (after["voted"].clone(), after["own_votes"].clone()),
        (json!(true), json!([1]))
    );
    // Once only; one choice in a single-choice poll; a real option.
    let (st, again) = app.post_auth(&vote, &bob, &[("choices[]", "0")]).await;
    assert_eq!(st, 422, "{again}");
    assert!(
        again["error"].as_str().unwrap().contains("already voted"),
        "{again}"
    );
    let (st, _) = app
        .post_auth(&vote, &carol, &[("choices[]", "0"), ("choices[]", "1")])
        .await;
    assert_eq!(st, 422);
    assert_eq!(
        app.post_auth(&vote, &carol, &[("choices[]", "2")]).await.0,
        422
    );
    assert_eq!(
        app.post_auth(&vote, &carol, &[("choices[]", "x")]).await.0,
        422
    );
    assert_eq!(app.post_auth(&vote, &carol, &[]).await.0, 422);
    assert_eq!(
        app.post_auth(&vote, &carol, &[("choices[]", "0")]).await.0,
        200
    );
    // The status shows the poll to each viewer.
    let sid = status["id"].as_str().unwrap();
    let (_, as_bob, _) = app
        .get_auth(&format!("/api/v1/statuses/{sid}"), Some(&bob))
        .await;
    assert_eq!(as_bob["poll"]["own_votes"], json!([1]));
    assert_eq!(as_bob["poll"]["votes_count"], 2);

    // A JSON poll: several choices, totals hidden from voters until the end.
    let (st, multi) = post_json(
        &app,
        "/api/v1/statuses",
        &alice,
        json!({"status": "pick any", "poll": {"options": ["x", "y", "z"], "expires_in": 3600,
               "multiple": true, "hide_totals": true}}),
    )
    .await;
    assert_eq!(st, 200, "{multi}");
    let mid = multi["poll"]["id"].as_str().unwrap().to_owned();
    let (st, voted) = post_json(
        &app,
        &format!("/api/v1/polls/{mid}/votes"),
        &carol,
        json!({"choices": ["0", 2]}),
    )
    .await;
    assert_eq!(st, 200, "{voted}");
    assert_eq!(voted["voters_count"], 1);
    assert_eq!(voted["votes_count"], 2);
    assert_eq!(voted["own_votes"], json!([0, 2]));
    // In a multiple-choice poll a voter may add choices later, never the same one twice.
    let (st, more) = post_json(
        &app,
        &format!("/api/v1/polls/{mid}/votes"),
        &carol,
        json!({"choices": [1]}),
    )
    .await;
    assert_eq!(st, 200, "{more}");
    assert_eq!(more["own_votes"], json!([0, 2, 1]));
    assert_eq!(
        (more["voters_count"].clone(), more["votes_count"].clone()),
        (json!(1), json!(3))
    );
    let (st, _) = post_json(
        &app,
        &format!("/api/v1/polls/{mid}/votes"),
        &carol,
        json!({"choices": [2]}),
    )
    .await;
    assert_eq!(st, 422);
    assert_eq!(
        voted["options"][0]["votes_count"],
        Value::Null,
        "totals hidden"
    );
    let (_, for_author, _) = app
        .get_auth(&format!("/api/v1/polls/{mid}"), Some(&alice))
        .await;
    assert_eq!(
        for_author["options"][2]["votes_count"],
        Value::Null,
        "the author too"
    );
    assert_eq!(for_author["votes_count"], 3);

    // The end: the job tells voters and the author; votes are refused after.
    app.sql("UPDATE polls SET expires_at = 1").await;
    app.sql("UPDATE jobs SET run_at = 1 WHERE kind = 'poll_expired'")
        .await;
    for (who, token) in [("alice", &alice), ("bob", &bob), ("carol", &carol)] {
        eventually(&format!("{who}'s poll notification"), || async {
            let (_, n, _) = app
                .get_auth("/api/v1/notifications?types[]=poll", Some(token))
                .await;
            n.as_array().is_some_and(|l| {
                l.iter()
                    .any(|x| x["type"] == "poll" && x["status"]["poll"]["id"] == pid.as_str())
            })
        })
        .await;
    }
    let (_, ended, _) = app
        .get_auth(&format!("/api/v1/polls/{mid}"), Some(&bob))
        .await;
    assert_eq!(ended["expired"], true);
    assert_eq!(
        ended["options"][2]["votes_count"], 1,
        "totals shown at the end"
    );
    let (st, late) = app.post_auth(&vote, &alice, &[("choices[]", "0")]).await;
    assert_eq!(st, 422);
    assert!(late["error"].as_str().unwrap().contains("ended"), "{late}");
}

async fn bad_polls_and_votes_are_refused(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    for poll in [
        json!({"options": ["only"], "expires_in": 600}),
        json!({"options": ["a", "b", "c", "d", "e"], "expires_in": 600}),
        json!({"options": ["same", "Same"], "expires_in": 600}),
        json!({"options": ["a", "b".repeat(51)], "expires_in": 600}),
        json!({"options": ["a", ""], "expires_in": 600}),
        json!({"options": ["a", "b"], "expires_in": 299}),
        json!({"options": ["a", "b"], "expires_in": 2_629_747}),
        json!({"options": ["a", "b"]}),
        json!({"options": ["a", "b"], "expires_in": "soon"}),
        json!({"options": "a", "expires_in": 600}),
        json!({"options": [["a"], "b"], "expires_in": 600}),
        json!({"options": ["a", "b"], "expires_in": 600, "multiple": "perhaps"}),
        json!("a poll"),
    ] {
        let (st, v) = post_json(
            &app,
            "/api/v1/statuses",
            &alice,
            json!({"status": "poll?", "poll": poll}),
        )
        .await;
        assert_eq!(st, 422, "{poll} -> {v}");
        assert!(
            v["error"]
                .as_str()
                .unwrap()
                .starts_with("Validation failed"),
            "{v}"
        );
    }
    // Nothing was posted.
    let alice_id = app.account_id("alice").await;
    let (_, mine, _) = app
        .get_auth(
            &format!("/api/v1/accounts/{alice_id}/statuses"),
            Some(&alice),
        )
        .await;
    assert_eq!(mine, json!([]));
    // Unknown polls, and polls of statuses one cannot see, are 404.
    assert_eq!(app.get_auth("/api/v1/polls/123", Some(&bob)).await.0, 404);
    assert_eq!(
        app.get_auth("/api/v1/polls/nonsense", Some(&bob)).await.0,
        404
    );
    let (st, private) = post_json(
        &app,
        "/api/v1/statuses",
        &alice,
        json!({"status": "just me", "visibility": "direct",
               "poll": {"options": ["a", "b"], "expires_in": 600}}),
    )
    .await;
    assert_eq!(st, 200);
    let hidden = private["poll"]["id"].as_str().unwrap();
    assert_eq!(
        app.get_auth(&format!("/api/v1/polls/{hidden}"), Some(&bob))
            .await
            .0,
        404
    );
    assert_eq!(
        app.post_auth(
            &format!("/api/v1/polls/{hidden}/votes"),
            &bob,
            &[("choices[]", "0")]
        )
        .await
        .0,
        404
    );
    assert_eq!(
        app.post_auth("/api/v1/polls/123/votes", &bob, &[("choices[]", "0")])
            .await
            .0,
        404
    );
}
