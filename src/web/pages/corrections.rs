//! Correcting the record on the pages (docs/casework.md, "Correcting the record"): a
//! pre-filled question page for each field a caseworker records, with the reason for the
//! change; undoing a referral's closure or changing its decision; voiding and restoring a
//! record; and each record's history.
//!
//! Every page runs the same casework command as the API (`participants::change`,
//! `referrals::change`, `sessions::change`, `outcomes::change`, `outcomes::change_survey`,
//! `corrections::{void, restore, history}`), so each rule is checked once and its message
//! reads the same in the error summary as in problem JSON. The handlers are generic over
//! the kind of record (`K`, one of the constants below): one handler serves
//! `/participants/{id}/void`, `/sessions/{id}/void` and the rest.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::Value;

use super::forms::{self, Field, Form, Widget};
use super::{render, viewer_context, Page};
use crate::casework::{self, corrections, sentence, CaseError, Ctx};
use crate::db::DbConn;
use crate::domain::access::Actor;
use crate::domain::enums::{
    Closure, Decision, Ethnicity, Gender, ReferralSource, SessionKind, Timepoint,
};
use crate::domain::ids::{ParticipantId, ReferralId, SessionId};
use crate::domain::validation::Input;
use crate::store::voids::{self, RecordKind, VoidMark};
use crate::store::{self, StoreError};
use crate::web::errors::{blocking, AppError, PageError};
use crate::web::session::see_other;
use crate::web::shared::PathId;
use crate::web::AppState;

type Query = web::Query<Vec<(String, String)>>;
type Fields = web::Form<Vec<(String, String)>>;

/// The kinds of record, as the handlers' const parameter.
pub const PARTICIPANT: u8 = 0;
pub const REFERRAL: u8 = 1;
pub const SESSION: u8 = 2;
pub const OUTCOME: u8 = 3;
pub const SURVEY: u8 = 4;

fn kind_of(k: u8) -> RecordKind {
    match k {
        PARTICIPANT => RecordKind::Participant,
        REFERRAL => RecordKind::Referral,
        SESSION => RecordKind::Session,
        OUTCOME => RecordKind::OutcomeRecord,
        _ => RecordKind::GroupSurvey,
    }
}

/// Where a kind's pages are.
fn base(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Participant => "/participants",
        RecordKind::Referral => "/referrals",
        RecordKind::Session => "/sessions",
        RecordKind::OutcomeRecord => "/outcomes",
        RecordKind::GroupSurvey => "/group-surveys",
    }
}

/// A kind in words.
fn noun(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Participant => "participant",
        RecordKind::Referral => "referral",
        RecordKind::Session => "session",
        RecordKind::OutcomeRecord => "outcome record",
        RecordKind::GroupSurvey => "group survey",
    }
}

use crate::format::{date, moment};

/// The record in words: "participant P-1", "outcome record 12".
fn named(conn: &mut DbConn, kind: RecordKind, id: i64) -> Result<String, StoreError> {
    let reference = voids::reference_of(conn, kind, id)?;
    Ok(format!(
        "{} {}",
        noun(kind),
        reference.unwrap_or_else(|| id.to_string())
    ))
}

/// The record in words, for captions: "Participant P-1", "Outcome record 12".
fn title(conn: &mut DbConn, kind: RecordKind, id: i64) -> Result<String, StoreError> {
    Ok(sentence(&named(conn, kind, id)?))
}

/// The page a record is shown on: its own, its referral's (an outcome record) or its
/// session's (a group survey; the survey's history when it has no session).
fn record_page(conn: &mut DbConn, kind: RecordKind, id: i64) -> Result<String, StoreError> {
    Ok(match voids::shown_on(conn, kind, id)? {
        Some((k, i)) => format!("{}/{i}", base(k)),
        None if kind == RecordKind::GroupSurvey || kind == RecordKind::OutcomeRecord => {
            format!("{}/{id}/history", base(kind))
        }
        None => format!("{}/{id}", base(kind)),
    })
}

/// The record's void mark, or 404 when it is not in the actor's scope.
fn visible(
    conn: &mut DbConn,
    actor: &Actor,
    kind: RecordKind,
    id: i64,
) -> Result<Option<VoidMark>, AppError> {
    match voids::find(conn, actor.scope(), kind, id)? {
        Some((_, mark)) => Ok(mark),
        None => Err(AppError::NotFound),
    }
}

