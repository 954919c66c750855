//! Statuses as the API shows them to a viewer: reblogs wrapping their original, the viewer's
//! flags, polls, cards, emoji, media and the filters each matches.

use std::collections::HashMap;

use crate::format::{Token, tokenize};
use rookery_api as api;
use rookery_model::{Account, Id, Status};

use crate::{Result, Services};

impl Services {
    /// Renders statuses for `viewer`, in the given order, in a handful of queries: reblogs wrap
    /// their original, the viewer's favourited/reblogged/bookmarked flags are set, and so are
    /// the viewer's filters each matches (`filtered`).
    pub async fn status_entities(
        &self,
        viewer: Option<&Account>,
        statuses: &[Status],
    ) -> Result<Vec<api::Status>> {
        let mut out = self.unfiltered_entities(viewer, statuses, true).await?;
        let filters = self.active_filters(viewer).await?;
        if !filters.is_empty() {
            for s in &mut out {
                filters.mark(s);
            }
        }
        Ok(out)
    }

    /// [`Services::status_entities`] without the viewer's filters. `full_quotes`: the posts
    /// they quote are rendered whole (else by id, as inside a quote).
    pub(crate) async fn unfiltered_entities(
        &self,
        viewer: Option<&Account>,
        statuses: &[Status],
        full_quotes: bool,
    ) -> Result<Vec<api::Status>> {
        let original_ids: Vec<Id> = statuses.iter().filter_map(|s| s.reblog_of_id).collect();
        let originals: HashMap<Id, api::Status> = if original_ids.is_empty() {
            HashMap::new()
        } else {
            let found = self.store.statuses(&original_ids).await?;
            let rendered = Box::pin(self.unfiltered_entities(viewer, &found, full_quotes)).await?;
            found.iter().map(|s| s.id).zip(rendered).collect()
        };
        let plain = self.render_plain(viewer, statuses).await?;
        let ids: Vec<Id> = statuses.iter().map(|s| s.id).collect();
        let mut polls = self.poll_entities(viewer, &ids).await?;
        let mut cards = self.card_entities(&ids).await?;
        let quotes = self.quotes().views(viewer, statuses, full_quotes).await?;
        let mut out = Vec::with_capacity(plain.len());
        for (entity, s) in plain.into_iter().zip(statuses) {
            let Some(mut entity) = entity else {
                continue; // author gone
            };
            entity.poll = polls.remove(&s.id);
            entity.card = cards.remove(&s.id);
            quotes.apply(s, &mut entity);
            if let Some(o) = s.reblog_of_id {
                let Some(orig) = originals.get(&o) else {
                    continue; // original gone or hidden
                };
                entity.favourited = orig.favourited;
                entity.reblogged = orig.reblogged;
                entity.bookmarked = orig.bookmarked;
                entity.quote_approval = orig.quote_approval.clone();
                entity.reblog = Some(Box::new(orig.clone()));
            }
            out.push(entity);
        }
        Ok(out)
    }

