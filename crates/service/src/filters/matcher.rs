//! Which of a user's filters a status matches: keywords (case-insensitive, literally, whole
//! words when asked, as Mastodon matches them) in its text, content warning and media
//! descriptions, or the status itself.

use rookery_api as api;
use rookery_model::Timestamp;
use rookery_store::{Filter, FilterAction, FilterContext};

/// A user's filters in force at one moment, ready to match.
#[derive(Debug, Clone, Default)]
pub struct ActiveFilters {
    filters: Vec<Compiled>,
    /// Whose filters: their own statuses are never filtered (as in Mastodon).
    owner: String,
}

#[derive(Debug, Clone)]
struct Compiled {
    entity: api::Filter,
    /// (as written, lowercased, whole word)
    keywords: Vec<(String, String, bool)>,
    statuses: Vec<String>,
}

/// Whether `c` is a word character (letters, marks, digits, connector punctuation: Ruby's
/// `[[:word:]]`, which Mastodon's boundaries use).
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || matches!(c, '\u{203F}' | '\u{2040}' | '\u{FE33}')
}

/// Whether `needle` (lowercased) occurs in `hay` (lowercased); with `whole_word`, not inside a
/// longer word at whichever end of it is a word character.
fn occurs(hay: &str, needle: &str, whole_word: bool) -> bool {
    if needle.is_empty() {
        return false;
    }
    if !whole_word {
        return hay.contains(needle);
    }
    let check_start = needle.chars().next().is_some_and(is_word);
    let check_end = needle.chars().next_back().is_some_and(is_word);
    hay.match_indices(needle).any(|(at, m)| {
        let before_ok = !check_start || !hay[..at].chars().next_back().is_some_and(is_word);
        let after_ok = !check_end || !hay[at + m.len()..].chars().next().is_some_and(is_word);
        before_ok && after_ok
    })
}

/// The visible text of a status's HTML content: tags removed, line breaks and paragraphs kept
/// as new lines, the common entities decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            rest = "";
            break;
        };
        let tag = rest[open + 1..open + close].trim_start_matches('/');
        let name: String = tag
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        if name == "br" || name == "p" {
            out.push('\n');
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// What filters match against: content warning, text and media descriptions.
pub fn status_text(status: &api::Status) -> String {
    let mut text = status.spoiler_text.clone();
    text.push_str("\n\n");
    text.push_str(&html_to_text(&status.content));
    for m in &status.media_attachments {
        if let Some(d) = &m.description {
            text.push_str("\n\n");
            text.push_str(d);
        }
    }
    for o in status.poll.iter().flat_map(|p| &p.options) {
        text.push_str("\n\n");
        text.push_str(&o.title);
    }
    text
}

impl ActiveFilters {
    /// The filters of `filters` not expired at `now`.
    pub fn new(filters: Vec<Filter>, now: Timestamp) -> Self {
        let owner = filters
            .first()
            .map(|f| f.account_id.to_string())
            .unwrap_or_default();
        let filters = filters
            .into_iter()
            .filter(|f| f.expires_at.is_none_or(|t| t > now))
            .map(|f| Compiled {
                entity: super::filter_entity(&f, false),
                keywords: f
                    .keywords
                    .iter()
                    .map(|k| (k.keyword.clone(), k.keyword.to_lowercase(), k.whole_word))
                    .collect(),
                statuses: f.statuses.iter().map(|s| s.status_id.to_string()).collect(),
            })
            .collect();
        ActiveFilters { filters, owner }
    }

    /// Whether no filter is in force.
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }

    /// The filters matching a status with id `id` (and `also`, the boosted status's id) and
    /// text `text`, whatever their contexts (apps read the contexts from the results).
    pub fn results(&self, id: &str, also: Option<&str>, text: &str) -> Vec<api::FilterResult> {
        if self.filters.is_empty() {
            return Vec::new();
        }
        let hay = text.to_lowercase();
        self.filters
            .iter()
            .filter_map(|f| {
                let keywords: Vec<String> = f
                    .keywords
                    .iter()
                    .filter(|(_, lower, whole)| occurs(&hay, lower, *whole))
                    .map(|(written, _, _)| written.clone())
                    .collect();
                let statuses: Vec<String> = f
                    .statuses
                    .iter()
                    .filter(|s| s.as_str() == id || also == Some(s.as_str()))
                    .cloned()
                    .collect();
                if keywords.is_empty() && statuses.is_empty() {
                    return None;
                }
                Some(api::FilterResult {
                    filter: f.entity.clone(),
                    keyword_matches: (!keywords.is_empty()).then_some(keywords),
                    status_matches: (!statuses.is_empty()).then_some(statuses),
                })
            })
            .collect()
    }

    /// Sets `filtered` on a rendered status (and on the status it boosts).
    pub fn mark(&self, status: &mut api::Status) {
        let subject = status.reblog.as_deref().unwrap_or(status);
        if self.filters.is_empty() || subject.account.id == self.owner {
            return;
        }
        let text = status_text(subject);
        let original = status.reblog.as_ref().map(|r| r.id.clone());
        let results = self.results(&status.id, original.as_deref(), &text);
        if let Some(r) = status.reblog.as_deref_mut() {
            r.filtered.clone_from(&results);
        }
        status.filtered = results;
    }
}

