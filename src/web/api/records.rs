//! The casework API: referrals (with decisions and closures), sessions (with whole
//! registers), outcome records and group surveys. Each handler looks its record up in
//! the actor's scope first (404 for another organisation's), then validates (422 with
//! every field error), then writes through `casework` (one transaction with its audit
//! event).

use actix_web::web::{self, Json};
use actix_web::HttpResponse;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{created_after, ctx, json_input, path_id, List, Page};
use crate::casework;
use crate::domain::access::Actor;
use crate::domain::enums::{
    AccessPage, AttendanceStatus, Closure, Decision, ReferralSource, SessionKind, Timepoint,
};
use crate::domain::ids::{
    MeasureId, OrganisationId, ParticipantId, ProgrammeId, ReferralId, SessionId,
};
use crate::store::outcomes::{OutcomeFilter, OutcomeRecord};
use crate::store::referrals::{Referral, ReferralFilter};
use crate::store::sessions::{Session, SessionFilter};
use crate::store::{self, group_surveys};
use crate::web::errors::{blocking, AppError, FieldError, Problem};
use crate::web::shared::PathId;
use crate::web::AppState;

// --- views ------------------------------------------------------------------------------

/// A referral.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReferralView {
    pub id: ReferralId,
    pub organisation_id: OrganisationId,
    pub reference: String,
    pub participant_id: ParticipantId,
    pub programme_id: ProgrammeId,
    pub referred_on: NaiveDate,
    pub source: ReferralSource,
    pub reason: String,
    pub decision: Decision,
    pub decided_on: Option<NaiveDate>,
    pub closure: Closure,
    pub closed_on: Option<NaiveDate>,
    /// Reparation hours required (Immediate Justice: 5 to 20).
    pub required_hours: Option<f64>,
}

impl From<Referral> for ReferralView {
    fn from(r: Referral) -> Self {
        let f = r.fields;
        ReferralView {
            id: r.id,
            organisation_id: r.organisation_id,
            reference: f.reference,
            participant_id: f.participant_id,
            programme_id: f.programme_id,
            referred_on: f.referred_on,
            source: f.source,
            reason: f.reason,
            decision: f.decision,
            decided_on: f.decided_on,
            closure: f.closure,
            closed_on: f.closed_on,
            required_hours: f.required_hours,
        }
    }
}

/// One session a referral was on the register of.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReferralAttendance {
    pub session_id: SessionId,
    pub session_reference: Option<String>,
    pub date: NaiveDate,
    pub kind: SessionKind,
    pub status: AttendanceStatus,
    pub hours: Option<f64>,
}

/// A referral with its sessions, hours delivered against required, and outcome records.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReferralDetail {
    #[serde(flatten)]
    pub referral: ReferralView,
    /// Sum of hours credited at attended sessions.
    pub hours_delivered: f64,
    pub attendance: Vec<ReferralAttendance>,
    pub outcomes: Vec<OutcomeView>,
    /// The person objected to their police identifier being linked to police data.
    pub linkage_objection: bool,
}

/// An outcome record.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OutcomeView {
    pub id: i64,
    pub referral_id: ReferralId,
    pub referral_reference: String,
    pub measure_id: MeasureId,
    pub measure: String,
    pub timepoint: Timepoint,
    pub recorded_on: NaiveDate,
    pub value: f64,
}

impl From<OutcomeRecord> for OutcomeView {
    fn from(o: OutcomeRecord) -> Self {
        OutcomeView {
            id: o.id,
            referral_id: o.referral_id,
            referral_reference: o.referral_reference,
            measure_id: o.measure_id,
            measure: o.measure,
            timepoint: o.timepoint,
            recorded_on: o.recorded_on,
            value: o.value,
        }
    }
}

/// A session.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: SessionId,
    pub organisation_id: OrganisationId,
    /// The provider's reference; `S-<id>` when none was given.
    pub reference: Option<String>,
    pub programme_id: ProgrammeId,
    pub date: NaiveDate,
    pub kind: SessionKind,
    pub duration_minutes: Option<i32>,
    /// Unnamed attendees.
    pub headcount: i32,
    pub district: Option<String>,
    pub venue: Option<String>,
}

