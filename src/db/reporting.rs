//! Reports read from a read replica (`REPORTING_DATABASE_URL`): a PostgreSQL hot standby
//! of the main database, so that report reads do not load the primary that casework
//! writes to.
//!
//! Before each report the replica is asked how far behind it is. Reports are read from
//! the primary instead — with one warning line in the log when that starts, and the
//! report's provenance saying so (`read_from.database = "primary"` and why) — while:
//! - no connection to the replica can be had within [`CONNECT_WAIT`] (it is then left
//!   alone for [`RETRY_AFTER`], so that every report does not wait for it);
//! - a query on it fails (the same);
//! - it is more than `REPORTING_MAX_LAG_SECONDS` behind.
//!
//! When the replica is usable again, one info line says so. Log lines name no person and
//! no value read: a connection error's text (libpq's: host and port), or the kind of
//! failure. See `docs/operations.md#reports-from-a-read-replica`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use diesel::r2d2;
use diesel::sql_types::{Bool, Double, Nullable};
use diesel::RunQueryDsl;

use super::{Backend, DatabaseUrl, DbConn, Manager, Pool, PooledConn};
use crate::config::Settings;
use crate::evaluation::report::ReadFrom;

/// `REPORTING_MAX_LAG_SECONDS` unless set: five minutes.
pub const DEFAULT_MAX_LAG_SECONDS: u64 = 300;
/// How long a report waits for a connection to the replica before reading the primary.
pub const CONNECT_WAIT: Duration = Duration::from_secs(2);
/// After the replica failed, how long reports read the primary before it is tried again.
pub const RETRY_AFTER: Duration = Duration::from_secs(10);
/// How long a report waits for a second replica connection before reading on one.
const EXTRA_WAIT: Duration = Duration::from_millis(100);
/// A replica found behind is asked again once after this pause before reports fall back:
/// a report that arrives while the replica applies what it has just received (a few
/// milliseconds) would otherwise see "behind since the last change replayed", which on a
/// quiet database can be hours.
const RECHECK_AFTER: Duration = Duration::from_millis(100);

/// The reporting connection: the replica when one is configured and fit to read, the
/// primary otherwise.
pub struct Reporting {
    replica: Option<Replica>,
}

struct Replica {
    pool: Pool,
    max_lag_seconds: f64,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Reports are being read from the primary (a warning was logged when it started).
    falling_back: bool,
    /// The replica failed: not tried again before this.
    retry_at: Option<Instant>,
    /// Why, for the provenance of reports read meanwhile.
    reason: String,
}

/// Where one report is to be read.
pub enum Choice {
    /// From the replica, on this connection.
    Replica {
        conn: PooledConn,
        read_from: ReadFrom,
    },
    /// From the primary; `Some` when a replica is configured (the provenance says why).
    Primary(Option<ReadFrom>),
}

/// What the replica says about itself.
#[derive(Debug, Clone, Copy, PartialEq, diesel::QueryableByName)]
pub struct Status {
    #[diesel(sql_type = Bool)]
    pub in_recovery: bool,
    /// `pg_last_xact_replay_timestamp()`, seconds since the epoch.
    #[diesel(sql_type = Nullable<Double>)]
    pub replayed_epoch: Option<f64>,
    /// Every WAL record received has been replayed and WAL is streaming from the primary.
    #[diesel(sql_type = Bool)]
    pub caught_up: bool,
    /// Seconds from the last replayed change's commit to now.
    #[diesel(sql_type = Nullable<Double>)]
    pub since_replay: Option<f64>,
}

const STATUS_SQL: &str = "SELECT pg_is_in_recovery() AS in_recovery, \
     extract(epoch FROM pg_last_xact_replay_timestamp())::float8 AS replayed_epoch, \
     coalesce(pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() \
       AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE pid IS NOT NULL), false) AS caught_up, \
     extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS since_replay";

