//! `spawn_app()`: the real application on a free port, on a fresh SQLite file, or on a
//! fresh PostgreSQL schema when `TEST_DATABASE_URL` is set.

use diesel::connection::SimpleConnection;
use diesel::Connection;
use outcomes::config::Settings;
use outcomes::domain::credentials::{Email, NewPassword};
use outcomes::domain::enums::{OrganisationKind, Role};
use outcomes::domain::ids::{OrganisationId, UserId};
use outcomes::startup::Application;
use outcomes::web::auth::SESSION_COOKIE;
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
    let dir = tempfile::tempdir().expect("a temporary folder");
    let settings = test_settings(database_url, &dir);
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

/// A user made by `create_user`, with the password they sign in with.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: i64,
    pub email: String,
    pub password: String,
    pub role: Role,
    pub organisation_id: i64,
}

/// A signed-in browser: a client that sends the session cookie, and the CSRF token
/// the session's forms carry.
pub struct TestSession {
    pub client: reqwest::Client,
    pub cookie: String,
    pub csrf: String,
    address: String,
}

impl TestSession {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.address, path))
            .send()
            .await
            .expect("the request is sent")
    }

    /// A form post with this session's CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut fields = fields.to_vec();
        fields.push(("csrf_token", &self.csrf));
        self.post_form_without_token(path, &fields).await
    }

    /// A multipart form for the upload page, its first field this session's CSRF token
    /// (the token is never put in the URL).
    pub fn upload_form(&self) -> reqwest::multipart::Form {
        reqwest::multipart::Form::new().text("csrf_token", self.csrf.clone())
    }

    /// Posts an upload (`form` from `upload_form`) to `/uploads`; when the page previews
    /// it with a "Confirm and import" form for the held file, confirms. Returns the last
    /// status and page, and the preview page if there was one.
    pub async fn upload_and_confirm(
        &self,
        form: reqwest::multipart::Form,
    ) -> (u16, String, Option<String>) {
        let res = self
            .client
            .post(format!("{}/uploads", self.address))
            .multipart(form)
            .send()
            .await
            .expect("the request is sent");
        let status = res.status().as_u16();
        let page = res.text().await.unwrap();
        let Some(id) = held_upload_in(&page) else {
            return (status, page, None);
        };
        let res = self.post_form("/uploads/confirm", &[("upload", &id)]).await;
        let status = res.status().as_u16();
        (status, res.text().await.unwrap(), Some(page))
    }

    /// A form post exactly as given (to prove that a missing token is refused).
    pub async fn post_form_without_token(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        self.client
            .post(format!("{}{}", self.address, path))
            .form(fields)
            .send()
            .await
            .expect("the request is sent")
    }
}

/// The id of the file a preview page holds (its confirm form's `upload` field).
pub fn held_upload_in(html: &str) -> Option<String> {
    let marker = "name=\"upload\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_string())
}

/// Where a redirect goes.
pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// The TOTP key (base32) shown on the enrolment page, as bytes.
pub fn totp_secret_in(html: &str) -> Option<Vec<u8>> {
    let marker = "id=\"totp-secret\">";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('<')? + start;
    totp_rs::Secret::Encoded(html[start..end].to_string())
        .to_bytes()
        .ok()
}

/// A code an authenticator app would show now, for a step after `last` (a code works once,
/// and the service accepts the next step's code too).
pub fn code_for(secret: &[u8], last: Option<i64>) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let step = (now / 30) as i64;
    let step = if last.is_some_and(|l| l >= step) {
        step + 1
    } else {
        step
    };
    outcomes::domain::two_factor::code_at(secret, step as u64 * 30).unwrap()
}

/// The value of `name="csrf_token" value="..."` in a page.
pub fn csrf_in(html: &str) -> Option<String> {
    let start = html.find("name=\"csrf_token\" value=\"")? + "name=\"csrf_token\" value=\"".len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

pub fn no_redirect_client() -> reqwest::ClientBuilder {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none())
}

impl TestApp {
    /// An organisation, by name (created once).
    pub fn org(&self, name: &str, kind: OrganisationKind) -> i64 {
        let mut conn = self.db();
        match outcomes::store::organisations::find_by_name(&mut conn, name).unwrap() {
            Some(o) => o.id.0,
            None => {
                outcomes::store::organisations::create(&mut conn, name, kind)
                    .unwrap()
                    .id
                    .0
            }
        }
    }