impl From<Session> for SessionView {
    fn from(s: Session) -> Self {
        let f = s.fields;
        SessionView {
            id: s.id,
            organisation_id: s.organisation_id,
            reference: f.reference,
            programme_id: f.programme_id,
            date: f.date,
            kind: f.kind,
            duration_minutes: f.duration_minutes,
            headcount: f.headcount,
            district: f.district,
            venue: f.venue,
        }
    }
}

/// One line of a session's register.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RegisterLine {
    pub referral_id: ReferralId,
    #[serde(default)]
    pub referral_reference: String,
    pub status: AttendanceStatus,
    pub hours: Option<f64>,
}

/// A session with its register.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionDetail {
    #[serde(flatten)]
    pub session: SessionView,
    pub register: Vec<RegisterLine>,
}

/// A group survey: respondents at each scale value.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SurveyView {
    pub id: i64,
    pub programme_id: ProgrammeId,
    pub session_id: Option<SessionId>,
    pub measure_id: MeasureId,
    pub measure: String,
    pub timepoint: Timepoint,
    pub recorded_on: NaiveDate,
    pub respondents: i32,
    /// `{value, respondents}` for each scale value given.
    pub counts: Vec<ScaleCountView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScaleCountView {
    pub value: i32,
    pub respondents: i32,
}

impl From<group_surveys::Survey> for SurveyView {
    fn from(s: group_surveys::Survey) -> Self {
        SurveyView {
            id: s.id,
            programme_id: s.programme_id,
            session_id: s.session_id,
            measure_id: s.measure_id,
            measure: s.measure,
            timepoint: s.timepoint,
            recorded_on: s.recorded_on,
            respondents: s.respondents,
            counts: s
                .counts
                .into_iter()
                .map(|c| ScaleCountView {
                    value: c.value,
                    respondents: c.respondents,
                })
                .collect(),
        }
    }
}

// --- views of what casework::details loads -------------------------------------------

impl From<casework::details::ReferralDetail> for ReferralDetail {
    fn from(d: casework::details::ReferralDetail) -> Self {
        ReferralDetail {
            referral: d.referral.into(),
            hours_delivered: d.hours_delivered,
            attendance: d
                .attendance
                .into_iter()
                .map(|a| ReferralAttendance {
                    session_id: a.session_id,
                    session_reference: a.session_reference,
                    date: a.date,
                    kind: a.kind,
                    status: a.status,
                    hours: a.hours,
                })
                .collect(),
            outcomes: d.outcomes.into_iter().map(OutcomeView::from).collect(),
            // Read apart from the referral's fields: set by the handler.
            linkage_objection: false,
        }
    }
}

impl From<casework::details::SessionDetail> for SessionDetail {
    fn from(d: casework::details::SessionDetail) -> Self {
        SessionDetail {
            session: d.session.into(),
            register: d
                .register
                .into_iter()
                .map(|l| RegisterLine {
                    referral_id: l.referral_id,
                    referral_reference: l.referral_reference,
                    status: l.status,
                    hours: l.hours,
                })
                .collect(),
        }
    }
}

// --- filters --------------------------------------------------------------------------

/// Filters of the referral list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReferralQuery {
    pub programme_id: Option<i64>,
    /// The same as `programme_id`.
    pub programme: Option<String>,
    pub participant_id: Option<i64>,
    /// `referred_on` on or after (YYYY-MM-DD).
    pub from: Option<String>,
    /// `referred_on` on or before (YYYY-MM-DD).
    pub to: Option<String>,
    /// The same as `from`.
    pub referred_from: Option<String>,
    /// The same as `to`.
    pub referred_to: Option<String>,
    /// pending, declined, open (accepted, not closed), completed, withdrawn, disengaged.
    pub status: Option<String>,
    /// The referral's reference starts with this, in any case.
    pub reference: Option<String>,
    /// A page of `limit` items, from 1 (instead of `offset`).
    pub page: Option<String>,
    #[param(minimum = 1, maximum = 1000, default = 100)]
    #[serde(default = "super::default_limit")]
    pub limit: i64,
    #[param(minimum = 0, default = 0)]
    #[serde(default)]
    pub offset: i64,
}

