//! The retention run: which participants' retention has ended (`plan`, what
//! `outcomes retention --dry-run` lists) and erasing exactly those (`apply`, with reason
//! `retention`, each erasure audited). The rules are in `domain::retention`.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::erasure::{self, Eraser, HeldBy};
use super::CaseError;
use crate::db::DbConn;
use crate::domain::enums::ErasureReason;
use crate::domain::ids::ParticipantId;
use crate::domain::retention::{is_due, last_activity, period_of, retention_end};
use crate::store::{organisations, retention, StoreError};

/// A participant whose retention has ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Due {
    pub participant_id: ParticipantId,
    pub reference: String,
    pub organisation: String,
    pub last_activity: NaiveDate,
    pub retention_months: i32,
    pub retention_end: NaiveDate,
    /// Evaluation holds that keep them for now (they are not erased while any applies).
    pub held_by: Vec<HeldBy>,
}

/// Every participant whose retention has ended on `today`, by organisation and reference.
pub fn plan(conn: &mut DbConn, today: NaiveDate) -> Result<Vec<Due>, StoreError> {
    let periods = retention::periods(conn)?;
    let names: HashMap<_, _> = organisations::list(conn)?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let mut due = Vec::new();
    for a in retention::activity(conn, None)? {
        let months = period_of(a.programmes.iter().map(|p| {
            periods
                .get(p)
                .copied()
                .unwrap_or(crate::domain::retention::DEFAULT_RETENTION_MONTHS)
        }));
        let last = last_activity(a.registered_on, a.dates.iter().copied());
        let end = retention_end(last, months);
        if !is_due(end, today) {
            continue;
        }
        let held_by = erasure::holds_on(conn, a.participant, today)?;
        due.push(Due {
            participant_id: a.participant,
            reference: a.reference,
            organisation: names.get(&a.organisation_id).cloned().unwrap_or_default(),
            last_activity: last,
            retention_months: months,
            retention_end: end,
            held_by,
        });
    }
    due.sort_by(|x, y| (&x.organisation, &x.reference).cmp(&(&y.organisation, &y.reference)));
    Ok(due)
}

/// What `apply` did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Applied {
    /// The participants erased (as the plan listed them).
    pub erased: Vec<Due>,
    /// Due but kept by an evaluation hold.
    pub held: Vec<Due>,
}

/// Erases every participant `plan` lists that no hold keeps, each as its own erasure
/// (reason `retention`) in its own transaction.
pub fn apply(conn: &mut DbConn, today: NaiveDate) -> Result<Applied, CaseError> {
    let mut applied = Applied::default();
    for due in plan(conn, today)? {
        if !due.held_by.is_empty() {
            applied.held.push(due);
            continue;
        }
        match erasure::erase(
            conn,
            Eraser::Retention,
            due.participant_id,
            ErasureReason::Retention,
            None,
            today,
        ) {
            Ok(_) => applied.erased.push(due),
            // Erased meanwhile (another instance's run): nothing left to do.
            Err(CaseError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(applied)
}
