//! Casework pages: the caseworker's home, participants, referrals (record, decide, close,
//! outcomes), programmes, sessions with the whole-register form and group surveys.
//! Question pages use `forms`; the rest look records up in the actor's scope and render.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::forms::{self, Build, Field, Form, Widget};
use super::{render, viewer_context, Page};
use crate::casework;
use crate::domain::access::{Actor, Scope};
use crate::domain::enums::{
    AccessPage, AttendanceStatus, Closure, Decision, Ethnicity, Gender, ReferralSource,
    ReferralStatus, SessionKind, Timepoint,
};
use crate::domain::ids::{ParticipantId, ProgrammeId, ReferralId, SessionId};
use crate::store::referrals::ReferralFilter;
use crate::store::sessions::SessionFilter;
use crate::store::voids::RecordKind;
use crate::store::{self};
use crate::web::errors::{blocking, AppError, PageError};
use crate::web::security::CspNonce;
use crate::web::session::Viewer;
use crate::web::shared::PathId;
use crate::web::AppState;

type Query = web::Query<Vec<(String, String)>>;
type Fields = web::Form<Vec<(String, String)>>;

/// The options of a vocabulary (or part of one), with their labels.
fn options<T: crate::domain::enums::Vocabulary>(all: &[T]) -> Vec<(String, String)> {
    all.iter()
        .map(|v| (v.word().to_string(), v.label()))
        .collect()
}

use crate::format::date;

/// Hours or a measure's value as people read them: `15.5`, `12`, never `12.0` or `-0.0`.
fn measure(x: f64) -> String {
    crate::reports::view::format_value(crate::reports::view::NumberFormat::Measure, x)
}

/// The actor's programmes as select options.
fn programme_options(
    conn: &mut crate::db::DbConn,
    actor: &Actor,
) -> Result<Vec<(String, String)>, AppError> {
    Ok(store::programmes::list(conn, actor.scope(), None, 1000, 0)?
        .into_iter()
        .map(|p| (p.id.to_string(), p.fields.name))
        .collect())
}

/// A measure's name as a page shows it: without a trailing range the name repeats
/// ("Feels safe (1-5)" → "Feels safe"), since the hint gives the range.
pub fn measure_name(m: &store::measures::Measure) -> String {
    let name = m.fields.name.trim();
    let range = format!("({}-{})", m.fields.min, m.fields.max);
    match name.strip_suffix(&range) {
        Some(rest) if !rest.trim().is_empty() => rest.trim_end().to_string(),
        _ => name.to_string(),
    }
}

/// A measure's range and better direction, as a hint: "1 to 5, higher is better".
pub fn measure_hint(m: &store::measures::Measure) -> String {
    format!(
        "{} to {}, {} is better",
        m.fields.min,
        m.fields.max,
        if m.fields.higher_is_better {
            "higher"
        } else {
            "lower"
        }
    )
}

fn measure_options(measures: &[store::measures::Measure]) -> Vec<(String, String)> {
    measures
        .iter()
        .map(|m| {
            (
                m.id.to_string(),
                format!("{} ({})", measure_name(m), measure_hint(m)),
            )
        })
        .collect()
}

/// Renders a page with the viewer's context, clearing the flash it shows.
pub(super) async fn show_page<T>(
    state: web::Data<AppState>,
    nonce: CspNonce,
    viewer: Viewer,
    template: &'static str,
    title_of: fn(&T) -> String,
    load: impl FnOnce(&mut crate::db::DbConn) -> Result<T, AppError> + Send + 'static,
) -> Result<HttpResponse, PageError>
where
    T: Serialize + Send + 'static,
{
    let v = viewer.clone();
    let body = blocking(move || {
        let mut conn = state.conn()?;
        let body = load(&mut conn)?;
        forms::shown(&mut conn, &v)?;
        Ok(body)
    })
    .await?;
    let title = title_of(&body);
    render(
        template,
        &viewer_context(&title, &nonce, &viewer, "", &body),
    )
}

// --- home -----------------------------------------------------------------------------

/// The caseworker's home: their programmes, open referrals and recent sessions.
pub async fn home(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
) -> Result<HttpResponse, PageError> {
    let today = state.today();
    show_page(
        state,
        nonce,
        viewer,
        "pages/casework/home",
        |_| "Your casework".into(),
        move |conn| {
            let scope = actor.scope();
            let listed = store::programmes::list(conn, scope, None, 100, 0)?;
            let year = crate::domain::period::FinancialYear::containing(today);
            let mut figures = Vec::new();
            let mut returns_due = Vec::new();
            let manager = crate::domain::access::RETURN_SUBMIT_ROLES.contains(&actor.role);
            for p in &listed {
                let period = crate::evaluation::DateRange {
                    from: year.first_day().max(p.fields.starts_on),
                    to: today.min(year.last_day()),
                };
                if period.from <= period.to {
                    let map = crate::casework::return_changes::period_figures(conn, p.id, period)?;
                    figures.push(ProgrammeFigures {
                        id: p.id,
                        name: p.fields.name.clone(),
                        lines: super::figures::key_lines(&map),
                    });
                }
                if manager {
                    returns_due.extend(due_returns(conn, p, today)?);
                }
            }
            let programmes = listed
                .into_iter()
                .map(|p| ProgrammeLine {
                    id: p.id,
                    name: p.fields.name,
                    kind: p.fields.kind.display_label(),
                    provider: None,
                    starts_on: None,
                })
                .collect();
            let open = ReferralFilter {
                status: Some(ReferralStatus::Open),
                ..Default::default()
            };
            let pending = ReferralFilter {
                status: Some(ReferralStatus::Pending),
                ..Default::default()
            };
            let referral_rows = |conn: &mut crate::db::DbConn,
                                 f: &ReferralFilter|
             -> Result<Vec<ReferralLine>, AppError> {
                Ok(store::referrals::list(conn, scope, f, 20, 0)?
                    .into_iter()
                    .map(|r| ReferralLine {
                        id: r.id,
                        reference: r.fields.reference,
                        referred_on: date(r.fields.referred_on),
                        programme: None,
                        status: None,
                    })
                    .collect())
            };
            let sessions = store::sessions::list(conn, scope, &SessionFilter::default(), 10, 0)?
                .into_iter()
                .map(session_line)
                .collect();
            let unregistered = store::sessions::without_register(
                conn,
                scope,
                today - chrono::Days::new(28),
                today,
                10,
            )?
            .into_iter()
            .map(session_line)
            .collect();
            Ok(HomeView {
                programmes,
                open_referrals: referral_rows(conn, &open)?,
                open_count: store::referrals::count(conn, scope, &open)?,
                pending_count: store::referrals::count(conn, scope, &pending)?,
                pending_referrals: referral_rows(conn, &pending)?,
                sessions,
                unregistered,
                year: year.to_string(),
                figures,
                manager,
                returns_due,
            })
        },
    )
    .await
}

