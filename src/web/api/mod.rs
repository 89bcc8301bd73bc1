//! The JSON API under `/api/v1`. Clients authenticate with `Authorization: Bearer` or a
//! browser session; errors are RFC 9457 problem details (`AppError`). Records of another
//! organisation answer 404, exactly like records that do not exist.

pub mod corrections;
pub mod erasure;
pub mod files;
pub mod merge;
pub mod openapi;

pub use super::shared::{ctx, page_ctx, path_id};
pub mod records;
pub mod reports;
pub mod returns;
pub mod setup;

use actix_web::web::{self, Json};
use serde::{Deserialize, Serialize};

use super::errors::{blocking, AppError, Problem};
use super::AppState;
use crate::domain::access::{Actor, Scope};
use crate::domain::enums::{OrganisationKind, Role};
use crate::domain::ids::{OrganisationId, ParticipantId, UserId};
use crate::domain::validation::FieldError;
use crate::store;
use crate::store::organisations::Organisation;
use crate::store::participants::Participant;

/// A participant as the API shows it: never the person key, only whether there is one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ParticipantView {
    pub id: ParticipantId,
    pub organisation_id: OrganisationId,
    pub reference: String,
    pub date_of_birth: Option<chrono::NaiveDate>,
    pub gender: crate::domain::enums::Gender,
    pub ethnicity: crate::domain::enums::Ethnicity,
    pub district: Option<String>,
    pub has_person_key: bool,
}

impl From<Participant> for ParticipantView {
    fn from(p: Participant) -> Self {
        ParticipantView {
            id: p.id,
            organisation_id: p.organisation_id,
            has_person_key: p.fields.person_key.is_some(),
            reference: p.fields.reference,
            date_of_birth: p.fields.date_of_birth,
            gender: p.fields.gender,
            ethnicity: p.fields.ethnicity,
            district: p.fields.district,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub user_id: UserId,
    pub display_name: String,
    pub role: Role,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub organisation_kind: OrganisationKind,
}

/// `GET /api/v1/me`: who the credential acts as.
#[utoipa::path(get, path = "/api/v1/me", tag = "account", responses((status = 200, body = Me)))]
pub async fn me(actor: Actor) -> Json<Me> {
    Json(Me {
        user_id: actor.user_id,
        display_name: actor.display_name,
        role: actor.role,
        organisation_id: actor.organisation_id,
        organisation_name: actor.organisation_name,
        organisation_kind: actor.organisation_kind,
    })
}

/// A page of a list: how many match in all, and this page's items.
#[derive(Serialize, utoipa::ToSchema)]
pub struct List<T> {
    pub count: i64,
    pub items: Vec<T>,
}

/// `GET /api/v1/organisations`: all for commissioners, analysts and admins; a provider's
/// staff see their own.
#[utoipa::path(get, path = "/api/v1/organisations", tag = "setup",
    responses((status = 200, body = List<Organisation>)))]
pub async fn organisations(
    state: web::Data<AppState>,
    actor: Actor,
) -> Result<Json<List<Organisation>>, AppError> {
    let scope = actor.scope();
    let items = blocking(move || {
        Ok(store::organisations::list_scoped(
            &mut *state.conn()?,
            scope,
        )?)
    })
    .await?;
    Ok(Json(List {
        count: items.len() as i64,
        items,
    }))
}

/// `limit` (1 to 1000, default 100) and `offset` (default 0) of a list.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// How many items (1 to 1000, default 100).
    #[param(minimum = 1, maximum = 1000, default = 100)]
    #[serde(default = "default_limit")]
    pub limit: i64,
    /// How many to skip (default 0).
    #[param(minimum = 0, default = 0)]
    #[serde(default)]
    pub offset: i64,
}

fn default_limit() -> i64 {
    100
}

impl Page {
    /// The limit and offset, or a 422 naming the one outside what the API serves (a limit
    /// of 1 to 1000, an offset of 0 or more): never silently clamped.
    pub fn bounds(&self) -> Result<(i64, i64), AppError> {
        let mut errors = Vec::new();
        if !(1..=1000).contains(&self.limit) {
            errors.push(FieldError::new(
                "limit",
                "give a whole number from 1 to 1000",
            ));
        }
        if self.offset < 0 {
            errors.push(FieldError::new("offset", "give a whole number, 0 or more"));
        }
        if errors.is_empty() {
            Ok((self.limit, self.offset))
        } else {
            Err(AppError::Validation(errors))
        }
    }
}