fn reason_field(label: &str, hint: &str) -> Field {
    Field::new("reason", label, Widget::Textarea).hint(format!(
        "{hint}It is kept in the record's history: do not include names or other personal details"
    ))
}

/// The options of a vocabulary (or part of one), with their labels.
fn options<T: crate::domain::enums::Vocabulary>(all: &[T]) -> Vec<(String, String)> {
    all.iter()
        .map(|v| (v.word().to_string(), v.label()))
        .collect()
}

// --- change ---------------------------------------------------------------------------

/// The questions a caseworker may change on the pages: (kind, field, short label for the
/// banner, what the heading asks to change). A group survey's counts are one question.
const QUESTIONS: &[(RecordKind, &str, &str, &str)] = &[
    (
        RecordKind::Participant,
        "date_of_birth",
        "Date of birth",
        "the date of birth",
    ),
    (RecordKind::Participant, "gender", "Gender", "the gender"),
    (
        RecordKind::Participant,
        "ethnicity",
        "Ethnicity",
        "the ethnicity",
    ),
    (
        RecordKind::Participant,
        "district",
        "District",
        "the district",
    ),
    (
        RecordKind::Participant,
        "police_id",
        "Police identifier",
        "the police identifier",
    ),
    (
        RecordKind::Referral,
        "reference",
        "Referral reference",
        "the referral reference",
    ),
    (
        RecordKind::Referral,
        "referred_on",
        "Date of the referral",
        "the date of the referral",
    ),
    (
        RecordKind::Referral,
        "source",
        "Referred by",
        "who made the referral",
    ),
    (
        RecordKind::Referral,
        "referral_reason",
        "Reason for the referral",
        "the reason for the referral",
    ),
    (
        RecordKind::Referral,
        "required_hours",
        "Reparation hours required",
        "the reparation hours required",
    ),
    (
        RecordKind::Referral,
        "programme_id",
        "Programme",
        "the programme",
    ),
    (
        RecordKind::Referral,
        "linkage_objection",
        "Objected to linkage to police data",
        "whether the person objected to linkage",
    ),
    (
        RecordKind::Session,
        "date",
        "Date of the session",
        "the date of the session",
    ),
    (
        RecordKind::Session,
        "kind",
        "Kind of session",
        "the kind of session",
    ),
    (
        RecordKind::Session,
        "duration_minutes",
        "Duration",
        "the duration",
    ),
    (
        RecordKind::Session,
        "headcount",
        "Unnamed attendees",
        "the unnamed attendees",
    ),
    (RecordKind::Session, "district", "District", "the district"),
    (RecordKind::Session, "venue", "Venue", "the venue"),
    (RecordKind::OutcomeRecord, "value", "Value", "the value"),
    (RecordKind::OutcomeRecord, "recorded_on", "Date", "the date"),
    (
        RecordKind::OutcomeRecord,
        "timepoint",
        "When",
        "when it was recorded",
    ),
    (RecordKind::GroupSurvey, "counts", "Counts", "the counts"),
];

/// The question `field` of a kind, or `None` for all of them.
fn question(
    kind: RecordKind,
    field: &str,
) -> Option<&'static (RecordKind, &'static str, &'static str, &'static str)> {
    QUESTIONS.iter().find(|q| q.0 == kind && q.1 == field)
}

