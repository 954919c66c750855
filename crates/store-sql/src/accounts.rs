//! Accounts and users.

use rookery_model::{
    Account, ActorType, Domain, Email, Id, PostingDefaults, ProfileExtras, ProfileField, Role,
    Timestamp, User, Username, Visibility,
};
use rookery_store::{InstanceStats, LocalAccount, Page, StoreError};

use crate::db::{Conn, Fields, map_err, with_conn};

pub(crate) const ACCOUNT_COLUMNS: &str = "a.id, a.username, a.domain, a.display_name, a.note, a.uri, a.url, \
    a.inbox_url, a.shared_inbox_url, a.followers_url, a.avatar_remote_url, a.header_remote_url, \
    a.fetched_at, a.actor_type, a.public_key_pem, a.private_key_pem, a.locked, \
    a.discoverable, a.avatar_description, a.header_description, a.hide_collections, a.indexable, \
    a.attribution_domains, a.also_known_as, a.moved_to_account_id, a.moved_at, a.fields, a.followers_count, a.following_count, a.statuses_count, a.last_status_at, \
    a.suspended_at, a.silenced_at, a.sensitized_at, a.created_at, a.updated_at, \
    (SELECT m.file_key FROM media_attachments m WHERE m.id = a.avatar_media_id) AS avatar_key, \
    (SELECT m.file_key FROM media_attachments m WHERE m.id = a.header_media_id) AS header_key";

pub(crate) const USER_COLUMNS: &str = "u.id AS u_id, u.account_id AS u_account_id, u.email AS u_email, \
    u.password_hash AS u_password_hash, u.role AS u_role, u.confirmed_at AS u_confirmed_at, \
    u.approved AS u_approved, u.disabled AS u_disabled, u.locale AS u_locale, \
    (u.otp_enabled_at IS NOT NULL) AS u_two_factor, \
    u.default_privacy AS u_default_privacy, u.default_sensitive AS u_default_sensitive, \
    u.default_language AS u_default_language, u.default_quote_policy AS u_default_quote_policy, \
    u.created_at AS u_created_at, u.updated_at AS u_updated_at";

/// Lists of strings (attribution domains, aliases) are stored as a JSON array.
pub(crate) fn strings_to_json(items: &[String]) -> String {
    serde_json::Value::from(items.to_vec()).to_string()
}

/// Profile fields are stored as a JSON array of `{"name", "value"}` objects.
pub(crate) fn fields_to_json(fields: &[ProfileField]) -> String {
    let items: Vec<serde_json::Value> = fields
        .iter()
        .map(|f| serde_json::json!({"name": f.name, "value": f.value}))
        .collect();
    serde_json::Value::Array(items).to_string()
}

fn fields_from_json(text: &str) -> Result<Vec<ProfileField>, StoreError> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("account fields: {e}")))?;
    let items = value.as_array().cloned().unwrap_or_default();
    Ok(items
        .iter()
        .map(|i| ProfileField {
            name: i
                .get("name")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned(),
            value: i
                .get("value")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned(),
        })
        .collect())
}

fn ts(v: Option<i64>) -> Option<Timestamp> {
    v.map(Timestamp::from_millis)
}

