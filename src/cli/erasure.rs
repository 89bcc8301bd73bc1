//! The data protection commands (docs/erasure-and-retention.md): `participant erase`,
//! `participant export`, `retention` (`--dry-run`, `--apply`, `set`), `hold`
//! (`set`, `lift`, `list`) and `report archive` (`list`, `show`).

use anyhow::Context;
use chrono::NaiveDate;

use super::open;
use crate::casework::erasure::{self, Eraser};
use crate::casework::subject_access::{self, Requester};
use crate::casework::{retention, CaseError};
use crate::config::Settings;
use crate::domain::enums::{AuditAction, ErasureReason};
use crate::domain::ids::{ParticipantId, ProgrammeId};
use crate::domain::retention::describe_months;
use crate::store::{self, audit, erasures, report_archive};

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// A case error in words for the terminal.
fn explain(e: CaseError) -> anyhow::Error {
    match e {
        CaseError::Invalid(errors) => anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ")
        ),
        CaseError::NotFound => anyhow::anyhow!("there is no such participant"),
        other => anyhow::anyhow!("{other}"),
    }
}

fn participant(
    conn: &mut crate::db::DbConn,
    organisation: &str,
    reference: &str,
) -> anyhow::Result<ParticipantId> {
    let org = store::organisations::find_by_name(conn, organisation)?
        .with_context(|| format!("there is no organisation named '{organisation}'"))?;
    erasures::participant_by_reference(conn, org.id, reference)?.with_context(|| {
        format!(
            "'{}' has no participant with the case reference '{}'",
            org.name,
            reference.trim()
        )
    })
}

/// `outcomes participant erase --organisation O --reference R --reason request|retention
/// [--override-hold REASON]`.
pub fn erase(
    settings: &Settings,
    organisation: &str,
    reference: &str,
    reason: ErasureReason,
    override_hold: Option<&str>,
) -> anyhow::Result<()> {
    let mut conn = open(settings)?;
    let id = participant(&mut conn, organisation, reference)?;
    let done = erasure::erase(
        &mut conn,
        Eraser::Operator,
        id,
        reason,
        override_hold,
        today(),
    )
    .map_err(explain)?;
    println!(
        "erased: {} (erasure record {}, reason {})",
        done.counts.describe(),
        done.id,
        done.reason
    );
    Ok(())
}

/// `outcomes participant export --organisation O --reference R [--format json|pdf]
/// --output FILE`.
pub fn export(
    settings: &Settings,
    organisation: &str,
    reference: &str,
    format: &str,
    output: &std::path::Path,
) -> anyhow::Result<()> {
    let mut conn = open(settings)?;
    let id = participant(&mut conn, organisation, reference)?;
    let export =
        subject_access::export(&mut conn, Requester::Operator, id, format).map_err(explain)?;
    let bytes = match format {
        "pdf" => crate::reports::render_subject_access(&export)?,
        _ => {
            let mut text = serde_json::to_string_pretty(&export)?;
            text.push('\n');
            text.into_bytes()
        }
    };
    std::fs::write(output, bytes).with_context(|| format!("writing {}", output.display()))?;
    eprintln!(
        "wrote {}: {} referrals, {} attendance lines, {} outcome records, {} history entries",
        output.display(),
        export.referrals.len(),
        export.attendance.len(),
        export.outcome_records.len(),
        export.history.len()
    );
    Ok(())
}

