//! Finding people (issue 15; docs/casework.md, "Finding people"): the participants and
//! referrals lists as GOV.UK "filter a list" pages (filters on the left, the results on
//! the right, paginated on the server), and the step that chooses the participant of a new
//! referral by a search that works without JavaScript (an autocomplete, `assets/find.js`,
//! enhances it). Every query takes the actor's scope, exactly as the other lists do.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Serialize;

use super::casework::{show_page, status_label};
use super::Page;
use crate::domain::access::Actor;
use crate::domain::enums::ReferralStatus;
use crate::domain::ids::{ParticipantId, ProgrammeId, ReferralId};
use crate::domain::validation::Input;
use crate::format::date;
use crate::store;
use crate::store::participants::ParticipantFilter;
use crate::store::referrals::ReferralFilter;
use crate::web::errors::{AppError, PageError};

type Query = web::Query<Vec<(String, String)>>;

/// Results on one page of a list.
pub const PER_PAGE: i64 = 50;

// --- views ------------------------------------------------------------------------------

/// An option of a filter's select.
#[derive(Serialize)]
pub struct Choice {
    value: String,
    text: String,
    selected: bool,
}

/// A GOV.UK date input (day, month, year) of a filter.
#[derive(Serialize)]
pub struct DateInput {
    /// The field's name: its boxes are `<id>-day`, `<id>-month`, `<id>-year`.
    id: &'static str,
    legend: &'static str,
    day: String,
    month: String,
    year: String,
    error: Option<String>,
}

/// A link of the error summary.
#[derive(Serialize)]
pub struct ErrorLink {
    href: String,
    text: String,
}

/// GOV.UK pagination, with the filters kept in each link.
#[derive(Serialize)]
pub struct Pagination {
    previous: Option<String>,
    next: Option<String>,
    page: i64,
    last: i64,
}

/// A participant in the list.
#[derive(Serialize)]
struct ParticipantLine {
    id: ParticipantId,
    reference: String,
    date_of_birth: Option<String>,
    district: Option<String>,
}

/// The view of `pages/casework/participants`.
#[derive(Serialize)]
struct ParticipantsView {
    q: String,
    district: String,
    date_of_birth: DateInput,
    programmes: Vec<Choice>,
    statuses: Vec<Choice>,
    errors: Vec<ErrorLink>,
    participants: Vec<ParticipantLine>,
    count: i64,
    count_text: String,
    filtered: bool,
    clear: &'static str,
    pagination: Pagination,
}

/// A referral in the list.
#[derive(Serialize)]
struct ReferralLine {
    id: ReferralId,
    reference: String,
    participant_id: ParticipantId,
    participant: String,
    programme: String,
    status: &'static str,
    referred_on: String,
    decided_on: Option<String>,
    closed_on: Option<String>,
}

/// The view of `pages/casework/referrals`.
#[derive(Serialize)]
struct ReferralsView {
    reference: String,
    from: DateInput,
    to: DateInput,
    programmes: Vec<Choice>,
    statuses: Vec<Choice>,
    errors: Vec<ErrorLink>,
    referrals: Vec<ReferralLine>,
    count: i64,
    count_text: String,
    filtered: bool,
    pagination: Pagination,
}

/// A participant offered on the choosing step.
#[derive(Serialize)]
struct FoundParticipant {
    id: ParticipantId,
    reference: String,
    date_of_birth: Option<String>,
    district: Option<String>,
}

/// The view of `pages/casework/choose_participant`.
#[derive(Serialize)]
struct ChooseView {
    q: String,
    searched: bool,
    found: Vec<FoundParticipant>,
    more: bool,
    error: Option<String>,
    errors: Vec<ErrorLink>,
}

// --- reading the filters -----------------------------------------------------------------

/// "1 participant", "1,234 participants".
pub(super) fn counted(n: i64, one: &str, many: &str) -> String {
    format!(
        "{} {}",
        crate::format::count(n),
        if n == 1 { one } else { many }
    )
}

/// A month as typed: 5, 05, May, may, September, Sept.
fn month(s: &str) -> Option<u32> {
    if let Ok(n) = s.parse::<u32>() {
        return (1..=12).contains(&n).then_some(n);
    }
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let s = s.to_lowercase();
    if s.len() < 3 {
        return None;
    }
    NAMES
        .iter()
        .position(|n| n.starts_with(&s) || (s == "sept" && *n == "september"))
        .map(|i| i as u32 + 1)
}