/// A change page: the fields asked (one question, or all the record's when `field` names
/// none) and the record's current values to pre-fill them. Looks the record up in the
/// actor's scope (404 for another organisation's or a voided one).
fn change_form(
    conn: &mut DbConn,
    actor: &Actor,
    kind: RecordKind,
    id: i64,
    field: &str,
) -> Result<(Form, Vec<(String, String)>), AppError> {
    let scope = actor.scope();
    let asked = question(kind, field);
    let wanted = |name: &str| asked.is_none_or(|q| q.1 == name);
    let mut fields = Vec::new();
    let current: Vec<(String, String)>;
    match kind {
        RecordKind::Participant => {
            let p = store::participants::find(conn, scope, ParticipantId(id))?;
            current = casework::participants::as_pairs(&p.fields);
            let all = [
                {
                    let f = Field::birth_date("date_of_birth", "Date of birth");
                    let hint = f.hint.clone().unwrap_or_default();
                    f.hint(format!("{hint}. Leave it empty if it is not known"))
                },
                Field::new("gender", "Gender", Widget::Radios(options(Gender::ALL))),
                Field::new(
                    "ethnicity",
                    "Ethnicity",
                    Widget::Select(options(Ethnicity::ALL)),
                ),
                Field::new("district", "District (optional)", Widget::Text),
                Field::new("police_id", "Police identifier", Widget::Text).hint(
                    "Type it again, for example a PNC number. It is replaced by a key at once and never stored or shown",
                ),
            ];
            fields.extend(all.into_iter().filter(|f| wanted(&f.name)));
        }
        RecordKind::Referral => {
            let r = store::referrals::find(conn, scope, ReferralId(id))?;
            current = {
                let mut pairs = casework::referrals::as_pairs(&r.fields);
                let objected = store::referrals::linkage_objection(conn, r.id)?;
                pairs.push((
                    "linkage_objection".into(),
                    if objected { "yes" } else { "no" }.into(),
                ));
                pairs
            };
            let programmes = store::programmes::list(conn, scope, None, 1000, 0)?
                .into_iter()
                .filter(|p| p.organisation_id == r.organisation_id)
                .map(|p| (p.id.to_string(), p.fields.name))
                .collect();
            let all = [
                Field::new("reference", "Referral reference", Widget::Text),
                Field::date("referred_on", "Date of the referral"),
                Field::new(
                    "source",
                    "Referred by",
                    Widget::Select(options(ReferralSource::ALL)),
                ),
                Field::new("referral_reason", "Reason for the referral (optional)", Widget::Textarea)
                    .hint("Do not include names or other personal details"),
                Field::new("required_hours", "Reparation hours required", Widget::Number)
                    .hint("Immediate Justice only: 5 to 20 hours"),
                Field::new("programme_id", "Programme", Widget::Select(programmes)).hint(
                    "The programme can only be changed while nothing is recorded against the referral",
                ),
                Field::new(
                    "linkage_objection",
                    "Did the person object to their police identifier being linked to police data?",
                    Widget::Radios(vec![("yes".into(), "Yes".into()), ("no".into(), "No".into())]),
                )
                .hint("If yes, their reoffending is not measured: they are counted as not linked"),
            ];
            fields.extend(all.into_iter().filter(|f| wanted(&f.name)));
        }
        RecordKind::Session => {
            let s = store::sessions::find(conn, scope, SessionId(id))?;
            current = casework::sessions::as_pairs(&s.fields);
            let all = [
                Field::date("date", "Date of the session"),
                Field::new(
                    "kind",
                    "Kind of session",
                    Widget::Radios(options(SessionKind::ALL)),
                ),
                Field::new(
                    "duration_minutes",
                    "Duration in minutes (optional)",
                    Widget::Number,
                ),
                Field::new("headcount", "Unnamed attendees", Widget::Number)
                    .hint("People at the session who are not registered"),
                Field::new("district", "District (optional)", Widget::Text),
                Field::new("venue", "Venue (optional)", Widget::Text),
            ];
            fields.extend(all.into_iter().filter(|f| wanted(&f.name)));
        }
        RecordKind::OutcomeRecord => {
            let o = store::outcomes::find(conn, scope, id)?;
            let m = store::measures::find(conn, o.measure_id)?;
            current = vec![
                ("value".into(), o.value.to_string()),
                ("recorded_on".into(), o.recorded_on.to_string()),
                ("timepoint".into(), o.timepoint.as_str().into()),
            ];
            let all = [
                Field::new("value", "Value", Widget::Number).hint(format!(
                    "{}: from {} to {}",
                    m.fields.name, m.fields.min, m.fields.max
                )),
                Field::date("recorded_on", "Date"),
                Field::new("timepoint", "When", Widget::Radios(options(Timepoint::ALL))),
            ];
            fields.extend(all.into_iter().filter(|f| wanted(&f.name)));
        }
        RecordKind::GroupSurvey => {
            let s = store::group_surveys::find(conn, scope, id)?;
            let m = store::measures::find(conn, s.measure_id)?;
            current = s
                .counts
                .iter()
                .map(|c| (format!("count_{}", c.value), c.respondents.to_string()))
                .collect();
            for v in (m.fields.min.ceil() as i32)..=(m.fields.max.floor() as i32) {
                fields.push(Field::new(
                    format!("count_{v}"),
                    format!("Respondents who answered {v}"),
                    Widget::Number,
                ));
            }
        }
    }
    let record = title(conn, kind, id)?;
    let heading = match asked {
        Some(q) if kind != RecordKind::GroupSurvey => format!("Change {}", q.3),
        _ if kind == RecordKind::GroupSurvey => "Change the survey's counts".to_string(),
        _ => format!("Change the {}'s details", noun(kind)),
    };
    fields.push(reason_field("Why are you making this change?", ""));
    let query = match asked {
        Some(q) => format!("?field={}", q.1),
        None => String::new(),
    };
    Ok((
        Form {
            heading,
            caption: Some(record),
            action: format!("{}/{id}/change{query}", base(kind)),
            submit: "Save the change",
            back: Some(record_page(conn, kind, id)?),
            fields,
        },
        current,
    ))
}

