//! Settings, from command-line flags and environment variables (every flag has one), with
//! defaults that make `outcomes serve` work on a fresh machine with no set-up.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::Args;

use crate::db::DatabaseUrl;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/outcomes.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// Settings shared by every command.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Database: sqlite://PATH (the folder is created on first start) or postgres://USER@HOST[:PORT]/DB.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,

    /// Optional read replica for reports (a PostgreSQL hot standby of the main database,
    /// which must be PostgreSQL too); defaults to the main database. While it cannot be
    /// reached, fails, or lags, reports are read from the main database instead
    /// (docs/operations.md, "Reports from a read replica").
    #[arg(long, env = "REPORTING_DATABASE_URL", global = true)]
    pub reporting_database_url: Option<String>,

    /// Reports are read from the main database instead of the replica while the replica
    /// is more than this many seconds behind it.
    #[arg(
        long,
        env = "REPORTING_MAX_LAG_SECONDS",
        default_value_t = crate::db::reporting::DEFAULT_MAX_LAG_SECONDS,
        global = true
    )]
    pub reporting_max_lag_seconds: u64,

    /// Each instance keeps reports it has computed in memory, up to this many MiB, and
    /// serves them again until a write changes their data (0 turns the cache off).
    #[arg(
        long,
        env = "REPORT_CACHE_MB",
        default_value_t = crate::reports::cache::DEFAULT_MEGABYTES,
        global = true
    )]
    pub report_cache_mb: u64,

    /// At start-up, compute the commissioners' and analysts' dashboard reports for the
    /// current and last financial year into the report cache, in the background.
    #[arg(
        long,
        env = "REPORT_PREWARM",
        default_value_t = true,
        action = clap::ArgAction::Set,
        global = true
    )]
    pub report_prewarm: bool,

    /// Log filter, e.g. info, debug, outcomes=debug,actix_web=info.
    #[arg(long, env = "OUTCOMES_LOG", default_value = "info", global = true)]
    pub log: String,

    /// File holding the session and person-key secrets, created with mode 0600 on first
    /// start when the secrets are not given in the environment.
    #[arg(
        long,
        env = "OUTCOMES_KEY_FILE",
        default_value = "data/outcomes.key",
        global = true
    )]
    pub key_file: PathBuf,

    /// Secret for signing sessions (64+ hex characters); overrides the key file.
    #[arg(
        long,
        env = "OUTCOMES_SESSION_KEY",
        hide_env_values = true,
        global = true
    )]
    pub session_key: Option<String>,

    /// Secret for keying police identifiers (64+ hex characters); overrides the key file.
    /// Changing it breaks reoffending matching with earlier imports.
    #[arg(long, env = "OUTCOMES_HMAC_KEY", hide_env_values = true, global = true)]
    pub hmac_key: Option<String>,

    /// Key of the audit trail's hash chain (64+ hex characters); overrides the key file's
    /// `audit_key=` line. Without either it is derived from the HMAC key. Never stored in
    /// the database; changing it makes `audit verify` fail.
    #[arg(
        long,
        env = "OUTCOMES_AUDIT_KEY",
        hide_env_values = true,
        global = true
    )]
    pub audit_key: Option<String>,

    /// Replacement cost-of-crime unit cost table (CSV); defaults to the embedded Heeks et al. 2018 table.
    #[arg(long, env = "OUTCOMES_COST_TABLE", global = true)]
    pub cost_table: Option<PathBuf>,

    /// Replacement GDP deflator series (CSV); defaults to the embedded HM Treasury series.
    #[arg(long, env = "OUTCOMES_DEFLATOR_TABLE", global = true)]
    pub deflator_table: Option<PathBuf>,

    /// Published reports show counts from 1 to THRESHOLD-1 as "<THRESHOLD" (at least 3).
    #[arg(
        long,
        env = "OUTCOMES_DISCLOSURE_THRESHOLD",
        default_value_t = 5,
        value_parser = parse_threshold,
        global = true
    )]
    pub disclosure_threshold: u32,

    /// Police-derived figures are built from units (a programme's cohort in a financial
    /// year); a unit with fewer measurable people than this is left out of them.
    #[arg(
        long,
        env = "OUTCOMES_MINIMUM_COHORT",
        default_value_t = 10,
        value_parser = clap::value_parser!(u32).range(1..),
        global = true
    )]
    pub minimum_cohort: u32,

    /// TLS is terminated (here or by a proxy in front): cookies get `Secure` and responses
    /// carry Strict-Transport-Security.
    #[arg(long, env = "OUTCOMES_TLS", global = true)]
    pub tls: bool,

    /// Comma-separated proxy addresses whose X-Forwarded-For is believed for sign-in
    /// throttling; from any other peer the peer address is used.
    #[arg(
        long,
        env = "OUTCOMES_TRUSTED_PROXIES",
        value_delimiter = ',',
        global = true
    )]
    pub trusted_proxies: Vec<IpAddr>,
    /// Who must sign in with a second factor (TOTP): `roles` (admins, analysts and
    /// commissioners; the default), `all`, or `off` (the demo only: see docs/security.md).
    #[arg(
        long,
        env = "OUTCOMES_REQUIRE_2FA",
        default_value = "roles",
        global = true
    )]
    pub require_2fa: crate::domain::two_factor::Policy,
    /// Tests and training environments only: a file holding the date the service takes as
    /// today (read on every use; `src/clock.rs`). Unset in production.
    #[arg(long, env = "OUTCOMES_CLOCK_FILE", global = true)]
    pub clock_file: Option<PathBuf>,
}

