//! OAuth applications, authorization codes and access tokens.

use rookery_model::{AccessToken, AuthorizationCode, Id, OAuthApp, Scopes, Timestamp};
use rookery_store::{LocalAccount, Result, StoreError};

use crate::db::{Conn, Fields, Prefixed, map_err, read, with_conn};

fn scopes(text: &str) -> Result<Scopes> {
    Scopes::parse(text).map_err(|e| StoreError::Corrupt(format!("stored scopes: {e}")))
}

const APP_COLUMNS: &str = "id, name, website, redirect_uris, scopes, client_id, client_secret, \
    owner_account_id, created_at";

fn app_from_row(r: &impl Fields) -> Result<OAuthApp> {
    Ok(OAuthApp {
        id: Id::from_i64(r.int("id")?),
        name: r.text("name")?,
        website: r.opt_text("website")?,
        redirect_uris: r
            .text("redirect_uris")?
            .split('\n')
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .collect(),
        scopes: scopes(&r.text("scopes")?)?,
        client_id: r.text("client_id")?,
        client_secret_hash: r.text("client_secret")?,
        owner_account_id: r.opt_int("owner_account_id")?.map(Id::from_i64),
        created_at: Timestamp::from_millis(r.int("created_at")?),
    })
}

const TOKEN_COLUMNS: &str = "id, application_id, account_id, token_hash, refresh_token_hash, \
    scopes, expires_at, revoked_at, created_at";

fn token_from_row(r: &impl Fields) -> Result<AccessToken> {
    Ok(AccessToken {
        id: Id::from_i64(r.int("id")?),
        app_id: Id::from_i64(r.int("application_id")?),
        account_id: r.opt_int("account_id")?.map(Id::from_i64),
        token_hash: r.text("token_hash")?,
        refresh_token_hash: r.opt_text("refresh_token_hash")?,
        scopes: scopes(&r.text("scopes")?)?,
        expires_at: r.opt_int("expires_at")?.map(Timestamp::from_millis),
        revoked_at: r.opt_int("revoked_at")?.map(Timestamp::from_millis),
        created_at: Timestamp::from_millis(r.int("created_at")?),
    })
}

/// `column` is a fixed name, never input.
pub(crate) async fn app_by(
    c: Conn<'_>,
    column: &'static str,
    value: AppKey<'_>,
) -> Result<Option<OAuthApp>> {
    let sql = format!("SELECT {APP_COLUMNS} FROM oauth_applications WHERE {column} = $1");
    with_conn!(c, |e, p| {
        let q = sqlx::query(sqlx::AssertSqlSafe(sql));
        let q = match value {
            AppKey::Id(id) => q.bind(id.as_i64()),
            AppKey::ClientId(cid) => q.bind(cid),
        };
        let row = q
            .persistent(p)
            .fetch_optional(&mut *e)
            .await
            .map_err(map_err)?;
        row.as_ref().map(app_from_row).transpose()
    })
}

/// How an application is looked up.
pub(crate) enum AppKey<'a> {
    Id(Id),
    ClientId(&'a str),
}

/// `column` is a fixed name, never input.
pub(crate) async fn token_by(
    c: Conn<'_>,
    column: &'static str,
    hash: &str,
) -> Result<Option<AccessToken>> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM oauth_tokens WHERE {column} = $1");
    with_conn!(c, |e, p| {
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(hash)
            .persistent(p)
            .fetch_optional(&mut *e)
            .await
            .map_err(map_err)?;
        row.as_ref().map(token_from_row).transpose()
    })
}

pub(crate) async fn insert_app(c: Conn<'_>, app: &OAuthApp) -> Result<()> {
    let sql = "INSERT INTO oauth_applications (id, name, website, redirect_uris, scopes, client_id, \
        client_secret, owner_account_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    with_conn!(c, |e, p| {
        sqlx::query(sql)
            .bind(app.id.as_i64())
            .bind(&app.name)
            .bind(app.website.as_deref())
            .bind(app.redirect_uris.join("\n"))
            .bind(app.scopes.to_string())
            .bind(&app.client_id)
            .bind(&app.client_secret_hash)
            .bind(app.owner_account_id.map(Id::as_i64))
            .bind(app.created_at.as_millis())
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)
            .map(|_| ())
    })
}

pub(crate) async fn insert_code(c: Conn<'_>, code: &AuthorizationCode) -> Result<()> {
    let sql = "INSERT INTO oauth_authorizations (id, application_id, account_id, code_hash, \
        redirect_uri, scopes, code_challenge, code_challenge_method, expires_at, created_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    with_conn!(c, |e, p| {
        sqlx::query(sql)
            .bind(code.id.as_i64())
            .bind(code.app_id.as_i64())
            .bind(code.account_id.as_i64())
            .bind(&code.code_hash)
            .bind(&code.redirect_uri)
            .bind(code.scopes.to_string())
            .bind(code.code_challenge.as_deref())
            .bind(code.code_challenge.as_ref().map(|_| "S256"))
            .bind(code.expires_at.as_millis())
            .bind(code.created_at.as_millis())
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)
            .map(|_| ())
    })
}

