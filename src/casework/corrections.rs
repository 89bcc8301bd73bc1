//! Correcting the record (docs/casework.md, "Correcting the record"): what every change,
//! undo, void, restore and merge shares — the required reason, the audit detail naming
//! what changed, voiding with its dependants, and a record's history read back from the
//! audit trail (one source of truth, no second log).
//!
//! The commands that change a kind of record live with it (`participants::change`,
//! `referrals::change`, `sessions::change`, `outcomes::change`, `outcomes::change_survey`)
//! and parse with the same functions as the commands that create it.

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::db::DbConn;
use crate::domain::enums::AuditAction;
use crate::domain::validation::Input;
use crate::store::voids::{self, RecordKind, VoidMark};
use crate::store::{audit, users, write_transaction, StoreError};

use super::{audit_correction, check_unlocked, invalid, CaseError, Ctx};

/// The reason every correction carries (required, at most 500 characters; the forms say
/// not to include personal details: it is kept in the audit trail).
pub fn reason(input: &mut Input) -> Option<String> {
    input.text("reason", 500, "Enter the reason for the correction")
}

/// What a correction changed: field names, and old → new values of non-personal fields
/// ("changed" for personal ones), for the audit event's detail.
#[derive(Debug, Default)]
pub struct Diff {
    fields: Vec<&'static str>,
    changes: Map<String, Value>,
}

impl Diff {
    /// A non-personal field: its old and new values are kept.
    pub fn field<T: PartialEq + Serialize>(&mut self, name: &'static str, old: &T, new: &T) {
        if old != new {
            self.fields.push(name);
            self.changes
                .insert(name.into(), json!({"old": old, "new": new}));
        }
    }