// --- participants ---------------------------------------------------------------------

/// `GET /participants/{id}`.
pub async fn participant(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ParticipantId>,
) -> Result<HttpResponse, PageError> {
    let st = state.clone();
    show_page(
        state,
        nonce,
        viewer,
        "pages/casework/participant",
        |b: &ParticipantView| format!("Participant {}", b.reference),
        move |conn| {
            let p = store::participants::find(conn, actor.scope(), id)?;
            let filter = ReferralFilter {
                participant: Some(id),
                ..Default::default()
            };
            let referrals = referral_rows(conn, &actor, &filter)?;
            // Data protection (issue 18 a): record the view; the history for managers.
            let access_history =
                super::privacy::viewed(conn, &actor, id, AccessPage::ParticipantPage)?;
            Ok(ParticipantView {
                // Data protection (erasure, subject access): web::pages::erasure.
                data_protection: super::erasure::section(&actor, id),
                access_history,
                id: p.id,
                reference: p.fields.reference,
                date_of_birth: p.fields.date_of_birth.map(date),
                gender: p.fields.gender.display_label(),
                ethnicity: p.fields.ethnicity.display_label(),
                district: p.fields.district,
                has_person_key: p.fields.person_key.is_some(),
                referrals,
                corrections: super::corrections::section(
                    conn,
                    &st,
                    &actor,
                    RecordKind::Participant,
                    id.0,
                )?,
            })
        },
    )
    .await
}

fn referral_rows(
    conn: &mut crate::db::DbConn,
    actor: &Actor,
    filter: &ReferralFilter,
) -> Result<Vec<ReferralLine>, AppError> {
    let names: std::collections::HashMap<ProgrammeId, String> =
        store::programmes::list(conn, actor.scope(), None, 1000, 0)?
            .into_iter()
            .map(|p| (p.id, p.fields.name))
            .collect();
    Ok(store::referrals::list(conn, actor.scope(), filter, 200, 0)?
        .into_iter()
        .map(|r| ReferralLine {
            id: r.id,
            programme: Some(
                names
                    .get(&r.fields.programme_id)
                    .cloned()
                    .unwrap_or_default(),
            ),
            referred_on: date(r.fields.referred_on),
            status: Some(status_label(r.fields.decision, r.fields.closure)),
            reference: r.fields.reference,
        })
        .collect())
}

pub(super) fn status_label(decision: Decision, closure: Closure) -> &'static str {
    match (decision, closure) {
        (Decision::Pending, _) => "Pending",
        (Decision::Declined, _) => "Declined",
        (Decision::Accepted, Closure::Open) => "Open",
        (Decision::Accepted, Closure::Completed) => "Completed",
        (Decision::Accepted, Closure::Withdrawn) => "Withdrawn",
        (Decision::Accepted, Closure::Disengaged) => "Disengaged",
    }
}

fn participant_form() -> Build {
    Box::new(|conn, actor| {
        let mut fields = vec![
            Field::new("reference", "Case reference", Widget::Text)
                .hint("Your organisation's own reference for this person"),
            Field::new("police_id", "Police identifier (optional)", Widget::Text).hint(
                "For example, a PNC number. It is replaced by a key at once and never stored",
            ),
            Field::birth_date("date_of_birth", "Date of birth (optional)"),
            Field::new("gender", "Gender", Widget::Radios(options(Gender::ALL))),
            Field::new(
                "ethnicity",
                "Ethnicity",
                Widget::Select(options(Ethnicity::ALL)),
            ),
            Field::new("district", "District (optional)", Widget::Text),
            Field::new(
                "allow_duplicate",
                "If someone with this police identifier is already registered",
                Widget::Radios(vec![
                    ("".into(), "Warn me".into()),
                    ("yes".into(), "Register another participant anyway".into()),
                ]),
            ),
        ];
        if actor.scope() == Scope::All {
            let providers = store::organisations::list(conn)?
                .into_iter()
                .filter(|o| o.kind == crate::domain::enums::OrganisationKind::Provider)
                .map(|o| (o.id.to_string(), o.name))
                .collect();
            fields.insert(
                0,
                Field::new("organisation_id", "Provider", Widget::Select(providers)),
            );
        }
        Ok(Form {
            heading: "Register a participant".into(),
            caption: None,
            action: "/participants/new".into(),
            submit: "Register participant",
            back: Some("/participants".into()),
            fields,
        })
    })
}

pub async fn new_participant(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    query: Query,
) -> Result<HttpResponse, PageError> {
    forms::show(
        state,
        nonce,
        viewer,
        actor,
        query.into_inner(),
        participant_form(),
    )
    .await
}

pub async fn create_participant(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    form: Fields,
) -> Result<HttpResponse, PageError> {
    forms::submit(
        state,
        nonce,
        viewer,
        actor,
        form.into_inner(),
        participant_form(),
        Box::new(|conn, ctx, input| {
            let id = casework::participants::register(conn, ctx, input)?;
            Ok((
                format!("/participants/{id}"),
                "Participant registered".into(),
            ))
        }),
    )
    .await
}

// --- referrals ------------------------------------------------------------------------

/// The referral form for one participant, chosen on the step before (`find::choose_participant`):
/// another organisation's participant, or none, is a 404.
fn referral_form(participant: Option<ParticipantId>) -> Build {
    Box::new(move |conn, actor| {
        let participant =
            store::participants::find(conn, actor.scope(), participant.ok_or(AppError::NotFound)?)?;
        // Reparation hours are asked only where an Immediate Justice programme can be
        // chosen (and revealed by `assets/reveal.js` when one is).
        let reparation: Vec<String> = store::programmes::list(conn, actor.scope(), None, 1000, 0)?
            .into_iter()
            .filter(|p| p.fields.kind == crate::domain::enums::ProgrammeKind::ImmediateJustice)
            .map(|p| p.id.to_string())
            .collect();
        let mut fields = Vec::new();
        if !reparation.is_empty() {
            fields.push(
                Field::new(
                    "required_hours",
                    "Reparation hours required (Immediate Justice only)",
                    Widget::Number,
                )
                .hint("5 to 20 hours")
                .reveal_when("programme_id", reparation),
            );
        }
        Ok(Form {
            heading: "Record a referral".into(),
            caption: Some(format!("Participant {}", participant.fields.reference)),
            action: "/referrals/new".into(),
            submit: "Record referral",
            back: Some(format!(
                "/referrals/new?{}",
                serde_urlencoded::to_string([("participant", &participant.fields.reference)])
                    .unwrap_or_default()
            )),
            fields: vec![
                Field::new("participant_id", "", Widget::Hidden),
                Field::new(
                    "programme_id",
                    "Programme",
                    Widget::Select(programme_options(conn, actor)?),
                ),
                Field::new("reference", "Referral reference (optional)", Widget::Text)
                    .hint("Left empty, the referral is given one like R-12"),
                Field::date("referred_on", "Date of the referral"),
                Field::new(
                    "source",
                    "Referred by",
                    Widget::Select(options(ReferralSource::ALL)),
                ),
                Field::new("reason", "Reason (optional)", Widget::Textarea)
                    .hint("Do not include names or other personal details"),
            ]
            .into_iter()
            .chain(fields)
            .chain([
                // Data protection (docs/data-protection.md, "Linkage to police data").
                Field::new(
                    "linkage_objection",
                    "Linkage to police data",
                    Widget::Checkbox(
                        "The person objected to their police identifier being linked to police data"
                            .into(),
                    ),
                )
                .hint("Their reoffending is then not measured; they are counted as not linked"),
            ])
            .collect(),
        })
    })
}

