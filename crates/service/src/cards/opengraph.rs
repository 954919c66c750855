//! What a web page says about itself, read from its `<head>`: OpenGraph (`og:*`), Twitter
//! cards, `<title>`, `<meta name="description">` and `<html lang>`. A small scanner, not an
//! HTML parser: linear in the input, never recursing, reading at most [`MAX_SCAN`] bytes and
//! stopping at `<body>`; every value comes out entity-decoded, one line, without control
//! characters and bounded in length (it is rendered by apps, never as HTML here).

/// Bytes of a page looked at.
pub const MAX_SCAN: usize = 512 * 1024;
/// Characters kept of a title, a description, and any other value.
const MAX_TITLE: usize = 255;
const MAX_DESCRIPTION: usize = 1000;
const MAX_OTHER: usize = 2000;

/// The facts of a page's head.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageMeta {
    pub title: Option<String>,
    pub description: Option<String>,
    /// As written (may be relative).
    pub image: Option<String>,
    pub image_alt: Option<String>,
    pub site_name: Option<String>,
    /// `og:type`.
    pub kind: Option<String>,
    pub author: Option<String>,
    pub language: Option<String>,
    pub published: Option<String>,
}

/// Reads the head of `html`.
pub fn parse(html: &str) -> PageMeta {
    let mut end = html.len().min(MAX_SCAN);
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    let text = &html[..end];
    let lower = text.to_ascii_lowercase();
    let b = lower.as_bytes();
    let mut meta = PageMeta::default();
    let mut found = Found::default();
    let mut i = 0;
    while let Some(off) = lower[i..].find('<') {
        i += off;
        if lower[i..].starts_with("<!--") {
            i = lower[i..].find("-->").map_or(b.len(), |e| i + e + 3);
            continue;
        }
        let name_start = i + 1;
        let mut j = name_start;
        if j < b.len() && b[j] == b'/' {
            j += 1;
        }
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-' || b[j] == b':') {
            j += 1;
        }
        let name = &lower[name_start..j];
        let (attrs, close) = attributes(text, j);
        i = close;
        match name {
            "body" | "/head" => break,
            "script" | "style" | "noscript" | "template" => {
                let closing = format!("</{name}");
                i = lower[i..].find(&closing).map_or(b.len(), |e| i + e);
            }
            "title" => {
                let stop = lower[i..].find("</title").map_or(b.len(), |e| i + e);
                if found.title.is_none() {
                    found.title = Some(clean(&text[i..stop], MAX_TITLE));
                }
                i = stop;
            }
            "html" => {
                if let Some((_, v)) = attrs.iter().find(|(k, _)| k == "lang") {
                    meta.language = language(v);
                }
            }
            "meta" => found.meta(&attrs),
            _ => {}
        }
    }
    meta.title = found.og_title.or(found.twitter_title).or(found.title);
    meta.description = found
        .og_description
        .or(found.twitter_description)
        .or(found.description);
    meta.image = found.og_image.or(found.twitter_image);
    meta.image_alt = found.image_alt;
    meta.site_name = found.site_name;
    meta.kind = found.kind;
    meta.author = found.author;
    meta.published = found.published;
    meta.title = meta.title.filter(|t| !t.is_empty());
    meta.description = meta.description.filter(|t| !t.is_empty());
    meta
}

/// What was seen, by source, before precedence is applied.
#[derive(Default)]
struct Found {
    title: Option<String>,
    og_title: Option<String>,
    twitter_title: Option<String>,
    description: Option<String>,
    og_description: Option<String>,
    twitter_description: Option<String>,
    og_image: Option<String>,
    twitter_image: Option<String>,
    image_alt: Option<String>,
    site_name: Option<String>,
    kind: Option<String>,
    author: Option<String>,
    published: Option<String>,
}

impl Found {
    fn meta(&mut self, attrs: &[(String, String)]) {
        let get = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let Some(key) = get("property").or_else(|| get("name")) else {
            return;
        };
        let Some(content) = get("content") else {
            return;
        };
        let key = key.trim().to_ascii_lowercase();
        let slot = match key.as_str() {
            "og:title" => (&mut self.og_title, MAX_TITLE),
            "twitter:title" => (&mut self.twitter_title, MAX_TITLE),
            "description" => (&mut self.description, MAX_DESCRIPTION),
            "og:description" => (&mut self.og_description, MAX_DESCRIPTION),
            "twitter:description" => (&mut self.twitter_description, MAX_DESCRIPTION),
            "og:image" | "og:image:url" | "og:image:secure_url" => (&mut self.og_image, MAX_OTHER),
            "twitter:image" | "twitter:image:src" => (&mut self.twitter_image, MAX_OTHER),
            "og:image:alt" | "twitter:image:alt" => (&mut self.image_alt, MAX_DESCRIPTION),
            "og:site_name" => (&mut self.site_name, MAX_TITLE),
            "og:type" => (&mut self.kind, MAX_TITLE),
            "author" | "article:author" => (&mut self.author, MAX_TITLE),
            "article:published_time" => (&mut self.published, MAX_TITLE),
            _ => return,
        };
        if slot.0.is_none() {
            *slot.0 = Some(clean(content, slot.1));
        }
    }
}

