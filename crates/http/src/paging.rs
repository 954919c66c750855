//! Keyset pagination as Mastodon does it: `max_id`, `since_id`, `min_id`, `limit` in, RFC 8288
//! `Link` headers (`rel="next"` with `max_id`, `rel="prev"` with `min_id`) out; and query
//! strings read like forms (arrays as `types[]=`).

use axum::Json;
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use rookery_model::Id;
use rookery_store::TimelinePage;

use crate::extract::form_to_json;
use crate::{ApiError, AppState};

/// Query parameters parsed like a form body.
#[derive(Debug)]
pub struct LooseQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequestParts<AppState> for LooseQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        serde_json::from_value(form_to_json(q.as_bytes()))
            .map(LooseQuery)
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("Invalid query: {e}")))
    }
}

/// The pagination parameters.
#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    max_id: Option<String>,
    since_id: Option<String>,
    min_id: Option<String>,
    limit: Option<String>,
}

fn id(name: &str, v: &Option<String>) -> Result<Option<Id>, ApiError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| {
            ApiError::new(StatusCode::BAD_REQUEST, format!("{name} is not a valid id"))
        }),
    }
}

impl PageParams {
    /// `limit=0`: everything, unpaged (list members, as Mastodon allows).
    pub fn wants_all(&self) -> bool {
        self.limit.as_deref().map(str::trim) == Some("0")
    }

    /// Bounds for the store; `limit` defaults to `default` and is capped at `max`.
    pub fn page(&self, default: u32, max: u32) -> Result<TimelinePage, ApiError> {
        let limit = match self
            .limit
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => default,
            Some(l) => l
                .parse::<u32>()
                .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "limit is not a number"))?
                .clamp(1, max),
        };
        Ok(TimelinePage {
            max_id: id("max_id", &self.max_id)?,
            since_id: id("since_id", &self.since_id)?,
            min_id: id("min_id", &self.min_id)?,
            limit,
        })
    }
}

/// A page of results with its `Link` header.
pub struct Paged<T> {
    pub items: Vec<T>,
    /// (newest id, oldest id) of the page, if not empty.
    pub bounds: Option<(String, String)>,
    /// Absolute URL of the endpoint, without pagination parameters.
    pub base: String,
    /// The request's other parameters, to carry into the links.
    pub query: Vec<(String, String)>,
}

impl<T> Paged<T> {
    /// A page over `items`, whose ids `key` gives, answering the request `uri` on the instance
    /// at `base` (links carry the request's other parameters).
    pub fn new(items: Vec<T>, key: impl Fn(&T) -> String, base: &str, uri: &OriginalUri) -> Self {
        let bounds = match (items.first(), items.last()) {
            (Some(f), Some(l)) => Some((key(f), key(l))),
            _ => None,
        };
        let query = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .filter(|(k, _)| !matches!(k.as_ref(), "max_id" | "min_id" | "since_id"))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Paged {
            items,
            bounds,
            base: format!("{base}{}", uri.path()),
            query,
        }
    }

    /// A timeline page, linked from the ids of what was read (`page.bounds`) rather than what
    /// is left to show, so a page emptied by blocks, mutes or filters still leads on.
    pub fn statuses(
        page: rookery_service::StatusPage,
        base: &str,
        uri: &OriginalUri,
    ) -> Paged<rookery_api::Status> {
        let mut out = Paged::new(page.statuses, |s| s.id.clone(), base, uri);
        if let Some((newest, oldest)) = page.bounds {
            out.bounds = Some((newest.to_string(), oldest.to_string()));
        }
        out
    }

    /// A page over `(key, item)` rows, paged by the keys (row ids of favourites, blocks, …
    /// rather than the items' own ids).
    pub fn keyed(rows: Vec<(String, T)>, base: &str, uri: &OriginalUri) -> Self {
        let (keys, items): (Vec<String>, Vec<T>) = rows.into_iter().unzip();
        let mut page = Self::new(items, |_| String::new(), base, uri);
        page.bounds = match (keys.first(), keys.last()) {
            (Some(f), Some(l)) => Some((f.clone(), l.clone())),
            _ => None,
        };
        page
    }

    /// One page of a whole list read at once (the admin lists of blocks, which stay small):
    /// newest first by the id `id` reads from each item, bounded as `page` says.
    pub fn of_whole_list(
        mut items: Vec<T>,
        id: impl Fn(&T) -> i64,
        page: TimelinePage,
        base: &str,
        uri: &OriginalUri,
    ) -> Self {
        let above = page.min_id.or(page.since_id).map_or(i64::MIN, Id::as_i64);
        let below = page.max_id.map_or(i64::MAX, Id::as_i64);
        items.retain(|i| id(i) > above && id(i) < below);
        items.sort_by_key(|i| std::cmp::Reverse(id(i)));
        let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
        if page.min_id.is_some() {
            // The page just above `min_id`: the oldest ones.
            let skip = items.len().saturating_sub(limit);
            items.drain(..skip);
        } else {
            items.truncate(limit);
        }
        let keyed = items.into_iter().map(|i| (id(&i).to_string(), i)).collect();
        Self::keyed(keyed, base, uri)
    }

    fn link(&self, key: &str, value: &str) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.query {
            s.append_pair(k, v);
        }
        s.append_pair(key, value);
        format!("{}?{}", self.base, s.finish())
    }
}

impl Paged<()> {
    /// Links for a page whose body is not a list (grouped notifications): `(newest, oldest)`
    /// ids; `drop` names request parameters the links leave out.
    pub fn links(
        bounds: Option<(String, String)>,
        base: &str,
        uri: &OriginalUri,
        drop: &[&str],
    ) -> Self {
        let mut page = Self::new(Vec::new(), |_| String::new(), base, uri);
        page.query.retain(|(k, _)| !drop.contains(&k.as_str()));
        page.bounds = bounds;
        page
    }

    /// `body` with this page's `Link` header.
    pub fn respond<B: Serialize>(&self, body: B) -> Response {
        let mut response = Json(body).into_response();
        if let Some(l) = self.link_header() {
            response.headers_mut().insert(header::LINK, l);
        }
        response
    }
}

impl<T> Paged<T> {
    fn link_header(&self) -> Option<HeaderValue> {
        let (newest, oldest) = self.bounds.as_ref()?;
        let l = format!(
            "<{}>; rel=\"next\", <{}>; rel=\"prev\"",
            self.link("max_id", oldest),
            self.link("min_id", newest)
        );
        HeaderValue::from_str(&l).ok()
    }
}

impl<T: Serialize> IntoResponse for Paged<T> {
    fn into_response(self) -> Response {
        let link = self.link_header();
        let mut response = Json(self.items).into_response();
        if let Some(l) = link {
            response.headers_mut().insert(header::LINK, l);
        }
        response
    }
}