    /// A personal field: only that it changed.
    pub fn personal<T: PartialEq>(&mut self, name: &'static str, old: &T, new: &T) {
        if old != new {
            self.fields.push(name);
            self.changes.insert(name.into(), json!("changed"));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Appends the audit event of a change an import made (`via: import`), attributed to
    /// the importer, so that a record's history shows what an upload changed. Nothing is
    /// written when nothing changed.
    pub fn audit_import(
        &self,
        conn: &mut DbConn,
        user: Option<crate::domain::ids::UserId>,
        organisation: Option<crate::domain::ids::OrganisationId>,
        entity: &'static str,
        id: impl ToString,
    ) -> Result<(), StoreError> {
        if self.is_empty() {
            return Ok(());
        }
        super::audit_import(
            conn,
            user,
            organisation,
            entity,
            id,
            &self.fields,
            &self.changes,
        )
    }

    /// Appends the audit event of the correction.
    pub fn audit(
        &self,
        conn: &mut DbConn,
        ctx: &Ctx,
        action: AuditAction,
        entity: &'static str,
        id: impl ToString,
        reason: &str,
    ) -> Result<(), StoreError> {
        audit_correction(
            conn,
            ctx,
            action,
            entity,
            id,
            &self.fields,
            json!({"reason": reason, "changes": self.changes}),
        )
    }
}

// --- void and restore -------------------------------------------------------------------

/// What a void did (or, unconfirmed, would do).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VoidSummary {
    /// The records voided (or restored) with this one, as `kind id reference`.
    pub also: Vec<String>,
}

/// The dates a void or restore of a record touches, for the quarterly-return lock: a
/// referral's own dates and its attendance's sessions, a session's date, an outcome's or
/// a survey's `recorded_on`.
fn dated(
    conn: &mut DbConn,
    kind: RecordKind,
    id: i64,
) -> Result<
    Vec<(
        crate::domain::ids::ProgrammeId,
        &'static str,
        chrono::NaiveDate,
    )>,
    StoreError,
> {
    voids::dates(conn, kind, id)
}

/// The records that depend on one and are voided (or restored) with it: a participant's
/// referrals, a session's group surveys. `at`: those voided at that moment.
fn dependants(
    conn: &mut DbConn,
    kind: RecordKind,
    id: i64,
    at: Option<NaiveDateTime>,
) -> Result<Vec<(RecordKind, i64, String)>, StoreError> {
    Ok(match kind {
        RecordKind::Participant => voids::referrals_of(conn, id, at)?
            .into_iter()
            .map(|(id, reference)| (RecordKind::Referral, id, reference))
            .collect(),
        RecordKind::Session => voids::surveys_of(conn, id, at)?
            .into_iter()
            .map(|id| (RecordKind::GroupSurvey, id, format!("survey {id}")))
            .collect(),
        _ => Vec::new(),
    })
}

fn describe(d: &[(RecordKind, i64, String)]) -> Vec<String> {
    d.iter()
        .map(|(k, id, r)| format!("{} {id} {r}", k.entity()))
        .collect()
}

/// What voiding a record would also void (as the refusal without `confirm` names them):
/// a participant's referrals, a session's group surveys; empty for the other kinds.
pub fn voided_with(
    conn: &mut DbConn,
    kind: RecordKind,
    id: i64,
) -> Result<Vec<String>, StoreError> {
    Ok(describe(&dependants(conn, kind, id, None)?))
}

/// Voids a record with a `reason`. A participant with referrals, or a session with group
/// surveys, is voided only with `confirm` set, and then those are voided too; without it
/// the answer names them (field `confirm`). Refused in an approved quarter.
pub fn void(
    conn: &mut DbConn,
    ctx: &Ctx,
    kind: RecordKind,
    id: i64,
    mut input: Input,
) -> Result<VoidSummary, CaseError> {
    let scope = ctx.actor.scope();
    match voids::find(conn, scope, kind, id)? {
        Some((_, None)) => {}
        _ => return Err(CaseError::NotFound),
    }
    let reason = reason(&mut input);
    input.finish()?;
    let reason = reason.ok_or(CaseError::Invalid(Vec::new()))?;
    let also = dependants(conn, kind, id, None)?;
    if !also.is_empty() && !input.flag("confirm") {
        return Err(invalid(
            "confirm",
            format!(
                "Voiding this {} also voids {}: {}. Confirm to void them too",
                kind.entity().replace('_', " "),
                if also.len() == 1 {
                    "1 record".to_string()
                } else {
                    format!("{} records", also.len())
                },
                describe(&also).join(", ")
            ),
        ));
    }
    let at = voids::stamp();
    write_transaction(conn, |conn| {
        for (k, i) in std::iter::once((kind, id)).chain(also.iter().map(|(k, i, _)| (*k, *i))) {
            for (programme, field, date) in dated(conn, k, i)? {
                check_unlocked(conn, programme, &[(field, date)])?;
            }
            voids::set(conn, k, i, Some((ctx.actor.user_id, &reason)), at)?;
            let detail = if (k, i) == (kind, id) {
                json!({"reason": reason, "also": describe(&also)})
            } else {
                json!({"reason": reason, "with": format!("{} {id}", kind.entity())})
            };
            audit_correction(
                conn,
                ctx,
                AuditAction::Void,
                k.entity(),
                i,
                &["voided"],
                detail,
            )?;
        }
        Ok::<_, CaseError>(())
    })?;
    Ok(VoidSummary {
        also: describe(&also),
    })
}

/// Restores a voided record with a `reason`, and the records voided with it. Restoring
/// a merged participant undoes the merge (`merge::unmerge`: its referrals move back).
pub fn restore(
    conn: &mut DbConn,
    ctx: &Ctx,
    kind: RecordKind,
    id: i64,
    mut input: Input,
) -> Result<VoidSummary, CaseError> {
    if kind == RecordKind::Participant
        && voids::find(conn, ctx.actor.scope(), kind, id)?.is_some()
        && super::merge::is_merged(conn, crate::domain::ids::ParticipantId(id))?
    {
        let undone =
            super::merge::unmerge(conn, ctx, crate::domain::ids::ParticipantId(id), input)?;
        return Ok(VoidSummary {
            also: undone.referrals,
        });
    }
    let mark = match voids::find(conn, ctx.actor.scope(), kind, id)? {
        Some((_, Some(mark))) => mark,
        Some((_, None)) => return Err(invalid("reason", "This record is not voided")),
        None => return Err(CaseError::NotFound),
    };
    let reason = reason(&mut input);
    input.finish()?;
    let reason = reason.ok_or(CaseError::Invalid(Vec::new()))?;
    let also = dependants(conn, kind, id, Some(mark.voided_at))?;
    write_transaction(conn, |conn| {
        for (k, i) in std::iter::once((kind, id)).chain(also.iter().map(|(k, i, _)| (*k, *i))) {
            voids::set(conn, k, i, None, mark.voided_at)?;
            for (programme, field, date) in dated(conn, k, i)? {
                check_unlocked(conn, programme, &[(field, date)])?;
            }
            audit_correction(
                conn,
                ctx,
                AuditAction::Restore,
                k.entity(),
                i,
                &["voided"],
                json!({"reason": reason}),
            )?;
        }
        Ok::<_, CaseError>(())
    })?;
    Ok(VoidSummary {
        also: describe(&also),
    })
}

// --- history ----------------------------------------------------------------------------

/// One entry of a record's history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    /// RFC 3339 UTC.
    #[serde(serialize_with = "voids::rfc3339_utc")]
    pub at: NaiveDateTime,
    /// create, update, void, restore, merge, import …
    pub action: String,
    pub user_id: Option<i64>,
    /// The name of who made it (empty for the command line).
    pub by: String,
    /// The fields it changed.
    pub fields: Vec<String>,
    /// Old and new values of non-personal fields; "changed" for personal ones (only
    /// corrections carry values).
    #[schema(value_type = Object)]
    pub changes: Value,
    pub reason: Option<String>,
    /// Where it was made: page, api or import (empty for events before corrections).
    pub via: String,
}

