//! Plain text to Mastodon-style HTML: paragraphs, line breaks, links, `@mentions`, `#hashtags`,
//! everything else escaped. The output contains only `p`, `br`, `a` and `span` elements with
//! fixed attributes, so it needs no further sanitising.

use crate::render::escape_html;

/// A piece of a status's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    Text(String),
    Url(String),
    /// `@user` or `@user@domain`.
    Mention {
        user: String,
        domain: Option<String>,
    },
    Tag(String),
    Break,
    Paragraph,
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Splits text into tokens.
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let text = text.replace("\r\n", "\n");
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut i = 0;
    let flush = |buf: &mut String, out: &mut Vec<Token>| {
        if !buf.is_empty() {
            out.push(Token::Text(std::mem::take(buf)));
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let prev_ok =
            i == 0 || !is_word(chars[i - 1]) && chars[i - 1] != '/' && chars[i - 1] != '@';
        if c == '\n' {
            flush(&mut buf, &mut out);
            let mut n = 0;
            while i < chars.len() && chars[i] == '\n' {
                n += 1;
                i += 1;
            }
            out.push(if n >= 2 {
                Token::Paragraph
            } else {
                Token::Break
            });
            continue;
        }
        let rest: String = chars[i..chars.len().min(i + 8)].iter().collect();
        let lower = rest.to_ascii_lowercase();
        if prev_ok && (lower.starts_with("https://") || lower.starts_with("http://")) {
            let mut j = i;
            while j < chars.len()
                && !chars[j].is_whitespace()
                && !matches!(chars[j], '<' | '>' | '"')
            {
                j += 1;
            }
            while j > i && matches!(chars[j - 1], '.' | ',' | ';' | ':' | '!' | '?' | ')' | '\'') {
                j -= 1;
            }
            let url: String = chars[i..j].iter().collect();
            if url.len() > "https://".len() {
                flush(&mut buf, &mut out);
                out.push(Token::Url(url));
                i = j;
                continue;
            }
        }
        if c == '@' && prev_ok {
            let mut j = i + 1;
            while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            if j > i + 1 {
                let user: String = chars[i + 1..j].iter().collect();
                let mut domain = None;
                if j < chars.len() && chars[j] == '@' {
                    let mut k = j + 1;
                    while k < chars.len()
                        && (chars[k].is_ascii_alphanumeric() || matches!(chars[k], '.' | '-' | ':'))
                    {
                        k += 1;
                    }
                    while k > j + 1 && matches!(chars[k - 1], '.' | ':' | '-') {
                        k -= 1;
                    }
                    if k > j + 1 {
                        domain = Some(chars[j + 1..k].iter().collect());
                        j = k;
                    }
                }
                flush(&mut buf, &mut out);
                out.push(Token::Mention { user, domain });
                i = j;
                continue;
            }
        }
        if c == '#' && prev_ok {
            let mut j = i + 1;
            while j < chars.len() && is_word(chars[j]) {
                j += 1;
            }
            let tag: String = chars[i + 1..j].iter().collect();
            if !tag.is_empty()
                && !tag.chars().all(|c| c.is_ascii_digit())
                && tag.chars().count() <= 100
            {
                flush(&mut buf, &mut out);
                out.push(Token::Tag(tag));
                i = j;
                continue;
            }
        }
        buf.push(c);
        i += 1;
    }
    flush(&mut buf, &mut out);
    out
}

/// How mentions render: the profile URL and the handle to show, if the account is known.
pub(crate) type MentionLink = Option<(String, String)>;

/// Renders tokens; `mention` resolves `(user, domain)` to a link or `None` (shown as text).
pub(crate) fn render(
    tokens: &[Token],
    tag_url: impl Fn(&str) -> String,
    mention: impl Fn(&str, Option<&str>) -> MentionLink,
) -> String {
    let mut out = String::from("<p>");
    for t in tokens {
        match t {
            Token::Text(s) => out.push_str(&escape_html(s)),
            Token::Break => out.push_str("<br />"),
            Token::Paragraph => out.push_str("</p><p>"),
            Token::Url(u) => {
                let shown = u
                    .strip_prefix("https://")
                    .or_else(|| u.strip_prefix("http://"))
                    .unwrap_or(u);
                out.push_str(&format!(
                    "<a href=\"{}\" target=\"_blank\" rel=\"nofollow noopener noreferrer\">{}</a>",
                    escape_html(u),
                    escape_html(shown)
                ));
            }
            Token::Tag(tag) => out.push_str(&format!(
                "<a href=\"{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
                escape_html(&tag_url(tag)),
                escape_html(tag)
            )),
            Token::Mention { user, domain } => match mention(user, domain.as_deref()) {
                Some((href, name)) => out.push_str(&format!(
                    "<span class=\"h-card\" translate=\"no\"><a href=\"{}\" class=\"u-url mention\">@<span>{}</span></a></span>",
                    escape_html(&href),
                    escape_html(&name)
                )),
                None => {
                    out.push('@');
                    out.push_str(&escape_html(user));
                    if let Some(d) = domain {
                        out.push('@');
                        out.push_str(&escape_html(d));
                    }
                }
            },
        }
    }
    out.push_str("</p>");
    out.replace("<p></p>", "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(text: &str) -> String {
        render(
            &tokenize(text),
            |t| format!("https://x.test/tags/{t}"),
            |u, d| {
                (u == "alice" && d.is_none_or(|d| d == "x.test"))
                    .then(|| ("https://x.test/@alice".into(), "alice".into()))
            },
        )
    }

    #[test]
    fn formats_like_mastodon() {
        assert_eq!(html("hello"), "<p>hello</p>");
        assert_eq!(html("a\nb\n\nc"), "<p>a<br />b</p><p>c</p>");
        assert_eq!(html("<b>&</b>"), "<p>&lt;b&gt;&amp;&lt;/b&gt;</p>");
        let h = html("hi @alice and @bob@else.where, see https://example.com/a?b=1&c=2.");
        assert!(
            h.contains(
                "<a href=\"https://x.test/@alice\" class=\"u-url mention\">@<span>alice</span></a>"
            ),
            "{h}"
        );
        assert!(h.contains("@bob@else.where,"), "{h}");
        assert!(
            h.contains("href=\"https://example.com/a?b=1&amp;c=2\""),
            "{h}"
        );
        assert!(h.ends_with(">example.com/a?b=1&amp;c=2</a>.</p>"), "{h}");
        let h = html("#Rust and #123 and a#b");
        assert!(h.contains("rel=\"tag\">#<span>Rust</span></a>"), "{h}");
        assert!(h.contains("#123"), "{h}");
        assert!(h.contains("a#b"), "{h}");
        assert!(!html("\"><script>alert(1)</script>").contains("<script"));
        assert!(!html("https://\"onmouseover=\"x").contains("\"onmouseover"));
    }

    #[test]
    fn tokens() {
        let t = tokenize("@alice@x.test: #tag");
        assert_eq!(
            t[0],
            Token::Mention {
                user: "alice".into(),
                domain: Some("x.test".into())
            }
        );
        assert!(t.contains(&Token::Tag("tag".into())));
        assert!(
            tokenize("mail me: a@b.c")
                .iter()
                .all(|t| !matches!(t, Token::Mention { .. }))
        );
    }
}