/// `outcomes retention --dry-run` (`apply` false) or `--apply`, as of `as_of` (today by
/// default; `--apply` refuses a later day).
pub fn run(settings: &Settings, apply: bool, as_of: Option<NaiveDate>) -> anyhow::Result<()> {
    let day = as_of.unwrap_or_else(today);
    if apply && day > today() {
        anyhow::bail!("--apply erases as of today or earlier, not {day}: use --dry-run to see what a later day would erase");
    }
    let mut conn = open(settings)?;
    let print = |d: &retention::Due, what: &str| {
        let held = if d.held_by.is_empty() {
            String::new()
        } else {
            format!(
                "  kept by an evaluation hold: {}",
                d.held_by
                    .iter()
                    .map(|h| format!("{} until {}", h.programme, h.ends_on))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        println!(
            "{what}\t{}\t{}\tlast activity {}\tretention {} ended {}{held}",
            d.organisation,
            d.reference,
            d.last_activity,
            describe_months(d.retention_months),
            d.retention_end
        );
    };
    if apply {
        let done = retention::apply(&mut conn, day).map_err(explain)?;
        for d in &done.erased {
            print(d, "erased");
        }
        for d in &done.held {
            print(d, "held");
        }
        println!(
            "{} participant(s) erased (reason retention); {} kept by an evaluation hold",
            done.erased.len(),
            done.held.len()
        );
    } else {
        let plan = retention::plan(&mut conn, day)?;
        for d in &plan {
            print(
                d,
                if d.held_by.is_empty() {
                    "erase"
                } else {
                    "held"
                },
            );
        }
        let held = plan.iter().filter(|d| !d.held_by.is_empty()).count();
        println!(
            "{} participant(s) would be erased as of {day}; {held} kept by an evaluation hold (dry run: nothing changed)",
            plan.len() - held
        );
    }
    Ok(())
}

fn programme(
    conn: &mut crate::db::DbConn,
    name: &str,
    organisation: Option<&str>,
) -> anyhow::Result<ProgrammeId> {
    let target = super::ReportTarget::Programme { name, organisation };
    match super::resolve_target(conn, &target)? {
        (store::report_rows::ReportScope::Programme(id), _) => Ok(id),
        _ => unreachable!("a programme target resolves to a programme"),
    }
}

/// `outcomes retention set --programme P [--organisation O] --months N`.
pub fn set_period(
    settings: &Settings,
    name: &str,
    organisation: Option<&str>,
    months: i32,
) -> anyhow::Result<()> {
    if !(1..=1200).contains(&months) {
        anyhow::bail!("the retention period is 1 to 1200 months, not {months}");
    }
    let mut conn = open(settings)?;
    let id = programme(&mut conn, name, organisation)?;
    store::write_transaction(&mut conn, |conn| {
        store::retention::set_period(conn, id, months, None)?;
        audit::record(
            conn,
            audit::NewEvent::new(AuditAction::Update, "programme")
                .entity_id(id.0)
                .fields(&["retention_months"])
                .detail(format!("retention_months={months} via=cli")),
        )?;
        Ok::<_, store::StoreError>(())
    })?;
    println!(
        "'{name}' now keeps participants' records for {} after their last activity",
        describe_months(months)
    );
    Ok(())
}

/// `outcomes hold set --programme P [--organisation O] --until DATE --reason R`.
pub fn set_hold(
    settings: &Settings,
    name: &str,
    organisation: Option<&str>,
    until: NaiveDate,
    reason: &str,
) -> anyhow::Result<()> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        anyhow::bail!("give the hold's reason, at most 500 characters");
    }
    if until < today() {
        anyhow::bail!("the hold's end date {until} has passed");
    }
    let mut conn = open(settings)?;
    let id = programme(&mut conn, name, organisation)?;
    crate::casework::holds::set(&mut conn, None, id, until, reason).map_err(explain)?;
    println!("'{name}' is under an evaluation hold until {until}");
    Ok(())
}

/// `outcomes hold lift --programme P [--organisation O]`.
pub fn lift_hold(
    settings: &Settings,
    name: &str,
    organisation: Option<&str>,
) -> anyhow::Result<()> {
    let mut conn = open(settings)?;
    let id = programme(&mut conn, name, organisation)?;
    if crate::casework::holds::lift(&mut conn, None, id).map_err(explain)? {
        println!("the evaluation hold on '{name}' is lifted");
    } else {
        println!("'{name}' had no evaluation hold");
    }
    Ok(())
}

/// `outcomes hold list`.
pub fn list_holds(settings: &Settings) -> anyhow::Result<()> {
    let mut conn = open(settings)?;
    let holds = store::retention::holds(&mut conn)?;
    if holds.is_empty() {
        println!("no programme is under an evaluation hold");
    }
    for h in holds {
        let name = store::programmes::find(&mut conn, h.programme_id)?
            .map(|p| p.fields.name)
            .unwrap_or_default();
        let state = if crate::domain::retention::hold_in_force(h.ends_on, today()) {
            "in force"
        } else {
            "ended"
        };
        println!("{name}\tuntil {}\t{state}\t{}", h.ends_on, h.reason);
    }
    Ok(())
}

