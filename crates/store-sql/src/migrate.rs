//! Schema migrations for both engines from one set of files, applied in order, each in its own
//! transaction, recorded with a checksum in `schema_migrations`.

use sqlx::Connection;

use rookery_store::{SchemaStatus, StoreError};

use crate::db::{Conn, map_err, with_conn};

/// One schema change.
#[derive(Debug)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration this binary knows, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "job_runtime",
        sql: include_str!("../migrations/0002_job_runtime.sql"),
    },
    Migration {
        version: 3,
        name: "bookmarks",
        sql: include_str!("../migrations/0003_bookmarks.sql"),
    },
    Migration {
        version: 4,
        name: "idempotency",
        sql: include_str!("../migrations/0004_idempotency.sql"),
    },
    Migration {
        version: 5,
        name: "status_edits",
        sql: include_str!("../migrations/0005_status_edits.sql"),
    },
    Migration {
        version: 6,
        name: "conversation_mutes",
        sql: include_str!("../migrations/0006_conversation_mutes.sql"),
    },
    Migration {
        version: 7,
        name: "domain_blocks",
        sql: include_str!("../migrations/0007_domain_blocks.sql"),
    },
    Migration {
        version: 8,
        name: "federation",
        sql: include_str!("../migrations/0008_federation.sql"),
    },
    Migration {
        version: 9,
        name: "media",
        sql: include_str!("../migrations/0009_media.sql"),
    },
    Migration {
        version: 10,
        name: "notification_groups_markers",
        sql: include_str!("../migrations/0010_notification_groups_markers.sql"),
    },
    Migration {
        version: 11,
        name: "lists",
        sql: include_str!("../migrations/0011_lists.sql"),
    },
    Migration {
        version: 12,
        name: "conversations",
        sql: include_str!("../migrations/0012_conversations.sql"),
    },
    Migration {
        version: 13,
        name: "notification_requests",
        sql: include_str!("../migrations/0013_notification_requests.sql"),
    },
    Migration {
        version: 14,
        name: "filters",
        sql: include_str!("../migrations/0014_filters.sql"),
    },
    Migration {
        version: 15,
        name: "polls",
        sql: include_str!("../migrations/0015_polls.sql"),
    },
    Migration {
        version: 16,
        name: "tag_follows",
        sql: include_str!("../migrations/0016_tag_follows.sql"),
    },
    Migration {
        version: 17,
        name: "endorsements_notes",
        sql: include_str!("../migrations/0017_endorsements_notes.sql"),
    },
    Migration {
        version: 18,
        name: "user_domain_blocks",
        sql: include_str!("../migrations/0018_user_domain_blocks.sql"),
    },
    Migration {
        version: 19,
        name: "suggestion_dismissals",
        sql: include_str!("../migrations/0019_suggestion_dismissals.sql"),
    },
    Migration {
        version: 20,
        name: "scheduled_statuses",
        sql: include_str!("../migrations/0020_scheduled_statuses.sql"),
    },
    Migration {
        version: 21,
        name: "preview_cards",
        sql: include_str!("../migrations/0021_preview_cards.sql"),
    },
    Migration {
        version: 22,
        name: "featured_tags",
        sql: include_str!("../migrations/0022_featured_tags.sql"),
    },
    Migration {
        version: 23,
        name: "local_emoji",
        sql: include_str!("../migrations/0023_local_emoji.sql"),
    },
    Migration {
        version: 24,
        name: "remote_polls",
        sql: include_str!("../migrations/0024_remote_polls.sql"),
    },
    Migration {
        version: 25,
        name: "announcements",
        sql: include_str!("../migrations/0025_announcements.sql"),
    },
    Migration {
        version: 26,
        name: "trends",
        sql: include_str!("../migrations/0026_trends.sql"),
    },
    Migration {
        version: 27,
        name: "profile_extras",
        sql: include_str!("../migrations/0027_profile_extras.sql"),
    },
    Migration {
        version: 28,
        name: "user_tokens",
        sql: include_str!("../migrations/0028_user_tokens.sql"),
    },
    Migration {
        version: 29,
        name: "sign_in",
        sql: include_str!("../migrations/0029_sign_in.sql"),
    },
    Migration {
        version: 30,
        name: "account_deletion",
        sql: include_str!("../migrations/0030_account_deletion.sql"),
    },
    Migration {
        version: 31,
        name: "account_archives",
        sql: include_str!("../migrations/0031_account_archives.sql"),
    },
    Migration {
        version: 32,
        name: "imports",
        sql: include_str!("../migrations/0032_imports.sql"),
    },
    Migration {
        version: 33,
        name: "invites",
        sql: include_str!("../migrations/0033_invites.sql"),
    },
    Migration {
        version: 34,
        name: "cascade_indexes",
        sql: include_str!("../migrations/0034_cascade_indexes.sql"),
    },
    Migration {
        version: 35,
        name: "email_change",
        sql: include_str!("../migrations/0035_email_change.sql"),
    },
    Migration {
        version: 36,
        name: "notification_emails",
        sql: include_str!("../migrations/0036_notification_emails.sql"),
    },
    Migration {
        version: 37,
        name: "moderation",
        sql: include_str!("../migrations/0037_moderation.sql"),
    },
    Migration {
        version: 38,
        name: "reports",
        sql: include_str!("../migrations/0038_reports.sql"),
    },
    Migration {
        version: 39,
        name: "account_moderation",
        sql: include_str!("../migrations/0039_account_moderation.sql"),
    },
    Migration {
        version: 40,
        name: "server_policy",
        sql: include_str!("../migrations/0040_server_policy.sql"),
    },
    Migration {
        version: 41,
        name: "webhooks",
        sql: include_str!("../migrations/0041_webhooks.sql"),
    },
    Migration {
        version: 42,
        name: "moderation_fixes",
        sql: include_str!("../migrations/0042_moderation_fixes.sql"),
    },
    Migration {
        version: 43,
        name: "rules",
        sql: include_str!("../migrations/0043_rules.sql"),
    },
    Migration {
        version: 44,
        name: "severed_relationships",
        sql: include_str!("../migrations/0044_severed_relationships.sql"),
    },
    Migration {
        version: 45,
        name: "report_evidence",
        sql: include_str!("../migrations/0045_report_evidence.sql"),
    },
    Migration {
        version: 46,
        name: "account_moves",
        sql: include_str!("../migrations/0046_account_moves.sql"),
    },
    Migration {
        version: 47,
        name: "relays",
        sql: include_str!("../migrations/0047_relays.sql"),
    },
    Migration {
        version: 48,
        name: "quotes",
        sql: include_str!("../migrations/0048_quotes.sql"),
    },
];