/// A date filter from its three boxes: nothing when all are empty, an error in the GOV.UK
/// date pattern when it is incomplete or not a real date.
pub(super) fn date_input(
    q: &Input,
    id: &'static str,
    legend: &'static str,
    errors: &mut Vec<ErrorLink>,
) -> (Option<NaiveDate>, DateInput) {
    let part = |p: &str| q.raw(&format!("{id}-{p}")).trim().to_string();
    let (day, mon, year) = (part("day"), part("month"), part("year"));
    let mut input = DateInput {
        id,
        legend,
        day: day.clone(),
        month: mon.clone(),
        year: year.clone(),
        error: None,
    };
    if day.is_empty() && mon.is_empty() && year.is_empty() {
        return (None, input);
    }
    let missing: Vec<&str> = [("day", &day), ("month", &mon), ("year", &year)]
        .iter()
        .filter(|(_, v)| v.is_empty())
        .map(|(n, _)| *n)
        .collect();
    let parsed = if missing.is_empty() {
        match (
            day.parse::<u32>().ok(),
            month(&mon),
            year.parse::<i32>().ok(),
        ) {
            (Some(d), Some(m), Some(y)) if (1000..=9999).contains(&y) => {
                NaiveDate::from_ymd_opt(y, m, d)
            }
            _ => None,
        }
    } else {
        None
    };
    if parsed.is_none() {
        let message = if missing.is_empty() {
            format!("{legend} must be a real date")
        } else {
            format!("{legend} must include a {}", missing.join(" and a "))
        };
        errors.push(ErrorLink {
            href: format!("#{id}-{}", missing.first().copied().unwrap_or("day")),
            text: message.clone(),
        });
        input.error = Some(message);
    }
    (parsed, input)
}

/// The programme filter's options: the actor's programmes (the list's own scope).
fn programme_choices(
    conn: &mut crate::db::DbConn,
    actor: &Actor,
    chosen: Option<ProgrammeId>,
) -> Result<(Vec<Choice>, std::collections::HashMap<ProgrammeId, String>), AppError> {
    let programmes = store::programmes::list(conn, actor.scope(), None, 1000, 0)?;
    let mut choices = vec![Choice {
        value: String::new(),
        text: "Any programme".into(),
        selected: chosen.is_none(),
    }];
    let mut names = std::collections::HashMap::new();
    for p in programmes {
        choices.push(Choice {
            value: p.id.to_string(),
            text: p.fields.name.clone(),
            selected: Some(p.id) == chosen,
        });
        names.insert(p.id, p.fields.name);
    }
    Ok((choices, names))
}

fn status_choices(chosen: Option<ReferralStatus>, any: &str) -> Vec<Choice> {
    let order = [
        ReferralStatus::Pending,
        ReferralStatus::Open,
        ReferralStatus::Completed,
        ReferralStatus::Withdrawn,
        ReferralStatus::Disengaged,
        ReferralStatus::Declined,
    ];
    std::iter::once(Choice {
        value: String::new(),
        text: any.into(),
        selected: chosen.is_none(),
    })
    .chain(order.iter().map(|s| Choice {
        value: s.as_str().into(),
        text: s.display_label(),
        selected: Some(*s) == chosen,
    }))
    .collect()
}

/// The programme and status filters: unknown values are ignored (they come from selects).
fn programme_status(q: &Input) -> (Option<ProgrammeId>, Option<ReferralStatus>) {
    (
        q.raw("programme")
            .trim()
            .parse::<i64>()
            .ok()
            .map(ProgrammeId),
        q.raw("status").trim().parse::<ReferralStatus>().ok(),
    )
}

/// Pagination whose links keep the filters (`pairs`, without `page`).
pub(super) fn pagination(
    base: &str,
    pairs: &[(String, String)],
    page: i64,
    count: i64,
) -> Pagination {
    let last = ((count + PER_PAGE - 1) / PER_PAGE).max(1);
    let link = |n: i64| {
        let mut kept: Vec<(String, String)> = pairs
            .iter()
            .filter(|(k, v)| k != "page" && !v.trim().is_empty())
            .cloned()
            .collect();
        kept.push(("page".into(), n.to_string()));
        format!(
            "{base}?{}",
            serde_urlencoded::to_string(&kept).unwrap_or_default()
        )
    };
    Pagination {
        previous: (page > 1).then(|| link(page - 1)),
        next: (page < last).then(|| link(page + 1)),
        page,
        last,
    }
}

pub(super) fn page_number(q: &Input) -> i64 {
    q.raw("page")
        .trim()
        .parse::<i64>()
        .unwrap_or(1)
        .clamp(1, 1_000_000)
}

// --- participants -------------------------------------------------------------------------