/// Filters of the session, outcome and survey lists.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DatedQuery {
    pub programme_id: Option<i64>,
    /// Outcome records of one referral.
    pub referral_id: Option<i64>,
    /// Surveys of one session.
    pub session_id: Option<i64>,
    /// On or after (YYYY-MM-DD).
    pub from: Option<String>,
    /// On or before (YYYY-MM-DD).
    pub to: Option<String>,
    #[param(minimum = 1, maximum = 1000, default = 100)]
    #[serde(default = "super::default_limit")]
    pub limit: i64,
    #[param(minimum = 0, default = 0)]
    #[serde(default)]
    pub offset: i64,
}

/// `from` and `to` as dates, or a 422 naming the bad one.
fn date_range(
    from: &Option<String>,
    to: &Option<String>,
) -> Result<(Option<NaiveDate>, Option<NaiveDate>), AppError> {
    let mut errors = Vec::new();
    let mut parse = |field: &str, v: &Option<String>| match v.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => crate::domain::period::parse_date(s)
            .map_err(|_| errors.push(FieldError::new(field, "Enter a real date, like 2025-04-01")))
            .ok(),
    };
    let range = (parse("from", from), parse("to", to));
    if errors.is_empty() {
        Ok(range)
    } else {
        Err(AppError::Validation(errors))
    }
}

// --- referrals ------------------------------------------------------------------------

/// `GET /api/v1/referrals`: the organisation's referrals, newest first, filtered.
#[utoipa::path(get, path = "/api/v1/referrals", tag = "referrals", params(ReferralQuery),
    responses((status = 200, body = List<ReferralView>), (status = 422, body = Problem)))]
pub async fn referrals(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<ReferralQuery>,
) -> Result<Json<List<ReferralView>>, AppError> {
    let q = query.into_inner();
    let (from, to) = date_range(&q.from, &q.to)?;
    let referred_from = super::date_filter("referred_from", &q.referred_from)?;
    let referred_to = super::date_filter("referred_to", &q.referred_to)?;
    let status = super::status_filter(&q.status)?;
    let programme = match super::programme_filter("programme", &q.programme)? {
        Some(p) => Some(p),
        None => q.programme_id.map(ProgrammeId),
    };
    let filter = ReferralFilter {
        programme,
        participant: q.participant_id.map(ParticipantId),
        from: referred_from.or(from),
        to: referred_to.or(to),
        status,
        reference: q
            .reference
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string),
    };
    let (limit, offset) = Page {
        limit: q.limit,
        offset: q.offset,
    }
    .bounds()?;
    let offset = super::page_offset(&q.page, limit, offset)?;
    blocking(move || {
        let mut conn = state.conn()?;
        let scope = actor.scope();
        Ok(Json(List {
            count: store::referrals::count(&mut conn, scope, &filter)?,
            items: store::referrals::list(&mut conn, scope, &filter, limit, offset)?
                .into_iter()
                .map(ReferralView::from)
                .collect(),
        }))
    })
    .await
}

/// `POST /api/v1/referrals`: records a referral (pending, open).
#[utoipa::path(post, path = "/api/v1/referrals", tag = "referrals",
    request_body = super::openapi::NewReferral,
    responses((status = 201, body = ReferralView), (status = 422, body = Problem)))]
pub async fn create_referral(
    state: web::Data<AppState>,
    actor: Actor,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let input = json_input(&body, |_| Ok(()))?;
    created_after(move || {
        let mut conn = state.conn()?;
        let id = casework::referrals::create(&mut conn, &ctx(&state, &actor), input)?;
        let r = store::referrals::find(&mut conn, actor.scope(), id)?;
        Ok((format!("/api/v1/referrals/{id}"), ReferralView::from(r)))
    })
    .await
}

/// `GET /api/v1/referrals/{id}`: with sessions attended, hours and outcome records, and
/// whether the person objected to linkage to police data. Each read is recorded in the
/// access log of the referral's participant.
#[utoipa::path(get, path = "/api/v1/referrals/{id}", tag = "referrals",
    params(("id" = i64, Path, description = "referral id")),
    responses((status = 200, body = ReferralDetail), (status = 404, body = Problem)))]