/// The attributes of the tag whose name ends at `from`, and the index after its `>`. Names
/// are lower-cased; values are entity-decoded.
fn attributes(text: &str, from: usize) -> (Vec<(String, String)>, usize) {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = from;
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() {
            return (out, b.len());
        }
        if b[i] == b'>' {
            return (out, i + 1);
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let name = text[start..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let quote = b[i];
                let vstart = i + 1;
                let vend = text[vstart..]
                    .bytes()
                    .position(|c| c == quote)
                    .map_or(b.len(), |p| vstart + p);
                value = decode(&text[vstart..vend]);
                i = (vend + 1).min(b.len());
            } else {
                let vstart = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                    i += 1;
                }
                value = decode(&text[vstart..i]);
            }
        }
        if out.len() < 32 && !name.is_empty() {
            out.push((name, value));
        }
    }
}

/// Decodes character references (named: those of [`super::entities`]; numeric: any valid
/// scalar); anything else is left as written.
fn decode(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        let end = rest.bytes().take(12).position(|c| c == b';');
        let decoded = end.and_then(|e| {
            let entity = &rest[1..e];
            let c = match entity.strip_prefix('#') {
                None => super::entities::named(entity),
                Some(number) => number
                    .strip_prefix(['x', 'X'])
                    .map_or_else(|| number.parse().ok(), |h| u32::from_str_radix(h, 16).ok())
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// One line: entities decoded, whitespace runs collapsed, control characters dropped, at
/// most `max` characters.
fn clean(s: &str, max: usize) -> String {
    let decoded = decode(s);
    let mut out = String::new();
    let mut space = false;
    for c in decoded.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if c.is_control() {
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
        if out.chars().count() >= max {
            break;
        }
    }
    out
}

/// A language tag's primary subtag (`en-GB` → `en`), if it looks like one.
fn language(v: &str) -> Option<String> {
    let primary = v.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    ((2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_lowercase()))
        .then_some(primary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opengraph_wins_over_title_and_values_are_decoded() {
        let html = r#"<!doctype html><html lang="en-GB"><head>
            <title>Plain   title</title>
            <meta property="og:title" content="Caf&eacute; &amp; &#8220;bar&#x201D;">
            <meta name=description content='A  page
            about things'>
            <meta property="og:image" content="/img.png"><meta property="og:site_name" content="Site">
            <meta property="og:type" content="video.other">
            </head><body><meta property="og:description" content="not read"></body>"#;
        let m = parse(html);
        assert_eq!(m.title.as_deref(), Some("Caf\u{e9} & \u{201c}bar\u{201d}"));
        assert_eq!(m.description.as_deref(), Some("A page about things"));
        assert_eq!(m.image.as_deref(), Some("/img.png"));
        assert_eq!(m.site_name.as_deref(), Some("Site"));
        assert_eq!(m.kind.as_deref(), Some("video.other"));
        assert_eq!(m.language.as_deref(), Some("en"));
    }

    #[test]
    fn scripts_comments_and_broken_markup_are_skipped() {
        let html = "<head><script>var t = '<title>no</title>';</script><!-- <title>no</title> -->\
            <title>yes</title><meta content=\"x\" property=\"og:title";
        // A tag cut off by the end of the input still counts.
        assert_eq!(parse(html).title.as_deref(), Some("x"));
        assert_eq!(
            parse(&html[..html.len() - 36]).title.as_deref(),
            Some("yes")
        );
        // Text, never markup: an unclosed title runs to the end, control characters dropped.
        assert_eq!(
            parse("<title>\u{0}\u{7}<script>x").title.as_deref(),
            Some("<script>x")
        );
        assert_eq!(parse("").title, None);
        assert_eq!(parse("<<<<>>>>&&&;;;<meta").title, None);
        let long = format!("<title>{}</title>", "é".repeat(10_000));
        assert_eq!(
            parse(&long).title.map(|t| t.chars().count()),
            Some(MAX_TITLE)
        );
        assert_eq!(
            parse("<title>&#xFFFFFFFF; &#0; &#55296;</title>")
                .title
                .as_deref(),
            Some("&#xFFFFFFFF; &#55296;")
        );
    }

    /// Random markup-like input: never a panic, always bounded output.
    #[test]
    fn arbitrary_input_never_breaks_the_scanner() {
        const PIECES: &[&str] = &[
            "<", ">", "\"", "'", "=", " ", "/", "&", ";", "#", "x", "<meta", "<title", "</title",
            "<script", "</script", "<!--", "-->", "property", "content", "og:title", "é", "\u{0}",
            "<body", "&#x", "&amp", "name", "lang", "<html",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..5_000 {
            let mut s = String::new();
            let len = (seed % 200) as usize;
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                s.push_str(PIECES[(seed % PIECES.len() as u64) as usize]);
            }
            let m = parse(&s);
            assert!(m.title.map_or(0, |t| t.chars().count()) <= MAX_TITLE);
            assert!(m.description.map_or(0, |t| t.chars().count()) <= MAX_DESCRIPTION);
        }
    }
}
