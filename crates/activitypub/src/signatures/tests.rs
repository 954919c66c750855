use super::*;

/// A request as the tests build it: method, path and headers in order.
pub(super) struct Req {
    pub(super) method: &'static str,
    pub(super) path: String,
    pub(super) headers: Vec<(String, String)>,
}

impl SignedRequest for Req {
    fn method(&self) -> &str {
        self.method
    }
    fn path_and_query(&self) -> &str {
        &self.path
    }
    fn header_values(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .collect()
    }
}

impl Req {
    /// The request with one more header.
    pub(super) fn with(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.into(), value.into()));
        self
    }
}

fn post(body: &[u8]) -> Req {
    Req {
        method: "POST",
        path: "/users/alice/inbox".into(),
        headers: vec![
            ("Host".into(), "rookery.example".into()),
            ("Date".into(), "Sun, 22 Nov 2026 03:00:00 GMT".into()),
            ("Digest".into(), digest_header(body)),
            ("Content-Type".into(), "application/activity+json".into()),
        ],
    }
}

const POST_HEADERS: &[&str] = &["(request-target)", "host", "date", "digest"];

fn keys() -> &'static (KeyPair, KeyPair) {
    static KEYS: std::sync::OnceLock<(KeyPair, KeyPair)> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| (KeyPair::generate().unwrap(), KeyPair::generate().unwrap()))
}

#[test]
fn the_signing_string_is_mastodons() {
    let req = post(b"{}");
    let sig = SignatureHeader::parse(
        r#"keyId="https://a.example/users/bob#main-key",headers="(request-target) host date digest",signature="AAAA""#,
    )
    .unwrap();
    assert_eq!(
        signing_string(&req, &sig).unwrap(),
        format!(
            "(request-target): post /users/alice/inbox\nhost: rookery.example\n\
             date: Sun, 22 Nov 2026 03:00:00 GMT\ndigest: {}",
            digest_header(b"{}")
        )
    );
}

#[test]
fn signed_requests_verify_and_tampering_is_caught() {
    let (key, other) = keys();
    let body = br#"{"type":"Create"}"#;
    let mut req = post(body);
    let header = sign(
        &req,
        key,
        "https://rookery.example/users/alice#main-key",
        POST_HEADERS,
    )
    .unwrap();
    let sig = SignatureHeader::parse(&header).unwrap();
    assert_eq!(sig.key_id, "https://rookery.example/users/alice#main-key");
    assert_eq!(sig.headers, POST_HEADERS);
    verify(&req, &sig, &key.public_key_pem()).unwrap();
    verify_digest(&req.header_values("digest")[0], body).unwrap();
    // Another key, another path, another date, another body: refused.
    assert_eq!(
        verify(&req, &sig, &other.public_key_pem()),
        Err(SignatureError::Mismatch)
    );
    req.path = "/inbox".into();
    assert_eq!(
        verify(&req, &sig, &key.public_key_pem()),
        Err(SignatureError::Mismatch)
    );
    let mut req = post(body);
    req.headers[1].1 = "Sun, 22 Nov 2026 03:00:01 GMT".into();
    assert_eq!(
        verify(&req, &sig, &key.public_key_pem()),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify_digest(&post(body).header_values("digest")[0], b"{}"),
        Err(SignatureError::Digest)
    );
    // A signed header the request lacks.
    let mut req = post(body);
    req.headers.retain(|(k, _)| k != "Digest");
    assert_eq!(
        verify(&req, &sig, &key.public_key_pem()),
        Err(SignatureError::MissingHeader("digest".into()))
    );
}

#[test]
fn hs2019_is_rsa_sha256_and_other_algorithms_are_refused() {
    let (key, _) = keys();
    let req = Req {
        method: "GET",
        path: "/users/alice".into(),
        headers: vec![
            ("host".into(), "rookery.example".into()),
            ("date".into(), "Sun, 22 Nov 2026 03:00:00 GMT".into()),
        ],
    };
    let header = sign(
        &req,
        key,
        "https://gts.example/users/x/main-key",
        &["(request-target)", "host", "date"],
    )
    .unwrap();
    let mut sig = SignatureHeader::parse(&header).unwrap();
    sig.algorithm = Some("hs2019".into());
    verify(&req, &sig, &key.public_key_pem()).unwrap();
    sig.algorithm = None;
    verify(&req, &sig, &key.public_key_pem()).unwrap();
    sig.algorithm = Some("ed25519".into());
    assert_eq!(
        verify(&req, &sig, &key.public_key_pem()),
        Err(SignatureError::Algorithm("ed25519".into()))
    );
    sig.algorithm = None;
    assert_eq!(verify(&req, &sig, "not a key"), Err(SignatureError::Key));
}

