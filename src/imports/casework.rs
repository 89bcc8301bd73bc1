//! Provider casework files: participants, referrals, sessions, attendance and outcomes.
//! References resolve within the importer's organisation only: a reference of another
//! provider is "not found", exactly like one that does not exist.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::csvfile::{Columns, Row, RowError};
use super::{organisation, write_rows, Applied, ImportContext, ImportFile, WITHHELD};
use crate::casework::referrals::touched_dates;
use crate::db::DbConn;
use crate::domain::enums::{AttendanceStatus, Closure, Decision, Ethnicity, Gender};
use crate::domain::ids::{MeasureId, ParticipantId, ProgrammeId, ReferralId, SessionId};
use crate::domain::lifecycle::ReferralState;
use crate::domain::person_key::{person_key, PoliceIdError};
use crate::domain::returns::Locks;
use crate::domain::rules::{self, Dated, RuleError};
use crate::store::outcomes::{self as outcome_store, OutcomeFields};
use crate::store::participants::{self, ParticipantFields};
use crate::store::referrals::{self, ReferralFields};
use crate::store::sessions::{self, AttendanceFields, SessionFields};
use crate::store::{measures, programmes, quarterly_returns, StoreError};

type ApplyResult = Result<Applied, StoreError>;

fn row_error(line: u64, column: &str, value: &str, expected: impl Into<String>) -> RowError {
    RowError {
        line,
        column: column.to_string(),
        value: value.to_string(),
        expected: expected.into(),
        sheet: None,
        letter: None,
    }
}

/// Programmes of the importer's organisation by name: the exact name, or else the name
/// in any case ("youth bus" for "Youth Bus") when that names only one programme.
struct ProgrammeNames {
    exact: HashMap<String, programmes::Programme>,
    folded: HashMap<String, Option<String>>,
}

impl ProgrammeNames {
    fn get(&self, name: &str) -> Option<&programmes::Programme> {
        self.exact.get(name).or_else(|| {
            let exact = self.folded.get(&name.trim().to_lowercase())?.as_ref()?;
            self.exact.get(exact)
        })
    }
}

fn programmes_by_name(
    conn: &mut DbConn,
    ctx: &ImportContext,
) -> Result<ProgrammeNames, StoreError> {
    let exact: HashMap<String, programmes::Programme> =
        programmes::of_organisation(conn, organisation(ctx)?)?
            .into_iter()
            .map(|p| (p.fields.name.clone(), p))
            .collect();
    let mut folded: HashMap<String, Option<String>> = HashMap::new();
    for name in exact.keys() {
        folded
            .entry(name.trim().to_lowercase())
            .and_modify(|e| *e = None)
            .or_insert_with(|| Some(name.clone()));
    }
    Ok(ProgrammeNames { exact, folded })
}

/// The errors of rows that failed to parse and name no programme of the organisation
/// (`REFERENCES` = `["programme"]`).
fn unknown_programmes(
    conn: &mut DbConn,
    ctx: &ImportContext,
    rows: &[(u64, Vec<String>)],
) -> Result<Vec<RowError>, StoreError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let programmes = programmes_by_name(conn, ctx)?;
    Ok(rows
        .iter()
        .filter_map(|(line, refs)| {
            let name = refs.first()?;
            (!name.is_empty() && programmes.get(name).is_none()).then(|| {
                row_error(
                    *line,
                    "programme",
                    name,
                    "the name of one of your organisation's programmes",
                )
            })
        })
        .collect())
}

/// The quarterly-return lock on the importer's programmes (docs/casework.md).
fn locks(conn: &mut DbConn, ctx: &ImportContext) -> Result<Locks, StoreError> {
    let ids: Vec<ProgrammeId> = programmes::of_organisation(conn, organisation(ctx)?)?
        .into_iter()
        .map(|p| p.id)
        .collect();
    quarterly_returns::locks(conn, &ids)
}

