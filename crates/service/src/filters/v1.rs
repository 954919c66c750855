//! Version 1 filters (`/api/v1/filters`): each keyword of a filter seen as a filter of its
//! own, as Mastodon 4 still serves them to older apps. `irreversible` is the `hide` action.

use rookery_api as api;
use rookery_model::Id;
use rookery_store::{Filter, FilterAction, FilterKeyword, LocalAccount};

use super::{FilterInput, Filters, KeywordInput, check_keyword, expiry, parse_contexts};
use crate::{Result, ServiceError};

/// A version 1 filter as created or changed; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct FilterV1Input {
    pub phrase: Option<String>,
    pub context: Option<Vec<String>>,
    pub irreversible: Option<bool>,
    pub whole_word: Option<bool>,
    /// `Some(None)`: no expiry.
    pub expires_in: Option<Option<i64>>,
}

fn entity(f: &Filter, k: &FilterKeyword) -> api::FilterV1 {
    api::FilterV1 {
        id: k.id.to_string(),
        phrase: k.keyword.clone(),
        context: f.contexts.iter().map(|c| c.as_str()).collect(),
        whole_word: k.whole_word,
        expires_at: f.expires_at.map(rookery_model::Timestamp::to_rfc3339),
        irreversible: f.action == FilterAction::Hide,
    }
}

fn not_found() -> ServiceError {
    ServiceError::NotFound("filter")
}

impl Filters<'_> {
    /// `GET /api/v1/filters`: every keyword of every filter.
    pub async fn list_v1(&self, user: &LocalAccount) -> Result<Vec<api::FilterV1>> {
        Ok(self
            .all(user)
            .await?
            .iter()
            .flat_map(|f| f.keywords.iter().map(move |k| entity(f, k)))
            .collect())
    }

    /// The user's keyword `id` with its filter, as version 1 names it.
    async fn v1_of(&self, user: &LocalAccount, id: Id) -> Result<(Filter, FilterKeyword)> {
        self.all(user)
            .await?
            .into_iter()
            .find_map(|f| {
                let k = f.keywords.iter().find(|k| k.id == id)?.clone();
                Some((f, k))
            })
            .ok_or_else(not_found)
    }

    /// `GET /api/v1/filters/:id`.
    pub async fn get_v1(&self, user: &LocalAccount, id: Id) -> Result<api::FilterV1> {
        let (f, k) = self.v1_of(user, id).await?;
        Ok(entity(&f, &k))
    }

    /// `POST /api/v1/filters`: a filter titled by its phrase, with that one keyword.
    pub async fn create_v1(
        &self,
        user: &LocalAccount,
        input: &FilterV1Input,
    ) -> Result<api::FilterV1> {
        let phrase = check_keyword(input.phrase.as_deref().unwrap_or(""))?;
        let f = self
            .new_filter(
                user,
                &FilterInput {
                    // The title holds at most 256 characters; the keyword up to 512.
                    title: Some(phrase.chars().take(256).collect()),
                    context: input.context.clone(),
                    filter_action: Some(
                        if input.irreversible.unwrap_or(false) {
                            FilterAction::Hide
                        } else {
                            FilterAction::Warn
                        }
                        .as_str()
                        .to_owned(),
                    ),
                    expires_in: input.expires_in,
                    keywords: vec![KeywordInput {
                        keyword: Some(phrase),
                        whole_word: Some(input.whole_word.unwrap_or(true)),
                        ..KeywordInput::default()
                    }],
                },
            )
            .await?;
        let mut tx = self.s.store.begin().await?;
        tx.filters().insert_filter(&f).await?;
        tx.commit().await?;
        self.changed(user);
        let k = f.keywords.first().ok_or_else(not_found)?;
        Ok(entity(&f, k))
    }

    /// `PUT /api/v1/filters/:id`: the keyword changes, and so does its filter (a filter with
    /// other keywords cannot change its context, action or expiry this way, as in Mastodon).
    pub async fn update_v1(
        &self,
        user: &LocalAccount,
        id: Id,
        input: &FilterV1Input,
    ) -> Result<api::FilterV1> {
        let (mut f, mut k) = self.v1_of(user, id).await?;
        if let Some(p) = &input.phrase {
            k.keyword = check_keyword(p)?;
        }
        if let Some(w) = input.whole_word {
            k.whole_word = w;
        }
        let before = (f.contexts.clone(), f.action, f.expires_at);
        if let Some(c) = &input.context {
            f.contexts = parse_contexts(c)?;
        }
        if let Some(i) = input.irreversible {
            f.action = if i {
                FilterAction::Hide
            } else {
                FilterAction::Warn
            };
        }
        if let Some(e) = input.expires_in {
            f.expires_at = expiry(self.s.clock.now(), e)?;
        }
        let filter_changed = before != (f.contexts.clone(), f.action, f.expires_at);
        if filter_changed && f.keywords.len() > 1 {
            return Err(ServiceError::invalid(
                "context",
                "Cannot change context because the filter has other keywords",
            ));
        }
        let mut tx = self.s.store.begin().await?;
        tx.filters()
            .update_filter_keyword(user.account.id, &k)
            .await?;
        if filter_changed {
            tx.filters().update_filter(&f).await?;
        }
        tx.commit().await?;
        self.changed(user);
        Ok(entity(&f, &k))
    }

    /// `DELETE /api/v1/filters/:id`: the keyword, and its filter when nothing else is left in
    /// it.
    pub async fn delete_v1(&self, user: &LocalAccount, id: Id) -> Result<()> {
        let (f, k) = self.v1_of(user, id).await?;
        let mut tx = self.s.store.begin().await?;
        if f.keywords.len() == 1 && f.statuses.is_empty() {
            tx.filters().delete_filter(user.account.id, f.id).await?;
        } else {
            tx.filters()
                .delete_filter_keyword(user.account.id, k.id)
                .await?;
        }
        tx.commit().await?;
        self.changed(user);
        Ok(())
    }
}