/// The newest schema version this binary knows.
pub fn expected_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Why migrating refused to go on.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(
        "the database schema is at version {applied}, newer than this binary's {expected}: \
         run a newer rookery (or restore a backup made by this version)"
    )]
    TooNew { applied: i64, expected: i64 },
    #[error(
        "migration {version} ({name}) differs from the one applied to this database: \
         the binary and the database do not belong together"
    )]
    Changed { version: i64, name: &'static str },
    #[error(transparent)]
    Store(#[from] StoreError),
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)";

/// FNV-1a, 64 bit: enough to notice an edited migration file.
fn checksum(sql: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in sql.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

async fn applied(mut c: Conn<'_>) -> Result<Vec<(i64, String)>, StoreError> {
    let sql = "SELECT version, checksum FROM schema_migrations ORDER BY version";
    with_conn!(c.reborrow(), |e, p| {
        let rows = sqlx::query(sql)
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                use crate::db::Fields;
                Ok((r.int("version")?, r.text("checksum")?))
            })
            .collect()
    })
}

/// Reads where the schema stands without changing anything.
pub(crate) async fn status(mut c: Conn<'_>) -> Result<SchemaStatus, StoreError> {
    let exists_sql = match &c {
        Conn::Sqlite(_) => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        }
        Conn::Pg(..) => {
            "SELECT COUNT(*) AS n FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = 'schema_migrations'"
        }
    };
    let exists = with_conn!(c.reborrow(), |e, p| {
        use crate::db::Fields;
        let row = sqlx::query(exists_sql)
            .persistent(p)
            .fetch_one(&mut *e)
            .await
            .map_err(map_err)?;
        row.int("n")? > 0
    });
    let applied = if exists {
        applied(c).await?.last().map_or(0, |(v, _)| *v)
    } else {
        0
    };
    Ok(SchemaStatus {
        applied,
        expected: expected_version(),
    })
}

