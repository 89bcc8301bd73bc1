//! Referrals: recording one, deciding it (accepted or declined) and closing it
//! (completed, withdrawn or disengaged), with the lifecycle rules of
//! `domain::lifecycle` and the Immediate Justice hours rule (5 to 20).

use crate::db::DbConn;
use crate::domain::enums::{AuditAction, Closure, Decision, ProgrammeKind, ReferralSource};
use crate::domain::ids::{ParticipantId, ProgrammeId, ReferralId};
use crate::domain::lifecycle::{Change, LifecycleError, ReferralState};
use crate::domain::rules;
use crate::domain::validation::Input;
use crate::store::programmes::Programme;
use crate::store::referrals::{self, Referral, ReferralFields};
use crate::store::{outcomes, participants, programmes, sessions, write_transaction, StoreError};

use super::corrections::Diff;
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

/// Checks `required_hours` against the programme (`rules::required_hours`).
fn required_hours(input: &mut Input, programme: Option<&Programme>) -> Option<Option<f64>> {
    let typed = rules::number_in(input.raw("required_hours"), 0.0, 1000.0);
    let r = match programme.map(|p| p.fields.kind) {
        Some(kind) => typed
            .map_err(|e| match kind {
                ProgrammeKind::ImmediateJustice => rules::RuleError::ImmediateJusticeHours,
                _ => e,
            })
            .and_then(|h| rules::required_hours(kind, h, true)),
        None => typed,
    };
    input.rule("required_hours", "the reparation hours required", r)
}

type Details = (
    Option<String>,
    Option<chrono::NaiveDate>,
    Option<ReferralSource>,
    Option<String>,
    Option<Option<f64>>,
);

/// The fields a referral is recorded and corrected with: reference, referral date,
/// source, reason and required hours.
fn details(
    input: &mut Input,
    programme: Option<&Programme>,
    ctx: &Ctx,
    reason_field: &str,
) -> Details {
    let reference = input.opt_text("reference", 64);
    let referred_on = input.date("referred_on", "the date of the referral", Some(ctx.today));
    let source = input.word::<ReferralSource>("source");
    let reason = input.opt_text(reason_field, 500);
    let hours = required_hours(input, programme);
    (reference, referred_on, source, reason, hours)
}

/// The text of a referral's fields, for a pre-filled form or a merge patch. The
/// referral's own `reason` is `referral_reason` here: `reason` is the correction's.
pub fn as_pairs(f: &ReferralFields) -> Vec<(String, String)> {
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    vec![
        ("reference".into(), f.reference.clone()),
        ("programme_id".into(), f.programme_id.0.to_string()),
        ("referred_on".into(), f.referred_on.to_string()),
        ("source".into(), f.source.as_str().into()),
        ("referral_reason".into(), f.reason.clone()),
        (
            "required_hours".into(),
            f.required_hours.map(|h| h.to_string()).unwrap_or_default(),
        ),
        ("decision".into(), f.decision.as_str().into()),
        ("decided_on".into(), date(f.decided_on)),
        ("closure".into(), f.closure.as_str().into()),
        ("closed_on".into(), date(f.closed_on)),
    ]
}

/// What a change of a referral changes (its reason is personal: only named). Corrections
/// and imports (`imports::casework`) both describe changes with it.
pub fn diff(o: &ReferralFields, new: &ReferralFields) -> Diff {
    let mut diff = Diff::default();
    diff.field("reference", &o.reference, &new.reference);
    diff.field("participant_id", &o.participant_id, &new.participant_id);
    diff.field("programme_id", &o.programme_id, &new.programme_id);
    diff.field("referred_on", &o.referred_on, &new.referred_on);
    diff.field("source", &o.source, &new.source);
    diff.personal("reason", &o.reason, &new.reason);
    diff.field("required_hours", &o.required_hours, &new.required_hours);
    diff.field("decision", &o.decision, &new.decision);
    diff.field("decided_on", &o.decided_on, &new.decided_on);
    diff.field("closure", &o.closure, &new.closure);
    diff.field("closed_on", &o.closed_on, &new.closed_on);
    diff
}

