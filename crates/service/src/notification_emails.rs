//! Notifications by e-mail, as Mastodon's `notification_emails.*` settings: mentions, follows,
//! follow requests, boosts and favourites, each off until the user turns it on. A wanted
//! notification is mailed by the job that makes it (only when it is shown: not for muted
//! threads or notifications held back by the user's policy), through the `mailers` queue.

use rookery_store::{LocalAccount, Notification, NotificationKind};

use crate::mail::Message;
use crate::{Result, Services};

/// The kinds that can be mailed, with what the settings page calls them.
pub const MAILABLE: [(NotificationKind, &str); 5] = [
    (NotificationKind::Mention, "Someone mentions you"),
    (NotificationKind::Follow, "Someone follows you"),
    (
        NotificationKind::FollowRequest,
        "Someone asks to follow you",
    ),
    (NotificationKind::Reblog, "Someone boosts your post"),
    (NotificationKind::Favourite, "Someone favourites your post"),
];

/// Characters of a post quoted in a mail.
const EXCERPT: usize = 300;

/// Notifications by e-mail.
pub struct NotificationEmails<'a> {
    s: &'a Services,
}

impl Services {
    /// Notifications by e-mail.
    pub fn notification_emails(&self) -> NotificationEmails<'_> {
        NotificationEmails { s: self }
    }
}

fn parse_kinds(text: &str) -> Vec<NotificationKind> {
    text.split(',')
        .filter_map(|k| NotificationKind::parse(k.trim()))
        .filter(|k| MAILABLE.iter().any(|(m, _)| m == k))
        .collect()
}

impl NotificationEmails<'_> {
    /// The kinds the user wants by e-mail.
    pub async fn wanted(&self, local: &LocalAccount) -> Result<Vec<NotificationKind>> {
        Ok(self
            .s
            .store
            .notification_email_store()
            .notification_mailbox(local.account.id)
            .await?
            .map(|m| parse_kinds(&m.kinds))
            .unwrap_or_default())
    }

    /// Sets the kinds the user wants by e-mail (others are ignored).
    pub async fn set(&self, local: &LocalAccount, kinds: &[NotificationKind]) -> Result<()> {
        let text = MAILABLE
            .iter()
            .filter(|(k, _)| kinds.contains(k))
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let mut tx = self.s.store.begin().await?;
        tx.notification_emails()
            .set_email_notifications(local.user.id, &text)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queues the mail of a notification just shown, if its recipient wants it.
    pub(crate) async fn mail_if_wanted(&self, n: &Notification) -> Result<()> {
        let s = self.s;
        if !s.mail().enabled() || !MAILABLE.iter().any(|(k, _)| *k == n.kind) {
            return Ok(());
        }
        let Some(mailbox) = s
            .store
            .notification_email_store()
            .notification_mailbox(n.account_id)
            .await?
        else {
            return Ok(());
        };
        if !parse_kinds(&mailbox.kinds).contains(&n.kind) {
            return Ok(());
        }
        let (Some(recipient), Some(from)) = (
            s.store.account(n.account_id).await?,
            s.store.account(n.from_account_id).await?,
        ) else {
            return Ok(());
        };
        // What the recipient's clients would hide is not mailed either: blocked or muted
        // (with notifications) accounts, blocked domains, suspended accounts.
        if from.suspended_at.is_some()
            || s.hidden_for(Some(&recipient), true)
                .await?
                .contains(&from.id.to_string())
        {
            return Ok(());
        }
        let status = match n.status_id {
            Some(id) => s.store.status(id).await?,
            None => None,
        };
        let from_acct = match &from.domain {
            Some(d) => format!("@{}@{d}", from.username),
            None => format!("@{}", from.username),
        };
        let from_name = if from.display_name.trim().is_empty() {
            from_acct.clone()
        } else {
            format!("{} ({from_acct})", from.display_name.trim())
        };
        let what = match n.kind {
            NotificationKind::Mention => "mentioned you",
            NotificationKind::Follow => "follows you now",
            NotificationKind::FollowRequest => "asks to follow you",
            NotificationKind::Reblog => "boosted your post",
            _ => "favourited your post",
        };
        let excerpt = status.as_ref().map(|st| {
            // Behind a content warning: the warning, not the text.
            if !st.spoiler_text.trim().is_empty() {
                return format!("Content warning: {}", st.spoiler_text.trim());
            }
            let text = crate::filters::html_to_text(&st.content);
            let mut cut: String = text.chars().take(EXCERPT).collect();
            if text.chars().count() > EXCERPT {
                cut.push('…');
            }
            cut
        });
        let link = match (&status, n.kind) {
            (_, NotificationKind::FollowRequest) => {
                format!("{}/settings/follow_requests", s.urls.base())
            }
            (Some(st), _) if st.local => {
                let author = s.store.account(st.account_id).await?;
                author.map_or_else(
                    || s.urls.base().to_owned(),
                    |a| s.urls.status_page(a.username.as_str(), st.id),
                )
            }
            (Some(st), _) => st
                .url
                .clone()
                .or_else(|| st.uri.clone())
                .unwrap_or_default(),
            (None, _) if from.is_local() => s.urls.profile(from.username.as_str()),
            (None, _) => from
                .url
                .clone()
                .or_else(|| from.uri.clone())
                .unwrap_or_default(),
        };
        let message = Message::Notification {
            username: recipient.username.to_string(),
            from: from_name,
            what: what.to_owned(),
            excerpt,
            link,
        };
        let mut tx = s.store.begin().await?;
        s.mail()
            .queue(tx.as_mut(), &mailbox.email, &message)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