pub async fn referral(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<ReferralId>,
) -> Result<Json<ReferralDetail>, AppError> {
    blocking(move || {
        let mut conn = state.conn()?;
        let d = casework::details::referral(&mut conn, &actor, id)?;
        // Who looked at whom (docs/data-protection.md, "Access log").
        store::access_log::record(
            &mut conn,
            &actor,
            d.referral.fields.participant_id,
            AccessPage::ApiReferral,
        )?;
        let objection = store::referrals::linkage_objection(&mut conn, id)?;
        let mut detail = ReferralDetail::from(d);
        detail.linkage_objection = objection;
        Ok(Json(detail))
    })
    .await
}

/// Decision or closure: the same shape with different fields.
async fn change_referral(
    state: web::Data<AppState>,
    actor: Actor,
    id: String,
    body: web::Bytes,
    closing: bool,
) -> Result<Json<ReferralView>, AppError> {
    let id: ReferralId = path_id(&id)?;
    blocking(move || {
        let mut conn = state.conn()?;
        store::referrals::find(&mut conn, actor.scope(), id)?;
        let input = json_input(&body, |_| Ok(()))?;
        let c = ctx(&state, &actor);
        let r = if closing {
            casework::referrals::close(&mut conn, &c, id, input)?
        } else {
            casework::referrals::decide(&mut conn, &c, id, input)?
        };
        Ok(Json(r.into()))
    })
    .await
}

/// `POST /api/v1/referrals/{id}/decision`: `{"decision": "accepted"|"declined",
/// "decided_on": "YYYY-MM-DD"}`.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/decision", tag = "referrals",
    params(("id" = i64, Path, description = "referral id")),
    request_body = super::openapi::Decide,
    responses((status = 200, body = ReferralView), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn decide(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<Json<ReferralView>, AppError> {
    change_referral(state, actor, id.into_inner(), body, false).await
}

/// `POST /api/v1/referrals/{id}/closure`: `{"closure": "completed"|"withdrawn"|
/// "disengaged", "closed_on": "YYYY-MM-DD"}`; only accepted referrals close.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/closure", tag = "referrals",
    params(("id" = i64, Path, description = "referral id")),
    request_body = super::openapi::Close,
    responses((status = 200, body = ReferralView), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn close(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<Json<ReferralView>, AppError> {
    change_referral(state, actor, id.into_inner(), body, true).await
}

// --- sessions -------------------------------------------------------------------------

/// `GET /api/v1/sessions`: the organisation's sessions, most recent first.
#[utoipa::path(get, path = "/api/v1/sessions", tag = "sessions", params(DatedQuery),
    responses((status = 200, body = List<SessionView>), (status = 422, body = Problem)))]
pub async fn sessions(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<DatedQuery>,
) -> Result<Json<List<SessionView>>, AppError> {
    let q = query.into_inner();
    let (from, to) = date_range(&q.from, &q.to)?;
    let filter = SessionFilter {
        programme: q.programme_id.map(ProgrammeId),
        from,
        to,
    };
    let (limit, offset) = Page {
        limit: q.limit,
        offset: q.offset,
    }
    .bounds()?;
    blocking(move || {
        let mut conn = state.conn()?;
        let scope = actor.scope();
        Ok(Json(List {
            count: store::sessions::count(&mut conn, scope, &filter)?,
            items: store::sessions::list(&mut conn, scope, &filter, limit, offset)?
                .into_iter()
                .map(SessionView::from)
                .collect(),
        }))
    })
    .await
}

/// `POST /api/v1/sessions`: records a session; without a `reference` it gets `S-<id>`.
#[utoipa::path(post, path = "/api/v1/sessions", tag = "sessions",
    request_body = super::openapi::NewSession,
    responses((status = 201, body = SessionView), (status = 422, body = Problem)))]
pub async fn create_session(
    state: web::Data<AppState>,
    actor: Actor,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let input = json_input(&body, |_| Ok(()))?;
    created_after(move || {
        let mut conn = state.conn()?;
        let id = casework::sessions::create(&mut conn, &ctx(&state, &actor), input)?;
        let s = store::sessions::find(&mut conn, actor.scope(), id)?;
        Ok((format!("/api/v1/sessions/{id}"), SessionView::from(s)))
    })
    .await
}

