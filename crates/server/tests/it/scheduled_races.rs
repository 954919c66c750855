//! Scheduled statuses under concurrent requests: an upload goes to one post or one scheduled
//! status, never both; the waiting and daily limits and the Idempotency-Key hold when many
//! requests arrive at once — on every engine.

use futures_util::future::join_all;
use rookery_testkit::Backend;
use serde_json::Value;

use crate::kit::{TestApp, on_every_backend, spawn_with};
use crate::media::{files::make_png, processed, upload};

on_every_backend!(
    uploads_are_claimed_by_one_post_or_schedule_only,
    schedule_limits_and_idempotency_hold_under_concurrency
);

async fn send(
    app: &TestApp,
    token: &str,
    form: Vec<(String, String)>,
    key: Option<&str>,
) -> (u16, Value) {
    let mut r = app
        .client
        .post(app.url("/api/v1/statuses"))
        .bearer_auth(token)
        .form(&form);
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    let r = r.send().await.unwrap();
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(Value::Null))
}

fn later(app: &TestApp, ms: i64) -> String {
    app.services.clock.now().plus_millis(ms).to_rfc3339()
}

fn form(text: &str, media: Option<&str>, at: Option<&str>) -> Vec<(String, String)> {
    let mut f = vec![("status".to_owned(), text.to_owned())];
    if let Some(m) = media {
        f.push(("media_ids[]".to_owned(), m.to_owned()));
    }
    if let Some(at) = at {
        f.push(("scheduled_at".to_owned(), at.to_owned()));
    }
    f
}

async fn count(app: &TestApp, query: &str) -> usize {
    app.sql_texts(query).await[0].parse().unwrap()
}

async fn uploads_are_claimed_by_one_post_or_schedule_only(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;

    // An unknown upload: Mastodon's own 422 text.
    let (st, body) = send(&app, &alice, form("x", Some("123456789"), None), None).await;
    assert_eq!(st, 422, "{body}");
    assert_eq!(
        body["error"],
        "Media 123456789 not found or already attached to another post"
    );

    // Each upload asked for by a post and a scheduled status at once: one of them gets it.
    let mut media = Vec::new();
    for _ in 0..6 {
        let (st, m) = upload(&app, &alice, "a.png", make_png(8, 8), &[]).await;
        assert!(st == 200 || st == 202, "{st} {m}");
        let id = m["id"].as_str().unwrap().to_owned();
        processed(&app, &alice, &id).await;
        media.push(id);
    }
    let at = later(&app, 3_600_000);
    let mut requests = Vec::new();
    for m in &media {
        requests.push(send(&app, &alice, form("later", Some(m), Some(&at)), None));
        requests.push(send(&app, &alice, form("now", Some(m), None), None));
    }
    let answers = join_all(requests).await;
    for pair in answers.chunks(2) {
        let ok = pair.iter().filter(|(st, _)| *st == 200).count();
        assert_eq!(ok, 1, "exactly one claim succeeds: {pair:?}");
        for (st, body) in pair {
            if *st != 200 {
                assert_eq!(*st, 422, "{body}");
                let text = body["error"].as_str().unwrap_or_default();
                assert!(text.contains("not found or already attached"), "{body}");
            }
        }
    }
    let both = count(
        &app,
        "SELECT CAST(COUNT(*) AS TEXT) FROM media_attachments m \
         JOIN scheduled_status_media h ON h.media_id = m.id WHERE m.status_id IS NOT NULL",
    )
    .await;
    assert_eq!(both, 0, "no upload is both posted and held");
}

async fn schedule_limits_and_idempotency_hold_under_concurrency(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let alice_id = app.account_id("alice").await;
    let now = app.services.clock.now().as_millis();
    const DAY: i64 = 86_400_000;

    // 24 on one day far ahead: five more for that day at once, one is kept.
    let day = (now + 40 * DAY).div_euclid(DAY) * DAY;
    let rows: Vec<String> = (0..24)
        .map(|i| {
            format!(
                "({}, {alice_id}, {}, '{{\"text\":\"x\"}}', {now})",
                1000 + i,
                day + i * 60_000
            )
        })
        .collect();
    app.sql(&format!(
        "INSERT INTO scheduled_statuses (id, account_id, scheduled_at, params, created_at) VALUES {}",
        rows.join(", ")
    ))
    .await;
    let at = rookery_model::Timestamp::from_millis(day + 12 * 3_600_000).to_rfc3339();
    let answers = join_all((0..5).map(|i| {
        send(
            &app,
            &alice,
            form(&format!("day {i}"), None, Some(&at)),
            None,
        )
    }))
    .await;
    let ok = answers.iter().filter(|(st, _)| *st == 200).count();
    assert_eq!(ok, 1, "{answers:?}");
    let that_day = format!(
        "SELECT CAST(COUNT(*) AS TEXT) FROM scheduled_statuses WHERE scheduled_at >= {day} \
         AND scheduled_at < {}",
        day + DAY
    );
    assert_eq!(count(&app, &that_day).await, 25);

    // 299 waiting in all (spread over days): five at once, one is kept.
    let rows: Vec<String> = (0..274)
        .map(|i| {
            format!(
                "({}, {alice_id}, {}, '{{\"text\":\"x\"}}', {now})",
                2000 + i,
                now + (50 + i / 20) * DAY
            )
        })
        .collect();
    app.sql(&format!(
        "INSERT INTO scheduled_statuses (id, account_id, scheduled_at, params, created_at) VALUES {}",
        rows.join(", ")
    ))
    .await;
    let total = "SELECT CAST(COUNT(*) AS TEXT) FROM scheduled_statuses";
    assert_eq!(count(&app, total).await, 299);
    let at = later(&app, 3_600_000);
    let answers = join_all((0..5).map(|i| {
        send(
            &app,
            &alice,
            form(&format!("total {i}"), None, Some(&at)),
            None,
        )
    }))
    .await;
    let ok = answers.iter().filter(|(st, _)| *st == 200).count();
    assert_eq!(ok, 1, "{answers:?}");
    assert_eq!(count(&app, total).await, 300);

    // The same Idempotency-Key five times at once: one scheduled status, the same answer.
    app.sql(&format!(
        "DELETE FROM scheduled_statuses WHERE id < 3000 AND account_id = {alice_id}"
    ))
    .await;
    let before = count(&app, total).await;
    let answers =
        join_all((0..5).map(|_| send(&app, &alice, form("once", None, Some(&at)), Some("key-1"))))
            .await;
    for (st, body) in &answers {
        assert_eq!(*st, 200, "{body}");
        assert_eq!(body["id"], answers[0].1["id"], "{answers:?}");
        assert_eq!(body["params"]["text"], "once");
    }
    assert_eq!(count(&app, total).await, before + 1);
    // Retried later, still the same one.
    let (st, again) = send(&app, &alice, form("once", None, Some(&at)), Some("key-1")).await;
    assert_eq!((st, &again["id"]), (200, &answers[0].1["id"]));
}