fn field_param(query: Query) -> String {
    query
        .into_inner()
        .into_iter()
        .find(|(k, _)| k == "field")
        .map(|(_, v)| v)
        .unwrap_or_default()
}

/// Runs the kind's `change` command; returns the page to go back to.
fn run_change(
    conn: &mut DbConn,
    ctx: &Ctx,
    kind: RecordKind,
    id: i64,
    input: Input,
) -> Result<String, CaseError> {
    match kind {
        RecordKind::Participant => {
            casework::participants::change(conn, ctx, ParticipantId(id), input)?;
        }
        RecordKind::Referral => {
            casework::referrals::change(conn, ctx, ReferralId(id), input)?;
        }
        RecordKind::Session => {
            casework::sessions::change(conn, ctx, SessionId(id), input)?;
        }
        RecordKind::OutcomeRecord => {
            casework::outcomes::change(conn, ctx, id, input)?;
        }
        RecordKind::GroupSurvey => {
            casework::outcomes::change_survey(conn, ctx, id, input)?;
        }
    }
    Ok(record_page(conn, kind, id)?)
}

/// `GET /{kind}/{id}/change?field=`: the question page, pre-filled with the record's values.
pub async fn change_page<const K: u8>(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<i64>,
    query: Query,
) -> Result<HttpResponse, PageError> {
    let kind = kind_of(K);
    let field = field_param(query);
    let (st, a) = (state.clone(), actor.clone());
    let (form, current) =
        blocking(move || change_form(&mut *st.conn()?, &a, kind, id, &field)).await?;
    forms::show(
        state,
        nonce,
        viewer,
        actor,
        current,
        Box::new(move |_, _| Ok(form)),
    )
    .await
}

/// `POST /{kind}/{id}/change?field=`: the change with its reason, then back to the record.
pub async fn save_change<const K: u8>(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<i64>,
    query: Query,
    form: Fields,
) -> Result<HttpResponse, PageError> {
    let kind = kind_of(K);
    let field = field_param(query);
    let flash = match question(kind, &field) {
        Some(q) => format!("{} changed", q.2),
        None => format!("{} changed", sentence(noun(kind))),
    };
    forms::submit(
        state,
        nonce,
        viewer,
        actor,
        form.into_inner(),
        Box::new(move |conn, actor| Ok(change_form(conn, actor, kind, id, &field)?.0)),
        Box::new(move |conn, ctx, input| Ok((run_change(conn, ctx, kind, id, input)?, flash))),
    )
    .await
}

// --- a referral's decision and closure -------------------------------------------------

fn reopen_form(conn: &mut DbConn, actor: &Actor, id: ReferralId) -> Result<Form, AppError> {
    let r = store::referrals::find(conn, actor.scope(), id)?;
    let closed = match (r.fields.closure, r.fields.closed_on) {
        (Closure::Open, _) => String::new(),
        (c, Some(on)) => format!(
            "It was closed as {} on {}. ",
            c.display_label().to_lowercase(),
            date(on)
        ),
        (c, None) => format!("It was closed as {}. ", c.display_label().to_lowercase()),
    };
    Ok(Form {
        heading: "Reopen the referral".into(),
        caption: Some(format!("Referral {}", r.fields.reference)),
        action: format!("/referrals/{id}/reopen"),
        submit: "Reopen the referral",
        back: Some(format!("/referrals/{id}")),
        fields: vec![reason_field("Why are you reopening it?", &closed)],
    })
}

