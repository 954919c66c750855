//! Request bodies as Mastodon apps send them: JSON, form-urlencoded (arrays as `ids[]=`,
//! nested fields as `a[0][name]=`, booleans as `"1"`/`"0"`), or multipart text fields — all read
//! into the same typed struct. Malformed bodies are a 422 with Mastodon's error shape.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::ApiError;

/// A request body of type `T`, whatever the encoding. Query-string parameters fill in fields
/// the body does not have (some OAuth clients send them there).
#[derive(Debug)]
pub struct Body<T>(pub T);

/// Deepest nesting of a form key (`a[b][c]` is 3 levels). Keys are inserted recursively: one
/// nested 200,000 levels deep (600 KB of `[x]`) would overflow the stack and abort the server.
/// Rack refuses deep keys too.
const MAX_KEY_DEPTH: usize = 32;

/// Inserts `value` at a form key such as `a`, `a[]`, `a[b]`, `a[0][b]`; `false` (nothing
/// inserted) for a key nested deeper than [`MAX_KEY_DEPTH`].
fn insert(root: &mut Map<String, Value>, key: &str, value: Value) -> bool {
    let mut parts: Vec<&str> = Vec::new();
    let (head, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    parts.push(head);
    while let Some(stripped) = rest.strip_prefix('[') {
        if parts.len() >= MAX_KEY_DEPTH {
            return false;
        }
        match stripped.find(']') {
            Some(end) => {
                parts.push(&stripped[..end]);
                rest = &stripped[end + 1..];
            }
            None => break,
        }
    }
    insert_path(root, &parts, value);
    true
}

fn insert_path(map: &mut Map<String, Value>, parts: &[&str], value: Value) {
    let Some((first, rest)) = parts.split_first() else {
        return;
    };
    if rest.is_empty() {
        map.insert((*first).to_owned(), value);
        return;
    }
    if rest[0].is_empty() {
        // `a[]=x`: append to an array.
        let entry = map
            .entry((*first).to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if !entry.is_array() {
            *entry = Value::Array(Vec::new());
        }
        if let Value::Array(items) = entry {
            if rest.len() == 1 {
                items.push(value);
                return;
            }
            // `a[][k]=x`, as Rails reads it: into the last object while it has no `k` yet,
            // else into a new one (so `a[][k]=1&a[][w]=2&a[][k]=3` is two objects).
            let fits =
                matches!(items.last(), Some(Value::Object(last)) if !last.contains_key(rest[1]));
            if !fits {
                items.push(Value::Object(Map::new()));
            }
            if let Some(Value::Object(last)) = items.last_mut() {
                insert_path(last, &rest[1..], value);
            }
        }
        return;
    }
    let entry = map
        .entry((*first).to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    if let Value::Object(inner) = entry {
        insert_path(inner, rest, value);
    }
}

/// Parses `application/x-www-form-urlencoded` into a JSON object of strings. Keys nested too
/// deeply are left out.
pub fn form_to_json(bytes: &[u8]) -> Value {
    let mut root = Map::new();
    for (k, v) in url::form_urlencoded::parse(bytes) {
        insert(&mut root, &k, Value::String(v.into_owned()));
    }
    Value::Object(root)
}

/// Like [`form_to_json`], for request bodies: a key nested too deeply is a 422.
fn form_body_to_json(bytes: &[u8]) -> Result<Value, ApiError> {
    let mut root = Map::new();
    for (k, v) in url::form_urlencoded::parse(bytes) {
        if !insert(&mut root, &k, Value::String(v.into_owned())) {
            return Err(too_deep());
        }
    }
    Ok(Value::Object(root))
}

fn too_deep() -> ApiError {
    unprocessable(format!(
        "Invalid body: parameters are nested more than {MAX_KEY_DEPTH} levels deep"
    ))
}

fn merge_query(body: &mut Value, query: Option<&str>) {
    let (Some(q), Value::Object(map)) = (query, body) else {
        return;
    };
    if let Value::Object(extra) = form_to_json(q.as_bytes()) {
        for (k, v) in extra {
            map.entry(k).or_insert(v);
        }
    }
}

fn unprocessable(msg: impl Into<String>) -> ApiError {
    ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, msg)
}

/// A request body of type `T` together with the files of a multipart body (field name and
/// bytes, in order); other encodings carry no files.
#[derive(Debug)]
pub struct WithFiles<T> {
    pub form: T,
    pub files: Vec<(String, Vec<u8>)>,
}

/// Reads any body encoding into a JSON object; with `keep_files`, multipart file fields are
/// returned too (else skipped).
async fn read_body<S: Send + Sync>(
    req: Request,
    state: &S,
    keep_files: bool,
) -> Result<(Value, Vec<(String, Vec<u8>)>), ApiError> {
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let query = req.uri().query().map(str::to_owned);
    let mut files = Vec::new();
    let mut value = if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(req, state)
            .await
            .map_err(|e| unprocessable(format!("Invalid multipart body: {e}")))?;
        let mut root = Map::new();
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| multipart_error(&e.body_text(), e.status()))?
        {
            let Some(name) = field.name().map(str::to_owned) else {
                continue;
            };
            if field.file_name().is_some() {
                if keep_files && files.len() < 8 {
                    let bytes = field
                        .bytes()
                        .await
                        .map_err(|e| multipart_error(&e.body_text(), e.status()))?;
                    files.push((name, Vec::from(bytes)));
                }
                continue; // files are read by the endpoints that take them
            }
            let text = field
                .text()
                .await
                .map_err(|e| unprocessable(format!("Invalid multipart field {name}: {e}")))?;
            if !insert(&mut root, &name, Value::String(text)) {
                return Err(too_deep());
            }
        }
        Value::Object(root)
    } else {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::new(e.status(), e.body_text()))?;
        if content_type.starts_with("application/json") {
            if bytes.iter().all(u8::is_ascii_whitespace) {
                Value::Object(Map::new())
            } else {
                serde_json::from_slice(&bytes)
                    .map_err(|e| unprocessable(format!("Invalid JSON body: {e}")))?
            }
        } else {
            form_body_to_json(&bytes)?
        }
    };
    if !value.is_object() {
        return Err(unprocessable("The request body must be an object"));
    }
    merge_query(&mut value, query.as_deref());
    Ok((value, files))
}

