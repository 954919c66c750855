//! Images and polls between Rookery and the Fedify peer, with authorized fetch on (media files
//! stay public: the peer fetches them unsigned).

use rookery_testkit::Backend;
use serde_json::json;

use super::Pair;
use crate::kit::eventually;
use crate::media::{make_png, processed, upload};
use crate::two_instances::{find, home, lookup, relationship};

async fn media_and_polls(backend: Backend) {
    let pair = Pair::start(backend, true).await;
    let (app, peer) = (&pair.app, &pair.peer);
    let alice = app.token("alice").await;
    let carol_id = lookup(app, &alice, &peer.handle("carol")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post_auth(&format!("/api/v1/accounts/{carol_id}/follow"), &alice, &[])
        .await;
    peer.post("follow", json!({"handle": pair.acct("alice")}))
        .await;
    eventually("alice follows carol", || async {
        relationship(app, &alice, &carol_id).await["following"] == true
    })
    .await;
    peer.state_until("carol follows alice", |s| {
        s["following"]["carol"][pair.actor("alice")] == "accepted"
    })
    .await;

    // An image from the peer becomes a media attachment, its file served from here.
    peer.post(
        "post",
        json!({"content": "<p>a picture</p>", "image": "a red square"}),
    )
    .await;
    eventually("carol's picture arrives", || async {
        find(&home(app, &alice).await, "a picture").is_some()
    })
    .await;
    let status = find(&home(app, &alice).await, "a picture")
        .cloned()
        .unwrap();
    let attachment = &status["media_attachments"][0];
    assert_eq!(attachment["type"], "image", "{status}");
    assert_eq!(attachment["description"], "a red square");
    assert_eq!(
        attachment["remote_url"],
        format!("https://127.0.0.1:{}/media/pic.png", peer.port)
    );
    // Rookery copies the file from the peer; its URL then leads to the copy, served here.
    let url = attachment["url"].as_str().unwrap().to_owned();
    let own = format!("{}/", app.base);
    eventually("the picture is served from Rookery's copy", || async {
        let mut r = app.client.get(&url).send().await.unwrap();
        if r.status().is_redirection() {
            let to = r.headers()["location"].to_str().unwrap().to_owned();
            if !to.starts_with(&own) && !to.starts_with('/') {
                return false; // still the peer's own URL: not copied yet
            }
            r = app
                .client
                .get(app.url(to.trim_start_matches(&app.base)))
                .send()
                .await
                .unwrap();
        }
        r.status() == 200 && r.bytes().await.unwrap().starts_with(b"\x89PNG")
    })
    .await;
    let state = peer.get("state").await;
    assert!(
        state["mediaFetches"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "/media/pic.png"),
        "{state}"
    );

    // alice's picture: the Note carries its URL, which the peer can fetch.
    let (_, media) = upload(
        app,
        &alice,
        "square.png",
        make_png(64, 64),
        &[("description", "a square from Rookery")],
    )
    .await;
    let media_id = media["id"].as_str().unwrap().to_owned();
    assert_eq!(processed(app, &alice, &media_id).await.0, 200);
    let mine = crate::two_instances::post(
        app,
        &alice,
        &[("status", "my picture"), ("media_ids[]", &media_id)],
    )
    .await;
    let create = peer
        .received("alice's picture", |a| {
            a["type"] == "Create" && a["parsed"]["object"]["id"] == mine["uri"]
        })
        .await;
    let attachment = &create["parsed"]["object"]["attachments"][0];
    assert_eq!(attachment["mediaType"], "image/png", "{create}");
    let url = attachment["url"].as_str().unwrap();
    assert_eq!(peer.fetch(url, None).await.0, 200, "{url}");

    // A poll from the peer; alice's vote goes back as a Note named after her choice.
    let question = peer
        .post(
            "post",
            json!({"content": "<p>tea or coffee?</p>", "poll": {"options": ["tea", "coffee"]}}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    eventually("carol's poll arrives", || async {
        find(&home(app, &alice).await, "tea or coffee").is_some()
    })
    .await;
    let status = find(&home(app, &alice).await, "tea or coffee")
        .cloned()
        .unwrap();
    let poll = &status["poll"];
    assert_eq!(poll["options"][0]["title"], "tea", "{status}");
    assert_eq!(poll["options"][1]["title"], "coffee");
    assert_eq!(poll["multiple"], false);
    let (s, voted) = app
        .post_json_auth(
            &format!("/api/v1/polls/{}/votes", poll["id"].as_str().unwrap()),
            &alice,
            &json!({"choices": [1]}),
        )
        .await;
    assert_eq!(s, 200, "{voted}");
    let vote = peer
        .received("alice's vote", |a| {
            a["type"] == "Create" && a["parsed"]["object"]["inReplyTo"] == question.as_str()
        })
        .await;
    let object = &vote["parsed"]["object"];
    assert_eq!(object["name"], "coffee", "{vote}");
    assert_eq!(object["to"], json!([peer.actor("carol")]), "{vote}");

    // alice's poll reaches the peer as a Question; carol's vote is counted here.
    let (s, mine) = app
        .post_json_auth(
            "/api/v1/statuses",
            &alice,
            &json!({"status": "cats or dogs?", "poll": {"options": ["cats", "dogs"], "expires_in": 3600}}),
        )
        .await;
    assert_eq!(s, 200, "{mine}");
    let create = peer
        .received("alice's poll", |a| {
            a["type"] == "Create" && a["parsed"]["object"]["id"] == mine["uri"]
        })
        .await;
    let object = &create["parsed"]["object"];
    assert_eq!(object["type"], "Question", "{object}");
    assert_eq!(object["oneOf"], json!(["cats", "dogs"]));
    peer.post(
        "vote",
        json!({"question": mine["uri"], "choices": ["dogs"]}),
    )
    .await;
    let poll_id = mine["poll"]["id"].as_str().unwrap().to_owned();
    eventually("carol's vote is counted", || async {
        let (_, poll, _) = app
            .get_auth(&format!("/api/v1/polls/{poll_id}"), Some(&alice))
            .await;
        poll["options"][1]["votes_count"] == 1 && poll["options"][0]["votes_count"] == 0
    })
    .await;
}

crate::kit::on_sqlite_and_postgres!(media_and_polls);
