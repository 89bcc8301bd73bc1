//! `spawn_app()`: the real application on a free port, on a fresh SQLite file, or on a
//! fresh PostgreSQL schema when `TEST_DATABASE_URL` is set.

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
    settings
}

pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let database_url = fresh_database(&dir);
    let settings = test_settings(&database_url, &dir);
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

/// Every text value of every table, for tests that grep the database for what must not
/// be there.
pub fn dump_database(conn: &mut outcomes::db::DbConn) -> String {
    use diesel::sql_types::Text;
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    #[derive(diesel::QueryableByName)]
    struct Line {
        #[diesel(sql_type = Text)]
        line: String,
    }
    let tables_sql = match conn {
        outcomes::db::DbConn::Sqlite(_) => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        outcomes::db::DbConn::Postgres(_) => {
            "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = current_schema()"
        }
    };
    let tables: Vec<Name> = diesel::sql_query(tables_sql).load(conn).unwrap();
    let mut out = String::new();
    for t in tables {
        let sql = match conn {
            outcomes::db::DbConn::Sqlite(_) => format!(
                "SELECT group_concat(quote(x.rowid) || ':' || coalesce((SELECT group_concat(value, ',') FROM json_each(json_array(x.rowid))), ''), '|') AS line FROM \"{}\" x",
                t.name
            ),
            outcomes::db::DbConn::Postgres(_) => {
                format!("SELECT coalesce(string_agg(x::text, '|'), '') AS line FROM \"{}\" x", t.name)
            }
        };
        let sql = if matches!(conn, outcomes::db::DbConn::Sqlite(_)) {
            // SQLite has no row-to-text cast: build one from the column list.
            #[derive(diesel::QueryableByName)]
            struct Col {
                #[diesel(sql_type = Text)]
                name: String,
            }
            let cols: Vec<Col> =
                diesel::sql_query(format!("SELECT name FROM pragma_table_info('{}')", t.name))
                    .load(conn)
                    .unwrap();
            let expr = cols
                .iter()
                .map(|c| format!("coalesce(CAST(\"{}\" AS TEXT), '')", c.name))
                .collect::<Vec<_>>()
                .join(" || ',' || ");
            let _ = sql;
            format!(
                "SELECT coalesce(group_concat({expr}, '|'), '') AS line FROM \"{}\"",
                t.name
            )
        } else {
            sql
        };
        let lines: Vec<Line> = diesel::sql_query(sql).load(conn).unwrap();
        for l in lines {
            out.push_str(&t.name);
            out.push(':');
            out.push_str(&l.line);
            out.push('\n');
        }
    }
    out
}