pub(crate) fn account_from_row(r: &impl Fields) -> Result<Account, StoreError> {
    let domain = match r.opt_text("domain")? {
        None => None,
        Some(d) => Some(
            Domain::parse(&d)
                .map_err(|e| StoreError::Corrupt(format!("account domain {d:?} {e}")))?,
        ),
    };
    let actor_type = r.text("actor_type")?;
    Ok(Account {
        id: Id::from_i64(r.int("id")?),
        username: Username::from_trusted(r.text("username")?),
        domain,
        display_name: r.text("display_name")?,
        note: r.text("note")?,
        uri: r.opt_text("uri")?,
        url: r.opt_text("url")?,
        inbox_url: r.opt_text("inbox_url")?,
        shared_inbox_url: r.opt_text("shared_inbox_url")?,
        followers_url: r.opt_text("followers_url")?,
        avatar_remote_url: r.opt_text("avatar_remote_url")?,
        header_remote_url: r.opt_text("header_remote_url")?,
        avatar_key: r.opt_text("avatar_key")?,
        header_key: r.opt_text("header_key")?,
        fetched_at: ts(r.opt_int("fetched_at")?),
        actor_type: ActorType::parse(&actor_type)
            .ok_or_else(|| StoreError::Corrupt(format!("actor type {actor_type:?}")))?,
        public_key_pem: r.text("public_key_pem")?,
        private_key_pem: r.opt_text("private_key_pem")?,
        locked: r.flag("locked")?,
        discoverable: r.flag("discoverable")?,
        profile: ProfileExtras {
            avatar_description: r.text("avatar_description")?,
            header_description: r.text("header_description")?,
            hide_collections: r.flag("hide_collections")?,
            indexable: r.flag("indexable")?,
            attribution_domains: serde_json::from_str(&r.text("attribution_domains")?)
                .map_err(|e| StoreError::Corrupt(format!("attribution domains: {e}")))?,
            also_known_as: serde_json::from_str(&r.text("also_known_as")?)
                .map_err(|e| StoreError::Corrupt(format!("also known as: {e}")))?,
            moved_to_account_id: r.opt_int("moved_to_account_id")?.map(Id::from_i64),
            moved_at: ts(r.opt_int("moved_at")?),
        },
        fields: fields_from_json(&r.text("fields")?)?,
        followers_count: r.int("followers_count")?,
        following_count: r.int("following_count")?,
        statuses_count: r.int("statuses_count")?,
        last_status_at: ts(r.opt_int("last_status_at")?),
        suspended_at: ts(r.opt_int("suspended_at")?),
        silenced_at: ts(r.opt_int("silenced_at")?),
        sensitized_at: ts(r.opt_int("sensitized_at")?),
        created_at: Timestamp::from_millis(r.int("created_at")?),
        updated_at: Timestamp::from_millis(r.int("updated_at")?),
    })
}

fn user_from_row(r: &impl Fields) -> Result<User, StoreError> {
    let role = r.text("u_role")?;
    Ok(User {
        id: Id::from_i64(r.int("u_id")?),
        account_id: Id::from_i64(r.int("u_account_id")?),
        email: Email::from_trusted(r.text("u_email")?),
        password_hash: r.text("u_password_hash")?,
        role: role
            .parse::<Role>()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        confirmed_at: ts(r.opt_int("u_confirmed_at")?),
        approved: r.flag("u_approved")?,
        disabled: r.flag("u_disabled")?,
        two_factor: r.flag("u_two_factor")?,
        locale: r.opt_text("u_locale")?,
        posting: PostingDefaults {
            visibility: Visibility::parse(&r.text("u_default_privacy")?).ok_or_else(|| {
                StoreError::Corrupt("a user's default visibility is not a visibility".into())
            })?,
            sensitive: r.flag("u_default_sensitive")?,
            language: r.opt_text("u_default_language")?,
            quote_policy: {
                let p = r.text("u_default_quote_policy")?;
                rookery_model::QuotePolicy::from_setting(&p).ok_or_else(|| {
                    StoreError::Corrupt(format!("a user's default quote policy {p:?}"))
                })?
            },
        },
        created_at: Timestamp::from_millis(r.int("u_created_at")?),
        updated_at: Timestamp::from_millis(r.int("u_updated_at")?),
    })
}

pub(crate) fn local_from_row(r: &impl Fields) -> Result<LocalAccount, StoreError> {
    Ok(LocalAccount {
        account: account_from_row(r)?,
        user: user_from_row(r)?,
    })
}

pub(crate) async fn by_id(c: Conn<'_>, id: Id) -> Result<Option<Account>, StoreError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1"
    ));
    with_conn!(c, |e, p| {
        let row = sqlx::query(sql)
            .bind(id.as_i64())
            .persistent(p)
            .fetch_optional(&mut *e)
            .await
            .map_err(map_err)?;
        row.as_ref().map(account_from_row).transpose()
    })
}

/// `column` is one of the fixed names below, never user input.
async fn local_by(
    c: Conn<'_>,
    column: &'static str,
    value: &str,
) -> Result<Option<LocalAccount>, StoreError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {ACCOUNT_COLUMNS}, {USER_COLUMNS} FROM accounts a JOIN users u ON u.account_id = a.id \
         WHERE a.domain IS NULL AND lower({column}) = lower($1)"
    ));
    with_conn!(c, |e, p| {
        let row = sqlx::query(sql)
            .bind(value)
            .persistent(p)
            .fetch_optional(&mut *e)
            .await
            .map_err(map_err)?;
        row.as_ref().map(local_from_row).transpose()
    })
}

