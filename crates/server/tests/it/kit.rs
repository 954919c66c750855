//! Boots the application on a fresh database and hands back an HTTP client.

use rookery::app::App;
use rookery::config;
use rookery_service::Services;
use rookery_testkit::{Backend, TestDb};
use tokio::sync::oneshot;

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub services: Services,
    pub db: TestDb,
    /// Dropping it (or sending) shuts the web server down.
    pub stop: Option<oneshot::Sender<()>>,
    _worker_stop: tokio::sync::watch::Sender<bool>,
}

/// Settings every test app gets, plus `extra` `ROOKERY_*` overrides.
pub async fn spawn_with(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
    let db = TestDb::new(backend);
    let mut env: Vec<(String, String)> = vec![
        ("ROOKERY_SERVER__LISTEN".into(), "127.0.0.1:0".into()),
        ("ROOKERY_SERVER__DOMAIN".into(), "rookery.test".into()),
        ("ROOKERY_SERVER__HTTPS".into(), "true".into()),
        ("ROOKERY_DATABASE__URL".into(), db.url.clone()),
        ("ROOKERY_DATABASE__AUTO_MIGRATE".into(), "true".into()),
        (
            "ROOKERY_DATABASE__PGBOUNCER".into(),
            db.pgbouncer.to_string(),
        ),
        ("ROOKERY_LOG__LEVEL".into(), "warn".into()),
        // Sign-ups do not ask the machine's DNS about test domains; the tests of MX checks
        // turn them on against a DNS server of their own.
        (
            "ROOKERY_EMAIL_DOMAIN_BLOCKS__CHECK_MX".into(),
            "false".into(),
        ),
    ];
    if let Some(m) = &db.migration_url {
        env.push(("ROOKERY_DATABASE__MIGRATION_URL".into(), m.clone()));
    }
    for (k, v) in extra {
        env.push(((*k).into(), (*v).into()));
    }
    let cfg = config::load(None, env)
        .unwrap()
        .resolve(Some(&db.dir.path().join("data")))
        .unwrap();
    let app = App::build(&cfg).await.unwrap();
    let addr = app.local_addr().unwrap();
    let services = app.services.clone();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run(async move {
        let _ = stopped.await;
    }));
    // A worker for every queue, polling fast, so side effects land quickly.
    let mut registry = rookery_jobs::Registry::new();
    rookery_service::register_jobs(&mut registry, &services);
    let worker = rookery_jobs::Worker::new(
        services.store.clone(),
        std::sync::Arc::new(registry),
        services.clock.clone(),
        services.random.clone(),
        std::sync::Arc::new(rookery_jobs::JobMetrics::unregistered()),
        rookery_jobs::Queue::ALL
            .into_iter()
            .map(|q| (q, 4))
            .collect(),
        rookery_jobs::WorkerOptions {
            poll_interval: std::time::Duration::from_millis(10),
            ..rookery_jobs::WorkerOptions::default()
        },
    );
    let (worker_stop, worker_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(worker.run(worker_rx));
    // An instance with a certificate answers HTTPS; the client trusts the test CA it was given.
    let setting = |key: &str| extra.iter().rev().find(|(k, _)| *k == key).map(|(_, v)| *v);
    let scheme = if setting("ROOKERY_SERVER__TLS_CERT").is_some() {
        "https"
    } else {
        "http"
    };
    // Idle connections are dropped before the server's 30 s header-read timeout can close
    // them: a request written into a connection the server is closing fails on the client
    // ("IncompleteMessage") through no fault of the request.
    let mut client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(std::time::Duration::from_secs(10));
    if let Some(ca) = setting("ROOKERY_FEDERATION__EXTRA_CA_FILE") {
        for cert in reqwest::Certificate::from_pem_bundle(&std::fs::read(ca).unwrap()).unwrap() {
            client = client.add_root_certificate(cert);
        }
    }
    TestApp {
        base: format!("{scheme}://{addr}"),
        client: client.build().unwrap(),
        services,
        db,
        stop: Some(stop),
        _worker_stop: worker_stop,
    }
}