/// A record's history, as its audit events say, with whether it is voided now. Voided
/// records have a history too (it is where they are shown).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct History {
    pub kind: RecordKind,
    pub id: i64,
    pub voided: Option<VoidMark>,
    /// For a participant merged into another (and so voided): the kept record's id.
    pub merged_into: Option<i64>,
    pub entries: Vec<HistoryEntry>,
}

pub fn history(
    conn: &mut DbConn,
    ctx: &Ctx,
    kind: RecordKind,
    id: i64,
) -> Result<History, CaseError> {
    let Some((_, voided)) = voids::find(conn, ctx.actor.scope(), kind, id)? else {
        return Err(CaseError::NotFound);
    };
    let mut names = std::collections::HashMap::new();
    let mut entries = Vec::new();
    for e in audit::of_record(conn, kind.entity(), &id.to_string())? {
        let detail: Value = serde_json::from_str(&e.detail).unwrap_or(Value::Null);
        let by = match e.user_id {
            None => String::new(),
            Some(u) => match names.get(&u) {
                Some(n) => Clone::clone(n),
                None => {
                    let n = users::find(conn, crate::domain::ids::UserId(u))
                        .map(|u| u.display_name)
                        .unwrap_or_default();
                    names.insert(u, n.clone());
                    n
                }
            },
        };
        entries.push(HistoryEntry {
            at: e.occurred_at,
            action: e.action,
            user_id: e.user_id,
            by,
            fields: e
                .changed_fields
                .split(',')
                .filter(|f| !f.is_empty())
                .map(str::to_string)
                .collect(),
            // An object always (empty for events without values), as the OpenAPI document says.
            changes: detail
                .get("changes")
                .filter(|c| c.is_object())
                .cloned()
                .unwrap_or_else(|| Value::Object(Map::new())),
            reason: detail
                .get("reason")
                .and_then(Value::as_str)
                .map(str::to_string),
            via: detail
                .get("via")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        });
    }
    let merged_into = match kind {
        RecordKind::Participant => {
            crate::store::participants::merged_into(conn, crate::domain::ids::ParticipantId(id))?
        }
        _ => None,
    };
    Ok(History {
        kind,
        id,
        voided,
        merged_into,
        entries,
    })
}
