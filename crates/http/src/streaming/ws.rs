//! The WebSocket transport: `GET /api/v1/streaming` with an upgrade. Clients subscribe and
//! unsubscribe with `{"type":"subscribe","stream":…,"tag":…,"list":…}`; events arrive as
//! `{"stream":[…],"event":…,"payload":"<JSON text>"}`; problems with a message are answered
//! with `{"error":…,"status":…}` and the connection stays open.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::http::request::Parts;
use axum::response::Response;
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

use super::conn::{Connection, Next};
use super::spec::Spec;
use super::{authenticate, authorize, error_response, protocol_token, query_param, token_of};
use crate::AppState;
use rookery_service::Authenticated;

/// A write that takes longer than this means the client stopped reading: disconnect it.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Upgrades after checking the token and the stream in the URL (if any), so a bad token is a
/// plain HTTP 401 rather than a socket that closes.
pub(crate) async fn upgrade(state: AppState, parts: Parts, upgrade: WebSocketUpgrade) -> Response {
    let auth = match authenticate(&state, token_of(&parts).as_deref()).await {
        Ok(a) => a,
        Err(e) => return error_response(&e),
    };
    let initial = match query_param(&parts, "stream") {
        Some(name) => {
            let spec = match Spec::parse(
                &name,
                query_param(&parts, "tag").as_deref(),
                query_param(&parts, "list").as_deref(),
            ) {
                Ok(s) => s,
                Err(e) => return error_response(&e),
            };
            if let Err(e) = authorize(&state, &spec, auth.as_ref()).await {
                return error_response(&e);
            }
            Some(spec)
        }
        None => None,
    };
    let streaming = state.streaming.clone();
    let slot = match super::admit(&streaming, auth.as_ref(), &parts) {
        Ok(slot) => slot,
        Err(super::LimitReached) => return super::too_many(),
    };
    let limits = streaming.limits;
    // Small buffers: idle connections are the common case (the library's defaults reserve
    // 128 kB per connection for reading).
    let mut upgrade = upgrade
        .max_message_size(limits.max_message_bytes)
        .max_frame_size(limits.max_message_bytes)
        .read_buffer_size(4096)
        .write_buffer_size(0);
    // A client that sent its token as the subprotocol expects it echoed back.
    if let Some(p) = protocol_token(&parts.headers) {
        upgrade = upgrade.protocols([p]);
    }
    let account = auth
        .as_ref()
        .and_then(|a| a.user.as_ref())
        .map(|u| u.account.id);

    upgrade.on_upgrade(move |socket| async move {
        let mut conn = Connection::new(state, "websocket", account, slot);
        if let Some(spec) = initial {
            conn.subscribe(spec);
        }
        run(socket, conn, auth.map(Box::new), limits).await;
    })
}

/// A client's message.
#[derive(Debug, Deserialize)]
struct ClientMessage {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    stream: Option<String>,
    #[serde(default)]
    tag: Option<String>,
    #[serde(default)]
    list: Option<String>,
}

#[derive(Serialize)]
struct OutEvent<'a> {
    stream: &'a [String],
    event: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<&'a str>,
}

fn error_message(status: u16, error: &str) -> Message {
    Message::Text(Utf8Bytes::from(
        serde_json::json!({ "error": error, "status": status }).to_string(),
    ))
}

fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    }))
}

/// Writes queued messages to the socket; ends when the queue closes or a write fails or
/// stalls for [`SEND_TIMEOUT`].
async fn write_loop(mut sink: SplitSink<WebSocket, Message>, mut queue: mpsc::Receiver<Message>) {
    while let Some(msg) = queue.recv().await {
        let closing = matches!(msg, Message::Close(_));
        match tokio::time::timeout(SEND_TIMEOUT, sink.send(msg)).await {
            Ok(Ok(())) if !closing => {}
            _ => return,
        }
    }
    let _ = tokio::time::timeout(SEND_TIMEOUT, sink.close()).await;
}

