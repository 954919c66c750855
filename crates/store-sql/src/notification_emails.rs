//! Which notifications users also want by e-mail.

use async_trait::async_trait;
use rookery_model::{Email, Id};
use rookery_store::{NotificationEmailStore, NotificationEmailTx, NotificationMailbox, Result};

use crate::SqlStore;
use crate::db::{Fields, exec, fetch_optional, read};
use crate::transaction::SqlTx;

fn mailbox(r: &impl Fields) -> Result<NotificationMailbox> {
    Ok(NotificationMailbox {
        user_id: Id::from_i64(r.int("id")?),
        email: Email::from_trusted(r.text("email")?),
        kinds: r.text("email_notifications")?,
    })
}

#[async_trait]
impl NotificationEmailStore for SqlStore {
    async fn notification_mailbox(&self, account_id: Id) -> Result<Option<NotificationMailbox>> {
        let sql = "SELECT u.id, u.email, u.email_notifications FROM users u \
                   JOIN accounts a ON a.id = u.account_id WHERE u.account_id = $1 \
                   AND u.confirmed_at IS NOT NULL AND u.approved AND NOT u.disabled \
                   AND a.suspended_at IS NULL AND a.deleted_at IS NULL";
        read!(&self.pools, |c| {
            fetch_optional!(c, sql, mailbox, account_id.as_i64())
        })
    }
}

#[async_trait]
impl NotificationEmailTx for SqlTx {
    async fn set_email_notifications(&mut self, user_id: Id, kinds: &str) -> Result<()> {
        exec!(
            self.conn(),
            "UPDATE users SET email_notifications = $1 WHERE id = $2",
            kinds,
            user_id.as_i64()
        )?;
        Ok(())
    }
}
