//! Sessions and their registers. A session without a reference is given `S-<id>`, so
//! its attendance can be exported and imported again. A register is recorded whole:
//! every line is checked (the referral is the organisation's, to the session's own
//! programme, and referred on or before the session) before anything is written.

use std::collections::BTreeMap;

use crate::db::DbConn;
use crate::domain::enums::{AttendanceStatus, AuditAction, SessionKind};
use crate::domain::ids::{ProgrammeId, ReferralId, SessionId};
use crate::domain::rules::{self, Dated};
use crate::domain::validation::Input;
use crate::store::sessions::{self, AttendanceFields, Session, SessionFields};
use crate::store::{programmes, referrals, write_transaction, StoreError};

use super::corrections::Diff;
use super::{audit_change, check_unlocked, duplicate_on, CaseError, Ctx};

type Details = (
    Option<chrono::NaiveDate>,
    Option<SessionKind>,
    Option<Option<i64>>,
    Option<Option<i64>>,
    Option<String>,
    Option<String>,
);

/// The fields a session is recorded and corrected with.
fn details(input: &mut Input, ctx: &Ctx) -> Details {
    let date = input.date("date", "the date of the session", Some(ctx.today));
    let kind = input.word::<SessionKind>("kind");
    let duration = input.opt_int("duration_minutes", 0, 1440);
    let headcount = input.opt_int("headcount", 0, 100_000);
    let district = input.opt_text("district", 100);
    let venue = input.opt_text("venue", 200);
    (date, kind, duration, headcount, district, venue)
}

/// The text of a session's fields, for a pre-filled form or a merge patch.
pub fn as_pairs(f: &SessionFields) -> Vec<(String, String)> {
    vec![
        ("date".into(), f.date.to_string()),
        ("kind".into(), f.kind.as_str().into()),
        (
            "duration_minutes".into(),
            f.duration_minutes
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ),
        ("headcount".into(), f.headcount.to_string()),
        ("district".into(), f.district.clone().unwrap_or_default()),
        ("venue".into(), f.venue.clone().unwrap_or_default()),
    ]
}

/// What a change of a session changes. Corrections and imports (`imports::casework`)
/// both describe changes with it.
pub fn diff(o: &SessionFields, new: &SessionFields) -> Diff {
    let mut diff = Diff::default();
    diff.field("date", &o.date, &new.date);
    diff.field("kind", &o.kind, &new.kind);
    diff.field(
        "duration_minutes",
        &o.duration_minutes,
        &new.duration_minutes,
    );
    diff.field("headcount", &o.headcount, &new.headcount);
    diff.field("district", &o.district, &new.district);
    diff.field("venue", &o.venue, &new.venue);
    diff
}

/// Corrects a session's date, kind, duration, headcount, district or venue, with a
/// `reason`. A new date must still be on or after the referral date of everyone on its
/// register. Refused when the old or the new date is in an approved quarter.
pub fn change(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: SessionId,
    patch: Input,
) -> Result<Session, CaseError> {
    let scope = ctx.actor.scope();
    let old = sessions::find(conn, scope, id)?;
    let mut input = patch.over(as_pairs(&old.fields));
    let reason = super::corrections::reason(&mut input);
    let (date, kind, duration, headcount, district, venue) = details(&mut input, ctx);
    if let Some(d) = date {
        for line in sessions::register_of(conn, id)? {
            let r = referrals::find(conn, scope, line.referral_id)?;
            if d < r.fields.referred_on {
                input.error(
                    "date",
                    format!(
                        "Referral {} on this session's register was made on {}, after {d}",
                        r.fields.reference, r.fields.referred_on
                    ),
                );
                break;
            }
        }
    }
    input.finish()?;
    let (Some(reason), Some(date), Some(kind), Some(duration), Some(headcount)) =
        (reason, date, kind, duration, headcount)
    else {
        return Err(CaseError::Invalid(Vec::new()));
    };
    let new = SessionFields {
        reference: old.fields.reference.clone(),
        programme_id: old.fields.programme_id,
        date,
        kind,
        duration_minutes: duration.map(|d| d as i32),
        headcount: headcount.unwrap_or(0) as i32,
        district,
        venue,
    };
    let o = &old.fields;
    let diff = diff(o, &new);
    write_transaction(conn, |conn| {
        if diff.is_empty() {
            return Ok::<_, CaseError>(());
        }
        check_unlocked(
            conn,
            o.programme_id,
            &[("date", o.date), ("date", new.date)],
        )?;
        sessions::update(conn, id, &new)?;
        diff.audit(conn, ctx, AuditAction::Update, "session", id, &reason)?;
        Ok(())
    })?;
    Ok(Session { fields: new, ..old })
}

