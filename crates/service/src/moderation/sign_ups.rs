//! Sign-ups waiting for approval: staff hear of each one (Mastodon's `admin.sign_up`
//! notification, and an e-mail when this instance sends mail).

use rookery_store::{LocalAccount, Notification, NotificationKind};

use crate::mail::Message;
use crate::{Result, Services};

impl Services {
    /// Notifies every staff member of `new`'s sign-up (and mails them, with the reason given),
    /// in one transaction.
    pub(crate) async fn tell_staff_of_sign_up(
        &self,
        new: &LocalAccount,
        reason: Option<&str>,
    ) -> Result<()> {
        let staff = self.store.account_moderation_store().staff().await?;
        if staff.is_empty() {
            return Ok(());
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        for member in &staff {
            let mut n = Notification {
                id: self.ids.next_id(),
                account_id: member.account.id,
                from_account_id: new.account.id,
                kind: NotificationKind::AdminSignUp,
                status_id: None,
                group_key: None,
                created_at: now,
                filtered: false,
            };
            self.store_notification(tx.as_mut(), &mut n).await?;
            let message = Message::Notification {
                username: member.account.username.as_str().to_owned(),
                from: format!("@{}", new.account.username.as_str()),
                what: "signed up and waits for approval".to_owned(),
                excerpt: reason.map(str::to_owned),
                link: format!("{}/admin/accounts/{}", self.urls.base(), new.account.id),
            };
            self.mail()
                .queue(tx.as_mut(), &member.user.email, &message)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
