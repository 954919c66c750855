//! Exporting an account, as Mastodon's "Import and export → Data export" does:
//!
//! - CSV files in Mastodon's formats (follows, lists, blocks, mutes, domain blocks,
//!   bookmarks; and followers), made a page of rows at a time so a long list is streamed,
//!   never read in one query;
//! - the full archive (`archive`): a zip of the actor, its posts as an ActivityPub outbox,
//!   likes, bookmarks and media files, built by a job and kept in media storage for 7 days.
//!
//! CSV values are quoted as RFC 4180 wants (a comma, quote or line break inside a value
//! round-trips). A value that a spreadsheet would run as a formula (starting with `=`, `+`,
//! `-`, `@`, a tab or a carriage return) gets a leading `'`, as OWASP advises: only list titles
//! can start so (addresses, domains and URIs cannot).

pub mod archive;

use rookery_model::Id;
use rookery_store::{ExportCounts, ExportedAccount, ExportedStatus, LocalAccount};

use crate::{Result, Services};

pub use archive::{
    ARCHIVE_EVERY_MS, ArchiveFile, ArchiveView, BuildArchive, PruneArchives, TOO_SOON,
};

/// Rows read per query.
const BATCH: u32 = 1000;

/// One of the CSV files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvKind {
    Following,
    Followers,
    Lists,
    Blocks,
    Mutes,
    DomainBlocks,
    Bookmarks,
}

impl CsvKind {
    /// Every file, in the order the page lists them.
    pub const ALL: [CsvKind; 7] = [
        CsvKind::Following,
        CsvKind::Followers,
        CsvKind::Lists,
        CsvKind::Blocks,
        CsvKind::Mutes,
        CsvKind::DomainBlocks,
        CsvKind::Bookmarks,
    ];

    /// The file's name (Mastodon's, where Mastodon has the file).
    pub fn file_name(self) -> &'static str {
        match self {
            CsvKind::Following => "following_accounts.csv",
            CsvKind::Followers => "followers.csv",
            CsvKind::Lists => "lists.csv",
            CsvKind::Blocks => "blocked_accounts.csv",
            CsvKind::Mutes => "muted_accounts.csv",
            CsvKind::DomainBlocks => "blocked_domains.csv",
            CsvKind::Bookmarks => "bookmarks.csv",
        }
    }

    /// The file of a name.
    pub fn from_file_name(name: &str) -> Option<CsvKind> {
        CsvKind::ALL.into_iter().find(|k| k.file_name() == name)
    }

    /// What the file holds, for the page.
    pub fn label(self) -> &'static str {
        match self {
            CsvKind::Following => "Follows",
            CsvKind::Followers => "Followers",
            CsvKind::Lists => "Lists",
            CsvKind::Blocks => "You block",
            CsvKind::Mutes => "You mute",
            CsvKind::DomainBlocks => "Domain blocks",
            CsvKind::Bookmarks => "Bookmarks",
        }
    }

    fn header(self) -> Option<&'static str> {
        match self {
            CsvKind::Following => {
                Some("Account address,Show boosts,Notify on new posts,Languages\n")
            }
            CsvKind::Followers => Some("Account address\n"),
            CsvKind::Mutes => Some("Account address,Hide notifications\n"),
            _ => None,
        }
    }

    /// The count shown next to the file.
    pub fn count(self, counts: &ExportCounts) -> i64 {
        match self {
            CsvKind::Following => counts.following,
            CsvKind::Followers => counts.followers,
            CsvKind::Lists => counts.lists,
            CsvKind::Blocks => counts.blocks,
            CsvKind::Mutes => counts.mutes,
            CsvKind::DomainBlocks => counts.domain_blocks,
            CsvKind::Bookmarks => counts.bookmarks,
        }
    }
}

/// One CSV value, quoted when it must be and kept from being read as a formula.
pub fn csv_field(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

fn csv_line(fields: &[&str]) -> String {
    let mut line = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

/// Data export.
pub struct Export<'a> {
    s: &'a Services,
}

impl Services {
    /// Exporting an account: CSV files and archives.
    pub fn exports(&self) -> Export<'_> {
        Export { s: self }
    }
}

impl Export<'_> {
    /// How many rows each CSV file has.
    pub async fn counts(&self, local: &LocalAccount) -> Result<ExportCounts> {
        Ok(self
            .s
            .store
            .export_store()
            .counts(local.account.id, self.s.clock.now())
            .await?)
    }

    /// A reader of one CSV file of `local`'s, a batch of rows at a time.
    pub fn csv(&self, local: &LocalAccount, kind: CsvKind) -> CsvReader {
        CsvReader {
            s: self.s.clone(),
            account_id: local.account.id,
            kind,
            header_sent: false,
            after: None,
            lists: None,
            done: false,
        }
    }
}