/// A broken or oversized multipart body: 413 when too large, else 422.
fn multipart_error(text: &str, status: axum::http::StatusCode) -> ApiError {
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(status, "The request body is too large")
    } else {
        unprocessable(format!("Invalid multipart body: {text}"))
    }
}

fn typed<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| unprocessable(format!("Validation failed: {e}")))
}

impl<S, T> FromRequest<S> for Body<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (value, _) = read_body(req, state, false).await?;
        typed(value).map(Body)
    }
}

impl<S, T> FromRequest<S> for WithFiles<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (value, files) = read_body(req, state, true).await?;
        Ok(WithFiles {
            form: typed(value)?,
            files,
        })
    }
}

/// Serde helpers for the loose types apps send.
pub mod loose {
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    /// A boolean from `true`/`false`, `"1"`/`"0"`, `"true"`/`"false"`, `"on"`, 1/0.
    pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        let v = Option::<Value>::deserialize(d)?;
        Ok(match v {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(b),
            Some(Value::Number(n)) => Some(n.as_i64() != Some(0)),
            Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
                "1" | "true" | "on" | "yes" => Some(true),
                "0" | "false" | "off" | "no" | "" => Some(false),
                other => {
                    return Err(serde::de::Error::custom(format!(
                        "{other:?} is not a boolean"
                    )));
                }
            },
            Some(other) => {
                return Err(serde::de::Error::custom(format!(
                    "{other} is not a boolean"
                )));
            }
        })
    }

    /// A list from an array, or from one string (space-separated for OAuth's `redirect_uris`).
    pub fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        let v = Option::<Value>::deserialize(d)?;
        Ok(match v {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => vec![s],
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|i| match i {
                    Value::String(s) => Ok(s),
                    // Ids and indexes that JSON clients send unquoted (`choices: [0]`).
                    Value::Number(n) => Ok(n.to_string()),
                    other => Err(serde::de::Error::custom(format!("{other} is not a string"))),
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(serde::de::Error::custom(format!("{other} is not a list")));
            }
        })
    }

    /// A string, or a number taken as its digits (ids some JSON clients send unquoted).
    pub fn opt_string_or_number<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<String>, D::Error> {
        let v = Option::<Value>::deserialize(d)?;
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(serde::de::Error::custom(format!("{other} is not a string"))),
        }
    }

    /// Like [`string_list`], but telling "not given" (`None`) from an empty list.
    pub fn opt_string_list<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<String>>, D::Error> {
        let v = Option::<Value>::deserialize(d)?;
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(v) => string_list(v).map(Some).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_become_json_like_rails_params() {
        let v = form_to_json(b"a=1&ids[]=x&ids[]=y&f[0][name]=n&f[0][value]=v&b=%E2%9C%93");
        assert_eq!(v["a"], "1");
        assert_eq!(v["ids"], serde_json::json!(["x", "y"]));
        assert_eq!(v["f"]["0"]["name"], "n");
        assert_eq!(v["b"], "✓");
        // `a[][k]` groups into objects as Rails does.
        let v = form_to_json(b"k[][kw]=a&k[][ww]=true&k[][kw]=b&k[]=c");
        assert_eq!(
            v["k"],
            serde_json::json!([{"kw": "a", "ww": "true"}, {"kw": "b"}, "c"])
        );
        // Hostile shapes do not panic.
        let v = form_to_json(b"a[=1&[]=2&a[b][]=3&a=4&x[y]z=5&%FF%FE=6");
        assert!(v.is_object());
        // Deep keys: up to the limit they nest, past it they are left out (or refused).
        let ok = format!("a{}=1", "[x]".repeat(MAX_KEY_DEPTH - 1));
        assert!(form_to_json(ok.as_bytes())["a"]["x"]["x"].is_object());
        let deep = format!("a{}=1&b=2", "[x]".repeat(200_000));
        let v = form_to_json(deep.as_bytes());
        assert_eq!(v, serde_json::json!({"b": "2"}));
        assert!(form_body_to_json(deep.as_bytes()).is_err());
        assert!(form_body_to_json(ok.as_bytes()).is_ok());
    }
}
