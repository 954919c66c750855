//! The streaming API in one process: server-sent events and WebSocket, events from real posts,
//! blocks and mutes, limits and bad input.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rookery_testkit::Backend;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::kit::{TestApp, on_every_backend, spawn_with};

/// How long to wait for an event that must come.
const WAIT: Duration = Duration::from_secs(10);

/// A server-sent events reader.
pub struct Sse {
    resp: reqwest::Response,
    buf: String,
}

impl Sse {
    /// Opens `path` (with the token as `access_token` when given); panics unless 200.
    pub async fn open(base: &str, path: &str, token: Option<&str>) -> Sse {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match token {
            Some(t) => format!("{base}{path}{sep}access_token={t}"),
            None => format!("{base}{path}"),
        };
        let resp = reqwest::get(&url).await.unwrap();
        assert_eq!(resp.status(), 200, "{url}");
        assert_eq!(
            resp.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Sse {
            resp,
            buf: String::new(),
        }
    }

    /// The next event (name, data), skipping heartbeats; `None` when the stream ends.
    pub async fn next(&mut self) -> Option<(String, String)> {
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut name = None;
                let mut data = Vec::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event: ") {
                        name = Some(v.to_owned());
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data.push(v.to_owned());
                    }
                }
                if let Some(name) = name {
                    return Some((name, data.join("\n")));
                }
            }
            match tokio::time::timeout(WAIT, self.resp.chunk()).await {
                Ok(Ok(Some(c))) => self.buf.push_str(&String::from_utf8_lossy(&c)),
                Ok(Ok(None)) | Ok(Err(_)) => return None,
                Err(_) => panic!("no event within {WAIT:?}; buffered: {:?}", self.buf),
            }
        }
    }

    /// The next event, which must be `name`; returns its data.
    pub async fn expect(&mut self, name: &str) -> String {
        let (got, data) = self.next().await.expect("the stream ended");
        assert_eq!(got, name, "data: {data}");
        data
    }
}

async fn post(app: &TestApp, token: &str, form: &[(&str, &str)]) -> Value {
    let (code, v) = app.post_auth("/api/v1/statuses", token, form).await;
    assert_eq!(code, 200, "{v}");
    v
}

async fn user_stream_gets_updates_notifications_edits_and_deletes(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let bob_id = app.services.local_account("bob").await.unwrap().account.id;
    let (code, _) = app
        .post_auth(&format!("/api/v1/accounts/{bob_id}/follow"), &alice, &[])
        .await;
    assert_eq!(code, 200);
    let mut user = Sse::open(&app.base, "/api/v1/streaming/user", Some(&alice)).await;
    let mut notes = Sse::open(
        &app.base,
        "/api/v1/streaming/user/notification",
        Some(&alice),
    )
    .await;

    let status = post(&app, &bob, &[("status", "hello @alice")]).await;
    let id = status["id"].as_str().unwrap();
    // The mention notification and the home-feed update, in either order.
    let mut seen = Vec::new();
    for _ in 0..2 {
        let (name, data) = user.next().await.unwrap();
        let v: Value = serde_json::from_str(&data).unwrap();
        match name.as_str() {
            "update" => assert_eq!(v["id"], id),
            "notification" => {
                assert_eq!(v["type"], "mention");
                assert_eq!(v["status"]["id"], id);
            }
            other => panic!("unexpected {other}"),
        }
        seen.push(name);
    }
    seen.sort();
    assert_eq!(seen, ["notification", "update"]);
    // The notification stream has the notification only.
    let v: Value = serde_json::from_str(&notes.expect("notification").await).unwrap();
    assert_eq!(v["account"]["username"], "bob");

    let (code, _) = app
        .client
        .put(app.url(&format!("/api/v1/statuses/{id}")))
        .bearer_auth(&bob)
        .form(&[("status", "hello again @alice")])
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(code, 200);
    let v: Value = serde_json::from_str(&user.expect("status.update").await).unwrap();
    assert!(v["content"].as_str().unwrap().contains("again"));
    assert!(v["edited_at"].is_string());

    let r = app
        .client
        .delete(app.url(&format!("/api/v1/statuses/{id}")))
        .bearer_auth(&bob)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(user.expect("delete").await, id);
}

