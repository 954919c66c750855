//! Reading an imported CSV file as Mastodon reads it: with or without its header line (the
//! header is recognised by its first column), fields trimmed, blank lines skipped, duplicates
//! dropped, and at most [`MAX_ROWS`] rows.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::ImportKind;
use crate::{Result, ServiceError};

/// Rows one file may hold (Mastodon's limit).
pub const MAX_ROWS: usize = 20_000;

/// What one line asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acct: Option<String>,
    /// Following: show their boosts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reblogs: Option<bool>,
    /// Following: notify of their posts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<bool>,
    /// Following: only posts in these languages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<String>,
    /// Muting: their notifications too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hide_notifications: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Lists: the list's title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<String>,
}

impl Item {
    /// What the line is about, for messages and for dropping duplicates.
    pub fn describe(&self) -> String {
        match (&self.list, &self.acct, &self.domain, &self.uri) {
            (Some(l), Some(a), _, _) => format!("{l}: {a}"),
            (_, Some(a), _, _) => a.clone(),
            (_, _, Some(d), _) => d.clone(),
            (_, _, _, Some(u)) => u.clone(),
            _ => String::new(),
        }
    }
}

const ACCOUNT: &str = "Account address";
const SHOW_BOOSTS: &str = "Show boosts";
const NOTIFY: &str = "Notify on new posts";
const LANGUAGES: &str = "Languages";
const HIDE_NOTIFICATIONS: &str = "Hide notifications";
const DOMAIN: &str = "#domain";
const URI: &str = "#uri";
const LIST: &str = "List name";

/// The first column of each kind's header: a first line starting with one is a header.
const KNOWN_FIRST: [&str; 4] = [ACCOUNT, DOMAIN, URI, LIST];

/// The columns of a file without a header line.
fn default_columns(kind: ImportKind) -> Vec<String> {
    let names: &[&str] = match kind {
        ImportKind::Following | ImportKind::Blocking | ImportKind::Muting => &[ACCOUNT],
        ImportKind::DomainBlocking => &[DOMAIN],
        ImportKind::Bookmarks => &[URI],
        ImportKind::Lists => &[LIST, ACCOUNT],
    };
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// The columns a kind cannot do without.
fn required(kind: ImportKind) -> &'static [&'static str] {
    match kind {
        ImportKind::Following | ImportKind::Blocking | ImportKind::Muting => &[ACCOUNT],
        ImportKind::DomainBlocking => &[DOMAIN],
        ImportKind::Bookmarks => &[URI],
        ImportKind::Lists => &[LIST, ACCOUNT],
    }
}

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::invalid("data", message)
}

fn flag(text: Option<&str>) -> Option<bool> {
    match text.map(str::to_ascii_lowercase).as_deref() {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    }
}

/// An address as written in exports: `user@domain`, perhaps with a leading `@`.
fn account_address(text: &str) -> String {
    text.trim().trim_start_matches('@').to_owned()
}