/// A database migrated by a newer binary is refused.
fn refuse_newer(have: &[(i64, String)]) -> Result<(), MigrateError> {
    match have.last() {
        Some((newest, _)) if *newest > expected_version() => Err(MigrateError::TooNew {
            applied: *newest,
            expected: expected_version(),
        }),
        _ => Ok(()),
    }
}

/// Applies every missing migration on `conn`, returning the versions applied.
async fn run_on<DB>(
    conn: &mut <DB as sqlx::Database>::Connection,
    wrap: impl for<'c> Fn(&'c mut <DB as sqlx::Database>::Connection) -> Conn<'c>,
    lock_sql: Option<&'static str>,
    now_ms: i64,
) -> Result<Vec<i64>, MigrateError>
where
    DB: sqlx::Database,
    for<'c> &'c mut <DB as sqlx::Database>::Connection: sqlx::Executor<'c, Database = DB>,
{
    sqlx::raw_sql(CREATE_TABLE)
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    let mut done = Vec::new();
    for m in MIGRATIONS {
        let mut tx = conn.begin().await.map_err(map_err)?;
        if let Some(lock) = lock_sql {
            sqlx::raw_sql(lock)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        let have = applied(wrap(&mut tx)).await?;
        refuse_newer(&have)?;
        if let Some((_, sum)) = have.iter().find(|(v, _)| *v == m.version) {
            if *sum != checksum(m.sql) {
                return Err(MigrateError::Changed {
                    version: m.version,
                    name: m.name,
                });
            }
            continue;
        }
        sqlx::raw_sql(m.sql)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let record = format!(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) \
             VALUES ({}, '{}', '{}', {now_ms})",
            m.version,
            m.name,
            checksum(m.sql)
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(record))
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
        done.push(m.version);
    }
    // A database migrated by a newer binary is refused even when nothing was missing.
    let have = applied(wrap(conn)).await?;
    refuse_newer(&have)?;
    Ok(done)
}

/// Applies every missing migration to the SQLite database on `conn`.
pub(crate) async fn run_sqlite(
    conn: &mut sqlx::SqliteConnection,
    now_ms: i64,
) -> Result<Vec<i64>, MigrateError> {
    run_on::<sqlx::Sqlite>(conn, |c| Conn::Sqlite(c), None, now_ms).await
}

/// Applies every missing migration to the PostgreSQL database on `conn` (a direct connection,
/// not through pgBouncer). Concurrent migrators wait on a table lock.
pub(crate) async fn run_postgres(
    conn: &mut sqlx::PgConnection,
    now_ms: i64,
) -> Result<Vec<i64>, MigrateError> {
    run_on::<sqlx::Postgres>(
        conn,
        |c| Conn::Pg(c, false),
        Some("LOCK TABLE schema_migrations IN EXCLUSIVE MODE"),
        now_ms,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_increasing_and_checksums_stable() {
        let mut last = 0;
        for m in MIGRATIONS {
            assert!(m.version > last);
            last = m.version;
        }
        assert_eq!(checksum("abc"), checksum("abc"));
        assert_ne!(checksum("abc"), checksum("abd"));
    }
}
