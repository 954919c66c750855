//! The storage suite: every test runs on SQLite, on PostgreSQL, and on PostgreSQL through
//! pgBouncer in transaction pooling mode, each on a fresh database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: failing loudly is the point

use std::sync::Arc;

use rookery_model::{Account, ActorType, Domain, Email, Id, Role, Timestamp, User, Username};
use rookery_store::{Page, Store, StoreError};
use rookery_store_sql::{DbOptions, MigrateError, SqlStore, expected_version};
use rookery_testkit::{Backend, TestDb};

#[path = "storage/jobs.rs"]
mod jobs;
use jobs::*;
#[path = "storage/domains.rs"]
mod domains;
use domains::*;
#[path = "storage/federation.rs"]
mod federation;
use federation::*;
#[path = "storage/media.rs"]
mod media;
use media::*;

const T0: i64 = 1_700_000_000_000;

pub struct Ctx {
    db: TestDb,
    pub store: SqlStore,
    next: std::sync::atomic::AtomicI64,
}

impl Ctx {
    fn opts(&self) -> DbOptions {
        options(&self.db)
    }
    pub fn id(&self) -> Id {
        Id::from_i64(self.next.fetch_add(1, std::sync::atomic::Ordering::SeqCst))
    }
}

fn options(db: &TestDb) -> DbOptions {
    let mut o = DbOptions::new(db.url.clone());
    o.migration_url = db.migration_url.clone();
    o.pgbouncer = db.pgbouncer;
    o
}

async fn setup(backend: Backend) -> Ctx {
    let db = TestDb::new(backend);
    let opts = options(&db);
    SqlStore::migrate(&opts, T0).await.expect("migrate");
    let store = SqlStore::connect(&opts).await.expect("connect");
    Ctx {
        db,
        store,
        next: ((T0 << 16) + 1).into(),
    }
}

/// Generates one `#[tokio::test]` per backend for each listed suite function.
macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::setup(rookery_testkit::Backend::Sqlite).await).await } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::setup(rookery_testkit::Backend::Postgres).await).await } )* }
        mod pgbouncer { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::setup(rookery_testkit::Backend::PgBouncer).await).await } )* }
    };
}

suite!(
    schema_is_current_after_migrate,
    migrate_twice_changes_nothing,
    newer_schema_is_refused,
    account_round_trip,
    usernames_are_unique_without_regard_to_case,
    same_username_on_other_domains_is_fine,
    emails_are_unique_without_regard_to_case,
    dropped_transaction_writes_nothing,
    role_password_and_suspension_updates,
    updates_of_missing_rows_say_not_found,
    local_accounts_paginate_newest_first,
    instance_stats_count_what_they_should,
    settings_upsert,
    hostile_text_is_stored_verbatim,
    many_concurrent_queries,
    jobs_exist_only_if_their_transaction_commits,
    unique_keys_prevent_duplicates,
    claims_take_due_jobs_in_order_with_a_lease,
    retry_bury_revive_discard,
    release_hands_jobs_back_at_once,
    queue_stats_count_by_state,
    concurrency_overrides_per_node,
    leases_have_one_holder,
    periods_are_claimed_once,
    concurrent_claims_never_share_a_job,
    prune_expired_tokens_runs,
    completions_are_deleted_in_batches,
    domain_blocks_upsert_match_parents_and_delete,
    defer_gives_the_attempt_back,
    old_dead_jobs_are_pruned,
    remote_accounts_follows_and_inboxes,
    uploads_are_processed_attached_and_counted,
    account_images_and_the_remote_cache,
    media_writes_are_conditional,
    delivery_hosts_fail_recover_and_go_unavailable,
    an_undo_spares_a_follow_renewed_at_the_same_moment,
);

pub fn account(ctx: &Ctx, username: &str, domain: Option<&str>) -> Account {
    Account {
        id: ctx.id(),
        username: Username::from_trusted(username.to_owned()),
        domain: domain.map(|d| Domain::parse(d).unwrap()),
        display_name: format!("{username} display"),
        note: "hello".into(),
        uri: domain.map(|d| format!("https://{d}/users/{username}")),
        url: None,
        inbox_url: None,
        shared_inbox_url: None,
        followers_url: None,
        avatar_remote_url: None,
        header_remote_url: None,
        avatar_key: None,
        header_key: None,
        actor_type: ActorType::Person,
        public_key_pem: "-----BEGIN PUBLIC KEY-----".into(),
        private_key_pem: domain.is_none().then(|| "private".to_owned()),
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
        created_at: Timestamp::from_millis(T0),
        updated_at: Timestamp::from_millis(T0),
    }
}