impl TestApp {
    /// Runs statements on the test's database directly (to move a time into the past).
    pub async fn sql(&self, statement: &str) {
        use sqlx::Connection;
        let url = self.db.migration_url.clone().unwrap_or(self.db.url.clone());
        if url.starts_with("sqlite") {
            let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned()))
                .execute(&mut c)
                .await
                .unwrap();
        } else {
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned()))
                .execute(&mut c)
                .await
                .unwrap();
        }
    }

    /// The first column of each row `query` returns, as text (write the query so that it is
    /// text on both engines, e.g. with `CAST(… AS TEXT)`); for diagnostics in failing tests.
    pub async fn sql_texts(&self, query: &str) -> Vec<String> {
        use sqlx::{Connection, Row};
        let url = self.db.migration_url.clone().unwrap_or(self.db.url.clone());
        let q = sqlx::AssertSqlSafe(query.to_owned());
        if url.starts_with("sqlite") {
            let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
            let rows = sqlx::query(q).fetch_all(&mut c).await.unwrap();
            rows.iter().map(|r| r.get::<String, _>(0)).collect()
        } else {
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            let rows = sqlx::query(q).fetch_all(&mut c).await.unwrap();
            rows.iter().map(|r| r.get::<String, _>(0)).collect()
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET a path (or a full URL) as ActivityPub, unsigned; (status, JSON body).
    pub async fn get_activity(&self, path_or_url: &str) -> (u16, serde_json::Value) {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_owned()
        } else {
            self.url(path_or_url)
        };
        let r = self
            .client
            .get(url)
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self.get(path).await;
        let status = r.status().as_u16();
        (status, r.json().await.unwrap())
    }

    /// A `read write follow push` token for a local user (created if missing), by password grant.
    pub async fn token(&self, username: &str) -> String {
        self.token_with_scopes(username, "read write follow push")
            .await
    }

    /// A token with exactly `scopes` for a local user (created if missing), by password grant.
    pub async fn token_with_scopes(&self, username: &str, scopes: &str) -> String {
        if self.services.local_account(username).await.is_err() {
            self.create_account(username).await;
        }
        let app: serde_json::Value = self
            .client
            .post(self.url("/api/v1/apps"))
            .form(&[
                ("client_name", "it"),
                ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
                ("scopes", scopes),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let t: serde_json::Value = self
            .client
            .post(self.url("/oauth/token"))
            .form(&[
                ("grant_type", "password"),
                ("client_id", app["client_id"].as_str().unwrap()),
                ("client_secret", app["client_secret"].as_str().unwrap()),
                ("username", &format!("{username}@example.com")),
                ("password", "a good password"),
                ("scope", scopes),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        t["access_token"].as_str().unwrap().to_owned()
    }

    /// GET with a token; (status, JSON body, Link header).
    pub async fn get_auth(
        &self,
        path: &str,
        token: Option<&str>,
    ) -> (u16, serde_json::Value, Option<String>) {
        let mut r = self.client.get(if path.starts_with("http") {
            path.to_owned()
        } else {
            self.url(path)
        });
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        let link = r
            .headers()
            .get("link")
            .map(|l| l.to_str().unwrap().to_owned());
        (
            status,
            r.json().await.unwrap_or(serde_json::Value::Null),
            link,
        )
    }

    /// A form sent with `method` and a token; (status, JSON body).
    async fn form_auth(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let r = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token)
            .form(form)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// POST a form with a token; (status, JSON body).
    pub async fn post_auth(
        &self,
        path: &str,
        token: &str,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        self.form_auth(reqwest::Method::POST, path, token, form)
            .await
    }

    /// PUT a form with a token; (status, JSON body).
    pub async fn put_auth(
        &self,
        path: &str,
        token: &str,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        self.form_auth(reqwest::Method::PUT, path, token, form)
            .await
    }

    /// POST a JSON body with a token; (status, JSON body).
    pub async fn post_json_auth(
        &self,
        path: &str,
        token: &str,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let r = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn create_account(&self, username: &str) -> rookery_store::LocalAccount {
        self.services
            .create_local_account(rookery_service::NewLocalAccount {
                username: username.into(),
                email: format!("{username}@example.com"),
                password: Some("a good password".into()),
                role: rookery_model::Role::User,
                confirmed: true,
                approved: true,
                send_confirmation: false,
            })
            .await
            .unwrap()
            .local
    }
}

/// An instance whose domain is its own address (`127.0.0.1:port`), plain HTTP, allowed to talk
/// to other instances on loopback: two of these federate with each other.
pub async fn spawn_federating(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
    let port = rookery_testkit::free_port().unwrap();
    let addr = format!("127.0.0.1:{port}");
    let mut env: Vec<(&str, &str)> = vec![
        ("ROOKERY_SERVER__LISTEN", &addr),
        ("ROOKERY_SERVER__DOMAIN", &addr),
        ("ROOKERY_SERVER__HTTPS", "false"),
        ("ROOKERY_FEDERATION__ALLOW_PRIVATE_ADDRESSES", "true"),
        ("ROOKERY_FEDERATION__ALLOW_HTTP", "true"),
        ("ROOKERY_RATE_LIMITS__ENABLED", "false"),
    ];
    env.extend_from_slice(extra);
    spawn_with(backend, &env).await
}

impl TestApp {
    /// The instance's domain (`host:port` for [`spawn_federating`] instances).
    pub fn domain(&self) -> String {
        self.services.settings.domain.to_string()
    }

    /// A local account's id, as the API writes it.
    pub async fn account_id(&self, username: &str) -> String {
        self.services
            .local_account(username)
            .await
            .unwrap()
            .account
            .id
            .to_string()
    }

    /// PATCH a form with a token; (status, JSON body).
    pub async fn patch_auth(
        &self,
        path: &str,
        token: &str,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        self.form_auth(reqwest::Method::PATCH, path, token, form)
            .await
    }
}

/// One `#[tokio::test]` per database engine for each listed test function
/// (`async fn name(backend: Backend)`).
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(rookery_testkit::Backend::Sqlite).await } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(rookery_testkit::Backend::Postgres).await } )* }
        mod pgbouncer { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(rookery_testkit::Backend::PgBouncer).await } )* }
    };
}
pub(crate) use on_every_backend;

/// One `#[tokio::test]` on SQLite and one on PostgreSQL, for tests whose subject is not the
/// database (a live peer's behaviour) and that are slow enough not to run a third time.
macro_rules! on_sqlite_and_postgres {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(rookery_testkit::Backend::Sqlite).await } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(rookery_testkit::Backend::Postgres).await } )* }
    };
}
pub(crate) use on_sqlite_and_postgres;

/// Polls `check` every 20 ms until it holds; panics after 10 s.
pub async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// Sends an oversized body; the server must refuse it with 413 before reading it whole. It may
/// answer and close while the client is still writing, which the client sees as a broken pipe:
/// both outcomes are a refusal.
pub async fn assert_refused_as_too_large(request: reqwest::RequestBuilder) {
    match request.send().await {
        Ok(r) => {
            assert_eq!(r.status(), 413);
            // The rest of the body is never read: the connection must not be reused.
            assert_eq!(
                r.headers().get("connection").map(|v| v.as_bytes()),
                Some(&b"close"[..])
            );
        }
        Err(e) => assert!(e.is_request() || e.is_body(), "{e:?}"),
    }
}