pub(crate) async fn local_by_username(
    c: Conn<'_>,
    username: &str,
) -> Result<Option<LocalAccount>, StoreError> {
    local_by(c, "a.username", username).await
}

pub(crate) async fn local_by_email(
    c: Conn<'_>,
    email: &str,
) -> Result<Option<LocalAccount>, StoreError> {
    local_by(c, "u.email", email).await
}

pub(crate) async fn local_list(c: Conn<'_>, page: Page) -> Result<Vec<LocalAccount>, StoreError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {ACCOUNT_COLUMNS}, {USER_COLUMNS} FROM accounts a JOIN users u ON u.account_id = a.id \
         WHERE a.domain IS NULL AND a.id < $1 ORDER BY a.id DESC LIMIT $2"
    ));
    let max = page.max_id.map_or(i64::MAX, Id::as_i64);
    with_conn!(c, |e, p| {
        let rows = sqlx::query(sql)
            .bind(max)
            .bind(i64::from(page.limit))
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
        rows.iter().map(local_from_row).collect()
    })
}

pub(crate) async fn insert_account(c: Conn<'_>, a: &Account) -> Result<(), StoreError> {
    let sql = "INSERT INTO accounts (id, username, domain, display_name, note, uri, url, inbox_url, \
        shared_inbox_url, actor_type, public_key_pem, private_key_pem, locked, discoverable, \
        followers_count, following_count, statuses_count, last_status_at, suspended_at, created_at, \
        updated_at, fields, followers_url, avatar_remote_url, header_remote_url, fetched_at, \
        avatar_description, header_description, hide_collections, indexable, attribution_domains, \
        also_known_as, moved_to_account_id, moved_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
        $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34)";
    with_conn!(c, |e, p| {
        sqlx::query(sql)
            .bind(a.id.as_i64())
            .bind(a.username.as_str())
            .bind(a.domain.as_ref().map(Domain::as_str))
            .bind(&a.display_name)
            .bind(&a.note)
            .bind(a.uri.as_deref())
            .bind(a.url.as_deref())
            .bind(a.inbox_url.as_deref())
            .bind(a.shared_inbox_url.as_deref())
            .bind(a.actor_type.as_str())
            .bind(&a.public_key_pem)
            .bind(a.private_key_pem.as_deref())
            .bind(a.locked)
            .bind(a.discoverable)
            .bind(a.followers_count)
            .bind(a.following_count)
            .bind(a.statuses_count)
            .bind(a.last_status_at.map(Timestamp::as_millis))
            .bind(a.suspended_at.map(Timestamp::as_millis))
            .bind(a.created_at.as_millis())
            .bind(a.updated_at.as_millis())
            .bind(fields_to_json(&a.fields))
            .bind(a.followers_url.as_deref())
            .bind(a.avatar_remote_url.as_deref())
            .bind(a.header_remote_url.as_deref())
            .bind(a.fetched_at.map(Timestamp::as_millis))
            .bind(&a.profile.avatar_description)
            .bind(&a.profile.header_description)
            .bind(a.profile.hide_collections)
            .bind(a.profile.indexable)
            .bind(strings_to_json(&a.profile.attribution_domains))
            .bind(strings_to_json(&a.profile.also_known_as))
            .bind(a.profile.moved_to_account_id.map(Id::as_i64))
            .bind(a.profile.moved_at.map(Timestamp::as_millis))
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)?;
        Ok(())
    })
}

/// The profile a user edits.
pub(crate) async fn update_profile(c: Conn<'_>, a: &Account) -> Result<(), StoreError> {
    let sql = "UPDATE accounts SET display_name = $1, note = $2, locked = $3, discoverable = $4, \
        actor_type = $5, fields = $6, updated_at = $7, avatar_description = $9, \
        header_description = $10, hide_collections = $11, indexable = $12, \
        attribution_domains = $13 WHERE id = $8";
    let n = with_conn!(c, |e, p| {
        sqlx::query(sql)
            .bind(&a.display_name)
            .bind(&a.note)
            .bind(a.locked)
            .bind(a.discoverable)
            .bind(a.actor_type.as_str())
            .bind(fields_to_json(&a.fields))
            .bind(a.updated_at.as_millis())
            .bind(a.id.as_i64())
            .bind(&a.profile.avatar_description)
            .bind(&a.profile.header_description)
            .bind(a.profile.hide_collections)
            .bind(a.profile.indexable)
            .bind(strings_to_json(&a.profile.attribution_domains))
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)?
            .rows_affected()
    });
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound(format!("account {}", a.id)))
    }
}