impl Settings {
    /// The service's clock (`--clock-file`).
    pub fn clock(&self) -> crate::clock::Clock {
        crate::clock::Clock::new(self.clock_file.clone())
    }

    pub fn database(&self) -> anyhow::Result<DatabaseUrl> {
        Ok(DatabaseUrl::parse(&self.database_url)?)
    }

    /// Settings for tests and embedding: everything default except the database.
    pub fn for_database(database_url: &str) -> Self {
        Settings {
            database_url: database_url.to_string(),
            reporting_database_url: None,
            reporting_max_lag_seconds: crate::db::reporting::DEFAULT_MAX_LAG_SECONDS,
            report_cache_mb: crate::reports::cache::DEFAULT_MEGABYTES,
            // Tests and embedders compute what they ask for.
            report_prewarm: false,
            log: "warn".into(),
            key_file: PathBuf::from("data/outcomes.key"),
            session_key: None,
            hmac_key: None,
            audit_key: None,
            cost_table: None,
            deflator_table: None,
            disclosure_threshold: 5,
            minimum_cohort: 10,
            tls: false,
            trusted_proxies: Vec::new(),
            require_2fa: crate::domain::two_factor::Policy::Roles,
            clock_file: None,
        }
    }
}

/// Settings of the web server.
#[derive(Debug, Clone, Args)]
pub struct ServeSettings {
    /// Address to listen on.
    #[arg(long, env = "OUTCOMES_BIND", default_value = DEFAULT_BIND)]
    pub bind: String,
    /// Fill an empty database with the small synthetic demo and its logins first (a
    /// database holding anything else is left alone).
    #[arg(long, env = "OUTCOMES_DEMO")]
    pub demo: bool,
    /// `on`: erase the participants whose retention period has ended once a day, as
    /// `outcomes retention --apply` does (docs/erasure-and-retention.md); `off` (default).
    #[arg(long, env = "OUTCOMES_RETENTION", default_value = "off", value_parser = ["on", "off"])]
    pub retention: String,
}

/// `--disclosure-threshold` / `OUTCOMES_DISCLOSURE_THRESHOLD`: a whole number of at least
/// 3 (below it a published "<2" would be a count of exactly 1).
pub fn parse_threshold(text: &str) -> Result<u32, String> {
    let minimum = crate::evaluation::disclosure::MINIMUM_THRESHOLD;
    match text.trim().parse::<u32>() {
        Ok(n) if u64::from(n) >= minimum => Ok(n),
        _ => Err(format!(
            "expected a whole number of at least {minimum} (published reports hide counts \
             from 1 to the threshold minus 1; below {minimum} a hidden count could be worked \
             out), got {text:?}"
        )),
    }
}