/// What a row that would change a record dated in an approved quarter is told.
fn locked_expected(date: NaiveDate, quarter: crate::domain::period::Quarter) -> String {
    format!(
        "no change to records dated in {} ({date} is in it): its quarterly return is approved, so they are locked; an admin can unlock the return",
        quarter.long_name()
    )
}

/// The error of a row whose change touches a locked date, on the column of that date.
fn locked_row(
    locks: &Locks,
    line: u64,
    programme: ProgrammeId,
    dates: &[(&'static str, NaiveDate)],
) -> Option<RowError> {
    locks
        .first_locked(programme, dates.iter().copied())
        .map(|(column, date, quarter)| {
            row_error(
                line,
                column,
                &date.to_string(),
                locked_expected(date, quarter),
            )
        })
}

// ---------------------------------------------------------------------------------------

pub struct Participants;

impl ImportFile for Participants {
    type Record = ParticipantFields;
    const KEY: &'static [&'static str] = &["reference"];
    const COLUMNS: Columns = Columns {
        required: &["reference"],
        optional: &[
            "police_id",
            "person_key",
            "date_of_birth",
            "gender",
            "ethnicity",
            "district",
        ],
    };

    fn parse(row: &mut Row, ctx: &ImportContext) -> Option<ParticipantFields> {
        let reference = row.text("reference", 64);
        let keyed = match row.raw("police_id") {
            "" => None,
            raw => match person_key(ctx.secret, raw) {
                Ok(k) => Some(k.into_string()),
                Err(e) => {
                    let expected = match e {
                        PoliceIdError::TooLong => "a police identifier of at most 64 characters",
                        _ => "a police identifier of letters, digits, '/' and '-'",
                    };
                    row.error("police_id", WITHHELD, expected);
                    None
                }
            },
        };
        // An exported file carries the key instead of the identifier (round trips).
        let exported = match row.raw("person_key") {
            "" => None,
            k if k.len() == 64 && k.chars().all(|c| c.is_ascii_hexdigit()) => {
                Some(k.to_ascii_lowercase())
            }
            k => {
                row.error("person_key", k, "64 hexadecimal characters, as exported");
                None
            }
        };
        if let (Some(a), Some(b)) = (&keyed, &exported) {
            if a != b {
                row.error(
                    "person_key",
                    b,
                    "the key of police_id on the same row, or empty",
                );
            }
        }
        let date_of_birth = row.opt_date_until("date_of_birth", Some(ctx.today));
        let gender = row.word_or("gender", Gender::NotKnown);
        let ethnicity = row.word_or("ethnicity", Ethnicity::NotStated);
        let district = row.opt_text("district", 100);
        if !row.errors.is_empty() {
            return None;
        }
        Some(ParticipantFields {
            reference: reference?,
            person_key: keyed.or(exported),
            date_of_birth,
            gender: gender?,
            ethnicity: ethnicity?,
            district,
        })
    }

    fn apply(
        conn: &mut DbConn,
        ctx: &ImportContext,
        records: Vec<(u64, ParticipantFields)>,
    ) -> ApplyResult {
        let org = organisation(ctx)?;
        let existing: HashMap<String, participants::Participant> =
            participants::of_organisation(conn, org)?
                .into_iter()
                .map(|p| (p.fields.reference.clone(), p))
                .collect();
        // An empty police_id means "not given in this file": a key already held is
        // kept, never silently dropped.
        let rows = records.into_iter().map(|(_, mut rec)| {
            if rec.person_key.is_none() {
                if let Some(old) = existing.get(&rec.reference) {
                    rec.person_key = old.fields.person_key.clone();
                }
            }
            rec
        });
        write_rows(
            conn,
            rows,
            |rec| existing.get(&rec.reference),
            |old, rec| old.fields == *rec,
            |conn, old, rec| {
                participants::update(conn, old.id, rec)?;
                crate::casework::participants::diff(&old.fields, rec).audit_import(
                    conn,
                    ctx.user,
                    ctx.organisation,
                    "participant",
                    old.id,
                )
            },
            |conn, rec| participants::insert(conn, org, rec).map(|_| ()),
        )
        .map(Applied::Written)
    }
}

// ---------------------------------------------------------------------------------------

/// A referral row before its references are resolved.
pub struct ReferralRecord {
    reference: String,
    participant_ref: String,
    programme: String,
    state: ReferralState,
    source: crate::domain::enums::ReferralSource,
    reason: String,
    required_hours: Option<f64>,
    /// `linkage_objection`: `None` when empty (kept as recorded; no for a new referral).
    objection: Option<bool>,
}

pub struct Referrals;

impl ImportFile for Referrals {
    type Record = ReferralRecord;
    const KEY: &'static [&'static str] = &["referral_ref"];
    const COLUMNS: Columns = Columns {
        required: &[
            "referral_ref",
            "participant_ref",
            "programme",
            "referred_on",
            "source",
        ],
        optional: &[
            "reason",
            "decision",
            "decided_on",
            "closure",
            "closed_on",
            "required_hours",
            "linkage_objection",
        ],
    };

    const REFERENCES: &'static [&'static str] = &["programme"];
    fn check_references(
        conn: &mut DbConn,
        ctx: &ImportContext,
        rows: &[(u64, Vec<String>)],
    ) -> Result<Vec<RowError>, StoreError> {
        unknown_programmes(conn, ctx, rows)
    }
    fn parse(row: &mut Row, ctx: &ImportContext) -> Option<ReferralRecord> {
        let reference = row.text("referral_ref", 64);
        let participant_ref = row.text("participant_ref", 64);
        let programme = row.text("programme", 200);
        let referred_on = row.date_until("referred_on", Some(ctx.today));
        let source = row.word("source");
        let reason = row.opt_text("reason", 500);
        let decision = row.word_or("decision", Decision::Pending);
        let decided_on = row.opt_date("decided_on");
        let closure = row.word_or("closure", Closure::Open);
        let closed_on = row.opt_date("closed_on");
        let required_hours = row.opt_number("required_hours", 0.0, 1000.0);
        let objection = match row.raw("linkage_objection").to_ascii_lowercase().as_str() {
            "" => None,
            "yes" | "true" | "y" | "1" => Some(true),
            "no" | "false" | "n" | "0" => Some(false),
            other => {
                let other = other.to_string();
                row.error("linkage_objection", &other, "yes, no or empty");
                None
            }
        };
        if decision == Some(Decision::Pending) && decided_on.is_some() {
            row.error(
                "decided_on",
                row.raw("decided_on"),
                "empty while the decision is pending",
            );
        }
        if closure == Some(Closure::Open) && closed_on.is_some() {
            row.error(
                "closed_on",
                row.raw("closed_on"),
                "empty while the referral is open",
            );
        }
        if closure.is_some_and(|c| c != Closure::Open)
            && closed_on.is_none()
            && row.raw("closed_on").is_empty()
        {
            row.error(
                "closed_on",
                "",
                "the date the referral was closed, as YYYY-MM-DD",
            );
        }
        if !row.errors.is_empty() {
            return None;
        }
        let state = ReferralState {
            referred_on: referred_on?,
            decision: decision?,
            decided_on,
            closure: closure?,
            closed_on,
        };
        let state = match state.validate(ctx.today) {
            Ok(s) => s,
            Err(e) => {
                let column = match e.field() {
                    "decision" => "decision",
                    "closure" => "closure",
                    _ if closed_on.is_some() => "closed_on",
                    _ => "decided_on",
                };
                let value = row.raw(column).to_string();
                row.error(column, &value, e.to_string());
                return None;
            }
        };
        Some(ReferralRecord {
            reference: reference?,
            participant_ref: participant_ref?,
            programme: programme?,
            state,
            source: source?,
            reason: reason.unwrap_or_default(),
            required_hours: required_hours?,
            objection,
        })
    }

    fn apply(
        conn: &mut DbConn,
        ctx: &ImportContext,
        records: Vec<(u64, ReferralRecord)>,
    ) -> ApplyResult {
        let org = organisation(ctx)?;
        let programmes = programmes_by_name(conn, ctx)?;
        let people: HashMap<String, ParticipantId> = participants::of_organisation(conn, org)?
            .into_iter()
            .map(|p| (p.fields.reference, p.id))
            .collect();
        let existing: HashMap<String, referrals::Referral> = referrals::of_organisation(conn, org)?
            .into_iter()
            .map(|r| (r.fields.reference.clone(), r))
            .collect();
        let objected = referrals::objections_of_organisation(conn, org)?;
        let locks = locks(conn, ctx)?;
        let mut errors = Vec::new();
        let mut resolved = Vec::new();
        for (line, rec) in records {
            let participant = people.get(&rec.participant_ref);
            let programme = programmes.get(&rec.programme);
            if participant.is_none() {
                errors.push(row_error(line, "participant_ref", &rec.participant_ref,
                    "the reference of a participant already registered by your organisation (import participants first)"));
            }
            let Some(programme) = programme else {
                errors.push(row_error(
                    line,
                    "programme",
                    &rec.programme,
                    "the name of one of your organisation's programmes",
                ));
                continue;
            };
            let Some(&participant) = participant else {
                continue;
            };
            if let Err(e) = rules::required_hours(programme.fields.kind, rec.required_hours, false)
            {
                let shown = rec
                    .required_hours
                    .map(|h| h.to_string())
                    .unwrap_or_default();
                errors.push(row_error(line, "required_hours", &shown, e.expected()));
                continue;
            }
            let fields = ReferralFields {
                reference: rec.reference,
                participant_id: participant,
                programme_id: programme.id,
                referred_on: rec.state.referred_on,
                source: rec.source,
                reason: rec.reason,
                decision: rec.state.decision,
                decided_on: rec.state.decided_on,
                closure: rec.state.closure,
                closed_on: rec.state.closed_on,
                required_hours: rec.required_hours,
            };
            let old = existing.get(&fields.reference);
            if let Some(old) = old {
                if old.fields.participant_id != fields.participant_id {
                    errors.push(row_error(line, "participant_ref", &rec.participant_ref,
                        "the participant this referral was first recorded for (a referral cannot move to another person)"));
                    continue;
                }
                if old.fields.programme_id != fields.programme_id {
                    errors.push(row_error(line, "programme", &rec.programme,
                        "the programme this referral was first recorded for (a referral cannot move programme)"));
                    continue;
                }
            }
            if old.is_none_or(|o| o.fields != fields) {
                let dates = touched_dates(old.map(|o| &o.fields), &fields);
                if let Some(e) = locked_row(&locks, line, programme.id, &dates) {
                    errors.push(e);
                    continue;
                }
            }
            // The objection to linkage: empty keeps what is recorded (no for a new one).
            let was = old.is_some_and(|o| objected.contains(&o.id));
            resolved.push((fields, rec.objection.unwrap_or(was)));
        }
        if !errors.is_empty() {
            return Ok(Applied::Unresolved(errors));
        }
        write_rows(
            conn,
            resolved,
            |(f, _)| existing.get(&f.reference),
            |old, (f, objection)| old.fields == *f && objected.contains(&old.id) == *objection,
            |conn, old, (f, objection)| {
                referrals::update(conn, old.id, f)?;
                let mut diff = crate::casework::referrals::diff(&old.fields, f);
                let was = objected.contains(&old.id);
                if was != *objection {
                    referrals::set_linkage_objection(conn, old.id, *objection)?;
                    diff.field("linkage_objection", &was, objection);
                }
                diff.audit_import(conn, ctx.user, ctx.organisation, "referral", old.id)
            },
            |conn, (f, objection)| {
                let id = referrals::insert(conn, org, f)?;
                if *objection {
                    referrals::set_linkage_objection(conn, id, true)?;
                }
                Ok(())
            },
        )
        .map(Applied::Written)
    }
}

