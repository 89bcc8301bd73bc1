//! The application under test.

use diesel::connection::SimpleConnection;
use diesel::Connection;
use outcomes::config::Settings;
use outcomes::startup::Application;
use rand::Rng;

pub struct TestApp {
    pub address: String,
    pub database_url: String,
    pub client: reqwest::Client,
    // Kept alive for the test's duration: the SQLite file and key file live here.
    _dir: tempfile::TempDir,
}

/// Whether the suite runs on PostgreSQL.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
}

/// A fresh, empty database URL: a new schema on PostgreSQL, a new file on SQLite.
pub fn fresh_database(dir: &tempfile::TempDir) -> String {
    match postgres_url() {
        Some(base) => {
            let schema = format!("t_{:016x}", rand::thread_rng().gen::<u64>());
            let mut conn = diesel::PgConnection::establish(&base)
                .expect("TEST_DATABASE_URL must name a reachable PostgreSQL database");
            conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
                .expect("creating a test schema");
            let sep = if base.contains('?') { '&' } else { '?' };
            format!("{base}{sep}options=-csearch_path%3D{schema}")
        }
        None => format!("sqlite://{}", dir.path().join("outcomes.db").display()),
    }
}

pub fn test_settings(database_url: &str, dir: &tempfile::TempDir) -> Settings {
    let mut settings = Settings::for_database(database_url);
    settings.key_file = dir.path().join("outcomes.key");
    settings.session_key = Some("11".repeat(32));
    settings.hmac_key = Some("22".repeat(32));
    // The key library code uses when none is installed: one key for the whole test
    // process, whether a test starts an application or calls the store directly.
    settings.audit_key = Some(hex::encode(outcomes::store::audit::UNINSTALLED_KEY));
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// `spawn_app` with a minimum cohort of 1: for tests of the hand-computed figures of the
/// five-person fixture of `reports.rs`, whose one programme year is under the default
/// minimum of 10 (issue 21). The unit rules themselves are tested with the default, in
/// `units.rs`.
pub async fn spawn_app_small() -> TestApp {
    spawn_app_with(|s| s.minimum_cohort = 1).await
}

/// `spawn_app` with changed settings (TLS, trusted proxies, ...).
pub async fn spawn_app_with(change: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let database_url = fresh_database(&dir);
    let mut settings = test_settings(&database_url, &dir);
    change(&mut settings);
    start(settings, database_url, dir)
}

/// Another instance of the application on the same database, with the same secrets, as
/// several instances run behind a load balancer.
pub async fn spawn_instance_on(database_url: &str) -> TestApp {
    spawn_instance_on_with(database_url, |_| {}).await
}

/// `spawn_instance_on` with changed settings (a read replica, ...).
pub async fn spawn_instance_on_with(
    database_url: &str,
    change: impl FnOnce(&mut Settings),
) -> TestApp {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut settings = test_settings(database_url, &dir);
    change(&mut settings);
    start(settings, database_url.to_string(), dir)
}

fn start(settings: Settings, database_url: String, dir: tempfile::TempDir) -> TestApp {
    let app = Application::build(&settings, "127.0.0.1:0").expect("the application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("an HTTP client");
    TestApp {
        address,
        database_url,
        client,
        _dir: dir,
    }
}

impl TestApp {
    /// A direct connection to the app's database, with the same settings as the app's pool.
    pub fn db(&self) -> outcomes::db::DbConn {
        outcomes::db::DatabaseUrl::parse(&self.database_url)
            .unwrap()
            .connect()
            .expect("connecting to the test database")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.address, path))
            .send()
            .await
            .expect("the request is sent")
    }
}
