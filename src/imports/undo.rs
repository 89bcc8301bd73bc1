//! Undoing an upload (`outcomes revert-import BATCH`, and the upload history's "Undo"
//! button): every record the batch added is removed, every record it changed gets its
//! fields back, every attendance mark it removed is recorded again — from the changes
//! kept with the batch (`import_changes`, see `changes`). All or nothing, in one
//! transaction, audited record by record (so each record's history shows the undo) and as
//! a whole; the batch stays in the history, marked reverted.
//!
//! Refused, naming each reason, when a later change depends on the batch: a record it
//! added or changed that was changed, voided or merged since (its fields are no longer
//! what the batch left), a record it added that other records now refer to (attendance
//! recorded on a session it created, a referral of a participant it created, …), or when
//! any date it touched is in a quarter whose return is approved.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde_json::Value;

use super::changes::{self, Snapshot};
use crate::db::DbConn;
use crate::domain::enums::{AuditAction, ImportKind};
use crate::domain::ids::{ImportBatchId, OrganisationId, ProgrammeId, ReferralId, UserId};
use crate::store::audit::{self, NewEvent};
use crate::store::import_batches::{self, Batch};
use crate::store::import_changes::{self, Change};
use crate::store::{self, write_transaction, StoreError};

/// What an undo did.
#[derive(Debug, Clone, PartialEq)]
pub struct Reverted {
    pub batch: Batch,
    /// Records the batch had added, now removed.
    pub removed: u64,
    /// Records the batch had changed (or removed), now as they were.
    pub restored: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum RevertError {
    /// No such batch, or not one the caller may undo.
    #[error("there is no import batch {0}")]
    NotFound(i64),
    /// The batch cannot be undone, for these reasons.
    #[error("the upload cannot be undone: {}", .0.join("; "))]
    Refused(Vec<String>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for RevertError {
    fn from(e: diesel::result::Error) -> Self {
        RevertError::Store(StoreError::Database(e))
    }
}

/// Undoes batch `id`. `organisation`: the caller's organisation when it may undo only its
/// own batches (provider managers), `None` for any (admins, the command line).
pub fn revert(
    conn: &mut DbConn,
    id: ImportBatchId,
    organisation: Option<OrganisationId>,
    user: Option<UserId>,
) -> Result<Reverted, RevertError> {
    write_transaction(conn, |conn| {
        let batch = import_batches::find(conn, id)?
            .filter(|b| organisation.is_none() || b.organisation_id == organisation)
            .ok_or(RevertError::NotFound(id.0))?;
        let changes = import_changes::of_batch(conn, id)?;
        refuse_unless_revertible(conn, &batch, &changes)?;
        let (removed, restored) = apply(conn, &batch, &changes, user)?;
        import_changes::set_reverted(conn, id, user)?;
        let mut event = NewEvent::new(AuditAction::Revert, "import_batch")
            .entity_id(id)
            .detail(format!(
                "kind={} removed={removed} restored={restored}",
                batch.kind
            ));
        event.user_id = user;
        event.organisation_id = batch.organisation_id;
        audit::record(conn, event)?;
        let batch = import_batches::find(conn, id)?.ok_or(RevertError::NotFound(id.0))?;
        Ok(Reverted {
            batch,
            removed,
            restored,
        })
    })
}

/// The reasons a batch cannot be undone, if any (shown before the undo is confirmed).
pub fn obstacles(conn: &mut DbConn, batch: &Batch) -> Result<Vec<String>, StoreError> {
    let changes = import_changes::of_batch(conn, batch.id)?;
    match refuse_unless_revertible(conn, batch, &changes) {
        Ok(()) => Ok(Vec::new()),
        Err(RevertError::Refused(reasons)) => Ok(reasons),
        Err(RevertError::Store(e)) => Err(e),
        Err(RevertError::NotFound(_)) => Err(StoreError::NotFound),
    }
}

fn refuse(reason: impl Into<String>) -> RevertError {
    RevertError::Refused(vec![reason.into()])
}

/// How records are named in the reasons: by their references, never by ids alone.
struct Names {
    referrals: HashMap<i64, (String, ProgrammeId)>,
    sessions: HashMap<i64, String>,
    measures: HashMap<i64, String>,
}

impl Names {
    fn load(conn: &mut DbConn, org: Option<OrganisationId>) -> Result<Self, StoreError> {
        let (mut referrals, mut sessions) = (HashMap::new(), HashMap::new());
        if let Some(org) = org {
            for r in store::referrals::of_organisation(conn, org)? {
                referrals.insert(r.id.0, (r.fields.reference, r.fields.programme_id));
            }
            for s in store::sessions::of_organisation(conn, org)? {
                let name = s
                    .fields
                    .reference
                    .clone()
                    .unwrap_or_else(|| format!("S{}", s.id));
                sessions.insert(s.id.0, name);
            }
        }
        let measures = store::measures::all(conn)?
            .into_iter()
            .map(|m| (m.id.0, m.fields.name))
            .collect();
        Ok(Names {
            referrals,
            sessions,
            measures,
        })
    }

    fn referral(&self, id: i64) -> String {
        self.referrals
            .get(&id)
            .map(|(r, _)| r.clone())
            .unwrap_or_else(|| format!("#{id}"))
    }

    /// How a change's record is called, from its fields.
    fn label(&self, entity: &str, fields: &Value) -> String {
        let text = |k: &str| {
            fields
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let int = |k: &str| fields.get(k).and_then(Value::as_i64).unwrap_or(0);
        match entity {
            "participant" => format!("participant {}", text("reference")),
            "referral" => format!("referral {}", text("reference")),
            "session" => format!("session {}", text("reference")),
            "programme" => format!("programme {}", text("name")),
            "measure" => format!("measure {}", text("name")),
            "attendance" => format!(
                "the attendance of referral {} at session {}",
                self.referral(int("referral_id")),
                self.sessions
                    .get(&int("session_id"))
                    .cloned()
                    .unwrap_or_else(|| format!("#{}", int("session_id")))
            ),
            "outcome_record" => format!(
                "the {} {} outcome record of referral {} ({})",
                text("timepoint"),
                self.measures
                    .get(&int("measure_id"))
                    .cloned()
                    .unwrap_or_default(),
                self.referral(int("referral_id")),
                text("recorded_on"),
            ),
            other => format!("{other} #{}", int("id")),
        }
    }

    /// The programme and dates a change touches, for the quarterly-return lock.
    fn dated(&self, entity: &str, fields: &Value) -> Option<(ProgrammeId, Vec<NaiveDate>)> {
        let date = |k: &str| {
            fields
                .get(k)
                .and_then(Value::as_str)
                .and_then(|d| d.parse::<NaiveDate>().ok())
        };
        let programme = fields
            .get("programme_id")
            .and_then(Value::as_i64)
            .map(ProgrammeId);
        match entity {
            "referral" => Some((
                programme?,
                ["referred_on", "decided_on", "closed_on"]
                    .iter()
                    .filter_map(|k| date(k))
                    .collect(),
            )),
            "session" => Some((programme?, date("date").into_iter().collect())),
            "attendance" => Some((programme?, date("session_date").into_iter().collect())),
            "outcome_record" => {
                let referral = fields.get("referral_id").and_then(Value::as_i64)?;
                let (_, programme) = self.referrals.get(&referral)?;
                Some((*programme, date("recorded_on").into_iter().collect()))
            }
            _ => None,
        }
    }
}

fn parse(json: &Option<String>) -> Option<Value> {
    json.as_deref().and_then(|j| serde_json::from_str(j).ok())
}

/// Every reason the batch cannot be undone (all of them, in one refusal).
fn refuse_unless_revertible(
    conn: &mut DbConn,
    batch: &Batch,
    changes: &[Change],
) -> Result<(), RevertError> {
    if let Some(at) = batch.reverted_at {
        return Err(refuse(format!(
            "it was already undone on {}",
            at.format("%-d %B %Y at %H:%M")
        )));
    }
    match batch.kind {
        ImportKind::Offences => {
            return Err(refuse(
                "an offence extract is not undone: the previous extract is put back with `outcomes extract restore` (or \"Restore the previous extract\" on the upload page)",
            ))
        }
        ImportKind::Comparison => {
            return Err(refuse(
                "a comparison group is not undone: upload its previous file again under the same name",
            ))
        }
        _ => {}
    }
    if changes.is_empty() {
        return Err(refuse(
            "it was imported before uploads could be undone, so what it changed was not recorded",
        ));
    }
    let now: Snapshot = changes::snapshot(conn, batch.kind, batch.organisation_id)?;
    let names = Names::load(conn, batch.organisation_id)?;
    let mut reasons = Vec::new();
    let mut dated: Vec<(ProgrammeId, NaiveDate, String)> = Vec::new();
    for ch in changes {
        let (old, new) = (parse(&ch.old), parse(&ch.new));
        let shown = new
            .as_ref()
            .or(old.as_ref())
            .cloned()
            .unwrap_or(Value::Null);
        let label = names.label(&ch.entity, &shown);
        match &new {
            Some(new) => match now.get(&ch.record_id) {
                Some(current) if current == new => {}
                Some(_) => reasons.push(format!("{label} was changed after the upload")),
                None => reasons.push(format!(
                    "{label} was voided, merged or removed after the upload"
                )),
            },
            None => {
                // A mark the batch removed: nothing may have been recorded in its place.
                let key = |v: &Value| (v.get("session_id").cloned(), v.get("referral_id").cloned());
                if let Some(old) = &old {
                    if now.values().any(|v| key(v) == key(old)) {
                        reasons.push(format!("{label} was recorded again after the upload"));
                    }
                }
            }
        }
        if old.is_none() {
            for (what, n) in import_changes::dependants(conn, &ch.entity, ch.record_id)? {
                reasons.push(format!(
                    "{label}, which the upload added, now has {n} {what} recorded after it"
                ));
            }
        }
        for fields in [&old, &new].into_iter().flatten() {
            if let Some((programme, dates)) = names.dated(&ch.entity, fields) {
                for d in dates {
                    dated.push((programme, d, label.clone()));
                }
            }
        }
    }
    let mut programmes: Vec<ProgrammeId> = dated.iter().map(|(p, _, _)| *p).collect();
    programmes.sort();
    programmes.dedup();
    let locks = store::quarterly_returns::locks(conn, &programmes)?;
    let mut locked = std::collections::BTreeSet::new();
    for (programme, date, label) in dated {
        if let Some(quarter) = locks.locked(programme, date) {
            if locked.insert(label.clone()) {
                reasons.push(format!(
                    "{label} is dated {date}, in {}, whose quarterly return is approved (an admin can unlock it)",
                    quarter.long_name()
                ));
            }
        }
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(RevertError::Refused(reasons))
    }
}

/// Puts every record back, last change first; returns (removed, restored).
fn apply(
    conn: &mut DbConn,
    batch: &Batch,
    changes: &[Change],
    user: Option<UserId>,
) -> Result<(u64, u64), RevertError> {
    let (mut removed, mut restored) = (0, 0);
    for ch in changes.iter().rev() {
        let mut event =
            NewEvent::new(AuditAction::Revert, entity_static(&ch.entity)).entity_id(ch.record_id);
        event.user_id = user;
        event.organisation_id = batch.organisation_id;
        match (&ch.old, &ch.new) {
            (None, _) => {
                import_changes::delete_record(conn, &ch.entity, ch.record_id)?;
                removed += 1;
                event = event.detail(format!(
                    "{{\"via\":\"revert\",\"batch\":{},\"removed\":true}}",
                    batch.id
                ));
            }
            (Some(old), new) => {
                let fields = changed_fields(old, new.as_deref());
                restore(conn, batch, &ch.entity, ch.record_id, old, new.is_none())?;
                restored += 1;
                event = event
                    .fields(&fields)
                    .detail(format!("{{\"via\":\"revert\",\"batch\":{}}}", batch.id));
            }
        }
        audit::record(conn, event)?;
    }
    Ok((removed, restored))
}

/// The audit trail's entity names are static words.
fn entity_static(entity: &str) -> &'static str {
    match entity {
        "participant" => "participant",
        "referral" => "referral",
        "session" => "session",
        "attendance" => "attendance",
        "outcome_record" => "outcome_record",
        "programme" => "programme",
        "measure" => "measure",
        _ => "record",
    }
}

/// The names of the fields an undo puts back (those that differ; all for a re-added mark).
fn changed_fields(old: &str, new: Option<&str>) -> Vec<&'static str> {
    let (Ok(Value::Object(old)), new) = (
        serde_json::from_str::<Value>(old),
        new.and_then(|n| serde_json::from_str::<Value>(n).ok()),
    ) else {
        return Vec::new();
    };
    old.iter()
        .filter(|(k, v)| new.as_ref().and_then(|n| n.get(k.as_str())) != Some(*v))
        .filter_map(|(k, _)| FIELD_NAMES.iter().find(|f| **f == k.as_str()).copied())
        .collect()
}

const FIELD_NAMES: &[&str] = &[
    "reference",
    "person_key",
    "date_of_birth",
    "gender",
    "ethnicity",
    "district",
    "participant_id",
    "programme_id",
    "referred_on",
    "source",
    "reason",
    "decision",
    "decided_on",
    "closure",
    "closed_on",
    "required_hours",
    "date",
    "kind",
    "duration_minutes",
    "headcount",
    "venue",
    "session_id",
    "referral_id",
    "session_date",
    "status",
    "hours",
    "measure_id",
    "timepoint",
    "recorded_on",
    "value",
    "name",
    "delivery",
    "min_age",
    "max_age",
    "starts_on",
    "ends_on",
    "description",
    "min",
    "max",
    "higher_is_better",
];

/// Writes a record's fields as they were before the batch.
fn restore(
    conn: &mut DbConn,
    batch: &Batch,
    entity: &str,
    id: i64,
    old: &str,
    re_add: bool,
) -> Result<(), RevertError> {
    use crate::domain::ids::{MeasureId, ParticipantId, SessionId};
    use crate::store::{measures, outcomes, participants, programmes, referrals, sessions};
    fn de<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, StoreError> {
        serde_json::from_str(json)
            .map_err(|e| StoreError::Refused(format!("a recorded change is unreadable: {e}")))
    }
    match entity {
        "participant" => participants::update(conn, ParticipantId(id), &de(old)?)?,
        "referral" => referrals::update(conn, ReferralId(id), &de(old)?)?,
        "session" => sessions::update(conn, SessionId(id), &de(old)?)?,
        "attendance" if re_add => sessions::insert_attendance(conn, &de(old)?)?,
        "attendance" => sessions::update_attendance(conn, id, &de(old)?)?,
        "outcome_record" => outcomes::update(conn, id, &de(old)?)?,
        "programme" => programmes::update(conn, crate::domain::ids::ProgrammeId(id), &de(old)?)?,
        "measure" => measures::update(conn, MeasureId(id), &de(old)?)?,
        other => {
            return Err(refuse(format!(
                "batch {} holds a change of an unknown kind of record ({other})",
                batch.id
            )))
        }
    }
    Ok(())
}