/// Corrects a referral, with a `reason`: its date, source, reason (`referral_reason`),
/// required hours, reference, programme (only while nothing is recorded against it), and
/// its decision and closure — undone (`decision` pending, `closure` open: reopened) or
/// changed. The corrected lifecycle must be a valid state as a whole
/// (`ReferralState::validate`), not a valid next step.
pub fn change(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: ReferralId,
    patch: Input,
) -> Result<Referral, CaseError> {
    let scope = ctx.actor.scope();
    let old = referrals::find(conn, scope, id)?;
    let mut input = patch.over(as_pairs(&old.fields));
    let correction = super::corrections::reason(&mut input);
    let programme = match input.id("programme_id", "Select the programme") {
        Some(p) if p == old.fields.programme_id.0 => Some(programmes::find_visible(
            conn,
            scope,
            old.fields.programme_id,
        )?),
        Some(p) => {
            let recorded = !sessions::attendance_of_referral(conn, id)?.is_empty()
                || outcomes::count(
                    conn,
                    scope,
                    &outcomes::OutcomeFilter {
                        referral: Some(id),
                        ..Default::default()
                    },
                )? > 0;
            match programmes::find_visible(conn, scope, ProgrammeId(p)) {
                _ if recorded => {
                    input.error(
                        "programme_id",
                        "The programme can only be changed while nothing is recorded against the referral (no attendance or outcomes)",
                    );
                    None
                }
                Ok(p) if p.organisation_id == old.organisation_id => Some(p),
                Ok(_) | Err(StoreError::NotFound) => {
                    input.error(
                        "programme_id",
                        "Select one of your organisation's programmes",
                    );
                    None
                }
                Err(e) => return Err(e.into()),
            }
        }
        None => None,
    };
    // The referral's own reason is `referral_reason` on a correction.
    let (reference, referred_on, source, reason, hours) =
        details(&mut input, programme.as_ref(), ctx, "referral_reason");
    let decision = input.word::<Decision>("decision");
    let decided_on = input.opt_date("decided_on", "the date of the decision", None);
    let closure = input.word::<Closure>("closure");
    let closed_on = input.opt_date("closed_on", "the date the referral was closed", None);
    let old_objection = referrals::linkage_objection(conn, id)?;
    let objection = objection(&mut input, old_objection);
    input.finish()?;
    let Some(objection) = objection else {
        return Err(CaseError::Invalid(Vec::new()));
    };
    let (Some(correction), Some(programme), Some(referred_on), Some(source), Some(hours)) =
        (correction, programme, referred_on, source, hours)
    else {
        return Err(CaseError::Invalid(Vec::new()));
    };
    let (Some(decision), Some(closure)) = (decision, closure) else {
        return Err(CaseError::Invalid(Vec::new()));
    };
    let state = ReferralState {
        referred_on,
        decision,
        decided_on,
        closure,
        closed_on,
    }
    .validate(ctx.today)
    .map_err(|e| {
        let field = match e.field() {
            "decision" => "decision",
            "closure" => "closure",
            _ if closed_on.is_some() => "closed_on",
            _ => "decided_on",
        };
        invalid(field, sentence(&e.to_string()))
    })?;
    let new = ReferralFields {
        reference: reference.unwrap_or_else(|| old.fields.reference.clone()),
        participant_id: old.fields.participant_id,
        programme_id: programme.id,
        referred_on: state.referred_on,
        source,
        reason: reason.unwrap_or_default(),
        decision: state.decision,
        decided_on: state.decided_on,
        closure: state.closure,
        closed_on: state.closed_on,
        required_hours: hours,
    };
    let o = &old.fields;
    let mut diff = diff(o, &new);
    diff.field("linkage_objection", &old_objection, &objection);
    write_transaction(conn, |conn| {
        if diff.is_empty() {
            return Ok::<_, CaseError>(());
        }
        if objection != old_objection {
            referrals::set_linkage_objection(conn, id, objection)?;
        }
        let dates = touched_dates(Some(o), &new);
        if new.programme_id != o.programme_id {
            check_unlocked(conn, o.programme_id, &dates)?;
        }
        check_unlocked(conn, new.programme_id, &dates)?;
        referrals::update(conn, id, &new)?;
        if new.reference != o.reference {
            referrals::set_reference(conn, id, &new.reference).map_err(duplicate_on(
                "reference",
                "A referral with this reference is already recorded",
            ))?;
        }
        if new.programme_id != o.programme_id {
            referrals::set_programme(conn, id, new.programme_id)?;
        }
        diff.audit(conn, ctx, AuditAction::Update, "referral", id, &correction)?;
        Ok(())
    })?;
    Ok(Referral { fields: new, ..old })
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
    let (reference, referred_on, source, reason, hours) =
        details(&mut input, programme.as_ref(), ctx, "reason");
    let objection = objection(&mut input, false);
    input.finish()?;
    let Some(objection) = objection else {
        return Err(CaseError::Invalid(Vec::new()));
    };
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
        if objection {
            referrals::set_linkage_objection(conn, id, true)?;
            changed.push("linkage_objection");
        }
        audit_change(conn, ctx, AuditAction::Create, "referral", id, &changed)?;
        Ok(id)
    })
}

/// `linkage_objection`: yes when the person objected to linking their police identifier
/// to police data; empty keeps `current`.
pub fn objection(input: &mut Input, current: bool) -> Option<bool> {
    super::setup::yes_no(
        input,
        "linkage_objection",
        current,
        "Select yes if the person objected to being linked to police data",
    )
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
    let hint = match e {
        LifecycleError::AlreadyDecided(_) | LifecycleError::AlreadyClosed(_) => {
            ". To correct it, give the reason for the correction"
        }
        _ => "",
    };
    invalid(field, format!("{}{hint}", sentence(&e.to_string())))
}

/// Applies a decision or closure, the two shapes differing only in their fields.
fn next_step(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: ReferralId,
    mut input: Input,
    closing: bool,
) -> Result<Referral, CaseError> {
    if !input.raw("reason").is_empty() {
        // With a reason, a decision or closure is a correction of the whole lifecycle:
        // changing a decision, or a closure (to "open": reopening).
        let keep: &[&str] = if closing {
            &["closure", "closed_on", "reason"]
        } else {
            &["decision", "decided_on", "reason"]
        };
        let only = Input::from_pairs(
            input
                .pairs()
                .filter(|(k, _)| keep.contains(k))
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        return change(conn, ctx, id, only);
    }
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
    next_step(conn, ctx, id, input, false)
}

/// Closes an accepted referral (`closure` completed | withdrawn | disengaged, `closed_on`).
pub fn close(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: ReferralId,
    input: Input,
) -> Result<Referral, CaseError> {
    next_step(conn, ctx, id, input, true)
}
