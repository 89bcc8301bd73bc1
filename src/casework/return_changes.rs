//! What changed in a quarter since its return was last approved (docs/casework.md,
//! "Re-approval"): the quarter's engagement figures at the approval, kept in the approve
//! event's detail (`figures=`), against the figures now; and the records of the
//! programme dated in the quarter that were created, changed, voided, restored or merged
//! since, read from the audit trail (one source of truth).

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::db::DbConn;
use crate::domain::enums::AuditAction;
use crate::domain::ids::{ProgrammeId, ReturnId};
use crate::domain::period::Quarter;
use crate::domain::returns::parse_quarter;
use crate::store::report_rows::{self, ReportScope};
use crate::store::voids::{self, RecordKind};
use crate::store::{audit, quarterly_returns, users, StoreError};

use super::{CaseError, Ctx};

/// Where the figures start in an approve event's detail.
const FIGURES: &str = " figures=";

/// The engagement figures (DESIGN.md 4.1) of a programme in a quarter, by name.
pub fn quarter_figures(
    conn: &mut DbConn,
    programme: ProgrammeId,
    quarter: Quarter,
) -> Result<Map<String, Value>, StoreError> {
    let period = crate::evaluation::DateRange {
        from: quarter.first_day(),
        to: quarter.last_day(),
    };
    period_figures(conn, programme, period)
}

/// The engagement figures (DESIGN.md 4.1) of a programme in a period, by name: casework
/// figures only, nothing derived from police data.
pub fn period_figures(
    conn: &mut DbConn,
    programme: ProgrammeId,
    period: crate::evaluation::DateRange,
) -> Result<Map<String, Value>, StoreError> {
    let inputs = report_rows::load(
        conn,
        None,
        ReportScope::Programme(programme),
        &period,
        12,
        6,
    )?;
    let figures = crate::evaluation::engagement::engagement(
        period,
        &inputs.referrals,
        &inputs.sessions,
        &inputs.attendance,
    );
    Ok(match serde_json::to_value(figures) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    })
}

/// The text appended to an approve event's detail: the figures approved.
pub fn figures_detail(figures: &Map<String, Value>) -> String {
    format!("{FIGURES}{}", Value::Object(figures.clone()))
}

/// The figures an approve event kept (`None` for approvals made before they were kept).
fn figures_of(detail: &str) -> Option<Map<String, Value>> {
    detail
        .find(FIGURES)
        .and_then(|at| serde_json::from_str::<Value>(&detail[at + FIGURES.len()..]).ok())
        .and_then(|v| v.as_object().cloned())
}

/// A figure that moved.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FigureChange {
    /// The engagement figure's name (docs/methodology.md), e.g. `referrals_received`.
    pub figure: String,
    /// Its value when the return was approved (null: none, e.g. a rate of nothing).
    #[schema(value_type = Option<f64>)]
    pub approved: Value,
    /// Its value now.
    #[schema(value_type = Option<f64>)]
    pub now: Value,
}

/// A change to a record of the quarter, from the audit trail.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordChange {
    /// RFC 3339 UTC.
    #[serde(serialize_with = "voids::rfc3339_utc")]
    pub at: NaiveDateTime,
    pub kind: RecordKind,
    pub id: i64,
    /// create, update, void, restore, merge, unmerge …
    pub action: String,
    pub fields: Vec<String>,
    pub reason: Option<String>,
    /// The name of who made it.
    pub by: String,
}

/// What changed since the return was last approved.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReturnChanges {
    pub return_id: ReturnId,
    pub quarter: String,
    /// When it was last approved (RFC 3339 UTC); null when it never was (then there is
    /// nothing to compare and both lists are empty).
    pub approved_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether the approval kept the quarter's figures (approvals made before this was
    /// built did not: then `figures` is empty).
    pub figures_kept: bool,
    /// The engagement figures of the quarter that differ from the approved ones.
    pub figures: Vec<FigureChange>,
    /// The records of the programme dated in the quarter changed since, oldest first.
    pub records: Vec<RecordChange>,
}

