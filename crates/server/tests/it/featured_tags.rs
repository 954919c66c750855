//! Featured hashtags: `/api/v1/featured_tags`, suggestions, `accounts/:id/featured_tags`,
//! `tags/:name/feature`, the actor's `featuredTags` collection, and the HTML pages of a
//! hashtag, on every engine.

use rookery_testkit::Backend;
use serde_json::{Value, json};

use crate::kit::{TestApp, on_every_backend, spawn_with};

on_every_backend!(featured_hashtags, hashtag_pages);

async fn post(app: &TestApp, token: &str, form: &[(&str, &str)]) -> Value {
    let (st, body) = app.post_auth("/api/v1/statuses", token, form).await;
    assert_eq!(st, 200, "{body}");
    body
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn feature(app: &TestApp, token: &str, name: &str) -> (u16, Value) {
    app.post_auth("/api/v1/featured_tags", token, &[("name", name)])
        .await
}

async fn delete(app: &TestApp, token: &str, id: &str) -> (u16, Value) {
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/featured_tags/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn featured_hashtags(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let alice_id = app.account_id("alice").await;

    let loud = post(&app, &alice, &[("status", "loud #Rust")]).await;
    post(
        &app,
        &alice,
        &[("status", "quiet #rust"), ("visibility", "unlisted")],
    )
    .await;
    post(
        &app,
        &alice,
        &[("status", "secret #rust"), ("visibility", "private")],
    )
    .await;
    post(&app, &alice, &[("status", "hello #fediverse")]).await;

    // Suggestions: most used first, as Tag entities with a week of history.
    let (st, suggested, _) = app
        .get_auth("/api/v1/featured_tags/suggestions", Some(&alice))
        .await;
    assert_eq!(st, 200, "{suggested}");
    assert_eq!(names(&suggested), vec!["Rust", "fediverse"]);
    assert_eq!(suggested[0]["url"], "https://rookery.test/tags/rust");
    assert_eq!(suggested[0]["history"].as_array().unwrap().len(), 7);
    assert_eq!(suggested[0]["following"], false);
    assert_eq!(suggested[0]["featuring"], false);

    // Featuring: `#` allowed; public and unlisted posts count, followers-only ones do not.
    let (st, rust) = feature(&app, &alice, "#rust").await;
    assert_eq!(st, 200, "{rust}");
    assert_eq!(rust["name"], "rust");
    assert_eq!(rust["url"], "https://rookery.test/@alice/tagged/rust");
    assert_eq!(rust["statuses_count"], "2");
    let day = &loud["created_at"].as_str().unwrap()[..10];
    assert_eq!(rust["last_status_at"], day);
    let rust_id = rust["id"].as_str().unwrap().to_owned();
    assert!(!rust_id.is_empty());

    // The same name again is the same featured tag; the hashtag spelled otherwise is refused.
    let (st, again) = feature(&app, &alice, "rust").await;
    assert_eq!(st, 200, "{again}");
    assert_eq!(again["id"], rust_id.as_str());
    for (name, error) in [
        ("Rust", "Validation failed: Tag has already been taken"),
        ("x-y", "Validation failed: Name is invalid"),
        ("123", "Validation failed: Name is invalid"),
        ("##rust", "Validation failed: Name is invalid"),
        (" ", "Validation failed: Name can't be blank"),
    ] {
        let (st, body) = feature(&app, &alice, name).await;
        assert_eq!(st, 422, "{name}: {body}");
        assert_eq!(body["error"], error, "{name}");
    }
    let (st, body) = app.post_auth("/api/v1/featured_tags", &alice, &[]).await;
    assert_eq!(st, 422, "{body}");

    // Featured tags are no longer suggested.
    let (_, suggested, _) = app
        .get_auth("/api/v1/featured_tags/suggestions", Some(&alice))
        .await;
    assert_eq!(names(&suggested), vec!["fediverse"]);

    // Ten at most.
    let mut ids = Vec::new();
    for i in 0..9 {
        let (st, body) = feature(&app, &alice, &format!("tag{i}")).await;
        assert_eq!(st, 200, "{body}");
        assert_eq!(body["statuses_count"], "0");
        assert_eq!(body["last_status_at"], Value::Null);
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    let (st, body) = feature(&app, &alice, "onemore").await;
    assert_eq!(st, 422, "{body}");
    assert_eq!(
        body["error"],
        "Validation failed: You have already featured the maximum number of hashtags"
    );

    // The list: most used first.
    let (st, list, _) = app.get_auth("/api/v1/featured_tags", Some(&alice)).await;
    assert_eq!(st, 200);
    assert_eq!(list.as_array().unwrap().len(), 10);
    assert_eq!(list[0]["name"], "rust");
    assert_eq!(list[0]["statuses_count"], "2");
    assert_eq!(app.get_auth("/api/v1/featured_tags", None).await.0, 401);
    let (_, mine, _) = app.get_auth("/api/v1/featured_tags", Some(&bob)).await;
    assert_eq!(mine, json!([]));

    // Unfeaturing: only one's own, once.
    assert_eq!(delete(&app, &bob, &ids[0]).await.0, 404);
    assert_eq!(delete(&app, &alice, &ids[0]).await, (200, json!({})));
    assert_eq!(delete(&app, &alice, &ids[0]).await.0, 404);
    assert_eq!(delete(&app, &alice, "nonsense").await.0, 404);
    assert_eq!(feature(&app, &alice, "onemore").await.0, 200);

    // Anyone's, without a token.
    let (st, public, _) = app
        .get_auth(&format!("/api/v1/accounts/{alice_id}/featured_tags"), None)
        .await;
    assert_eq!(st, 200, "{public}");
    assert_eq!(public.as_array().unwrap().len(), 10);
    assert_eq!(public[0]["name"], "rust");
    assert_eq!(
        app.get_auth("/api/v1/accounts/123/featured_tags", None)
            .await
            .0,
        404
    );

    // Scopes as Mastodon's: read:accounts and write:accounts.
    let narrow = app.token_with_scopes("alice", "read:statuses").await;
    assert_eq!(
        app.get_auth("/api/v1/featured_tags", Some(&narrow)).await.0,
        403
    );
    assert_eq!(feature(&app, &narrow, "nope").await.0, 403);
    let reader = app.token_with_scopes("alice", "read:accounts").await;
    assert_eq!(
        app.get_auth("/api/v1/featured_tags/suggestions", Some(&reader))
            .await
            .0,
        200
    );

    // Featuring through the hashtag, with `featuring` on the Tag entity.
    let (st, tag) = app
        .post_auth("/api/v1/tags/coolfree/feature", &bob, &[])
        .await;
    assert_eq!(st, 200, "{tag}");
    assert_eq!(tag["featuring"], true);
    assert_eq!(tag["following"], false);
    let (_, tag, _) = app.get_auth("/api/v1/tags/coolfree", Some(&bob)).await;
    assert_eq!(tag["featuring"], true);
    let (_, list, _) = app.get_auth("/api/v1/featured_tags", Some(&bob)).await;
    assert_eq!(names(&list), vec!["coolfree"]);
    let (st, tag) = app
        .post_auth("/api/v1/tags/coolfree/unfeature", &bob, &[])
        .await;
    assert_eq!(st, 200);
    assert_eq!(tag["featuring"], false);
    let (_, list, _) = app.get_auth("/api/v1/featured_tags", Some(&bob)).await;
    assert_eq!(list, json!([]));
    let (st, _) = app
        .post_auth("/api/v1/tags/neverused/unfeature", &bob, &[])
        .await;
    assert_eq!(st, 200);
    assert_eq!(
        app.post_auth("/api/v1/tags/x-y/feature", &bob, &[]).await.0,
        404
    );

    // Federation: the actor advertises the collection, and it lists the hashtags.
    let (st, actor) = app.get_activity("/users/alice").await;
    assert_eq!(st, 200);
    let collection = "https://rookery.test/users/alice/collections/tags";
    assert_eq!(actor["featuredTags"], collection);
    let (st, tags) = app.get_activity("/users/alice/collections/tags").await;
    assert_eq!(st, 200, "{tags}");
    assert_eq!(tags["id"], collection);
    assert_eq!(tags["type"], "Collection");
    assert_eq!(tags["totalItems"], 10);
    let items = tags["items"].as_array().unwrap();
    assert_eq!(items.len(), 10);
    assert_eq!(
        items[0],
        json!({
            "type": "Hashtag",
            "href": "https://rookery.test/@alice/tagged/rust",
            "name": "#rust",
        })
    );
    let (_, none) = app.get_activity("/users/bob/collections/tags").await;
    assert_eq!(none["totalItems"], 0);
    assert_eq!(
        app.get_activity("/users/nobody/collections/tags").await.0,
        404
    );
}

async fn html(app: &TestApp, path: &str) -> (u16, String, String) {
    let r = app.get(path).await;
    let status = r.status().as_u16();
    let kind = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, r.text().await.unwrap())
}

async fn hashtag_pages(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    post(&app, &alice, &[("status", "loud #Rust")]).await;
    post(
        &app,
        &alice,
        &[("status", "quiet #rust"), ("visibility", "unlisted")],
    )
    .await;
    post(
        &app,
        &alice,
        &[("status", "secret #rust"), ("visibility", "private")],
    )
    .await;
    post(&app, &bob, &[("status", "bobs #rust")]).await;

    // The hashtag's page: public posts only.
    let (st, kind, page) = html(&app, "/tags/rust").await;
    assert_eq!(st, 200, "{page}");
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(page.contains("<h1>#rust</h1>"), "{page}");
    assert!(page.contains("loud") && page.contains("bobs"), "{page}");
    assert!(
        !page.contains("quiet") && !page.contains("secret"),
        "{page}"
    );
    assert!(page.contains("https://rookery.test/@alice"), "{page}");

    // An account's posts with it (the FeaturedTag `url`): public and unlisted ones.
    let (st, kind, page) = html(&app, "/@alice/tagged/rust").await;
    assert_eq!(st, 200, "{page}");
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(page.contains("loud") && page.contains("quiet"), "{page}");
    assert!(!page.contains("secret") && !page.contains("bobs"), "{page}");
    assert_eq!(html(&app, "/@nobody/tagged/rust").await.0, 404);

    // Whatever is asked for is escaped.
    let hostile = "%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E";
    for path in [
        format!("/tags/{hostile}"),
        format!("/@alice/tagged/{hostile}"),
    ] {
        let (st, kind, page) = html(&app, &path).await;
        assert_eq!(st, 200, "{path}: {page}");
        assert!(kind.starts_with("text/html"), "{kind}");
        assert!(!page.contains("<script>"), "{page}");
        assert!(
            page.contains("<h1>#&#60;script&#62;alert(")
                || page.contains("<h1>#&lt;script&gt;alert("),
            "{page}"
        );
        assert!(!page.contains("alert(\"x\")"), "{page}");
        assert!(page.contains("No public posts"), "{page}");
    }
}
