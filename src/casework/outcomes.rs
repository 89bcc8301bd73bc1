//! Outcome records (a referral's value on a measure at a timepoint) and anonymous group
//! survey results (respondents at each scale value of a measure, for a session).

use crate::db::DbConn;
use crate::domain::enums::{AuditAction, Timepoint};
use crate::domain::ids::{MeasureId, ProgrammeId, ReferralId, SessionId};
use crate::domain::rules;
use crate::domain::validation::Input;
use crate::store::group_surveys::{self, NewSurvey};
use crate::store::outcomes::{self, OutcomeFields, OutcomeRecord};
use crate::store::{measures, referrals, sessions, write_transaction, StoreError};

use super::corrections::Diff;
use super::{audit_change, check_unlocked, invalid, CaseError, Ctx};

fn measure(conn: &mut DbConn, input: &mut Input) -> Result<Option<measures::Measure>, CaseError> {
    match input.id("measure_id", "Select the outcome measure") {
        Some(id) => match measures::find(conn, MeasureId(id)) {
            Ok(m) => Ok(Some(m)),
            Err(StoreError::NotFound) => {
                input.error("measure_id", "Select one of the outcome measures");
                Ok(None)
            }
            Err(e) => Err(e.into()),
        },
        None => Ok(None),
    }
}

/// Refuses a measure outside the programme's outcome framework (a programme without
/// one accepts any measure), naming the framework's measures.
fn in_framework(
    conn: &mut DbConn,
    input: &mut Input,
    programme: ProgrammeId,
    measure: &measures::Measure,
) -> Result<(), CaseError> {
    let framework = measures::framework(conn, programme)?;
    if !framework.is_empty() && !framework.iter().any(|m| m.id == measure.id) {
        let names: Vec<String> = framework
            .iter()
            .map(|m| format!("'{}' ({})", m.fields.name, m.id))
            .collect();
        input.error(
            "measure_id",
            format!(
                "'{}' is not in this programme's outcome framework; choose one of: {}",
                measure.fields.name,
                names.join(", ")
            ),
        );
    }
    Ok(())
}

/// The measures a programme's outcome form asks: its framework, or every measure when
/// it has none.
pub fn form_measures(
    conn: &mut DbConn,
    programme: ProgrammeId,
) -> Result<Vec<measures::Measure>, CaseError> {
    let framework = measures::framework(conn, programme)?;
    Ok(if framework.is_empty() {
        measures::all(conn)?
    } else {
        framework
    })
}

type Values = (Option<Timepoint>, Option<chrono::NaiveDate>, Option<f64>);

/// The timepoint, date and value of an outcome record (recorded and corrected alike).
fn values(
    input: &mut Input,
    ctx: &Ctx,
    referral: &referrals::Referral,
    measure: Option<&measures::Measure>,
) -> Values {
    let timepoint = input.word::<Timepoint>("timepoint");
    let recorded_on = input.date("recorded_on", "the date of the record", Some(ctx.today));
    if let Some(d) = recorded_on {
        let r = rules::not_before_referral(d, referral.fields.referred_on);
        input.rule("recorded_on", "the date of the record", r);
    }
    let value = input.number("value", "the value");
    if let (Some(m), Some(v)) = (measure, value) {
        let r = rules::in_measure_range(v, m.fields.min, m.fields.max, &m.fields.name);
        input.rule("value", "the value", r);
    }
    (timepoint, recorded_on, value)
}

/// Corrects an outcome record's timepoint, date or value, with a `reason`.
pub fn change(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: i64,
    patch: Input,
) -> Result<OutcomeRecord, CaseError> {
    let scope = ctx.actor.scope();
    let old = outcomes::find(conn, scope, id)?;
    let referral = referrals::find(conn, scope, old.referral_id)?;
    let measure = measures::find(conn, old.measure_id)?;
    let mut input = patch.over(vec![
        ("timepoint".into(), old.timepoint.as_str().into()),
        ("recorded_on".into(), old.recorded_on.to_string()),
        ("value".into(), old.value.to_string()),
    ]);
    let reason = super::corrections::reason(&mut input);
    let (timepoint, recorded_on, value) = values(&mut input, ctx, &referral, Some(&measure));
    input.finish()?;
    let (Some(reason), Some(timepoint), Some(recorded_on), Some(value)) =
        (reason, timepoint, recorded_on, value)
    else {
        return Err(CaseError::Invalid(Vec::new()));
    };
    let new = OutcomeFields {
        referral_id: old.referral_id,
        measure_id: old.measure_id,
        timepoint,
        recorded_on,
        value,
    };
    let mut diff = Diff::default();
    diff.field("timepoint", &old.timepoint, &new.timepoint);
    diff.field("recorded_on", &old.recorded_on, &new.recorded_on);
    diff.field("value", &old.value, &new.value);
    write_transaction(conn, |conn| {
        if diff.is_empty() {
            return Ok::<_, CaseError>(());
        }
        check_unlocked(
            conn,
            referral.fields.programme_id,
            &[
                ("recorded_on", old.recorded_on),
                ("recorded_on", new.recorded_on),
            ],
        )?;
        outcomes::update(conn, id, &new).map_err(|e| match e {
            StoreError::Duplicate(_) => invalid(
                "recorded_on",
                "This referral already has a value of this measure at this timepoint and date",
            ),
            other => other.into(),
        })?;
        diff.audit(
            conn,
            ctx,
            AuditAction::Update,
            "outcome_record",
            id,
            &reason,
        )?;
        Ok(())
    })?;
    Ok(outcomes::find(conn, scope, id)?)
}