// ---------------------------------------------------------------------------------------

pub struct SessionRecord {
    programme: String,
    fields: SessionFields,
}

pub struct Sessions;

impl ImportFile for Sessions {
    type Record = SessionRecord;
    const KEY: &'static [&'static str] = &["session_ref"];
    const COLUMNS: Columns = Columns {
        required: &["session_ref", "programme", "date", "kind"],
        optional: &["duration_minutes", "headcount", "district", "venue"],
    };

    const REFERENCES: &'static [&'static str] = &["programme"];
    fn check_references(
        conn: &mut DbConn,
        ctx: &ImportContext,
        rows: &[(u64, Vec<String>)],
    ) -> Result<Vec<RowError>, StoreError> {
        unknown_programmes(conn, ctx, rows)
    }
    fn parse(row: &mut Row, ctx: &ImportContext) -> Option<SessionRecord> {
        let reference = row.text("session_ref", 64);
        let programme = row.text("programme", 200);
        let date = row.date_until("date", Some(ctx.today));
        let kind = row.word("kind");
        let duration = row.opt_int("duration_minutes", 0, 1440);
        let headcount = row.opt_int("headcount", 0, 100_000);
        let district = row.opt_text("district", 100);
        let venue = row.opt_text("venue", 200);
        if !row.errors.is_empty() {
            return None;
        }
        Some(SessionRecord {
            programme: programme?,
            fields: SessionFields {
                reference: Some(reference?),
                programme_id: ProgrammeId(0),
                date: date?,
                kind: kind?,
                duration_minutes: duration?.map(|v| v as i32),
                headcount: headcount?.unwrap_or(0) as i32,
                district,
                venue,
            },
        })
    }

    fn apply(
        conn: &mut DbConn,
        ctx: &ImportContext,
        records: Vec<(u64, SessionRecord)>,
    ) -> ApplyResult {
        let org = organisation(ctx)?;
        let programmes = programmes_by_name(conn, ctx)?;
        let existing: HashMap<String, sessions::Session> = sessions::of_organisation(conn, org)?
            .into_iter()
            .filter_map(|s| s.fields.reference.clone().map(|r| (r, s)))
            .collect();
        let locks = locks(conn, ctx)?;
        let mut errors = Vec::new();
        let mut resolved = Vec::new();
        for (line, mut rec) in records {
            let Some(programme) = programmes.get(&rec.programme) else {
                errors.push(row_error(
                    line,
                    "programme",
                    &rec.programme,
                    "the name of one of your organisation's programmes",
                ));
                continue;
            };
            rec.fields.programme_id = programme.id;
            let reference = rec.fields.reference.clone().unwrap_or_default();
            let old = existing.get(&reference);
            if let Some(old) = old {
                if old.fields.programme_id != programme.id {
                    errors.push(row_error(line, "programme", &rec.programme,
                        "the programme this session was first recorded for (a session cannot move programme)"));
                    continue;
                }
            }
            if old.is_none_or(|o| o.fields != rec.fields) {
                let mut dates = vec![("date", rec.fields.date)];
                dates.extend(old.map(|o| ("date", o.fields.date)));
                if let Some(e) = locked_row(&locks, line, programme.id, &dates) {
                    errors.push(e);
                    continue;
                }
            }
            resolved.push(rec.fields);
        }
        if !errors.is_empty() {
            return Ok(Applied::Unresolved(errors));
        }
        write_rows(
            conn,
            resolved,
            |f| f.reference.as_ref().and_then(|r| existing.get(r)),
            |old, f| old.fields == *f,
            |conn, old, f| {
                sessions::update(conn, old.id, f)?;
                crate::casework::sessions::diff(&old.fields, f).audit_import(
                    conn,
                    ctx.user,
                    ctx.organisation,
                    "session",
                    old.id,
                )
            },
            |conn, f| sessions::insert(conn, org, f).map(|_| ()),
        )
        .map(Applied::Written)
    }
}

