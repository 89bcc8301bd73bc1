//! Erasing one participant (right to erasure, or retention) — docs/erasure-and-retention.md.
//!
//! Who: a provider manager (their own organisation's participants) or an admin, on the
//! participant's page or the API; the operator on the command line; the retention run.
//! What: every row that names the participant is deleted (`store::erasures`), an erasure
//! record (organisation, when, why, by whom, counts) is written, and one audit event
//! `erase` names the participant's id, the erasure and the counts — never a reference, key
//! or value. Refused while the participant has a referral still awaiting follow-up to a
//! programme under an evaluation hold, unless an admin (or the operator) overrides the
//! hold with a reason. Approved quarterly returns do not block an erasure: the law does
//! not wait for a return, and the figures given out before are in the report archive.

use chrono::NaiveDate;
use serde::Serialize;

use crate::db::DbConn;
use crate::domain::access::Actor;
use crate::domain::enums::{AuditAction, ErasureReason, Role};
use crate::domain::ids::{ParticipantId, ProgrammeId};
use crate::domain::retention::{awaits_follow_up, hold_in_force};
use crate::domain::validation::FieldError;
use crate::store::audit::{self, NewEvent};
use crate::store::erasures::{self, Erasure, NewErasure};
use crate::store::{programmes, retention, write_transaction, StoreError};

use super::CaseError;

/// Who erases, and where it was asked for.
#[derive(Debug, Clone, Copy)]
pub enum Eraser<'a> {
    /// A signed-in user, on a page (`page`) or the API (`api`).
    User(&'a Actor, &'static str),
    /// The operator, on the command line.
    Operator,
    /// The retention run (`outcomes retention --apply`, or `serve` daily).
    Retention,
}

impl Eraser<'_> {
    fn actor(&self) -> Option<&Actor> {
        match self {
            Eraser::User(actor, _) => Some(actor),
            _ => None,
        }
    }

    fn via(&self) -> &'static str {
        match self {
            Eraser::User(_, via) => via,
            Eraser::Operator => "cli",
            Eraser::Retention => "retention",
        }
    }

    /// Whether the eraser may override an evaluation hold (with a reason).
    pub fn may_override(&self) -> bool {
        match self {
            Eraser::User(actor, _) => actor.role == Role::Admin,
            Eraser::Operator => true,
            Eraser::Retention => false,
        }
    }
}

/// Roles that may erase (provider managers: their own organisation's participants).
pub const ERASE_ROLES: &[Role] = &[Role::ProviderManager, Role::Admin];

/// A hold that keeps a participant: the programme, its name, the hold's end and reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeldBy {
    pub programme_id: ProgrammeId,
    pub programme: String,
    pub ends_on: NaiveDate,
    pub reason: String,
}

/// The holds in force on `today` that keep participant `id` (and the records merged into
/// it): programmes under a hold to which they have a referral still awaiting follow-up.
pub fn holds_on(
    conn: &mut DbConn,
    id: ParticipantId,
    today: NaiveDate,
) -> Result<Vec<HeldBy>, StoreError> {
    let holds: Vec<_> = retention::holds(conn)?
        .into_iter()
        .filter(|h| hold_in_force(h.ends_on, today))
        .collect();
    if holds.is_empty() {
        return Ok(Vec::new());
    }
    let as_of = retention::data_as_of(conn, today)?;
    let mut referrals = Vec::new();
    for p in erasures::ids_to_erase(conn, id)? {
        for a in retention::activity(conn, Some(ParticipantId(p)))? {
            referrals.extend(a.referrals);
        }
    }
    let mut held = Vec::new();
    for h in holds {
        let waiting = referrals
            .iter()
            .any(|(p, on)| *p == h.programme_id && awaits_follow_up(*on, as_of));
        if waiting {
            let programme = programmes::find(conn, h.programme_id)?
                .map(|p| p.fields.name)
                .unwrap_or_default();
            held.push(HeldBy {
                programme_id: h.programme_id,
                programme,
                ends_on: h.ends_on,
                reason: h.reason,
            });
        }
    }
    Ok(held)
}

/// Why a hold refuses an erasure, in words.
pub fn held_message(held: &[HeldBy]) -> String {
    let names: Vec<String> = held
        .iter()
        .map(|h| {
            format!(
                "{} (under an evaluation hold until {})",
                h.programme,
                h.ends_on.format("%-d %B %Y")
            )
        })
        .collect();
    format!(
        "This participant cannot be erased yet: their reoffending follow-up is not over for {}",
        names.join(" and ")
    )
}

/// The reason for overriding a hold: required when one applies, at most 500 characters.
pub const OVERRIDE_FIELD: &str = "override_reason";

/// Erases participant `id`. A user must be allowed to see it (another organisation's is
/// `NotFound`) and be a provider manager or an admin; `override_reason` is needed (and
/// only honoured from an admin or the operator) when an evaluation hold applies.
pub fn erase(
    conn: &mut DbConn,
    by: Eraser,
    id: ParticipantId,
    reason: ErasureReason,
    override_reason: Option<&str>,
    today: NaiveDate,
) -> Result<Erasure, CaseError> {
    let override_reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
    if override_reason.is_some_and(|r| r.chars().count() > 500) {
        return Err(super::invalid(
            OVERRIDE_FIELD,
            "The reason for overriding the hold must be 500 characters or fewer",
        ));
    }
    write_transaction(conn, |conn| {
        let Some((organisation, _)) = erasures::owner_of(conn, id)? else {
            return Err(CaseError::NotFound);
        };
        if let Some(actor) = by.actor() {
            if !ERASE_ROLES.contains(&actor.role) || !actor.scope().records().includes(organisation)
            {
                return Err(CaseError::NotFound);
            }
        }
        let held = holds_on(conn, id, today)?;
        let overridden = match (held.is_empty(), override_reason) {
            (true, _) => None,
            (false, Some(r)) if by.may_override() => Some(r),
            (false, _) => {
                let mut message = held_message(&held);
                if by.may_override() {
                    message.push_str(". To erase now, give a reason for overriding the hold");
                } else if matches!(by, Eraser::User(..)) {
                    message.push_str(". An admin can override the hold");
                }
                return Err(CaseError::Invalid(vec![FieldError::new(
                    OVERRIDE_FIELD,
                    message,
                )]));
            }
        };
        let ids = erasures::ids_to_erase(conn, id)?;
        let counts = erasures::delete_participants(conn, &ids)?;
        let erasure = erasures::insert(
            conn,
            NewErasure {
                organisation_id: organisation,
                reason,
                erased_by: by.actor().map(|a| a.user_id),
                via: by.via(),
                override_reason: overridden,
                counts: &counts,
            },
        )?;
        let mut event = NewEvent::new(AuditAction::Erase, "participant")
            .by(by.actor())
            .entity_id(id.0)
            .detail(
                serde_json::json!({
                    "erasure": erasure.id,
                    "reason": reason.as_str(),
                    "via": by.via(),
                    "hold_overridden": overridden.is_some(),
                    "counts": counts,
                })
                .to_string(),
            );
        if event.organisation_id.is_none() {
            event.organisation_id = Some(organisation);
        }
        audit::record(conn, event)?;
        Ok(erasure)
    })
}