/// `GET /api/v1/sessions/{id}`: with its register.
#[utoipa::path(get, path = "/api/v1/sessions/{id}", tag = "sessions",
    params(("id" = i64, Path, description = "session id")),
    responses((status = 200, body = SessionDetail), (status = 404, body = Problem)))]
pub async fn session(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<SessionId>,
) -> Result<Json<SessionDetail>, AppError> {
    blocking(move || {
        let d = casework::details::session(&mut *state.conn()?, &actor, id)?;
        Ok(Json(SessionDetail::from(d)))
    })
    .await
}

/// Turns `attendance: [{referral_id, status, hours}]` into the register's
/// `status_<id>` / `hours_<id>` fields.
fn flatten_register(object: &mut Map<String, Value>) -> Result<(), AppError> {
    let lines = match object.remove("attendance") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(lines)) => lines,
        Some(_) => {
            return Err(AppError::validation(
                "attendance",
                "Send attendance as a list of {referral_id, status, hours}",
            ))
        }
    };
    for (i, line) in lines.into_iter().enumerate() {
        let text = |v: Option<&Value>| match v {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let id = text(line.get("referral_id"));
        if id.parse::<i64>().is_err() {
            return Err(AppError::validation(
                format!("attendance[{i}].referral_id"),
                "Give the id of the referral",
            ));
        }
        let status = text(line.get("status"));
        object.insert(
            format!("status_{id}"),
            Value::String(if status.is_empty() {
                "(missing)".into()
            } else {
                status
            }),
        );
        object.insert(
            format!("hours_{id}"),
            Value::String(text(line.get("hours"))),
        );
    }
    Ok(())
}

/// `PUT /api/v1/sessions/{id}/attendance`: records a whole register at once (all or
/// nothing) and optionally the anonymous `headcount`. A referral of another programme,
/// or referred after the session, is a 422 naming it.
#[utoipa::path(put, path = "/api/v1/sessions/{id}/attendance", tag = "sessions",
    params(("id" = i64, Path, description = "session id")),
    request_body = super::openapi::Register,
    responses((status = 200, body = SessionDetail), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn put_attendance(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<SessionId>,
    body: web::Bytes,
) -> Result<Json<SessionDetail>, AppError> {
    blocking(move || {
        let mut conn = state.conn()?;
        store::sessions::find(&mut conn, actor.scope(), id)?;
        let input = json_input(&body, flatten_register)?;
        casework::sessions::record_register(&mut conn, &ctx(&state, &actor), id, input)?;
        Ok(Json(SessionDetail::from(casework::details::session(
            &mut conn, &actor, id,
        )?)))
    })
    .await
}

// --- outcomes and surveys -------------------------------------------------------------

/// `GET /api/v1/outcomes`: the organisation's outcome records.
#[utoipa::path(get, path = "/api/v1/outcomes", tag = "outcomes", params(DatedQuery),
    responses((status = 200, body = List<OutcomeView>), (status = 422, body = Problem)))]
pub async fn outcomes(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<DatedQuery>,
) -> Result<Json<List<OutcomeView>>, AppError> {
    let q = query.into_inner();
    let (from, to) = date_range(&q.from, &q.to)?;
    let filter = OutcomeFilter {
        referral: q.referral_id.map(ReferralId),
        programme: q.programme_id.map(ProgrammeId),
        from,
        to,
    };
    let (limit, offset) = Page {
        limit: q.limit,
        offset: q.offset,
    }
    .bounds()?;
    blocking(move || {
        let mut conn = state.conn()?;
        let scope = actor.scope();
        Ok(Json(List {
            count: store::outcomes::count(&mut conn, scope, &filter)?,
            items: store::outcomes::list(&mut conn, scope, &filter, limit, offset)?
                .into_iter()
                .map(OutcomeView::from)
                .collect(),
        }))
    })
    .await
}

