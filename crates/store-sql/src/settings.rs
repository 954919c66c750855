//! Instance settings: a key–value table that admins change at run time.

use rookery_model::Timestamp;
use rookery_store::StoreError;

use crate::db::{Conn, Fields, map_err, with_conn};

pub(crate) async fn get(c: Conn<'_>, key: &str) -> Result<Option<String>, StoreError> {
    let sql = "SELECT value FROM instance_settings WHERE key = $1";
    with_conn!(c, |e, p| {
        let row = sqlx::query(sql)
            .bind(key)
            .persistent(p)
            .fetch_optional(&mut *e)
            .await
            .map_err(map_err)?;
        row.map(|r| r.text("value")).transpose()
    })
}

pub(crate) async fn put(
    c: Conn<'_>,
    key: &str,
    value: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let sql = "INSERT INTO instance_settings (key, value, updated_at) VALUES ($1, $2, $3) \
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";
    with_conn!(c, |e, p| {
        sqlx::query(sql)
            .bind(key)
            .bind(value)
            .bind(now.as_millis())
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)?;
        Ok(())
    })
}

pub(crate) async fn put_once(
    mut c: Conn<'_>,
    key: &str,
    value: &str,
    now: Timestamp,
) -> Result<String, StoreError> {
    let sql = "INSERT INTO instance_settings (key, value, updated_at) VALUES ($1, $2, $3) \
        ON CONFLICT (key) DO NOTHING";
    with_conn!(c.reborrow(), |e, p| {
        sqlx::query(sql)
            .bind(key)
            .bind(value)
            .bind(now.as_millis())
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)
            .map(|_| ())
    })?;
    get(c, key)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("setting {key} vanished")))
}
