//! The remote-HTML sanitiser: never panics, its output is balanced, holds only the elements and
//! attributes it keeps, and sanitising it again changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rookery_activitypub::sanitize::sanitize_html;

const ELEMENTS: &[&str] = &[
    "p", "br", "span", "a", "del", "s", "pre", "blockquote", "code", "b", "strong", "u", "i",
    "em", "ul", "ol", "li", "ruby", "rt", "rp",
];
const ATTRIBUTES: &[&str] = &[
    "href", "class", "translate", "lang", "rel", "target", "start", "reversed", "value",
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
        let mut parts = tag.split(' ');
        let name = parts.next().unwrap_or_default();
        assert!(ELEMENTS.contains(&name), "element {name}");
        for attr in parts.filter(|p| p.contains('=')) {
            let attr_name = attr.split('=').next().unwrap_or_default();
            if attr_name.is_empty() || !attr.contains("=\"") {
                continue; // part of a value with spaces
            }
            assert!(ATTRIBUTES.contains(&attr_name), "attribute {attr_name}");
        }
        if name != "br" {
            open.push(name);
        }
    }
    assert!(open.is_empty(), "left open: {open:?}");
});
