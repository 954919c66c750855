//! Server-sent events: `GET /api/v1/streaming/<stream>` and `GET /api/v1/streaming?stream=`.
//! `event: X` / `data: Y` lines, a blank line after each event, `:thump` heartbeats.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use super::conn::{Connection, Next};
use super::spec::{Spec, StreamError};
use super::{authenticate, authorize, error_response, query_param, token_of, too_many};
use crate::AppState;

/// `GET /api/v1/streaming/user/notification` and friends: the path names the stream.
pub(crate) async fn by_path(
    State(state): State<AppState>,
    Path(path): Path<String>,
    req: axum::extract::Request,
) -> Response {
    let (parts, _) = req.into_parts();
    let mut name = path.trim_matches('/').replace('/', ":");
    if name.starts_with("public") && query_flag(&parts, "only_media") {
        name.push_str(":media");
    }
    open(state, parts, &name).await
}

/// `GET /api/v1/streaming?stream=…` without a WebSocket upgrade.
pub(crate) async fn by_query(state: AppState, parts: Parts) -> Response {
    let Some(name) = query_param(&parts, "stream") else {
        return error_response(&StreamError::UNKNOWN);
    };
    open(state, parts, &name).await
}

fn query_flag(parts: &Parts, name: &str) -> bool {
    query_param(parts, name).is_some_and(|v| matches!(v.as_str(), "1" | "true" | "True" | "on"))
}

async fn open(state: AppState, parts: Parts, name: &str) -> Response {
    let spec = match Spec::parse(
        name,
        query_param(&parts, "tag").as_deref(),
        query_param(&parts, "list").as_deref(),
    ) {
        Ok(s) => s,
        Err(e) => return error_response(&e),
    };
    let auth = match authenticate(&state, token_of(&parts).as_deref()).await {
        Ok(a) => a,
        Err(e) => return error_response(&e),
    };
    if let Err(e) = authorize(&spec, auth.as_ref()) {
        return error_response(&e);
    }
    let streaming = state.streaming.clone();
    let slot = match &auth {
        Some(a) => match streaming.admit(a.token.id) {
            Some(slot) => Some(slot),
            None => return too_many(),
        },
        None => None,
    };
    let account = auth
        .as_ref()
        .and_then(|a| a.user.as_ref())
        .map(|u| u.account.id);
    let mut conn = Connection::new(state, "sse", account, slot);
    conn.subscribe(spec);
    let (tx, rx) = mpsc::channel::<Bytes>(streaming.limits.buffer);
    tokio::spawn(drive(
        conn,
        tx,
        streaming.limits.heartbeat,
        streaming.closing(),
    ));
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        let chunk = rx.recv().await?;
        Some((Ok::<Bytes, Infallible>(chunk), rx))
    }));
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    resp
}

/// Feeds one client's queue from its subscriptions until the client leaves, falls too far
/// behind (its queue is full), or the process shuts down.
async fn drive(
    mut conn: Connection,
    tx: mpsc::Sender<Bytes>,
    heartbeat: std::time::Duration,
    mut closing: watch::Receiver<bool>,
) {
    let mut heartbeat = tokio::time::interval(heartbeat);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    heartbeat.reset();
    if tx.try_send(Bytes::from_static(b":)\n\n")).is_err() {
        return;
    }
    loop {
        if *closing.borrow() {
            conn.disconnected("shutdown");
            return;
        }
        tokio::select! {
            _ = tx.closed() => return,
            _ = closing.changed() => continue,
            _ = heartbeat.tick() => match tx.try_send(Bytes::from_static(b":thump\n\n")) {
                Ok(()) | Err(mpsc::error::TrySendError::Full(_)) => {}
                Err(mpsc::error::TrySendError::Closed(_)) => return,
            },
            next = conn.next() => match next {
                Next::Event { event, .. } => {
                    let chunk = Bytes::from(format_event(&event.event, event.payload.as_deref()));
                    match tx.try_send(chunk) {
                        Ok(()) => conn.delivered(),
                        Err(mpsc::error::TrySendError::Full(_)) => {
                            conn.overflowed();
                            return;
                        }
                        Err(mpsc::error::TrySendError::Closed(_)) => return,
                    }
                }
                Next::Overflow => {
                    conn.disconnected("overflow");
                    return;
                }
                Next::Closed => {
                    conn.disconnected("bus_closed");
                    return;
                }
            },
        }
    }
}

/// One event in the `text/event-stream` format.
pub(crate) fn format_event(event: &str, payload: Option<&str>) -> String {
    let payload = payload.unwrap_or("");
    let mut out = String::with_capacity(event.len() + payload.len() + 24);
    out.push_str("event: ");
    out.push_str(event);
    out.push('\n');
    // A payload never holds raw newlines (it is JSON or an id), but one line per `data:` keeps
    // the framing intact whatever it holds.
    for line in payload.split('\n') {
        out.push_str("data: ");
        out.push_str(line.trim_end_matches('\r'));
        out.push('\n');
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::format_event;

    #[test]
    fn events_are_framed_as_event_stream_clients_parse_them() {
        assert_eq!(
            format_event("update", Some(r#"{"id":"1"}"#)),
            "event: update\ndata: {\"id\":\"1\"}\n\n"
        );
        assert_eq!(
            format_event("delete", Some("42")),
            "event: delete\ndata: 42\n\n"
        );
        assert_eq!(
            format_event("x", Some("a\nb\r\nc")),
            "event: x\ndata: a\ndata: b\ndata: c\n\n"
        );
        assert_eq!(
            format_event("filters_changed", None),
            "event: filters_changed\ndata: \n\n"
        );
    }
}