// ---------------------------------------------------------------------------------------

pub struct AttendanceRecord {
    session_ref: String,
    referral_ref: String,
    /// `None`: the mark is removed.
    status: Option<AttendanceStatus>,
    hours: Option<f64>,
}

pub struct Attendance;

impl ImportFile for Attendance {
    type Record = AttendanceRecord;
    const KEY: &'static [&'static str] = &["session_ref", "referral_ref"];
    const COLUMNS: Columns = Columns {
        required: &["session_ref", "referral_ref", "status"],
        optional: &["hours"],
    };

    fn parse(row: &mut Row, _ctx: &ImportContext) -> Option<AttendanceRecord> {
        let session_ref = row.text("session_ref", 64);
        let referral_ref = row.text("referral_ref", 64);
        // An empty status removes the mark (the line is "not recorded").
        let status = match row.raw("status") {
            "" => Some(None),
            _ => row.word::<AttendanceStatus>("status").map(Some),
        };
        let r = rules::attendance_hours(row.raw("hours"), "");
        let hours = row.rule("hours", r);
        if let (Some(Some(s)), Some(h)) = (status, hours) {
            if let Err(e) = rules::attendance_mark(s, h, "") {
                row.error("hours", row.raw("hours"), e.expected());
            }
        }
        if status == Some(None) && hours.is_some_and(|h| h.is_some()) {
            row.error(
                "hours",
                row.raw("hours"),
                "empty when the status is empty (the mark is removed)",
            );
        }
        if !row.errors.is_empty() {
            return None;
        }
        Some(AttendanceRecord {
            session_ref: session_ref?,
            referral_ref: referral_ref?,
            status: status?,
            hours: hours?,
        })
    }

    fn apply(
        conn: &mut DbConn,
        ctx: &ImportContext,
        records: Vec<(u64, AttendanceRecord)>,
    ) -> ApplyResult {
        let org = organisation(ctx)?;
        let programme_names: HashMap<ProgrammeId, String> = programmes::of_organisation(conn, org)?
            .into_iter()
            .map(|p| (p.id, p.fields.name))
            .collect();
        let session_map: HashMap<String, (SessionId, ProgrammeId, NaiveDate)> =
            sessions::of_organisation(conn, org)?
                .into_iter()
                .filter_map(|s| {
                    s.fields
                        .reference
                        .map(|r| (r, (s.id, s.fields.programme_id, s.fields.date)))
                })
                .collect();
        let referral_map: HashMap<String, (ReferralId, ProgrammeId, NaiveDate)> =
            referrals::of_organisation(conn, org)?
                .into_iter()
                .map(|r| {
                    (
                        r.fields.reference,
                        (r.id, r.fields.programme_id, r.fields.referred_on),
                    )
                })
                .collect();
        let existing: HashMap<(SessionId, ReferralId), (i64, AttendanceFields)> =
            sessions::attendance_of_organisation(conn, org)?
                .into_iter()
                .map(|(id, f)| ((f.session_id, f.referral_id), (id, f)))
                .collect();
        let name = |p: &ProgrammeId| programme_names.get(p).cloned().unwrap_or_default();
        let locks = locks(conn, ctx)?;
        let mut errors = Vec::new();
        let mut resolved = Vec::new();
        let (mut removed, mut unmarked) = (Vec::new(), 0);
        let mut corrected = std::collections::BTreeSet::new();
        for (line, rec) in records {
            let session = session_map.get(&rec.session_ref);
            let referral = referral_map.get(&rec.referral_ref);
            if session.is_none() {
                errors.push(row_error(
                    line,
                    "session_ref",
                    &rec.session_ref,
                    "the reference of one of your organisation's sessions (import sessions first)",
                ));
            }
            if referral.is_none() {
                errors.push(row_error(line, "referral_ref", &rec.referral_ref,
                    "the reference of one of your organisation's referrals (import referrals first)"));
            }
            let (
                Some(&(session_id, session_programme, session_date)),
                Some(&(referral_id, referral_programme, referred_on)),
            ) = (session, referral)
            else {
                continue;
            };
            let (session_name, referral_name) =
                (name(&session_programme), name(&referral_programme));
            if let Err(e) = rules::attendance_belongs(
                Dated {
                    programme: session_programme.0,
                    programme_name: &session_name,
                    date: session_date,
                },
                Dated {
                    programme: referral_programme.0,
                    programme_name: &referral_name,
                    date: referred_on,
                },
                &rec.referral_ref,
            ) {
                let (column, value) = match e {
                    RuleError::OtherProgramme { .. } => ("referral_ref", &rec.referral_ref),
                    _ => ("session_ref", &rec.session_ref),
                };
                errors.push(row_error(line, column, value, e.expected()));
                continue;
            }
            let old = existing.get(&(session_id, referral_id));
            let fields = rec.status.map(|status| AttendanceFields {
                session_id,
                referral_id,
                programme_id: session_programme,
                session_date,
                status,
                hours: rec.hours,
            });
            let changes = match (&fields, old) {
                (Some(f), Some((_, o))) => o != f,
                (None, None) => false,
                _ => true,
            };
            if let Some(quarter) = locks
                .locked(session_programme, session_date)
                .filter(|_| changes)
            {
                errors.push(row_error(
                    line,
                    "session_ref",
                    &rec.session_ref,
                    format!(
                        "a session outside {} (this one was on {session_date}): the quarterly return of that quarter is approved, so its sessions' attendance is locked; an admin can unlock the return",
                        quarter.long_name()
                    ),
                ));
                continue;
            }
            if changes && old.is_some() {
                corrected.insert(session_id);
            }
            match (fields, old) {
                (Some(f), _) => resolved.push(f),
                (None, Some((id, _))) => removed.push(*id),
                (None, None) => unmarked += 1,
            }
        }
        if !errors.is_empty() {
            return Ok(Applied::Unresolved(errors));
        }
        // Registers whose marks the file changes or removes (not only adds to): their
        // history shows what the upload did, as a register correction on the page does.
        let mut before = Vec::with_capacity(corrected.len());
        for session in &corrected {
            before.push((*session, sessions::register_of(conn, *session)?));
        }
        let mut counts = write_rows(
            conn,
            resolved,
            |f| existing.get(&(f.session_id, f.referral_id)),
            |(_, old), f| old == f,
            |conn, (id, _), f| sessions::update_attendance(conn, *id, f),
            sessions::insert_attendance,
        )?;
        for id in &removed {
            sessions::delete_attendance(conn, *id)?;
        }
        for (session, before) in before {
            let after = sessions::register_of(conn, session)?;
            crate::casework::sessions::audit_imported_register(
                conn,
                ctx.user,
                ctx.organisation,
                session,
                &before,
                &after,
            )?;
        }
        counts.updated += removed.len() as u64;
        counts.unchanged += unmarked;
        Ok(counts.into())
    }
}