/// One CSV file, read in batches ([`CsvReader::next_chunk`]) so it can be streamed.
pub struct CsvReader {
    s: Services,
    account_id: Id,
    kind: CsvKind,
    header_sent: bool,
    /// The key of the last row read.
    after: Option<Id>,
    /// Lists not yet read, for `lists.csv` (the first is being read).
    lists: Option<Vec<(Id, String)>>,
    done: bool,
}

impl std::fmt::Debug for CsvReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvReader")
            .field("kind", &self.kind)
            .field("after", &self.after)
            .finish_non_exhaustive()
    }
}

impl CsvReader {
    fn address(&self, a: &ExportedAccount) -> String {
        exported_address(&self.s, a)
    }

    /// The next part of the file; `None` once it is all read.
    pub async fn next_chunk(&mut self) -> Result<Option<String>> {
        if self.done {
            return Ok(None);
        }
        let mut out = String::new();
        if !self.header_sent {
            self.header_sent = true;
            if let Some(h) = self.kind.header() {
                out.push_str(h);
            }
        }
        let store = self.s.store.export_store();
        let id = self.account_id;
        let after = self.after;
        let (read, last) = match self.kind {
            CsvKind::Following => {
                let rows = store.following(id, after, BATCH).await?;
                for r in &rows {
                    let f = &r.item;
                    out.push_str(&csv_line(&[
                        &self.address(&f.account),
                        bool_text(f.show_reblogs),
                        bool_text(f.notify),
                        "",
                    ]));
                }
                (rows.len(), rows.last().map(|r| r.key))
            }
            CsvKind::Followers | CsvKind::Blocks => {
                let rows = if self.kind == CsvKind::Followers {
                    store.followers(id, after, BATCH).await?
                } else {
                    store.blocks(id, after, BATCH).await?
                };
                for r in &rows {
                    out.push_str(&csv_line(&[&self.address(&r.item)]));
                }
                (rows.len(), rows.last().map(|r| r.key))
            }
            CsvKind::Mutes => {
                let rows = store.mutes(id, self.s.clock.now(), after, BATCH).await?;
                for r in &rows {
                    out.push_str(&csv_line(&[
                        &self.address(&r.item.account),
                        bool_text(r.item.hide_notifications),
                    ]));
                }
                (rows.len(), rows.last().map(|r| r.key))
            }
            CsvKind::DomainBlocks => {
                let rows = store.domain_blocks(id, after, BATCH).await?;
                for r in &rows {
                    out.push_str(&csv_line(&[&r.item]));
                }
                (rows.len(), rows.last().map(|r| r.key))
            }
            CsvKind::Bookmarks => {
                let rows = store.bookmarks(id, after, BATCH).await?;
                for r in &rows {
                    if let Some(uri) = status_uri(&self.s, &r.item) {
                        out.push_str(&csv_line(&[&uri]));
                    }
                }
                (rows.len(), rows.last().map(|r| r.key))
            }
            CsvKind::Lists => return self.lists_chunk(out).await,
        };
        self.after = last;
        if read < BATCH as usize {
            self.done = true;
        }
        Ok(Some(out))
    }

    async fn lists_chunk(&mut self, mut out: String) -> Result<Option<String>> {
        let store = self.s.store.export_store();
        if self.lists.is_none() {
            let mut lists = store.lists(self.account_id).await?;
            lists.reverse();
            self.lists = Some(lists);
        }
        let Some((list_id, title)) = self.lists.as_ref().and_then(|l| l.last().cloned()) else {
            self.done = true;
            return Ok(Some(out));
        };
        let rows = store.list_members(list_id, self.after, BATCH).await?;
        for r in &rows {
            out.push_str(&csv_line(&[&title, &self.address(&r.item)]));
        }
        if rows.len() < BATCH as usize {
            // This list is done: the next one starts from its beginning.
            if let Some(lists) = self.lists.as_mut() {
                lists.pop();
            }
            self.after = None;
        } else {
            self.after = rows.last().map(|r| r.key);
        }
        Ok(Some(out))
    }
}

fn bool_text(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// `username@domain`, local accounts with this instance's domain.
pub(crate) fn exported_address(s: &Services, a: &ExportedAccount) -> String {
    match &a.domain {
        Some(d) => format!("{}@{d}", a.username),
        None => format!("{}@{}", a.username, s.settings.domain),
    }
}

/// A status's ActivityPub id (local ones as federated); `None` for a remote one without.
pub(crate) fn status_uri(s: &Services, st: &ExportedStatus) -> Option<String> {
    if st.local {
        Some(s.urls.status(&st.author_username, st.status_id))
    } else {
        st.uri.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_kept_from_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_field("-1,2"), "\"'-1,2\"");
        assert_eq!(csv_field("@x"), "'@x");
        assert_eq!(csv_field(""), "");
    }
}