async fn mutes_and_blocks_filter_public_streams_until_lifted(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let carol = app.token("carol").await;
    let bob_id = app.services.local_account("bob").await.unwrap().account.id;
    let mut public = Sse::open(&app.base, "/api/v1/streaming/public/local", Some(&alice)).await;
    let mut anon = Sse::open(&app.base, "/api/v1/streaming/public", None).await;

    let (code, _) = app
        .post_auth(&format!("/api/v1/accounts/{bob_id}/mute"), &alice, &[])
        .await;
    assert_eq!(code, 200);
    post(&app, &bob, &[("status", "muted words")]).await;
    let from_carol = post(&app, &carol, &[("status", "visible words")]).await;
    // Alice skips Bob's post and gets Carol's; an anonymous stream gets both.
    let v: Value = serde_json::from_str(&public.expect("update").await).unwrap();
    assert_eq!(v["id"], from_carol["id"]);
    let mut authors = Vec::new();
    for _ in 0..2 {
        let v: Value = serde_json::from_str(&anon.expect("update").await).unwrap();
        authors.push(v["account"]["username"].as_str().unwrap().to_owned());
    }
    authors.sort();
    assert_eq!(authors, ["bob", "carol"]);

    // Lifting the mute takes effect on the open stream at once.
    let (code, _) = app
        .post_auth(&format!("/api/v1/accounts/{bob_id}/unmute"), &alice, &[])
        .await;
    assert_eq!(code, 200);
    let again = post(&app, &bob, &[("status", "heard now")]).await;
    let v: Value = serde_json::from_str(&public.expect("update").await).unwrap();
    assert_eq!(v["id"], again["id"]);

    // A block by Bob hides him from Alice as well.
    let alice_id = app
        .services
        .local_account("alice")
        .await
        .unwrap()
        .account
        .id;
    let (code, _) = app
        .post_auth(&format!("/api/v1/accounts/{alice_id}/block"), &bob, &[])
        .await;
    assert_eq!(code, 200);
    post(&app, &bob, &[("status", "blocked words")]).await;
    let last = post(&app, &carol, &[("status", "still visible")]).await;
    let v: Value = serde_json::from_str(&public.expect("update").await).unwrap();
    assert_eq!(v["id"], last["id"]);
}

pub(crate) async fn ws_connect(
    app: &TestApp,
    query: &str,
    protocol_token: Option<&str>,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let url = format!("{}/api/v1/streaming{query}", app.base.replace("http", "ws"));
    let mut req = url.into_client_request().unwrap();
    if let Some(t) = protocol_token {
        req.headers_mut()
            .insert("sec-websocket-protocol", t.parse().unwrap());
    }
    let (ws, resp) = tokio_tungstenite::connect_async(req).await.unwrap();
    if let Some(t) = protocol_token {
        assert_eq!(resp.headers()["sec-websocket-protocol"], t);
    }
    ws
}

