//! A server's instance actor (`Application`) may announce changes to itself with an `Update`:
//! Rookery reads the actor again from its origin. An `Update` of it sent by anyone else
//! changes nothing.

use rookery_activitypub::keys::KeyPair;
use rookery_testkit::Backend;
use serde_json::json;

use super::support::*;
use crate::kit::{eventually, on_every_backend};

async fn an_instance_actor_updates_itself(backend: Backend) {
    let p = Pair::new(backend, &[]).await;
    // B's instance actor, with its key (made when it is first served).
    let doc: serde_json::Value = p.b.get("/actor").await.json().await.unwrap();
    let id = doc["id"].as_str().unwrap().to_owned();
    let pem = p
        .b
        .sql_texts("SELECT value FROM instance_settings WHERE key = 'instance_actor_private_key'")
        .await
        .pop()
        .unwrap();
    let instance = Actor {
        key_id: format!("{id}#main-key"),
        id: id.clone(),
        key: KeyPair::from_private_pem(&pem).unwrap(),
    };
    let update = |actor: &str| {
        to_bytes(&json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{actor}#updates/{}", serial()),
            "type": "Update",
            "actor": actor,
            "object": doc,
        }))
    };
    let stored = || async {
        p.a.sql_texts(&format!(
            "SELECT CAST(updated_at AS TEXT) FROM accounts WHERE uri = '{id}'"
        ))
        .await
    };
    // Someone else's Update of it: accepted at the door, applied to nothing.
    let (status, reply) = signed_post(&p.a, "/inbox", &update(&p.mallory.id), &p.mallory).await;
    assert_eq!(status, 202, "{reply}");
    eventually("mallory's Update is applied", || async {
        p.a.sql_texts("SELECT kind FROM jobs WHERE kind = 'ingress'")
            .await
            .is_empty()
    })
    .await;
    // Its own Update: the actor is read (again) from B and kept, as an Application.
    let (status, reply) = signed_post(&p.a, "/inbox", &update(&id), &instance).await;
    assert_eq!(status, 202, "{reply}");
    eventually("the instance actor's Update is processed", || async {
        let metrics = p.a.get("/metrics").await.text().await.unwrap();
        metrics
            .contains(r#"rookery_federation_activities_total{type="Update",outcome="processed"} 2"#)
    })
    .await;
    let first = stored().await;
    assert_eq!(first.len(), 1);
    // Each Update reads the actor again (the stored copy is renewed).
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let (status, _) = signed_post(&p.a, "/inbox", &update(&id), &instance).await;
    assert_eq!(status, 202);
    eventually("the second Update is processed", || async {
        let metrics = p.a.get("/metrics").await.text().await.unwrap();
        metrics
            .contains(r#"rookery_federation_activities_total{type="Update",outcome="processed"} 3"#)
    })
    .await;
    let renewed = stored().await;
    assert!(
        renewed[0].parse::<i64>().unwrap() > first[0].parse::<i64>().unwrap(),
        "{first:?} {renewed:?}"
    );
    let kind =
        p.a.sql_texts(&format!(
            "SELECT actor_type FROM accounts WHERE uri = '{id}'"
        ))
        .await;
    assert_eq!(kind, ["Application"]);
}

on_every_backend!(an_instance_actor_updates_itself);