    /// One entity per status, `None` where the author is gone.
    async fn render_plain(
        &self,
        viewer: Option<&Account>,
        statuses: &[Status],
    ) -> Result<Vec<Option<api::Status>>> {
        let ids: Vec<Id> = statuses.iter().map(|s| s.id).collect();
        let mentions = self.store.mentions(&ids).await?;
        let mut account_ids: Vec<Id> = statuses.iter().map(|s| s.account_id).collect();
        account_ids.extend(mentions.iter().map(|(_, a)| *a));
        account_ids.sort();
        account_ids.dedup();
        let accounts: HashMap<Id, Account> = self
            .store
            .accounts(&account_ids)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let flags = match viewer {
            Some(v) => self.store.viewer_flags(v.id, &ids).await?,
            None => rookery_store::ViewerFlags::default(),
        };
        let muted_threads: Vec<Id> = match viewer {
            Some(v) => {
                let mut conversations: Vec<Id> = statuses
                    .iter()
                    .map(|s| s.conversation_id.unwrap_or(s.id))
                    .collect();
                conversations.sort();
                conversations.dedup();
                self.store.muted_conversations(v.id, &conversations).await?
            }
            None => Vec::new(),
        };
        let emoji_texts: Vec<(Option<String>, String)> = statuses
            .iter()
            .map(|s| {
                let domain = accounts
                    .get(&s.account_id)
                    .and_then(|a| a.domain.as_ref().map(ToString::to_string));
                (domain, format!("{} {}", s.spoiler_text, s.content))
            })
            .collect();
        let mut emojis = self.emojis_in(&emoji_texts).await?.into_iter();
        let mut authors: Vec<&Account> = statuses
            .iter()
            .filter_map(|s| accounts.get(&s.account_id))
            .collect();
        authors.sort_by_key(|a| a.id);
        authors.dedup_by_key(|a| a.id);
        let author_entities: HashMap<Id, api::Account> = authors
            .iter()
            .map(|a| a.id)
            .zip(self.account_entities(&authors).await?)
            .collect();
        let media = self.store.status_media(&ids).await?;
        self.touch_cached(&media.iter().collect::<Vec<_>>()).await;
        let mut out = Vec::with_capacity(statuses.len());
        for s in statuses {
            let status_emojis = emojis.next().unwrap_or_default();
            let Some(author) = accounts.get(&s.account_id) else {
                out.push(None);
                continue;
            };
            let status_mentions = mentions
                .iter()
                .filter(|(sid, _)| *sid == s.id)
                .filter_map(|(_, a)| accounts.get(a))
                .map(|a| api::StatusMention {
                    id: a.id.to_string(),
                    username: a.username.to_string(),
                    url: self.account_entity(a).url,
                    acct: a.acct(),
                })
                .collect();
            let mut tags: Vec<String> = tokenize(&s.text)
                .into_iter()
                .filter_map(|t| match t {
                    Token::Tag(t) => Some(t.to_lowercase()),
                    _ => None,
                })
                .collect();
            tags.dedup();
            let (uri, url) = if s.local {
                let name = author.username.as_str();
                (
                    self.urls.status(name, s.id),
                    Some(self.urls.status_page(name, s.id)),
                )
            } else {
                (
                    s.uri.clone().unwrap_or_default(),
                    s.url.clone().or(s.uri.clone()),
                )
            };
            out.push(Some(api::Status {
                id: s.id.to_string(),
                uri,
                url,
                created_at: s.created_at.to_rfc3339(),
                edited_at: s.edited_at.map(|t| t.to_rfc3339()),
                account: author_entities
                    .get(&author.id)
                    .cloned()
                    .unwrap_or_else(|| self.account_entity(author)),
                content: s.content.clone(),
                visibility: s.visibility.as_str().to_owned(),
                sensitive: s.sensitive,
                spoiler_text: s.spoiler_text.clone(),
                media_attachments: media
                    .iter()
                    .filter(|m| m.status_id == Some(s.id))
                    .map(|m| self.attachment_entity(m))
                    .collect(),
                application: None,
                mentions: status_mentions,
                tags: tags
                    .into_iter()
                    .map(|t| api::StatusTag {
                        url: format!("{}/tags/{t}", self.urls.base()),
                        name: t,
                    })
                    .collect(),
                emojis: status_emojis,
                reblogs_count: s.reblogs_count,
                favourites_count: s.favourites_count,
                replies_count: s.replies_count,
                in_reply_to_id: s.in_reply_to_id.map(|i| i.to_string()),
                in_reply_to_account_id: s.in_reply_to_account_id.map(|i| i.to_string()),
                reblog: None,
                quote: None,
                quotes_count: 0,
                quote_approval: api::QuoteApproval::default(),
                poll: None,
                card: None,
                language: s.language.clone(),
                text: None,
                favourited: flags.favourited.contains(&s.id),
                reblogged: flags.reblogged.contains(&s.id),
                muted: muted_threads.contains(&s.conversation_id.unwrap_or(s.id)),
                bookmarked: flags.bookmarked.contains(&s.id),
                pinned: viewer
                    .filter(|v| v.id == s.account_id)
                    .map(|_| s.pinned_at.is_some()),
                filtered: Vec::new(),
            }));
        }
        Ok(out)
    }
}