pub async fn new_referral(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    query: Query,
) -> Result<HttpResponse, PageError> {
    // Without a chosen participant: the step that finds and chooses one.
    let pairs = query.into_inner();
    let input = crate::domain::validation::Input::from_pairs(pairs.clone());
    let Some(participant) = input
        .raw("participant_id")
        .trim()
        .parse::<i64>()
        .ok()
        .map(ParticipantId)
    else {
        return super::find::choose_participant(
            Page {
                state,
                nonce,
                viewer,
                actor,
            },
            input,
        )
        .await;
    };
    forms::show(
        state,
        nonce,
        viewer,
        actor,
        pairs,
        referral_form(Some(participant)),
    )
    .await
}

pub async fn create_referral(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    form: Fields,
) -> Result<HttpResponse, PageError> {
    let fields = form.into_inner();
    let participant = fields
        .iter()
        .find(|(k, _)| k == "participant_id")
        .and_then(|(_, v)| v.trim().parse::<i64>().ok())
        .map(ParticipantId);
    if participant.is_none() {
        // No participant chosen (the form always carries one): choose one first.
        return Ok(crate::web::session::see_other("/referrals/new"));
    }
    forms::submit(
        state,
        nonce,
        viewer,
        actor,
        fields,
        referral_form(participant),
        Box::new(|conn, ctx, input| {
            let id = casework::referrals::create(conn, ctx, input)?;
            Ok((format!("/referrals/{id}"), "Referral recorded".into()))
        }),
    )
    .await
}

/// `GET /referrals/{id}`: sessions, hours delivered against required, outcome records.
pub async fn referral(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ReferralId>,
) -> Result<HttpResponse, PageError> {
    let st = state.clone();
    show_page(
        state,
        nonce,
        viewer,
        "pages/casework/referral",
        |b: &ReferralView| format!("Referral {}", b.referral.reference),
        move |conn| {
            let d = casework::details::referral(conn, &actor, id)?;
            let r = &d.referral.fields;
            let participant = store::participants::find(conn, actor.scope(), r.participant_id)?;
            let programme = store::programmes::find_visible(conn, actor.scope(), r.programme_id)?;
            // Data protection (issue 18 a): record the view; the objection to linkage.
            super::privacy::viewed(conn, &actor, r.participant_id, AccessPage::ReferralPage)?;
            let linkage =
                super::privacy::referral_linkage(store::referrals::linkage_objection(conn, id)?);
            Ok(ReferralView {
                linkage,
                referral: ReferralFacts {
                    id: d.referral.id,
                    reference: r.reference.clone(),
                    referred_on: date(r.referred_on),
                    source: r.source.display_label(),
                    reason: r.reason.clone(),
                    status: status_label(r.decision, r.closure),
                    decision: r.decision.display_label(),
                    decided_on: r.decided_on.map(date),
                    closed_on: r.closed_on.map(date),
                    required_hours: r.required_hours.map(measure),
                    can_decide: r.decision == Decision::Pending,
                    can_close: r.decision == Decision::Accepted && r.closure == Closure::Open,
                },
                participant: ParticipantRef {
                    id: participant.id,
                    reference: participant.fields.reference,
                },
                programme: ProgrammeRef {
                    id: programme.id,
                    name: programme.fields.name.clone(),
                },
                hours_delivered: measure(d.hours_delivered),
                reparation: programme.fields.kind
                    == crate::domain::enums::ProgrammeKind::ImmediateJustice,
                attendance: d
                    .attendance
                    .iter()
                    .map(|a| AttendanceLine {
                        session_id: a.session_id,
                        reference: a.session_reference.clone(),
                        date: date(a.date),
                        status: a.status.display_label(),
                        hours: a.hours.map(measure),
                    })
                    .collect(),
                // The programme can be changed while nothing is recorded against it.
                programme_changeable: d.attendance.is_empty() && d.outcomes.is_empty(),
                corrections: super::corrections::section(
                    conn,
                    &st,
                    &actor,
                    RecordKind::Referral,
                    id.0,
                )?,
                outcomes: d
                    .outcomes
                    .iter()
                    .map(|o| OutcomeLine {
                        id: o.id,
                        measure: o.measure.clone(),
                        timepoint: o.timepoint.display_label(),
                        recorded_on: date(o.recorded_on),
                        value: measure(o.value),
                    })
                    .collect(),
            })
        },
    )
    .await
}

/// The decision and closure pages: the same shape with different words.
fn lifecycle_form(id: ReferralId, closing: bool) -> Build {
    Box::new(move |conn, actor| {
        let r = store::referrals::find(conn, actor.scope(), id)?;
        let (heading, path, word, date_field, choices, date_label) = if closing {
            (
                "Close the referral",
                "closure",
                "closure",
                "closed_on",
                options(&Closure::ALL[1..]),
                "Date the referral was closed",
            )
        } else {
            (
                "Record the decision",
                "decision",
                "decision",
                "decided_on",
                options(&Decision::ALL[1..]),
                "Date of the decision",
            )
        };
        Ok(Form {
            heading: heading.into(),
            caption: Some(format!("Referral {}", r.fields.reference)),
            action: format!("/referrals/{id}/{path}"),
            submit: "Save",
            back: Some(format!("/referrals/{id}")),
            fields: vec![
                Field::new(
                    word,
                    if closing {
                        "How did it end?"
                    } else {
                        "Decision"
                    },
                    Widget::Radios(choices),
                ),
                Field::date(date_field, date_label),
            ],
        })
    })
}