pub(crate) async fn use_code(
    c: Conn<'_>,
    code_hash: &str,
    now: Timestamp,
) -> Result<Option<AuthorizationCode>> {
    let sql = "UPDATE oauth_authorizations SET used_at = $1 \
        WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $1 \
        RETURNING id, application_id, account_id, code_hash, redirect_uri, scopes, \
        code_challenge, expires_at, used_at, created_at";
    with_conn!(c, |e, p| {
        let row = sqlx::query(sql)
            .bind(now.as_millis())
            .bind(code_hash)
            .persistent(p)
            .fetch_optional(&mut *e)
            .await
            .map_err(map_err)?;
        row.map(|r| {
            Ok(AuthorizationCode {
                id: Id::from_i64(r.int("id")?),
                app_id: Id::from_i64(r.int("application_id")?),
                account_id: Id::from_i64(r.int("account_id")?),
                code_hash: r.text("code_hash")?,
                redirect_uri: r.text("redirect_uri")?,
                scopes: scopes(&r.text("scopes")?)?,
                code_challenge: r.opt_text("code_challenge")?,
                expires_at: Timestamp::from_millis(r.int("expires_at")?),
                used_at: r.opt_int("used_at")?.map(Timestamp::from_millis),
                created_at: Timestamp::from_millis(r.int("created_at")?),
            })
        })
        .transpose()
    })
}

pub(crate) async fn insert_token(c: Conn<'_>, t: &AccessToken) -> Result<()> {
    let sql = "INSERT INTO oauth_tokens (id, application_id, account_id, token_hash, \
        refresh_token_hash, scopes, expires_at, revoked_at, created_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    with_conn!(c, |e, p| {
        sqlx::query(sql)
            .bind(t.id.as_i64())
            .bind(t.app_id.as_i64())
            .bind(t.account_id.map(Id::as_i64))
            .bind(&t.token_hash)
            .bind(t.refresh_token_hash.as_deref())
            .bind(t.scopes.to_string())
            .bind(t.expires_at.map(Timestamp::as_millis))
            .bind(t.revoked_at.map(Timestamp::as_millis))
            .bind(t.created_at.as_millis())
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)
            .map(|_| ())
    })
}

pub(crate) async fn revoke_token(c: Conn<'_>, id: Id, now: Timestamp) -> Result<bool> {
    let sql = "UPDATE oauth_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL";
    with_conn!(c, |e, p| {
        sqlx::query(sql)
            .bind(now.as_millis())
            .bind(id.as_i64())
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)
            .map(|d| d.rows_affected() == 1)
    })
}

/// The account's working tokens with their applications, newest first.
pub(crate) async fn active_account_tokens(
    c: Conn<'_>,
    account_id: Id,
    now: Timestamp,
) -> Result<Vec<(AccessToken, OAuthApp)>> {
    let token_cols: String = TOKEN_COLUMNS
        .split(", ")
        .map(|col| format!("t.{col} AS t_{col}"))
        .collect::<Vec<_>>()
        .join(", ");
    let app_cols: String = APP_COLUMNS
        .split(", ")
        .map(|col| format!("app.{col} AS app_{col}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {token_cols}, {app_cols} FROM oauth_tokens t \
         JOIN oauth_applications app ON app.id = t.application_id \
         WHERE t.account_id = $1 AND t.revoked_at IS NULL \
         AND (t.expires_at IS NULL OR t.expires_at > $2) \
         ORDER BY t.created_at DESC, t.id DESC LIMIT 1000"
    );
    with_conn!(c, |e, p| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(account_id.as_i64())
            .bind(now.as_millis())
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok((
                    token_from_row(&Prefixed(r, "t_"))?,
                    app_from_row(&Prefixed(r, "app_"))?,
                ))
            })
            .collect()
    })
}

pub(crate) async fn revoke_app_tokens(
    c: Conn<'_>,
    account_id: Id,
    app_id: Id,
    now: Timestamp,
) -> Result<u64> {
    let mut c = c;
    // A code not exchanged yet would bring the app back: spent with the tokens.
    crate::db::exec!(
        c.reborrow(),
        "UPDATE oauth_authorizations SET used_at = $1 \
         WHERE account_id = $2 AND application_id = $3 AND used_at IS NULL",
        now.as_millis(),
        account_id.as_i64(),
        app_id.as_i64()
    )?;
    crate::db::exec!(
        c,
        "UPDATE oauth_tokens SET revoked_at = $1 \
         WHERE account_id = $2 AND application_id = $3 AND revoked_at IS NULL",
        now.as_millis(),
        account_id.as_i64(),
        app_id.as_i64()
    )
}

