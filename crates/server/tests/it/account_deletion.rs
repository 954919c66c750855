//! Deleting one's own account from the settings page: the password is asked for, the account
//! closes at once, and a job leaves no row of it behind (counted in every table of the schema)
//! but the emptied account that keeps the username; other servers are told.

use std::collections::BTreeMap;

use rookery_testkit::Backend;
use serde_json::Value;

use crate::browser::Browser;
use crate::kit::{TestApp, eventually, on_every_backend, spawn_federating, spawn_with};
use crate::media::{make_png, stored_files, upload};

on_every_backend!(deleting_an_account_leaves_nothing_behind);

/// Rows in every table of the schema.
async fn table_counts(app: &TestApp, backend: Backend) -> BTreeMap<String, i64> {
    let tables = match backend {
        Backend::Sqlite => {
            app.sql_texts(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .await
        }
        _ => {
            app.sql_texts(
                "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
            )
            .await
        }
    };
    assert!(tables.len() > 50, "{tables:?}");
    let mut counts = BTreeMap::new();
    for t in tables {
        let n = app
            .sql_texts(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM {t}"))
            .await;
        counts.insert(t, n[0].parse::<i64>().unwrap());
    }
    counts
}

/// The tables whose row counts differ, with the difference.
fn grown(before: &BTreeMap<String, i64>, after: &BTreeMap<String, i64>) -> BTreeMap<String, i64> {
    after
        .iter()
        .filter_map(|(t, n)| {
            let d = n - before.get(t).copied().unwrap_or(0);
            (d != 0).then(|| (t.clone(), d))
        })
        .collect()
}

async fn ok(app: &TestApp, token: &str, path: &str, form: &[(&str, &str)]) -> Value {
    let (s, body) = app.post_auth(path, token, form).await;
    assert_eq!(s, 200, "{path}: {body}");
    body
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// Creates a confirmed, approved local account.
async fn create(
    app: &TestApp,
    username: &str,
    email: &str,
) -> rookery_service::Result<rookery_service::CreatedAccount> {
    app.services
        .create_local_account(rookery_service::NewLocalAccount {
            username: username.into(),
            email: email.into(),
            password: Some("a good password".into()),
            role: rookery_model::Role::User,
            confirmed: true,
            approved: true,
            send_confirmation: false,
        })
        .await
}

async fn deleting_an_account_leaves_nothing_behind(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_RATE_LIMITS__ENABLED", "false")]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let hello = ok(&app, &alice, "/api/v1/statuses", &[("status", "hello")]).await;
    let poll = ok(
        &app,
        &alice,
        "/api/v1/statuses",
        &[
            ("status", "which?"),
            ("poll[options][]", "one"),
            ("poll[options][]", "two"),
            ("poll[expires_in]", "3600"),
        ],
    )
    .await;
    let alices_list = ok(&app, &alice, "/api/v1/lists", &[("title", "people")]).await;
    ok(&app, &bob, "/api/v1/statuses", &[("status", "bob here")]).await;
    let alice_id = app.account_id("alice").await;
    let bob_id = app.account_id("bob").await;
    let media_before = stored_files(&app);
    // The first form anywhere makes the instance's form key (a row of its own).
    assert_eq!(Browser::new(&app).get("/auth/sign_in").await.status, 200);
    let counts_before = table_counts(&app, backend).await;

    // Carol uses everything there is, and others act on her.
    let carol = app.token("carol").await;
    let carol_id = app.account_id("carol").await;
    let (s, media) = upload(&app, &carol, "a.png", make_png(32, 32), &[]).await;
    assert_eq!(s, 200, "{media}");
    let mine = ok(
        &app,
        &carol,
        "/api/v1/statuses",
        &[
            ("status", "hi @alice #leaving"),
            ("media_ids[]", media["id"].as_str().unwrap()),
        ],
    )
    .await;
    let hello_id = id(&hello);
    ok(
        &app,
        &carol,
        "/api/v1/statuses",
        &[("status", "@alice a reply"), ("in_reply_to_id", &hello_id)],
    )
    .await;
    ok(
        &app,
        &carol,
        "/api/v1/statuses",
        &[("status", "@alice just us"), ("visibility", "direct")],
    )
    .await;
    ok(
        &app,
        &carol,
        "/api/v1/statuses",
        &[
            ("status", "mine?"),
            ("poll[options][]", "yes"),
            ("poll[options][]", "no"),
            ("poll[expires_in]", "3600"),
        ],
    )
    .await;
    ok(
        &app,
        &carol,
        "/api/v1/statuses",
        &[
            ("status", "later"),
            ("scheduled_at", "2099-01-01T00:00:00Z"),
        ],
    )
    .await;
    let poll_id = poll["poll"]["id"].as_str().unwrap().to_owned();
    ok(
        &app,
        &carol,
        &format!("/api/v1/polls/{poll_id}/votes"),
        &[("choices[]", "0")],
    )
    .await;
    for action in ["favourite", "reblog", "bookmark"] {
        ok(
            &app,
            &carol,
            &format!("/api/v1/statuses/{hello_id}/{action}"),
            &[],
        )
        .await;
    }
    ok(
        &app,
        &carol,
        &format!("/api/v1/accounts/{alice_id}/follow"),
        &[],
    )
    .await;
    ok(
        &app,
        &carol,
        &format!("/api/v1/accounts/{alice_id}/pin"),
        &[],
    )
    .await;
    ok(
        &app,
        &carol,
        &format!("/api/v1/accounts/{alice_id}/note"),
        &[("comment", "met at the market")],
    )
    .await;
    ok(
        &app,
        &carol,
        &format!("/api/v1/accounts/{bob_id}/mute"),
        &[],
    )
    .await;
    ok(
        &app,
        &carol,
        &format!("/api/v1/accounts/{bob_id}/block"),
        &[],
    )
    .await;
    ok(
        &app,
        &carol,
        "/api/v1/domain_blocks",
        &[("domain", "spam.example")],
    )
    .await;
    let list = ok(&app, &carol, "/api/v1/lists", &[("title", "friends")]).await;
    ok(
        &app,
        &carol,
        &format!("/api/v1/lists/{}/accounts", id(&list)),
        &[("account_ids[]", &alice_id)],
    )
    .await;
    ok(
        &app,
        &carol,
        "/api/v2/filters",
        &[
            ("title", "no spoilers"),
            ("context[]", "home"),
            ("keywords_attributes[][keyword]", "finale"),
        ],
    )
    .await;
    ok(
        &app,
        &carol,
        "/api/v1/markers",
        &[("home[last_read_id]", &hello_id)],
    )
    .await;
    ok(
        &app,
        &carol,
        "/api/v1/featured_tags",
        &[("name", "leaving")],
    )
    .await;
    ok(&app, &carol, "/api/v1/tags/leaving/follow", &[]).await;
    let mine_id = id(&mine);
    ok(
        &app,
        &alice,
        &format!("/api/v1/accounts/{carol_id}/follow"),
        &[],
    )
    .await;
    ok(
        &app,
        &alice,
        &format!("/api/v1/lists/{}/accounts", id(&alices_list)),
        &[("account_ids[]", &carol_id)],
    )
    .await;
    for action in ["favourite", "reblog", "bookmark"] {
        ok(
            &app,
            &alice,
            &format!("/api/v1/statuses/{mine_id}/{action}"),
            &[],
        )
        .await;
    }
    let alices_reply = ok(
        &app,
        &alice,
        "/api/v1/statuses",
        &[("status", "@carol welcome"), ("in_reply_to_id", &mine_id)],
    )
    .await;
    let (s, hello_now, _) = app
        .get_auth(&format!("/api/v1/statuses/{hello_id}"), Some(&alice))
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        (
            &hello_now["favourites_count"],
            &hello_now["reblogs_count"],
            &hello_now["replies_count"]
        ),
        (&Value::from(1), &Value::from(1), &Value::from(1))
    );

    // Carol signs in to the pages, with a second browser session as well.
    let mut browser = Browser::new(&app);
    browser.sign_in("carol@example.com").await;
    let mut other = Browser::new(&app);
    other.agent = "Mozilla/5.0 (Macintosh) Safari/605";
    other.sign_in("carol").await;

    // Carol takes her archive first: a file in storage besides her media.
    let page = browser
        .submit("/settings/export", "/settings/export/archive", &[])
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    eventually("the archive is built", || async {
        app.sql_texts("SELECT state FROM account_archives").await == ["ready"]
    })
    .await;
    assert!(
        stored_files(&app).iter().any(|f| f.starts_with("backups/")),
        "{:?}",
        stored_files(&app)
    );

    // A post without the form's token, and a wrong password, change nothing.
    let page = browser
        .post("/settings/delete", &[("password", "a good password")])
        .await;
    assert_eq!(page.status, 403, "{}", page.html);
    let page = browser
        .submit(
            "/settings/delete",
            "/settings/delete",
            &[("password", "not my password")],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert!(page.html.contains("password is not right"), "{}", page.html);
    let (s, _, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(&carol))
        .await;
    assert_eq!(s, 200);

    // With the password: closed at once, everywhere.
    let page = browser.get("/settings/delete").await;
    assert!(page.html.contains("cannot be undone"), "{}", page.html);
    let page = browser
        .submit(
            "/settings/delete",
            "/settings/delete",
            &[("password", "a good password")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("being deleted"), "{}", page.html);
    assert!(browser.cookie("rookery_session").is_none());
    let (s, _, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(&carol))
        .await;
    assert_eq!(s, 401);
    let page = other.get("/settings").await;
    assert_eq!(
        page.status, 303,
        "the other session ended too: {}",
        page.html
    );

    // The job empties the account.
    eventually("the account is purged", || async {
        app.sql_texts(&format!(
            "SELECT CAST(COUNT(*) AS TEXT) FROM statuses WHERE account_id = {carol_id}"
        ))
        .await[0]
            == "0"
            && app
                .sql_texts(&format!(
                    "SELECT CAST(COUNT(*) AS TEXT) FROM users WHERE account_id = {carol_id}"
                ))
                .await[0]
                == "0"
    })
    .await;
    let counts_after = table_counts(&app, backend).await;
    let changed = grown(&counts_before, &counts_after);
    // What stays: the emptied account (the username is reserved), the apps Carol's tokens
    // were registered with (applications belong to no one, as in Mastodon), the hashtag she
    // used, Alice's reply to Carol's post (on Alice's home feed, with who may quote it), and
    // the jobs that did the work.
    let jobs = changed.get("jobs").copied().unwrap_or(0);
    let expected: BTreeMap<String, i64> = [
        ("accounts", 1),
        ("oauth_applications", 1),
        ("tags", 1),
        ("statuses", 1),
        ("home_feed", 1),
        ("quote_policies", 1),
        ("jobs", jobs),
    ]
    .into_iter()
    .filter(|(_, n)| *n != 0)
    .map(|(t, n)| (t.to_owned(), n))
    .collect();
    assert_eq!(changed, expected, "rows left behind");
    assert_eq!(stored_files(&app), media_before, "media files left behind");
    let (s, reply, _) = app
        .get_auth(
            &format!("/api/v1/statuses/{}", id(&alices_reply)),
            Some(&alice),
        )
        .await;
    assert_eq!(s, 200, "{reply}");

    // Counts on what others own are back to what they were.
    let (_, hello_now, _) = app
        .get_auth(&format!("/api/v1/statuses/{hello_id}"), Some(&alice))
        .await;
    for count in ["favourites_count", "reblogs_count", "replies_count"] {
        assert_eq!(hello_now[count], 0, "{count}: {hello_now}");
    }
    let (_, me, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(&alice))
        .await;
    assert_eq!(
        (&me["followers_count"], &me["following_count"]),
        (&Value::from(0), &Value::from(0))
    );

    // Gone for peers, 404 for the API, and the name stays taken.
    let actor = app
        .client
        .get(app.url("/users/carol"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(actor.status(), 410);
    let domain = app.domain();
    let finger = app
        .get(&format!(
            "/.well-known/webfinger?resource=acct:carol@{domain}"
        ))
        .await;
    assert_eq!(finger.status(), 410);
    let (s, _, _) = app
        .get_auth(&format!("/api/v1/accounts/{carol_id}"), Some(&alice))
        .await;
    assert_eq!(s, 404);
    let (s, _) = app.get_json("/api/v1/accounts/lookup?acct=carol").await;
    assert_eq!(s, 404);
    let taken = create(&app, "carol", "new-carol@example.com").await;
    assert!(taken.is_err(), "the username is reserved");
    // Her address is free again.
    let again = create(&app, "carol2", "carol@example.com").await;
    assert!(again.is_ok(), "{:?}", again.err());
}

/// A follower on another server learns of the deletion: its copy of the account is removed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_servers_are_told() {
    let a = spawn_federating(Backend::Sqlite, &[]).await;
    let b = spawn_federating(Backend::Sqlite, &[]).await;
    let _carol = a.token("carol").await;
    let dave = b.token("dave").await;
    let acct = format!("carol@{}", a.domain());
    let (s, found, _) = b
        .get_auth(&format!("/api/v1/accounts/lookup?acct={acct}"), Some(&dave))
        .await;
    assert_eq!(s, 200, "{found}");
    let carol_on_b = id(&found);
    ok(
        &b,
        &dave,
        &format!("/api/v1/accounts/{carol_on_b}/follow"),
        &[],
    )
    .await;
    eventually("Carol has a follower", || async {
        a.services
            .local_account("carol")
            .await
            .is_ok_and(|l| l.account.followers_count == 1)
    })
    .await;

    let mut browser = Browser::new(&a);
    browser.sign_in("carol").await;
    let page = browser
        .submit(
            "/settings/delete",
            "/settings/delete",
            &[("password", "a good password")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    eventually("B removed Carol", || async {
        b.get_auth(&format!("/api/v1/accounts/{carol_on_b}"), Some(&dave))
            .await
            .0
            == 404
    })
    .await;
    let (_, me, _) = b
        .get_auth("/api/v1/accounts/verify_credentials", Some(&dave))
        .await;
    assert_eq!(me["following_count"], 0, "{me}");
}