pub(crate) async fn insert_user(c: Conn<'_>, u: &User) -> Result<(), StoreError> {
    let sql = "INSERT INTO users (id, account_id, email, password_hash, role, confirmed_at, \
        approved, disabled, locale, default_privacy, default_sensitive, default_language, \
        created_at, updated_at, default_quote_policy) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
    with_conn!(c, |e, p| {
        sqlx::query(sql)
            .bind(u.id.as_i64())
            .bind(u.account_id.as_i64())
            .bind(u.email.as_str())
            .bind(&u.password_hash)
            .bind(u.role.as_str())
            .bind(u.confirmed_at.map(Timestamp::as_millis))
            .bind(u.approved)
            .bind(u.disabled)
            .bind(u.locale.as_deref())
            .bind(u.posting.visibility.as_str())
            .bind(u.posting.sensitive)
            .bind(u.posting.language.as_deref())
            .bind(u.created_at.as_millis())
            .bind(u.updated_at.as_millis())
            .bind(u.posting.quote_policy.setting())
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)?;
        Ok(())
    })
}

/// Runs an `UPDATE` that must touch exactly one row; `what` names it in the error.
async fn update_one(
    c: Conn<'_>,
    sql: &'static str,
    first: Option<&str>,
    first_int: Option<i64>,
    now: Timestamp,
    id: Id,
    what: &str,
) -> Result<(), StoreError> {
    let affected = with_conn!(c, |e, p| {
        let mut q = sqlx::query(sql);
        q = match (first, first_int) {
            (Some(text), _) => q.bind(text),
            (None, v) => q.bind(v),
        };
        q.bind(now.as_millis())
            .bind(id.as_i64())
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)?
            .rows_affected()
    });
    if affected == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound(format!("{what} {id}")))
    }
}

pub(crate) async fn set_password_hash(
    c: Conn<'_>,
    user_id: Id,
    hash: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let sql = "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3";
    update_one(c, sql, Some(hash), None, now, user_id, "user").await
}

pub(crate) async fn set_role(
    c: Conn<'_>,
    user_id: Id,
    role: Role,
    now: Timestamp,
) -> Result<(), StoreError> {
    let sql = "UPDATE users SET role = $1, updated_at = $2 WHERE id = $3";
    update_one(c, sql, Some(role.as_str()), None, now, user_id, "user").await
}

pub(crate) async fn set_suspended(
    c: Conn<'_>,
    account_id: Id,
    at: Option<Timestamp>,
    now: Timestamp,
) -> Result<(), StoreError> {
    // An account its owner deleted stays suspended.
    let sql = "UPDATE accounts SET suspended_at = $1, updated_at = $2 \
               WHERE id = $3 AND deleted_at IS NULL";
    let at = at.map(Timestamp::as_millis);
    update_one(c, sql, None, at, now, account_id, "account").await
}

pub(crate) async fn instance_stats(
    mut c: Conn<'_>,
    now: Timestamp,
) -> Result<InstanceStats, StoreError> {
    const DAY: i64 = 86_400_000;
    let sql = "SELECT \
        (SELECT COUNT(*) FROM users u JOIN accounts a ON a.id = u.account_id \
            WHERE a.suspended_at IS NULL) AS local_users, \
        (SELECT COUNT(*) FROM statuses WHERE local = TRUE AND deleted_at IS NULL \
            AND reblog_of_id IS NULL) AS local_statuses, \
        (SELECT COUNT(DISTINCT domain) FROM accounts WHERE domain IS NOT NULL) AS known_domains, \
        (SELECT COUNT(*) FROM users WHERE last_active_at >= $1) AS active_month, \
        (SELECT COUNT(*) FROM users WHERE last_active_at >= $2) AS active_halfyear";
    with_conn!(c.reborrow(), |e, p| {
        let r = sqlx::query(sql)
            .bind(now.as_millis() - 30 * DAY)
            .bind(now.as_millis() - 180 * DAY)
            .persistent(p)
            .fetch_one(&mut *e)
            .await
            .map_err(map_err)?;
        Ok(InstanceStats {
            local_users: r.int("local_users")?,
            local_statuses: r.int("local_statuses")?,
            known_domains: r.int("known_domains")?,
            active_month: r.int("active_month")?,
            active_halfyear: r.int("active_halfyear")?,
        })
    })
}