/// The counts of a survey form or body (`count_<scale value>` = respondents), each scale
/// value within the measure's range; an error when none is above 0.
fn counts(input: &mut Input, measure: Option<&measures::Measure>) -> Vec<(i32, i32)> {
    let mut counts = Vec::new();
    let pairs: Vec<(String, String)> = input
        .pairs()
        .filter_map(|(k, v)| {
            k.strip_prefix("count_")
                .map(|s| (s.to_string(), v.to_string()))
        })
        .collect();
    for (scale, n) in pairs {
        let field = format!("count_{scale}");
        if n.is_empty() {
            continue;
        }
        let Ok(scale_value) = scale.parse::<i32>() else {
            input.error(&field, "Name a whole scale value, like count_3");
            continue;
        };
        if let Some(m) = measure {
            let v = f64::from(scale_value);
            let r = rules::in_measure_range(v, m.fields.min, m.fields.max, &m.fields.name);
            if input.rule(&field, "the scale value", r).is_none() {
                continue;
            }
        }
        match n.parse::<i32>() {
            Ok(n) if (0..=100_000).contains(&n) => counts.push((scale_value, n)),
            _ => input.error(
                &field,
                format!("Enter how many respondents gave {scale_value}, as a whole number"),
            ),
        }
    }
    if input.errors.is_empty() && counts.iter().all(|(_, n)| *n == 0) {
        input.error(
            "counts",
            "Enter how many respondents gave at least one scale value",
        );
    }
    counts.sort();
    counts
}

/// Corrects a group survey's counts (all of them: a scale value not given has none),
/// with a `reason`.
pub fn change_survey(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: i64,
    mut input: Input,
) -> Result<group_surveys::Survey, CaseError> {
    let scope = ctx.actor.scope();
    let old = group_surveys::find(conn, scope, id)?;
    let measure = measures::find(conn, old.measure_id)?;
    let reason = super::corrections::reason(&mut input);
    let counts = counts(&mut input, Some(&measure));
    input.finish()?;
    let reason = reason.ok_or(CaseError::Invalid(Vec::new()))?;
    let before: Vec<(i32, i32)> = old
        .counts
        .iter()
        .map(|c| (c.value, c.respondents))
        .collect();
    let mut diff = Diff::default();
    diff.field("counts", &before, &counts);
    write_transaction(conn, |conn| {
        if diff.is_empty() {
            return Ok::<_, CaseError>(());
        }
        check_unlocked(conn, old.programme_id, &[("recorded_on", old.recorded_on)])?;
        group_surveys::replace_counts(conn, id, &counts)?;
        diff.audit(conn, ctx, AuditAction::Update, "group_survey", id, &reason)?;
        Ok(())
    })?;
    Ok(group_surveys::find(conn, scope, id)?)
}

/// Records a referral's value on a measure (`measure_id`, `timepoint`, `recorded_on`,
/// `value` within the measure's range). The same referral, measure, timepoint and date
/// again updates the value. Returns the record's id.
pub fn record(
    conn: &mut DbConn,
    ctx: &Ctx,
    referral: ReferralId,
    mut input: Input,
) -> Result<i64, CaseError> {
    let referral = referrals::find(conn, ctx.actor.scope(), referral)?;
    let measure = measure(conn, &mut input)?;
    if let Some(m) = &measure {
        in_framework(conn, &mut input, referral.fields.programme_id, m)?;
    }
    let (timepoint, recorded_on, value) = values(&mut input, ctx, &referral, measure.as_ref());
    input.finish()?;
    let (Some(measure), Some(timepoint), Some(recorded_on), Some(value)) =
        (measure, timepoint, recorded_on, value)
    else {
        return Err(CaseError::Invalid(Vec::new()));
    };
    let fields = OutcomeFields {
        referral_id: referral.id,
        measure_id: measure.id,
        timepoint,
        recorded_on,
        value,
    };
    write_transaction(conn, |conn| {
        let (id, changed) = outcomes::upsert(conn, &fields)?;
        if changed {
            // Recording the same value again changes nothing and is not refused.
            check_unlocked(
                conn,
                referral.fields.programme_id,
                &[("recorded_on", recorded_on)],
            )?;
            audit_change(
                conn,
                ctx,
                AuditAction::Create,
                "outcome_record",
                id,
                &[
                    "referral_id",
                    "measure_id",
                    "timepoint",
                    "recorded_on",
                    "value",
                ],
            )?;
        }
        Ok(id)
    })
}

