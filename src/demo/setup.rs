//! The demo's fixed records: organisations, programmes, measures, funding streams with
//! their allocations, targets per programme and financial year, and the police extract's
//! import batch (its row count is set last, marking the demo as finished).

use std::collections::HashMap;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use super::catalogue::{Plan, ProgrammeSpec, MEASURES, ORGANISATIONS, PROGRAMMES, STREAMS};
use super::{DemoCounts, DemoError, DemoOptions, World, DEMO_EXTRACT};
use crate::db::DbConn;
use crate::domain::enums::ImportKind;
use crate::domain::ids::{FundingStreamId, MeasureId, ProgrammeId};
use crate::domain::period::FinancialYear;
use crate::domain::person_key::PersonKeySecret;
use crate::store::import_batches::NewBatch;
use crate::store::measures::MeasureFields;
use crate::store::programmes::ProgrammeFields;
use crate::store::{self, StoreError};

pub(super) fn create(
    conn: &mut DbConn,
    options: &DemoOptions,
    secret: &PersonKeySecret,
    counts: &mut DemoCounts,
) -> Result<World, DemoError> {
    let current = FinancialYear::containing(options.as_of);
    let years: Vec<FinancialYear> = (current.start_year() - 2..=current.start_year())
        .map(FinancialYear::starting)
        .collect();
    let mut organisations = HashMap::new();
    for (name, kind) in ORGANISATIONS {
        organisations.insert(*name, store::organisations::create(conn, name, *kind)?.id);
        counts.organisations += 1;
    }
    let mut world = World {
        seed: options.seed,
        multiplier: options.scale.multiplier(),
        as_of: options.as_of,
        window_start: years[0].first_day(),
        years,
        secret: secret.clone(),
        organisations,
        programmes: Vec::new(),
        measures: measures(conn, counts)?,
        offence_batch: offence_batch(conn, options)?,
    };
    for spec in PROGRAMMES {
        let organisation = world.organisations[spec.organisation];
        let id = store::programmes::insert(conn, organisation, &programme_fields(spec))?;
        let framework: Vec<MeasureId> = super::catalogue::framework(spec)
            .iter()
            .map(|d| world.measures[d.0])
            .collect();
        store::measures::set_framework(conn, id, &framework)?;
        world.programmes.push(id);
        counts.programmes += 1;
    }
    funding(conn, &world, counts)?;
    targets(conn, &world, counts)?;
    Ok(world)
}

/// Quarterly returns, so that the pages and the dashboard show statuses: every quarter of
/// each programme that ended before the last complete one is approved (submitted 20 days
/// after it ended, approved 10 days later); the last complete quarter is submitted and
/// waits for a decision; the current quarter has none. Dates follow `as_of` only.
fn returns(conn: &mut DbConn, world: &World) -> Result<(), StoreError> {
    use crate::domain::enums::ReturnStatus;
    use crate::domain::period::Quarter;
    let current = Quarter::containing(world.as_of);
    for (spec, id) in PROGRAMMES.iter().zip(&world.programmes) {
        let quarters =
            crate::domain::returns::quarters_to_return(world.as_of, world.first_day(spec), None);
        let complete: Vec<Quarter> = quarters.into_iter().filter(|q| *q != current).collect();
        for (i, q) in complete.iter().enumerate() {
            let status = if i == 0 {
                ReturnStatus::Submitted
            } else {
                ReturnStatus::Approved
            };
            let submitted = (q.last_day() + chrono::Days::new(20))
                .and_hms_opt(12, 0, 0)
                .unwrap_or_default();
            store::quarterly_returns::insert_history(conn, *id, *q, status, submitted)?;
        }
    }
    Ok(())
}

fn programme_fields(spec: &ProgrammeSpec) -> ProgrammeFields {
    let (y, m, d) = spec.starts_on;
    ProgrammeFields {
        name: spec.name.to_string(),
        kind: spec.kind,
        delivery: spec.delivery,
        min_age: Some(spec.ages.0),
        max_age: spec.ages.1,
        starts_on: NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN),
        ends_on: None,
        description: spec.description.to_string(),
    }
}

/// Measures are shared by every organisation: reuse one that exists by name.
fn measures(
    conn: &mut DbConn,
    counts: &mut DemoCounts,
) -> Result<HashMap<&'static str, MeasureId>, StoreError> {
    let existing = store::measures::all(conn)?;
    let mut ids = HashMap::new();
    for (name, min, max, higher_is_better) in MEASURES {
        let id = match existing.iter().find(|m| m.fields.name == *name) {
            Some(m) => m.id,
            None => {
                counts.measures += 1;
                store::measures::insert(
                    conn,
                    &MeasureFields {
                        name: name.to_string(),
                        min: *min,
                        max: *max,
                        higher_is_better: *higher_is_better,
                    },
                )?
            }
        };
        ids.insert(*name, id);
    }
    Ok(ids)
}

