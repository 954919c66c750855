//! Remote HTML (post content, profile notes) reduced to what Mastodon lets through: a few
//! formatting elements, links to http(s) URLs, and the classes clients style mentions with.
//! Everything else — scripts, styles, event handlers, images, iframes — is removed.

/// Elements kept (attributes are filtered per element).
const ALLOWED: &[&str] = &[
    "p",
    "br",
    "span",
    "a",
    "del",
    "s",
    "pre",
    "blockquote",
    "code",
    "b",
    "strong",
    "u",
    "i",
    "em",
    "ul",
    "ol",
    "li",
];

/// Elements dropped together with everything inside them.
const DROPPED_WITH_CONTENT: &[&str] = &["script", "style", "template", "iframe", "object", "title"];

fn allowed_attribute(tag: &str, name: &str) -> bool {
    matches!(
        (tag, name),
        ("a", "href" | "rel" | "class" | "translate")
            | ("span", "class" | "translate")
            | ("ol", "start" | "reversed")
            | ("li", "value")
    )
}

fn escape_attr(v: &str) -> String {
    v.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Keeps only letters, digits, `-`, `_` and spaces (class lists).
fn clean_class(v: &str) -> String {
    v.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .collect()
}

/// Decodes the few entities that could hide a `javascript:` scheme.
fn decode_basic(v: &str) -> String {
    v.replace("&#58;", ":")
        .replace("&colon;", ":")
        .replace("&amp;", "&")
        .replace("&#x3a;", ":")
        .replace("&#x3A;", ":")
}

fn safe_href(v: &str) -> Option<String> {
    let decoded = decode_basic(v.trim());
    let lower: String = decoded
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then_some(decoded)
}

/// Parses the attributes of a tag body (`name="v" other='w' flag x=y`).
fn attributes(body: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let chars: Vec<char> = body.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && (chars[i].is_whitespace() || chars[i] == '/') {
            i += 1;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '=' && chars[i] != '/' {
            i += 1;
        }
        if start == i {
            i += 1;
            continue;
        }
        let name: String = chars[start..i]
            .iter()
            .collect::<String>()
            .to_ascii_lowercase();
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < chars.len() && chars[i] == '=' {
            i += 1;
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
            if i < chars.len() && (chars[i] == '"' || chars[i] == '\'') {
                let q = chars[i];
                i += 1;
                let s = i;
                while i < chars.len() && chars[i] != q {
                    i += 1;
                }
                value = chars[s..i].iter().collect();
                i += 1;
            } else {
                let s = i;
                while i < chars.len() && !chars[i].is_whitespace() {
                    i += 1;
                }
                value = chars[s..i].iter().collect();
            }
        }
        out.push((name, value));
    }
    out
}

/// Where the tag starting at `start` (a `<`) ends: the index after its `>`, honouring quotes.
fn tag_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut quote: Option<u8> = None;
    let mut i = start + 1;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'>' => return Some(i + 1),
            None => {}
        }
        i += 1;
    }
    None
}

/// Longest remote HTML looked at (longer input is cut, at a character boundary).
pub const MAX_HTML: usize = 200_000;

