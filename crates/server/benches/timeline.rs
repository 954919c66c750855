//! Home-timeline benchmark: `cargo bench -p rookery --bench timeline` (prints numbers; asserts
//! nothing). For SQLite and PostgreSQL: an account following 200 accounts, 100,000 statuses in
//! the database (all in its home feed, and in a list holding all 200 accounts), the real
//! `rookery serve` binary, and `wrk -t2 -c16` (Debian package `wrk`) on the same machine. Home
//! is read again after the account gets 50 keyword filters. `BENCH_STATUSES` and
//! `BENCH_SECONDS` scale it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark program

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rookery_model::{
    Account, ActorType, Clock, IdGenerator, ManualClock, Role, Status, SystemClock, Timestamp,
    Username, Visibility,
};
use rookery_service::{NewApp, NewLocalAccount, Services, Settings, SystemRandom};
use rookery_store::{Follow, Store};
use rookery_store_sql::{DbOptions, SqlStore};
use rookery_testkit::{PgCluster, TempDir};

const AUTHORS: usize = 200;

/// What the runs read with: the reader's token, list id and account id.
struct Seeded {
    token: String,
    list: String,
    reader: rookery_model::Id,
}

/// Seeds the database.
async fn seed(opts: &DbOptions, statuses: usize) -> Seeded {
    SqlStore::migrate(opts, 0).await.unwrap();
    let store: Arc<dyn Store> = Arc::new(SqlStore::connect(opts).await.unwrap());
    let services = Services::new(
        store.clone(),
        Arc::new(SystemClock),
        Arc::new(SystemRandom),
        Settings::new(rookery_model::Domain::parse("bench.test").unwrap(), false),
    );
    let reader = services
        .create_local_account(NewLocalAccount {
            username: "reader".into(),
            email: "reader@example.com".into(),
            password: Some("a good password".into()),
            role: Role::User,
            confirmed: true,
            approved: true,
            send_confirmation: false,
        })
        .await
        .unwrap()
        .local;
    let key = reader.account.public_key_pem.clone();
    // Authors and their statuses, back in time, one millisecond apart.
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(
        SystemClock.now().as_millis() - statuses as i64 - 10_000,
    )));
    let ids = IdGenerator::new(clock.clone(), Arc::new(SystemRandom));
    let now = SystemClock.now();
    let mut authors = Vec::new();
    let mut tx = store.begin().await.unwrap();
    for i in 0..AUTHORS {
        let a = Account {
            id: ids.next_id(),
            username: Username::parse(&format!("author{i}")).unwrap(),
            domain: None,
            display_name: format!("Author {i}"),
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
            public_key_pem: key.clone(),
            private_key_pem: None,
            locked: false,
            discoverable: true,
            profile: Default::default(),
            fields: Vec::new(),
            followers_count: 1,
            following_count: 0,
            statuses_count: (statuses / AUTHORS) as i64,
            last_status_at: None,
            suspended_at: None,
            silenced_at: None,
            sensitized_at: None,
            fetched_at: None,
            created_at: now,
            updated_at: now,
        };
        tx.insert_account(&a).await.unwrap();
        tx.insert_follow(&Follow {
            id: ids.next_id(),
            account_id: reader.account.id,
            target_account_id: a.id,
            show_reblogs: true,
            notify: false,
            uri: None,
            created_at: now,
        })
        .await
        .unwrap();
        authors.push(a.id);
    }
    let list = rookery_store::List {
        id: ids.next_id(),
        account_id: reader.account.id,
        title: "Everyone".into(),
        replies_policy: rookery_store::RepliesPolicy::List,
        exclusive: false,
        created_at: now,
    };
    tx.lists().insert_list(&list).await.unwrap();
    let members: Vec<_> = authors.iter().map(|a| (ids.next_id(), *a)).collect();
    tx.lists()
        .add_list_members(list.id, &members)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let started = Instant::now();
    let mut tx = store.begin().await.unwrap();
    for n in 0..statuses {
        clock.advance(1);
        let at = clock.now();
        let s = Status {
            id: ids.next_id(),
            account_id: authors[n % AUTHORS],
            uri: None,
            url: None,
            local: true,
            in_reply_to_id: None,
            in_reply_to_account_id: None,
            reblog_of_id: None,
            conversation_id: None,
            text: format!("status number {n}"),
            content: format!("<p>status number {n}</p>"),
            spoiler_text: String::new(),
            visibility: Visibility::Public,
            sensitive: false,
            language: Some("en".into()),
            replies_count: 0,
            reblogs_count: 0,
            favourites_count: 0,
            edited_at: None,
            pinned_at: None,
            created_at: at,
            updated_at: at,
        };
        tx.insert_status(&s).await.unwrap();
        tx.add_to_home_feeds(s.id, None, &[reader.account.id])
            .await
            .unwrap();
        tx.lists()
            .add_to_list_feeds(s.id, None, &[list.id])
            .await
            .unwrap();
        if n % 5000 == 4999 {
            tx.commit().await.unwrap();
            tx = store.begin().await.unwrap();
        }
    }
    tx.commit().await.unwrap();
    println!(
        "  seeded {AUTHORS} followed accounts and {statuses} statuses in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    analyze(&opts.url).await;
    let app = services
        .create_app(NewApp {
            name: "bench".into(),
            redirect_uris: vec!["urn:ietf:wg:oauth:2.0:oob".into()],
            scopes: Some("read".into()),
            website: None,
        })
        .await
        .unwrap();
    let token = services
        .grant_password(&app.app, "reader", "a good password", None)
        .await
        .unwrap()
        .access_token;
    Seeded {
        token,
        list: list.id.to_string(),
        reader: reader.account.id,
    }
}