    /// A provider organisation, by name.
    pub fn provider(&self, name: &str) -> i64 {
        self.org(name, OrganisationKind::Provider)
    }

    /// A new active user with a random email and a 16-character password.
    /// A user with `role` in the organisation — or, when the role does not fit that
    /// organisation's kind (users must: `OrganisationKind::roles`), in a test organisation
    /// of a kind it fits ("Test commissioner" or "Test VRU"), so that tests written before
    /// the rule, which only need an admin or an analyst, keep working.
    pub fn create_user(&self, role: Role, organisation_id: i64) -> TestUser {
        let kind = {
            use diesel::prelude::*;
            use outcomes::db::schema::organisations::dsl as o;
            let kind: String = o::organisations
                .filter(o::id.eq(organisation_id))
                .select(o::kind)
                .first(&mut self.db())
                .unwrap();
            kind.parse::<OrganisationKind>().unwrap()
        };
        let organisation_id = if kind.roles().contains(&role) {
            organisation_id
        } else if OrganisationKind::Commissioner.roles().contains(&role) {
            self.org("Test commissioner", OrganisationKind::Commissioner)
        } else if OrganisationKind::Vru.roles().contains(&role) {
            self.org("Test VRU", OrganisationKind::Vru)
        } else {
            panic!("a {role} must be made in a provider")
        };
        let n: u32 = rand::thread_rng().gen();
        let email = format!("{}-{n:08x}@example.org", role.as_str());
        let password = format!("pw-{n:08x}-long");
        let mut conn = self.db();
        let parsed = Email::parse(&email).unwrap();
        let user = outcomes::store::users::create(
            &mut conn,
            outcomes::store::users::NewUser {
                email: &parsed,
                display_name: "",
                role,
                organisation_id: OrganisationId(organisation_id),
                password_hash: NewPassword::parse(&password).unwrap().hash().unwrap(),
            },
            None,
        )
        .unwrap();
        TestUser {
            id: user.id.0,
            email,
            password,
            role,
            organisation_id,
        }
    }

    /// A new API token for the user.
    pub fn bearer(&self, user: &TestUser) -> String {
        let mut conn = self.db();
        outcomes::store::tokens::create(&mut conn, UserId(user.id), "test", None)
            .unwrap()
            .1
    }

    /// A participant of an organisation; returns its id.
    /// A programme of `organisation_id`, through the store.
    pub fn add_programme(&self, organisation_id: i64, name: &str) -> i64 {
        use outcomes::domain::enums::{Delivery, ProgrammeKind};
        use outcomes::store::programmes::{insert, ProgrammeFields};
        let fields = ProgrammeFields {
            name: name.to_string(),
            kind: ProgrammeKind::Mentoring,
            delivery: Delivery::Individual,
            min_age: Some(10),
            max_age: Some(18),
            starts_on: chrono::NaiveDate::from_ymd_opt(2024, 4, 1).unwrap(),
            ends_on: None,
            description: String::new(),
        };
        insert(
            &mut self.db(),
            outcomes::domain::ids::OrganisationId(organisation_id),
            &fields,
        )
        .unwrap()
        .0
    }

    /// A funding stream of 2025-26, through the store.
    pub fn add_funding_stream(&self, name: &str) -> i64 {
        outcomes::store::funding_streams::insert(
            &mut self.db(),
            name,
            "Home Office",
            "2025-26",
            10_000_000,
        )
        .unwrap()
        .0
    }