/// The JSON object of a request body as casework `Input`; nested values are passed
/// through `flatten` first (register lines, survey counts).
pub fn json_input(
    body: &[u8],
    flatten: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>) -> Result<(), AppError>,
) -> Result<crate::domain::validation::Input, AppError> {
    let mut value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| AppError::BadRequest("the body must be a JSON object".into()))?;
    let object = value
        .as_object_mut()
        .ok_or_else(|| AppError::BadRequest("the body must be a JSON object".into()))?;
    flatten(object)?;
    crate::domain::validation::Input::from_json(&value).map_err(AppError::BadRequest)
}

/// A 201 Created answer with the new record.
pub fn created<T: Serialize>(location: String, body: T) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Created()
        .insert_header((actix_web::http::header::LOCATION, location))
        .json(body)
}

/// Runs `f` (blocking database work returning the new record's location and body) and
/// answers 201 Created.
pub async fn created_after<T, F>(f: F) -> Result<actix_web::HttpResponse, AppError>
where
    T: Serialize + Send + 'static,
    F: FnOnce() -> Result<(String, T), AppError> + Send + 'static,
{
    let (location, body) = blocking(f).await?;
    Ok(created(location, body))
}

/// The query of the participant list: filters (each optional, all of them together) and
/// paging (docs/api.md, "Finding people").
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ParticipantQuery {
    /// The case reference starts with this, in any case (`ux-test` finds `UX-TEST-001`).
    pub q: Option<String>,
    /// Finds the participant with exactly this case reference.
    pub reference: Option<String>,
    /// Born on this day (YYYY-MM-DD).
    pub date_of_birth: Option<String>,
    /// The district is this, in any case.
    pub district: Option<String>,
    /// Has a referral to this programme (id).
    pub programme: Option<String>,
    /// Has a referral in this status (to `programme`, when given): pending, open,
    /// completed, withdrawn, disengaged or declined.
    pub status: Option<String>,
    #[param(minimum = 1, maximum = 1000, default = 100)]
    #[serde(default = "default_limit")]
    pub limit: i64,
    #[param(minimum = 0, default = 0)]
    #[serde(default)]
    pub offset: i64,
    /// A page of `limit` items, from 1 (instead of `offset`).
    pub page: Option<String>,
}

/// A query value that is given and not blank.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// `page` (from 1) as an offset of `limit` items, or `offset`; a 422 naming `page` when it
/// is not a whole number from 1.
pub fn page_offset(page: &Option<String>, limit: i64, offset: i64) -> Result<i64, AppError> {
    match given(page) {
        None => Ok(offset),
        Some(p) => match p.parse::<i64>() {
            Ok(n) if (1..=1_000_000).contains(&n) => Ok((n - 1) * limit),
            _ => Err(AppError::validation(
                "page",
                "give a whole number from 1".to_string(),
            )),
        },
    }
}

/// A programme id filter, or a 422 naming `field`.
pub fn programme_filter(
    field: &str,
    v: &Option<String>,
) -> Result<Option<crate::domain::ids::ProgrammeId>, AppError> {
    match given(v) {
        None => Ok(None),
        Some(p) => p
            .parse::<i64>()
            .map(|id| Some(crate::domain::ids::ProgrammeId(id)))
            .map_err(|_| {
                AppError::validation(field, "give a programme's id, a whole number".to_string())
            }),
    }
}

/// A referral status filter, or a 422 naming `status` and the words it accepts.
pub fn status_filter(
    v: &Option<String>,
) -> Result<Option<crate::domain::enums::ReferralStatus>, AppError> {
    match given(v) {
        None => Ok(None),
        Some(s) => s
            .parse::<crate::domain::enums::ReferralStatus>()
            .map(Some)
            .map_err(|e| AppError::validation("status", e.to_string())),
    }
}