macro_rules! lifecycle_pages {
    ($show:ident, $save:ident, $closing:expr, $command:path, $flash:literal) => {
        pub async fn $show(
            Page {
                state,
                nonce,
                viewer,
                actor,
            }: Page,
            PathId(id): PathId<ReferralId>,
        ) -> Result<HttpResponse, PageError> {
            forms::show(
                state,
                nonce,
                viewer,
                actor,
                Vec::new(),
                lifecycle_form(id, $closing),
            )
            .await
        }

        pub async fn $save(
            Page {
                state,
                nonce,
                viewer,
                actor,
            }: Page,
            PathId(id): PathId<ReferralId>,
            form: Fields,
        ) -> Result<HttpResponse, PageError> {
            forms::submit(
                state,
                nonce,
                viewer,
                actor,
                form.into_inner(),
                lifecycle_form(id, $closing),
                Box::new(move |conn, ctx, input| {
                    $command(conn, ctx, id, input)?;
                    Ok((format!("/referrals/{id}"), $flash.into()))
                }),
            )
            .await
        }
    };
}

lifecycle_pages!(
    decision_form,
    save_decision,
    false,
    casework::referrals::decide,
    "Decision recorded"
);
lifecycle_pages!(
    closure_form,
    save_closure,
    true,
    casework::referrals::close,
    "Referral closed"
);

/// The outcome form: every measure of the programme's framework at one timepoint, one
/// box each (blank = not measured).
fn outcome_form(id: ReferralId) -> Build {
    Box::new(move |conn, actor| {
        let r = store::referrals::find(conn, actor.scope(), id)?;
        let measures = casework::outcomes::form_measures(conn, r.fields.programme_id)?;
        let mut fields = vec![
            Field::new("timepoint", "When", Widget::Radios(options(Timepoint::ALL))),
            Field::date("recorded_on", "Date"),
        ];
        fields.extend(measures.iter().map(|m| {
            Field::new(
                casework::outcomes::value_field(m.id),
                measure_name(m),
                Widget::Number,
            )
            .hint(measure_hint(m))
        }));
        Ok(Form {
            heading: "Record outcome measures".into(),
            caption: Some(format!("Referral {}", r.fields.reference)),
            action: format!("/referrals/{id}/outcomes"),
            submit: "Save",
            back: Some(format!("/referrals/{id}")),
            fields,
        })
    })
}

pub async fn outcome(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ReferralId>,
) -> Result<HttpResponse, PageError> {
    forms::show(state, nonce, viewer, actor, Vec::new(), outcome_form(id)).await
}

pub async fn save_outcome(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ReferralId>,
    form: Fields,
) -> Result<HttpResponse, PageError> {
    forms::submit(
        state,
        nonce,
        viewer,
        actor,
        form.into_inner(),
        outcome_form(id),
        Box::new(move |conn, ctx, input| {
            let n = casework::outcomes::record_framework(conn, ctx, id, input)?;
            let flash = if n == 1 {
                "Outcome recorded: 1 measure".to_string()
            } else {
                format!("Outcomes recorded: {n} measures")
            };
            Ok((format!("/referrals/{id}"), flash))
        }),
    )
    .await
}

// --- programmes and sessions ----------------------------------------------------------

/// `GET /programmes`.
pub async fn programmes(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
) -> Result<HttpResponse, PageError> {
    show_page(
        state,
        nonce,
        viewer,
        "pages/casework/programmes",
        |_| "Programmes".into(),
        move |conn| {
            let names: std::collections::HashMap<_, _> = store::organisations::list(conn)?
                .into_iter()
                .map(|o| (o.id, o.name))
                .collect();
            let rows = store::programmes::list(conn, actor.scope(), None, 1000, 0)?
                .into_iter()
                .map(|p| ProgrammeLine {
                    id: p.id,
                    provider: names.get(&p.organisation_id).cloned(),
                    kind: p.fields.kind.display_label(),
                    starts_on: Some(date(p.fields.starts_on)),
                    name: p.fields.name,
                })
                .collect();
            Ok(ProgrammesView {
                programmes: rows,
                commissioning: crate::domain::access::COMMISSIONING_ROLES.contains(&actor.role),
            })
        },
    )
    .await
}

/// `GET /programmes/{id}`: details, targets, allocations; and for provider staff its
/// open referrals and sessions.
pub async fn programme(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ProgrammeId>,
    query: Query,
) -> Result<HttpResponse, PageError> {
    let today = state.today();
    let pairs = query.into_inner();
    let q = crate::domain::validation::Input::from_pairs(pairs.clone());
    show_page(
        state,
        nonce,
        viewer,
        "pages/casework/programme",
        |b: &ProgrammeView| {
            if b.session_errors.is_empty() {
                b.name.clone()
            } else {
                format!("Error: {}", b.name)
            }
        },
        move |conn| {
            // Sessions: paginated, filtered by date (issue 15).
            let mut session_errors = Vec::new();
            let (from, sessions_from) =
                super::find::date_input(&q, "from", "Sessions from", &mut session_errors);
            let (to, sessions_to) =
                super::find::date_input(&q, "to", "Sessions to", &mut session_errors);
            let sessions_page = super::find::page_number(&q);
            let session_filter = SessionFilter {
                programme: Some(id),
                from,
                to,
            };
            let d = casework::details::programme(conn, &actor, id)?;
            let records = actor.scope() != Scope::Aggregate;
            let open = ReferralFilter {
                programme: Some(id),
                status: Some(ReferralStatus::Open),
                ..Default::default()
            };
            let referrals = if records {
                referral_rows(conn, &actor, &open)?
            } else {
                Vec::new()
            };
            let per_page = super::find::PER_PAGE;
            let (sessions, sessions_count) = if records && session_errors.is_empty() {
                (
                    store::sessions::list(
                        conn,
                        actor.scope(),
                        &session_filter,
                        per_page,
                        (sessions_page - 1) * per_page,
                    )?
                    .into_iter()
                    .map(session_line)
                    .collect(),
                    store::sessions::count(conn, actor.scope(), &session_filter)?,
                )
            } else {
                (Vec::new(), 0)
            };
            let sessions_filtered = from.is_some() || to.is_some();
            let p = &d.programme.fields;
            let latest = crate::domain::returns::quarters_to_return(today, p.starts_on, p.ends_on)
                .into_iter()
                .next();
            let latest_return = match latest {
                Some(q) => {
                    let status =
                        store::quarterly_returns::for_quarter(conn, id, q)?.map(|r| r.status);
                    let (text, colour) = match status {
                        None if today < crate::domain::returns::open_from(q) => {
                            ("In progress", "govuk-tag--light-blue")
                        }
                        _ => super::returns::tag(status),
                    };
                    Some(ReturnTag {
                        quarter: q.long_name(),
                        status: text,
                        colour,
                    })
                }
                None => None,
            };
            // Data protection (issue 18 a).
            let data_protection =
                super::privacy::ProgrammeProtection::from(&d.programme.data_protection);
            Ok(ProgrammeView {
                // Retention and evaluation hold: web::pages::erasure.
                retention: super::erasure::programme_section(conn, &actor, id)?,
                data_protection,
                latest_return,
                id: d.programme.id,
                name: p.name.clone(),
                kind: p.kind.display_label(),
                delivery: p.delivery.display_label().to_lowercase(),
                starts_on: date(p.starts_on),
                ends_on: p.ends_on.map(date),
                min_age: p.min_age,
                max_age: p.max_age,
                description: p.description.clone(),
                targets: d
                    .targets
                    .iter()
                    .map(|t| TargetLine {
                        year: t.financial_year.clone(),
                        metric: crate::reports::view::target_label(&t.metric),
                        value: crate::reports::view::format_value(
                            crate::reports::view::target_unit(&t.metric),
                            t.value,
                        ),
                    })
                    .collect(),
                allocations: d
                    .allocations
                    .iter()
                    .map(|a| AllocationLine {
                        stream: a.funding_stream.clone(),
                        amount: crate::format::money_pence(a.amount_pence),
                    })
                    .collect(),
                records,
                referrals,
                sessions,
                sessions_count_text: super::find::counted(sessions_count, "session", "sessions"),
                sessions_pagination: super::find::pagination(
                    &format!("/programmes/{id}"),
                    &pairs,
                    sessions_page,
                    sessions_count,
                ),
                sessions_from,
                sessions_to,
                sessions_filtered,
                session_errors,
                commissioning: crate::domain::access::COMMISSIONING_ROLES.contains(&actor.role),
                reports: crate::domain::access::REPORT_ROLES.contains(&actor.role),
            })
        },
    )
    .await
}

