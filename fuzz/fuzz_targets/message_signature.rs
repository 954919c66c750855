//! RFC 9421: `Signature-Input` and `Signature` (split at the first newline), the signature
//! base over a request, and `Content-Digest`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rookery_activitypub::signatures::SignedRequest;
use rookery_activitypub::signatures::message::{self, MessageSignature};

struct Req<'a>(&'a str);

impl SignedRequest for Req<'_> {
    fn method(&self) -> &str {
        "POST"
    }
    fn path_and_query(&self) -> &str {
        "/users/a/inbox?x=1"
    }
    fn header_values(&self, name: &str) -> Vec<String> {
        match name {
            "host" => vec!["rookery.example".into()],
            "content-digest" | "date" => vec![self.0.into()],
            _ => Vec::new(),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (input, signature) = text.split_once('\n').unwrap_or((text, ""));
    if let Ok(sig) = MessageSignature::parse(input, signature) {
        let _ = sig.ensure_covers(true);
        if let Ok(base) = sig.signature_base(&Req(signature), "https") {
            // One line per component and the parameters: no line breaks smuggled in.
            assert_eq!(base.lines().count(), sig.components.len() + 1);
        }
    }
    let _ = message::verify_content_digest(text, data);
});
