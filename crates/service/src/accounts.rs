//! Local accounts: creation (sign-up and admin), look-up, and the admin operations on them.

use rookery_activitypub::actor::Actor;
use rookery_activitypub::keys::KeyPair;
use rookery_api as api;
use rookery_model::{Account, ActorType, Email, Role, User, Username};
use rookery_store::{LocalAccount, Page, StoreError};

use crate::{Result, ServiceError, Services, password, render};

/// What it takes to create a local account.
#[derive(Debug, Clone)]
pub struct NewLocalAccount {
    pub username: String,
    pub email: String,
    /// `None`: generate one (returned once in [`CreatedAccount::generated_password`]).
    pub password: Option<String>,
    pub role: Role,
    /// Whether the e-mail address counts as confirmed already (true for admin-created accounts).
    pub confirmed: bool,
    /// Whether the account may sign in without a moderator's approval.
    pub approved: bool,
    /// Mail the confirmation link (queued with the account, so neither exists without the
    /// other).
    pub send_confirmation: bool,
}

/// A freshly created local account.
#[derive(Debug, Clone)]
pub struct CreatedAccount {
    pub local: LocalAccount,
    /// The password made up for the account, when none was given.
    pub generated_password: Option<String>,
}

impl Services {
    /// The password to set: the given one if it passes the rules, or a generated one (returned
    /// a second time so it can be shown once).
    fn choose_password(&self, given: Option<String>) -> Result<(String, Option<String>)> {
        match given {
            Some(p) => {
                password::validate(&p)?;
                Ok((p, None))
            }
            None => {
                let p = password::generate(self.random.as_ref());
                Ok((p.clone(), Some(p)))
            }
        }
    }

