use super::*;
use crate::keys::KeyPair;
use crate::signatures::Incoming;
use crate::signatures::tests::Req;

/// RFC 9421's example request (B.2).
fn rfc_request() -> Req {
    Req {
        method: "POST",
        path: "/foo?param=Value&Pet=dog".into(),
        headers: vec![
            ("Host".into(), "example.com".into()),
            ("Date".into(), "Tue, 20 Apr 2021 02:07:55 GMT".into()),
            ("Content-Type".into(), "application/json".into()),
            (
                "Content-Digest".into(),
                "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:".into(),
            ),
            ("Content-Length".into(), "18".into()),
        ],
    }
}

#[test]
fn the_rfc_ed25519_example_verifies() {
    // RFC 9421 B.2.6, with the test key of B.1.4.
    let key = PublicKey::from_pem(
        "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n-----END PUBLIC KEY-----\n",
    )
    .unwrap();
    let req = rfc_request();
    let sig = MessageSignature::parse(
        r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#,
        "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:",
    )
    .unwrap();
    assert_eq!(
        sig.signature_base(&req, "https").unwrap(),
        "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@method\": POST\n\"@path\": /foo\n\
         \"@authority\": example.com\n\"content-type\": application/json\n\"content-length\": 18\n\
         \"@signature-params\": (\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\""
    );
    sig.verify(&req, "https", &key).unwrap();
    verify_content_digest(
        &req.header_values("content-digest")[0],
        br#"{"hello": "world"}"#,
    )
    .unwrap();
    // Any change to a covered component breaks it.
    let mut other = rfc_request();
    other.headers[3] = ("Content-Length".into(), "19".into());
    other.headers.swap(3, 4);
    assert_eq!(
        sig.verify(&other, "https", &key),
        Err(SignatureError::Mismatch)
    );
    // Mastodon's minimum is not met: no @target-uri.
    assert_eq!(
        sig.ensure_covers(true),
        Err(SignatureError::NotCovered("@target-uri"))
    );
}

fn keys() -> &'static (KeyPair, KeyPair) {
    static KEYS: std::sync::OnceLock<(KeyPair, KeyPair)> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| (KeyPair::generate().unwrap(), KeyPair::generate().unwrap()))
}

fn inbox_post(body: &[u8]) -> Req {
    Req {
        method: "POST",
        path: "/users/alice/inbox".into(),
        headers: vec![
            ("Host".into(), "rookery.example".into()),
            ("Content-Digest".into(), content_digest_header(body)),
            ("Content-Type".into(), "application/activity+json".into()),
        ],
    }
}

const COMPONENTS: &[&str] = &["@method", "@target-uri", "content-digest"];

#[test]
fn what_we_sign_we_verify_and_tampering_is_caught() {
    let (key, other) = keys();
    let public = PublicKey::from_pem(&key.public_key_pem()).unwrap();
    let body = br#"{"type":"Follow"}"#;
    let (input, signature) = sign(
        &inbox_post(body),
        "https",
        key,
        "https://a.example/users/bob#main-key",
        COMPONENTS,
        1_800_000_000,
    )
    .unwrap();
    assert_eq!(
        input,
        r#"sig1=("@method" "@target-uri" "content-digest");created=1800000000;keyid="https://a.example/users/bob#main-key""#
    );
    let req = inbox_post(body)
        .with("Signature-Input", &input)
        .with("Signature", &signature);
    let incoming = Incoming::from_request(&req).unwrap();
    assert_eq!(incoming.scheme(), "rfc9421");
    assert_eq!(incoming.key_id(), "https://a.example/users/bob#main-key");
    incoming.ensure_covers(true).unwrap();
    incoming.verify_body(&req, body).unwrap();
    incoming.verify(&req, "https", &public).unwrap();
    incoming.check_time(&req, 1_800_000_100, 3600).unwrap();
    assert!(matches!(
        incoming.check_time(&req, 1_800_000_000 + 7200, 3600),
        Err(SignatureError::Skew(_))
    ));
    // Another body, another key, another scheme (the target URI), another host: refused.
    assert_eq!(
        incoming.verify_body(&req, b"{}"),
        Err(SignatureError::Digest)
    );
    let wrong = PublicKey::from_pem(&other.public_key_pem()).unwrap();
    assert_eq!(
        incoming.verify(&req, "https", &wrong),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        incoming.verify(&req, "http", &public),
        Err(SignatureError::Mismatch)
    );
    let mut moved = inbox_post(body)
        .with("Signature-Input", &input)
        .with("Signature", &signature);
    moved.headers[0] = ("Host".into(), "elsewhere.example".into());
    assert_eq!(
        incoming.verify(&moved, "https", &public),
        Err(SignatureError::Mismatch)
    );
    // A GET signed without a digest is fine for a GET, not for a POST.
    let (input, _) = sign(
        &inbox_post(body),
        "https",
        key,
        "https://a.example/users/bob#main-key",
        &["@method", "@target-uri"],
        1,
    )
    .unwrap();
    let sig = MessageSignature::parse(&input, "sig1=:AAAA:").unwrap();
    sig.ensure_covers(false).unwrap();
    assert_eq!(
        sig.ensure_covers(true),
        Err(SignatureError::NotCovered("content-digest"))
    );
}