/// Sanitises remote HTML, in time linear in its length.
pub fn sanitize_html(input: &str) -> String {
    let mut cut = input.len().min(MAX_HTML);
    while !input.is_char_boundary(cut) {
        cut -= 1;
    }
    let input = &input[..cut];
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(input.len());
    let mut i = 0;
    let mut skip_until: Option<String> = None;
    while i < bytes.len() {
        let Some(rel) = input[i..].find('<') else {
            if skip_until.is_none() {
                out.push_str(&input[i..].replace('>', "&gt;"));
            }
            break;
        };
        let lt = i + rel;
        if skip_until.is_none() {
            out.push_str(&input[i..lt].replace('>', "&gt;"));
        }
        if input[lt..].starts_with("<!--") {
            i = input[lt..].find("-->").map_or(bytes.len(), |e| lt + e + 3);
            continue;
        }
        let after = input[lt + 1..].trim_start_matches('/');
        let starts_tag = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '!');
        if !starts_tag {
            // A lone `<`: text.
            if skip_until.is_none() {
                out.push_str("&lt;");
            }
            i = lt + 1;
            continue;
        }
        let Some(end) = tag_end(bytes, lt) else {
            // A tag that never ends: the rest is text. (Scanning on from the next `<` would
            // make hostile input like "<a<a<a…" cost quadratic time.)
            if skip_until.is_none() {
                out.push_str(&input[lt..].replace('<', "&lt;").replace('>', "&gt;"));
            }
            break;
        };
        let inner = input[lt + 1..end - 1].trim();
        i = end;
        let closing = inner.starts_with('/');
        let inner = inner.trim_start_matches('/');
        let name_end = inner
            .find(|c: char| c.is_whitespace() || c == '/')
            .unwrap_or(inner.len());
        let name = inner[..name_end].to_ascii_lowercase();
        if let Some(waiting) = &skip_until {
            if closing && &name == waiting {
                skip_until = None;
            }
            continue;
        }
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            continue; // a doctype, a processing instruction, nonsense: dropped
        }
        if DROPPED_WITH_CONTENT.contains(&name.as_str()) {
            if !closing && !inner.ends_with('/') {
                skip_until = Some(name);
            }
            continue;
        }
        if !ALLOWED.contains(&name.as_str()) {
            continue;
        }
        if closing {
            if name != "br" {
                out.push_str(&format!("</{name}>"));
            }
            continue;
        }
        out.push('<');
        out.push_str(&name);
        for (attr, value) in attributes(&inner[name_end..]) {
            if !allowed_attribute(&name, &attr) {
                continue;
            }
            let value = match attr.as_str() {
                "href" => match safe_href(&value) {
                    Some(v) => v,
                    None => continue,
                },
                "class" => clean_class(&value),
                "start" | "value" => value.chars().filter(char::is_ascii_digit).collect(),
                _ => value,
            };
            out.push_str(&format!(" {attr}=\"{}\"", escape_attr(&value)));
        }
        if name == "a" {
            out.push_str(" target=\"_blank\"");
        }
        out.push('>');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sanitize_html as s;

    #[test]
    fn keeps_mastodon_markup() {
        let html = r#"<p><span class="h-card"><a href="https://b.example/@bob" class="u-url mention">@<span>bob</span></a></span> hi<br>there &amp; <a href="https://x.example/tags/t" rel="tag">#t</a></p>"#;
        let out = s(html);
        assert!(
            out.contains(
                r#"<a href="https://b.example/@bob" class="u-url mention" target="_blank">"#
            ),
            "{out}"
        );
        assert!(out.contains("hi<br>there &amp; "), "{out}");
        assert!(out.contains(r#"rel="tag""#));
    }

    #[test]
    fn removes_what_could_run_or_load() {
        for hostile in [
            r#"<script>alert(1)</script>ok"#,
            r#"<img src=x onerror=alert(1)>ok"#,
            r#"<a href="javascript:alert(1)">ok</a>"#,
            r#"<a href="java&#58;script:alert(1)">ok</a>"#,
            r#"<a href=" JaVaScRiPt:alert(1)">ok</a>"#,
            r#"<p onclick="alert(1)" style="x">ok</p>"#,
            r#"<style>p{}</style><iframe src="https://e"></iframe>ok"#,
            r#"<svg><script>alert(1)</script></svg>ok"#,
            r#"<!-- <script> -->ok"#,
            r#"<a href="https://e" onmouseover="alert(1)">ok</a>"#,
            r#"<p title="a>b" onclick=x>ok</p>"#,
        ] {
            let out = s(hostile);
            let lower = out.to_ascii_lowercase();
            assert!(out.contains("ok"), "{hostile} → {out}");
            for bad in [
                "<script",
                "onerror",
                "javascript",
                "onclick",
                "<img",
                "<iframe",
                "style=",
                "onmouseover",
                "<svg",
            ] {
                assert!(!lower.contains(bad), "{hostile} → {out}");
            }
        }
    }

    #[test]
    fn hostile_input_takes_linear_time() {
        // Each of these took minutes when unterminated tags were rescanned from every `<`.
        for unit in ["<a", "<a \"", "<p title='", "<!--", "</a"] {
            let input = unit.repeat(400_000 / unit.len());
            let out = s(&input);
            assert!(!out.contains("<a") && !out.contains("<p"), "{unit}");
        }
        let long = "x".repeat(super::MAX_HTML + 10);
        assert_eq!(s(&long).len(), super::MAX_HTML);
    }

    #[test]
    fn broken_markup_is_text() {
        assert_eq!(s("a < b > c"), "a &lt; b &gt; c");
        assert_eq!(s("<p>unclosed"), "<p>unclosed");
        assert_eq!(s("<p class=\"x\"oops"), "&lt;p class=\"x\"oops");
        assert_eq!(s(""), "");
        assert_eq!(s("<script>never closed"), "");
    }
}
