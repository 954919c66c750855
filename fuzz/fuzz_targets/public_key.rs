//! Public keys as other servers publish them: PEM (SPKI, PKCS#1), key sets, Multikey.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rookery_activitypub::keys::PublicKey;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(key) = PublicKey::from_pem(text) {
        assert_eq!(PublicKey::from_pem(&key.to_pem()).ok(), Some(key));
    }
    for key in PublicKey::all_from_pem(text) {
        let _ = key.verify(None, data, data);
    }
    let _ = PublicKey::from_multibase(text);
});
