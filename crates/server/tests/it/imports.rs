//! Importing CSV files from the settings page, as Mastodon's exports write them: each kind,
//! merged and replacing, with lines that fail listed with why, and bad files refused with a
//! clear message and nothing imported.

use rookery_testkit::Backend;
use serde_json::Value;

use crate::browser::{Browser, Page};
use crate::kit::{TestApp, assert_refused_as_too_large, eventually, on_every_backend, spawn_with};

on_every_backend!(
    imports_merge_and_replace,
    bad_files_are_refused_and_change_nothing
);

/// Posts a file to the import form.
async fn import(browser: &mut Browser<'_>, kind: &str, mode: &str, csv: &[u8]) -> Page {
    let token = browser
        .get("/settings/import")
        .await
        .field("authenticity_token");
    let form = reqwest::multipart::Form::new()
        .text("authenticity_token", token)
        .text("type", kind.to_owned())
        .text("mode", mode.to_owned())
        .part(
            "data",
            reqwest::multipart::Part::bytes(csv.to_vec())
                .file_name("export.csv")
                .mime_str("text/csv")
                .unwrap(),
        );
    browser.post_multipart("/settings/import", form).await
}

/// Imports a file and waits until the page shows it done.
async fn import_done(browser: &mut Browser<'_>, kind: &str, mode: &str, csv: &str) -> String {
    let page = import(browser, kind, mode, csv.as_bytes()).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("is being imported"), "{}", page.html);
    eventually_done(browser).await
}

async fn relationship(app: &TestApp, token: &str, id: &str) -> Value {
    let (s, body, _) = app
        .get_auth(
            &format!("/api/v1/accounts/relationships?id[]={id}"),
            Some(token),
        )
        .await;
    assert_eq!(s, 200);
    body[0].clone()
}

async fn imports_merge_and_replace(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_RATE_LIMITS__ENABLED", "false")]).await;
    let alice = app.token("alice").await;
    app.create_account("bob").await;
    app.create_account("carol").await;
    app.create_account("dave").await;
    let domain = app.domain();
    let (bob_id, carol_id, dave_id) = (
        app.account_id("bob").await,
        app.account_id("carol").await,
        app.account_id("dave").await,
    );
    let (s, _) = app
        .post_auth(&format!("/api/v1/accounts/{dave_id}/follow"), &alice, &[])
        .await;
    assert_eq!(s, 200);
    let mut browser = Browser::signed_in(&app, "alice").await;

    // Follows, merged: what Alice followed stays; an unknown account and a repeated line.
    let html = import_done(
        &mut browser,
        "following",
        "merge",
        &format!(
            "Account address,Show boosts,Notify on new posts,Languages\n\
             bob@{domain},false,true,\"en, de\"\n\
             @carol@{domain},true,false,\n\
             ghost@{domain},true,false,\n\
             BOB@{domain},true,true,\n"
        ),
    )
    .await;
    assert!(html.contains("2 of 3 imported, 1 failed"), "{html}");
    assert!(
        html.contains(&format!("ghost@{domain}: account not found")),
        "{html}"
    );
    let r = relationship(&app, &alice, &bob_id).await;
    assert_eq!(
        (&r["following"], &r["showing_reblogs"], &r["notifying"]),
        (&Value::Bool(true), &Value::Bool(false), &Value::Bool(true)),
        "{r}"
    );
    assert_eq!(
        relationship(&app, &alice, &carol_id).await["following"],
        true
    );
    assert_eq!(
        relationship(&app, &alice, &dave_id).await["following"],
        true
    );

    // Lists, with a title that needs quoting; the list's members are followed.
    import_done(
        &mut browser,
        "lists",
        "merge",
        &format!("\"Friends, \"\"close\"\"\",carol@{domain}\nWork,dave@{domain}\n"),
    )
    .await;
    let (_, lists, _) = app.get_auth("/api/v1/lists", Some(&alice)).await;
    let titles: Vec<&str> = lists
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 2, "{lists}");
    assert!(titles.contains(&"Friends, \"close\""), "{lists}");
    let friends = lists
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["title"] == "Friends, \"close\"")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, members, _) = app
        .get_auth(&format!("/api/v1/lists/{friends}/accounts"), Some(&alice))
        .await;
    assert_eq!(members[0]["username"], "carol", "{members}");

    // Lists, replacing: lists the file names are emptied and keep their ids, the others go.
    let work = lists
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["title"] == "Work")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    import_done(
        &mut browser,
        "lists",
        "overwrite",
        &format!("Work,carol@{domain}\n"),
    )
    .await;
    let (_, lists_now, _) = app.get_auth("/api/v1/lists", Some(&alice)).await;
    assert_eq!(lists_now.as_array().unwrap().len(), 1, "{lists_now}");
    assert_eq!(lists_now[0]["id"], work.as_str());
    let (_, members, _) = app
        .get_auth(&format!("/api/v1/lists/{work}/accounts"), Some(&alice))
        .await;
    let names: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["carol"], "{members}");

    // Follows, replacing: only Carol is followed after.
    import_done(
        &mut browser,
        "following",
        "overwrite",
        &format!("carol@{domain}\n"),
    )
    .await;
    assert_eq!(
        relationship(&app, &alice, &carol_id).await["following"],
        true
    );
    assert_eq!(
        relationship(&app, &alice, &bob_id).await["following"],
        false
    );
    assert_eq!(
        relationship(&app, &alice, &dave_id).await["following"],
        false
    );

    // Blocks, mutes (notifications kept), domain blocks, bookmarks.
    import_done(
        &mut browser,
        "blocking",
        "merge",
        &format!("bob@{domain}\n"),
    )
    .await;
    assert_eq!(relationship(&app, &alice, &bob_id).await["blocking"], true);
    import_done(
        &mut browser,
        "muting",
        "merge",
        &format!("Account address,Hide notifications\ndave@{domain},false\n"),
    )
    .await;
    let r = relationship(&app, &alice, &dave_id).await;
    assert_eq!(
        (&r["muting"], &r["muting_notifications"]),
        (&Value::Bool(true), &Value::Bool(false)),
        "{r}"
    );
    import_done(
        &mut browser,
        "domain_blocking",
        "merge",
        "#domain\nspam.example\nSPAM.example\n",
    )
    .await;
    let (_, domains, _) = app.get_auth("/api/v1/domain_blocks", Some(&alice)).await;
    assert_eq!(domains, serde_json::json!(["spam.example"]));
    let carol = app.token("carol").await;
    let (s, post) = app
        .post_auth("/api/v1/statuses", &carol, &[("status", "keep this")])
        .await;
    assert_eq!(s, 200);
    let (s, other) = app
        .post_auth("/api/v1/statuses", &carol, &[("status", "and this")])
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .post_auth(
            &format!(
                "/api/v1/statuses/{}/bookmark",
                other["id"].as_str().unwrap()
            ),
            &alice,
            &[],
        )
        .await;
    assert_eq!(s, 200);
    let html = import_done(
        &mut browser,
        "bookmarks",
        "overwrite",
        &format!(
            "{}\nhttps://{domain}/users/carol/statuses/1\n",
            post["uri"].as_str().unwrap()
        ),
    )
    .await;
    assert!(html.contains("post not found"), "{html}");
    let (_, marks, _) = app.get_auth("/api/v1/bookmarks", Some(&alice)).await;
    let ids: Vec<&str> = marks
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![post["id"].as_str().unwrap()], "replaced: {marks}");
}