/// Gives the reader 50 filters of one keyword each, none matching the seeded statuses (so
/// every status is still shown and every keyword is tried on it).
async fn add_filters(url: &str, reader: rookery_model::Id) {
    let store = SqlStore::connect(&DbOptions::new(url.to_owned()))
        .await
        .unwrap();
    let ids = IdGenerator::new(Arc::new(SystemClock), Arc::new(SystemRandom));
    let mut tx = store.begin().await.unwrap();
    for i in 0..50 {
        let id = ids.next_id();
        let filter = rookery_store::Filter {
            id,
            account_id: reader,
            title: format!("filter {i}"),
            contexts: vec![
                rookery_store::FilterContext::Home,
                rookery_store::FilterContext::Public,
            ],
            action: rookery_store::FilterAction::Warn,
            expires_at: None,
            created_at: SystemClock.now(),
            keywords: vec![rookery_store::FilterKeyword {
                id: ids.next_id(),
                filter_id: id,
                keyword: format!("spoiler{i}"),
                whole_word: i % 2 == 0,
            }],
            statuses: Vec::new(),
        };
        tx.filters().insert_filter(&filter).await.unwrap();
    }
    tx.commit().await.unwrap();
    store.close().await;
}

/// Refreshes planner statistics, as autovacuum would shortly after a bulk load.
async fn analyze(url: &str) {
    use sqlx::Connection;
    if url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::raw_sql("ANALYZE").execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql("ANALYZE").execute(&mut c).await.unwrap();
    }
}

fn wrk(name: &str, url: &str, token: Option<&str>, seconds: u64) {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", "-c16", &format!("-d{seconds}s"), "--latency"]);
    if let Some(t) = token {
        cmd.args(["-H", &format!("Authorization: Bearer {t}")]);
    }
    let out = cmd
        .arg(url)
        .output()
        .expect("wrk is not installed: apt-get install wrk");
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |prefix: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("?")
            .to_owned()
    };
    let errors = text
        .lines()
        .find(|l| l.contains("Non-2xx"))
        .map(|l| format!("  ({})", l.trim()))
        .unwrap_or_default();
    println!(
        "  {name:<36} {:>10} req/s   p50 {:>8}   p99 {:>8}{errors}",
        field("Requests/sec:"),
        field("50%"),
        field("99%")
    );
}

async fn run(engine: &str, url: &str, seeded: &Seeded, dir: &TempDir, seconds: u64) {
    let Seeded { token, list, .. } = seeded;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_rookery"))
        .current_dir(dir.path())
        .env("ROOKERY_DATABASE__URL", url)
        .env("ROOKERY_DATABASE__MAX_CONNECTIONS", "16")
        .env("ROOKERY_SERVER__DOMAIN", "bench.test")
        .env("ROOKERY_SERVER__HTTPS", "false")
        .env("ROOKERY_LOG__LEVEL", "warn")
        // One token hammering the server is the point here, not abuse.
        .env("ROOKERY_RATE_LIMITS__ENABLED", "false")
        .args(["web", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    println!("{engine}:");
    wrk(
        "GET /api/v1/timelines/home?limit=20",
        &format!("{base}/api/v1/timelines/home?limit=20"),
        Some(token.as_str()),
        seconds,
    );
    wrk(
        "GET /api/v1/timelines/list/:id?limit=20",
        &format!("{base}/api/v1/timelines/list/{list}?limit=20"),
        Some(token.as_str()),
        seconds,
    );
    add_filters(url, seeded.reader).await;
    wrk(
        "GET /api/v1/timelines/home, 50 filters",
        &format!("{base}/api/v1/timelines/home?limit=20"),
        Some(token.as_str()),
        seconds,
    );
    wrk(
        "GET /api/v1/timelines/public?local=true",
        &format!("{base}/api/v1/timelines/public?local=true&limit=20"),
        None,
        seconds,
    );
    wrk(
        "GET /api/v1/instance",
        &format!("{base}/api/v1/instance"),
        None,
        seconds,
    );
    let _ = server.kill();
    let _ = server.wait();
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let statuses: usize = std::env::var("BENCH_STATUSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let dir = TempDir::new("rookery-bench").unwrap();

    let sqlite = format!("sqlite://{}/bench.db", dir.path().display());
    println!("seeding SQLite");
    let seeded = seed(&DbOptions::new(sqlite.clone()), statuses).await;
    run("sqlite", &sqlite, &seeded, &dir, seconds).await;

    let cluster = PgCluster::start_with(true).unwrap_or_else(|e| panic!("{e}"));
    let server = cluster.server();
    let name = server.create_database().unwrap();
    let pg = server.url(&name);
    println!("seeding PostgreSQL");
    let seeded = seed(&DbOptions::new(pg.clone()), statuses).await;
    run("postgres", &pg, &seeded, &dir, seconds).await;
}
