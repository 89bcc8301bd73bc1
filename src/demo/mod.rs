//! `outcomes demo`: a deterministic, wholly synthetic dataset modelled on the programmes of
//! the seed documents — organisations, programmes, funding and targets, participants and
//! referrals through their lifecycle, sessions and attendance, outcome measures, school
//! group surveys and a police offence extract with realistic reoffending. See docs/demo.md.
//!
//! Determinism: the rows depend only on the seed, the scale, the as-of date and the
//! person-key secret (person keys are HMACs of synthetic police identifiers, which are
//! never stored). Every random draw comes from a ChaCha8 stream of the seed named by its
//! purpose, programme and chunk; the calendar is anchored to the as-of date (by default
//! the first day of the current month), never to the clock.
//!
//! Memory stays bounded at every scale: people are generated and inserted in chunks, one
//! transaction per chunk, with multi-row inserts and ids assigned here (the demo only
//! seeds an empty database, see [`DatabaseState`]).

mod catalogue;
mod offending;
mod people;
mod random;
mod rows;
mod schedule;
mod setup;

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::db::DbConn;
use crate::domain::enums::{OrganisationKind, Role};
use crate::domain::ids::{ImportBatchId, MeasureId, OrganisationId, ProgrammeId};
use crate::domain::period::FinancialYear;
use crate::domain::person_key::PersonKeySecret;
use crate::store::organisations::Organisation;
use crate::store::{self, StoreError};

pub use catalogue::{COMMISSIONER, VRU};

/// The file name of the demo's police extract batch; a batch of this name with its row
/// count set marks a completed demo.
pub const DEMO_EXTRACT: &str = "demo-police-extract.csv";

/// How much data to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// About 1,600 referrals: seconds; what a new user tries first.
    Small,
    /// One large force: about 25,000 referrals, 500,000 attendance lines, 300,000
    /// offence records.
    Force,
    /// All of England and Wales: about 1,000,000 referrals, 20,000,000 attendance lines,
    /// 12,000,000 offence records.
    National,
}

impl Scale {
    /// Volumes are the small scale's times this.
    pub fn multiplier(self) -> f64 {
        match self {
            Scale::Small => 1.0,
            Scale::Force => 15.0,
            Scale::National => 600.0,
        }
    }

    /// Offence records of people in no programme: most of a real extract.
    pub fn noise_offences(self) -> u64 {
        match self {
            Scale::Small => 4_000,
            Scale::Force => 240_000,
            Scale::National => 9_600_000,
        }
    }
}

impl std::fmt::Display for Scale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Scale::Small => "small",
            Scale::Force => "force",
            Scale::National => "national",
        })
    }
}

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub scale: Scale,
    pub seed: u64,
    /// The demo's "today": no date is later; the police extract is as of this day.
    pub as_of: NaiveDate,
}

/// The default as-of date: `today` rounded down to the first of its month, so that runs
/// in the same month give the same rows.
pub fn default_as_of(today: NaiveDate) -> NaiveDate {
    today.with_day(1).unwrap_or(today)
}

/// Rows written, per table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DemoCounts {
    pub organisations: u64,
    pub programmes: u64,
    pub funding_streams: u64,
    pub allocations: u64,
    pub targets: u64,
    pub measures: u64,
    pub participants: u64,
    pub referrals: u64,
    pub sessions: u64,
    pub attendance: u64,
    pub outcome_records: u64,
    pub group_surveys: u64,
    pub offence_records: u64,
}

/// What `seed` did. The hook for demo logins: `organisations` lists every demo
/// organisation with its id and kind, and [`DemoSummary::suggested_logins`] names one
/// login per organisation and role. Nothing here creates users — accounts are built
/// separately and can add the logins from this list.
#[derive(Debug, Clone, Serialize)]
pub struct DemoSummary {
    pub scale: Scale,
    pub seed: u64,
    pub as_of: NaiveDate,
    /// True when the demo was already in the database and nothing was written.
    pub already_present: bool,
    pub organisations: Vec<Organisation>,
    pub counts: DemoCounts,
}