/// A date filter (YYYY-MM-DD), or a 422 naming `field`.
pub fn date_filter(field: &str, v: &Option<String>) -> Result<Option<chrono::NaiveDate>, AppError> {
    match given(v) {
        None => Ok(None),
        Some(d) => crate::domain::period::parse_date(d).map(Some).map_err(|_| {
            AppError::validation(field, "Enter a real date, like 2008-05-14".to_string())
        }),
    }
}

/// `GET /api/v1/participants?q=&date_of_birth=&district=&programme=&status=&page=`: the
/// scope's participants matching every filter given, by reference, and their count.
#[utoipa::path(get, path = "/api/v1/participants", tag = "participants",
    params(ParticipantQuery),
    responses((status = 200, body = List<ParticipantView>), (status = 422, body = Problem)))]
pub async fn participants(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<ParticipantQuery>,
) -> Result<Json<List<ParticipantView>>, AppError> {
    let scope: Scope = actor.scope();
    let query = query.into_inner();
    let (limit, offset) = Page {
        limit: query.limit,
        offset: query.offset,
    }
    .bounds()?;
    let offset = page_offset(&query.page, limit, offset)?;
    let reference = given(&query.reference).map(str::to_string);
    let filter = crate::store::participants::ParticipantFilter {
        q: given(&query.q).map(str::to_string),
        date_of_birth: date_filter("date_of_birth", &query.date_of_birth)?,
        district: given(&query.district).map(str::to_string),
        programme: programme_filter("programme", &query.programme)?,
        status: status_filter(&query.status)?,
    };
    blocking(move || {
        let mut conn = state.conn()?;
        let (count, items) = match reference.as_deref() {
            // The exact reference, as before.
            Some(r) => (
                store::participants::count(&mut conn, scope, Some(r))?,
                store::participants::list(&mut conn, scope, Some(r), limit, offset)?,
            ),
            None => (
                store::participants::search_count(&mut conn, scope, &filter)?,
                store::participants::search(&mut conn, scope, &filter, limit, offset)?,
            ),
        };
        Ok(Json(List {
            count,
            items: items.into_iter().map(ParticipantView::from).collect(),
        }))
    })
    .await
}

/// `GET /api/v1/participants/{id}`. Each read is recorded in the access log (who looked
/// at whom), which the participant's page shows to provider managers and admins.
#[utoipa::path(get, path = "/api/v1/participants/{id}", tag = "participants",
    params(("id" = i64, Path, description = "participant id")),
    responses((status = 200, body = ParticipantView), (status = 404, body = Problem)))]
pub async fn participant(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<Json<ParticipantView>, AppError> {
    // An id that is not a number is a record that does not exist.
    let id: ParticipantId = id.parse().map_err(|_| AppError::NotFound)?;
    let scope = actor.scope();
    blocking(move || {
        let mut conn = state.conn()?;
        let p = store::participants::find(&mut conn, scope, id)?;
        // Who looked at whom (docs/data-protection.md, "Access log").
        store::access_log::record(
            &mut conn,
            &actor,
            id,
            crate::domain::enums::AccessPage::ApiParticipant,
        )?;
        Ok(Json(p.into()))
    })
    .await
}

/// `POST /api/v1/participants`: registers a participant. A police identifier is keyed
/// at once and never stored or echoed; one already keyed for a participant of the
/// organisation answers 409 naming that record, unless `allow_duplicate` is true.
#[utoipa::path(post, path = "/api/v1/participants", tag = "participants",
    request_body = openapi::NewParticipant,
    responses((status = 201, body = ParticipantView), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn register_participant(
    state: web::Data<AppState>,
    actor: Actor,
    body: web::Bytes,
) -> Result<actix_web::HttpResponse, AppError> {
    let input = json_input(&body, |_| Ok(()))?;
    created_after(move || {
        let mut conn = state.conn()?;
        let id = crate::casework::participants::register(&mut conn, &ctx(&state, &actor), input)?;
        let p = store::participants::find(&mut conn, actor.scope(), id)?;
        Ok((
            format!("/api/v1/participants/{id}"),
            ParticipantView::from(p),
        ))
    })
    .await
}