fn user(ctx: &Ctx, account: &Account, email: &str) -> User {
    User {
        id: ctx.id(),
        account_id: account.id,
        email: Email::parse(email).unwrap(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        role: Role::User,
        confirmed_at: Some(Timestamp::from_millis(T0)),
        approved: true,
        disabled: false,
        two_factor: false,
        locale: Some("en".into()),
        posting: rookery_model::PostingDefaults::default(),
        created_at: Timestamp::from_millis(T0),
        updated_at: Timestamp::from_millis(T0),
    }
}

async fn create_local(ctx: &Ctx, username: &str, email: &str) -> (Account, User) {
    let a = account(ctx, username, None);
    let u = user(ctx, &a, email);
    let mut tx = ctx.store.begin().await.unwrap();
    tx.insert_account(&a).await.unwrap();
    tx.insert_user(&u).await.unwrap();
    tx.commit().await.unwrap();
    (a, u)
}

async fn schema_is_current_after_migrate(ctx: Ctx) {
    let status = ctx.store.schema_status().await.unwrap();
    assert_eq!(status.applied, expected_version());
    assert!(status.is_current());
    ctx.store.ping().await.unwrap();
}

async fn migrate_twice_changes_nothing(ctx: Ctx) {
    let again = SqlStore::migrate(&ctx.opts(), T0).await.unwrap();
    assert!(again.is_empty(), "{again:?}");
}

async fn newer_schema_is_refused(ctx: Ctx) {
    let mut tx = ctx.store.begin().await.unwrap();
    // Simulate a newer binary having migrated this database.
    tx.put_setting("x", "y", Timestamp::from_millis(T0))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let direct = ctx.db.migration_url.clone().unwrap_or(ctx.db.url.clone());
    raw_exec(
        &direct,
        "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (9999, 'future', 'x', 0)",
    )
    .await;
    let status = ctx.store.schema_status().await.unwrap();
    assert_eq!(status.applied, 9999);
    assert!(!status.is_current());
    match SqlStore::migrate(&ctx.opts(), T0).await {
        Err(MigrateError::TooNew {
            applied: 9999,
            expected,
        }) => {
            assert_eq!(expected, expected_version())
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
}

async fn raw_exec(url: &str, sql: &'static str) {
    use sqlx::Connection;
    if url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
    }
}

async fn account_round_trip(ctx: Ctx) {
    let (a, u) = create_local(&ctx, "Alice", "Alice@Example.com").await;
    let found = ctx.store.account(a.id).await.unwrap().unwrap();
    assert_eq!(found, a);
    let local = ctx
        .store
        .local_account_by_username("aLiCe")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(local.account, a);
    assert_eq!(local.user, u);
    let by_mail = ctx
        .store
        .local_account_by_email("alice@example.COM")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_mail.user.id, u.id);
    assert!(
        ctx.store
            .local_account_by_username("bob")
            .await
            .unwrap()
            .is_none()
    );
    assert!(ctx.store.account(Id::from_i64(1)).await.unwrap().is_none());
}

async fn usernames_are_unique_without_regard_to_case(ctx: Ctx) {
    create_local(&ctx, "alice", "a@example.com").await;
    let mut tx = ctx.store.begin().await.unwrap();
    let err = tx
        .insert_account(&account(&ctx, "ALICE", None))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
}

async fn same_username_on_other_domains_is_fine(ctx: Ctx) {
    create_local(&ctx, "alice", "a@example.com").await;
    let mut tx = ctx.store.begin().await.unwrap();
    tx.insert_account(&account(&ctx, "alice", Some("remote.example")))
        .await
        .unwrap();
    tx.insert_account(&account(&ctx, "alice", Some("other.example")))
        .await
        .unwrap();
    let err = tx
        .insert_account(&account(&ctx, "Alice", Some("REMOTE.example")))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
}

async fn emails_are_unique_without_regard_to_case(ctx: Ctx) {
    create_local(&ctx, "alice", "same@example.com").await;
    let a = account(&ctx, "bob", None);
    let u = user(&ctx, &a, "SAME@example.com");
    let mut tx = ctx.store.begin().await.unwrap();
    tx.insert_account(&a).await.unwrap();
    let err = tx.insert_user(&u).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    drop(tx);
    // The half-done unit left nothing behind.
    assert!(ctx.store.account(a.id).await.unwrap().is_none());
}

async fn dropped_transaction_writes_nothing(ctx: Ctx) {
    let a = account(&ctx, "ghost", None);
    {
        let mut tx = ctx.store.begin().await.unwrap();
        tx.insert_account(&a).await.unwrap();
    }
    assert!(ctx.store.account(a.id).await.unwrap().is_none());
    // The connection is usable again afterwards.
    create_local(&ctx, "ghost", "g@example.com").await;
}

async fn role_password_and_suspension_updates(ctx: Ctx) {
    let (a, u) = create_local(&ctx, "carol", "c@example.com").await;
    let later = Timestamp::from_millis(T0 + 1000);
    let mut tx = ctx.store.begin().await.unwrap();
    tx.set_role(u.id, Role::Admin, later).await.unwrap();
    tx.set_password_hash(u.id, "new-hash", later).await.unwrap();
    tx.set_suspended(a.id, Some(later), later).await.unwrap();
    tx.commit().await.unwrap();
    let got = ctx
        .store
        .local_account_by_username("carol")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.user.role, Role::Admin);
    assert_eq!(got.user.password_hash, "new-hash");
    assert_eq!(got.user.updated_at, later);
    assert_eq!(got.account.suspended_at, Some(later));
    let mut tx = ctx.store.begin().await.unwrap();
    tx.set_suspended(a.id, None, later).await.unwrap();
    tx.commit().await.unwrap();
    let got = ctx.store.account(a.id).await.unwrap().unwrap();
    assert_eq!(got.suspended_at, None);
}