impl Status {
    /// How far behind the primary the replica is, in seconds; `None` when it cannot be
    /// told (behind, with nothing replayed since it started).
    ///
    /// Caught up (everything received is replayed, and the primary streams to it): 0.
    /// Otherwise the time since the commit of the last change it replayed: exact while
    /// the primary is busy, more than the true lag when it is quiet (the bound is then
    /// crossed early, never late). Not a standby at all (a database that is not in
    /// recovery, such as the primary itself): 0.
    pub fn lag_seconds(&self) -> Option<f64> {
        if !self.in_recovery || self.caught_up {
            return Some(0.0);
        }
        self.since_replay.map(|s| s.max(0.0))
    }

    pub fn replayed_at(&self) -> Option<DateTime<Utc>> {
        let epoch = self.replayed_epoch?;
        let micros = (epoch * 1e6).round() as i64;
        DateTime::<Utc>::from_timestamp_micros(micros)
    }
}

/// Asks the replica on `conn` how far behind it is.
pub fn status(conn: &mut DbConn) -> Result<Status, diesel::result::Error> {
    match conn {
        DbConn::Postgres(c) => diesel::sql_query(STATUS_SQL).get_result(c),
        DbConn::Sqlite(_) => Err(diesel::result::Error::QueryBuilderError(
            "a read replica is PostgreSQL".into(),
        )),
    }
}

/// The provenance of a report read from the primary instead of the replica.
pub fn primary(reason: &str, lag_seconds: Option<f64>) -> ReadFrom {
    ReadFrom {
        database: "primary",
        replayed_at: None,
        lag_seconds,
        fallback: Some(reason.to_string()),
    }
}

impl Reporting {
    /// No replica: every report reads the primary, and says nothing about it.
    pub fn none() -> Self {
        Reporting { replica: None }
    }

    /// The replica `REPORTING_DATABASE_URL` names, if any. Connections are made when
    /// reports need them (a replica that is down at start-up does not stop the service).
    /// Refused: a URL that is not PostgreSQL, or a main database that is not.
    pub fn from_settings(settings: &Settings, main: Backend) -> anyhow::Result<Self> {
        let Some(text) = settings
            .reporting_database_url
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        else {
            return Ok(Self::none());
        };
        let url = DatabaseUrl::parse(text).map_err(|e| {
            anyhow::anyhow!("REPORTING_DATABASE_URL (--reporting-database-url): {e}")
        })?;
        if url.backend() != Backend::Postgres || main != Backend::Postgres {
            anyhow::bail!(
                "REPORTING_DATABASE_URL (--reporting-database-url) must name a PostgreSQL \
                 read replica (postgres://USER@HOST[:PORT]/DATABASE) of a PostgreSQL main \
                 database (DATABASE_URL); leave it unset with SQLite"
            );
        }
        let pool = r2d2::Pool::builder()
            .max_size(16)
            // Made on demand: a replica that is down is not dialled in the background.
            .min_idle(Some(0))
            .connection_timeout(CONNECT_WAIT)
            // The one warning line is ours (see the module docs); r2d2's own would repeat
            // at every retry.
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build_unchecked(Manager { url });
        Ok(Reporting {
            replica: Some(Replica {
                pool,
                max_lag_seconds: settings.reporting_max_lag_seconds as f64,
                state: Mutex::new(State::default()),
            }),
        })
    }

    pub fn is_configured(&self) -> bool {
        self.replica.is_some()
    }

    /// Where the next report is to be read (see the module docs).
    pub fn choose(&self) -> Choice {
        let Some(replica) = &self.replica else {
            return Choice::Primary(None);
        };
        {
            let state = replica.state.lock().unwrap_or_else(|e| e.into_inner());
            if state.retry_at.is_some_and(|at| Instant::now() < at) {
                return Choice::Primary(Some(primary(&state.reason, None)));
            }
        }
        let mut conn = match replica.pool.get_timeout(CONNECT_WAIT) {
            Ok(conn) => conn,
            Err(e) => {
                let detail = e.to_string();
                return Choice::Primary(Some(
                    replica.failed("the replica could not be reached", Some(&detail)),
                ));
            }
        };
        let mut measured = status(&mut conn);
        let max = replica.max_lag_seconds;
        let behind = |s: &Result<Status, _>| matches!(s, Ok(s) if !within(s.lag_seconds(), max));
        if behind(&measured) {
            std::thread::sleep(RECHECK_AFTER);
            measured = status(&mut conn);
        }
        match measured {
            Err(_) => Choice::Primary(Some(
                replica.failed("the replica's replay position could not be read", None),
            )),
            Ok(s) => match s.lag_seconds() {
                Some(lag) if within(Some(lag), max) => {
                    replica.usable();
                    Choice::Replica {
                        conn,
                        read_from: ReadFrom {
                            database: "replica",
                            replayed_at: s.replayed_at(),
                            lag_seconds: Some(round_lag(lag)),
                            fallback: None,
                        },
                    }
                }
                lag => Choice::Primary(Some(replica.lagging(lag))),
            },
        }
    }