fn session_form(programme: ProgrammeId) -> Build {
    Box::new(move |conn, actor| {
        let p = store::programmes::find_visible(conn, actor.scope(), programme)?;
        Ok(Form {
            heading: "Record a session".into(),
            caption: Some(p.fields.name),
            action: format!("/programmes/{programme}/sessions/new"),
            submit: "Record session",
            back: Some(format!("/programmes/{programme}")),
            fields: vec![
                Field::new("programme_id", "", Widget::Hidden),
                Field::date("date", "Date of the session"),
                Field::new(
                    "kind",
                    "Kind of session",
                    Widget::Radios(options(SessionKind::ALL)),
                ),
                Field::new("reference", "Session reference (optional)", Widget::Text)
                    .hint("Left empty, the session is given one like S-12"),
                Field::new(
                    "duration_minutes",
                    "Duration in minutes (optional)",
                    Widget::Number,
                ),
                Field::new("headcount", "Unnamed attendees (optional)", Widget::Number)
                    .hint("For example, pupils at a school workshop who are not registered"),
                Field::new("district", "District (optional)", Widget::Text),
                Field::new("venue", "Venue (optional)", Widget::Text),
            ],
        })
    })
}

pub async fn new_session(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ProgrammeId>,
) -> Result<HttpResponse, PageError> {
    forms::show(
        state,
        nonce,
        viewer,
        actor,
        vec![("programme_id".into(), id.to_string())],
        session_form(id),
    )
    .await
}

pub async fn create_session(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ProgrammeId>,
    form: Fields,
) -> Result<HttpResponse, PageError> {
    let mut fields = form.into_inner();
    fields.retain(|(k, _)| k != "programme_id");
    fields.push(("programme_id".into(), id.to_string()));
    forms::submit(
        state,
        nonce,
        viewer,
        actor,
        fields,
        session_form(id),
        Box::new(|conn, ctx, input| {
            let s = casework::sessions::create(conn, ctx, input)?;
            Ok((
                format!("/sessions/{s}"),
                "Session recorded: now take the register".into(),
            ))
        }),
    )
    .await
}

/// The register page's context: every open accepted referral of the programme, plus
/// anyone already on the register, with what was recorded (or submitted).
pub(super) fn register_context(
    conn: &mut crate::db::DbConn,
    actor: &Actor,
    id: SessionId,
    submitted: Option<&crate::domain::validation::Input>,
    errors: &[crate::domain::validation::FieldError],
    corrections: super::corrections::Section,
    find: Option<(&str, Option<String>)>,
) -> Result<RegisterView, AppError> {
    let d = casework::details::session(conn, actor, id)?;
    let s = &d.session.fields;
    let programme = store::programmes::find_visible(conn, actor.scope(), s.programme_id)?;
    // A one-to-one session is for the people chosen on its page (docs/casework.md,
    // "Registers"); any other session lists every open referral of the programme.
    let one_to_one = s.kind == SessionKind::OneToOne;
    let mut people: Vec<(ReferralId, String)> = if one_to_one {
        let chosen: Vec<i64> = store::sessions::participants_of(conn, id)?
            .into_iter()
            .map(|r| r.0)
            .collect();
        let mut v = Vec::new();
        for rid in chosen {
            if let Ok(r) = store::referrals::find(conn, actor.scope(), ReferralId(rid)) {
                v.push((r.id, r.fields.reference));
            }
        }
        v
    } else {
        let filter = ReferralFilter {
            programme: Some(s.programme_id),
            status: Some(ReferralStatus::Open),
            ..Default::default()
        };
        store::referrals::list(conn, actor.scope(), &filter, 1000, 0)?
            .into_iter()
            .filter(|r| r.fields.referred_on <= s.date)
            .map(|r| (r.id, r.fields.reference))
            .collect()
    };
    for line in &d.register {
        if !people.iter().any(|(id, _)| *id == line.referral_id) {
            people.push((line.referral_id, line.referral_reference.clone()));
        }
    }
    // The participant's case reference beside each referral.
    let ids: Vec<i64> = people.iter().map(|(id, _)| id.0).collect();
    let owners: std::collections::HashMap<i64, i64> =
        store::referrals::participants_of(conn, &ids)?
            .into_iter()
            .collect();
    let owner_ids: Vec<i64> = owners.values().copied().collect();
    let owner_refs = store::participants::references(conn, &owner_ids)?;
    let participant_of = |rid: ReferralId| -> String {
        owners
            .get(&rid.0)
            .and_then(|p| owner_refs.get(&ParticipantId(*p)))
            .cloned()
            .unwrap_or_default()
    };
    let chosen_lines: Vec<super::find::PersonLine> = if one_to_one {
        let chosen = store::sessions::participants_of(conn, id)?;
        people
            .iter()
            .filter(|(rid, _)| chosen.contains(rid))
            .map(|(rid, reference)| super::find::PersonLine {
                id: *rid,
                reference: reference.clone(),
                participant: participant_of(*rid),
            })
            .collect()
    } else {
        Vec::new()
    };
    people.sort_by(|a, b| a.1.cmp(&b.1));
    let rows = people
        .into_iter()
        .map(|(rid, reference)| {
            let recorded = d.register.iter().find(|l| l.referral_id == rid);
            let (status, hours) = match submitted {
                Some(input) => (
                    input.raw(&format!("status_{rid}")).to_string(),
                    input.raw(&format!("hours_{rid}")).to_string(),
                ),
                None => (
                    recorded
                        .map(|l| l.status.as_str().to_string())
                        .unwrap_or_default(),
                    recorded
                        .and_then(|l| l.hours)
                        .map(|h| h.to_string())
                        .unwrap_or_default(),
                ),
            };
            let error = errors
                .iter()
                .find(|e| e.field == format!("status_{rid}") || e.field == format!("hours_{rid}"))
                .map(|e| e.message.clone());
            let mut choices: Vec<MarkChoice> = AttendanceStatus::ALL
                .iter()
                .map(|a| MarkChoice {
                    value: a.as_str(),
                    text: a.display_label(),
                    checked: a.as_str() == status,
                })
                .collect();
            // "Not recorded" removes a mark (an untouched row is left as it is).
            let not_recorded = casework::sessions::NOT_RECORDED;
            choices.push(MarkChoice {
                value: not_recorded,
                text: "not recorded (remove the mark)".into(),
                checked: status == not_recorded,
            });
            RegisterRow {
                id: rid,
                participant: participant_of(rid),
                reference,
                choices,
                hours,
                error,
            }
        })
        .collect();
    let headcount = submitted
        .map(|i| i.raw("headcount").to_string())
        .unwrap_or_else(|| s.headcount.to_string());
    let summary = errors
        .iter()
        .map(|e| {
            let rid = e
                .field
                .trim_start_matches("status_")
                .trim_start_matches("hours_");
            ErrorLink {
                href: if e.field == "headcount" || e.field == "reason" {
                    format!("#{}", e.field)
                } else {
                    format!("#status_{rid}")
                },
                text: e.message.clone(),
            }
        })
        .collect();
    let message = |field: &str| {
        errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    };
    Ok(RegisterView {
        session: SessionFacts {
            id: d.session.id,
            reference: s.reference.clone(),
            date: date(s.date),
            kind: s.kind.display_label(),
            venue: s.venue.clone(),
            district: s.district.clone(),
            duration_minutes: s.duration_minutes,
            headcount: s.headcount,
        },
        programme: ProgrammeRef {
            id: programme.id,
            name: programme.fields.name,
        },
        rows,
        headcount,
        headcount_error: message("headcount"),
        reason: submitted
            .map(|i| i.raw("reason").to_string())
            .unwrap_or_default(),
        reason_error: message("reason"),
        errors: summary,
        corrections,
        people: if one_to_one {
            let (text, error) = find.unwrap_or(("", None));
            Some(super::find::session_people(
                conn,
                actor,
                &d.session,
                chosen_lines,
                text,
                error,
            )?)
        } else {
            None
        },
    })
}

