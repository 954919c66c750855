//! Grouped notifications (`/api/v2/notifications`), unread counts, markers and preferences,
//! on every engine.

use rookery_testkit::Backend;
use serde_json::{Value, json};

use crate::kit::{TestApp, eventually, on_every_backend, spawn_with};

on_every_backend!(
    favourites_boosts_and_follows_are_grouped,
    markers_and_unread_counts,
    posting_preferences_round_trip_and_apply,
    follow_request_notification_goes_with_the_request,
);

async fn notification_count(app: &TestApp, token: &str) -> usize {
    let (_, n, _) = app
        .get_auth("/api/v1/notifications?limit=80", Some(token))
        .await;
    n.as_array().map_or(0, Vec::len)
}

/// The path of a Link header's `next` page.
fn next_link(link: &str) -> Option<String> {
    link.split(',')
        .find(|p| p.contains("rel=\"next\""))
        .and_then(|p| p.split(['<', '>']).nth(1))
        .map(|u| u.trim_start_matches("https://rookery.test").to_owned())
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn favourites_boosts_and_follows_are_grouped(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let alice_id = app.account_id("alice").await;
    let mut others = Vec::new();
    for name in ["bob", "carol", "dave", "erin"] {
        others.push(app.token(name).await);
    }
    let (bob, carol, dave, erin) = (&others[0], &others[1], &others[2], &others[3]);
    let (_, post) = app
        .post_auth("/api/v1/statuses", &alice, &[("status", "group me")])
        .await;
    let sid = post["id"].as_str().unwrap().to_owned();
    // One at a time, so notification ids follow the order of the actions.
    let mut expected = 0;
    let mut act = async |path: String, token: &str, form: &[(&str, &str)]| {
        let (st, body) = app.post_auth(&path, token, form).await;
        assert_eq!(st, 200, "{path}: {body}");
        expected += 1;
        let want = expected;
        eventually("the notification", || async {
            notification_count(&app, &alice).await == want
        })
        .await;
    };
    for t in [bob, carol, dave] {
        act(format!("/api/v1/statuses/{sid}/favourite"), t, &[]).await;
    }
    for t in [bob, carol] {
        act(format!("/api/v1/statuses/{sid}/reblog"), t, &[]).await;
        act(format!("/api/v1/accounts/{alice_id}/follow"), t, &[]).await;
    }
    act(
        "/api/v1/statuses".to_owned(),
        erin,
        &[("status", "hi @alice")],
    )
    .await;
    assert_eq!(notification_count(&app, &alice).await, 8);

    // Without a token: 401, as every notifications endpoint.
    assert_eq!(app.get_auth("/api/v2/notifications", None).await.0, 401);

    let (st, g, _) = app.get_auth("/api/v2/notifications", Some(&alice)).await;
    assert_eq!(st, 200, "{g}");
    let groups = g["notification_groups"].as_array().unwrap();
    let by_type = |t: &str| {
        groups
            .iter()
            .find(|x| x["type"] == t)
            .unwrap_or_else(|| panic!("no {t} group in {g}"))
            .clone()
    };
    assert_eq!(groups.len(), 4, "{g}");
    // Newest group first: the mention came last.
    assert_eq!(groups[0]["type"], "mention");
    let fav = by_type("favourite");
    assert_eq!(fav["notifications_count"], 3);
    assert_eq!(fav["status_id"], sid.as_str());
    assert_eq!(fav["sample_account_ids"].as_array().unwrap().len(), 3);
    assert!(fav["most_recent_notification_id"].is_i64(), "{fav}");
    assert!(fav["page_min_id"].is_string() && fav["page_max_id"].is_string());
    assert!(fav["latest_page_notification_at"].is_string());
    let fav_key = fav["group_key"].as_str().unwrap().to_owned();
    assert!(
        fav_key.starts_with(&format!("favourite-{sid}-")),
        "{fav_key}"
    );
    let reblog = by_type("reblog");
    assert_eq!(reblog["notifications_count"], 2);
    let follow = by_type("follow");
    assert_eq!(follow["notifications_count"], 2);
    assert!(follow.get("status_id").is_none_or(Value::is_null));
    let mention = by_type("mention");
    assert_eq!(mention["notifications_count"], 1);
    assert!(
        mention["group_key"]
            .as_str()
            .unwrap()
            .starts_with("ungrouped-")
    );
    // Accounts and statuses are listed once each, apart from the groups.
    let accounts = ids(&g["accounts"]);
    let mut unique = accounts.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(accounts.len(), unique.len(), "{accounts:?}");
    assert_eq!(accounts.len(), 4, "bob, carol, dave, erin");
    let statuses = ids(&g["statuses"]);
    assert_eq!(statuses.len(), 2, "alice's post and erin's mention");
    assert!(statuses.contains(&sid));
    assert!(g.get("partial_accounts").is_none());

    // The v1 list carries the same keys.
    let (_, v1, _) = app
        .get_auth("/api/v1/notifications?types[]=favourite", Some(&alice))
        .await;
    for n in v1.as_array().unwrap() {
        assert_eq!(n["group_key"], fav_key.as_str());
    }
    // The most recent id is the newest favourite.
    assert_eq!(
        fav["most_recent_notification_id"]
            .as_i64()
            .unwrap()
            .to_string(),
        v1[0]["id"].as_str().unwrap()
    );

    // Paging by groups, through the Link header: a group whose members straddle a page
    // boundary shows again on the next page under the same key.
    let mut pages = 0;
    let mut seen_keys = std::collections::BTreeSet::new();
    let mut next = Some("/api/v2/notifications?limit=2".to_owned());
    while let Some(path) = next.take() {
        let (st, page, link) = app.get_auth(&path, Some(&alice)).await;
        assert_eq!(st, 200, "{page}");
        let groups = page["notification_groups"].as_array().unwrap();
        if groups.is_empty() {
            break;
        }
        assert!(groups.len() <= 2);
        for g in groups {
            seen_keys.insert(g["group_key"].as_str().unwrap().to_owned());
            assert!(g["page_min_id"].as_str() <= g["page_max_id"].as_str());
        }
        pages += 1;
        assert!(pages < 10, "paging does not end");
        next = link.as_deref().and_then(next_link);
        if let Some(n) = &next {
            assert!(n.contains("max_id="), "{n}");
        }
    }
    let all_keys: std::collections::BTreeSet<String> = groups
        .iter()
        .map(|x| x["group_key"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen_keys, all_keys);
    assert!(pages >= 2);

    // Filters by type, and grouping switched off per kind.
    let (_, only_fav, _) = app
        .get_auth("/api/v2/notifications?types[]=favourite", Some(&alice))
        .await;
    assert_eq!(only_fav["notification_groups"].as_array().unwrap().len(), 1);
    let (_, no_fav, _) = app
        .get_auth(
            "/api/v2/notifications?exclude_types[]=favourite&exclude_types[]=mention",
            Some(&alice),
        )
        .await;
    assert_eq!(no_fav["notification_groups"].as_array().unwrap().len(), 2);
    let (_, split, _) = app
        .get_auth("/api/v2/notifications?grouped_types[]=follow", Some(&alice))
        .await;
    // favourites (3) and boosts (2) apart, follows together, the mention: 7 groups.
    assert_eq!(split["notification_groups"].as_array().unwrap().len(), 7);

    // Partial accounts on request; a bad value is a 400.
    let (_, partial, _) = app
        .get_auth(
            "/api/v2/notifications?expand_accounts=partial_avatars",
            Some(&alice),
        )
        .await;
    let p = partial["partial_accounts"].as_array().unwrap();
    assert!(!p.is_empty());
    for a in p {
        assert!(a["avatar"].is_string() && a["acct"].is_string() && a["bot"].is_boolean());
        assert!(a.get("display_name").is_none());
    }
    assert_eq!(
        app.get_auth("/api/v2/notifications?expand_accounts=all", Some(&alice))
            .await
            .0,
        400
    );

    // One group, its accounts newest first.
    let (st, one, _) = app
        .get_auth(&format!("/api/v2/notifications/{fav_key}"), Some(&alice))
        .await;
    assert_eq!(st, 200, "{one}");
    assert_eq!(one["notification_groups"][0]["notifications_count"], 3);
    assert_eq!(one["notification_groups"][0]["group_key"], fav_key.as_str());
    let (st, members, _) = app
        .get_auth(
            &format!("/api/v2/notifications/{fav_key}/accounts"),
            Some(&alice),
        )
        .await;
    assert_eq!(st, 200, "{members}");
    let names: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dave", "carol", "bob"]);
    let mention_key = mention["group_key"].as_str().unwrap();
    let (st, one, _) = app
        .get_auth(
            &format!("/api/v2/notifications/{mention_key}"),
            Some(&alice),
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(one["notification_groups"][0]["type"], "mention");

    // Someone else's group and unknown keys are 404.
    for key in [
        fav_key.as_str(),
        mention_key,
        "favourite-1-1",
        "nonsense",
        "ungrouped-x",
    ] {
        assert_eq!(
            app.get_auth(&format!("/api/v2/notifications/{key}"), Some(bob))
                .await
                .0,
            404,
            "{key}"
        );
    }
    // Dismissing someone else's group does nothing (and says nothing, as Mastodon).
    assert_eq!(
        app.post_auth(
            &format!("/api/v2/notifications/{fav_key}/dismiss"),
            bob,
            &[]
        )
        .await
        .0,
        200
    );
    assert_eq!(notification_count(&app, &alice).await, 8);
    // An ungrouped member's accounts page once: following `next` ends.
    let (st, members, link) = app
        .get_auth(
            &format!("/api/v2/notifications/{mention_key}/accounts"),
            Some(&alice),
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(members[0]["username"], "erin");
    let next = next_link(&link.unwrap()).unwrap();
    let (_, members, _) = app.get_auth(&next, Some(&alice)).await;
    assert_eq!(members, json!([]));

    // Dismissing a group removes all its members.
    let (st, _) = app
        .post_auth(
            &format!("/api/v2/notifications/{fav_key}/dismiss"),
            &alice,
            &[],
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(notification_count(&app, &alice).await, 5);
    assert_eq!(
        app.get_auth(&format!("/api/v2/notifications/{fav_key}"), Some(&alice))
            .await
            .0,
        404
    );
    let (st, _) = app
        .post_auth("/api/v2/notifications/clear", &alice, &[])
        .await;
    assert_eq!(st, 200);
    let (_, g, link) = app.get_auth("/api/v2/notifications", Some(&alice)).await;
    assert_eq!(
        g,
        json!({"accounts": [], "statuses": [], "notification_groups": []})
    );
    assert!(link.is_none());
}

async fn markers_and_unread_counts(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let alice_id = app.account_id("alice").await;
    let bob = app.token("bob").await;
    let carol = app.token("carol").await;
    let (_, post) = app
        .post_auth("/api/v1/statuses", &alice, &[("status", "count me")])
        .await;
    let sid = post["id"].as_str().unwrap().to_owned();
    for t in [&bob, &carol] {
        app.post_auth(&format!("/api/v1/statuses/{sid}/favourite"), t, &[])
            .await;
    }
    app.post_auth("/api/v1/statuses", &bob, &[("status", "@alice one")])
        .await;
    app.post_auth(&format!("/api/v1/accounts/{alice_id}/follow"), &bob, &[])
        .await;
    eventually("four notifications", || async {
        notification_count(&app, &alice).await == 4
    })
    .await;

    // Nothing saved yet.
    let (st, m, _) = app
        .get_auth(
            "/api/v1/markers?timeline[]=home&timeline[]=notifications",
            Some(&alice),
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(m, json!({}));
    assert_eq!(app.get_auth("/api/v1/markers", None).await.0, 401);

    // Unread: every notification (v1), every group (v2: favourites together).
    let count = |path: &'static str| {
        let app = &app;
        let alice = &alice;
        async move {
            let (st, c, _) = app.get_auth(path, Some(alice)).await;
            assert_eq!(st, 200, "{path}: {c}");
            c["count"].as_i64().unwrap()
        }
    };
    assert_eq!(count("/api/v1/notifications/unread_count").await, 4);
    assert_eq!(count("/api/v2/notifications/unread_count").await, 3);
    assert_eq!(count("/api/v1/notifications/unread_count?limit=2").await, 2);
    assert_eq!(
        count("/api/v1/notifications/unread_count?types[]=favourite").await,
        2
    );
    assert_eq!(
        count("/api/v2/notifications/unread_count?grouped_types[]=follow").await,
        4
    );

    // Read up to the second-newest notification.
    let (_, list, _) = app.get_auth("/api/v1/notifications", Some(&alice)).await;
    let second = list[1]["id"].as_str().unwrap().to_owned();
    let (st, saved) = app
        .post_auth(
            "/api/v1/markers",
            &alice,
            &[("notifications[last_read_id]", second.as_str())],
        )
        .await;
    assert_eq!(st, 200, "{saved}");
    assert_eq!(saved["notifications"]["last_read_id"], second.as_str());
    assert_eq!(saved["notifications"]["version"], 0);
    assert!(saved["notifications"]["updated_at"].is_string());
    assert!(saved.get("home").is_none());
    assert_eq!(count("/api/v1/notifications/unread_count").await, 1);
    assert_eq!(count("/api/v2/notifications/unread_count").await, 1);

    // JSON bodies (masto), both timelines at once; the version counts saves (from 0).
    let r = app
        .client
        .post(app.url("/api/v1/markers"))
        .bearer_auth(&alice)
        .json(&json!({
            "home": {"last_read_id": sid},
            "notifications": {"last_read_id": list[0]["id"]},
            "lists": {"last_read_id": "1"},
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let saved: Value = r.json().await.unwrap();
    assert_eq!(saved["notifications"]["version"], 1);
    assert_eq!(saved["home"]["version"], 0);
    assert_eq!(saved["home"]["last_read_id"], sid.as_str());
    assert!(saved.get("lists").is_none());
    assert_eq!(count("/api/v1/notifications/unread_count").await, 0);
    let (_, m, _) = app
        .get_auth("/api/v1/markers?timeline[]=home", Some(&alice))
        .await;
    assert_eq!(m["home"]["last_read_id"], sid.as_str());
    assert!(m.get("notifications").is_none(), "{m}");
    let (_, m, _) = app
        .get_auth(
            "/api/v1/markers?timeline[]=notifications&timeline[]=home",
            Some(&alice),
        )
        .await;
    assert_eq!(m["notifications"]["version"], 1);
    // Markers are per user.
    let (_, theirs, _) = app
        .get_auth("/api/v1/markers?timeline[]=home", Some(&bob))
        .await;
    assert_eq!(theirs, json!({}));

    // Bad input: a blank or non-id position is a 422 and changes nothing.
    for bad in ["", "not-a-number", "-5"] {
        let (st, e) = app
            .post_auth(
                "/api/v1/markers",
                &alice,
                &[("notifications[last_read_id]", bad)],
            )
            .await;
        assert_eq!(st, 422, "{bad:?}: {e}");
        assert!(e["error"].is_string());
    }
    let (_, m, _) = app
        .get_auth("/api/v1/markers?timeline[]=notifications", Some(&alice))
        .await;
    assert_eq!(m["notifications"]["version"], 1);
    let r = app
        .client
        .post(app.url("/api/v1/markers"))
        .bearer_auth(&alice)
        .header("content-type", "application/json")
        .body("{\"home\":")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    // A bad limit is refused, not clamped to nonsense.
    let (st, _, _) = app
        .get_auth("/api/v1/notifications/unread_count?limit=abc", Some(&alice))
        .await;
    assert_eq!(st, 400);
}

async fn posting_preferences_round_trip_and_apply(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let (st, p, _) = app.get_auth("/api/v1/preferences", Some(&alice)).await;
    assert_eq!(st, 200);
    assert_eq!(p["posting:default:visibility"], "public");
    assert_eq!(p["posting:default:sensitive"], false);
    assert!(p["posting:default:language"].is_null());
    assert_eq!(p["reading:expand:media"], "default");
    assert_eq!(p["reading:expand:spoilers"], false);
    assert_eq!(p["reading:autoplay:gifs"], false);

    let (st, me) = app
        .patch_auth(
            "/api/v1/accounts/update_credentials",
            &alice,
            &[
                ("source[privacy]", "unlisted"),
                ("source[sensitive]", "true"),
                ("source[language]", "de"),
            ],
        )
        .await;
    assert_eq!(st, 200, "{me}");
    assert_eq!(me["source"]["privacy"], "unlisted");
    assert_eq!(me["source"]["sensitive"], true);
    assert_eq!(me["source"]["language"], "de");
    // A later change to something else keeps them (Tusky sends only what changed).
    let (st, me) = app
        .patch_auth(
            "/api/v1/accounts/update_credentials",
            &alice,
            &[("display_name", "Alice")],
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(me["source"]["privacy"], "unlisted");
    let (_, me, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(&alice))
        .await;
    assert_eq!(me["source"]["privacy"], "unlisted");
    assert_eq!(me["source"]["sensitive"], true);
    assert_eq!(me["source"]["language"], "de");
    let (_, p, _) = app.get_auth("/api/v1/preferences", Some(&alice)).await;
    assert_eq!(p["posting:default:visibility"], "unlisted");
    assert_eq!(p["posting:default:sensitive"], true);
    assert_eq!(p["posting:default:language"], "de");

    // Posts that say nothing take the defaults; what a post says wins.
    let (_, s) = app
        .post_auth("/api/v1/statuses", &alice, &[("status", "defaults")])
        .await;
    assert_eq!(s["visibility"], "unlisted");
    assert_eq!(s["sensitive"], true);
    assert_eq!(s["language"], "de");
    let (_, s) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[
                ("status", "explicit"),
                ("visibility", "private"),
                ("sensitive", "false"),
                ("language", "fr"),
            ],
        )
        .await;
    assert_eq!(s["visibility"], "private");
    assert_eq!(s["sensitive"], false);
    assert_eq!(s["language"], "fr");

    // Bad values are refused and change nothing.
    for (k, v) in [
        ("source[privacy]", "everyone"),
        ("source[language]", "english!"),
    ] {
        let (st, e) = app
            .patch_auth("/api/v1/accounts/update_credentials", &alice, &[(k, v)])
            .await;
        assert_eq!(st, 422, "{k}={v}: {e}");
    }
    let (_, p, _) = app.get_auth("/api/v1/preferences", Some(&alice)).await;
    assert_eq!(p["posting:default:visibility"], "unlisted");
    assert_eq!(p["posting:default:language"], "de");

    // Back to public, and no language.
    let (st, me) = app
        .patch_auth(
            "/api/v1/accounts/update_credentials",
            &alice,
            &[("source[privacy]", "public"), ("source[language]", "")],
        )
        .await;
    assert_eq!(st, 200, "{me}");
    assert_eq!(me["source"]["privacy"], "public");
    assert!(me["source"]["language"].is_null());
    assert_eq!(app.get_auth("/api/v1/preferences", None).await.0, 401);
}

async fn follow_request_notification_goes_with_the_request(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let alice_id = app.account_id("alice").await;
    let (st, _) = app
        .patch_auth(
            "/api/v1/accounts/update_credentials",
            &alice,
            &[("locked", "true")],
        )
        .await;
    assert_eq!(st, 200);
    let bob = app.token("bob").await;
    let bob_id = app.account_id("bob").await;
    let carol = app.token("carol").await;
    let carol_id = app.account_id("carol").await;
    for t in [&bob, &carol] {
        let (st, rel) = app
            .post_auth(&format!("/api/v1/accounts/{alice_id}/follow"), t, &[])
            .await;
        assert_eq!(st, 200);
        assert_eq!(rel["requested"], true);
    }
    eventually("two follow requests", || async {
        let (_, n, _) = app
            .get_auth("/api/v1/notifications?types[]=follow_request", Some(&alice))
            .await;
        n.as_array().is_some_and(|a| a.len() == 2)
    })
    .await;
    let (st, _) = app
        .post_auth(
            &format!("/api/v1/follow_requests/{bob_id}/authorize"),
            &alice,
            &[],
        )
        .await;
    assert_eq!(st, 200);
    let (st, _) = app
        .post_auth(
            &format!("/api/v1/follow_requests/{carol_id}/reject"),
            &alice,
            &[],
        )
        .await;
    assert_eq!(st, 200);
    let (_, n, _) = app
        .get_auth("/api/v1/notifications?types[]=follow_request", Some(&alice))
        .await;
    assert_eq!(n, json!([]), "Mastodon removes the request's notification");
    let (_, g, _) = app.get_auth("/api/v2/notifications", Some(&alice)).await;
    assert!(
        g["notification_groups"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["type"] != "follow_request"),
        "{g}"
    );
}
