//! Signing up over the API (`POST /api/v1/accounts`): every field is checked before anything
//! is written, and the refusals are reported per field as Mastodon reports them (`details`,
//! with its `ERR_*` codes), so apps can show each next to its input.

use rookery_model::{Email, NameError, Role, Username};
use rookery_store::IpBlockSeverity;

use crate::password::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};
use crate::{NewLocalAccount, Result, ServiceError, Services};

/// Usernames nobody may register (they look official).
/// Longest reason for joining kept (Mastodon's limit on invite requests).
const MAX_REASON_CHARS: usize = 420;

const RESERVED: &[&str] = &[
    "admin",
    "administrator",
    "root",
    "support",
    "help",
    "mod",
    "moderator",
    "moderators",
    "webmaster",
    "postmaster",
    "hostmaster",
    "abuse",
    "security",
    "staff",
    "owner",
    "everyone",
    "instance",
    "system",
];

/// What signing up over the API takes.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    pub username: String,
    pub email: String,
    pub password: String,
    pub agreement: bool,
    pub locale: Option<String>,
    pub reason: Option<String>,
    /// An invite link's code: signing up through it works even when sign-ups are closed,
    /// and needs no approval.
    pub invite_code: Option<String>,
    /// The address the request came from (IP blocks apply to it; it is kept on the user).
    pub ip: Option<std::net::IpAddr>,
}

/// One refused field of a sign-up: an entry of Mastodon's `details[field]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    /// `ERR_BLANK`, `ERR_INVALID`, `ERR_TOO_LONG`, `ERR_TOO_SHORT`, `ERR_TAKEN`,
    /// `ERR_BLOCKED`, `ERR_RESERVED` or `ERR_ACCEPTED`.
    pub code: &'static str,
    pub description: String,
}

/// The refusals of a sign-up, field by field.
#[derive(Default)]
struct Refusals(Vec<FieldError>);

impl Refusals {
    fn add(&mut self, field: &'static str, code: &'static str, description: impl Into<String>) {
        self.0.push(FieldError {
            field,
            code,
            description: description.into(),
        });
    }
}

