//! Remote HTML (post content, profile notes) reduced to what Mastodon lets through
//! (`MASTODON_STRICT` in its sanitiser): a few formatting elements, links with known schemes,
//! the classes clients style mentions and links with, `lang` and `translate="no"`. Every link
//! gets `rel="nofollow noopener"` and `target="_blank"`; headings become bold paragraphs;
//! everything else (scripts, styles, event handlers, images, iframes) is removed.
//!
//! A single pass in time linear in the input: tags are read with quotes honoured, the
//! elements kept are balanced against a stack of open ones (with the implicit closes HTML
//! parsers apply to `p`, `li` and `a`), and whatever is still open at the end is closed, so
//! the output is well-formed on its own and can be embedded anywhere. Sanitising twice gives
//! the same result as once (for results within [`MAX_HTML`]: a longer one is cut again). See `docs/adr/` (remote HTML) for why this is not a full HTML5
//! parser.

/// Elements kept (attributes are filtered per element).
pub const ELEMENTS: &[&str] = &[
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
    "ruby",
    "rt",
    "rp",
];

/// Headings, kept as a bold paragraph (`<p><strong>…</strong></p>`), as Mastodon does.
const HEADINGS: &[&str] = &["h1", "h2", "h3", "h4", "h5", "h6"];

/// Elements that close an open paragraph when they start.
const CLOSES_PARAGRAPH: &[&str] = &[
    "p",
    "ul",
    "ol",
    "pre",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
];

/// What the output writes as a paragraph.
const PARAGRAPHS: &[&str] = &["p", "h1", "h2", "h3", "h4", "h5", "h6"];

/// Elements dropped together with everything inside them (Mastodon's, but `math`, whose text
/// stays).
const DROPPED_WITH_CONTENT: &[&str] = &[
    "script", "style", "template", "iframe", "object", "title", "svg", "noscript", "noembed",
    "noframes", "xmp",
];

/// Link schemes kept; a link with another scheme, or a relative one, becomes its text.
const LINK_PROTOCOLS: &[&str] = &[
    "http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet", "gemini",
];

/// Deepest nesting kept: start tags below it are dropped (their text stays).
pub const MAX_DEPTH: usize = 64;

/// Longest remote HTML looked at (longer input is cut, at a character boundary).
pub const MAX_HTML: usize = 200_000;

fn allowed_attribute(tag: &str, name: &str) -> bool {
    matches!(
        (tag, name),
        (_, "lang")
            | ("a", "href" | "class" | "translate")
            | ("span", "class" | "translate")
            | ("p", "class")
            | ("ol", "start" | "reversed")
            | ("li", "value")
    )
}

/// Classes kept: microformats (`h-`, `p-`, `u-`, `dt-`, `e-`) and the few clients style.
fn allowed_class(class: &str) -> bool {
    ["h-", "p-", "u-", "dt-", "e-"]
        .iter()
        .any(|prefix| class.starts_with(prefix))
        || matches!(
            class,
            "mention" | "hashtag" | "ellipsis" | "invisible" | "quote-inline"
        )
}