/// The batch every demo offence belongs to. Its SHA-256 identifies the generator's
/// inputs (there is no file), so two demos with the same inputs share it.
fn offence_batch(
    conn: &mut DbConn,
    options: &DemoOptions,
) -> Result<crate::domain::ids::ImportBatchId, StoreError> {
    let descriptor = format!(
        "outcomes demo: scale={} seed={} as_of={}",
        options.scale, options.seed, options.as_of
    );
    let sha256 = hex::encode(Sha256::digest(descriptor.as_bytes()));
    store::import_batches::insert(
        conn,
        &NewBatch {
            organisation_id: None,
            kind: ImportKind::Offences,
            file_name: DEMO_EXTRACT,
            sha256: &sha256,
            rows_total: 0,
            rows_inserted: 0,
            rows_updated: 0,
            rows_unchanged: 0,
            extract_date: Some(options.as_of),
            created_by: None,
        },
    )
}

fn pence(world: &World, pounds: i64) -> i64 {
    (pounds as f64 * world.multiplier).round() as i64 * 100
}

/// One stream per name and financial year, allocated to the programmes running that year.
fn funding(conn: &mut DbConn, world: &World, counts: &mut DemoCounts) -> Result<(), StoreError> {
    for year in &world.years {
        for (name, funder, pounds) in STREAMS {
            let stream: FundingStreamId = store::funding_streams::insert(
                conn,
                &format!("{name} {year}"),
                funder,
                &year.to_string(),
                pence(world, *pounds),
            )?;
            counts.funding_streams += 1;
            for (spec, programme) in running(world, *year) {
                for (_, amount) in spec.funding.iter().filter(|(s, _)| s == name) {
                    store::funding_streams::allocate(
                        conn,
                        stream,
                        programme,
                        pence(world, *amount),
                    )?;
                    counts.allocations += 1;
                }
            }
        }
    }
    Ok(())
}

/// The programmes that have started by the end of `year`.
fn running(
    world: &World,
    year: FinancialYear,
) -> impl Iterator<Item = (&'static ProgrammeSpec, ProgrammeId)> + '_ {
    PROGRAMMES
        .iter()
        .zip(world.programmes.iter().copied())
        .filter(move |(spec, _)| world.first_day(spec) <= year.last_day())
}

/// Referrals a programme expects in a whole year, at this scale.
pub(super) fn yearly_referrals(spec: &ProgrammeSpec, multiplier: f64) -> f64 {
    match spec.plan {
        Plan::Cohort {
            size, every_days, ..
        } => f64::from(size) * 365.25 / every_days as f64 * multiplier,
        _ => spec.per_year * multiplier,
    }
}

/// Contracted targets: a little above what the generator expects, so that the demo
/// shows green, amber and red statuses.
fn targets(conn: &mut DbConn, world: &World, counts: &mut DemoCounts) -> Result<(), StoreError> {
    for year in &world.years {
        let fy = year.to_string();
        for (spec, programme) in running(world, *year) {
            // A programme starting during the year is contracted for the rest of it.
            let first = world.first_day(spec).max(year.first_day());
            let share = ((year.last_day() - first).num_days() + 1) as f64 / 365.0;
            let referrals = yearly_referrals(spec, world.multiplier) * share.min(1.0);
            let mut rows: Vec<(&str, f64)> = Vec::new();
            if referrals > 0.0 {
                let completed =
                    referrals * spec.accept * spec.closure[0] / spec.closure.iter().sum::<f64>();
                rows.push(("referrals_received", round_to(referrals * 1.05, 5.0)));
                rows.push(("completed", round_to(completed, 5.0)));
            }
            for (metric, value) in spec.extra_targets {
                let scaled = if metric.ends_with("_rate") {
                    *value
                } else {
                    (value * world.multiplier * share.min(1.0)).round()
                };
                rows.push((metric, scaled));
            }
            for (metric, value) in rows {
                store::targets::insert(conn, programme, &fy, metric, value)?;
                counts.targets += 1;
            }
        }
    }
    Ok(())
}

fn round_to(x: f64, step: f64) -> f64 {
    ((x / step).round() * step).max(step)
}

/// Sets the extract's row count (marking the demo finished) and moves PostgreSQL's
/// identity sequences past the ids the demo assigned.
pub(super) fn finish(conn: &mut DbConn, world: &World, offences: u64) -> Result<(), StoreError> {
    returns(conn, world)?;
    let n = offences as i64;
    store::import_batches::set_counts(conn, world.offence_batch, n, n)?;
    store::sync_id_sequences(conn, super::rows::ID_TABLES)
}
