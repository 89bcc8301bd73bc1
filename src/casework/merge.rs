//! Merging two participants of one organisation who are the same person
//! (docs/casework.md, "Merging participants"), and undoing a merge.
//!
//! The merged record's referrals move to the kept record; the kept record takes the
//! merged one's person key when it has none (two different keys are two people, and are
//! refused); the merged record is kept, marked `merged_into` and voided with the merge's
//! reason, so every list, export and figure leaves it out as it does a voided record.
//! The merge is written to the audit trail of both records and of each referral moved,
//! and that event is what undoing the merge reads back (one source of truth): which
//! referrals moved, and whether the key did.

use serde::Serialize;
use serde_json::{json, Value};

use crate::db::DbConn;
use crate::domain::enums::AuditAction;
use crate::domain::ids::ParticipantId;
use crate::domain::validation::{FieldError, Input};
use crate::store::participants::{self, Participant};
use crate::store::voids::{self, RecordKind};
use crate::store::{audit, referrals, write_transaction, StoreError};

use super::{audit_correction, check_unlocked, invalid, CaseError, Ctx};

/// What a merge does (or did): the two records, the referrals that move and whether the
/// kept record takes the merged one's person key.
#[derive(Debug, Clone)]
pub struct Plan {
    pub merged: Participant,
    pub kept: Participant,
    /// (id, reference, voided) of every referral of the merged record.
    pub referrals: Vec<(i64, String, bool)>,
    pub takes_key: bool,
}

/// The answer of a merge or of undoing one.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MergeSummary {
    /// The record merged (now marked `merged_into`), or restored by undoing the merge.
    pub merged: i64,
    /// The record kept.
    pub kept: i64,
    /// The referrals moved (to the kept record, or back), as `referral id reference`.
    pub referrals: Vec<String>,
    /// Whether the person key moved with them (the kept record had none).
    pub person_key_moved: bool,
}

const INTO: &str = "into";

