//! Filters: keywords and statuses a user does not want to see, or wants to see behind a
//! warning, in the contexts they choose (`/api/v2/filters…`, and version 1's keyword view).
//! Every status rendered for a signed-in user carries the filters it matches (`filtered`);
//! reads leave out those a `hide` filter of their context matches.

mod matcher;
mod v1;

use rookery_api as api;
use rookery_events::{Event, channel, names};
use rookery_model::{Account, Id, Timestamp};
use rookery_store::{
    Filter, FilterAction, FilterContext, FilterKeyword, FilterStatus, LocalAccount, StoreError,
};

use crate::{Result, ServiceError, Services};

pub use matcher::{
    ActiveFilters, hidden_by_filters, html_to_text, json_hidden_by_filters, status_text,
};
pub use v1::FilterV1Input;

/// Filters a user may have.
pub const MAX_FILTERS: usize = 200;
/// Keywords a filter may have.
pub const MAX_KEYWORDS: usize = 1000;
/// Statuses a filter may name.
pub const MAX_STATUSES: usize = 1000;
/// Longest title and keyword, in characters.
const MAX_TITLE: usize = 256;
const MAX_KEYWORD: usize = 512;

/// A keyword in `keywords_attributes`: new (no `id`), changed, or removed (`_destroy`).
#[derive(Debug, Clone, Default)]
pub struct KeywordInput {
    pub id: Option<String>,
    pub keyword: Option<String>,
    pub whole_word: Option<bool>,
    pub destroy: bool,
}

/// A filter as created or changed; `None` leaves a field as it is (on create: the default).
#[derive(Debug, Clone, Default)]
pub struct FilterInput {
    pub title: Option<String>,
    pub context: Option<Vec<String>>,
    pub filter_action: Option<String>,
    /// `Some(None)`: no expiry; `Some(Some(s))`: `s` seconds from now.
    pub expires_in: Option<Option<i64>>,
    pub keywords: Vec<KeywordInput>,
}

/// The filters area's use cases.
#[derive(Clone, Copy)]
pub struct Filters<'a> {
    s: &'a Services,
}

impl Services {
    /// Filters: CRUD and matching.
    pub fn filters(&self) -> Filters<'_> {
        Filters { s: self }
    }

    /// The viewer's filters in force now (none without a viewer).
    pub async fn active_filters(&self, viewer: Option<&Account>) -> Result<ActiveFilters> {
        match viewer {
            None => Ok(ActiveFilters::default()),
            Some(v) => self.active_filters_of(v.id).await,
        }
    }

    /// The filters of account `id` in force now.
    pub async fn active_filters_of(&self, id: Id) -> Result<ActiveFilters> {
        Ok(ActiveFilters::new(
            self.store.filter_store().filters(id).await?,
            self.clock.now(),
        ))
    }
}

/// The entity of a filter; `full` with its keywords and statuses (left out in results).
pub(crate) fn filter_entity(f: &Filter, full: bool) -> api::Filter {
    api::Filter {
        id: f.id.to_string(),
        title: f.title.clone(),
        context: f.contexts.iter().map(|c| c.as_str()).collect(),
        expires_at: f.expires_at.map(Timestamp::to_rfc3339),
        filter_action: f.action.as_str(),
        keywords: full.then(|| f.keywords.iter().map(keyword_entity).collect()),
        statuses: full.then(|| f.statuses.iter().map(status_entity).collect()),
    }
}

fn keyword_entity(k: &FilterKeyword) -> api::FilterKeyword {
    api::FilterKeyword {
        id: k.id.to_string(),
        keyword: k.keyword.clone(),
        whole_word: k.whole_word,
    }
}

fn status_entity(s: &FilterStatus) -> api::FilterStatus {
    api::FilterStatus {
        id: s.id.to_string(),
        status_id: s.status_id.to_string(),
    }
}

