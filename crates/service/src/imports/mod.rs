//! Importing CSV files as Mastodon does (follows, blocks, mutes, domain blocks, bookmarks,
//! lists; merged with what the account has, or replacing it): the file is checked and stored
//! as rows in one request, then a `run_import` job on the `pull` queue (remote accounts and
//! posts are looked up on their servers) does each row once, so progress survives restarts.
//! With `overwrite`, what the file does not name is removed once every row is done (lists:
//! those the file names are emptied first and the others deleted, as Mastodon does).

mod parse;

use std::collections::HashSet;

use rookery_api as api;
use rookery_jobs::{JobContext, JobError, JobSpec, Queue, RetryPolicy};
use rookery_model::Id;
use rookery_store::{ImportProgress, Interaction, LocalAccount, Restriction, TimelinePage};
use serde::{Deserialize, Serialize};

pub use parse::{Item, MAX_ROWS};

use crate::{Result, ServiceError, Services};

/// Imports not finished yet that one account may have.
const MAX_UNFINISHED: i64 = 3;
/// Rows read at a time by the job.
const BATCH: u32 = 20;
/// Imports shown on the page.
const RECENT: u32 = 10;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Following,
    Blocking,
    Muting,
    DomainBlocking,
    Bookmarks,
    Lists,
}

impl ImportKind {
    pub const ALL: [ImportKind; 6] = [
        ImportKind::Following,
        ImportKind::Blocking,
        ImportKind::Muting,
        ImportKind::DomainBlocking,
        ImportKind::Bookmarks,
        ImportKind::Lists,
    ];

    /// The stored (and form) name, Mastodon's.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Following => "following",
            ImportKind::Blocking => "blocking",
            ImportKind::Muting => "muting",
            ImportKind::DomainBlocking => "domain_blocking",
            ImportKind::Bookmarks => "bookmarks",
            ImportKind::Lists => "lists",
        }
    }

    /// What people call it.
    pub fn label(self) -> &'static str {
        match self {
            ImportKind::Following => "Following list",
            ImportKind::Blocking => "Blocked accounts",
            ImportKind::Muting => "Muted accounts",
            ImportKind::DomainBlocking => "Blocked domains",
            ImportKind::Bookmarks => "Bookmarks",
            ImportKind::Lists => "Lists",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Whether a file adds to what the account has or replaces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    Merge,
    Overwrite,
}

impl ImportMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportMode::Merge => "merge",
            ImportMode::Overwrite => "overwrite",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [ImportMode::Merge, ImportMode::Overwrite]
            .into_iter()
            .find(|m| m.as_str() == text)
    }
}

/// Does the rows of an import.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunImport {
    pub import_id: Id,
}

impl JobSpec for RunImport {
    const KIND: &'static str = "run_import";
    const QUEUE: Queue = Queue::Pull;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 8,
            base_delay_ms: 30_000,
            max_delay_ms: 3600 * 1000,
            // 20,000 lookups on other servers take a while; a retry goes on where it stopped.
            timeout: std::time::Duration::from_secs(4 * 3600),
        }
    }

    fn unique_key(&self) -> Option<String> {
        Some(format!("run_import:{}", self.import_id))
    }
}

/// A failed line and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportFailure {
    pub line: String,
    pub reason: String,
}

/// Imports of CSV files.
pub struct Imports<'a> {
    s: &'a Services,
}

impl Services {
    /// Importing CSV files.
    pub fn imports(&self) -> Imports<'_> {
        Imports { s: self }
    }
}

fn retry(e: ServiceError) -> JobError {
    JobError::Retry(e.log_cause().unwrap_or("failed").to_owned())
}

/// Why a row failed, in words for its owner.
fn reason(e: &ServiceError) -> String {
    match e {
        ServiceError::NotFound(what) => format!("{what} not found"),
        ServiceError::Unavailable(_) | ServiceError::Internal(_) => "could not be done".into(),
        other => other.to_string(),
    }
}