pub(crate) type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next text message as JSON (pings skipped).
pub(crate) async fn ws_next(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("no message in time")
            .expect("the socket closed")
            .unwrap();
        match msg {
            Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
}

pub(crate) async fn ws_send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

async fn websocket_multiplexes_streams(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    // Token as the subprotocol (masto.js), first stream in the URL.
    let mut ws = ws_connect(&app, "?stream=user", Some(&alice)).await;
    ws_send(
        &mut ws,
        serde_json::json!({"type": "subscribe", "stream": "hashtag", "tag": "Rust"}),
    )
    .await;
    ws_send(
        &mut ws,
        serde_json::json!({"type": "subscribe", "stream": "public:local"}),
    )
    .await;
    // Subscribing is asynchronous on the server; a round trip through an error proves the
    // messages before it were handled.
    ws_send(&mut ws, serde_json::json!({"type": "nonsense"})).await;
    assert_eq!(ws_next(&mut ws).await["status"], 400);

    let s = post(&app, &bob, &[("status", "learning #rust today")]).await;
    let mut streams = Vec::new();
    for _ in 0..2 {
        let e = ws_next(&mut ws).await;
        assert_eq!(e["event"], "update");
        let payload: Value = serde_json::from_str(e["payload"].as_str().unwrap()).unwrap();
        assert_eq!(payload["id"], s["id"]);
        streams.push(e["stream"].clone());
    }
    streams.sort_by_key(|s| s.to_string());
    assert_eq!(
        streams,
        vec![
            serde_json::json!(["hashtag", "Rust"]),
            serde_json::json!(["public:local"])
        ]
    );
    // Unsubscribing stops a stream; the user stream still hears mentions.
    ws_send(
        &mut ws,
        serde_json::json!({"type": "unsubscribe", "stream": "public:local"}),
    )
    .await;
    ws_send(
        &mut ws,
        serde_json::json!({"type": "unsubscribe", "stream": "hashtag", "tag": "Rust"}),
    )
    .await;
    ws_send(&mut ws, serde_json::json!({"type": "nonsense"})).await;
    assert_eq!(ws_next(&mut ws).await["status"], 400);
    post(&app, &bob, &[("status", "#rust again @alice")]).await;
    let e = ws_next(&mut ws).await;
    assert_eq!(e["stream"], serde_json::json!(["user"]));
}

async fn direct_stream_gets_conversations(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let mut direct = Sse::open(&app.base, "/api/v1/streaming/direct", Some(&alice)).await;
    let mut public = Sse::open(&app.base, "/api/v1/streaming/public", None).await;
    let secret = post(
        &app,
        &bob,
        &[("status", "@alice just us"), ("visibility", "direct")],
    )
    .await;
    let c: Value = serde_json::from_str(&direct.expect("conversation").await).unwrap();
    assert_eq!(c["last_status"]["id"], secret["id"]);
    assert_eq!(c["last_status"]["visibility"], "direct");
    assert_eq!(c["unread"], true);
    let others: Vec<&str> = c["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert_eq!(others, ["bob"]);
    // Direct posts never reach public streams: the next public event is a public post.
    let open = post(&app, &bob, &[("status", "for all")]).await;
    let v: Value = serde_json::from_str(&public.expect("update").await).unwrap();
    assert_eq!(v["id"], open["id"]);
}

on_every_backend!(
    direct_stream_gets_conversations,
    user_stream_gets_updates_notifications_edits_and_deletes,
    mutes_and_blocks_filter_public_streams_until_lifted,
    websocket_multiplexes_streams,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_errors() {
    // A client that goes away is noticed at the next write: heartbeats every second here.
    let app = spawn_with(
        Backend::Sqlite,
        &[
            ("ROOKERY_STREAMING__CONNECTIONS_PER_TOKEN", "2"),
            ("ROOKERY_STREAMING__HEARTBEAT_SECS", "1"),
        ],
    )
    .await;
    let alice = app.token("alice").await;
    let r = app.get("/api/v1/streaming/health").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "OK");
    for (path, code, msg) in [
        ("/api/v1/streaming/nope", 400, "Unknown stream type"),
        ("/api/v1/streaming/user", 401, "Missing access token"),
        ("/api/v1/streaming/direct", 401, "Missing access token"),
        (
            "/api/v1/streaming/user?access_token=wrong",
            401,
            "Invalid access token",
        ),
        (
            "/api/v1/streaming/public?access_token=wrong",
            401,
            "Invalid access token",
        ),
        (
            "/api/v1/streaming/hashtag",
            400,
            "Missing tag name parameter",
        ),
        (
            "/api/v1/streaming/hashtag?tag=a%20b",
            400,
            "Unknown stream type",
        ),
        // Lists are someone's: without a token, that comes first.
        ("/api/v1/streaming/list?list=1", 401, "Missing access token"),
        ("/api/v1/streaming/list?list=x", 404, "List not found"),
        ("/api/v1/streaming", 400, "Unknown stream type"),
        (
            "/api/v1/streaming?stream=user%00",
            400,
            "Unknown stream type",
        ),
    ] {
        let (status, body) = app.get_json(path).await;
        assert_eq!(status, code, "{path}: {body}");
        assert_eq!(body["error"], msg, "{path}");
    }
    // A 10 kB stream name is just unknown.
    let long = format!("/api/v1/streaming?stream={}", "x".repeat(10_000));
    assert_eq!(app.get_json(&long).await.0, 400);
    // A token with only write access cannot read the user stream.
    let write_only = &app.token_with_scopes("alice", "write").await;
    let (status, body) = app
        .get_json(&format!("/api/v1/streaming/user?access_token={write_only}"))
        .await;
    assert_eq!(status, 401);
    assert_eq!(
        body["error"],
        "Access token does not have the required scopes"
    );

    // Per-token connection limit: the third is refused, and a closed one frees its place.
    let a = Sse::open(&app.base, "/api/v1/streaming/user", Some(&alice)).await;
    let _b = Sse::open(&app.base, "/api/v1/streaming/user", Some(&alice)).await;
    let (status, body) = app
        .get_json(&format!("/api/v1/streaming/public?access_token={alice}"))
        .await;
    assert_eq!(status, 429, "{body}");
    drop(a);
    crate::kit::eventually("the closed stream frees its place", || async {
        app.client
            .get(app.url(&format!("/api/v1/streaming/health?access_token={alice}")))
            .send()
            .await
            .is_ok()
            && reqwest::get(app.url(&format!(
                "/api/v1/streaming/public/local?access_token={alice}"
            )))
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_bad_input_never_breaks_the_connection_or_the_server() {
    let app = spawn_with(Backend::Sqlite, &[]).await;
    let alice = app.token("alice").await;
    // Bad tokens are refused before the upgrade.
    let url = format!(
        "{}/api/v1/streaming?access_token=nope",
        app.base.replace("http", "ws")
    );
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 401),
        other => panic!("expected 401, got {other:?}"),
    }
    let url = format!(
        "{}/api/v1/streaming?stream=nope",
        app.base.replace("http", "ws")
    );
    match tokio_tungstenite::connect_async(url).await {
        // Mastodon's streaming server: 400 "Unknown stream type".
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 400),
        other => panic!("expected 400, got {other:?}"),
    }

    // Anonymous: public streams yes, the user stream no; junk is answered, not fatal.
    let mut ws = ws_connect(&app, "", None).await;
    for (msg, status) in [
        ("{not json", 400),
        ("[]", 400),
        (r#"{"type":"subscribe"}"#, 400),
        (r#"{"type":"subscribe","stream":"user"}"#, 401),
        (r#"{"type":"subscribe","stream":"hashtag"}"#, 400),
        (r#"{"type":"subscribe","stream":"whatever"}"#, 400),
        (r#"{"type":"subscribe","stream":"list","list":"5"}"#, 401),
        (r#"{"type":"subscribe","stream":"list","list":"x"}"#, 404),
        (r#"{"type":"dance","stream":"public"}"#, 400),
    ] {
        ws.send(Message::Text(msg.into())).await.unwrap();
        let reply = ws_next(&mut ws).await;
        assert_eq!(reply["status"], status, "{msg}: {reply}");
        assert!(reply["error"].is_string());
    }
    ws.send(Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    assert_eq!(ws_next(&mut ws).await["status"], 400);
    // Still works: subscribe to public and hear a post.
    ws_send(
        &mut ws,
        serde_json::json!({"type": "subscribe", "stream": "public"}),
    )
    .await;
    ws_send(&mut ws, serde_json::json!({"type": "x"})).await;
    ws_next(&mut ws).await;
    post(&app, &alice, &[("status", "for everyone")]).await;
    assert_eq!(ws_next(&mut ws).await["event"], "update");

    // A 1 MB message: the server closes with 1009 (message too big) as soon as the frame
    // header says so. The client may still be writing when it does, so a reset is also a
    // refusal here; the raw-frame check below sees the close code itself.
    let mut code = None;
    if ws
        .send(Message::Text("x".repeat(1024 * 1024).into()))
        .await
        .is_ok()
    {
        while let Ok(Some(msg)) = tokio::time::timeout(WAIT, ws.next()).await {
            match msg {
                Ok(Message::Close(Some(f))) => {
                    code = Some(u16::from(f.code));
                    break;
                }
                Ok(_) => continue,
                Err(_) => break,
            }
        }
    }
    assert!(matches!(code, None | Some(1009)), "{code:?}");
    assert_eq!(oversized_frame_close_code(&app).await, 1009);
    // The server is fine.
    assert_eq!(app.get("/api/v1/streaming/health").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_cut_off_without_slowing_others() {
    let app = spawn_with(Backend::Sqlite, &[("ROOKERY_STREAMING__BUFFER", "8")]).await;
    let slow = ws_connect(&app, "?stream=public", None).await;
    let mut fast = Sse::open(&app.base, "/api/v1/streaming/public", None).await;
    // Large events fill the socket buffers of the client that never reads.
    let big = format!("\"{}\"", "y".repeat(64 * 1024));
    for i in 0..400 {
        app.services.events.publish(
            "timeline:public",
            rookery_events::Event::new("delete", Some(format!("{i}{big}"))),
        );
        // The reading client keeps up.
        let data = fast.expect("delete").await;
        assert!(data.starts_with(&i.to_string()));
    }
    // The slow one was dropped once its queue overflowed: reading now drains what the
    // kernel buffered, then the connection ends.
    let mut slow = slow;
    let mut ended = false;
    while let Ok(next) = tokio::time::timeout(WAIT, slow.next()).await {
        match next {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => {
                ended = true;
                break;
            }
            Some(Ok(_)) => continue,
        }
    }
    assert!(ended, "the slow client is still connected");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("rookery_streaming_disconnects_total{reason=\"overflow\"} 1"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_streams_cleanly() {
    let mut app = spawn_with(Backend::Sqlite, &[]).await;
    let alice = app.token("alice").await;
    let mut ws = ws_connect(&app, "?stream=user", Some(&alice)).await;
    let mut sse = Sse::open(&app.base, "/api/v1/streaming/public", None).await;
    drop(app.stop.take());
    let mut code = None;
    while let Ok(Some(msg)) = tokio::time::timeout(WAIT, ws.next()).await {
        if let Ok(Message::Close(Some(f))) = msg {
            code = Some(u16::from(f.code));
            break;
        }
    }
    assert_eq!(code, Some(1001));
    assert_eq!(sse.next().await, None, "the event stream ends");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_streams_get_heartbeats() {
    let app = spawn_with(
        Backend::Sqlite,
        &[("ROOKERY_STREAMING__HEARTBEAT_SECS", "1")],
    )
    .await;
    let mut r = reqwest::get(app.url("/api/v1/streaming/public"))
        .await
        .unwrap();
    assert_eq!(r.headers()["cache-control"], "private, no-store");
    let mut text = String::new();
    while !text.contains(":thump\n\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), r.chunk())
            .await
            .expect("no heartbeat")
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.starts_with(":)\n\n"), "{text:?}");
}

/// Sends, on a raw WebSocket, the header of a 1 MB text frame and a little of its payload;
/// returns the close code the server answers with.
async fn oversized_frame_close_code(app: &TestApp) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        format!(
            "GET /api/v1/streaming HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    // FIN + text, masked, 64-bit length 1 MiB, mask key, then 1 kB of payload.
    let mut frame = vec![0x81, 0x80 | 127];
    frame.extend_from_slice(&(1u64 << 20).to_be_bytes());
    frame.extend_from_slice(&[1, 2, 3, 4]);
    frame.extend_from_slice(&[0u8; 1024]);
    s.write_all(&frame).await.unwrap();
    let mut reply = [0u8; 4];
    tokio::time::timeout(WAIT, s.read_exact(&mut reply))
        .await
        .expect("no close frame")
        .unwrap();
    assert_eq!(reply[0], 0x88, "a close frame: {reply:?}");
    u16::from_be_bytes([reply[2], reply[3]])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_scopes_and_token_slots() {
    let app = spawn_with(
        Backend::Sqlite,
        &[("ROOKERY_STREAMING__CONNECTIONS_PER_TOKEN", "1")],
    )
    .await;
    let alice = app.token("alice").await;
    let ws_url = |token: &str| {
        format!(
            "{}/api/v1/streaming?access_token={token}",
            app.base.replace("http", "ws")
        )
    };
    // A token that may not read: subscribing to the user stream is refused like opening it.
    let write_only = app.token_with_scopes("alice", "write").await;
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url(&write_only))
        .await
        .unwrap();
    for stream in ["user", "user:notification", "direct"] {
        ws_send(
            &mut ws,
            serde_json::json!({"type": "subscribe", "stream": stream}),
        )
        .await;
        let reply = ws_next(&mut ws).await;
        assert_eq!(reply["status"], 401, "{stream}: {reply}");
        assert_eq!(
            reply["error"],
            "Access token does not have the required scopes"
        );
    }
    drop(ws);

    // One connection per token here: a second is refused, and closing the first frees it.
    let (mut first, _) = tokio_tungstenite::connect_async(ws_url(&alice))
        .await
        .unwrap();
    match tokio_tungstenite::connect_async(ws_url(&alice)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 429),
        other => panic!("expected 429, got {other:?}"),
    }
    first.close(None).await.unwrap();
    crate::kit::eventually("a closed WebSocket frees its token's place", || async {
        tokio_tungstenite::connect_async(ws_url(&alice))
            .await
            .is_ok()
    })
    .await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("rookery_streaming_clients{transport=\"websocket\"} 0")
            || metrics.contains("rookery_streaming_clients{transport=\"websocket\"} 1"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_connections_are_capped_per_address() {
    let app = spawn_with(
        Backend::Sqlite,
        &[
            ("ROOKERY_STREAMING__ANONYMOUS_PER_ADDRESS", "2"),
            ("ROOKERY_STREAMING__HEARTBEAT_SECS", "1"),
        ],
    )
    .await;
    let a = Sse::open(&app.base, "/api/v1/streaming/public", None).await;
    let _b = Sse::open(&app.base, "/api/v1/streaming/public/local", None).await;
    let (status, body) = app.get_json("/api/v1/streaming/public").await;
    assert_eq!(status, 429, "{body}");
    let ws = format!("{}/api/v1/streaming", app.base.replace("http", "ws"));
    match tokio_tungstenite::connect_async(&ws).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 429),
        other => panic!("expected 429, got {other:?}"),
    }
    // A user with a token is not counted against the address.
    let alice = app.token("alice").await;
    let _c = Sse::open(&app.base, "/api/v1/streaming/public", Some(&alice)).await;
    drop(a);
    crate::kit::eventually("a closed anonymous stream frees its place", || async {
        reqwest::get(app.url("/api/v1/streaming/public"))
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_websockets_with_1001_before_the_process_exits() {
    let dir = rookery_testkit::TempDir::new("rookery-stream-term").unwrap();
    let mut cmd = crate::cli::rookery(&dir);
    cmd.args(["serve", "--listen", "127.0.0.1:0"]);
    let (mut proc, base) = crate::roles::start(&mut cmd);
    let url = format!(
        "{}/api/v1/streaming?stream=public",
        base.replace("http", "ws")
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut sse = Sse::open(&base, "/api/v1/streaming/public/local", None).await;
    proc.signal("-TERM");
    let mut code = None;
    while let Ok(Some(msg)) = tokio::time::timeout(WAIT, ws.next()).await {
        if let Ok(Message::Close(Some(f))) = msg {
            code = Some(u16::from(f.code));
            break;
        }
    }
    assert_eq!(code, Some(1001));
    assert_eq!(sse.next().await, None, "the event stream ends");
    let status = tokio::task::spawn_blocking(move || proc.0.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "{status:?}");
}