impl ActiveFilters {
    /// [`ActiveFilters::mark`] on a status already rendered to JSON (a streaming payload).
    pub fn mark_json(&self, status: &mut serde_json::Value) {
        if self.filters.is_empty() || !status.is_object() {
            return;
        }
        let field = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or("").to_owned();
        let subject = if status["reblog"].is_object() {
            &status["reblog"]
        } else {
            &*status
        };
        if subject["account"]["id"].as_str() == Some(self.owner.as_str()) {
            return;
        }
        let mut text = field(subject, "spoiler_text");
        text.push_str("\n\n");
        text.push_str(&html_to_text(&field(subject, "content")));
        for m in subject["media_attachments"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(d) = m["description"].as_str() {
                text.push_str("\n\n");
                text.push_str(d);
            }
        }
        for o in subject["poll"]["options"].as_array().into_iter().flatten() {
            if let Some(t) = o["title"].as_str() {
                text.push_str("\n\n");
                text.push_str(t);
            }
        }
        let original = status["reblog"]["id"].as_str().map(str::to_owned);
        let results = self.results(&field(status, "id"), original.as_deref(), &text);
        let Ok(value) = serde_json::to_value(&results) else {
            return;
        };
        if status["reblog"].is_object() {
            status["reblog"]["filtered"] = value.clone();
        }
        status["filtered"] = value;
    }
}

/// [`hidden_by_filters`] on a status in JSON.
pub fn json_hidden_by_filters(status: &serde_json::Value, context: FilterContext) -> bool {
    status["filtered"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|r| {
            r["filter"]["filter_action"] == FilterAction::Hide.as_str()
                && r["filter"]["context"]
                    .as_array()
                    .is_some_and(|c| c.iter().any(|x| x == context.as_str()))
        })
}

/// Whether a status marked by [`ActiveFilters::mark`] is to be left out in `context`: a
/// matching `hide` filter applies there.
pub fn hidden_by_filters(status: &api::Status, context: FilterContext) -> bool {
    status.filtered.iter().any(|r| {
        r.filter.filter_action == FilterAction::Hide.as_str()
            && r.filter.context.contains(&context.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_respect_boundaries_only_where_the_keyword_has_word_characters() {
        assert!(occurs("i like rust.", "rust", true));
        assert!(!occurs("trusty", "rust", true));
        assert!(occurs("trusty", "rust", false));
        assert!(occurs("#rust!", "#rust", true));
        assert!(!occurs("#rusty", "#rust", true));
        // A keyword ending in punctuation matches before a letter.
        assert!(occurs("c++is", "c++", true));
        assert!(occurs("über alles", "über", true));
        assert!(!occurs("überall", "über", true));
        // Regex-looking keywords are literal.
        assert!(!occurs("anything", ".*", false));
        assert!(occurs("a.*b", ".*", false));
        assert!(!occurs("x", "", false));
    }

    #[test]
    fn html_becomes_text() {
        assert_eq!(
            html_to_text("<p>a &amp; b</p><p>c<br>d &lt;3</p>"),
            "\na & b\n\nc\nd <3\n"
        );
        assert_eq!(html_to_text("unclosed <a href"), "unclosed ");
        assert_eq!(html_to_text("&amp;lt;"), "&lt;");
    }
}