/// `POST /api/v1/outcomes`: records a referral's value on a measure.
#[utoipa::path(post, path = "/api/v1/outcomes", tag = "outcomes",
    request_body = super::openapi::NewOutcome,
    responses((status = 201, body = OutcomeView), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn record_outcome(
    state: web::Data<AppState>,
    actor: Actor,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let mut input = json_input(&body, |_| Ok(()))?;
    created_after(move || {
        let mut conn = state.conn()?;
        let Some(referral) = input.id("referral_id", "Select the referral") else {
            return Err(AppError::validation("referral_id", "Select the referral"));
        };
        let referral = ReferralId(referral);
        // Another organisation's referral in the body is a field error, not a 404.
        if store::referrals::find(&mut conn, actor.scope(), referral).is_err() {
            return Err(AppError::validation(
                "referral_id",
                "Select one of your organisation's referrals",
            ));
        }
        let id = casework::outcomes::record(&mut conn, &ctx(&state, &actor), referral, input)?;
        let filter = OutcomeFilter {
            referral: Some(referral),
            ..OutcomeFilter::default()
        };
        let record = store::outcomes::list(&mut conn, actor.scope(), &filter, 1000, 0)?
            .into_iter()
            .find(|o| o.id == id)
            .ok_or(AppError::NotFound)?;
        Ok((
            format!("/api/v1/outcomes?referral_id={referral}"),
            OutcomeView::from(record),
        ))
    })
    .await
}

/// `GET /api/v1/group-surveys`: the organisation's group surveys.
#[utoipa::path(get, path = "/api/v1/group-surveys", tag = "outcomes", params(DatedQuery),
    responses((status = 200, body = List<SurveyView>)))]
pub async fn surveys(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<DatedQuery>,
) -> Result<Json<List<SurveyView>>, AppError> {
    let q = query.into_inner();
    let (limit, offset) = Page {
        limit: q.limit,
        offset: q.offset,
    }
    .bounds()?;
    blocking(move || {
        let (count, items) = group_surveys::list(
            &mut *state.conn()?,
            actor.scope(),
            q.session_id.map(SessionId),
            limit,
            offset,
        )?;
        Ok(Json(List {
            count,
            items: items.into_iter().map(SurveyView::from).collect(),
        }))
    })
    .await
}

/// Turns `counts: {"1": 3, "2": 5}` (or `[{value, respondents}]`) into `count_<value>`.
pub fn flatten_counts(object: &mut Map<String, Value>) -> Result<(), AppError> {
    match object.remove("counts") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (k, v) in map {
                object.insert(
                    format!("count_{k}"),
                    Value::String(v.to_string().trim_matches('"').to_string()),
                );
            }
        }
        Some(Value::Array(items)) => {
            for item in items {
                let (Some(v), Some(n)) = (item.get("value"), item.get("respondents")) else {
                    return Err(AppError::validation(
                        "counts",
                        "Give each count as {value, respondents}",
                    ));
                };
                object.insert(format!("count_{v}"), Value::String(n.to_string()));
            }
        }
        Some(_) => {
            return Err(AppError::validation(
                "counts",
                "Give the respondents at each scale value",
            ))
        }
    }
    Ok(())
}

/// `POST /api/v1/group-surveys`: anonymous survey results of a session.
#[utoipa::path(post, path = "/api/v1/group-surveys", tag = "outcomes",
    request_body = super::openapi::NewSurvey,
    responses((status = 201, body = SurveyView), (status = 422, body = Problem)))]
pub async fn record_survey(
    state: web::Data<AppState>,
    actor: Actor,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let mut input = json_input(&body, flatten_counts)?;
    created_after(move || {
        let mut conn = state.conn()?;
        let session = input
            .id("session_id", "Select the session")
            .map(SessionId)
            .filter(|s| store::sessions::find(&mut conn, actor.scope(), *s).is_ok())
            .ok_or_else(|| {
                AppError::validation("session_id", "Select one of your organisation's sessions")
            })?;
        let id =
            casework::outcomes::record_survey(&mut conn, &ctx(&state, &actor), session, input)?;
        let (_, items) = group_surveys::list(&mut conn, actor.scope(), Some(session), 1000, 0)?;
        let survey = items
            .into_iter()
            .find(|s| s.id == id)
            .ok_or(AppError::NotFound)?;
        Ok((
            format!("/api/v1/group-surveys?session_id={session}"),
            SurveyView::from(survey),
        ))
    })
    .await
}