/// `GET /sessions/{id}?find=`: the session and its whole-register form (for a one-to-one
/// session, the people it is for and `find`'s matches to add).
pub async fn session(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<SessionId>,
    query: Query,
) -> Result<HttpResponse, PageError> {
    let find_text = query
        .into_inner()
        .into_iter()
        .find(|(k, _)| k == "find")
        .map(|(_, v)| v);
    let st = state.clone();
    show_page(
        state,
        nonce,
        viewer,
        "pages/casework/session",
        |b: &RegisterView| format!("Session {}", b.session.reference.as_deref().unwrap_or("")),
        move |conn| {
            let corrections =
                super::corrections::section(conn, &st, &actor, RecordKind::Session, id.0)?;
            let find = find_text.as_deref().map(|t| (t, None));
            register_context(conn, &actor, id, None, &[], corrections, find)
        },
    )
    .await
}

/// `POST /sessions/{id}/register`: the whole register in one submit, all or nothing.
pub async fn save_register(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<SessionId>,
    form: Fields,
) -> Result<HttpResponse, PageError> {
    let session = viewer.session_id;
    let v = viewer.clone();
    let outcome = blocking(move || {
        let mut conn = state.conn()?;
        store::sessions::find(&mut conn, actor.scope(), id)?;
        let input = crate::domain::validation::Input::from_pairs(form.into_inner());
        let kept = input.clone();
        match casework::sessions::record_register(
            &mut conn,
            &crate::web::shared::page_ctx(&state, &actor),
            id,
            input,
        ) {
            Ok((_, summary)) => {
                if let Some(sid) = session {
                    store::login_sessions::set_flash(
                        &mut conn,
                        sid,
                        &format!(
                            "Register saved: {} on the register ({} attended), {} unnamed {}",
                            summary.on_register,
                            summary.attended,
                            summary.headcount,
                            if summary.headcount == 1 {
                                "attendee"
                            } else {
                                "attendees"
                            }
                        ),
                    )?;
                }
                Ok(None)
            }
            Err(casework::CaseError::Invalid(errors)) => {
                let corrections = super::corrections::section(
                    &mut conn,
                    &state,
                    &actor,
                    RecordKind::Session,
                    id.0,
                )?;
                Ok(Some((
                    actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                    register_context(
                        &mut conn,
                        &actor,
                        id,
                        Some(&kept),
                        &errors,
                        corrections,
                        None,
                    )?,
                )))
            }
            Err(casework::CaseError::Locked(error)) => {
                let corrections = super::corrections::section(
                    &mut conn,
                    &state,
                    &actor,
                    RecordKind::Session,
                    id.0,
                )?;
                Ok(Some((
                    actix_web::http::StatusCode::CONFLICT,
                    register_context(
                        &mut conn,
                        &actor,
                        id,
                        Some(&kept),
                        &[error],
                        corrections,
                        None,
                    )?,
                )))
            }
            Err(e) => Err(e.into()),
        }
    })
    .await?;
    match outcome {
        None => Ok(crate::web::session::see_other(&format!("/sessions/{id}"))),
        Some((status, body)) => super::render_status(
            status,
            "pages/casework/session",
            &viewer_context("Error: Session register", &nonce, &v, "", &body),
        ),
    }
}

/// Step one of a group survey: which measure (the programme's framework). Its answer
/// reloads the page as step two, without JavaScript: `POST` then `GET ?measure_id=`.
fn survey_measure_form(id: SessionId) -> Build {
    Box::new(move |conn, actor| {
        let s = store::sessions::find(conn, actor.scope(), id)?;
        let measures = casework::outcomes::form_measures(conn, s.fields.programme_id)?;
        Ok(Form {
            heading: "Record a group survey".into(),
            caption: Some(format!(
                "Session {}",
                s.fields.reference.unwrap_or_default()
            )),
            action: format!("/sessions/{id}/survey"),
            submit: "Continue",
            back: Some(format!("/sessions/{id}")),
            fields: vec![Field::new(
                "measure_id",
                "Which measure did the survey ask?",
                Widget::Select(measure_options(&measures)),
            )],
        })
    })
}