const ENTITIES: &[&str] = &["referral", "session", "outcome_record", "group_survey"];

fn kind_of(entity: &str) -> Option<RecordKind> {
    Some(match entity {
        "referral" => RecordKind::Referral,
        "session" => RecordKind::Session,
        "outcome_record" => RecordKind::OutcomeRecord,
        "group_survey" => RecordKind::GroupSurvey,
        _ => return None,
    })
}

/// Whether a date string of an event's changes (old or new) is in the quarter.
fn changed_into(changes: &Value, quarter: Quarter) -> bool {
    let Some(o) = changes.as_object() else {
        return false;
    };
    o.values().any(|c| {
        ["old", "new"].iter().any(|k| {
            c.get(*k)
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<chrono::NaiveDate>().ok())
                .is_some_and(|d| quarter.first_day() <= d && d <= quarter.last_day())
        })
    })
}

/// What changed in the return's quarter since it was last approved.
pub fn since_approval(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: ReturnId,
) -> Result<ReturnChanges, CaseError> {
    let r = quarterly_returns::find(conn, ctx.actor.scope(), id)?;
    let quarter = parse_quarter(&r.quarter).ok_or(CaseError::NotFound)?;
    let mut changes = ReturnChanges {
        return_id: id,
        quarter: r.quarter.clone(),
        approved_at: None,
        figures_kept: false,
        figures: Vec::new(),
        records: Vec::new(),
    };
    let events = audit::of_record(conn, "quarterly_return", &id.to_string())?;
    let Some(approval) = events
        .iter()
        .rev()
        .find(|e| e.action == AuditAction::Approve.as_str())
    else {
        return Ok(changes);
    };
    changes.approved_at = Some(approval.occurred_at.and_utc());
    let approved = figures_of(&approval.detail);
    changes.figures_kept = approved.is_some();
    let approved = approved.unwrap_or_default();
    let now = if changes.figures_kept {
        quarter_figures(conn, r.programme_id, quarter)?
    } else {
        Map::new()
    };
    for (name, value) in &now {
        let then = approved.get(name).cloned().unwrap_or(Value::Null);
        if !same(&then, value) {
            changes.figures.push(FigureChange {
                figure: name.clone(),
                approved: then,
                now: value.clone(),
            });
        }
    }
    let mut names = std::collections::HashMap::new();
    for e in audit::after(conn, approval.id, ENTITIES)? {
        let (Some(kind), Some(record)) = (
            kind_of(&e.entity),
            e.entity_id.as_deref().and_then(|i| i.parse::<i64>().ok()),
        ) else {
            continue;
        };
        let dates = match voids::dates(conn, kind, record) {
            Ok(d) => d,
            Err(StoreError::NotFound)
            | Err(StoreError::Database(diesel::result::Error::NotFound)) => continue,
            Err(e) => return Err(e.into()),
        };
        if !dates.iter().any(|(p, _, _)| *p == r.programme_id) {
            continue;
        }
        let detail: Value = serde_json::from_str(&e.detail).unwrap_or(Value::Null);
        let dated_in = dates
            .iter()
            .any(|(_, _, d)| quarter.first_day() <= *d && *d <= quarter.last_day());
        if !dated_in && !changed_into(&detail["changes"], quarter) {
            continue;
        }
        let by = match e.user_id {
            None => String::new(),
            Some(u) => names
                .entry(u)
                .or_insert_with(|| {
                    users::find(conn, crate::domain::ids::UserId(u))
                        .map(|u| u.display_name)
                        .unwrap_or_default()
                })
                .clone(),
        };
        changes.records.push(RecordChange {
            at: e.occurred_at,
            kind,
            id: record,
            action: e.action,
            fields: e
                .changed_fields
                .split(',')
                .filter(|f| !f.is_empty())
                .map(str::to_string)
                .collect(),
            reason: detail
                .get("reason")
                .and_then(Value::as_str)
                .map(str::to_string),
            by,
        });
    }
    Ok(changes)
}

/// Figures are equal when their numbers are (1 and 1.0 alike).
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-9,
        _ => a == b,
    }
}
