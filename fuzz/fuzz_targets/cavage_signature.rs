//! A draft-cavage `Signature` header, then the signing string over a request carrying it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rookery_activitypub::signatures::{self, SignatureHeader, SignedRequest};

struct Req<'a>(&'a str);

impl SignedRequest for Req<'_> {
    fn method(&self) -> &str {
        "POST"
    }
    fn path_and_query(&self) -> &str {
        "/inbox"
    }
    fn header_values(&self, name: &str) -> Vec<String> {
        match name {
            "host" => vec!["rookery.example".into()],
            "date" | "digest" => vec![self.0.into()],
            _ => Vec::new(),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(sig) = SignatureHeader::parse(text) {
        let _ = sig.ensure_covers(true);
        let _ = sig.check_time(&Req(text), 1_800_000_000, 43_200);
        let _ = signatures::signing_string(&Req(text), &sig);
        // What we print we read back the same.
        let quoteless = |s: &str| !s.contains('"');
        if quoteless(&sig.key_id)
            && sig.algorithm.as_deref().is_none_or(quoteless)
            && sig.headers.iter().all(|h| quoteless(h))
        {
            let again = SignatureHeader::parse(&sig.to_header());
            if let Ok(again) = again {
                assert_eq!(again.key_id, sig.key_id);
                assert_eq!(again.signature, sig.signature);
            }
        }
    }
    let _ = signatures::verify_digest(text, data);
    let _ = signatures::check_date(text, 1_800_000_000, 43_200);
});
