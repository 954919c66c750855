//! What the page templates show of the API's entities: posts with their media and polls, and
//! the text helpers the pages share (a handle with its domain, a readable time, plain text
//! for descriptions).

use rookery_api as api;

/// A post as the pages show it.
pub(crate) struct Post {
    pub url: String,
    pub author_name: String,
    /// `user@domain`, for local authors too.
    pub acct: String,
    pub author_url: String,
    pub avatar: String,
    pub avatar_alt: String,
    /// RFC 3339, for `<time datetime>`.
    pub created_at: String,
    /// The same time for people to read.
    pub when: String,
    pub edited: bool,
    /// The content warning (empty: none).
    pub spoiler: String,
    pub sensitive: bool,
    /// Sanitised HTML (local posts are rendered from text, remote ones cleaned when received),
    /// as the apps show it; the page's policy forbids scripts besides.
    pub content: String,
    pub images: Vec<Image>,
    pub files: Vec<File>,
    pub poll: Option<Poll>,
    pub replies: i64,
    pub boosts: i64,
    pub favourites: i64,
}

/// An image attachment.
#[derive(Clone)]
pub(crate) struct Image {
    pub url: String,
    pub preview: String,
    pub alt: String,
}

/// Any other attachment (video, audio, animation), shown as a link.
pub(crate) struct File {
    pub url: String,
    pub kind: &'static str,
    pub alt: String,
}

/// A poll's results.
pub(crate) struct Poll {
    pub options: Vec<PollOption>,
    pub votes: i64,
    pub closed: bool,
    /// When it ends or ended (readable), if it has an end.
    pub ends: Option<String>,
}

/// An option of a poll; its share is unknown while a poll that hides totals runs.
pub(crate) struct PollOption {
    pub title: String,
    pub percent: Option<i64>,
}

impl Post {
    pub(crate) fn of(s: api::Status, domain: &str) -> Post {
        let (images, files) = attachments(&s.media_attachments);
        Post {
            url: s.url.unwrap_or(s.uri),
            author_name: display_name(&s.account),
            acct: full_acct(&s.account.acct, domain),
            author_url: s.account.url,
            avatar: s.account.avatar_static,
            avatar_alt: s.account.avatar_description,
            when: readable_time(&s.created_at),
            created_at: s.created_at,
            edited: s.edited_at.is_some(),
            spoiler: s.spoiler_text,
            sensitive: s.sensitive,
            content: s.content,
            images,
            files,
            poll: s.poll.map(Poll::of),
            replies: s.replies_count,
            boosts: s.reblogs_count,
            favourites: s.favourites_count,
        }
    }

    /// What a link preview says of the post: its content warning, else its text.
    pub(crate) fn summary(&self) -> String {
        if self.spoiler.is_empty() {
            excerpt(&plain_text(&self.content), 300)
        } else {
            self.spoiler.clone()
        }
    }
}

fn attachments(media: &[api::MediaAttachment]) -> (Vec<Image>, Vec<File>) {
    let mut images = Vec::new();
    let mut files = Vec::new();
    for m in media {
        let Some(url) = m.url.clone() else { continue };
        let alt = m.description.clone().unwrap_or_default();
        let kind = match m.kind.as_str() {
            "image" => {
                images.push(Image {
                    preview: m.preview_url.clone().unwrap_or_else(|| url.clone()),
                    url,
                    alt,
                });
                continue;
            }
            "video" => "Video",
            "gifv" => "Animation",
            "audio" => "Audio",
            _ => "Attachment",
        };
        files.push(File { url, kind, alt });
    }
    (images, files)
}

impl Poll {
    fn of(p: api::Poll) -> Poll {
        // Shares of a multiple-choice poll are of the people who voted, as Mastodon shows them.
        let total = p.voters_count.unwrap_or(p.votes_count);
        Poll {
            options: p
                .options
                .into_iter()
                .map(|o| PollOption {
                    title: o.title,
                    percent: o.votes_count.map(|v| {
                        if total > 0 {
                            (v.saturating_mul(100) / total).clamp(0, 100)
                        } else {
                            0
                        }
                    }),
                })
                .collect(),
            votes: p.votes_count,
            closed: p.expired,
            ends: p.expires_at.as_deref().map(readable_time),
        }
    }
}

/// The name an account shows: its display name, else its username.
pub(crate) fn display_name(account: &api::Account) -> String {
    if account.display_name.trim().is_empty() {
        account.username.clone()
    } else {
        account.display_name.clone()
    }
}

/// Escapes text for HTML element content and quoted attribute values (for HTML built outside
/// a template, which escapes it again as it renders it).
pub(crate) fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// `user@domain` for an `acct` that leaves out this server's domain.
pub(crate) fn full_acct(acct: &str, domain: &str) -> String {
    if acct.contains('@') {
        acct.to_owned()
    } else {
        format!("{acct}@{domain}")
    }
}

/// `2024-01-02T13:04:05.000Z` as `2024-01-02 13:04 UTC` (anything else as it is).
pub(crate) fn readable_time(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(date), Some(time)) if rfc3339.ends_with('Z') => format!("{date} {time} UTC"),
        _ => rfc3339.to_owned(),
    }
}

/// At most `max` characters of `text`, ending with `…` when cut.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// The text of server-made HTML (posts, bios): tags dropped, paragraphs and line breaks as
/// spaces, character references decoded. For descriptions, which are escaped again when shown.
pub(crate) fn plain_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[start + 1..start + end];
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if matches!(name.as_str(), "p" | "br" | "li" | "div" | "blockquote") {
            text.push(' ');
        }
        rest = &rest[start + end + 1..];
    }
    text.push_str(rest);
    let decoded = decode_references(&text);
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Decodes `&amp;`-style and numeric character references (unknown ones are kept as written).
fn decode_references(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let decoded = rest.get(1..).and_then(|after| {
            let end = after.find(';').filter(|&e| e <= 10)?;
            let name = &after[..end];
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" => ' ',
                _ => {
                    let n = name.strip_prefix('#')?;
                    let code = match n.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => n.parse().ok()?,
                    };
                    char::from_u32(code)?
                }
            };
            Some((c, end + 2))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_of_post_html() {
        assert_eq!(
            plain_text(
                "<p>Hello &amp; <a href=\"x\">#<span>tag</span></a></p><p>two<br />lines &#60;b&#x3e; &bogus;</p>"
            ),
            "Hello & #tag two lines <b> &bogus;"
        );
        assert_eq!(plain_text("a < b"), "a");
        assert_eq!(plain_text("&#1114112; &"), "&#1114112; &");
    }

    #[test]
    fn excerpts_and_times() {
        assert_eq!(excerpt("short", 10), "short");
        assert_eq!(excerpt("a longer text here", 9), "a longer…");
        assert_eq!(
            readable_time("2024-01-02T13:04:05.000Z"),
            "2024-01-02 13:04 UTC"
        );
        assert_eq!(readable_time("soon"), "soon");
        assert_eq!(full_acct("alice", "x.test"), "alice@x.test");
        assert_eq!(full_acct("bob@y.test", "x.test"), "bob@y.test");
    }
}