    /// Creates a local account and its user, with a new RSA key pair.
    pub async fn create_local_account(&self, new: NewLocalAccount) -> Result<CreatedAccount> {
        let username = Username::parse(new.username.trim())
            .map_err(|e| ServiceError::invalid("username", e.to_string()))?;
        let email =
            Email::parse(&new.email).map_err(|e| ServiceError::invalid("email", e.to_string()))?;
        let (plain, generated) = self.choose_password(new.password)?;
        // Friendly errors before the expensive part; the unique indexes still decide races.
        if self
            .store
            .local_account_by_username(username.as_str())
            .await?
            .is_some()
        {
            return Err(ServiceError::invalid("username", "is already taken"));
        }
        if self
            .store
            .local_account_by_email(email.as_str())
            .await?
            .is_some()
        {
            return Err(ServiceError::invalid("email", "is already taken"));
        }
        let hash = self.passwords.hash(&plain, self.random.as_ref()).await?;
        let keys = tokio::task::spawn_blocking(KeyPair::generate)
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let private_pem = keys
            .private_key_pem()
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let now = self.clock.now();
        let account = Account {
            id: self.ids.next_id(),
            username,
            domain: None,
            display_name: String::new(),
            note: String::new(),
            uri: None,
            url: None,
            inbox_url: None,
            shared_inbox_url: None,
            followers_url: None,
            avatar_remote_url: None,
            header_remote_url: None,
            avatar_key: None,
            header_key: None,
            actor_type: ActorType::Person,
            public_key_pem: keys.public_key_pem(),
            private_key_pem: Some(private_pem),
            locked: false,
            discoverable: true,
            profile: Default::default(),
            fields: Vec::new(),
            followers_count: 0,
            following_count: 0,
            statuses_count: 0,
            last_status_at: None,
            suspended_at: None,
            silenced_at: None,
            sensitized_at: None,
            fetched_at: None,
            created_at: now,
            updated_at: now,
        };
        let user = User {
            id: self.ids.next_id(),
            account_id: account.id,
            email,
            password_hash: hash,
            role: new.role,
            confirmed_at: new.confirmed.then_some(now),
            approved: new.approved,
            disabled: false,
            two_factor: false,
            locale: None,
            posting: rookery_model::PostingDefaults::default(),
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store.begin().await?;
        let confirmation = crate::account_links::SendConfirmation { user_id: user.id };
        let inserted = async {
            tx.insert_account(&account).await?;
            tx.insert_user(&user).await?;
            if new.send_confirmation && user.confirmed_at.is_none() {
                rookery_jobs::enqueue(tx.as_mut(), &self.ids, now, &confirmation)
                    .await
                    .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            }
            Ok(())
        }
        .await;
        let inserted = match inserted {
            Ok(()) => self
                .webhooks()
                .emit(
                    tx.as_mut(),
                    "account.created",
                    crate::webhooks::WebhookObject::Account(account.id),
                )
                .await
                .map_err(|e| StoreError::Unavailable(e.to_string())),
            Err(e) => Err(e),
        };
        match inserted {
            Ok(()) => {
                tx.commit().await?;
                self.forget_stats();
            }
            Err(StoreError::Conflict(rule)) if rule.contains("email") => {
                return Err(ServiceError::invalid("email", "is already taken"));
            }
            Err(StoreError::Conflict(_)) => {
                return Err(ServiceError::invalid("username", "is already taken"));
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(account_id = %account.id, username = %account.username, role = %user.role, "created local account");
        Ok(CreatedAccount {
            local: LocalAccount { account, user },
            generated_password: generated,
        })
    }

    /// A local account by username (any case).
    pub async fn local_account(&self, username: &str) -> Result<LocalAccount> {
        self.store
            .local_account_by_username(username)
            .await?
            .ok_or(ServiceError::NotFound("account"))
    }

    /// Local accounts, newest first.
    pub async fn list_local_accounts(&self, page: Page) -> Result<Vec<LocalAccount>> {
        Ok(self.store.local_accounts(page).await?)
    }

    /// Sets a new password (given, or generated and returned).
    pub async fn reset_password(
        &self,
        username: &str,
        new_password: Option<String>,
    ) -> Result<Option<String>> {
        let local = self.local_account(username).await?;
        let (plain, generated) = self.choose_password(new_password)?;
        let hash = self.passwords.hash(&plain, self.random.as_ref()).await?;
        let mut tx = self.store.begin().await?;
        tx.set_password_hash(local.user.id, &hash, self.clock.now())
            .await?;
        tx.commit().await?;
        Ok(generated)
    }

    /// Checks a password against a local account's (for sign-in).
    pub async fn check_password(&self, local: &LocalAccount, password: &str) -> bool {
        self.passwords
            .verify(password, &local.user.password_hash)
            .await
    }

    /// Changes a local user's role.
    pub async fn set_role(&self, username: &str, role: Role) -> Result<LocalAccount> {
        let mut local = self.local_account(username).await?;
        let mut tx = self.store.begin().await?;
        tx.set_role(local.user.id, role, self.clock.now()).await?;
        tx.commit().await?;
        local.user.role = role;
        Ok(local)
    }

    /// Suspends (or, with `suspend == false`, reinstates) a local account.
    pub async fn set_suspended(&self, username: &str, suspend: bool) -> Result<LocalAccount> {
        let mut local = self.local_account(username).await?;
        let now = self.clock.now();
        let at = suspend.then_some(now);
        let mut tx = self.store.begin().await?;
        tx.set_suspended(local.account.id, at, now).await?;
        tx.commit().await?;
        self.forget_stats();
        local.account.suspended_at = at;
        Ok(local)
    }

    /// The Mastodon Account entity for `account`.
    pub fn account_entity(&self, account: &Account) -> api::Account {
        render::account_entity(account, &self.urls)
    }

    /// The ActivityPub actor of a local, unsuspended account.
    pub async fn local_actor(&self, username: &str) -> Result<Actor> {
        let local = Username::parse(username).map_err(|_| ServiceError::NotFound("account"))?;
        let local = self.live_local(local.as_str()).await?;
        self.local_actor_document(&local.account).await
    }
}

/// What `PATCH /api/v1/accounts/update_credentials` may change (`None`: leave as is).
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    pub display_name: Option<String>,
    pub note: Option<String>,
    pub locked: Option<bool>,
    pub bot: Option<bool>,
    pub discoverable: Option<bool>,
    pub hide_collections: Option<bool>,
    pub indexable: Option<bool>,
    /// Alternative text of the avatar and header images.
    pub avatar_description: Option<String>,
    pub header_description: Option<String>,
    /// Websites allowed to credit the account (replaces the list; empty entries are ignored).
    pub attribution_domains: Option<Vec<String>>,
    pub fields: Option<Vec<(String, String)>>,
    /// A new avatar / header image (the raw upload); processed in the `media` queue.
    pub avatar: Option<Vec<u8>>,
    pub header: Option<Vec<u8>>,
    /// `source[…]`: the defaults for new posts.
    pub posting: crate::PostingUpdate,
}

fn limit(field: &'static str, text: &str, max: usize) -> Result<()> {
    if text.chars().count() > max {
        return Err(ServiceError::invalid(
            field,
            format!("is too long (maximum is {max} characters)"),
        ));
    }
    Ok(())
}

/// Image descriptions of at most 150 characters and 10 attribution domains, as Mastodon.
const MAX_IMAGE_DESCRIPTION: usize = 150;
const MAX_ATTRIBUTION_DOMAINS: usize = 10;

/// The profile extras of `update` applied to `profile`, checked as Mastodon checks them.
fn apply_extras(profile: &mut rookery_model::ProfileExtras, update: &ProfileUpdate) -> Result<()> {
    if let Some(h) = update.hide_collections {
        profile.hide_collections = h;
    }
    if let Some(i) = update.indexable {
        profile.indexable = i;
    }
    if let Some(d) = &update.avatar_description {
        limit("avatar_description", d, MAX_IMAGE_DESCRIPTION)?;
        profile.avatar_description = d.trim().to_owned();
    }
    if let Some(d) = &update.header_description {
        limit("header_description", d, MAX_IMAGE_DESCRIPTION)?;
        profile.header_description = d.trim().to_owned();
    }
    if let Some(list) = &update.attribution_domains {
        let mut domains: Vec<String> = Vec::new();
        for raw in list.iter().map(|d| d.trim()).filter(|d| !d.is_empty()) {
            let domain = rookery_model::Domain::parse(raw).map_err(|_| {
                ServiceError::invalid(
                    "attribution_domains",
                    format!("{raw} is not a valid domain"),
                )
            })?;
            if !domains.iter().any(|d| d == domain.as_str()) {
                domains.push(domain.as_str().to_owned());
            }
        }
        if domains.len() > MAX_ATTRIBUTION_DOMAINS {
            return Err(ServiceError::invalid(
                "attribution_domains",
                format!("has too many entries (maximum is {MAX_ATTRIBUTION_DOMAINS})"),
            ));
        }
        profile.attribution_domains = domains;
    }
    Ok(())
}

impl Services {
    /// `PATCH /api/v1/accounts/update_credentials`.
    pub async fn update_profile(
        &self,
        user: &LocalAccount,
        update: ProfileUpdate,
    ) -> Result<LocalAccount> {
        let mut account = user.account.clone();
        apply_extras(&mut account.profile, &update)?;
        if let Some(name) = update.display_name {
            limit("display_name", &name, 30)?;
            account.display_name = name.trim().to_owned();
        }
        if let Some(note) = update.note {
            limit("note", &note, 500)?;
            account.note = note;
        }
        if let Some(locked) = update.locked {
            account.locked = locked;
        }
        if let Some(bot) = update.bot {
            account.actor_type = if bot {
                ActorType::Service
            } else {
                ActorType::Person
            };
        }
        if let Some(d) = update.discoverable {
            account.discoverable = d;
        }
        if let Some(fields) = update.fields {
            if fields.len() > 4 {
                return Err(ServiceError::invalid(
                    "fields",
                    "has too many entries (maximum is 4)",
                ));
            }
            let mut out = Vec::new();
            for (name, value) in fields {
                limit("fields", &name, 255)?;
                limit("fields", &value, 255)?;
                if !name.trim().is_empty() || !value.trim().is_empty() {
                    out.push(rookery_model::ProfileField {
                        name: name.trim().to_owned(),
                        value: value.trim().to_owned(),
                    });
                }
            }
            account.fields = out;
        }
        let posting = if update.posting.is_empty() {
            None
        } else {
            Some(update.posting.apply(&user.user.posting)?)
        };
        // Images first: a refused file refuses the whole update, like Mastodon.
        for (purpose, bytes) in [
            (rookery_model::MediaPurpose::Avatar, update.avatar),
            (rookery_model::MediaPurpose::Header, update.header),
        ] {
            if let Some(bytes) = bytes {
                self.upload_account_image(&account, purpose, bytes).await?;
            }
        }
        if let Some(fresh) = self.store.account(account.id).await? {
            account.avatar_key = fresh.avatar_key;
            account.header_key = fresh.header_key;
        }
        account.updated_at = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.update_profile(&account).await?;
        let mut local_user = user.user.clone();
        if let Some(p) = posting {
            tx.user_settings()
                .set_posting_defaults(local_user.id, &p, account.updated_at)
                .await?;
            local_user.posting = p;
        }
        self.webhooks()
            .emit(
                tx.as_mut(),
                "account.updated",
                crate::webhooks::WebhookObject::Account(account.id),
            )
            .await?;
        tx.commit().await?;
        if let Err(e) = self.federate_profile(&account).await {
            tracing::warn!(account = %account.id, error = %e, "profile update not federated");
        }
        Ok(LocalAccount {
            account,
            user: local_user,
        })
    }

    /// `DELETE /api/v1/profile/avatar|header`: back to the default image, and the image's
    /// description with it; other servers are told.
    pub async fn remove_profile_image(
        &self,
        user: &LocalAccount,
        purpose: rookery_model::MediaPurpose,
    ) -> Result<LocalAccount> {
        self.clear_account_image(&user.account, purpose).await?;
        let mut account = self
            .store
            .account(user.account.id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        match purpose {
            rookery_model::MediaPurpose::Header => account.profile.header_description.clear(),
            _ => account.profile.avatar_description.clear(),
        }
        account.updated_at = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.update_profile(&account).await?;
        self.webhooks()
            .emit(
                tx.as_mut(),
                "account.updated",
                crate::webhooks::WebhookObject::Account(account.id),
            )
            .await?;
        tx.commit().await?;
        if let Err(e) = self.federate_profile(&account).await {
            tracing::warn!(account = %account.id, error = %e, "profile update not federated");
        }
        Ok(LocalAccount {
            account,
            user: user.user.clone(),
        })
    }
}
