//! Invite links (`/invite/CODE`), as Mastodon's: signing up through one works even when
//! sign-ups are closed, and the account needs no approval. A link may be limited to a number
//! of sign-ups and a lifetime, and revoked; administrators make them at the command line.

use rookery_model::{Id, Timestamp};
use rookery_store::Invite;

use crate::{Result, ServiceError, Services};

/// Letters and digits that cannot be mistaken for one another when a link is read out.
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 12;
/// Longest code looked up (anything longer is not one of ours).
const MAX_CODE_LEN: usize = 64;

/// What a new invite allows.
#[derive(Debug, Clone, Default)]
pub struct NewInvite {
    /// `None`: any number of sign-ups.
    pub max_uses: Option<i64>,
    /// `None`: never expires.
    pub expires_in_secs: Option<i64>,
    pub comment: String,
}

/// Invite links.
pub struct Invites<'a> {
    s: &'a Services,
}

impl Services {
    /// Invite links.
    pub fn invites(&self) -> Invites<'_> {
        Invites { s: self }
    }
}

/// Mastodon's refusal of a sign-up's field, so apps show it next to the code.
fn expired() -> ServiceError {
    ServiceError::Fields(vec![crate::FieldError {
        field: "invite_code",
        code: "ERR_INVALID",
        description: "is invalid, used up or expired".into(),
    }])
}

impl Invites<'_> {
    /// The page that signs up through `code`.
    pub fn url(&self, code: &str) -> String {
        format!("{}/invite/{code}", self.s.urls.base())
    }

    /// Makes an invite.
    pub async fn create(&self, new: NewInvite, by: Option<Id>) -> Result<Invite> {
        if new.max_uses.is_some_and(|m| m < 1) {
            return Err(ServiceError::invalid("uses", "must be at least 1"));
        }
        if new.expires_in_secs.is_some_and(|s| s < 60) {
            return Err(ServiceError::invalid(
                "expires",
                "must be at least a minute",
            ));
        }
        let mut bytes = [0u8; CODE_LEN];
        self.s.random.fill(&mut bytes);
        let code: String = bytes
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
            .collect();
        let now = self.s.clock.now();
        let invite = Invite {
            id: self.s.ids.next_id(),
            code,
            user_id: by,
            max_uses: new.max_uses,
            uses: 0,
            expires_at: new
                .expires_in_secs
                .map(|s| now.plus_millis(s.saturating_mul(1000))),
            comment: new.comment.chars().take(500).collect(),
            revoked_at: None,
            created_at: now,
        };
        let mut tx = self.s.store.begin().await?;
        tx.invites().insert_invite(&invite).await?;
        tx.commit().await?;
        Ok(invite)
    }

    /// The newest invites.
    pub async fn list(&self, limit: u32) -> Result<Vec<Invite>> {
        Ok(self.s.store.invite_store().invites(limit).await?)
    }

    /// Revokes an invite; `NotFound` when there is no such live invite.
    pub async fn revoke(&self, code: &str) -> Result<()> {
        let mut tx = self.s.store.begin().await?;
        let revoked = tx.invites().revoke_invite(code, self.s.clock.now()).await?;
        tx.commit().await?;
        if revoked {
            Ok(())
        } else {
            Err(ServiceError::NotFound("invite"))
        }
    }

    /// The invite with `code` if a sign-up may use it now.
    pub async fn usable(&self, code: &str) -> Result<Invite> {
        let code = code.trim();
        if code.is_empty() || code.len() > MAX_CODE_LEN {
            return Err(expired());
        }
        match self.s.store.invite_store().invite_by_code(code).await? {
            Some(i) if i.usable(self.s.clock.now()) => Ok(i),
            _ => Err(expired()),
        }
    }

    /// Takes one use of an invite for a sign-up (atomically: the last use goes to one
    /// sign-up only).
    pub(crate) async fn take(&self, invite: &Invite) -> Result<()> {
        let mut tx = self.s.store.begin().await?;
        let taken = tx
            .invites()
            .use_invite(invite.id, self.s.clock.now())
            .await?;
        tx.commit().await?;
        if taken { Ok(()) } else { Err(expired()) }
    }

    /// Gives back a use taken by a sign-up that failed.
    pub(crate) async fn give_back(&self, invite: &Invite) -> Result<()> {
        let mut tx = self.s.store.begin().await?;
        tx.invites().give_back_invite(invite.id).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// When an invite stops working, for people.
pub fn describe_expiry(invite: &Invite, now: Timestamp) -> String {
    match invite.expires_at {
        None => "never expires".into(),
        Some(t) if t <= now => "expired".into(),
        Some(t) => format!("expires {}", t.to_rfc3339()),
    }
}
