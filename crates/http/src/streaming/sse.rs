//! Server-sent events: `GET /api/v1/streaming/<stream>` and `GET /api/v1/streaming?stream=`.
//! `event: X` / `data: Y` lines, a blank line after each event, `:thump` heartbeats.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use tokio::sync::watch;
use tokio::time::{Interval, MissedTickBehavior};

use super::conn::{Connection, Next};
use super::spec::{Spec, StreamError};
use super::{authenticate, authorize, error_response, query_param, token_of};
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
    if let Err(e) = authorize(&state, &spec, auth.as_ref()).await {
        return error_response(&e);
    }
    let streaming = state.streaming.clone();
    let slot = match super::admit(&streaming, auth.as_ref(), &parts) {
        Ok(slot) => slot,
        Err(super::LimitReached) => return super::too_many(),
    };
    let account = auth
        .as_ref()
        .and_then(|a| a.user.as_ref())
        .map(|u| u.account.id);
    let mut conn = Connection::new(state, "sse", account, slot);
    conn.subscribe(spec);
    let mut heartbeat = tokio::time::interval(streaming.limits.heartbeat);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    heartbeat.reset();
    // The body pulls events itself: hyper polls it only when the socket can take more, so a
    // client that stops reading stops pulling, falls behind its channel buffers and is cut
    // off when it next reads. No task or queue per connection (idle streams stay small).
    let body = Body::from_stream(futures_util::stream::unfold(
        Some(Sse {
            conn,
            heartbeat,
            closing: streaming.closing(),
            started: false,
        }),
        |state| async move {
            let mut s = state?;
            let chunk = s.next_chunk().await?;
            Some((Ok::<Bytes, Infallible>(chunk), Some(s)))
        },
    ));
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

struct Sse {
    conn: Connection,
    heartbeat: Interval,
    closing: watch::Receiver<bool>,
    started: bool,
}

impl Sse {
    /// The next bytes to send; `None` ends the response.
    async fn next_chunk(&mut self) -> Option<Bytes> {
        if !self.started {
            self.started = true;
            return Some(Bytes::from_static(b":)\n\n"));
        }
        loop {
            if *self.closing.borrow() {
                self.conn.disconnected("shutdown");
                return None;
            }
            tokio::select! {
                _ = self.closing.changed() => continue,
                _ = self.heartbeat.tick() => return Some(Bytes::from_static(b":thump\n\n")),
                next = self.conn.next() => return match next {
                    Next::Event { event, .. } => {
                        self.conn.delivered();
                        Some(Bytes::from(format_event(&event.event, event.payload.as_deref())))
                    }
                    Next::Overflow => {
                        self.conn.disconnected("overflow");
                        None
                    }
                    Next::Closed => {
                        self.conn.disconnected("bus_closed");
                        None
                    }
                },
            }
        }
    }
}

/// One event in the `text/event-stream` format.
pub(crate) fn format_event(event: &str, payload: Option<&str>) -> String {
    // Mastodon's streaming server writes a missing payload as `undefined`, which clients
    // (Mastodon.py among them) expect; an empty `data:` is not JSON and breaks them.
    let payload = payload.unwrap_or("undefined");
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
            "event: filters_changed\ndata: undefined\n\n"
        );
    }
}