#[test]
fn expired_signatures_are_refused() {
    let sig = MessageSignature::parse(
        r#"s=("@method" "@target-uri");created=1000;expires=1300;keyid="k""#,
        "s=:AAAA:",
    )
    .unwrap();
    let req = inbox_post(b"");
    let incoming = Incoming::Message(sig);
    incoming.check_time(&req, 1300 + 3600, 43_200).unwrap();
    assert_eq!(
        incoming.check_time(&req, 1300 + 3601, 43_200),
        Err(SignatureError::Expired(3601))
    );
}

#[test]
fn malformed_and_hostile_inputs_are_refused() {
    let ok_input = r#"sig1=("@method" "@target-uri");created=1;keyid="k""#;
    for (input, signature) in [
        ("", "sig1=:AAAA:"),
        ("sig1=\"@method\"", "sig1=:AAAA:"),
        (ok_input, ""),
        (ok_input, "sig2=:AAAA:"),
        (ok_input, "sig1=\"AAAA\""),
        (r#"sig1=("@method");created=1"#, "sig1=:AAAA:"),
        (r#"sig1=("@method");created=1;keyid="""#, "sig1=:AAAA:"),
        (r#"sig1=("@method");created="1";keyid="k""#, "sig1=:AAAA:"),
        (
            r#"sig1=("@method");keyid="k";alg="hmac-sha256""#,
            "sig1=:AAAA:",
        ),
        (r#"sig1=("@method");keyid="k";alg=rsa"#, "sig1=:AAAA:"),
        (r#"sig1=("@Method");keyid="k""#, "sig1=:AAAA:"),
        (r#"sig1=("@method" "@method");keyid="k""#, "sig1=:AAAA:"),
        (r#"sig1=("content-digest";sf);keyid="k""#, "sig1=:AAAA:"),
        (r#"sig1=(1);keyid="k""#, "sig1=:AAAA:"),
    ] {
        assert!(
            MessageSignature::parse(input, signature).is_err(),
            "{input} / {signature}"
        );
    }
    let many = (0..40)
        .map(|n| format!("\"h{n}\""))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(MessageSignature::parse(&format!("s=({many});keyid=\"k\""), "s=:AAAA:").is_err());
    // Unknown derived components and header values with line breaks give no signature base.
    let sig = MessageSignature::parse(r#"s=("@status");created=1;keyid="k""#, "s=:AAAA:").unwrap();
    assert!(sig.signature_base(&inbox_post(b""), "https").is_err());
    let sig = MessageSignature::parse(r#"s=("x-a");created=1;keyid="k""#, "s=:AAAA:").unwrap();
    assert!(
        sig.signature_base(&inbox_post(b"").with("x-a", "a\nb"), "https")
            .is_err()
    );
    assert_eq!(
        sig.signature_base(&inbox_post(b""), "https"),
        Err(SignatureError::MissingHeader("x-a".into()))
    );
    // Content-Digest: only known algorithms count, and one must be there.
    assert_eq!(
        verify_content_digest("md5=:AAAA:", b""),
        Err(SignatureError::NoDigest)
    );
    assert_eq!(
        verify_content_digest("sha-256=\"x\"", b""),
        Err(SignatureError::Digest)
    );
    assert_eq!(
        verify_content_digest("sha-256=:AAAA", b""),
        Err(SignatureError::Digest)
    );
}