// ---------------------------------------------------------------------------------------

pub struct OutcomeRecord {
    referral_ref: String,
    measure: String,
    timepoint: crate::domain::enums::Timepoint,
    recorded_on: NaiveDate,
    value: f64,
}

pub struct Outcomes;

impl ImportFile for Outcomes {
    type Record = OutcomeRecord;
    const KEY: &'static [&'static str] = &["referral_ref", "measure", "timepoint", "recorded_on"];
    const COLUMNS: Columns = Columns {
        required: &[
            "referral_ref",
            "measure",
            "timepoint",
            "recorded_on",
            "value",
        ],
        optional: &[],
    };

    fn parse(row: &mut Row, ctx: &ImportContext) -> Option<OutcomeRecord> {
        let referral_ref = row.text("referral_ref", 64);
        let measure = row.text("measure", 200);
        let timepoint = row.word("timepoint");
        let recorded_on = row.date_until("recorded_on", Some(ctx.today));
        let value = row.number("value");
        if !row.errors.is_empty() {
            return None;
        }
        Some(OutcomeRecord {
            referral_ref: referral_ref?,
            measure: measure?,
            timepoint: timepoint?,
            recorded_on: recorded_on?,
            value: value?,
        })
    }

    fn apply(
        conn: &mut DbConn,
        ctx: &ImportContext,
        records: Vec<(u64, OutcomeRecord)>,
    ) -> ApplyResult {
        let org = organisation(ctx)?;
        let measure_map: HashMap<String, measures::Measure> = measures::all(conn)?
            .into_iter()
            .map(|m| (m.fields.name.clone(), m))
            .collect();
        let referral_map: HashMap<String, (ReferralId, NaiveDate, ProgrammeId)> =
            referrals::of_organisation(conn, org)?
                .into_iter()
                .map(|r| {
                    (
                        r.fields.reference,
                        (r.id, r.fields.referred_on, r.fields.programme_id),
                    )
                })
                .collect();
        type Key = (
            ReferralId,
            MeasureId,
            crate::domain::enums::Timepoint,
            NaiveDate,
        );
        let existing: HashMap<Key, (i64, f64)> = outcome_store::of_organisation(conn, org)?
            .into_iter()
            .map(|(id, f)| {
                (
                    (f.referral_id, f.measure_id, f.timepoint, f.recorded_on),
                    (id, f.value),
                )
            })
            .collect();
        let locks = locks(conn, ctx)?;
        let mut errors = Vec::new();
        let mut resolved = Vec::new();
        for (line, rec) in records {
            let referral = referral_map.get(&rec.referral_ref);
            let measure = measure_map.get(&rec.measure);
            if referral.is_none() {
                errors.push(row_error(
                    line,
                    "referral_ref",
                    &rec.referral_ref,
                    "the reference of one of your organisation's referrals",
                ));
            }
            if measure.is_none() {
                errors.push(row_error(
                    line,
                    "measure",
                    &rec.measure,
                    "the name of an outcome measure",
                ));
            }
            let (Some(&(referral_id, referred_on, programme)), Some(measure)) = (referral, measure)
            else {
                continue;
            };
            let m = &measure.fields;
            if let Err(e) = rules::in_measure_range(rec.value, m.min, m.max, &m.name) {
                errors.push(row_error(
                    line,
                    "value",
                    &rec.value.to_string(),
                    e.expected(),
                ));
                continue;
            }
            if let Err(e) = rules::not_before_referral(rec.recorded_on, referred_on) {
                let shown = rec.recorded_on.to_string();
                errors.push(row_error(line, "recorded_on", &shown, e.expected()));
                continue;
            }
            let changes = existing
                .get(&(referral_id, measure.id, rec.timepoint, rec.recorded_on))
                .is_none_or(|(_, value)| *value != rec.value);
            if changes {
                if let Some(e) =
                    locked_row(&locks, line, programme, &[("recorded_on", rec.recorded_on)])
                {
                    errors.push(e);
                    continue;
                }
            }
            resolved.push(OutcomeFields {
                referral_id,
                measure_id: measure.id,
                timepoint: rec.timepoint,
                recorded_on: rec.recorded_on,
                value: rec.value,
            });
        }
        if !errors.is_empty() {
            return Ok(Applied::Unresolved(errors));
        }
        write_rows(
            conn,
            resolved,
            |f| existing.get(&(f.referral_id, f.measure_id, f.timepoint, f.recorded_on)),
            |(_, value), f| *value == f.value,
            |conn, (id, value), f| {
                outcome_store::update_value(conn, *id, f.value)?;
                let mut diff = crate::casework::corrections::Diff::default();
                diff.field("value", value, &f.value);
                diff.audit_import(conn, ctx.user, ctx.organisation, "outcome_record", *id)
            },
            outcome_store::insert,
        )
        .map(Applied::Written)
    }
}
