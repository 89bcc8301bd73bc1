//! Referrals: recording one, deciding it (accepted or declined) and closing it
//! (completed, withdrawn or disengaged), with the lifecycle rules of
//! `domain::lifecycle` and the Immediate Justice hours rule (5 to 20).

use crate::db::DbConn;
use crate::domain::enums::{AuditAction, Closure, Decision, ProgrammeKind, ReferralSource};
use crate::domain::ids::{ParticipantId, ProgrammeId, ReferralId};
use crate::domain::lifecycle::{Change, LifecycleError, ReferralState};
use crate::domain::validation::Input;
use crate::store::programmes::Programme;
use crate::store::referrals::{self, Referral, ReferralFields};
use crate::store::{participants, programmes, write_transaction, StoreError};

use super::{audit_change, check_unlocked, duplicate_on, invalid, sentence, CaseError, Ctx};

/// The dates a change to a referral touches, for the quarterly-return lock (see
/// docs/casework.md): a new referral touches its `referred_on` (and any decision or
/// closure date it arrives with); a change to its own fields (reference, participant,
/// source, reason, hours, referral date) touches the old and new `referred_on`; a new or
/// changed decision touches the old and new `decided_on`; a closure the old and new
/// `closed_on`. Unchanged parts touch nothing.
pub fn touched_dates(
    old: Option<&ReferralFields>,
    new: &ReferralFields,
) -> Vec<(&'static str, chrono::NaiveDate)> {
    let mut dates = Vec::new();
    let Some(old) = old else {
        dates.push(("referred_on", new.referred_on));
        dates.extend(new.decided_on.map(|d| ("decided_on", d)));
        dates.extend(new.closed_on.map(|d| ("closed_on", d)));
        return dates;
    };
    let own = |f: &ReferralFields| {
        (
            f.reference.clone(),
            f.participant_id,
            f.programme_id,
            f.referred_on,
            f.source,
            f.reason.clone(),
            f.required_hours.map(f64::to_bits),
        )
    };
    if own(old) != own(new) {
        dates.push(("referred_on", new.referred_on));
        dates.push(("referred_on", old.referred_on));
    }
    if (old.decision, old.decided_on) != (new.decision, new.decided_on) {
        dates.extend(new.decided_on.map(|d| ("decided_on", d)));
        dates.extend(old.decided_on.map(|d| ("decided_on", d)));
    }
    if (old.closure, old.closed_on) != (new.closure, new.closed_on) {
        dates.extend(new.closed_on.map(|d| ("closed_on", d)));
        dates.extend(old.closed_on.map(|d| ("closed_on", d)));
    }
    dates
}

/// Checks `required_hours` against the programme: 5 to 20 (and given) for Immediate
/// Justice, 0 to 1000 otherwise.
fn required_hours(input: &mut Input, programme: Option<&Programme>) -> Option<Option<f64>> {
    let ij = programme.is_some_and(|p| p.fields.kind == ProgrammeKind::ImmediateJustice);
    if ij {
        let hours = input.opt_number("required_hours", 5.0, 20.0);
        if input.has_error("required_hours") {
            input.errors.retain(|e| e.field != "required_hours");
            input.error(
                "required_hours",
                "Enter the reparation hours required, from 5 to 20 for Immediate Justice",
            );
            return None;
        }
        if hours == Some(None) {
            input.error(
                "required_hours",
                "Enter the reparation hours required, from 5 to 20 for Immediate Justice",
            );
            return None;
        }
        hours
    } else {
        input.opt_number("required_hours", 0.0, 1000.0)
    }
}