/// `GET /participants?q=&date_of_birth-day=&…&district=&programme=&status=&page=`: the
/// scope's participants, filtered (`reference=` of the old search is read as `q`).
pub async fn participants(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    query: Query,
) -> Result<HttpResponse, PageError> {
    let pairs = query.into_inner();
    let q = Input::from_pairs(pairs.clone());
    show_page(
        state,
        nonce,
        viewer,
        "pages/casework/participants",
        |v: &ParticipantsView| {
            if v.errors.is_empty() {
                "Participants".into()
            } else {
                "Error: Participants".into()
            }
        },
        move |conn| {
            let mut errors = Vec::new();
            let text = match q.raw("q").trim() {
                "" => q.raw("reference").trim().to_string(),
                t => t.to_string(),
            };
            let (dob, dob_input) = date_input(&q, "date_of_birth", "Date of birth", &mut errors);
            let district = q.raw("district").trim().to_string();
            let (programme, status) = programme_status(&q);
            let (programmes, _) = programme_choices(conn, &actor, programme)?;
            let filter = ParticipantFilter {
                q: Some(text.clone()).filter(|t| !t.is_empty()),
                date_of_birth: dob,
                district: Some(district.clone()).filter(|d| !d.is_empty()),
                programme,
                status,
            };
            let filtered = filter.q.is_some()
                || dob.is_some()
                || filter.district.is_some()
                || programme.is_some()
                || status.is_some();
            let page = page_number(&q);
            let (count, rows) = if errors.is_empty() {
                let scope = actor.scope();
                (
                    store::participants::search_count(conn, scope, &filter)?,
                    store::participants::search(
                        conn,
                        scope,
                        &filter,
                        PER_PAGE,
                        (page - 1) * PER_PAGE,
                    )?,
                )
            } else {
                (0, Vec::new())
            };
            Ok(ParticipantsView {
                q: text,
                district,
                date_of_birth: dob_input,
                programmes,
                statuses: status_choices(status, "Any status"),
                errors,
                participants: rows
                    .into_iter()
                    .map(|p| ParticipantLine {
                        id: p.id,
                        reference: p.fields.reference,
                        date_of_birth: p.fields.date_of_birth.map(date),
                        district: p.fields.district,
                    })
                    .collect(),
                count,
                count_text: counted(count, "participant", "participants"),
                filtered,
                clear: "/participants",
                pagination: pagination("/participants", &pairs, page, count),
            })
        },
    )
    .await
}

// --- referrals ----------------------------------------------------------------------------

/// `GET /referrals?programme=&status=&from-day=&…&to-year=&reference=&page=`: the scope's
/// referrals with their participant's reference, programme, status and dates.
pub async fn referrals(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    query: Query,
) -> Result<HttpResponse, PageError> {
    let pairs = query.into_inner();
    let q = Input::from_pairs(pairs.clone());
    show_page(
        state,
        nonce,
        viewer,
        "pages/casework/referrals",
        |v: &ReferralsView| {
            if v.errors.is_empty() {
                "Referrals".into()
            } else {
                "Error: Referrals".into()
            }
        },
        move |conn| {
            let mut errors = Vec::new();
            let reference = q.raw("reference").trim().to_string();
            let (from, from_input) = date_input(&q, "from", "Referred from", &mut errors);
            let (to, to_input) = date_input(&q, "to", "Referred to", &mut errors);
            let (programme, status) = programme_status(&q);
            let (programmes, names) = programme_choices(conn, &actor, programme)?;
            let filter = ReferralFilter {
                programme,
                status,
                from,
                to,
                reference: Some(reference.clone()).filter(|r| !r.is_empty()),
                ..Default::default()
            };
            let filtered = programme.is_some()
                || status.is_some()
                || from.is_some()
                || to.is_some()
                || filter.reference.is_some();
            let page = page_number(&q);
            let scope = actor.scope();
            let (count, rows) = if errors.is_empty() {
                (
                    store::referrals::count(conn, scope, &filter)?,
                    store::referrals::list(conn, scope, &filter, PER_PAGE, (page - 1) * PER_PAGE)?,
                )
            } else {
                (0, Vec::new())
            };
            let ids: Vec<i64> = rows.iter().map(|r| r.fields.participant_id.0).collect();
            let people = store::participants::references(conn, &ids)?;
            Ok(ReferralsView {
                reference,
                from: from_input,
                to: to_input,
                programmes,
                statuses: status_choices(status, "Any status"),
                errors,
                referrals: rows
                    .into_iter()
                    .map(|r| {
                        let f = r.fields;
                        ReferralLine {
                            id: r.id,
                            reference: f.reference,
                            participant_id: f.participant_id,
                            participant: people.get(&f.participant_id).cloned().unwrap_or_default(),
                            programme: names.get(&f.programme_id).cloned().unwrap_or_default(),
                            status: status_label(f.decision, f.closure),
                            referred_on: date(f.referred_on),
                            decided_on: f.decided_on.map(date),
                            closed_on: f.closed_on.map(date),
                        }
                    })
                    .collect(),
                count,
                count_text: counted(count, "referral", "referrals"),
                filtered,
                pagination: pagination("/referrals", &pairs, page, count),
            })
        },
    )
    .await
}