/// Checks that `id` can be merged into `into` and says what the merge will do: both in
/// the actor's scope (`id` not: 404; `into` not: a message on `into`), one organisation,
/// two records, no two different person keys, and no referral moved that is dated in a
/// quarter whose return is approved. Run again in the merge's transaction.
pub fn plan(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: ParticipantId,
    into: ParticipantId,
) -> Result<Plan, CaseError> {
    let scope = ctx.actor.scope();
    let merged = participants::find(conn, scope, id)?;
    if into == id {
        return Err(invalid(
            INTO,
            "Choose another participant: a record cannot be merged into itself",
        ));
    }
    let kept = match participants::find(conn, scope, into) {
        Ok(p) => p,
        Err(StoreError::NotFound) => {
            return Err(invalid(
                INTO,
                "Choose one of your organisation's participants to keep",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    if kept.organisation_id != merged.organisation_id {
        return Err(invalid(
            INTO,
            "The two participants belong to different organisations: only records of one organisation can be merged",
        ));
    }
    if let (Some(a), Some(b)) = (&merged.fields.person_key, &kept.fields.person_key) {
        if a != b {
            return Err(invalid(
                INTO,
                format!(
                    "{} and {} have different police identifiers, so they are recorded as two people: correct the wrong police identifier first if they are the same person",
                    merged.fields.reference, kept.fields.reference
                ),
            ));
        }
    }
    let referrals = referrals::all_of_participant(conn, id)?;
    // A voided referral counts in no figure, so moving it touches no approved quarter.
    for (referral, reference, voided) in &referrals {
        if *voided {
            continue;
        }
        for (programme, field, date) in voids::dates(conn, RecordKind::Referral, *referral)? {
            match check_unlocked(conn, programme, &[(field, date)]) {
                Ok(()) => {}
                Err(CaseError::Locked(e)) => {
                    return Err(CaseError::Locked(FieldError::new(
                        INTO,
                        format!(
                            "Referral {reference} cannot move to the kept record. {}",
                            e.message
                        ),
                    )))
                }
                Err(e) => return Err(e),
            }
        }
    }
    let takes_key = kept.fields.person_key.is_none() && merged.fields.person_key.is_some();
    Ok(Plan {
        merged,
        kept,
        referrals,
        takes_key,
    })
}

fn described(referrals: &[(i64, String, bool)]) -> Vec<String> {
    referrals
        .iter()
        .map(|(id, reference, _)| format!("referral {id} {reference}"))
        .collect()
}

/// Merges participant `id` into `into` (`{"into", "reason"}`), in one transaction with
/// its audit events.
pub fn merge(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: ParticipantId,
    mut input: Input,
) -> Result<MergeSummary, CaseError> {
    // Another organisation's record is 404 before the body is read.
    participants::find(conn, ctx.actor.scope(), id)?;
    let into = input.id(INTO, "Enter the id of the participant to keep");
    let reason = super::corrections::reason(&mut input);
    input.finish()?;
    let (Some(into), Some(reason)) = (into, reason) else {
        return Err(CaseError::Invalid(Vec::new()));
    };
    let into = ParticipantId(into);
    write_transaction(conn, |conn| {
        let plan = plan(conn, ctx, id, into)?;
        let ids: Vec<i64> = plan.referrals.iter().map(|r| r.0).collect();
        referrals::move_to_participant(conn, &ids, into)?;
        if plan.takes_key {
            participants::set_person_key(conn, into, plan.merged.fields.person_key.as_deref())?;
        }
        participants::set_merged_into(conn, id, Some(into))?;
        voids::set(
            conn,
            RecordKind::Participant,
            id.0,
            Some((ctx.actor.user_id, &reason)),
            voids::stamp(),
        )?;
        let moved = described(&plan.referrals);
        audit_correction(
            conn,
            ctx,
            AuditAction::Merge,
            "participant",
            id,
            &["merged_into", "voided"],
            json!({
                "reason": reason,
                "into": into.0,
                "into_reference": plan.kept.fields.reference,
                "referrals": ids,
                "person_key_moved": plan.takes_key,
                "also": moved,
                "changes": {"merged_into": {"old": Value::Null, "new": into.0}},
            }),
        )?;
        let mut fields = vec!["referrals"];
        let mut changes = serde_json::Map::new();
        if plan.takes_key {
            fields.push("person_key");
            changes.insert("person_key".into(), json!("changed"));
        }
        audit_correction(
            conn,
            ctx,
            AuditAction::Merge,
            "participant",
            into,
            &fields,
            json!({
                "reason": reason,
                "from": id.0,
                "from_reference": plan.merged.fields.reference,
                "referrals": ids,
                "also": moved,
                "changes": changes,
            }),
        )?;
        for referral in &ids {
            audit_correction(
                conn,
                ctx,
                AuditAction::Merge,
                "referral",
                referral,
                &["participant_id"],
                json!({
                    "reason": reason,
                    "changes": {"participant_id": {"old": id.0, "new": into.0}},
                }),
            )?;
        }
        Ok(MergeSummary {
            merged: id.0,
            kept: into.0,
            referrals: moved,
            person_key_moved: plan.takes_key,
        })
    })
}

/// What the last merge of a merged participant moved, from its audit event: the kept
/// record, the referrals and whether the person key moved.
fn last_merge(conn: &mut DbConn, id: ParticipantId) -> Result<(i64, Vec<i64>, bool), CaseError> {
    let events = audit::of_record(conn, "participant", &id.to_string())?;
    let detail = events
        .iter()
        .rev()
        .find(|e| e.action == AuditAction::Merge.as_str())
        .and_then(|e| serde_json::from_str::<Value>(&e.detail).ok())
        .filter(|d| d.get("into").is_some())
        .ok_or_else(|| {
            invalid(
                "reason",
                "The merge of this record is not in its audit trail, so it cannot be undone here",
            )
        })?;
    let into = detail["into"].as_i64().unwrap_or_default();
    let moved = detail["referrals"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    Ok((into, moved, detail["person_key_moved"] == json!(true)))
}

/// Undoes the merge of participant `id` (merged, so voided): it is restored, the
/// referrals the merge moved that are still on the kept record move back, and the person
/// key, if the merge gave it to the kept record, is taken back. `reason` required.
/// Refused while the kept record is voided, or when a referral moved back is dated in a
/// quarter whose return is approved.
pub fn unmerge(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: ParticipantId,
    mut input: Input,
) -> Result<MergeSummary, CaseError> {
    let scope = ctx.actor.scope();
    match voids::find(conn, scope, RecordKind::Participant, id.0)? {
        Some((_, Some(_))) => {}
        Some((_, None)) => return Err(invalid("reason", "This record is not merged")),
        None => return Err(CaseError::NotFound),
    }
    let reason = super::corrections::reason(&mut input);
    input.finish()?;
    let reason = reason.ok_or(CaseError::Invalid(Vec::new()))?;
    write_transaction(conn, |conn| {
        let Some(into) = participants::merged_into(conn, id)? else {
            return Err(invalid("reason", "This record is not merged"));
        };
        let (logged_into, moved, key_moved) = last_merge(conn, id)?;
        let into = ParticipantId(into);
        if logged_into != into.0 {
            return Err(invalid(
                "reason",
                "The merge of this record in its audit trail names another record, so it cannot be undone here",
            ));
        }
        let kept = match participants::find(conn, scope, into) {
            Ok(p) => p,
            Err(StoreError::NotFound) => return Err(invalid(
                "reason",
                "The record this one was merged into is voided or merged itself: restore it first",
            )),
            Err(e) => return Err(e.into()),
        };
        let merged_key = participants::person_key_of(conn, id)?;
        // Only those still on the kept record move back (one moved on since stays).
        let back: Vec<i64> = referrals::participants_of(conn, &moved)?
            .into_iter()
            .filter(|(_, p)| *p == into.0)
            .map(|(r, _)| r)
            .collect();
        let all = referrals::all_of_participant(conn, into)?;
        let back: Vec<(i64, String, bool)> =
            all.into_iter().filter(|r| back.contains(&r.0)).collect();
        for (referral, reference, voided) in &back {
            if *voided {
                continue;
            }
            for (programme, field, date) in voids::dates(conn, RecordKind::Referral, *referral)? {
                match check_unlocked(conn, programme, &[(field, date)]) {
                    Ok(()) => {}
                    Err(CaseError::Locked(e)) => {
                        return Err(CaseError::Locked(FieldError::new(
                            "reason",
                            format!("Referral {reference} cannot move back. {}", e.message),
                        )))
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        let ids: Vec<i64> = back.iter().map(|r| r.0).collect();
        referrals::move_to_participant(conn, &ids, id)?;
        let takes_key_back = key_moved && kept.fields.person_key == merged_key;
        if takes_key_back {
            participants::set_person_key(conn, into, None)?;
        }
        participants::set_merged_into(conn, id, None)?;
        voids::set(conn, RecordKind::Participant, id.0, None, voids::stamp())?;
        let described = described(&back);
        audit_correction(
            conn,
            ctx,
            AuditAction::Unmerge,
            "participant",
            id,
            &["merged_into", "voided"],
            json!({
                "reason": reason,
                "from": into.0,
                "referrals": ids,
                "also": described,
                "changes": {"merged_into": {"old": into.0, "new": Value::Null}},
            }),
        )?;
        let mut fields = vec!["referrals"];
        let mut changes = serde_json::Map::new();
        if takes_key_back {
            fields.push("person_key");
            changes.insert("person_key".into(), json!("changed"));
        }
        audit_correction(
            conn,
            ctx,
            AuditAction::Unmerge,
            "participant",
            into,
            &fields,
            json!({"reason": reason, "merged": id.0, "referrals": ids,
                   "also": described, "changes": changes}),
        )?;
        for referral in &ids {
            audit_correction(
                conn,
                ctx,
                AuditAction::Unmerge,
                "referral",
                referral,
                &["participant_id"],
                json!({
                    "reason": reason,
                    "changes": {"participant_id": {"old": into.0, "new": id.0}},
                }),
            )?;
        }
        Ok(MergeSummary {
            merged: id.0,
            kept: into.0,
            referrals: described,
            person_key_moved: takes_key_back,
        })
    })
}

/// Whether participant `id` (in the actor's scope, voided or not) is merged into another.
pub fn is_merged(conn: &mut DbConn, id: ParticipantId) -> Result<bool, CaseError> {
    Ok(participants::merged_into(conn, id)?.is_some())
}