/// Records a session of a programme the actor's organisation delivers.
pub fn create(conn: &mut DbConn, ctx: &Ctx, mut input: Input) -> Result<SessionId, CaseError> {
    let programme = match input.id("programme_id", "Select the programme") {
        Some(id) => match programmes::find_visible(conn, ctx.actor.scope(), ProgrammeId(id)) {
            Ok(p) => Some(p),
            Err(StoreError::NotFound) => {
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
    let (date, kind, duration, headcount, district, venue) = details(&mut input, ctx);
    input.finish()?;
    let (Some(programme), Some(date), Some(kind), Some(duration), Some(headcount)) =
        (programme, date, kind, duration, headcount)
    else {
        return Err(CaseError::Invalid(Vec::new()));
    };
    let given = reference.is_some();
    let fields = SessionFields {
        reference,
        programme_id: programme.id,
        date,
        kind,
        duration_minutes: duration.map(|d| d as i32),
        headcount: headcount.unwrap_or(0) as i32,
        district,
        venue,
    };
    write_transaction(conn, |conn| {
        check_unlocked(conn, programme.id, &[("date", date)])?;
        let duplicate = duplicate_on(
            "reference",
            "A session with this reference is already recorded",
        );
        let id = sessions::insert(conn, programme.organisation_id, &fields).map_err(&duplicate)?;
        if !given {
            sessions::set_reference(conn, id, &format!("S-{id}")).map_err(&duplicate)?;
        }
        audit_change(
            conn,
            ctx,
            AuditAction::Create,
            "session",
            id,
            &[
                "reference",
                "programme_id",
                "date",
                "kind",
                "duration_minutes",
                "headcount",
                "district",
                "venue",
            ],
        )?;
        Ok(id)
    })
}

/// What a register submission recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RegisterSummary {
    /// Lines given (named referrals).
    pub lines: usize,
    /// Lines added, changed or removed.
    pub changed: usize,
    /// Referrals on the register after the save, and of them those who attended.
    pub on_register: usize,
    pub attended: usize,
    pub headcount: i32,
}

/// The status that removes a referral's mark from a register.
pub const NOT_RECORDED: &str = "not_recorded";

/// Records a whole register: `status_<referral id>` (attended | did_not_attend |
/// cancelled; `not_recorded` removes the mark; empty leaves the referral as it is), `hours_<referral id>` (0 to 24, attended only)
/// and `headcount` (unnamed attendees; empty keeps the session's). All or nothing. With a
/// `reason` the save is a correction: the history shows the reason and each mark's old and
/// new value.
pub fn record_register(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: SessionId,
    mut input: Input,
) -> Result<(Session, RegisterSummary), CaseError> {
    let scope = ctx.actor.scope();
    let session = sessions::find(conn, scope, id)?;
    let mut lines: BTreeMap<i64, (String, String)> = BTreeMap::new();
    let mut bad_names = Vec::new();
    for (name, value) in input.pairs() {
        let (is_status, rest) = match (name.strip_prefix("status_"), name.strip_prefix("hours_")) {
            (Some(rest), _) => (true, rest),
            (_, Some(rest)) => (false, rest),
            _ => continue,
        };
        let Ok(referral) = rest.parse::<i64>() else {
            bad_names.push(name.to_string());
            continue;
        };
        let line = lines.entry(referral).or_default();
        if is_status {
            line.0 = value.to_string();
        } else {
            line.1 = value.to_string();
        }
    }
    for name in bad_names {
        input.error(&name, "Name a referral by its number, like status_12");
    }
    let headcount = input.opt_int("headcount", 0, 100_000);
    // A reason (optional) makes the save a correction: its history entry carries the
    // reason and each mark's old and new value.
    let correction = input.opt_text("reason", 500);
    let mut records = Vec::new();
    let mut removals = Vec::new();
    for (referral_id, (status, hours)) in lines {
        let (status_field, hours_field) = (
            format!("status_{referral_id}"),
            format!("hours_{referral_id}"),
        );
        if status.is_empty() {
            if !hours.is_empty() {
                input.error(
                    &status_field,
                    format!("Select whether referral {referral_id} attended"),
                );
            }
            continue;
        }
        // Another organisation's referral reads exactly like one that does not exist.
        let referral = match referrals::find(conn, scope, ReferralId(referral_id)) {
            Ok(r) => r,
            Err(StoreError::NotFound) => {
                input.error(
                    &status_field,
                    format!("Referral {referral_id} is not one of your organisation's referrals"),
                );
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let name = &referral.fields.reference;
        let (theirs, ours) = if referral.fields.programme_id != session.fields.programme_id {
            let name_of = |conn: &mut DbConn, p| -> Result<String, StoreError> {
                Ok(programmes::find(conn, p)?
                    .map(|p| p.fields.name)
                    .unwrap_or_default())
            };
            (
                name_of(conn, referral.fields.programme_id)?,
                name_of(conn, session.fields.programme_id)?,
            )
        } else {
            (String::new(), String::new())
        };
        let belongs = rules::attendance_belongs(
            Dated {
                programme: session.fields.programme_id.0,
                programme_name: &ours,
                date: session.fields.date,
            },
            Dated {
                programme: referral.fields.programme_id.0,
                programme_name: &theirs,
                date: referral.fields.referred_on,
            },
            name,
        );
        if input.rule(&status_field, "", belongs).is_none() {
            continue;
        }
        if status == NOT_RECORDED {
            if !hours.is_empty() {
                input.error(
                    &hours_field,
                    format!("Leave the hours of referral {name} empty when its mark is removed"),
                );
            }
            removals.push(referral.id);
            continue;
        }
        let status = match status.parse::<AttendanceStatus>() {
            Ok(s) => s,
            Err(e) => {
                input.error(
                    &status_field,
                    format!("'{status}' is not a valid attendance for referral {name}; choose one of: {}, {NOT_RECORDED}", e.expected),
                );
                continue;
            }
        };
        let hours = match input.rule(&hours_field, "", rules::attendance_hours(&hours, name)) {
            Some(h) => h,
            None => continue,
        };
        if input
            .rule(
                &hours_field,
                "",
                rules::attendance_mark(status, hours, name),
            )
            .is_none()
        {
            continue;
        }
        records.push(AttendanceFields {
            session_id: session.id,
            referral_id: referral.id,
            programme_id: session.fields.programme_id,
            session_date: session.fields.date,
            status,
            hours,
        });
    }
    input.finish()?;
    let headcount = headcount.flatten().map(|h| h as i32);
    let changed = write_transaction(conn, |conn| {
        // Register writes to one session run one after the other (on PostgreSQL; SQLite
        // serializes every write), so two never both insert a line, and a register is
        // never half one write and half another.
        sessions::lock_for_register(conn, session.id)?;
        let before = match correction {
            Some(_) => sessions::register_of(conn, session.id)?,
            None => Vec::new(),
        };
        let mut changed = 0;
        for r in &records {
            if sessions::upsert_attendance(conn, r)? {
                changed += 1;
            }
        }
        for referral in &removals {
            if sessions::remove_attendance(conn, session.id, *referral)? {
                changed += 1;
            }
        }
        let mut fields = Vec::new();
        if changed > 0 {
            fields.extend(["attendance.status", "attendance.hours"]);
        }
        if let Some(h) = headcount.filter(|h| *h != session.fields.headcount) {
            sessions::set_headcount(conn, session.id, h)?;
            fields.push("headcount");
        }
        if !fields.is_empty() {
            // Nothing is refused that would change nothing; anything else is rolled back.
            check_unlocked(
                conn,
                session.fields.programme_id,
                &[("date", session.fields.date)],
            )?;
            match &correction {
                Some(reason) => {
                    let after = sessions::register_of(conn, session.id)?;
                    let changes =
                        register_changes(&before, &after, session.fields.headcount, headcount);
                    super::audit_correction(
                        conn,
                        ctx,
                        AuditAction::Update,
                        "session",
                        session.id,
                        &fields,
                        serde_json::json!({"reason": reason, "changes": changes}),
                    )?;
                }
                None => audit_change(
                    conn,
                    ctx,
                    AuditAction::Update,
                    "session",
                    session.id,
                    &fields,
                )?,
            }
        }
        Ok::<_, CaseError>(changed)
    })?;
    let register = sessions::register_of(conn, session.id)?;
    let summary = RegisterSummary {
        lines: records.len(),
        changed,
        on_register: register.len(),
        attended: register
            .iter()
            .filter(|l| l.status == AttendanceStatus::Attended)
            .count(),
        headcount: headcount.unwrap_or(session.fields.headcount),
    };
    let session = sessions::find(conn, scope, id)?;
    Ok((session, summary))
}

/// Appends the audit event of a register an import changed (`via: import`), with each
/// mark old → new, as a register correction on the page records it.
pub fn audit_imported_register(
    conn: &mut DbConn,
    user: Option<crate::domain::ids::UserId>,
    organisation: Option<crate::domain::ids::OrganisationId>,
    session: SessionId,
    before: &[sessions::RegisterLine],
    after: &[sessions::RegisterLine],
) -> Result<(), crate::store::StoreError> {
    let changes = register_changes(before, after, 0, None);
    if changes.is_empty() {
        return Ok(());
    }
    super::audit_import(
        conn,
        user,
        organisation,
        "session",
        session,
        &["attendance.status", "attendance.hours"],
        &changes,
    )
}

/// A register line as the history shows it: "attended, 1.5 hours", "did not attend".
fn mark_text(line: &sessions::RegisterLine) -> String {
    let status = line.status.as_str().replace('_', " ");
    match line.hours {
        Some(1.0) => format!("{status}, 1 hour"),
        Some(h) => format!("{status}, {h} hours"),
        None => status,
    }
}

/// What a register save changed, for a correction's history entry: each referral's mark
/// (`attendance <reference>`, old → new, `null` when there was or is none) and the
/// headcount. Marks and references are not personal details.
fn register_changes(
    before: &[sessions::RegisterLine],
    after: &[sessions::RegisterLine],
    old_headcount: i32,
    headcount: Option<i32>,
) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::json;
    let mut changes = serde_json::Map::new();
    let find = |lines: &[sessions::RegisterLine], id: ReferralId| {
        lines.iter().find(|l| l.referral_id == id).map(mark_text)
    };
    let mut ids: Vec<(ReferralId, String)> = before
        .iter()
        .chain(after)
        .map(|l| (l.referral_id, l.referral_reference.clone()))
        .collect();
    ids.sort_by(|a, b| a.1.cmp(&b.1));
    ids.dedup();
    for (id, reference) in ids {
        let (old, new) = (find(before, id), find(after, id));
        if old != new {
            changes.insert(
                format!("attendance {reference}"),
                json!({"old": old, "new": new}),
            );
        }
    }
    if let Some(h) = headcount.filter(|h| *h != old_headcount) {
        changes.insert("headcount".into(), json!({"old": old_headcount, "new": h}));
    }
    changes
}

/// Adds the referrals `values` (ids as typed: the form's `referral_id` values) to the people a session is for
/// (docs/casework.md, "Registers"): each must be one of the organisation's referrals to the
/// session's programme, accepted and referred on or before the session. All or nothing;
/// returns how many were added (0 when all were there already).
pub fn add_participants(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: SessionId,
    values: &[String],
) -> Result<usize, CaseError> {
    let scope = ctx.actor.scope();
    let session = sessions::find(conn, scope, id)?;
    let mut chosen = Vec::new();
    let mut errors = Vec::new();
    for value in values {
        if value.trim().is_empty() {
            continue;
        }
        let found = value
            .trim()
            .parse::<i64>()
            .ok()
            .map(|r| referrals::find(conn, scope, ReferralId(r)));
        match found {
            Some(Ok(r))
                if r.fields.programme_id == session.fields.programme_id
                    && r.fields.decision == crate::domain::enums::Decision::Accepted
                    && r.fields.referred_on <= session.fields.date =>
            {
                chosen.push(r.id)
            }
            Some(Err(e)) if !matches!(e, StoreError::NotFound) => return Err(e.into()),
            _ => errors.push(crate::domain::validation::FieldError::new(
                "referral_id",
                "Select an accepted referral to this session's programme, referred on or before the session",
            )),
        }
    }
    if chosen.is_empty() && errors.is_empty() {
        errors.push(crate::domain::validation::FieldError::new(
            "referral_id",
            "Select the referral of the person the session is for",
        ));
    }
    if !errors.is_empty() {
        errors.truncate(1);
        return Err(CaseError::Invalid(errors));
    }
    write_transaction(conn, |conn| {
        let mut added = 0;
        for r in &chosen {
            if sessions::add_participant(conn, session.id, *r, session.fields.programme_id)? {
                added += 1;
            }
        }
        if added > 0 {
            audit_change(
                conn,
                ctx,
                AuditAction::Update,
                "session",
                session.id,
                &["participants"],
            )?;
        }
        Ok::<_, CaseError>(added)
    })
}

/// Takes a referral off the people a session is for (its marks on the register, if any,
/// stay: they are removed with "not recorded").
pub fn remove_participant(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: SessionId,
    referral: ReferralId,
) -> Result<bool, CaseError> {
    let session = sessions::find(conn, ctx.actor.scope(), id)?;
    write_transaction(conn, |conn| {
        let removed = sessions::remove_participant(conn, session.id, referral)?;
        if removed {
            audit_change(
                conn,
                ctx,
                AuditAction::Update,
                "session",
                session.id,
                &["participants"],
            )?;
        }
        Ok::<_, CaseError>(removed)
    })
}
