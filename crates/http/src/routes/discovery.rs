//! Discovery: WebFinger, host-meta, NodeInfo.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use rookery_service::{Resource, ResourceError, ServiceError, VERSION, WebfingerTarget};

use crate::{ApiError, AppState};

#[derive(Debug, Deserialize)]
pub(crate) struct WebfingerQuery {
    resource: Option<String>,
}

#[derive(Debug, Serialize)]
struct Jrd {
    subject: String,
    aliases: Vec<String>,
    links: Vec<JrdLink>,
}

#[derive(Debug, Serialize)]
struct JrdLink {
    rel: &'static str,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    href: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    template: Option<String>,
}

/// `GET /.well-known/webfinger?resource=acct:user@domain` — the JRD of a local account.
/// Malformed resources are 400, anything not a local account 404.
pub(crate) async fn webfinger(
    State(state): State<AppState>,
    query: Result<Query<WebfingerQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let raw = query
        .map_err(|_| ApiError::bad_request("invalid query string"))?
        .0
        .resource
        .unwrap_or_default();
    let resource = Resource::parse(&raw).map_err(|e| match e {
        ResourceError::Missing => ApiError::bad_request("missing resource parameter"),
        ResourceError::TooLong | ResourceError::Malformed => ApiError::bad_request(e.to_string()),
    })?;
    let target = state
        .services
        .webfinger(&resource)
        .await
        .map_err(|e| match e {
            ServiceError::NotFound(_) => ApiError::not_found(),
            other => other.into(),
        })?;
    let urls = &state.services.urls;
    let domain = &state.services.settings.domain;
    let self_link = |href: String| JrdLink {
        rel: "self",
        kind: Some("application/activity+json"),
        href: Some(href),
        template: None,
    };
    let profile_link = |href: String| JrdLink {
        rel: "http://webfinger.net/rel/profile-page",
        kind: Some("text/html"),
        href: Some(href),
        template: None,
    };
    let jrd = match target {
        WebfingerTarget::Instance => {
            let actor = urls.instance_actor();
            Jrd {
                subject: format!("acct:{domain}@{domain}"),
                aliases: vec![actor.clone()],
                links: vec![profile_link(urls.about()), self_link(actor)],
            }
        }
        WebfingerTarget::Account(local) => {
            let name = local.account.username.as_str();
            Jrd {
                subject: format!("acct:{name}@{domain}"),
                aliases: vec![urls.actor(name), urls.profile(name)],
                links: vec![
                    profile_link(urls.profile(name)),
                    self_link(urls.actor(name)),
                    JrdLink {
                        rel: "http://ostatus.org/schema/1.0/subscribe",
                        kind: None,
                        href: None,
                        template: Some(format!(
                            "{}/authorize_interaction?uri={{uri}}",
                            urls.base()
                        )),
                    },
                ],
            }
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/jrd+json; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=259200, public"),
        ],
        Json(jrd),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct HostMetaQuery {
    format: Option<String>,
}

/// `GET /.well-known/host-meta` — XRD pointing at WebFinger (`?format=json`: the same as JRD,
/// as Mastodon answers).
pub(crate) async fn host_meta(
    State(state): State<AppState>,
    query: Result<Query<HostMetaQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if query.is_ok_and(|q| q.0.format.as_deref() == Some("json")) {
        return host_meta_json(State(state)).await.into_response();
    }
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
         <Link rel=\"lrdd\" template=\"{}/.well-known/webfinger?resource={{uri}}\"/>\n\
         </XRD>\n",
        state.services.urls.base()
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/xrd+xml; charset=utf-8")],
        xml,
    )
        .into_response()
}

/// `GET /.well-known/host-meta.json` — host-meta as JRD.
pub(crate) async fn host_meta_json(State(state): State<AppState>) -> Response {
    let body = json!({
        "links": [{
            "rel": "lrdd",
            "template": format!(
                "{}/.well-known/webfinger?resource={{uri}}",
                state.services.urls.base()
            ),
        }]
    });
    (
        [(header::CONTENT_TYPE, "application/jrd+json; charset=utf-8")],
        Json(body),
    )
        .into_response()
}

/// `GET /.well-known/nodeinfo` — where the NodeInfo document is.
pub(crate) async fn nodeinfo_links(State(state): State<AppState>) -> impl IntoResponse {
    Json(json!({
        "links": [{
            "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
            "href": format!("{}/nodeinfo/2.0", state.services.urls.base()),
        }]
    }))
}

/// `GET /nodeinfo/2.0` — software, protocols and usage counts.
pub(crate) async fn nodeinfo(State(state): State<AppState>) -> Result<Response, ApiError> {
    let info = state.services.nodeinfo().await?;
    let body = json!({
        "version": "2.0",
        "software": {"name": "rookery", "version": VERSION},
        "protocols": ["activitypub"],
        "services": {"outbound": [], "inbound": []},
        "usage": {
            "users": {
                "total": info.stats.local_users,
                "activeMonth": info.stats.active_month,
                "activeHalfyear": info.stats.active_halfyear,
            },
            "localPosts": info.stats.local_statuses,
        },
        "openRegistrations": info.open_registrations,
        "metadata": {"nodeName": info.name, "nodeDescription": info.description},
    });
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.0#\"",
        )],
        Json(body),
    )
        .into_response())
}
