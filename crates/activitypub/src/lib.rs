//! ActivityStreams as Rookery speaks it: typed objects (actors so far) and the RSA key pairs
//! that sign federation traffic.
//!
//! ```
//! use rookery_activitypub::keys::KeyPair;
//! let pair = KeyPair::generate().unwrap();
//! let pem = pair.public_key_pem();
//! assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
//! assert!(rookery_activitypub::keys::parse_public_key_pem(&pem).is_ok());
//! ```

pub mod actor;
pub mod keys;
pub mod outgoing;
pub mod sanitize;
pub mod signatures;
pub mod vocab;

/// `Content-Type` of ActivityPub documents Rookery serves.
pub const ACTIVITY_JSON: &str = "application/activity+json; charset=utf-8";

/// The ActivityStreams namespace.
pub const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";

/// The public collection (addressing).
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// ActivityStreams' public collection, in the forms servers use.
pub fn is_public(uri: &str) -> bool {
    matches!(uri, PUBLIC | "as:Public" | "Public")
}

/// Whether an `Accept` header asks for ActivityPub JSON (`application/activity+json`, or
/// `application/ld+json` with the ActivityStreams profile, or plain `application/ld+json`),
/// as Mastodon decides it.
pub fn wants_activity_json(accept: &str) -> bool {
    accept.split(',').any(|part| {
        let mut params = part.split(';').map(str::trim);
        let media = params.next().unwrap_or("").to_ascii_lowercase();
        match media.as_str() {
            "application/activity+json" => true,
            "application/ld+json" => {
                // Any profile (or none) counts, as in Mastodon; a q=0 excludes.
                !params.any(|p| p.replace(' ', "") == "q=0")
            }
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::wants_activity_json;

    #[test]
    fn negotiation() {
        assert!(wants_activity_json("application/activity+json"));
        assert!(wants_activity_json(
            "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
        ));
        assert!(wants_activity_json(
            "text/html, application/activity+json;q=0.9"
        ));
        assert!(!wants_activity_json(
            "text/html,application/xhtml+xml,*/*;q=0.8"
        ));
        assert!(!wants_activity_json("application/json"));
        assert!(!wants_activity_json(""));
    }
}