// --- choosing the participant of a new referral -------------------------------------------

/// How many matches the choosing step offers.
const OFFERED: i64 = 20;

/// `GET /referrals/new` without a participant: "Who is the referral for?" — type part of a
/// case reference (`participant=`), find, and choose one of the matches (radios, `participant_id`),
/// which opens the referral form for that participant. `assets/find.js` turns the box
/// into an autocomplete over `GET /api/v1/participants?q=`.
pub async fn choose_participant(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    q: Input,
) -> Result<HttpResponse, PageError> {
    show_page(
        state,
        nonce,
        viewer,
        "pages/casework/choose_participant",
        |v: &ChooseView| {
            if v.errors.is_empty() {
                "Who is the referral for?".into()
            } else {
                "Error: Who is the referral for?".into()
            }
        },
        move |conn| {
            let text = q.raw("participant").trim().to_string();
            let searched = q.raw("search").trim() == "yes" || !text.is_empty();
            let chose_nothing = q.raw("choose").trim() == "yes";
            let found = if text.is_empty() {
                Vec::new()
            } else {
                store::participants::search(
                    conn,
                    actor.scope(),
                    &ParticipantFilter {
                        q: Some(text.clone()),
                        ..Default::default()
                    },
                    OFFERED + 1,
                    0,
                )?
            };
            let more = found.len() as i64 > OFFERED;
            let error = if chose_nothing {
                Some("Select the participant the referral is for".to_string())
            } else if searched && text.is_empty() {
                Some("Enter the start of the participant's case reference".to_string())
            } else {
                None
            };
            let href = if chose_nothing && !found.is_empty() {
                "#participant_id"
            } else {
                "#participant"
            };
            Ok(ChooseView {
                errors: error
                    .iter()
                    .map(|e| ErrorLink {
                        href: href.into(),
                        text: e.clone(),
                    })
                    .collect(),
                q: text,
                searched,
                more,
                error,
                found: found
                    .into_iter()
                    .take(OFFERED as usize)
                    .map(|p| FoundParticipant {
                        id: p.id,
                        reference: p.fields.reference,
                        date_of_birth: p.fields.date_of_birth.map(date),
                        district: p.fields.district,
                    })
                    .collect(),
            })
        },
    )
    .await
}

// --- the people a one-to-one session is for ----------------------------------------------

/// A referral chosen (or offered) for a session, with its participant's case reference.
#[derive(Serialize)]
pub struct PersonLine {
    pub id: ReferralId,
    pub reference: String,
    pub participant: String,
}

/// The session page's "Who the session is for" section (one-to-one sessions).
#[derive(Serialize)]
pub struct SessionPeople {
    chosen: Vec<PersonLine>,
    find: String,
    searched: bool,
    found: Vec<PersonLine>,
    error: Option<String>,
}