async fn updates_of_missing_rows_say_not_found(ctx: Ctx) {
    let mut tx = ctx.store.begin().await.unwrap();
    let now = Timestamp::from_millis(T0);
    let missing = Id::from_i64(42);
    assert!(matches!(
        tx.set_role(missing, Role::Admin, now).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        tx.set_password_hash(missing, "x", now).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        tx.set_suspended(missing, Some(now), now).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn local_accounts_paginate_newest_first(ctx: Ctx) {
    let mut ids = Vec::new();
    for i in 0..5 {
        let (a, _) = create_local(&ctx, &format!("user{i}"), &format!("u{i}@example.com")).await;
        ids.push(a.id);
    }
    let mut tx = ctx.store.begin().await.unwrap();
    tx.insert_account(&account(&ctx, "remote", Some("remote.example")))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let first = ctx
        .store
        .local_accounts(Page {
            max_id: None,
            limit: 2,
        })
        .await
        .unwrap();
    let got: Vec<Id> = first.iter().map(|l| l.account.id).collect();
    assert_eq!(got, vec![ids[4], ids[3]]);
    let next = ctx
        .store
        .local_accounts(Page {
            max_id: Some(ids[3]),
            limit: 10,
        })
        .await
        .unwrap();
    let got: Vec<Id> = next.iter().map(|l| l.account.id).collect();
    assert_eq!(got, vec![ids[2], ids[1], ids[0]]);
}

async fn instance_stats_count_what_they_should(ctx: Ctx) {
    let now = Timestamp::from_millis(T0);
    let empty = ctx.store.instance_stats(now).await.unwrap();
    assert_eq!(empty.local_users, 0);
    create_local(&ctx, "one", "one@example.com").await;
    let (two, _) = create_local(&ctx, "two", "two@example.com").await;
    let mut tx = ctx.store.begin().await.unwrap();
    tx.insert_account(&account(&ctx, "r1", Some("a.example")))
        .await
        .unwrap();
    tx.insert_account(&account(&ctx, "r2", Some("a.example")))
        .await
        .unwrap();
    tx.insert_account(&account(&ctx, "r3", Some("b.example")))
        .await
        .unwrap();
    tx.set_suspended(two.id, Some(now), now).await.unwrap();
    tx.commit().await.unwrap();
    let stats = ctx.store.instance_stats(now).await.unwrap();
    assert_eq!(stats.local_users, 1);
    assert_eq!(stats.known_domains, 2);
    assert_eq!(stats.local_statuses, 0);
}

async fn settings_upsert(ctx: Ctx) {
    assert_eq!(ctx.store.setting("title").await.unwrap(), None);
    let now = Timestamp::from_millis(T0);
    let mut tx = ctx.store.begin().await.unwrap();
    tx.put_setting("title", "First", now).await.unwrap();
    tx.put_setting("title", "Second", now).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        ctx.store.setting("title").await.unwrap().as_deref(),
        Some("Second")
    );
}

async fn hostile_text_is_stored_verbatim(ctx: Ctx) {
    let mut a = account(&ctx, "mallory", None);
    a.display_name = "'); DROP TABLE accounts; -- \u{0}".replace('\u{0}', "");
    a.note = "<script>alert(1)</script> \u{202e} 🦜".repeat(100);
    let mut tx = ctx.store.begin().await.unwrap();
    tx.insert_account(&a).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(ctx.store.account(a.id).await.unwrap().unwrap(), a);
    assert!(
        ctx.store
            .local_account_by_username("' OR 1=1 --")
            .await
            .unwrap()
            .is_none()
    );
}

/// Through pgBouncer this is the case that breaks named prepared statements.
async fn many_concurrent_queries(ctx: Ctx) {
    let (a, _) = create_local(&ctx, "busy", "busy@example.com").await;
    let store = Arc::new(ctx.store.clone());
    let mut tasks = Vec::new();
    for i in 0..400 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            if i % 2 == 0 {
                store.account(a.id).await.map(|x| x.is_some())
            } else {
                store
                    .local_account_by_username("busy")
                    .await
                    .map(|x| x.is_some())
            }
        }));
    }
    let mut errors = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(true) => {}
            Ok(false) => errors.push("row missing".to_owned()),
            Err(e) => errors.push(e.to_string()),
        }
    }
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        errors.first()
    );
}

#[tokio::test]
async fn unreachable_database_is_reported_as_unavailable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut opts = DbOptions::new(format!("postgres://postgres@127.0.0.1:{port}/nope"));
    opts.connect_timeout = std::time::Duration::from_secs(2);
    let err = SqlStore::connect(&opts).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn unknown_url_scheme_is_refused() {
    let err = SqlStore::connect(&DbOptions::new("mysql://x"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("unsupported database URL"),
        "{err}"
    );
}