/// Reads `bytes` as a file of `kind`.
pub fn parse(kind: ImportKind, bytes: &[u8]) -> Result<Vec<Item>> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        invalid("is not a CSV file in UTF-8 (the file has bytes that are not text)")
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let mut first = None;
    for record in records.by_ref() {
        let record = record.map_err(|e| invalid(format!("is not a valid CSV file: {e}")))?;
        if record.iter().any(|f| !f.is_empty()) {
            first = Some(record);
            break;
        }
    }
    let Some(first) = first else {
        return Err(invalid("is empty"));
    };
    let is_header = first.get(0).is_some_and(|f| KNOWN_FIRST.contains(&f));
    let columns: Vec<String> = if is_header {
        first.iter().map(str::to_owned).collect()
    } else {
        default_columns(kind)
    };
    if required(kind)
        .iter()
        .any(|r| !columns.iter().any(|c| c == r))
    {
        return Err(invalid(
            "does not fit the chosen type of import (its columns are for another one)",
        ));
    }
    let at = |name: &str| columns.iter().position(|c| c == name);
    let (account, boosts, notify, languages, hide, domain, uri, list) = (
        at(ACCOUNT),
        at(SHOW_BOOSTS),
        at(NOTIFY),
        at(LANGUAGES),
        at(HIDE_NOTIFICATIONS),
        at(DOMAIN),
        at(URI),
        at(LIST),
    );
    let mut items = Vec::new();
    let mut seen = HashSet::new();
    let lines = (!is_header).then_some(Ok(first)).into_iter().chain(records);
    for record in lines {
        let record = record.map_err(|e| invalid(format!("is not a valid CSV file: {e}")))?;
        let field = |i: Option<usize>| i.and_then(|i| record.get(i)).filter(|f| !f.is_empty());
        let item = Item {
            acct: field(account).map(account_address),
            reblogs: flag(field(boosts)).filter(|_| kind == ImportKind::Following),
            notify: flag(field(notify)).filter(|_| kind == ImportKind::Following),
            languages: field(languages)
                .filter(|_| kind == ImportKind::Following)
                .map(|l| {
                    l.split(',')
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            hide_notifications: flag(field(hide)).filter(|_| kind == ImportKind::Muting),
            domain: field(domain).map(|d| d.to_ascii_lowercase()),
            uri: field(uri).map(str::to_owned),
            list: field(list).map(str::to_owned),
        };
        // A line without what its kind needs says nothing (blank lines, stray commas).
        let complete = required(kind).iter().all(|r| match *r {
            ACCOUNT => item.acct.is_some(),
            DOMAIN => item.domain.is_some(),
            URI => item.uri.is_some(),
            _ => item.list.is_some(),
        });
        // Addresses and domains are the same in any case; post ids may not be (base62).
        let key = match kind {
            ImportKind::Bookmarks => item.describe(),
            _ => item.describe().to_lowercase(),
        };
        if !complete || !seen.insert(key) {
            continue;
        }
        if items.len() == MAX_ROWS {
            return Err(invalid(format!("has more than {MAX_ROWS} rows")));
        }
        items.push(item);
    }
    if items.is_empty() {
        return Err(invalid("is empty"));
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accts(items: &[Item]) -> Vec<String> {
        items.iter().map(Item::describe).collect()
    }

    #[test]
    fn follows_with_and_without_a_header() {
        let with = parse(
            ImportKind::Following,
            b"Account address,Show boosts,Notify on new posts,Languages\n\
              alice@a.example,false,true,\"en, de\"\n@bob@b.example,true,false,\n",
        )
        .unwrap();
        assert_eq!(with.len(), 2);
        assert_eq!(with[0].acct.as_deref(), Some("alice@a.example"));
        assert_eq!(with[0].reblogs, Some(false));
        assert_eq!(with[0].notify, Some(true));
        assert_eq!(with[0].languages, vec!["en", "de"]);
        assert_eq!(with[1].acct.as_deref(), Some("bob@b.example"));
        let without = parse(
            ImportKind::Following,
            b"alice@a.example\r\n\r\nbob@b.example",
        )
        .unwrap();
        assert_eq!(accts(&without), vec!["alice@a.example", "bob@b.example"]);
        assert_eq!(without[0].reblogs, None);
    }

    #[test]
    fn lists_keep_quoted_titles_and_drop_duplicates() {
        let items = parse(
            ImportKind::Lists,
            "\u{feff}\"Friends, \"\"close\"\"\",alice@a.example\n\
             \"Friends, \"\"close\"\"\",ALICE@a.example\nWork,bob@b.example\n"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(
            accts(&items),
            vec!["Friends, \"close\": alice@a.example", "Work: bob@b.example"]
        );
    }

    #[test]
    fn refusals_say_why() {
        let message = |kind, bytes: &[u8]| parse(kind, bytes).unwrap_err().to_string();
        assert!(message(ImportKind::Blocking, b"").contains("is empty"));
        assert!(message(ImportKind::Blocking, b"\n ,\n").contains("is empty"));
        assert!(message(ImportKind::Blocking, b"\xff\xfe").contains("UTF-8"));
        assert!(message(ImportKind::Bookmarks, b"#domain\nspam.example\n").contains("another"));
        assert!(message(ImportKind::Lists, b"Account address\na@b.example\n").contains("another"));
        let many: String = (0..=MAX_ROWS)
            .map(|i| format!("u{i}@x.example\n"))
            .collect();
        assert!(message(ImportKind::Muting, many.as_bytes()).contains("more than 20000"));
        // Duplicates do not count toward the limit.
        let same: String = (0..=MAX_ROWS).map(|_| "u@x.example\n").collect();
        assert_eq!(parse(ImportKind::Muting, same.as_bytes()).unwrap().len(), 1);
    }

    #[test]
    fn mutes_domains_and_bookmarks() {
        let m = parse(
            ImportKind::Muting,
            b"Account address,Hide notifications\na@x.example,true\nb@x.example,false\n",
        )
        .unwrap();
        assert_eq!(m[0].hide_notifications, Some(true));
        assert_eq!(m[1].hide_notifications, Some(false));
        let d = parse(ImportKind::DomainBlocking, b"Spam.Example\nspam.example\n").unwrap();
        assert_eq!(accts(&d), vec!["spam.example"]);
        let b = parse(
            ImportKind::Bookmarks,
            b"https://x.example/users/a/statuses/1\n",
        )
        .unwrap();
        assert_eq!(
            b[0].uri.as_deref(),
            Some("https://x.example/users/a/statuses/1")
        );
    }
}