/// `GET /referrals/{id}/reopen`: undo a closure (then close it again as it really ended).
pub async fn reopen(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ReferralId>,
) -> Result<HttpResponse, PageError> {
    let (st, a) = (state.clone(), actor.clone());
    let open = blocking(move || {
        Ok(store::referrals::find(&mut *st.conn()?, a.scope(), id)?
            .fields
            .closure
            == Closure::Open)
    })
    .await?;
    if open {
        return Ok(see_other(&format!("/referrals/{id}")));
    }
    forms::show(
        state,
        nonce,
        viewer,
        actor,
        Vec::new(),
        Box::new(move |conn, actor| reopen_form(conn, actor, id)),
    )
    .await
}

/// `POST /referrals/{id}/reopen`: `referrals::change` with the closure open.
pub async fn save_reopen(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ReferralId>,
    form: Fields,
) -> Result<HttpResponse, PageError> {
    let mut fields: Vec<(String, String)> = form
        .into_inner()
        .into_iter()
        .filter(|(k, _)| k == "reason")
        .collect();
    fields.push(("closure".into(), Closure::Open.as_str().into()));
    fields.push(("closed_on".into(), String::new()));
    forms::submit(
        state,
        nonce,
        viewer,
        actor,
        fields,
        Box::new(move |conn, actor| reopen_form(conn, actor, id)),
        Box::new(move |conn, ctx, input| {
            casework::referrals::change(conn, ctx, id, input)?;
            Ok((format!("/referrals/{id}"), "Referral reopened".into()))
        }),
    )
    .await
}

fn decision_form(conn: &mut DbConn, actor: &Actor, id: ReferralId) -> Result<Form, AppError> {
    let r = store::referrals::find(conn, actor.scope(), id)?;
    let mut choices = options(&Decision::ALL[1..]);
    choices.push((
        Decision::Pending.as_str().into(),
        "Pending (undo the decision)".into(),
    ));
    Ok(Form {
        heading: "Change the decision".into(),
        caption: Some(format!("Referral {}", r.fields.reference)),
        action: format!("/referrals/{id}/change-decision"),
        submit: "Save the change",
        back: Some(format!("/referrals/{id}")),
        fields: vec![
            Field::new("decision", "Decision", Widget::Radios(choices)),
            Field::date("decided_on", "Date of the decision")
                .hint("For example, 2025-04-27. Leave it empty when you undo the decision"),
            reason_field("Why are you changing it?", ""),
        ],
    })
}

fn decision_pairs(r: &store::referrals::Referral) -> Vec<(String, String)> {
    vec![
        ("decision".into(), r.fields.decision.as_str().into()),
        (
            "decided_on".into(),
            r.fields
                .decided_on
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ),
    ]
}

/// `GET /referrals/{id}/change-decision`: change or undo a decision, pre-filled.
pub async fn change_decision(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ReferralId>,
) -> Result<HttpResponse, PageError> {
    let (st, a) = (state.clone(), actor.clone());
    let current = blocking(move || {
        Ok(decision_pairs(&store::referrals::find(
            &mut *st.conn()?,
            a.scope(),
            id,
        )?))
    })
    .await?;
    forms::show(
        state,
        nonce,
        viewer,
        actor,
        current,
        Box::new(move |conn, actor| decision_form(conn, actor, id)),
    )
    .await
}

/// `POST /referrals/{id}/change-decision`: `referrals::change` of the decision and its date.
pub async fn save_decision_change(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ReferralId>,
    form: Fields,
) -> Result<HttpResponse, PageError> {
    let fields: Vec<(String, String)> = form
        .into_inner()
        .into_iter()
        .filter(|(k, _)| ["decision", "decided_on", "reason"].contains(&k.as_str()))
        .collect();
    forms::submit(
        state,
        nonce,
        viewer,
        actor,
        fields,
        Box::new(move |conn, actor| decision_form(conn, actor, id)),
        Box::new(move |conn, ctx, input| {
            casework::referrals::change(conn, ctx, id, input)?;
            Ok((format!("/referrals/{id}"), "Decision changed".into()))
        }),
    )
    .await
}