impl Imports<'_> {
    /// Checks and stores a file; its rows are done by a job. Returns the import's id.
    pub async fn start(
        &self,
        user: &LocalAccount,
        kind: ImportKind,
        mode: ImportMode,
        file: &[u8],
    ) -> Result<Id> {
        let store = self.s.store.import_store();
        // An import whose job died (its attempts used up) stops counting after a day.
        let since = self.s.clock.now().plus_millis(-24 * 3600 * 1000);
        if store.unfinished_imports(user.account.id, since).await? >= MAX_UNFINISHED {
            return Err(ServiceError::invalid(
                "data",
                "cannot be imported yet: wait until your other imports are done",
            ));
        }
        let items = parse::parse(kind, file)?;
        let rows = items
            .iter()
            .map(|i| {
                serde_json::to_string(i)
                    .map(|data| (self.s.ids.next_id(), data))
                    .map_err(|e| ServiceError::Internal(e.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        let now = self.s.clock.now();
        let import = rookery_store::Import {
            id: self.s.ids.next_id(),
            account_id: user.account.id,
            kind: kind.as_str().to_owned(),
            mode: mode.as_str().to_owned(),
            created_at: now,
            finished_at: None,
        };
        let mut tx = self.s.store.begin().await?;
        tx.imports().insert_import(&import, &rows).await?;
        rookery_jobs::enqueue(
            tx.as_mut(),
            &self.s.ids,
            now,
            &RunImport {
                import_id: import.id,
            },
        )
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
        tx.commit().await?;
        Ok(import.id)
    }

    /// The account's newest imports with their progress.
    pub async fn recent(&self, user: &LocalAccount) -> Result<Vec<ImportProgress>> {
        Ok(self
            .s
            .store
            .import_store()
            .imports_of(user.account.id, RECENT)
            .await?)
    }

    /// The first failed lines of one of the account's imports.
    pub async fn failures(
        &self,
        user: &LocalAccount,
        import_id: Id,
        limit: u32,
    ) -> Result<Vec<ImportFailure>> {
        let store = self.s.store.import_store();
        match store.import(import_id).await? {
            Some(i) if i.account_id == user.account.id => {}
            _ => return Err(ServiceError::NotFound("import")),
        }
        let rows = store.import_rows(import_id, "failed", None, limit).await?;
        Ok(rows
            .into_iter()
            .map(|r| ImportFailure {
                // Shown on a page: no control characters (a NUL in a hostile file).
                line: serde_json::from_str::<Item>(&r.data)
                    .map(|i| i.describe().chars().filter(|c| !c.is_control()).collect())
                    .unwrap_or_default(),
                reason: r.error.unwrap_or_default(),
            })
            .collect())
    }

    /// Runs a [`RunImport`] job: every pending row, then an overwrite's removals. A row that
    /// could not be done for a passing reason (a server not answering) stays pending and the
    /// job is retried; on its last attempt such rows count as failed.
    pub(crate) async fn run(
        &self,
        job: &RunImport,
        ctx: &JobContext,
    ) -> std::result::Result<(), JobError> {
        let s = self.s;
        let store = s.store.import_store();
        let import = match store.import(job.import_id).await {
            Ok(Some(i)) if i.finished_at.is_none() => i,
            Ok(_) => return Ok(()),
            Err(e) => return Err(retry(e.into())),
        };
        let (Some(kind), Some(mode)) = (
            ImportKind::parse(&import.kind),
            ImportMode::parse(&import.mode),
        ) else {
            return Err(JobError::Fatal(format!(
                "an import of an unknown kind: {} {}",
                import.kind, import.mode
            )));
        };
        let last_try = ctx.attempt >= RunImport::policy().max_attempts;
        let fresh = store
            .import_rows(import.id, "imported", None, 1)
            .await
            .map_err(|e| retry(e.into()))?
            .is_empty()
            && store
                .import_rows(import.id, "failed", None, 1)
                .await
                .map_err(|e| retry(e.into()))?
                .is_empty();
        if kind == ImportKind::Lists && mode == ImportMode::Overwrite && fresh {
            let Some(user) = self.owner(import.account_id).await.map_err(retry)? else {
                return Ok(());
            };
            let items = self.items(import.id).await.map_err(retry)?;
            self.reset_lists(&user, &items).await.map_err(retry)?;
        }
        let mut after = None;
        let mut deferred = 0u32;
        loop {
            // The owner may have been suspended or deleted meanwhile: look again each batch.
            let Some(user) = self.owner(import.account_id).await.map_err(retry)? else {
                return Ok(());
            };
            let rows = store
                .import_rows(import.id, "pending", after, BATCH)
                .await
                .map_err(|e| retry(e.into()))?;
            let Some(last) = rows.last() else { break };
            after = Some(last.id);
            for row in rows {
                let outcome = match serde_json::from_str::<Item>(&row.data) {
                    Ok(item) => self.apply(&user, kind, &item).await,
                    // A row that cannot be read never will be: failed, not retried.
                    Err(e) => Err(ServiceError::Unprocessable(format!("unreadable line: {e}"))),
                };
                let (state, target, error) = match &outcome {
                    Ok(target) => ("imported", Some(target.as_str()), None),
                    Err(e @ (ServiceError::Unavailable(_) | ServiceError::Internal(_))) => {
                        tracing::info!(import = %import.id, error = ?e.log_cause(), "import row not done");
                        if !last_try {
                            deferred += 1;
                            continue;
                        }
                        ("failed", None, Some(reason(e)))
                    }
                    Err(e) => ("failed", None, Some(reason(e))),
                };
                let mut tx = s.store.begin().await.map_err(|e| retry(e.into()))?;
                tx.imports()
                    .finish_import_row(row.id, state, target, error.as_deref())
                    .await
                    .map_err(|e| retry(e.into()))?;
                tx.commit().await.map_err(|e| retry(e.into()))?;
            }
        }
        if deferred > 0 {
            return Err(JobError::Retry(format!(
                "{deferred} lines could not be done yet"
            )));
        }
        if mode == ImportMode::Overwrite && kind != ImportKind::Lists {
            let Some(user) = self.owner(import.account_id).await.map_err(retry)? else {
                return Ok(());
            };
            self.remove_unlisted(&user, kind, import.id)
                .await
                .map_err(retry)?;
        }
        let mut tx = s.store.begin().await.map_err(|e| retry(e.into()))?;
        tx.imports()
            .finish_import(import.id, s.clock.now())
            .await
            .map_err(|e| retry(e.into()))?;
        tx.commit().await.map_err(|e| retry(e.into()))?;
        Ok(())
    }

    /// Every line of an import, whatever became of it.
    async fn items(&self, import: Id) -> Result<Vec<Item>> {
        let store = self.s.store.import_store();
        let mut out = Vec::new();
        for state in ["pending", "imported", "failed"] {
            let mut after = None;
            loop {
                let rows = store.import_rows(import, state, after, 1000).await?;
                let Some(last) = rows.last() else { break };
                after = Some(last.id);
                out.extend(
                    rows.iter()
                        .filter_map(|r| serde_json::from_str::<Item>(&r.data).ok()),
                );
            }
        }
        Ok(out)
    }

    async fn owner(&self, account_id: Id) -> Result<Option<LocalAccount>> {
        let Some(account) = self.s.store.account(account_id).await? else {
            return Ok(None);
        };
        match self.s.local_account(account.username.as_str()).await {
            Ok(l) if l.account.id == account_id && l.account.suspended_at.is_none() => Ok(Some(l)),
            Ok(_) | Err(ServiceError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// An account named by a line, looked up on its server when not known here.
    async fn account(&self, acct: &str) -> Result<Id> {
        let found = self.s.lookup_account(acct, true).await?;
        found
            .id
            .parse()
            .map_err(|_| ServiceError::Internal(format!("an account id: {}", found.id)))
    }

    /// Does one line; returns what it became.
    async fn apply(&self, user: &LocalAccount, kind: ImportKind, item: &Item) -> Result<String> {
        let s = self.s;
        let acct = || {
            item.acct
                .as_deref()
                .ok_or(ServiceError::NotFound("account"))
        };
        match kind {
            ImportKind::Following => {
                let id = self.account(acct()?).await?;
                s.follow(user, id, item.reblogs, item.notify).await?;
                Ok(id.to_string())
            }
            ImportKind::Blocking => {
                let id = self.account(acct()?).await?;
                s.block(user, id).await?;
                Ok(id.to_string())
            }
            ImportKind::Muting => {
                let id = self.account(acct()?).await?;
                s.mute(
                    user,
                    id,
                    Some(item.hide_notifications.unwrap_or(true)),
                    None,
                )
                .await?;
                Ok(id.to_string())
            }
            ImportKind::DomainBlocking => {
                let domain = item
                    .domain
                    .as_deref()
                    .ok_or(ServiceError::NotFound("domain"))?;
                s.set_domain_block(user, domain, true).await?;
                Ok(domain.to_owned())
            }
            ImportKind::Bookmarks => {
                let uri = item.uri.as_deref().ok_or(ServiceError::NotFound("post"))?;
                let id = self.status(user, uri).await?;
                match s.interact(user, id, Interaction::Bookmark, true).await {
                    Ok(_) => Ok(id.to_string()),
                    Err(ServiceError::NotFound(_)) => Err(ServiceError::NotFound("post")),
                    Err(e) => Err(e),
                }
            }
            ImportKind::Lists => {
                let title = item.list.as_deref().ok_or(ServiceError::NotFound("list"))?;
                let id = self.account(acct()?).await?;
                let list = self.list_titled(user, title).await?;
                // Mastodon follows whoever a list needs (members must be followed).
                if id != user.account.id {
                    s.follow(user, id, None, None).await?;
                }
                match s.lists().add_members(user, list, &[id]).await {
                    // Already a member: nothing to do.
                    Ok(()) | Err(ServiceError::Conflict(_)) => Ok(id.to_string()),
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// A post named by its address, looked up on its server when not known here.
    async fn status(&self, user: &LocalAccount, uri: &str) -> Result<Id> {
        if let Some(id) = self.s.local_status_id_of(uri) {
            return Ok(id);
        }
        let query = crate::search::SearchQuery {
            kind: Some("statuses"),
            resolve: true,
            limit: 1,
            offset: 0,
            following: false,
        };
        let found = self.s.search(Some(&user.account), uri, query).await?;
        let status: &api::Status = found
            .statuses
            .first()
            .ok_or(ServiceError::NotFound("post"))?;
        status
            .id
            .parse()
            .map_err(|_| ServiceError::Internal(format!("a status id: {}", status.id)))
    }

    /// The user's list with this title, made if there is none.
    async fn list_titled(&self, user: &LocalAccount, title: &str) -> Result<Id> {
        let lists = self.s.lists();
        let existing = lists.all(user).await?;
        let found = match existing.iter().find(|l| l.title == title) {
            Some(l) => l.id.clone(),
            None => {
                let params = crate::lists::ListParams {
                    title: Some(title.to_owned()),
                    replies_policy: None,
                    exclusive: None,
                };
                lists.create(user, &params).await?.id
            }
        };
        found
            .parse()
            .map_err(|_| ServiceError::Internal(format!("a list id: {found}")))
    }

    /// A list overwrite's first half, as Mastodon's: lists the file names are emptied (and
    /// keep their ids and settings), the others are deleted.
    async fn reset_lists(&self, user: &LocalAccount, items: &[Item]) -> Result<()> {
        let titles: HashSet<&str> = items.iter().filter_map(|i| i.list.as_deref()).collect();
        let lists = self.s.lists();
        for l in lists.all(user).await? {
            let Ok(id) = l.id.parse::<Id>() else { continue };
            if !titles.contains(l.title.as_str()) {
                lists.delete(user, id).await?;
                continue;
            }
            loop {
                let page = TimelinePage {
                    limit: 200,
                    ..TimelinePage::default()
                };
                let members: Vec<Id> = self
                    .s
                    .store
                    .list_store()
                    .list_members(id, page)
                    .await?
                    .into_iter()
                    .map(|(_, a)| a.id)
                    .collect();
                if members.is_empty() {
                    break;
                }
                lists.remove_members(user, id, &members).await?;
            }
        }
        Ok(())
    }

    /// An overwrite's second half: what the file did not name goes.
    async fn remove_unlisted(
        &self,
        user: &LocalAccount,
        kind: ImportKind,
        import: Id,
    ) -> Result<()> {
        let s = self.s;
        let store = s.store.import_store();
        // Kept: what imported lines became, and whatever any line names (a line that failed,
        // say because its server did not answer, still keeps what the account had).
        let mut keep = HashSet::new();
        let mut after = None;
        loop {
            let rows = store.import_rows(import, "imported", after, 1000).await?;
            let Some(last) = rows.last() else { break };
            after = Some(last.id);
            keep.extend(rows.into_iter().filter_map(|r| r.target));
        }
        let ours = s.settings.domain.as_str().to_ascii_lowercase();
        let named: HashSet<String> = self
            .items(import)
            .await?
            .iter()
            .filter_map(|i| {
                i.acct
                    .as_deref()
                    .map(|a| {
                        let a = a.to_lowercase();
                        if a.contains('@') {
                            a
                        } else {
                            format!("{a}@{ours}")
                        }
                    })
                    .or_else(|| i.domain.clone())
                    .or_else(|| i.uri.clone())
            })
            .collect();
        let acct_of = |a: &rookery_model::Account| {
            format!(
                "{}@{}",
                a.username.as_str().to_lowercase(),
                a.domain
                    .as_ref()
                    .map_or(ours.clone(), |d| d.as_str().to_lowercase())
            )
        };
        let me = user.account.id;
        let mut gone: Vec<String> = Vec::new();
        let mut page = TimelinePage {
            limit: 200,
            ..TimelinePage::default()
        };
        loop {
            let batch: Vec<(Id, String, String)> = match kind {
                ImportKind::Following => s
                    .store
                    .follow_list(me, false, page)
                    .await?
                    .into_iter()
                    .map(|(row, a)| (row, a.id.to_string(), acct_of(&a)))
                    .collect(),
                ImportKind::Blocking | ImportKind::Muting => {
                    let r = if kind == ImportKind::Blocking {
                        Restriction::Block
                    } else {
                        Restriction::Mute
                    };
                    s.store
                        .restricted_accounts(me, r, page)
                        .await?
                        .into_iter()
                        .map(|(row, a)| (row, a.id.to_string(), acct_of(&a)))
                        .collect()
                }
                ImportKind::DomainBlocking => s
                    .store
                    .user_domain_block_store()
                    .user_domain_blocks(me, page)
                    .await?
                    .into_iter()
                    .map(|(row, d)| (row, d.clone(), d))
                    .collect(),
                ImportKind::Bookmarks => s
                    .store
                    .interactions(me, Interaction::Bookmark, page)
                    .await?
                    .into_iter()
                    .map(|(row, st)| (row, st.id.to_string(), st.uri.clone().unwrap_or_default()))
                    .collect(),
                ImportKind::Lists => Vec::new(),
            };
            let Some((last, _, _)) = batch.last() else {
                break;
            };
            page.max_id = Some(*last);
            gone.extend(
                batch
                    .into_iter()
                    .filter(|(_, t, name)| !keep.contains(t) && !named.contains(name))
                    .map(|(_, t, _)| t),
            );
        }
        for target in gone {
            let id = || {
                target
                    .parse::<Id>()
                    .map_err(|_| ServiceError::Internal(format!("an id: {target}")))
            };
            let done = match kind {
                ImportKind::Following => s.unfollow(user, id()?).await.map(drop),
                ImportKind::Blocking => s
                    .unrestrict(user, id()?, Restriction::Block)
                    .await
                    .map(drop),
                ImportKind::Muting => s.unrestrict(user, id()?, Restriction::Mute).await.map(drop),
                ImportKind::DomainBlocking => s.set_domain_block(user, &target, false).await,
                ImportKind::Bookmarks => s
                    .interact(user, id()?, Interaction::Bookmark, false)
                    .await
                    .map(drop),
                ImportKind::Lists => Ok(()),
            };
            match done {
                Ok(()) | Err(ServiceError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
