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
    _stop: oneshot::Sender<()>,
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
    TestApp {
        base: format!("http://{addr}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        services,
        db,
        _stop: stop,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self.get(path).await;
        let status = r.status().as_u16();
        (status, r.json().await.unwrap())
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
            })
            .await
            .unwrap()
            .local
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