/// Step two: the timepoint, the date and a count box for each whole value of the
/// measure's range (a 7-35 scale has 29 boxes, 7 to 35).
fn survey_form(id: SessionId, measure: store::measures::Measure) -> Build {
    Box::new(move |conn, actor| {
        let s = store::sessions::find(conn, actor.scope(), id)?;
        let mut fields = vec![
            Field::new("measure_id", "", Widget::Hidden),
            Field::new("step", "", Widget::Hidden),
            Field::new(
                "timepoint",
                "When",
                Widget::Radios(options(&[Timepoint::Baseline, Timepoint::Exit])),
            ),
            Field::date("recorded_on", "Date (optional: the session's date)"),
        ];
        let (lo, hi) = (
            measure.fields.min.ceil() as i32,
            measure.fields.max.floor() as i32,
        );
        for v in lo..=hi {
            fields.push(Field::new(
                format!("count_{v}"),
                format!("Respondents who answered {v}"),
                Widget::Number,
            ));
        }
        Ok(Form {
            heading: format!("Record a group survey: {}", measure_name(&measure)),
            caption: Some(format!(
                "Session {}. Answers {}. Leave a box empty when nobody gave that answer.",
                s.fields.reference.unwrap_or_default(),
                measure_hint(&measure)
            )),
            action: format!("/sessions/{id}/survey"),
            submit: "Save survey",
            back: Some(format!("/sessions/{id}/survey")),
            fields,
        })
    })
}

/// The measure chosen for a survey of session `id`, when it is one the session's
/// programme records.
fn survey_measure(
    conn: &mut crate::db::DbConn,
    actor: &Actor,
    id: SessionId,
    measure: &str,
) -> Result<Option<store::measures::Measure>, AppError> {
    let s = store::sessions::find(conn, actor.scope(), id)?;
    let Ok(measure) = measure.parse::<i64>() else {
        return Ok(None);
    };
    Ok(
        casework::outcomes::form_measures(conn, s.fields.programme_id)?
            .into_iter()
            .find(|m| m.id.0 == measure),
    )
}

fn field_of<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .unwrap_or("")
}

/// `GET /sessions/{id}/survey[?measure_id=]`: step one, or step two for the measure.
pub async fn survey(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<SessionId>,
    query: Query,
) -> Result<HttpResponse, PageError> {
    let query = query.into_inner();
    let chosen = field_of(&query, "measure_id").to_string();
    let (st, a) = (state.clone(), actor.clone());
    let measure = blocking(move || survey_measure(&mut *st.conn()?, &a, id, &chosen)).await?;
    match measure {
        Some(m) => {
            let prefill = vec![
                ("measure_id".to_string(), m.id.to_string()),
                ("step".to_string(), "counts".to_string()),
            ];
            forms::show(state, nonce, viewer, actor, prefill, survey_form(id, m)).await
        }
        None => {
            forms::show(
                state,
                nonce,
                viewer,
                actor,
                Vec::new(),
                survey_measure_form(id),
            )
            .await
        }
    }
}

/// `POST /sessions/{id}/survey`: step one's measure (then step two), or step two's
/// counts, recorded by `outcomes::record_survey`.
pub async fn save_survey(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<SessionId>,
    form: Fields,
) -> Result<HttpResponse, PageError> {
    let fields = form.into_inner();
    let chosen = field_of(&fields, "measure_id").to_string();
    let counts_step = field_of(&fields, "step") == "counts";
    let (st, a) = (state.clone(), actor.clone());
    let measure = blocking(move || survey_measure(&mut *st.conn()?, &a, id, &chosen)).await?;
    match measure {
        Some(m) if counts_step => {
            forms::submit(
                state,
                nonce,
                viewer,
                actor,
                fields,
                survey_form(id, m),
                Box::new(move |conn, ctx, input| {
                    casework::outcomes::record_survey(conn, ctx, id, input)?;
                    Ok((format!("/sessions/{id}"), "Survey recorded".into()))
                }),
            )
            .await
        }
        Some(m) => Ok(crate::web::session::see_other(&format!(
            "/sessions/{id}/survey?measure_id={}",
            m.id
        ))),
        None => {
            forms::submit(
                state,
                nonce,
                viewer,
                actor,
                fields,
                survey_measure_form(id),
                Box::new(|_, _, _| {
                    Err(casework::CaseError::Invalid(vec![
                        crate::domain::validation::FieldError::new(
                            "measure_id",
                            "Select the measure the survey asked",
                        ),
                    ]))
                }),
            )
            .await
        }
    }
}

// --- the views of the casework templates ------------------------------------------------

/// A programme in a list (`provider` and `starts_on` on `/programmes`).
#[derive(Serialize)]
struct ProgrammeLine {
    id: ProgrammeId,
    name: String,
    kind: String,
    provider: Option<String>,
    starts_on: Option<String>,
}

/// A referral in a list (`programme` and `status` where the list shows them).
#[derive(Serialize)]
struct ReferralLine {
    id: ReferralId,
    reference: String,
    referred_on: String,
    programme: Option<String>,
    status: Option<&'static str>,
}

/// A session in a list.
#[derive(Serialize)]
struct SessionLine {
    id: SessionId,
    reference: Option<String>,
    date: String,
    kind: String,
    headcount: i32,
}

fn session_line(s: store::sessions::Session) -> SessionLine {
    SessionLine {
        id: s.id,
        reference: s.fields.reference,
        date: date(s.fields.date),
        kind: s.fields.kind.display_label(),
        headcount: s.fields.headcount,
    }
}

/// The view of `pages/casework/home`.
#[derive(Serialize)]
struct HomeView {
    programmes: Vec<ProgrammeLine>,
    open_referrals: Vec<ReferralLine>,
    open_count: i64,
    pending_referrals: Vec<ReferralLine>,
    pending_count: i64,
    sessions: Vec<SessionLine>,
    /// Sessions of the last four weeks with no register (no attendance, no headcount).
    unregistered: Vec<SessionLine>,
    /// The financial year of `figures`, like 2026-27.
    year: String,
    /// Each programme's engagement this year so far (casework figures only).
    figures: Vec<ProgrammeFigures>,
    /// A provider manager: `returns_due` is listed.
    manager: bool,
    returns_due: Vec<DueReturn>,
}

/// A programme's key engagement figures on the casework home page.
#[derive(Serialize)]
struct ProgrammeFigures {
    id: ProgrammeId,
    name: String,
    lines: Vec<super::figures::FigureLine>,
}

/// A quarter whose return the manager can submit now: ended and not submitted, returned,
/// unlocked or withdrawn.
#[derive(Serialize)]
struct DueReturn {
    programme_id: ProgrammeId,
    programme: String,
    quarter: String,
    name: String,
    status: &'static str,
    colour: &'static str,
}