// --- void and restore -------------------------------------------------------------------

fn void_form(
    conn: &mut DbConn,
    actor: &Actor,
    kind: RecordKind,
    id: i64,
) -> Result<Form, AppError> {
    if visible(conn, actor, kind, id)?.is_some() {
        // Already voided: it answers 404 everywhere but its history and restore.
        return Err(AppError::NotFound);
    }
    let record = title(conn, kind, id)?;
    let mut fields = vec![reason_field(
        "Why are you voiding it?",
        "A voided record is kept but left out of every list, export and figure; it can be restored from its history. ",
    )];
    let also = corrections::voided_with(conn, kind, id)?;
    if !also.is_empty() {
        fields.push(
            Field::new(
                "confirm",
                "Records voided with it",
                Widget::Checkbox(format!("Void the {} records listed too", also.len())),
            )
            .hint(format!(
                "Voiding this {} also voids: {}. Restoring it restores them.",
                noun(kind),
                also.join(", ")
            )),
        );
    }
    Ok(Form {
        heading: format!("Void this {}", noun(kind)),
        caption: Some(record),
        action: format!("{}/{id}/void", base(kind)),
        submit: "Void the record",
        back: Some(record_page(conn, kind, id)?),
        fields,
    })
}

/// `GET /{kind}/{id}/void`: the reason, and what else voiding it voids.
pub async fn void_page<const K: u8>(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<i64>,
) -> Result<HttpResponse, PageError> {
    let kind = kind_of(K);
    forms::show(
        state,
        nonce,
        viewer,
        actor,
        Vec::new(),
        Box::new(move |conn, actor| void_form(conn, actor, kind, id)),
    )
    .await
}

/// `POST /{kind}/{id}/void`: `corrections::void`, then the record's history.
pub async fn save_void<const K: u8>(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<i64>,
    form: Fields,
) -> Result<HttpResponse, PageError> {
    let kind = kind_of(K);
    forms::submit(
        state,
        nonce,
        viewer,
        actor,
        form.into_inner(),
        Box::new(move |conn, actor| void_form(conn, actor, kind, id)),
        Box::new(move |conn, ctx, input| {
            let summary = corrections::void(conn, ctx, kind, id, input)?;
            let with = match summary.also.len() {
                0 => String::new(),
                1 => " with 1 other record".into(),
                n => format!(" with {n} other records"),
            };
            Ok((
                format!("{}/{id}/history", base(kind)),
                format!("{} voided{with}", sentence(noun(kind))),
            ))
        }),
    )
    .await
}

fn restore_form(
    conn: &mut DbConn,
    actor: &Actor,
    kind: RecordKind,
    id: i64,
) -> Result<Form, AppError> {
    let mark = visible(conn, actor, kind, id)?;
    let record = title(conn, kind, id)?;
    let voided = match mark {
        Some(m) => format!("It was voided on {}: {}. ", moment(m.voided_at), m.reason),
        None => String::new(),
    };
    Ok(Form {
        heading: format!("Restore this {}", noun(kind)),
        caption: Some(record),
        action: format!("{}/{id}/restore", base(kind)),
        submit: "Restore the record",
        back: Some(format!("{}/{id}/history", base(kind))),
        fields: vec![reason_field(
            "Why are you restoring it?",
            &format!("{voided}The records voided with it are restored too. "),
        )],
    })
}

/// `GET /{kind}/{id}/restore`: the reason (a record that is not voided: its page).
pub async fn restore_page<const K: u8>(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<i64>,
) -> Result<HttpResponse, PageError> {
    let kind = kind_of(K);
    let (st, a) = (state.clone(), actor.clone());
    let not_voided = blocking(move || {
        let mut conn = st.conn()?;
        Ok(match visible(&mut conn, &a, kind, id)? {
            Some(_) => None,
            None => Some(record_page(&mut conn, kind, id)?),
        })
    })
    .await?;
    if let Some(page) = not_voided {
        return Ok(see_other(&page));
    }
    forms::show(
        state,
        nonce,
        viewer,
        actor,
        Vec::new(),
        Box::new(move |conn, actor| restore_form(conn, actor, kind, id)),
    )
    .await
}

