//! A fetched page's text: decoded from the charset its `Content-Type` or an early
//! `<meta charset>` declares (WHATWG labels: `iso-8859-1` is read as windows-1252, as browsers
//! do), UTF-8 otherwise; undecodable bytes become U+FFFD.

/// Bytes looked at for a `<meta charset>` (as HTML's prescan).
const PRESCAN: usize = 1024;

/// The text of `body`, served with `content_type`.
pub(crate) fn page_text(body: &[u8], content_type: Option<&str>) -> String {
    let label = content_type
        .and_then(charset_param)
        .or_else(|| meta_charset(body));
    let encoding = label
        .and_then(|l| encoding_rs::Encoding::for_label(l.trim().as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    let (text, _, _) = encoding.decode(body);
    text.into_owned()
}

/// The `charset` parameter of a media type.
fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (name, value) = p.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']))
            .filter(|v| !v.is_empty())
    })
}

/// A charset declared early in the page (`<meta charset=…>` or `http-equiv`'s
/// `content="…; charset=…"`).
fn meta_charset(body: &[u8]) -> Option<&str> {
    let head = &body[..body.len().min(PRESCAN)];
    let lower = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(p) = find(&lower[from..], b"<meta") {
        let start = from + p;
        let end = lower[start..]
            .iter()
            .position(|&c| c == b'>')
            .map_or(lower.len(), |e| start + e);
        if let Some(c) = find(&lower[start..end], b"charset=") {
            let at = start + c + "charset=".len();
            let value = &head[at..end];
            let value = value
                .iter()
                .position(|c| !matches!(c, b'"' | b'\'' | b' '))
                .map_or(&value[..0], |s| &value[s..]);
            let len = value
                .iter()
                .position(|c| matches!(c, b'"' | b'\'' | b';' | b'/' | b' ' | b'\t' | b'\n'))
                .unwrap_or(value.len());
            return std::str::from_utf8(&value[..len])
                .ok()
                .filter(|v| !v.is_empty());
        }
        from = end;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::page_text;

    #[test]
    fn declared_charsets_are_respected() {
        let latin1 = b"<title>Caf\xe9</title>";
        assert_eq!(
            page_text(latin1, Some("text/html; charset=ISO-8859-1")),
            "<title>Café</title>"
        );
        let cp1252 = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\">\x93q\x94";
        assert!(page_text(cp1252, Some("text/html")).ends_with("\u{201c}q\u{201d}"));
        let meta = b"<meta charset='iso-8859-15'>\xa4";
        assert!(page_text(meta, None).ends_with('\u{20ac}'));
        // Undeclared: UTF-8, broken bytes replaced.
        assert_eq!(page_text(b"caf\xc3\xa9 \xff", None), "café \u{fffd}");
        // An unknown label: UTF-8.
        assert_eq!(
            page_text("é".as_bytes(), Some("text/html; charset=nope")),
            "é"
        );
    }
}