/// Records a group survey of a session: `measure_id`, `timepoint` (baseline | exit),
/// `recorded_on` (default: the session's date) and `count_<scale value>` = respondents
/// giving that value (whole scale values within the measure's range).
pub fn record_survey(
    conn: &mut DbConn,
    ctx: &Ctx,
    session: SessionId,
    mut input: Input,
) -> Result<i64, CaseError> {
    let session = sessions::find(conn, ctx.actor.scope(), session)?;
    let measure = measure(conn, &mut input)?;
    if let Some(m) = &measure {
        in_framework(conn, &mut input, session.fields.programme_id, m)?;
    }
    let timepoint = input.word::<Timepoint>("timepoint");
    if timepoint.is_some_and(|t| !matches!(t, Timepoint::Baseline | Timepoint::Exit)) {
        input.error("timepoint", "A group survey is taken at baseline or exit");
    }
    let recorded_on = input
        .opt_date("recorded_on", "the date of the survey", Some(ctx.today))
        .unwrap_or(session.fields.date);
    let counts = counts(&mut input, measure.as_ref());
    input.finish()?;
    let (Some(measure), Some(timepoint)) = (measure, timepoint) else {
        return Err(invalid("measure_id", "Select the outcome measure"));
    };
    let survey = NewSurvey {
        programme_id: session.fields.programme_id,
        session_id: Some(session.id),
        measure_id: measure.id,
        timepoint,
        recorded_on,
        counts,
    };
    write_transaction(conn, |conn| {
        check_unlocked(conn, survey.programme_id, &[("recorded_on", recorded_on)])?;
        let id = group_surveys::insert(conn, session.organisation_id, &survey)?;
        audit_change(
            conn,
            ctx,
            AuditAction::Create,
            "group_survey",
            id,
            &[
                "session_id",
                "measure_id",
                "timepoint",
                "recorded_on",
                "counts",
            ],
        )?;
        Ok(id)
    })
}

/// The outcome form's field of a measure's value.
pub fn value_field(measure: MeasureId) -> String {
    format!("value_{measure}")
}

/// Records a referral's values on its programme's measures at one timepoint, in one
/// submit (`timepoint`, `recorded_on`, `value_<measure id>` for each measure of the
/// framework, empty when not measured): at least one value, each within its measure's
/// range, all or nothing. Returns how many values were recorded.
pub fn record_framework(
    conn: &mut DbConn,
    ctx: &Ctx,
    referral: ReferralId,
    mut input: Input,
) -> Result<usize, CaseError> {
    let referral = referrals::find(conn, ctx.actor.scope(), referral)?;
    let asked = form_measures(conn, referral.fields.programme_id)?;
    let timepoint = input.word::<Timepoint>("timepoint");
    let recorded_on = input.date("recorded_on", "the date of the record", Some(ctx.today));
    if let Some(d) = recorded_on {
        let r = rules::not_before_referral(d, referral.fields.referred_on);
        input.rule("recorded_on", "the date of the record", r);
    }
    let mut given = Vec::new();
    for m in &asked {
        let field = value_field(m.id);
        if input.raw(&field).is_empty() {
            continue;
        }
        let name = m.fields.name.as_str();
        let Some(v) = input.number(&field, name) else {
            continue;
        };
        let r = rules::in_measure_range(v, m.fields.min, m.fields.max, name);
        if input.rule(&field, name, r).is_some() {
            given.push((m.id, v));
        }
    }
    let any_typed = asked
        .iter()
        .any(|m| !input.raw(&value_field(m.id)).is_empty());
    if !any_typed {
        let field = asked
            .first()
            .map(|m| value_field(m.id))
            .unwrap_or_else(|| "measure_id".into());
        input.error(&field, "Enter a value for at least one measure");
    }
    input.finish()?;
    let (Some(timepoint), Some(recorded_on)) = (timepoint, recorded_on) else {
        return Err(CaseError::Invalid(Vec::new()));
    };
    write_transaction(conn, |conn| {
        let mut checked = false;
        for (measure_id, value) in &given {
            let fields = OutcomeFields {
                referral_id: referral.id,
                measure_id: *measure_id,
                timepoint,
                recorded_on,
                value: *value,
            };
            let (id, changed) = outcomes::upsert(conn, &fields)?;
            if changed {
                if !checked {
                    check_unlocked(
                        conn,
                        referral.fields.programme_id,
                        &[("recorded_on", recorded_on)],
                    )?;
                    checked = true;
                }
                audit_change(
                    conn,
                    ctx,
                    AuditAction::Create,
                    "outcome_record",
                    id,
                    &[
                        "referral_id",
                        "measure_id",
                        "timepoint",
                        "recorded_on",
                        "value",
                    ],
                )?;
            }
        }
        Ok(given.len())
    })
}