fn parse_contexts(names: &[String]) -> Result<Vec<FilterContext>> {
    let mut out = Vec::new();
    for n in names {
        let c = FilterContext::parse(n.trim())
            .ok_or_else(|| ServiceError::invalid("context", format!("{n:?} is not a context")))?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    if out.is_empty() {
        return Err(ServiceError::invalid("context", "Context can't be blank"));
    }
    Ok(out)
}

fn parse_action(name: &str) -> Result<FilterAction> {
    FilterAction::parse(name).ok_or_else(|| {
        ServiceError::invalid(
            "filter_action",
            format!("{name:?} is not warn, hide or blur"),
        )
    })
}

fn check_title(title: &str) -> Result<String> {
    let t = title.trim();
    if t.is_empty() {
        return Err(ServiceError::invalid("title", "Title can't be blank"));
    }
    if t.chars().count() > MAX_TITLE {
        return Err(ServiceError::invalid(
            "title",
            format!("Title is too long (maximum is {MAX_TITLE} characters)"),
        ));
    }
    Ok(t.to_owned())
}

pub(crate) fn check_keyword(keyword: &str) -> Result<String> {
    let k = keyword.trim();
    if k.is_empty() {
        return Err(ServiceError::invalid("keyword", "Keyword can't be blank"));
    }
    if k.chars().count() > MAX_KEYWORD {
        return Err(ServiceError::invalid(
            "keyword",
            format!("Keyword is too long (maximum is {MAX_KEYWORD} characters)"),
        ));
    }
    Ok(k.to_owned())
}

/// When a filter given `expires_in` seconds expires; `None`: never. Out of range is a 422.
pub(crate) fn expiry(now: Timestamp, expires_in: Option<i64>) -> Result<Option<Timestamp>> {
    match expires_in {
        None => Ok(None),
        // At most ten years; Mastodon's choices go up to a week.
        Some(s) if (1..=10 * 365 * 86_400).contains(&s) => Ok(Some(now.plus_millis(s * 1000))),
        Some(_) => Err(ServiceError::invalid(
            "expires_in",
            "expires_in must be between 1 second and 10 years",
        )),
    }
}

fn not_found() -> ServiceError {
    ServiceError::NotFound("filter")
}

impl Filters<'_> {
    async fn all(&self, user: &LocalAccount) -> Result<Vec<Filter>> {
        Ok(self.s.store.filter_store().filters(user.account.id).await?)
    }

    async fn one(&self, user: &LocalAccount, id: Id) -> Result<Filter> {
        self.all(user)
            .await?
            .into_iter()
            .find(|f| f.id == id)
            .ok_or_else(not_found)
    }

    /// Tells the user's streams to reload their filters.
    pub(crate) fn changed(&self, user: &LocalAccount) {
        self.s.events.publish(
            &channel::user(user.account.id),
            Event::new(names::FILTERS_CHANGED, None),
        );
    }

    /// `GET /api/v2/filters`.
    pub async fn list(&self, user: &LocalAccount) -> Result<Vec<api::Filter>> {
        Ok(self
            .all(user)
            .await?
            .iter()
            .map(|f| filter_entity(f, true))
            .collect())
    }

    /// `GET /api/v2/filters/:id`.
    pub async fn get(&self, user: &LocalAccount, id: Id) -> Result<api::Filter> {
        Ok(filter_entity(&self.one(user, id).await?, true))
    }

    /// `POST /api/v2/filters`.
    pub async fn create(&self, user: &LocalAccount, input: &FilterInput) -> Result<api::Filter> {
        let filter = self.new_filter(user, input).await?;
        let mut tx = self.s.store.begin().await?;
        tx.filters().insert_filter(&filter).await?;
        tx.commit().await?;
        self.changed(user);
        Ok(filter_entity(&filter, true))
    }

    /// A filter from `input`, checked, with fresh ids.
    pub(crate) async fn new_filter(
        &self,
        user: &LocalAccount,
        input: &FilterInput,
    ) -> Result<Filter> {
        if self.all(user).await?.len() >= MAX_FILTERS {
            return Err(ServiceError::invalid(
                "filter",
                format!("at most {MAX_FILTERS} filters"),
            ));
        }
        let now = self.s.clock.now();
        let id = self.s.ids.next_id();
        let title = check_title(input.title.as_deref().unwrap_or(""))?;
        let contexts = parse_contexts(input.context.as_deref().unwrap_or(&[]))?;
        let action = match input.filter_action.as_deref() {
            None | Some("") => FilterAction::Warn,
            Some(a) => parse_action(a)?,
        };
        let expires_at = expiry(now, input.expires_in.flatten())?;
        let mut keywords = Vec::new();
        for k in input.keywords.iter().filter(|k| !k.destroy) {
            keywords.push(FilterKeyword {
                id: self.s.ids.next_id(),
                filter_id: id,
                keyword: check_keyword(k.keyword.as_deref().unwrap_or(""))?,
                whole_word: k.whole_word.unwrap_or(true),
            });
        }
        if keywords.len() > MAX_KEYWORDS {
            return Err(ServiceError::invalid(
                "keywords_attributes",
                format!("at most {MAX_KEYWORDS} keywords"),
            ));
        }
        Ok(Filter {
            id,
            account_id: user.account.id,
            title,
            contexts,
            action,
            expires_at,
            created_at: now,
            keywords,
            statuses: Vec::new(),
        })
    }

    /// `PUT /api/v2/filters/:id`: fields given change; keywords are added, changed or removed
    /// as `keywords_attributes` says, all or nothing.
    pub async fn update(
        &self,
        user: &LocalAccount,
        id: Id,
        input: &FilterInput,
    ) -> Result<api::Filter> {
        let mut f = self.one(user, id).await?;
        if let Some(t) = &input.title {
            f.title = check_title(t)?;
        }
        if let Some(c) = &input.context {
            f.contexts = parse_contexts(c)?;
        }
        if let Some(a) = input.filter_action.as_deref().filter(|a| !a.is_empty()) {
            f.action = parse_action(a)?;
        }
        if let Some(e) = input.expires_in {
            f.expires_at = expiry(self.s.clock.now(), e)?;
        }
        let mut tx = self.s.store.begin().await?;
        if !tx.filters().update_filter(&f).await? {
            return Err(not_found());
        }
        for k in &input.keywords {
            let existing = match k.id.as_deref().filter(|i| !i.is_empty()) {
                None => None,
                Some(i) => Some(
                    i.parse::<Id>()
                        .ok()
                        .and_then(|i| f.keywords.iter().position(|kw| kw.id == i))
                        .ok_or(ServiceError::NotFound("filter keyword"))?,
                ),
            };
            match existing {
                Some(at) if k.destroy => {
                    let gone = f.keywords.remove(at);
                    tx.filters()
                        .delete_filter_keyword(user.account.id, gone.id)
                        .await?;
                }
                Some(at) => {
                    let kw = &mut f.keywords[at];
                    if let Some(text) = &k.keyword {
                        kw.keyword = check_keyword(text)?;
                    }
                    if let Some(w) = k.whole_word {
                        kw.whole_word = w;
                    }
                    tx.filters()
                        .update_filter_keyword(user.account.id, kw)
                        .await?;
                }
                None if k.destroy => {}
                None => {
                    let kw = FilterKeyword {
                        id: self.s.ids.next_id(),
                        filter_id: f.id,
                        keyword: check_keyword(k.keyword.as_deref().unwrap_or(""))?,
                        whole_word: k.whole_word.unwrap_or(true),
                    };
                    tx.filters().insert_filter_keyword(&kw).await?;
                    f.keywords.push(kw);
                }
            }
        }
        if f.keywords.len() > MAX_KEYWORDS {
            return Err(ServiceError::invalid(
                "keywords_attributes",
                format!("at most {MAX_KEYWORDS} keywords"),
            ));
        }
        tx.commit().await?;
        self.changed(user);
        Ok(filter_entity(&f, true))
    }

    /// `DELETE /api/v2/filters/:id`.
    pub async fn delete(&self, user: &LocalAccount, id: Id) -> Result<()> {
        let mut tx = self.s.store.begin().await?;
        if !tx.filters().delete_filter(user.account.id, id).await? {
            return Err(not_found());
        }
        tx.commit().await?;
        self.changed(user);
        Ok(())
    }

    /// `GET /api/v2/filters/:id/keywords`.
    pub async fn keywords(&self, user: &LocalAccount, id: Id) -> Result<Vec<api::FilterKeyword>> {
        Ok(self
            .one(user, id)
            .await?
            .keywords
            .iter()
            .map(keyword_entity)
            .collect())
    }

    /// The user's keyword `id`, with its filter.
    async fn keyword_of(&self, user: &LocalAccount, id: Id) -> Result<(Filter, FilterKeyword)> {
        self.all(user)
            .await?
            .into_iter()
            .find_map(|f| {
                let k = f.keywords.iter().find(|k| k.id == id)?.clone();
                Some((f, k))
            })
            .ok_or(ServiceError::NotFound("filter keyword"))
    }

    /// `GET /api/v2/filters/keywords/:id`.
    pub async fn keyword(&self, user: &LocalAccount, id: Id) -> Result<api::FilterKeyword> {
        Ok(keyword_entity(&self.keyword_of(user, id).await?.1))
    }

    /// `POST /api/v2/filters/:id/keywords`.
    pub async fn add_keyword(
        &self,
        user: &LocalAccount,
        filter_id: Id,
        keyword: &str,
        whole_word: Option<bool>,
    ) -> Result<api::FilterKeyword> {
        let f = self.one(user, filter_id).await?;
        if f.keywords.len() >= MAX_KEYWORDS {
            return Err(ServiceError::invalid(
                "keyword",
                format!("at most {MAX_KEYWORDS} keywords"),
            ));
        }
        let kw = FilterKeyword {
            id: self.s.ids.next_id(),
            filter_id,
            keyword: check_keyword(keyword)?,
            whole_word: whole_word.unwrap_or(true),
        };
        let mut tx = self.s.store.begin().await?;
        tx.filters().insert_filter_keyword(&kw).await?;
        tx.commit().await?;
        self.changed(user);
        Ok(keyword_entity(&kw))
    }

    /// `PUT /api/v2/filters/keywords/:id`.
    pub async fn update_keyword(
        &self,
        user: &LocalAccount,
        id: Id,
        keyword: Option<&str>,
        whole_word: Option<bool>,
    ) -> Result<api::FilterKeyword> {
        let (_, mut kw) = self.keyword_of(user, id).await?;
        if let Some(k) = keyword {
            kw.keyword = check_keyword(k)?;
        }
        if let Some(w) = whole_word {
            kw.whole_word = w;
        }
        let mut tx = self.s.store.begin().await?;
        if !tx
            .filters()
            .update_filter_keyword(user.account.id, &kw)
            .await?
        {
            return Err(ServiceError::NotFound("filter keyword"));
        }
        tx.commit().await?;
        self.changed(user);
        Ok(keyword_entity(&kw))
    }

    /// `DELETE /api/v2/filters/keywords/:id`.
    pub async fn delete_keyword(&self, user: &LocalAccount, id: Id) -> Result<()> {
        let mut tx = self.s.store.begin().await?;
        if !tx
            .filters()
            .delete_filter_keyword(user.account.id, id)
            .await?
        {
            return Err(ServiceError::NotFound("filter keyword"));
        }
        tx.commit().await?;
        self.changed(user);
        Ok(())
    }

    /// `GET /api/v2/filters/:id/statuses`.
    pub async fn statuses(&self, user: &LocalAccount, id: Id) -> Result<Vec<api::FilterStatus>> {
        Ok(self
            .one(user, id)
            .await?
            .statuses
            .iter()
            .map(status_entity)
            .collect())
    }

    /// `GET /api/v2/filters/statuses/:id`.
    pub async fn status(&self, user: &LocalAccount, id: Id) -> Result<api::FilterStatus> {
        self.all(user)
            .await?
            .iter()
            .flat_map(|f| f.statuses.iter())
            .find(|s| s.id == id)
            .map(status_entity)
            .ok_or(ServiceError::NotFound("filter status"))
    }

    /// `POST /api/v2/filters/:id/statuses`: a status the user can see, once per filter.
    pub async fn add_status(
        &self,
        user: &LocalAccount,
        filter_id: Id,
        status_id: Id,
    ) -> Result<api::FilterStatus> {
        let f = self.one(user, filter_id).await?;
        self.s
            .visible_status(Some(&user.account), status_id)
            .await?;
        if f.statuses.iter().any(|s| s.status_id == status_id) {
            return Err(ServiceError::invalid(
                "status_id",
                "Status has already been taken",
            ));
        }
        if f.statuses.len() >= MAX_STATUSES {
            return Err(ServiceError::invalid(
                "status_id",
                format!("at most {MAX_STATUSES} statuses"),
            ));
        }
        let fs = FilterStatus {
            id: self.s.ids.next_id(),
            filter_id,
            status_id,
        };
        let mut tx = self.s.store.begin().await?;
        match tx.filters().insert_filter_status(&fs).await {
            Err(StoreError::Conflict(_)) => {
                return Err(ServiceError::invalid(
                    "status_id",
                    "Status has already been taken",
                ));
            }
            other => other?,
        }
        tx.commit().await?;
        self.changed(user);
        Ok(status_entity(&fs))
    }

    /// `DELETE /api/v2/filters/statuses/:id`.
    pub async fn delete_status(&self, user: &LocalAccount, id: Id) -> Result<()> {
        let mut tx = self.s.store.begin().await?;
        if !tx
            .filters()
            .delete_filter_status(user.account.id, id)
            .await?
        {
            return Err(ServiceError::NotFound("filter status"));
        }
        tx.commit().await?;
        self.changed(user);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_checked() {
        assert!(check_title("  ").is_err());
        assert!(check_title(&"x".repeat(257)).is_err());
        assert_eq!(check_title(" t ").unwrap(), "t");
        assert!(parse_contexts(&[]).is_err());
        assert!(parse_contexts(&["home".into(), "nowhere".into()]).is_err());
        assert_eq!(
            parse_contexts(&["home".into(), "home".into(), "thread".into()]).unwrap(),
            vec![FilterContext::Home, FilterContext::Thread]
        );
        assert!(parse_action("shout").is_err());
        let now = Timestamp::from_millis(1_000);
        assert_eq!(expiry(now, None).unwrap(), None);
        assert_eq!(
            expiry(now, Some(60)).unwrap(),
            Some(Timestamp::from_millis(61_000))
        );
        assert!(expiry(now, Some(0)).is_err());
        assert!(expiry(now, Some(-5)).is_err());
        assert!(expiry(now, Some(i64::MAX)).is_err());
    }
}
