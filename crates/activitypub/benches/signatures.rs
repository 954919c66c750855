//! The cost of HTTP signatures on this machine: `cargo bench -p rookery-activitypub`
//! (prints numbers; asserts nothing). One RSA-2048 signature, one verification (including
//! parsing the PEM key, as a cold cache does), and the SHA-256 digest of a 4 kB activity.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark program

use std::time::Instant;

use rookery_activitypub::keys::KeyPair;
use rookery_activitypub::signatures::{
    SignatureHeader, SignedRequest, digest_header, sign, verify, verify_digest,
};

struct Req {
    headers: Vec<(&'static str, String)>,
}

impl SignedRequest for Req {
    fn method(&self) -> &str {
        "POST"
    }
    fn path_and_query(&self) -> &str {
        "/users/alice/inbox"
    }
    fn header_values(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

fn time<T>(label: &str, n: u32, mut f: impl FnMut() -> T) {
    for _ in 0..n / 10 {
        std::hint::black_box(f());
    }
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(f());
    }
    let per = start.elapsed().as_secs_f64() / f64::from(n);
    println!(
        "{label:<44} {:>9.1} µs  ({:>8.0} per second per core)",
        per * 1e6,
        1.0 / per
    );
}

fn main() {
    let key = KeyPair::generate().unwrap();
    let pem = key.public_key_pem();
    let body = vec![b'x'; 4096];
    let req = Req {
        headers: vec![
            ("host", "rookery.example".into()),
            ("date", "Sun, 22 Nov 2026 03:00:00 GMT".into()),
            ("digest", digest_header(&body)),
        ],
    };
    let headers = ["(request-target)", "host", "date", "digest"];
    let signed = sign(
        &req,
        &key,
        "https://rookery.example/users/alice#main-key",
        &headers,
    )
    .unwrap();
    let parsed = SignatureHeader::parse(&signed).unwrap();
    time(
        "RSA-2048 sign (request-target host date digest)",
        500,
        || sign(&req, &key, "k", &headers).unwrap(),
    );
    time("RSA-2048 verify (PEM parsed each time)", 5_000, || {
        verify(&req, &parsed, &pem).unwrap()
    });
    time("Signature header parse", 50_000, || {
        SignatureHeader::parse(&signed).unwrap()
    });
    time("SHA-256 Digest of a 4 kB body, verified", 50_000, || {
        verify_digest(&req.headers[2].1, &body).unwrap()
    });
}