/// `POST /{kind}/{id}/restore`: `corrections::restore`, then the record's page.
pub async fn save_restore<const K: u8>(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<i64>,
    form: Fields,
) -> Result<HttpResponse, PageError> {
    let kind = kind_of(K);
    forms::submit(
        state,
        nonce,
        viewer,
        actor,
        form.into_inner(),
        Box::new(move |conn, actor| restore_form(conn, actor, kind, id)),
        Box::new(move |conn, ctx, input| {
            let summary = corrections::restore(conn, ctx, kind, id, input)?;
            let with = match summary.also.len() {
                0 => String::new(),
                1 => " with 1 other record".into(),
                n => format!(" with {n} other records"),
            };
            Ok((
                record_page(conn, kind, id)?,
                format!("{} restored{with}", sentence(noun(kind))),
            ))
        }),
    )
    .await
}

// --- history ----------------------------------------------------------------------------

/// A value of a change as the history shows it.
fn shown(v: &Value) -> String {
    match v {
        Value::Null => "none".into(),
        Value::String(s) => s.replace('_', " "),
        other => other.to_string(),
    }
}

fn field_words(f: &str) -> String {
    sentence(&f.replace(['_', '.'], " "))
}

/// The history entries as the pages show them: when, who, what (old → new, or "changed"
/// for personal fields), the reason and where the change was made.
fn entries(h: &corrections::History) -> Vec<EntryView> {
    h.entries
        .iter()
        .map(|e| {
            let changes = e.changes.as_object().cloned().unwrap_or_default();
            let mut what: Vec<String> = Vec::new();
            for f in &e.fields {
                match changes.get(f) {
                    Some(Value::String(s)) if s == "changed" => {
                        what.push(format!("{}: changed", field_words(f)))
                    }
                    Some(c) => what.push(format!(
                        "{}: {} → {}",
                        field_words(f),
                        shown(&c["old"]),
                        shown(&c["new"])
                    )),
                    None => what.push(field_words(f)),
                }
            }
            for (k, c) in changes.iter().filter(|(k, _)| !e.fields.contains(*k)) {
                what.push(format!(
                    "{}: {} → {}",
                    sentence(k),
                    shown(&c["old"]),
                    shown(&c["new"])
                ));
            }
            let action = match e.action.as_str() {
                "create" => "Recorded".to_string(),
                "update" => "Changed".to_string(),
                "void" => "Voided".to_string(),
                "restore" => "Restored".to_string(),
                "merge" => "Merged".to_string(),
                "import" => "Imported".to_string(),
                "revert" => "Upload undone".to_string(),
                other => sentence(&other.replace('_', " ")),
            };
            let via = match e.via.as_str() {
                "page" => "Page",
                "api" => "API",
                "import" => "Upload",
                "revert" => "Undo of an upload",
                "" => "",
                other => other,
            };
            EntryView {
                at: moment(e.at),
                action,
                by: if e.by.is_empty() {
                    "The service".to_string()
                } else {
                    e.by.clone()
                },
                what,
                reason: e.reason.clone(),
                via: via.to_string(),
            }
        })
        .collect()
}

/// An entry of a record's history as the pages show it.
#[derive(Debug, Serialize)]
pub struct EntryView {
    at: String,
    action: String,
    by: String,
    what: Vec<String>,
    reason: Option<String>,
    via: String,
}

/// A group survey of a session, listed on its page.
#[derive(Debug, Serialize)]
pub struct SurveyLine {
    id: i64,
    measure: String,
    timepoint: String,
    recorded_on: String,
    respondents: i32,
    /// The mean answer, to one decimal place.
    mean: String,
    /// Respondents at each answer given: "3: 4, 4: 10".
    distribution: String,
    /// Said when the survey has more respondents than the session had attendees (unnamed
    /// plus named attended).
    warning: Option<String>,
}

/// The "History" section and the void link of a record page (participant, referral,
/// session), and for a session its group surveys: `corrections` in the page's context.
#[derive(Debug, Serialize)]
pub struct Section {
    history: Vec<EntryView>,
    base: &'static str,
    id: i64,
    noun: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    surveys: Option<Vec<SurveyLine>>,
}