/// `outcomes report archive list`.
pub fn archive_list(settings: &Settings) -> anyhow::Result<()> {
    let mut conn = open(settings)?;
    let entries = report_archive::list(&mut conn)?;
    if entries.is_empty() {
        println!("the report archive is empty");
    }
    for e in entries {
        println!(
            "{}\t{}\t{}\t{}..{}\t{}\t{}\tinput sha256 {}",
            e.id,
            e.archived_at.format("%Y-%m-%d %H:%M:%S"),
            e.scope_name,
            e.period_from,
            e.period_to,
            e.mode,
            e.audience,
            e.input_sha256
        );
    }
    Ok(())
}

/// `outcomes report archive show ID`: the entry, its figures, and the erasures recorded
/// since it was archived (counts only).
pub fn archive_show(settings: &Settings, id: i64) -> anyhow::Result<()> {
    let mut conn = open(settings)?;
    let entry = match report_archive::find(&mut conn, id) {
        Ok(e) => e,
        Err(store::StoreError::NotFound) => anyhow::bail!("there is no archive entry {id}"),
        Err(e) => return Err(e.into()),
    };
    let since = erasures::since(&mut conn, Some(entry.archived_at))?;
    print!("{}", describe_entry(&entry, &since));
    println!("figures:");
    println!("{}", serde_json::to_string_pretty(&entry.figures)?);
    Ok(())
}

/// The text of `archive show` above the figures: what the entry is, and why regenerating
/// it may give other figures.
pub fn describe_entry(entry: &report_archive::Entry, since: &[erasures::Erasure]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "archive entry {}", entry.id);
    let _ = writeln!(out, "report: {} ({})", entry.scope_name, entry.scope);
    let _ = writeln!(out, "period: {} to {}", entry.period_from, entry.period_to);
    let _ = writeln!(
        out,
        "archived: {} UTC ({} by {} as {})",
        entry.archived_at.format("%Y-%m-%d %H:%M:%S"),
        entry.mode,
        entry.via,
        entry.format
    );
    let _ = writeln!(out, "audience: {}", entry.audience);
    let _ = writeln!(out, "parameters: {}", entry.parameters);
    let _ = writeln!(out, "input sha256: {}", entry.input_sha256);
    let touching = since
        .iter()
        .filter(|e| e.counts.referrals_of(&entry.programme_ids) > 0)
        .count();
    if since.is_empty() {
        let _ = writeln!(
            out,
            "no erasures since it was archived: regenerating it from the same data gives the same figures"
        );
    } else {
        let _ = writeln!(
            out,
            "erasures since it was archived: {} ({} touching its programmes); regenerating it may give different figures",
            since.len(),
            touching
        );
        for e in since {
            let of_these = e.counts.referrals_of(&entry.programme_ids);
            let _ = writeln!(
                out,
                "  erasure {} on {} ({}): {}; {} of this report's programmes",
                e.id,
                e.erased_at.format("%Y-%m-%d"),
                e.reason.display_label().to_lowercase(),
                e.counts.describe(),
                if of_these == 1 {
                    "1 referral".to_string()
                } else {
                    format!("{of_these} referrals")
                }
            );
        }
    }
    out
}

/// `serve` with `OUTCOMES_RETENTION=on`: the retention run a minute after start (the
/// service has migrated the database by then) and then every 24 hours, on a thread of its own with its own connection. Logs counts, never who.
/// Several instances may each run it: an erasure holds the write lock, and a participant
/// another run erased first is simply gone.
pub fn spawn_daily(settings: &Settings) {
    let settings = settings.clone();
    let started = std::thread::Builder::new()
        .name("retention".into())
        .spawn(move || loop {
            std::thread::sleep(std::time::Duration::from_secs(60));
            match open(&settings)
                .and_then(|mut conn| retention::apply(&mut conn, today()).map_err(explain))
            {
                Ok(done) => tracing::info!(
                    erased = done.erased.len(),
                    held = done.held.len(),
                    "retention run"
                ),
                Err(e) => tracing::error!(error = %e, "retention run failed"),
            }
            std::thread::sleep(std::time::Duration::from_secs(24 * 60 * 60 - 60));
        });
    if let Err(e) = started {
        tracing::error!(error = %e, "the daily retention run could not start");
    }
}