    /// A referral (accepted, open, referred 2025-05-01) of a participant to a programme
    /// and a session of that programme, through the store; returns their ids.
    pub fn add_referral_and_session(
        &self,
        organisation_id: i64,
        participant_id: i64,
        programme_id: i64,
    ) -> (i64, i64) {
        use outcomes::domain::enums::{Closure, Decision, ReferralSource, SessionKind};
        use outcomes::domain::ids::{OrganisationId, ParticipantId, ProgrammeId};
        use outcomes::store::referrals::{insert, ReferralFields};
        use outcomes::store::sessions::{self, SessionFields};
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let mut conn = self.db();
        let n: u32 = rand::thread_rng().gen();
        let referral = insert(
            &mut conn,
            OrganisationId(organisation_id),
            &ReferralFields {
                reference: format!("R{n:08x}"),
                participant_id: ParticipantId(participant_id),
                programme_id: ProgrammeId(programme_id),
                referred_on: d("2025-05-01"),
                source: ReferralSource::Police,
                reason: String::new(),
                decision: Decision::Accepted,
                decided_on: Some(d("2025-05-02")),
                closure: Closure::Open,
                closed_on: None,
                required_hours: None,
            },
        )
        .unwrap();
        let session = sessions::insert(
            &mut conn,
            OrganisationId(organisation_id),
            &SessionFields {
                reference: Some(format!("S{n:08x}")),
                programme_id: ProgrammeId(programme_id),
                date: d("2025-06-01"),
                kind: SessionKind::OneToOne,
                duration_minutes: Some(60),
                headcount: 0,
                district: None,
                venue: None,
            },
        )
        .unwrap();
        (referral.0, session.0)
    }

    /// A submitted quarterly return of a programme, through the store; returns its id.
    pub fn add_return(&self, programme_id: i64, quarter: &str, submitted_by: i64) -> i64 {
        let quarter = outcomes::domain::returns::parse_quarter(quarter).unwrap();
        outcomes::store::quarterly_returns::insert_submitted(
            &mut self.db(),
            outcomes::domain::ids::ProgrammeId(programme_id),
            quarter,
            outcomes::domain::ids::UserId(submitted_by),
        )
        .unwrap()
        .0
    }

    pub fn add_participant(&self, organisation_id: i64, reference: &str) -> i64 {
        use diesel::prelude::*;
        use outcomes::db::schema::participants::dsl as p;
        let mut conn = self.db();
        let now = chrono::Utc::now().naive_utc();
        diesel::insert_into(p::participants)
            .values((
                p::organisation_id.eq(organisation_id),
                p::reference.eq(reference),
                p::gender.eq("not_known"),
                p::ethnicity.eq("not_stated"),
                p::created_at.eq(now),
                p::updated_at.eq(now),
            ))
            .execute(&mut conn)
            .unwrap();
        p::participants
            .filter(p::organisation_id.eq(organisation_id))
            .filter(p::reference.eq(reference))
            .select(p::id)
            .first(&mut conn)
            .unwrap()
    }

    /// Signs in through the real sign-in form, as a browser would, through every step the
    /// service asks for: the second factor (a code computed from the user's secret), its
    /// enrolment (reading the key off the page) and nothing else. A forced password change
    /// is left to the test (the session stays at that step).
    pub async fn login(&self, user: &TestUser) -> TestSession {
        let (res, client) = self.try_login(&user.email, &user.password).await;
        assert_eq!(res.status().as_u16(), 303, "signing in {}", user.email);
        let cookie = res
            .cookies()
            .find(|c| c.name() == SESSION_COOKIE)
            .expect("a session cookie")
            .value()
            .to_string();
        let mut next = location(&res);
        let mut steps = 0;
        while next == "/login/two-factor" || next == "/account/two-factor" {
            steps += 1;
            assert!(steps < 4, "sign-in goes round in circles");
            let page = client
                .get(format!("{}{next}", self.address))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let csrf = csrf_in(&page).expect("the step's form token");
            let code = if next == "/account/two-factor" {
                let secret = totp_secret_in(&page).expect("the key on the enrolment page");
                code_for(&secret, None)
            } else {
                let (secret, last) = self.totp_secret(user.id);
                code_for(&secret, last)
            };
            let res = client
                .post(format!("{}{next}", self.address))
                .form(&[("code", code.as_str()), ("csrf_token", &csrf)])
                .send()
                .await
                .unwrap();
            next = if res.status().as_u16() == 200 {
                // The recovery codes of a new enrolment, then on.
                "/".to_string()
            } else {
                assert_eq!(
                    res.status().as_u16(),
                    303,
                    "the code of {} was refused",
                    user.email
                );
                location(&res)
            };
        }
        let home = client
            .get(format!("{}/", self.address))
            .send()
            .await
            .unwrap();
        let csrf = csrf_in(&home.text().await.unwrap()).expect("the sign-out form's token");
        TestSession {
            client,
            cookie,
            csrf,
            address: self.address.clone(),
        }
    }

