//! The remote-HTML sanitiser: never panics, its output is balanced, holds only the elements and
//! attributes it keeps, and sanitising it again changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rookery_activitypub::sanitize::{ELEMENTS, sanitize_html};

const ATTRIBUTES: &[&str] = &[
    "href",
    "class",
    "translate",
    "lang",
    "rel",
    "target",
    "start",
    "reversed",
    "value",
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let once = sanitize_html(text);
    assert_eq!(sanitize_html(&once), once, "not idempotent");
    // Attribute values are escaped, so every `<` starts a tag and its `>` ends it.
    let mut open: Vec<&str> = Vec::new();
    let mut rest = once.as_str();
    while let Some(lt) = rest.find('<') {
        let end = rest[lt..].find('>').expect("a tag ends") + lt;
        let tag = &rest[lt + 1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop(), Some(name), "unbalanced </{name}>");
            continue;
        }
        let (name, mut attrs) = tag.split_once(' ').unwrap_or((tag, ""));
        assert!(ELEMENTS.contains(&name), "element {name}");
        // Attributes are `name="value"`, separated by one space, values without `"`.
        while !attrs.is_empty() {
            let (attr_name, rest) = attrs.split_once("=\"").expect("name=\"value\"");
            assert!(ATTRIBUTES.contains(&attr_name), "attribute {attr_name}");
            let (_, rest) = rest.split_once('"').expect("a value ends");
            attrs = rest.strip_prefix(' ').unwrap_or(rest);
        }
        if name != "br" {
            open.push(name);
        }
    }
    assert!(open.is_empty(), "left open: {open:?}");
});