#[test]
fn header_variants_parse() {
    let sig = SignatureHeader::parse(
        r#"Signature signature="AQID", headers="(request-target)  Host DATE" ,keyId="k",algorithm="hs2019",extra="x""#,
    )
    .unwrap();
    assert_eq!(sig.key_id, "k");
    assert_eq!(sig.headers, ["(request-target)", "host", "date"]);
    assert_eq!(sig.signature, vec![1, 2, 3]);
    assert_eq!(sig.algorithm.as_deref(), Some("hs2019"));
    // Without headers=, only the date is signed (the draft's default).
    let sig = SignatureHeader::parse(r#"keyId="k",signature="AQID""#).unwrap();
    assert_eq!(sig.headers, ["date"]);
    let sig = SignatureHeader::parse(
        r#"keyId="k",created=1700000000,expires=1700000300,headers="(created) (expires)",signature="AQID""#,
    )
    .unwrap();
    assert_eq!(
        (sig.created, sig.expires),
        (Some(1_700_000_000), Some(1_700_000_300))
    );
}

#[test]
fn malformed_headers_are_refused_with_reasons() {
    for bad in [
        "",
        "garbage",
        r#"keyId="k""#,
        r#"signature="AQID""#,
        r#"keyId="",signature="AQID""#,
        r#"keyId="k",signature="not base64!""#,
        r#"keyId="k,signature="AQID"#,
        r#"keyId="k" signature="AQID""#,
        r#"keyId="k",headers="",signature="AQID""#,
    ] {
        assert!(
            matches!(
                SignatureHeader::parse(bad),
                Err(SignatureError::Malformed(_))
            ),
            "{bad:?}"
        );
    }
    let long = format!(r#"keyId="{}",signature="AQID""#, "k".repeat(10_000));
    assert!(SignatureHeader::parse(&long).is_err());
    let many = format!(
        r#"keyId="k",headers="{}",signature="AQID""#,
        "date ".repeat(40)
    );
    assert!(SignatureHeader::parse(&many).is_err());
}

#[test]
fn digests_must_be_present_and_match() {
    let body = b"hello";
    verify_digest(&digest_header(body), body).unwrap();
    verify_digest(&digest_header(body).replace("SHA-256", "sha-256"), body).unwrap();
    let sha512 = format!(
        "SHA-512={}",
        STANDARD.encode(digest::digest(&digest::SHA512, body).as_ref())
    );
    verify_digest(&sha512, body).unwrap();
    verify_digest(&format!("MD5=abc, {}", digest_header(body)), body).unwrap();
    assert_eq!(
        verify_digest("MD5=abc", body),
        Err(SignatureError::NoDigest)
    );
    assert_eq!(verify_digest("", body), Err(SignatureError::NoDigest));
    assert_eq!(
        verify_digest("SHA-256=!!!", body),
        Err(SignatureError::Digest)
    );
    assert_eq!(
        verify_digest(
            &format!("{}, {}", digest_header(body), digest_header(b"x")),
            body
        ),
        Err(SignatureError::Digest)
    );
}

#[test]
fn http_dates_parse_format_and_bound_skew() {
    assert_eq!(
        parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
        Some(784_111_777)
    );
    assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
    for t in [0, 951_782_400, 1_700_000_000, 1_795_000_000, 4_102_444_800] {
        assert_eq!(parse_http_date(&http_date(t)), Some(t), "{}", http_date(t));
    }
    for bad in [
        "",
        "yesterday",
        "Sun, 06 Nov 1994 08:49:37",
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 25:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT extra",
    ] {
        assert_eq!(parse_http_date(bad), None, "{bad:?}");
    }
    let now = 1_795_000_000;
    check_date(&http_date(now - 3600), now, 12 * 3600).unwrap();
    assert_eq!(
        check_date(&http_date(now + 13 * 3600), now, 12 * 3600),
        Err(SignatureError::Skew(13 * 3600))
    );
    assert_eq!(check_date("nope", now, 60), Err(SignatureError::Date));
}

/// draft-cavage-http-signatures-12, Appendix C: its RSA-1024 test key and request.
const DRAFT_PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----
";

fn draft_request() -> Req {
    Req {
        method: "POST",
        path: "/foo?param=value&pet=dog".into(),
        headers: vec![
            ("Host".into(), "example.com".into()),
            ("Date".into(), "Sun, 05 Jan 2014 21:31:40 GMT".into()),
            ("Content-Type".into(), "application/json".into()),
            (
                "Digest".into(),
                "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=".into(),
            ),
            ("Content-Length".into(), "18".into()),
        ],
    }
}

#[test]
fn the_drafts_test_vectors_verify() {
    let req = draft_request();
    verify_digest(&req.header_values("digest")[0], br#"{"hello": "world"}"#).unwrap();
    // C.1 Default Test: only the date is signed.
    let default = SignatureHeader::parse(
        r#"keyId="Test",algorithm="rsa-sha256",signature="SjWJWbWN7i0wzBvtPl8rbASWz5xQW6mcJmn+ibttBqtifLN7Sazz6m79cNfwwb8DMJ5cou1s7uEGKKCs+FLEEaDV5lp7q25WqS+lavg7T8hc0GppauB6hbgEKTwblDHYGEtbGmtdHgVCk9SuS13F0hZ8FD0k/5OxEPXe5WozsbM=""#,
    )
    .unwrap();
    verify(&req, &default, DRAFT_PUBLIC_KEY).unwrap();
    // C.2 Basic Test: (request-target) host date.
    let basic = SignatureHeader::parse(
        r#"keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date",signature="qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw3HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0=""#,
    )
    .unwrap();
    verify(&req, &basic, DRAFT_PUBLIC_KEY).unwrap();
    // Either signature on a changed request fails.
    let mut changed = draft_request();
    changed.path = "/foo?param=value&pet=cat".into();
    assert_eq!(
        verify(&changed, &basic, DRAFT_PUBLIC_KEY),
        Err(SignatureError::Mismatch)
    );
    verify(&changed, &default, DRAFT_PUBLIC_KEY).unwrap(); // the path is not covered
}

#[test]
fn receivers_insist_on_target_date_and_digest() {
    let parse = |headers: &str| {
        SignatureHeader::parse(&format!(
            r#"keyId="k",headers="{headers}",signature="AQID""#
        ))
        .unwrap()
    };
    parse("(request-target) host date digest")
        .ensure_covers(true)
        .unwrap();
    parse("(request-target) host date")
        .ensure_covers(false)
        .unwrap();
    // `(created)` may stand in for the date: `check_time` bounds its age, and refuses a
    // signature that covers it without giving it.
    let created = parse("(request-target) host (created)");
    created.ensure_covers(false).unwrap();
    assert_eq!(
        created.check_time(&post(b""), 1_800_000_000, 60),
        Err(SignatureError::Date)
    );
    assert_eq!(
        parse("(request-target) host").ensure_covers(false),
        Err(SignatureError::NotCovered("date"))
    );
    assert_eq!(
        parse("(request-target) date digest").ensure_covers(true),
        Err(SignatureError::NotCovered("host"))
    );
    assert_eq!(
        parse("(request-target) host date").ensure_covers(true),
        Err(SignatureError::NotCovered("digest"))
    );
    assert_eq!(
        parse("host date digest").ensure_covers(true),
        Err(SignatureError::NotCovered("(request-target)"))
    );
    assert_eq!(
        parse("(request-target) host").ensure_covers(false),
        Err(SignatureError::NotCovered("date"))
    );
    // The draft's default (no headers= at all) covers only the date: not enough for an inbox.
    let bare = SignatureHeader::parse(r#"keyId="k",signature="AQID""#).unwrap();
    assert!(bare.ensure_covers(false).is_err());
}

/// hs2019 as the draft's later versions define it: `(created)` signed instead of `Date`.
#[test]
fn created_may_stand_in_for_the_date() {
    let (key, _) = keys();
    let body = b"{}";
    let mut req = post(body);
    req.headers.retain(|(k, _)| k != "Date");
    let mut sig = SignatureHeader {
        key_id: "https://a.example/users/bob#main-key".into(),
        algorithm: Some("hs2019".into()),
        headers: [
            "(request-target)",
            "host",
            "(created)",
            "(expires)",
            "digest",
        ]
        .map(String::from)
        .to_vec(),
        signature: Vec::new(),
        created: Some(1_800_000_000),
        expires: Some(1_800_000_300),
    };
    sig.signature = key
        .sign_sha256(signing_string(&req, &sig).unwrap().as_bytes())
        .unwrap();
    let header = format!("{},created=1800000000,expires=1800000300", sig.to_header());
    req.headers.push(("Signature".into(), header));
    let incoming = Incoming::from_request(&req).unwrap();
    assert_eq!(incoming.scheme(), "cavage");
    incoming.ensure_covers(true).unwrap();
    incoming.verify_body(&req, body).unwrap();
    let public = PublicKey::from_pem(&key.public_key_pem()).unwrap();
    incoming.verify(&req, "https", &public).unwrap();
    incoming.check_time(&req, 1_800_000_010, 43_200).unwrap();
    assert!(matches!(
        incoming.check_time(&req, 1_800_000_300 + 3601, 43_200),
        Err(SignatureError::Expired(_))
    ));
    assert!(matches!(
        incoming.check_time(&req, 1_700_000_000, 43_200),
        Err(SignatureError::Skew(_))
    ));
    // Neither Date nor (created): refused before any key is fetched.
    let mut bare = sig.clone();
    bare.headers.retain(|h| h != "(created)");
    assert_eq!(
        bare.ensure_covers(true),
        Err(SignatureError::NotCovered("date"))
    );
}

#[test]
fn an_unsigned_request_says_so() {
    assert_eq!(
        Incoming::from_request(&post(b"")),
        Err(SignatureError::Unsigned)
    );
}

#[test]
fn extreme_times_are_refused_not_overflowed() {
    for created in [i64::MIN, i64::MAX, i64::MIN + 1] {
        assert!(matches!(
            check_window(Some(created), None, 1_800_000_000, 43_200),
            Err(SignatureError::Skew(_))
        ));
    }
    assert!(matches!(
        check_window(Some(1_800_000_000), Some(i64::MIN), 1_800_000_000, 43_200),
        Err(SignatureError::Expired(_))
    ));
    check_window(Some(1_800_000_000), Some(i64::MAX), 1_800_000_000, i64::MAX).unwrap();
}