/// Records a new referral (pending, open). Without a reference it is given `R-<id>`.
pub fn create(conn: &mut DbConn, ctx: &Ctx, mut input: Input) -> Result<ReferralId, CaseError> {
    let scope = ctx.actor.scope();
    let participant = match input.id("participant_id", "Select the participant") {
        Some(id) => match participants::find(conn, scope, ParticipantId(id)) {
            Ok(p) => Some(p),
            Err(StoreError::NotFound) => {
                input.error(
                    "participant_id",
                    "Select one of your organisation's participants",
                );
                None
            }
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let programme = match input.id("programme_id", "Select the programme") {
        Some(id) => match programmes::find_visible(conn, scope, ProgrammeId(id)) {
            Ok(p)
                if participant
                    .as_ref()
                    .is_none_or(|x| x.organisation_id == p.organisation_id) =>
            {
                Some(p)
            }
            Ok(_) | Err(StoreError::NotFound) => {
                input.error(
                    "programme_id",
                    "Select one of your organisation's programmes",
                );
                None
            }
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let reference = input.opt_text("reference", 64);
    let referred_on = input.date("referred_on", "the date of the referral", Some(ctx.today));
    let source = input.word::<ReferralSource>("source");
    let reason = input.opt_text("reason", 500);
    let hours = required_hours(&mut input, programme.as_ref());
    input.finish()?;
    let (Some(participant), Some(programme), Some(referred_on), Some(source), Some(hours)) =
        (participant, programme, referred_on, source, hours)
    else {
        return Err(CaseError::Invalid(Vec::new()));
    };
    let given_reference = reference.clone();
    let fields = ReferralFields {
        // A placeholder unique per participant and moment until the id is known.
        reference: reference.unwrap_or_else(|| format!("new-{}", rand::random::<u64>())),
        participant_id: participant.id,
        programme_id: programme.id,
        referred_on,
        source,
        reason: reason.unwrap_or_default(),
        decision: Decision::Pending,
        decided_on: None,
        closure: Closure::Open,
        closed_on: None,
        required_hours: hours,
    };
    write_transaction(conn, |conn| {
        check_unlocked(conn, programme.id, &touched_dates(None, &fields))?;
        let id =
            referrals::insert(conn, programme.organisation_id, &fields).map_err(duplicate_on(
                "reference",
                "A referral with this reference is already recorded",
            ))?;
        if given_reference.is_none() {
            referrals::set_reference(conn, id, &format!("R-{id}")).map_err(duplicate_on(
                "reference",
                "A referral with this reference is already recorded",
            ))?;
        }
        let mut changed = vec![
            "reference",
            "participant_id",
            "programme_id",
            "referred_on",
            "source",
        ];
        if !fields.reason.is_empty() {
            changed.push("reason");
        }
        if fields.required_hours.is_some() {
            changed.push("required_hours");
        }
        audit_change(conn, ctx, AuditAction::Create, "referral", id, &changed)?;
        Ok(id)
    })
}

fn state(r: &Referral) -> ReferralState {
    ReferralState {
        referred_on: r.fields.referred_on,
        decision: r.fields.decision,
        decided_on: r.fields.decided_on,
        closure: r.fields.closure,
        closed_on: r.fields.closed_on,
    }
}

/// A lifecycle refusal as a message on the form field it is about.
fn lifecycle_error(e: LifecycleError, word_field: &str, date_field: &str) -> CaseError {
    let field = match e.field() {
        "date" => date_field,
        _ => word_field,
    };
    invalid(field, sentence(&e.to_string()))
}

/// Applies a decision or closure, the two shapes differing only in their fields.
fn change(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: ReferralId,
    mut input: Input,
    closing: bool,
) -> Result<Referral, CaseError> {
    let referral = referrals::find(conn, ctx.actor.scope(), id)?;
    let (word_field, date_field, label) = if closing {
        ("closure", "closed_on", "the date the referral was closed")
    } else {
        ("decision", "decided_on", "the date of the decision")
    };
    let on = input.date(date_field, label, None);
    let change = if closing {
        input
            .word::<Closure>(word_field)
            .zip(on)
            .map(|(closure, on)| Change::Close { closure, on })
    } else {
        input
            .word::<Decision>(word_field)
            .zip(on)
            .map(|(decision, on)| Change::Decide { decision, on })
    };
    input.finish()?;
    let change = change.ok_or(CaseError::Invalid(Vec::new()))?;
    let next = state(&referral)
        .transition(change, ctx.today)
        .map_err(|e| lifecycle_error(e, word_field, date_field))?;
    let mut fields = referral.fields.clone();
    fields.decision = next.decision;
    fields.decided_on = next.decided_on;
    fields.closure = next.closure;
    fields.closed_on = next.closed_on;
    write_transaction(conn, |conn| {
        check_unlocked(
            conn,
            fields.programme_id,
            &touched_dates(Some(&referral.fields), &fields),
        )?;
        referrals::update(conn, id, &fields)?;
        audit_change(
            conn,
            ctx,
            AuditAction::Update,
            "referral",
            id,
            &[word_field, date_field],
        )?;
        Ok::<_, CaseError>(())
    })?;
    Ok(Referral { fields, ..referral })
}

/// Records the decision (`decision` accepted | declined, `decided_on`).
pub fn decide(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: ReferralId,
    input: Input,
) -> Result<Referral, CaseError> {
    change(conn, ctx, id, input, false)
}

/// Closes an accepted referral (`closure` completed | withdrawn | disengaged, `closed_on`).
pub fn close(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: ReferralId,
    input: Input,
) -> Result<Referral, CaseError> {
    change(conn, ctx, id, input, true)
}