    /// Another connection to the replica, to read a report in parallel
    /// (`store::report_rows::Parallel`): an idle one, or a new one if it can be had within
    /// [`EXTRA_WAIT`] (the pool keeps it, so that reports asked one at a time read in
    /// parallel from the second on); `None` otherwise, and the report is read on one.
    pub fn extra(&self) -> Option<PooledConn> {
        let pool = &self.replica.as_ref()?.pool;
        pool.try_get().or_else(|| {
            let state = pool.state();
            (state.connections < pool.max_size())
                .then(|| pool.get_timeout(EXTRA_WAIT).ok())
                .flatten()
        })
    }

    /// A query on the replica failed: it is left alone for [`RETRY_AFTER`]; returns the
    /// provenance of the report then read from the primary. `detail` is logged: pass
    /// nothing that a value read could be part of.
    pub fn query_failed(&self, detail: Option<&str>) -> ReadFrom {
        match &self.replica {
            Some(r) => r.failed("a query on the replica failed", detail),
            None => primary("a query on the replica failed", None),
        }
    }

    /// Reads with `on_replica` (the replica's connection, and a way to ask for another,
    /// [`Reporting::extra`], taken only when it is used: a request that finds its report
    /// in the cache, or waits for another's computation, holds one) when the replica is
    /// fit, falling back to `on_primary` when it is not or when `on_replica` fails with an
    /// error `is_database_failure` says is the database's. Returns what was read and the
    /// provenance's `read_from`.
    pub fn read<T, E: std::fmt::Display>(
        &self,
        on_replica: impl FnOnce(&mut DbConn, &dyn Fn() -> Option<PooledConn>) -> Result<T, E>,
        on_primary: impl FnOnce() -> Result<T, E>,
        is_database_failure: impl Fn(&E) -> bool,
    ) -> Result<(T, Option<ReadFrom>), E> {
        match self.choose() {
            Choice::Primary(read_from) => Ok((on_primary()?, read_from)),
            Choice::Replica {
                mut conn,
                read_from,
            } => {
                match on_replica(&mut conn, &|| self.extra()) {
                    Ok(value) => Ok((value, Some(read_from))),
                    Err(e) if is_database_failure(&e) => {
                        // The error's text is not logged (it can quote a value); the one
                        // cause worth naming is a query cancelled by replay.
                        let detail = e
                            .to_string()
                            .contains("conflict with recovery")
                            .then_some("cancelled by a conflict with recovery");
                        let read_from = self.query_failed(detail);
                        drop(conn);
                        Ok((on_primary()?, Some(read_from)))
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }
}

/// A replica `lag` seconds behind may be read under a bound of `max` seconds; one whose
/// lag cannot be told may not.
fn within(lag: Option<f64>, max: f64) -> bool {
    lag.is_some_and(|lag| lag <= max)
}

/// Lag in the provenance: to the millisecond.
fn round_lag(lag: f64) -> f64 {
    (lag * 1000.0).round() / 1000.0
}

impl Replica {
    fn failed(&self, reason: &str, detail: Option<&str>) -> ReadFrom {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.retry_at = Some(Instant::now() + RETRY_AFTER);
        state.reason = reason.to_string();
        if !state.falling_back {
            state.falling_back = true;
            tracing::warn!(
                reason,
                detail = detail.unwrap_or(""),
                retry_after_seconds = RETRY_AFTER.as_secs(),
                "reports fall back to the primary database"
            );
        }
        primary(reason, None)
    }

    fn lagging(&self, lag: Option<f64>) -> ReadFrom {
        let reason = match lag {
            Some(lag) => format!(
                "the replica was {:.0} s behind the primary (the limit is {:.0} s)",
                lag, self.max_lag_seconds
            ),
            None => "the replica was behind the primary by an unknown time".to_string(),
        };
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.reason = reason.clone();
        if !state.falling_back {
            state.falling_back = true;
            tracing::warn!(
                reason = %reason,
                max_lag_seconds = self.max_lag_seconds,
                "reports fall back to the primary database"
            );
        }
        primary(&reason, lag.map(round_lag))
    }

    fn usable(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.retry_at = None;
        if state.falling_back {
            state.falling_back = false;
            tracing::info!("reports are read from the replica again");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(in_recovery: bool, caught_up: bool, since_replay: Option<f64>) -> Status {
        Status {
            in_recovery,
            replayed_epoch: Some(1_765_000_000.25),
            caught_up,
            since_replay,
        }
    }

    #[test]
    fn a_caught_up_replica_has_no_lag_however_old_its_last_change() {
        assert_eq!(status(true, true, Some(7200.0)).lag_seconds(), Some(0.0));
    }

    #[test]
    fn a_replica_behind_lags_by_the_time_since_its_last_replayed_change() {
        assert_eq!(status(true, false, Some(412.5)).lag_seconds(), Some(412.5));
        assert_eq!(status(true, false, None).lag_seconds(), None);
        // Clocks a little apart never make a negative lag.
        assert_eq!(status(true, false, Some(-0.2)).lag_seconds(), Some(0.0));
    }

    #[test]
    fn a_database_not_in_recovery_is_not_behind() {
        assert_eq!(status(false, false, None).lag_seconds(), Some(0.0));
    }

    #[test]
    fn the_replay_time_is_kept_to_the_microsecond() {
        let at = status(true, true, None).replayed_at().unwrap();
        assert_eq!(at.to_rfc3339(), "2025-12-06T05:46:40.250+00:00");
    }

    #[test]
    fn a_replica_url_needs_postgres_on_both_sides() {
        let mut settings = Settings::for_database("sqlite://x.db");
        settings.reporting_database_url = Some("postgres://u@127.0.0.1:1/db".into());
        let err = Reporting::from_settings(&settings, Backend::Sqlite)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("REPORTING_DATABASE_URL"), "{err}");
        settings.reporting_database_url = Some("sqlite://y.db".into());
        assert!(Reporting::from_settings(&settings, Backend::Postgres).is_err());
        settings.reporting_database_url = Some("  ".into());
        assert!(!Reporting::from_settings(&settings, Backend::Sqlite)
            .unwrap()
            .is_configured());
    }

    #[test]
    fn the_bound_is_inclusive_and_an_unknown_lag_is_past_it() {
        assert!(within(Some(0.0), 0.0));
        assert!(within(Some(300.0), 300.0));
        assert!(!within(Some(300.001), 300.0));
        assert!(!within(None, 300.0));
    }

    #[test]
    fn a_replica_that_lags_past_the_bound_is_not_read() {
        let mut settings = Settings::for_database("postgres://u@127.0.0.1:1/db");
        settings.reporting_database_url = Some("postgres://u@127.0.0.1:1/replica".into());
        settings.reporting_max_lag_seconds = 30;
        let reporting = Reporting::from_settings(&settings, Backend::Postgres).unwrap();
        let replica = reporting.replica.as_ref().unwrap();
        let read_from = replica.lagging(Some(31.0));
        assert_eq!(read_from.database, "primary");
        assert_eq!(read_from.lag_seconds, Some(31.0));
        assert_eq!(
            read_from.fallback.as_deref(),
            Some("the replica was 31 s behind the primary (the limit is 30 s)")
        );
        assert!(replica.state.lock().unwrap().falling_back);
        replica.usable();
        assert!(!replica.state.lock().unwrap().falling_back);
    }
}
