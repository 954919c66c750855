//! RFC 8941 dictionaries: parsing, and serialising an inner list back to something that parses
//! to the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rookery_activitypub::signatures::structured::{self, Member};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(dict) = structured::parse_dictionary(text) else {
        return;
    };
    for (key, member) in dict {
        if let Member::InnerList(items, params) = member {
            let again = format!(
                "{key}={}",
                structured::serialize_inner_list(&items, &params)
            );
            let parsed =
                structured::parse_dictionary(&again).expect("our own serialisation parses");
            assert_eq!(parsed, vec![(key, Member::InnerList(items, params))]);
        }
    }
});