    /// The user's TOTP secret (decrypted with the test key) and the last step used.
    pub fn totp_secret(&self, user: i64) -> (Vec<u8>, Option<i64>) {
        let mut conn = self.db();
        let tf = outcomes::store::users::two_factor(&mut conn, UserId(user)).unwrap();
        let key = outcomes::domain::two_factor::derive_key(&hex::decode("22".repeat(32)).unwrap());
        let secret =
            outcomes::domain::two_factor::open(&key, &tf.sealed_secret.expect("a secret")).unwrap();
        (secret, tf.last_step)
    }

    /// One sign-in attempt from a fresh browser: returns the response and the browser.
    pub async fn try_login(
        &self,
        email: &str,
        password: &str,
    ) -> (reqwest::Response, reqwest::Client) {
        let client = no_redirect_client().cookie_store(true).build().unwrap();
        let page = client
            .get(format!("{}/login", self.address))
            .send()
            .await
            .unwrap();
        let token = csrf_in(&page.text().await.unwrap()).expect("the sign-in form's token");
        let res = client
            .post(format!("{}/login", self.address))
            .form(&[
                ("email", email),
                ("password", password),
                ("csrf_token", &token),
            ])
            .send()
            .await
            .unwrap();
        (res, client)
    }

    /// A session made directly in the database (fast: no Argon2), for the access matrix.
    pub fn session_for(&self, user: &TestUser) -> TestSession {
        let mut conn = self.db();
        let s = outcomes::store::login_sessions::create(&mut conn, UserId(user.id)).unwrap();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::COOKIE,
            format!("{SESSION_COOKIE}={}", s.cookie_value)
                .parse()
                .unwrap(),
        );
        TestSession {
            client: no_redirect_client()
                .default_headers(headers)
                .build()
                .unwrap(),
            cookie: s.cookie_value,
            csrf: s.csrf_token,
            address: self.address.clone(),
        }
    }

    /// A GET with a bearer token.
    pub async fn get_with_token(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.address, path))
            .bearer_auth(token)
            .send()
            .await
            .expect("the request is sent")
    }

    /// A session for a cookie value (e.g. one that has been signed out).
    pub fn session_with_cookie(&self, cookie: &str) -> TestSession {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::COOKIE,
            format!("{SESSION_COOKIE}={cookie}").parse().unwrap(),
        );
        TestSession {
            client: no_redirect_client()
                .default_headers(headers)
                .build()
                .unwrap(),
            cookie: cookie.to_string(),
            csrf: String::new(),
            address: self.address.clone(),
        }
    }

    /// One column of a table as text, in id order.
    pub fn column(&self, column: &str, table: &str) -> Vec<String> {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Value {
            #[diesel(sql_type = diesel::sql_types::Text)]
            value: String,
        }
        diesel::sql_query(format!(
            "SELECT CAST({column} AS TEXT) AS value FROM {table} ORDER BY id"
        ))
        .load::<Value>(&mut self.db())
        .unwrap()
        .into_iter()
        .map(|v| v.value)
        .collect()
    }

    /// Runs a SQL statement on the app's database (to age a session, tamper with audit rows...).
    pub fn execute(&self, sql: &str) -> usize {
        use diesel::RunQueryDsl;
        diesel::sql_query(sql).execute(&mut self.db()).unwrap()
    }
}

/// Everything the service logs (at debug level), from the moment this is first called;
/// the buffer is shared by every test of the binary.
#[derive(Clone, Default)]
pub struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLogs {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the service's own subscriber (`telemetry::init_with`: its filter and its
/// redaction) at debug level, writing to a buffer (once per test binary).
pub fn capture_logs() -> CapturedLogs {
    static LOGS: std::sync::OnceLock<CapturedLogs> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = CapturedLogs::default();
        let writer = logs.clone();
        let _ = outcomes::telemetry::init_with(
            "debug",
            outcomes::telemetry::LogFormat::Text,
            move || writer.clone(),
        );
        logs
    })
    .clone()
}