/// A token with its application and (for user tokens) its user, in one query: the lookup every
/// authenticated request makes.
pub(crate) async fn token_with_owner(
    c: Conn<'_>,
    token_hash: &str,
) -> Result<Option<(AccessToken, OAuthApp, Option<LocalAccount>)>> {
    let token_cols: String = TOKEN_COLUMNS
        .split(", ")
        .map(|col| format!("t.{col} AS t_{col}"))
        .collect::<Vec<_>>()
        .join(", ");
    let app_cols: String = APP_COLUMNS
        .split(", ")
        .map(|col| format!("app.{col} AS app_{col}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {token_cols}, {app_cols}, {}, {} FROM oauth_tokens t \
         JOIN oauth_applications app ON app.id = t.application_id \
         LEFT JOIN accounts a ON a.id = t.account_id \
         LEFT JOIN users u ON u.account_id = a.id \
         WHERE t.token_hash = $1",
        crate::accounts::ACCOUNT_COLUMNS,
        crate::accounts::USER_COLUMNS
    );
    with_conn!(c, |e, p| {
        let row = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(token_hash)
            .persistent(p)
            .fetch_optional(&mut *e)
            .await
            .map_err(map_err)?;
        let Some(r) = row else {
            return Ok(None);
        };
        let token = token_from_row(&Prefixed(&r, "t_"))?;
        let app = app_from_row(&Prefixed(&r, "app_"))?;
        let user = match (r.opt_int("id")?, r.opt_int("u_id")?) {
            (Some(_), Some(_)) => Some(crate::accounts::local_from_row(&r)?),
            _ => None,
        };
        Ok(Some((token, app, user)))
    })
}

#[async_trait::async_trait]
impl rookery_store::OAuthStore for crate::SqlStore {
    async fn oauth_app_by_client_id(&self, client_id: &str) -> Result<Option<OAuthApp>> {
        read!(&self.pools, |c| app_by(
            c,
            "client_id",
            AppKey::ClientId(client_id)
        )
        .await)
    }

    async fn oauth_app(&self, id: Id) -> Result<Option<OAuthApp>> {
        read!(&self.pools, |c| app_by(c, "id", AppKey::Id(id)).await)
    }

    async fn token_with_owner(
        &self,
        token_hash: &str,
    ) -> Result<Option<(AccessToken, OAuthApp, Option<LocalAccount>)>> {
        read!(&self.pools, |c| token_with_owner(c, token_hash).await)
    }

    async fn access_token_by_hash(&self, token_hash: &str) -> Result<Option<AccessToken>> {
        read!(&self.pools, |c| token_by(c, "token_hash", token_hash).await)
    }

    async fn access_token_by_refresh_hash(
        &self,
        refresh_hash: &str,
    ) -> Result<Option<AccessToken>> {
        read!(&self.pools, |c| token_by(
            c,
            "refresh_token_hash",
            refresh_hash
        )
        .await)
    }

    async fn active_account_tokens(
        &self,
        account_id: Id,
        now: Timestamp,
    ) -> Result<Vec<(AccessToken, OAuthApp)>> {
        read!(&self.pools, |c| active_account_tokens(c, account_id, now)
            .await)
    }
}

#[async_trait::async_trait]
impl rookery_store::OAuthTx for crate::transaction::SqlTx {
    async fn insert_oauth_app(&mut self, app: &OAuthApp) -> Result<()> {
        insert_app(self.conn(), app).await
    }

    async fn insert_authorization_code(&mut self, code: &AuthorizationCode) -> Result<()> {
        insert_code(self.conn(), code).await
    }

    async fn use_authorization_code(
        &mut self,
        code_hash: &str,
        now: Timestamp,
    ) -> Result<Option<AuthorizationCode>> {
        use_code(self.conn(), code_hash, now).await
    }

    async fn insert_access_token(&mut self, token: &AccessToken) -> Result<()> {
        insert_token(self.conn(), token).await
    }

    async fn revoke_access_token(&mut self, id: Id, now: Timestamp) -> Result<bool> {
        revoke_token(self.conn(), id, now).await
    }

    async fn revoke_app_tokens(
        &mut self,
        account_id: Id,
        app_id: Id,
        now: Timestamp,
    ) -> Result<u64> {
        revoke_app_tokens(self.conn(), account_id, app_id, now).await
    }
}