fn escape_attr(v: &str) -> String {
    v.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Decodes character references in an attribute value: numeric ones and the named ones that
/// matter here. (The value is escaped again on output, so a browser sees exactly this text.)
fn decode_entities(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut rest = v;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .map_or(rest.len(), |e| e + 1);
        let name = &rest[1..end];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "colon" => Some(':'),
            "Tab" => Some('\t'),
            "NewLine" => Some('\n'),
            _ => name.strip_prefix('#').and_then(|n| {
                let code = match n.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => n.parse::<u32>().ok(),
                };
                code.map(|c| char::from_u32(c).unwrap_or('\u{fffd}'))
            }),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = rest[end..].strip_prefix(';').unwrap_or(&rest[end..]);
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

/// The link if its scheme is one Mastodon keeps; `None` for others and relative links. Read
/// as a browser reads it: tabs and line breaks anywhere are dropped, control characters and
/// spaces at the ends trimmed; the scheme must be one (`[A-Za-z][A-Za-z0-9+.-]*`).
fn safe_href(decoded: &str) -> Option<String> {
    let cleaned: String = decoded
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let cleaned = cleaned.trim_matches(|c: char| c <= ' ');
    let scheme = &cleaned[..cleaned.find(':')?];
    let mut chars = scheme.chars();
    let well_formed = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (well_formed && LINK_PROTOCOLS.contains(&scheme.to_ascii_lowercase().as_str()))
        .then(|| cleaned.to_owned())
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

/// One element kept and still open: its name in the input and what closes it in the output.
struct Open {
    name: String,
    close: &'static str,
}

/// The elements kept and open, innermost last, and the output they go to.
struct Tree {
    out: String,
    open: Vec<Open>,
}

impl Tree {
    /// Closes every element from the innermost down to (and with) the one at `index`.
    fn close_to(&mut self, index: usize) {
        while self.open.len() > index {
            if let Some(o) = self.open.pop() {
                self.out.push_str(o.close);
            }
        }
    }

    /// The innermost open element named one of `names`, not looking past `boundary` ones.
    fn find(&self, names: &[&str], boundary: &[&str]) -> Option<usize> {
        for (i, o) in self.open.iter().enumerate().rev() {
            if names.contains(&o.name.as_str()) {
                return Some(i);
            }
            if boundary.contains(&o.name.as_str()) {
                return None;
            }
        }
        None
    }

    fn start(&mut self, name: &str, attrs: &str) {
        // The closes an HTML parser would make before this element starts.
        let implied = if CLOSES_PARAGRAPH.contains(&name) {
            // Headings are paragraphs in the output: they close one and are closed alike.
            self.find(PARAGRAPHS, &[])
        } else if name == "li" {
            self.find(&["li"], &["ul", "ol"])
        } else if name == "a" {
            self.find(&["a"], &[])
        } else {
            None
        };
        if let Some(i) = implied {
            self.close_to(i);
        }
        let mut attributes_out = String::new();
        let mut seen: Vec<String> = Vec::new();
        let mut href = None;
        for (attr, value) in attributes(attrs) {
            // The first of repeated attributes counts, as in browsers.
            if !allowed_attribute(name, &attr) || seen.contains(&attr) {
                continue;
            }
            seen.push(attr.clone());
            let value = decode_entities(&value);
            let value = match attr.as_str() {
                "href" => {
                    href = safe_href(&value);
                    continue;
                }
                "class" => value
                    .split_ascii_whitespace()
                    .filter(|c| allowed_class(c))
                    .collect::<Vec<_>>()
                    .join(" "),
                "translate" if value != "no" => continue,
                "lang" => value
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect(),
                "start" | "value" => value.chars().filter(char::is_ascii_digit).collect(),
                _ => value,
            };
            if value.is_empty() && attr != "reversed" {
                continue;
            }
            attributes_out.push_str(&format!(" {attr}=\"{}\"", escape_attr(&value)));
        }
        if name == "br" {
            self.out.push_str(&format!("<br{attributes_out}>"));
            return;
        }
        // Depth as written: a heading is two elements, a link written as its text none (so a
        // second pass sees the same depth and keeps the same tags).
        let depth: usize = self
            .open
            .iter()
            .map(|o| o.close.matches("</").count())
            .sum();
        let weight = if HEADINGS.contains(&name) { 2 } else { 1 };
        if depth + weight > MAX_DEPTH {
            return;
        }
        if HEADINGS.contains(&name) {
            self.out.push_str(&format!("<p{attributes_out}><strong>"));
            self.open.push(Open {
                name: name.to_owned(),
                close: "</strong></p>",
            });
            return;
        }
        if name == "a" {
            let Some(href) = href else {
                // A link without a usable target is its text: open, but writes nothing.
                self.open.push(Open {
                    name: "a".into(),
                    close: "",
                });
                return;
            };
            self.out.push_str(&format!(
                "<a href=\"{}\"{attributes_out} rel=\"nofollow noopener\" target=\"_blank\">",
                escape_attr(&href)
            ));
        } else {
            self.out.push_str(&format!("<{name}{attributes_out}>"));
        }
        self.open.push(Open {
            name: name.to_owned(),
            close: closing_tag(name),
        });
    }

    fn end(&mut self, name: &str) {
        let found = if HEADINGS.contains(&name) {
            self.find(HEADINGS, &[])
        } else {
            self.find(&[name], &[])
        };
        if let Some(i) = found {
            self.close_to(i);
        }
    }
}

/// The end tag of a kept element (static, so open elements need no allocation for it).
fn closing_tag(name: &str) -> &'static str {
    match name {
        "p" => "</p>",
        "span" => "</span>",
        "a" => "</a>",
        "del" => "</del>",
        "s" => "</s>",
        "pre" => "</pre>",
        "blockquote" => "</blockquote>",
        "code" => "</code>",
        "b" => "</b>",
        "strong" => "</strong>",
        "u" => "</u>",
        "i" => "</i>",
        "em" => "</em>",
        "ul" => "</ul>",
        "ol" => "</ol>",
        "li" => "</li>",
        "ruby" => "</ruby>",
        "rt" => "</rt>",
        "rp" => "</rp>",
        _ => "",
    }
}

/// Sanitises remote HTML, in time linear in its length.
pub fn sanitize_html(input: &str) -> String {
    let mut cut = input.len().min(MAX_HTML);
    while !input.is_char_boundary(cut) {
        cut -= 1;
    }
    let input = &input[..cut];
    let bytes = input.as_bytes();
    let mut tree = Tree {
        out: String::with_capacity(input.len()),
        open: Vec::new(),
    };
    let mut i = 0;
    let mut skip_until: Option<String> = None;
    while i < bytes.len() {
        let Some(rel) = input[i..].find('<') else {
            if skip_until.is_none() {
                tree.out.push_str(&input[i..].replace('>', "&gt;"));
            }
            break;
        };
        let lt = i + rel;
        if skip_until.is_none() {
            tree.out.push_str(&input[i..lt].replace('>', "&gt;"));
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
                tree.out.push_str("&lt;");
            }
            i = lt + 1;
            continue;
        }
        let Some(end) = tag_end(bytes, lt) else {
            // A tag that never ends: the rest is text. (Scanning on from the next `<` would
            // make hostile input like "<a<a<a…" cost quadratic time.)
            if skip_until.is_none() {
                tree.out
                    .push_str(&input[lt..].replace('<', "&lt;").replace('>', "&gt;"));
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
        if !ELEMENTS.contains(&name.as_str()) && !HEADINGS.contains(&name.as_str()) {
            continue;
        }
        if closing {
            tree.end(&name);
        } else {
            tree.start(&name, &inner[name_end..]);
        }
    }
    tree.close_to(0);
    tree.out
}

#[cfg(test)]
#[path = "sanitize_tests.rs"]
mod tests;