/// The returns of `p` a manager can submit on `today`, newest first (the last four
/// quarters at most: older ones are on the programme's returns page).
fn due_returns(
    conn: &mut crate::db::DbConn,
    p: &store::programmes::Programme,
    today: chrono::NaiveDate,
) -> Result<Vec<DueReturn>, AppError> {
    let mut out = Vec::new();
    let quarters =
        crate::domain::returns::quarters_to_return(today, p.fields.starts_on, p.fields.ends_on);
    for q in quarters.into_iter().take(4) {
        if today < crate::domain::returns::open_from(q) {
            continue;
        }
        let status = store::quarterly_returns::for_quarter(conn, p.id, q)?.map(|r| r.status);
        if crate::domain::returns::may_submit(status) {
            let (text, colour) = super::returns::tag(status);
            out.push(DueReturn {
                programme_id: p.id,
                programme: p.fields.name.clone(),
                quarter: q.to_string(),
                name: q.long_name(),
                status: text,
                colour,
            });
        }
    }
    Ok(out)
}

/// The view of `pages/casework/participant`.
#[derive(Serialize)]
struct ParticipantView {
    /// The subject access export and erasure links, for those who may use them.
    data_protection: Option<super::erasure::Section>,
    /// Who looked at this record (provider managers and admins only).
    access_history: Option<super::privacy::AccessHistory>,
    id: ParticipantId,
    reference: String,
    date_of_birth: Option<String>,
    gender: String,
    ethnicity: String,
    district: Option<String>,
    has_person_key: bool,
    referrals: Vec<ReferralLine>,
    corrections: super::corrections::Section,
}

/// A participant named on another record's page.
#[derive(Serialize)]
struct ParticipantRef {
    id: ParticipantId,
    reference: String,
}

/// A programme named on another record's page.
#[derive(Serialize)]
struct ProgrammeRef {
    id: ProgrammeId,
    name: String,
}

/// The facts of a referral.
#[derive(Serialize)]
struct ReferralFacts {
    id: ReferralId,
    reference: String,
    referred_on: String,
    source: String,
    reason: String,
    status: &'static str,
    /// "Accepted" or "Declined" (with `decided_on`).
    decision: String,
    decided_on: Option<String>,
    closed_on: Option<String>,
    required_hours: Option<String>,
    can_decide: bool,
    can_close: bool,
}

/// A session a referral's participant was marked for.
#[derive(Serialize)]
struct AttendanceLine {
    session_id: SessionId,
    reference: Option<String>,
    date: String,
    status: String,
    hours: Option<String>,
}

/// An outcome record of a referral.
#[derive(Serialize)]
struct OutcomeLine {
    id: i64,
    measure: String,
    timepoint: String,
    recorded_on: String,
    value: String,
}

/// The view of `pages/casework/referral`.
#[derive(Serialize)]
struct ReferralView {
    /// Whether the person objected to linkage with police data.
    linkage: super::privacy::ReferralLinkage,
    referral: ReferralFacts,
    participant: ParticipantRef,
    programme: ProgrammeRef,
    hours_delivered: String,
    /// An Immediate Justice programme: reparation hours are required of its referrals.
    reparation: bool,
    attendance: Vec<AttendanceLine>,
    programme_changeable: bool,
    corrections: super::corrections::Section,
    outcomes: Vec<OutcomeLine>,
}

/// The view of `pages/casework/programmes`.
#[derive(Serialize)]
struct ProgrammesView {
    programmes: Vec<ProgrammeLine>,
    commissioning: bool,
}

/// The status of a programme's latest return.
#[derive(Serialize)]
struct ReturnTag {
    quarter: String,
    status: &'static str,
    colour: &'static str,
}

/// A contracted target.
#[derive(Serialize)]
struct TargetLine {
    year: String,
    /// The metric's label, as in the reports.
    metric: String,
    /// As the metric is read: a rate as a percentage, a count with separators.
    value: String,
}

/// A funding stream's allocation to the programme.
#[derive(Serialize)]
struct AllocationLine {
    stream: String,
    amount: String,
}

/// The view of `pages/casework/programme`.
#[derive(Serialize)]
struct ProgrammeView {
    /// The programme's lawful basis and police linkage.
    data_protection: super::privacy::ProgrammeProtection,
    /// The programme's retention period and any evaluation hold.
    retention: super::erasure::ProgrammeSection,
    latest_return: Option<ReturnTag>,
    id: ProgrammeId,
    name: String,
    kind: String,
    delivery: String,
    starts_on: String,
    ends_on: Option<String>,
    min_age: Option<i32>,
    max_age: Option<i32>,
    description: String,
    targets: Vec<TargetLine>,
    allocations: Vec<AllocationLine>,
    /// Whether the viewer sees records (provider staff), not only aggregates.
    records: bool,
    referrals: Vec<ReferralLine>,
    sessions: Vec<SessionLine>,
    sessions_count_text: String,
    sessions_pagination: super::find::Pagination,
    sessions_from: super::find::DateInput,
    sessions_to: super::find::DateInput,
    sessions_filtered: bool,
    session_errors: Vec<super::find::ErrorLink>,
    commissioning: bool,
    reports: bool,
}

/// An attendance mark offered on the register.
#[derive(Serialize)]
struct MarkChoice {
    value: &'static str,
    text: String,
    checked: bool,
}

/// A referral's line on the register.
#[derive(Serialize)]
struct RegisterRow {
    id: ReferralId,
    reference: String,
    /// The case reference of the referral's participant.
    participant: String,
    choices: Vec<MarkChoice>,
    hours: String,
    error: Option<String>,
}

/// An entry of the error summary.
#[derive(Serialize)]
struct ErrorLink {
    href: String,
    text: String,
}

/// The facts of a session.
#[derive(Serialize)]
struct SessionFacts {
    id: SessionId,
    reference: Option<String>,
    date: String,
    kind: String,
    venue: Option<String>,
    district: Option<String>,
    duration_minutes: Option<i32>,
    headcount: i32,
}

/// The view of `pages/casework/session`: the session and its whole-register form.
#[derive(Serialize)]
pub(super) struct RegisterView {
    session: SessionFacts,
    programme: ProgrammeRef,
    rows: Vec<RegisterRow>,
    headcount: String,
    headcount_error: Option<String>,
    reason: String,
    reason_error: Option<String>,
    errors: Vec<ErrorLink>,
    corrections: super::corrections::Section,
    /// One-to-one sessions: the people the session is for, and the search that adds them.
    people: Option<super::find::SessionPeople>,
}

impl RegisterView {
    /// Adds an error about choosing the session's people to the error summary.
    pub(super) fn errors_push(&mut self, text: String) {
        self.errors.push(ErrorLink {
            href: "#find".into(),
            text,
        });
    }
}