impl Services {
    /// `POST /api/v1/accounts`: signs a person up, as the registration setting allows, and
    /// returns a token for them. With mail on, the address is sent a confirmation link and
    /// the account waits for it; without, the address counts as confirmed.
    pub async fn register(
        &self,
        app: &rookery_model::OAuthApp,
        r: Registration,
    ) -> Result<crate::IssuedToken> {
        let created = self.sign_up(r).await?;
        self.issue_for_account(app, created.account.id)
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))
    }

    /// Signs a person up (from an app or the sign-up page), as the registration setting
    /// allows: every field is checked first, then the account is created and, with mail on,
    /// the confirmation link sent.
    pub async fn sign_up(&self, r: Registration) -> Result<rookery_store::LocalAccount> {
        let invite = match r.invite_code.as_deref().filter(|c| !c.trim().is_empty()) {
            Some(code) => Some(self.invites().usable(code).await?),
            None => None,
        };
        let approval = match (self.settings.registrations, &invite) {
            (_, Some(_)) => false,
            (crate::Registrations::Closed, None) => return Err(ServiceError::Forbidden),
            (crate::Registrations::Open, None) => false,
            (crate::Registrations::Approval, None) => true,
        };
        // IP blocks: refused outright (invited or not), or held for approval unless invited.
        let ip_block = match r.ip {
            Some(ip) => self.ip_block_for(ip).await?,
            None => None,
        };
        let ip_approval = match ip_block {
            Some(IpBlockSeverity::SignUpBlock | IpBlockSeverity::NoAccess) => {
                return Err(ServiceError::Forbidden);
            }
            Some(IpBlockSeverity::SignUpRequiresApproval) => invite.is_none(),
            None => false,
        };
        let mut refused = Refusals::default();
        self.check_username(&r.username, &mut refused).await?;
        self.check_email(&r.email, &mut refused).await?;
        if invite.is_none() && !r.email.trim().is_empty() {
            match self.email_blocks().sign_up_refusal(&r.email).await? {
                Some("blocked") => {
                    refused.add("email", "ERR_BLOCKED", "uses a disallowed e-mail provider")
                }
                Some(_) => refused.add("email", "ERR_TAKEN", "is already taken"),
                None => {}
            }
        }
        let length = r.password.chars().count();
        if r.password.is_empty() {
            refused.add("password", "ERR_BLANK", "can't be blank");
        } else if length < MIN_PASSWORD_LEN {
            refused.add(
                "password",
                "ERR_TOO_SHORT",
                format!("is too short (minimum is {MIN_PASSWORD_LEN} characters)"),
            );
        } else if length > MAX_PASSWORD_LEN {
            refused.add(
                "password",
                "ERR_TOO_LONG",
                format!("is too long (maximum is {MAX_PASSWORD_LEN} characters)"),
            );
        }
        if !r.agreement {
            refused.add("agreement", "ERR_ACCEPTED", "must be accepted");
        }
        let reason = r.reason.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if approval && reason.is_none() {
            refused.add("reason", "ERR_BLANK", "can't be blank");
        } else if reason.is_some_and(|s| s.chars().count() > MAX_REASON_CHARS) {
            refused.add(
                "reason",
                "ERR_TOO_LONG",
                format!("is too long (maximum is {MAX_REASON_CHARS} characters)"),
            );
        }
        // Kept only where a moderator reads it: for sign-ups that wait for approval.
        let reason = reason
            .filter(|_| approval || ip_approval)
            .map(str::to_owned);
        if !refused.0.is_empty() {
            return Err(ServiceError::Fields(refused.0));
        }
        if let Some(invite) = &invite {
            self.invites().take(invite).await?;
        }
        let created = self
            .create_local_account(NewLocalAccount {
                username: r.username,
                email: r.email,
                password: Some(r.password),
                role: Role::User,
                // With mail on, the address must be confirmed before the account is used.
                confirmed: !self.mail().enabled(),
                approved: !approval && !ip_approval,
                send_confirmation: self.mail().enabled(),
            })
            .await;
        match (created, &invite) {
            (Ok(created), _) => {
                // The account exists: what follows is told, not undone, when it fails.
                let details = rookery_store::SignUpDetails {
                    ip: r.ip.map(|ip| ip.to_string()),
                    reason,
                };
                if details != rookery_store::SignUpDetails::default() {
                    let id = created.local.account.id;
                    let noted = async {
                        let mut tx = self.store.begin().await?;
                        tx.server_policy().set_sign_up_details(id, &details).await?;
                        tx.commit().await
                    };
                    if let Err(e) = noted.await {
                        tracing::warn!(account = %id, error = %e, "the sign-up address and reason were not kept");
                    }
                }
                if (approval || ip_approval)
                    && let Err(e) = self
                        .tell_staff_of_sign_up(&created.local, details.reason.as_deref())
                        .await
                {
                    tracing::warn!(
                        account = %created.local.account.id,
                        error = ?e.log_cause(),
                        "staff were not told of a sign-up waiting for approval"
                    );
                }
                Ok(created.local)
            }
            (Err(e), Some(invite)) => {
                if let Err(back) = self.invites().give_back(invite).await {
                    tracing::warn!(error = ?back.log_cause(), "an invite's use was not given back");
                }
                Err(e)
            }
            (Err(e), None) => Err(e),
        }
    }

    async fn check_username(&self, raw: &str, refused: &mut Refusals) -> Result<()> {
        let username = match Username::parse(raw.trim()) {
            Ok(u) => u,
            Err(NameError::Empty) => {
                refused.add("username", "ERR_BLANK", "can't be blank");
                return Ok(());
            }
            Err(NameError::TooLong(n)) => {
                refused.add(
                    "username",
                    "ERR_TOO_LONG",
                    format!("is too long (maximum is {n} characters)"),
                );
                return Ok(());
            }
            Err(_) => {
                refused.add(
                    "username",
                    "ERR_INVALID",
                    "must contain only letters, numbers and underscores",
                );
                return Ok(());
            }
        };
        if RESERVED.contains(&username.as_str().to_ascii_lowercase().as_str()) {
            refused.add("username", "ERR_RESERVED", "is reserved");
        } else if self
            .store
            .local_account_by_username(username.as_str())
            .await?
            .is_some()
        {
            refused.add("username", "ERR_TAKEN", "is already taken");
        }
        Ok(())
    }

    async fn check_email(&self, raw: &str, refused: &mut Refusals) -> Result<()> {
        match Email::parse(raw) {
            Err(NameError::Empty) => refused.add("email", "ERR_BLANK", "can't be blank"),
            Err(_) => refused.add("email", "ERR_INVALID", "is invalid"),
            Ok(email) => {
                if self
                    .store
                    .local_account_by_email(email.as_str())
                    .await?
                    .is_some()
                {
                    refused.add("email", "ERR_TAKEN", "is already taken");
                }
            }
        }
        Ok(())
    }
}