/// The people a one-to-one session is for, and the accepted referrals of its programme
/// (referred on or before it, not yet chosen) whose referral or participant reference
/// starts with `find`.
pub fn session_people(
    conn: &mut crate::db::DbConn,
    actor: &Actor,
    session: &store::sessions::Session,
    chosen: Vec<PersonLine>,
    find: &str,
    error: Option<String>,
) -> Result<SessionPeople, AppError> {
    let text = find.trim().to_string();
    let scope = actor.scope();
    let mut found: Vec<store::referrals::Referral> = Vec::new();
    if !text.is_empty() {
        let open = ReferralFilter {
            programme: Some(session.fields.programme_id),
            status: Some(ReferralStatus::Open),
            ..Default::default()
        };
        found.extend(store::referrals::list(
            conn,
            scope,
            &ReferralFilter {
                reference: Some(text.clone()),
                ..open.clone()
            },
            OFFERED,
            0,
        )?);
        let people = store::participants::search(
            conn,
            scope,
            &ParticipantFilter {
                q: Some(text.clone()),
                programme: Some(session.fields.programme_id),
                status: Some(ReferralStatus::Open),
                ..Default::default()
            },
            OFFERED,
            0,
        )?;
        for p in people {
            found.extend(store::referrals::list(
                conn,
                scope,
                &ReferralFilter {
                    participant: Some(p.id),
                    ..open.clone()
                },
                10,
                0,
            )?);
        }
    }
    found.retain(|r| r.fields.referred_on <= session.fields.date);
    found.sort_by(|a, b| a.fields.reference.cmp(&b.fields.reference));
    found.dedup_by_key(|r| r.id);
    found.retain(|r| !chosen.iter().any(|c| c.id == r.id));
    let ids: Vec<i64> = found.iter().map(|r| r.fields.participant_id.0).collect();
    let refs = store::participants::references(conn, &ids)?;
    Ok(SessionPeople {
        chosen,
        searched: !text.is_empty(),
        find: text,
        found: found
            .into_iter()
            .take(OFFERED as usize)
            .map(|r| PersonLine {
                participant: refs
                    .get(&r.fields.participant_id)
                    .cloned()
                    .unwrap_or_default(),
                id: r.id,
                reference: r.fields.reference,
            })
            .collect(),
        error,
    })
}

/// `POST /sessions/{id}/participants`: adds the referrals chosen (`referral_id`, one or
/// more) to the people the session is for; a choice that is not allowed shows the page
/// again (422) with the error.
pub async fn add_session_participants(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    crate::web::shared::PathId(id): crate::web::shared::PathId<crate::domain::ids::SessionId>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let fields = form.into_inner();
    let find = fields
        .iter()
        .find(|(k, _)| k == "find")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let chosen: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "referral_id")
        .map(|(_, v)| v.clone())
        .collect();
    let session = viewer.session_id;
    let v = viewer.clone();
    let outcome = crate::web::errors::blocking(move || {
        let mut conn = state.conn()?;
        let ctx = crate::web::shared::page_ctx(&state, &actor);
        match crate::casework::sessions::add_participants(&mut conn, &ctx, id, &chosen) {
            Ok(added) => {
                if let Some(sid) = session {
                    store::login_sessions::set_flash(
                        &mut conn,
                        sid,
                        &format!(
                            "{} added to the people this session is for",
                            counted(added as i64, "referral", "referrals")
                        ),
                    )?;
                }
                Ok(None)
            }
            Err(crate::casework::CaseError::Invalid(errors)) => {
                let message = errors.first().map(|e| e.message.clone());
                let corrections = super::corrections::section(
                    &mut conn,
                    &state,
                    &actor,
                    crate::store::voids::RecordKind::Session,
                    id.0,
                )?;
                let mut view = super::casework::register_context(
                    &mut conn,
                    &actor,
                    id,
                    None,
                    &[],
                    corrections,
                    Some((&find, message.clone())),
                )?;
                view.errors_push(message.unwrap_or_default());
                Ok(Some(view))
            }
            Err(e) => Err(e.into()),
        }
    })
    .await?;
    match outcome {
        None => Ok(crate::web::session::see_other(&format!("/sessions/{id}"))),
        Some(body) => super::render_status(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "pages/casework/session",
            &super::viewer_context("Error: Session register", &nonce, &v, "", &body),
        ),
    }
}

/// `POST /sessions/{id}/participants/remove`: takes `referral_id` off the people the
/// session is for.
pub async fn remove_session_participant(
    Page {
        state,
        nonce: _,
        viewer,
        actor,
    }: Page,
    crate::web::shared::PathId(id): crate::web::shared::PathId<crate::domain::ids::SessionId>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let referral = form
        .into_inner()
        .into_iter()
        .find(|(k, _)| k == "referral_id")
        .and_then(|(_, v)| v.trim().parse::<i64>().ok())
        .map(ReferralId);
    let session = viewer.session_id;
    crate::web::errors::blocking(move || {
        let mut conn = state.conn()?;
        let ctx = crate::web::shared::page_ctx(&state, &actor);
        let Some(referral) = referral else {
            // Nothing chosen: the session is checked in scope all the same.
            store::sessions::find(&mut conn, actor.scope(), id)?;
            return Ok(());
        };
        if crate::casework::sessions::remove_participant(&mut conn, &ctx, id, referral)? {
            if let Some(sid) = session {
                store::login_sessions::set_flash(
                    &mut conn,
                    sid,
                    "Taken off the people this session is for",
                )?;
            }
        }
        Ok(())
    })
    .await?;
    Ok(crate::web::session::see_other(&format!("/sessions/{id}")))
}