/// The `corrections` section of a record page.
pub fn section(
    conn: &mut DbConn,
    state: &AppState,
    actor: &Actor,
    kind: RecordKind,
    id: i64,
) -> Result<Section, AppError> {
    let h = corrections::history(conn, &crate::web::shared::page_ctx(state, actor), kind, id)?;
    let surveys = if kind == RecordKind::Session {
        let (_, surveys) =
            store::group_surveys::list(conn, actor.scope(), Some(SessionId(id)), 100, 0)?;
        let detail = casework::details::session(conn, actor, SessionId(id))?;
        let present = i64::from(detail.session.fields.headcount)
            + detail
                .register
                .iter()
                .filter(|l| l.status == crate::domain::enums::AttendanceStatus::Attended)
                .count() as i64;
        Some(
            surveys
                .into_iter()
                .map(|s| {
                    let total: i64 = s.counts.iter().map(|c| i64::from(c.respondents)).sum();
                    let sum: i64 = s
                        .counts
                        .iter()
                        .map(|c| i64::from(c.value) * i64::from(c.respondents))
                        .sum();
                    let mean = if total > 0 {
                        format!("{:.1}", sum as f64 / total as f64)
                    } else {
                        "None".into()
                    };
                    let distribution = s
                        .counts
                        .iter()
                        .filter(|c| c.respondents > 0)
                        .map(|c| format!("{}: {}", c.value, c.respondents))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let warning = (i64::from(s.respondents) > present).then(|| {
                        format!(
                            "{} respondents is more than the {} people at the session ({} unnamed attendees and {} named who attended). Check the counts or the register.",
                            s.respondents,
                            present,
                            detail.session.fields.headcount,
                            present - i64::from(detail.session.fields.headcount)
                        )
                    });
                    SurveyLine {
                        id: s.id,
                        measure: s.measure,
                        timepoint: s.timepoint.display_label(),
                        recorded_on: date(s.recorded_on),
                        respondents: s.respondents,
                        mean,
                        distribution,
                        warning,
                    }
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(Section {
        history: entries(&h),
        base: base(kind),
        id,
        noun: noun(kind),
        surveys,
    })
}

/// Who voided a record, when and why.
#[derive(Serialize)]
struct VoidedView {
    at: String,
    by: String,
    reason: String,
}

/// Only the entries, for the history page.
#[derive(Serialize)]
struct HistoryOnly {
    history: Vec<EntryView>,
}

/// The view of `pages/casework/history`.
#[derive(Serialize)]
struct HistoryView {
    record: String,
    noun: &'static str,
    base: &'static str,
    id: i64,
    voided: Option<VoidedView>,
    back: Option<String>,
    corrections: HistoryOnly,
}

/// `GET /{kind}/{id}/history`: the record's history, from the same function as the API's;
/// for a voided record, who voided it, why, and the way to restore it.
pub async fn history<const K: u8>(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<i64>,
) -> Result<HttpResponse, PageError> {
    let kind = kind_of(K);
    let v = viewer.clone();
    let body = blocking(move || {
        let mut conn = state.conn()?;
        let h = corrections::history(
            &mut conn,
            &crate::web::shared::page_ctx(&state, &actor),
            kind,
            id,
        )?;
        let voided = h.voided.as_ref().map(|m| {
            let by = h
                .entries
                .iter()
                .rev()
                .find(|e| e.action == "void")
                .map(|e| e.by.clone())
                .unwrap_or_default();
            VoidedView {
                at: moment(m.voided_at),
                by,
                reason: m.reason.clone(),
            }
        });
        let body = HistoryView {
            record: named(&mut conn, kind, id)?,
            noun: noun(kind),
            base: base(kind),
            id,
            voided,
            back: if h.voided.is_some() {
                None
            } else {
                Some(record_page(&mut conn, kind, id)?)
            },
            corrections: HistoryOnly {
                history: entries(&h),
            },
        };
        forms::shown(&mut conn, &v)?;
        Ok(body)
    })
    .await?;
    let title = format!("History of {}", body.record);
    render(
        "pages/casework/history",
        &viewer_context(&title, &nonce, &viewer, "", &body),
    )
}