/// Handles one client message; `Some` is the reply.
async fn handle(
    conn: &mut Connection,
    text: &str,
    auth: Option<&Authenticated>,
    limits: super::StreamingLimits,
) -> Option<Message> {
    let msg: ClientMessage = match serde_json::from_str(text) {
        Ok(m) => m,
        Err(_) => return Some(error_message(400, "Invalid JSON message")),
    };
    let subscribe = match msg.kind.as_str() {
        "subscribe" => true,
        "unsubscribe" => false,
        _ => return Some(error_message(400, "Unknown message type")),
    };
    let Some(name) = msg.stream.as_deref() else {
        return Some(error_message(400, "Missing stream name"));
    };
    let spec = match Spec::parse(name, msg.tag.as_deref(), msg.list.as_deref()) {
        Ok(s) => s,
        Err(e) => return Some(error_message(e.status.as_u16(), e.message)),
    };
    if !subscribe {
        conn.unsubscribe(&spec);
        return None;
    }
    // The same rules as opening the stream by URL: a user, and a token that may read it.
    if let Err(e) = authorize(conn.state(), &spec, auth).await {
        return Some(error_message(e.status.as_u16(), e.message));
    }
    if conn.subscribed() >= limits.subscriptions_per_connection {
        return Some(error_message(
            429,
            "Too many subscriptions on this connection",
        ));
    }
    conn.subscribe(spec);
    None
}

/// Queues `msg`; `false` when the client is gone or its queue is full (then it has been
/// counted as an overflow).
fn queue(conn: &Connection, out: &mpsc::Sender<Message>, msg: Message) -> bool {
    match out.try_send(msg) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(_)) => {
            conn.overflowed();
            false
        }
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    }
}

async fn run(
    socket: WebSocket,
    mut conn: Connection,
    // Boxed: it is large and idle connections keep it for their whole life.
    auth: Option<Box<Authenticated>>,
    limits: super::StreamingLimits,
) {
    let (sink, mut incoming) = socket.split();
    let (out, rx) = mpsc::channel::<Message>(limits.buffer);
    let writer = tokio::spawn(write_loop(sink, rx));
    let mut closing = conn.closing();
    let mut heartbeat = tokio::time::interval(limits.heartbeat);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    heartbeat.reset();
    // Ends the connection with a close frame (sent after what is already queued).
    let finish = |conn: &Connection,
                  out: &mpsc::Sender<Message>,
                  code: u16,
                  reason: &'static str,
                  why: &'static str| {
        conn.disconnected(why);
        let _ = out.try_send(close(code, reason));
    };
    loop {
        if *closing.borrow() {
            finish(
                &conn,
                &out,
                close_code::AWAY,
                "server shutting down",
                "shutdown",
            );
            break;
        }
        tokio::select! {
            _ = closing.changed() => continue,
            msg = incoming.next() => match msg {
                None | Some(Ok(Message::Close(_))) => break,
                Some(Ok(Message::Text(text))) => {
                    if let Some(reply) = handle(&mut conn, text.as_str(), auth.as_deref(), limits).await
                        && !queue(&conn, &out, reply)
                    {
                        writer.abort();
                        return;
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    if !queue(&conn, &out, error_message(400, "Binary messages are not supported")) {
                        writer.abort();
                        return;
                    }
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Err(e)) => {
                    let text = e.to_string();
                    if text.contains("too long") || text.contains("too big") || text.contains("Space limit") {
                        finish(&conn, &out, close_code::SIZE, "message too big", "message_too_big");
                    }
                    break;
                }
            },
            next = conn.next() => match next {
                Next::Event { label, event } => {
                    let text = serde_json::to_string(&OutEvent {
                        stream: &label,
                        event: &event.event,
                        payload: event.payload.as_deref(),
                    })
                    .unwrap_or_default();
                    if !queue(&conn, &out, Message::Text(Utf8Bytes::from(text))) {
                        // Too slow: drop the connection without waiting on it.
                        writer.abort();
                        return;
                    }
                    conn.delivered();
                }
                Next::Overflow => {
                    finish(&conn, &out, close_code::POLICY, "too slow: events overflowed", "overflow");
                    break;
                }
                Next::Closed => {
                    finish(&conn, &out, close_code::ERROR, "event bus closed", "bus_closed");
                    break;
                }
            },
            _ = heartbeat.tick() => {
                if out.try_send(Message::Ping(Default::default())).is_err() && out.is_closed() {
                    break;
                }
            }
        }
    }
    // Let the writer send what is queued (a close frame included), within its timeout; it
    // ends when the queue's last sender is gone.
    drop(out);
    let _ = writer.await;
}