/// A login a demo database should offer (not created here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoLogin {
    pub email: String,
    pub role: Role,
    pub organisation: String,
}

impl DemoSummary {
    /// One login per organisation and role: a manager and a caseworker for each provider,
    /// a commissioner and an admin for the OPCC, an analyst for the VRU. Emails use the
    /// reserved `.invalid` domain.
    pub fn suggested_logins(&self) -> Vec<DemoLogin> {
        self.organisations
            .iter()
            .flat_map(|org| {
                let roles: &[(&str, Role)] = match org.kind {
                    OrganisationKind::Provider => &[
                        ("manager", Role::ProviderManager),
                        ("caseworker", Role::Caseworker),
                    ],
                    OrganisationKind::Commissioner => {
                        &[("commissioner", Role::Commissioner), ("admin", Role::Admin)]
                    }
                    OrganisationKind::Vru => &[("analyst", Role::Analyst)],
                };
                let domain = slug(&org.name);
                roles.iter().map(move |(who, role)| DemoLogin {
                    email: format!("{who}@{domain}.demo.invalid"),
                    role: *role,
                    organisation: org.name.clone(),
                })
            })
            .collect()
    }
}

fn slug(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

/// Reports a long run's progress (the command line draws bars; tests stay silent).
pub trait Progress {
    fn phase(&mut self, _name: &str, _total: u64) {}
    fn advance(&mut self, _n: u64) {}
    fn finish(&mut self) {}
}

/// No progress output.
pub struct Silent;
impl Progress for Silent {}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "this database already holds {0}; the demo only seeds an empty database, so that \
         synthetic and real records never mix. Use a new --database-url."
    )]
    NotEmpty(String),
    #[error(
        "an earlier `outcomes demo` on this database did not finish; start again on a new \
         --database-url"
    )]
    Interrupted,
    #[error("the as-of date {as_of} is after today ({today})")]
    AsOfInFuture { as_of: NaiveDate, today: NaiveDate },
    #[error("generated an invalid row (a bug in the demo generator): {0}")]
    Generator(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for DemoError {
    fn from(e: diesel::result::Error) -> Self {
        DemoError::Store(StoreError::Database(e))
    }
}

/// What is in the database already.
#[derive(Debug)]
pub enum DatabaseState {
    Empty,
    /// A finished demo: `seed` exits successfully without writing.
    Seeded(Vec<Organisation>),
    Interrupted,
    /// Real (or other) records: the demo refuses.
    NotEmpty(String),
}

pub fn database_state(conn: &mut DbConn) -> Result<DatabaseState, StoreError> {
    let organisations = store::organisations::list(conn)?;
    let demo: Vec<Organisation> = catalogue::ORGANISATIONS
        .iter()
        .filter_map(|(name, _)| organisations.iter().find(|o| o.name == *name).cloned())
        .collect();
    if demo.len() == catalogue::ORGANISATIONS.len() && demo.len() == organisations.len() {
        let finished = store::import_batches::list(
            conn,
            Some(crate::domain::enums::ImportKind::Offences),
            None,
        )?
        .iter()
        .any(|b| b.file_name == DEMO_EXTRACT && b.rows_total > 0);
        return Ok(if finished {
            DatabaseState::Seeded(demo)
        } else {
            DatabaseState::Interrupted
        });
    }
    if !organisations.is_empty() {
        return Ok(DatabaseState::NotEmpty(format!(
            "{} organisation(s)",
            organisations.len()
        )));
    }
    if !store::funding_streams::all(conn)?.is_empty() {
        return Ok(DatabaseState::NotEmpty("funding streams".into()));
    }
    if store::import_batches::current_offence_extract(conn)?.is_some() {
        return Ok(DatabaseState::NotEmpty("a police offence extract".into()));
    }
    Ok(DatabaseState::Empty)
}

/// Everything the generators share once the fixed records exist.
pub(crate) struct World {
    pub seed: u64,
    pub multiplier: f64,
    pub as_of: NaiveDate,
    /// The first day of the financial year two years before the as-of date's.
    pub window_start: NaiveDate,
    pub years: Vec<FinancialYear>,
    pub secret: PersonKeySecret,
    pub organisations: HashMap<&'static str, OrganisationId>,
    /// Aligned with `catalogue::PROGRAMMES`.
    pub programmes: Vec<ProgrammeId>,
    pub measures: HashMap<&'static str, MeasureId>,
    pub offence_batch: ImportBatchId,
}

impl World {
    /// The first day a programme's referrals and sessions can fall on.
    pub fn first_day(&self, spec: &catalogue::ProgrammeSpec) -> NaiveDate {
        let (y, m, d) = spec.starts_on;
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap_or(self.window_start)
            .max(self.window_start)
    }

    /// Scaled count, at least one.
    pub fn scaled(&self, small: f64) -> u64 {
        ((small * self.multiplier).round() as u64).max(1)
    }
}

/// Seeds the demo, or does nothing if a finished demo is there already.
pub fn seed(
    conn: &mut DbConn,
    options: &DemoOptions,
    secret: &PersonKeySecret,
    today: NaiveDate,
    progress: &mut dyn Progress,
) -> Result<DemoSummary, DemoError> {
    if options.as_of > today {
        return Err(DemoError::AsOfInFuture {
            as_of: options.as_of,
            today,
        });
    }
    let mut summary = DemoSummary {
        scale: options.scale,
        seed: options.seed,
        as_of: options.as_of,
        already_present: false,
        organisations: Vec::new(),
        counts: DemoCounts::default(),
    };
    match database_state(conn)? {
        DatabaseState::Empty => {}
        DatabaseState::Seeded(organisations) => {
            summary.already_present = true;
            summary.organisations = organisations;
            return Ok(summary);
        }
        DatabaseState::Interrupted => return Err(DemoError::Interrupted),
        DatabaseState::NotEmpty(what) => return Err(DemoError::NotEmpty(what)),
    }
    let counts = &mut summary.counts;
    let world =
        crate::store::write_transaction(conn, |c| setup::create(c, options, secret, counts))?;
    let mut ids = rows::Ids::load(conn)?;
    let slots = schedule::create_all(conn, &world, &mut ids, counts, progress)?;
    people::create_all(conn, &world, &slots, &mut ids, counts, progress)?;
    offending::create_noise(
        conn,
        &world,
        options.scale.noise_offences(),
        counts,
        progress,
    )?;
    crate::store::write_transaction(conn, |c| {
        setup::finish(c, &world, counts.offence_records).map_err(DemoError::from)
    })?;
    progress.finish();
    summary.organisations = store::organisations::list(conn)?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_as_of_date_is_the_first_of_the_month() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(default_as_of(d("2026-11-22")), d("2026-11-01"));
        assert_eq!(default_as_of(d("2026-11-01")), d("2026-11-01"));
    }

    #[test]
    fn suggested_logins_cover_every_organisation_without_personal_names() {
        let summary = DemoSummary {
            scale: Scale::Small,
            seed: 1,
            as_of: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            already_present: false,
            organisations: catalogue::ORGANISATIONS
                .iter()
                .enumerate()
                .map(|(i, (name, kind))| Organisation {
                    id: OrganisationId(i as i64 + 1),
                    name: name.to_string(),
                    kind: *kind,
                })
                .collect(),
            counts: DemoCounts::default(),
        };
        let logins = summary.suggested_logins();
        assert!(logins.contains(&DemoLogin {
            email: "manager@chesterfield-fc-community-trust.demo.invalid".into(),
            role: Role::ProviderManager,
            organisation: "Chesterfield FC Community Trust".into(),
        }));
        assert!(logins.iter().any(|l| l.role == Role::Analyst));
        assert!(logins.iter().any(|l| l.role == Role::Commissioner));
        assert_eq!(
            logins.len(),
            2 * 7 + 2 + 1,
            "7 providers, the OPCC and the VRU"
        );
    }
}