async fn bad_files_are_refused_and_change_nothing(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_RATE_LIMITS__ENABLED", "false")]).await;
    app.create_account("alice").await;
    let domain = app.domain();
    let mut browser = Browser::signed_in(&app, "alice").await;
    let count = || async {
        app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM import_rows")
            .await[0]
            .clone()
    };

    // Without the form's token.
    let form = reqwest::multipart::Form::new()
        .text("type", "blocking")
        .text("mode", "merge")
        .part(
            "data",
            reqwest::multipart::Part::bytes(b"bob@x.example\n".to_vec()).file_name("a.csv"),
        );
    let page = browser.post_multipart("/settings/import", form).await;
    assert_eq!(page.status, 403, "{}", page.html);

    let many: String = (0..100_000)
        .map(|i| format!("user{i}@{domain}\n"))
        .collect();
    let hostile = "<script>alert(1)</script>\u{0},x\n";
    for (kind, csv, says) in [
        ("blocking", b"".to_vec(), "is empty"),
        ("blocking", b"\n , \n".to_vec(), "is empty"),
        ("muting", b"\xff\xfe\x00bob".to_vec(), "UTF-8"),
        (
            "bookmarks",
            b"#domain\nspam.example\n".to_vec(),
            "does not fit",
        ),
        (
            "lists",
            b"Account address\nbob@x.example\n".to_vec(),
            "does not fit",
        ),
        ("following", many.into_bytes(), "more than 20000 rows"),
        (
            "sideways",
            b"bob@x.example\n".to_vec(),
            "Choose what the file holds",
        ),
    ] {
        let page = import(&mut browser, kind, "merge", &csv).await;
        assert_eq!(page.status, 422, "{kind}: {}", page.html);
        assert!(
            page.html.contains(says),
            "{kind}: {says} not in {}",
            page.html
        );
        assert!(!page.html.contains("<script>alert"), "{}", page.html);
    }
    let page = import(&mut browser, "blocking", "merge", hostile.as_bytes()).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_eq!(count().await, "1");
    // Over the size limit: refused before it is read.
    let huge = reqwest::multipart::Form::new().part(
        "data",
        reqwest::multipart::Part::bytes(vec![b'a'; 5 * 1024 * 1024]).file_name("a.csv"),
    );
    assert_refused_as_too_large(app.client.post(app.url("/settings/import")).multipart(huge)).await;
    assert_eq!(count().await, "1");
    // The hostile line fails with its text escaped on the page.
    let html = eventually_done(&mut browser).await;
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;: account not found"),
        "{html}"
    );
    assert!(!html.contains("<script>alert"), "{html}");
}

async fn eventually_done(browser: &mut Browser<'_>) -> String {
    let browser = std::sync::Arc::new(tokio::sync::Mutex::new(browser));
    eventually("imports are done", || {
        let browser = browser.clone();
        async move {
            !browser
                .lock()
                .await
                .get("/settings/import")
                .await
                .html
                .contains("In progress")
        }
    })
    .await;
    let mut browser = browser.lock().await;
    browser.get("/settings/import").await.html
}
