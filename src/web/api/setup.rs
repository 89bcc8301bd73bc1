//! The commissioning API: providers, programmes (with targets and allocations), funding
//! streams and outcome measures. Commissioners and admins change them; programmes are
//! organisation-level facts that every signed-in user may read within their scope.

use actix_web::web::{self, Json};
use actix_web::HttpResponse;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{created_after, ctx, json_input, List, Page};
use crate::casework;
use crate::domain::access::Actor;
use crate::domain::enums::{Delivery, ProgrammeKind};
use crate::domain::ids::{FundingStreamId, MeasureId, OrganisationId, ProgrammeId};
use crate::store;
use crate::store::organisations::Organisation;
use crate::web::errors::{blocking, AppError, Problem};
use crate::web::shared::PathId;
use crate::web::AppState;

/// A programme.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProgrammeView {
    pub id: ProgrammeId,
    /// The provider that delivers it.
    pub organisation_id: OrganisationId,
    pub name: String,
    pub kind: ProgrammeKind,
    pub delivery: Delivery,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub description: String,
    /// The lawful basis for processing participants' data (UK GDPR Article 6(1)).
    pub lawful_basis: crate::domain::enums::LawfulBasis,
    /// The condition for processing police-derived data (UK GDPR Article 10).
    pub offence_data_condition: crate::domain::enums::OffenceDataCondition,
    /// Whether participants' police identifiers may be linked to police data.
    pub police_linkage: bool,
}

impl From<store::programmes::Programme> for ProgrammeView {
    fn from(p: store::programmes::Programme) -> Self {
        let f = p.fields;
        ProgrammeView {
            id: p.id,
            organisation_id: p.organisation_id,
            name: f.name,
            kind: f.kind,
            delivery: f.delivery,
            min_age: f.min_age,
            max_age: f.max_age,
            starts_on: f.starts_on,
            ends_on: f.ends_on,
            description: f.description,
            lawful_basis: p.data_protection.lawful_basis,
            offence_data_condition: p.data_protection.offence_data_condition,
            police_linkage: p.data_protection.police_linkage,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TargetView {
    pub id: i64,
    pub financial_year: String,
    pub metric: String,
    pub value: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AllocationView {
    pub funding_stream_id: FundingStreamId,
    pub funding_stream: String,
    pub amount_pence: i64,
}

/// A programme with its contracted targets and funding allocations.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProgrammeDetail {
    #[serde(flatten)]
    pub programme: ProgrammeView,
    pub targets: Vec<TargetView>,
    pub allocations: Vec<AllocationView>,
    /// The outcome framework: the measures the programme records, in form order (empty:
    /// none chosen, any measure is accepted).
    pub measures: Vec<MeasureView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FundingStreamView {
    pub id: FundingStreamId,
    pub name: String,
    pub funder: String,
    pub financial_year: String,
    pub amount_pence: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeasureView {
    pub id: MeasureId,
    pub name: String,
    pub min: f64,
    pub max: f64,
    pub higher_is_better: bool,
}

/// The programme list's query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgrammeQuery {
    /// Programmes of one provider.
    pub organisation_id: Option<i64>,
    #[param(minimum = 1, maximum = 1000, default = 100)]
    #[serde(default = "super::default_limit")]
    pub limit: i64,
    #[param(minimum = 0, default = 0)]
    #[serde(default)]
    pub offset: i64,
}

/// The programme `id` as `actor` may see it, as the API shows it.
pub fn programme_detail(
    conn: &mut crate::db::DbConn,
    actor: &Actor,
    id: ProgrammeId,
) -> Result<ProgrammeDetail, AppError> {
    Ok(crate::casework::details::programme(conn, actor, id)?.into())
}

impl From<crate::casework::details::ProgrammeDetail> for ProgrammeDetail {
    fn from(d: crate::casework::details::ProgrammeDetail) -> Self {
        ProgrammeDetail {
            programme: d.programme.into(),
            targets: d
                .targets
                .into_iter()
                .map(|t| TargetView {
                    id: t.id,
                    financial_year: t.financial_year,
                    metric: t.metric,
                    value: t.value,
                })
                .collect(),
            allocations: d
                .allocations
                .into_iter()
                .map(|a| AllocationView {
                    funding_stream_id: a.funding_stream_id,
                    funding_stream: a.funding_stream,
                    amount_pence: a.amount_pence,
                })
                .collect(),
            measures: d
                .measures
                .into_iter()
                .map(|m| MeasureView {
                    id: m.id,
                    name: m.fields.name,
                    min: m.fields.min,
                    max: m.fields.max,
                    higher_is_better: m.fields.higher_is_better,
                })
                .collect(),
        }
    }
}

/// `GET /api/v1/programmes`: a provider's staff see their own; the others every one.
#[utoipa::path(get, path = "/api/v1/programmes", tag = "setup", params(ProgrammeQuery),
    responses((status = 200, body = List<ProgrammeView>)))]
pub async fn programmes(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<ProgrammeQuery>,
) -> Result<Json<List<ProgrammeView>>, AppError> {
    let q = query.into_inner();
    let (limit, offset) = Page {
        limit: q.limit,
        offset: q.offset,
    }
    .bounds()?;
    let org = q.organisation_id.map(OrganisationId);
    blocking(move || {
        let mut conn = state.conn()?;
        let scope = actor.scope();
        Ok(Json(List {
            count: store::programmes::count(&mut conn, scope, org)?,
            items: store::programmes::list(&mut conn, scope, org, limit, offset)?
                .into_iter()
                .map(ProgrammeView::from)
                .collect(),
        }))
    })
    .await
}

/// `GET /api/v1/programmes/{id}`: with targets and allocations.
#[utoipa::path(get, path = "/api/v1/programmes/{id}", tag = "setup",
    params(("id" = i64, Path, description = "programme id")),
    responses((status = 200, body = ProgrammeDetail), (status = 404, body = Problem)))]
pub async fn programme(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<ProgrammeId>,
) -> Result<Json<ProgrammeDetail>, AppError> {
    blocking(move || Ok(Json(programme_detail(&mut *state.conn()?, &actor, id)?))).await
}

/// `POST /api/v1/programmes`: a programme of a provider (`organisation_id`).
#[utoipa::path(post, path = "/api/v1/programmes", tag = "setup",
    request_body = super::openapi::NewProgramme,
    responses((status = 201, body = ProgrammeView), (status = 422, body = Problem)))]
pub async fn create_programme(
    state: web::Data<AppState>,
    actor: Actor,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let input = json_input(&body, |_| Ok(()))?;
    created_after(move || {
        let mut conn = state.conn()?;
        let id = casework::setup::add_programme(&mut conn, &ctx(&state, &actor), input)?;
        let p = store::programmes::find_visible(&mut conn, actor.scope(), id)?;
        Ok((format!("/api/v1/programmes/{id}"), ProgrammeView::from(p)))
    })
    .await
}

/// `POST /api/v1/programmes/{id}/targets`: `{financial_year, metric, value}`.
#[utoipa::path(post, path = "/api/v1/programmes/{id}/targets", tag = "setup",
    params(("id" = i64, Path, description = "programme id")),
    request_body = super::openapi::NewTarget,
    responses((status = 201, body = ProgrammeDetail), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn add_target(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<ProgrammeId>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    created_after(move || {
        let mut conn = state.conn()?;
        store::programmes::find_visible(&mut conn, actor.scope(), id)?;
        let input = json_input(&body, |_| Ok(()))?;
        casework::setup::add_target(&mut conn, &ctx(&state, &actor), id, input)?;
        Ok((
            format!("/api/v1/programmes/{id}"),
            programme_detail(&mut conn, &actor, id)?,
        ))
    })
    .await
}

/// `POST /api/v1/providers`: `{name}`.
#[utoipa::path(post, path = "/api/v1/providers", tag = "setup",
    request_body = super::openapi::NewProvider,
    responses((status = 201, body = Organisation), (status = 422, body = Problem)))]
pub async fn add_provider(
    state: web::Data<AppState>,
    actor: Actor,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let input = json_input(&body, |_| Ok(()))?;
    created_after(move || {
        let mut conn = state.conn()?;
        let id = casework::setup::add_provider(&mut conn, &ctx(&state, &actor), input)?;
        let org = store::organisations::list(&mut conn)?
            .into_iter()
            .find(|o| o.id == id)
            .ok_or(AppError::NotFound)?;
        Ok(("/api/v1/organisations".into(), org))
    })
    .await
}

fn stream_view(f: store::funding_streams::FundingStream) -> FundingStreamView {
    FundingStreamView {
        id: f.id,
        name: f.name,
        funder: f.funder,
        financial_year: f.financial_year,
        amount_pence: f.amount_pence,
    }
}

/// `GET /api/v1/funding-streams`.
#[utoipa::path(get, path = "/api/v1/funding-streams", tag = "setup",
    responses((status = 200, body = List<FundingStreamView>)))]
pub async fn funding_streams(
    state: web::Data<AppState>,
) -> Result<Json<List<FundingStreamView>>, AppError> {
    blocking(move || {
        let items: Vec<_> = store::funding_streams::all(&mut *state.conn()?)?
            .into_iter()
            .map(stream_view)
            .collect();
        Ok(Json(List {
            count: items.len() as i64,
            items,
        }))
    })
    .await
}

/// `POST /api/v1/funding-streams`: `{name, funder, financial_year, amount}` (pounds).
#[utoipa::path(post, path = "/api/v1/funding-streams", tag = "setup",
    request_body = super::openapi::NewFundingStream,
    responses((status = 201, body = FundingStreamView), (status = 422, body = Problem)))]
pub async fn add_funding_stream(
    state: web::Data<AppState>,
    actor: Actor,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let input = json_input(&body, |_| Ok(()))?;
    created_after(move || {
        let mut conn = state.conn()?;
        let id = casework::setup::add_funding_stream(&mut conn, &ctx(&state, &actor), input)?;
        let f = store::funding_streams::find(&mut conn, id)?;
        Ok(("/api/v1/funding-streams".into(), stream_view(f)))
    })
    .await
}

/// `POST /api/v1/funding-streams/{id}/allocations`: `{programme_id, amount}` (pounds).
#[utoipa::path(post, path = "/api/v1/funding-streams/{id}/allocations", tag = "setup",
    params(("id" = i64, Path, description = "funding stream id")),
    request_body = super::openapi::NewAllocation,
    responses((status = 201, body = ProgrammeDetail), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn allocate(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<FundingStreamId>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    created_after(move || {
        let mut conn = state.conn()?;
        store::funding_streams::find(&mut conn, id)?;
        let input = json_input(&body, |_| Ok(()))?;
        let programme = ProgrammeId(input.raw("programme_id").parse().unwrap_or(0));
        casework::setup::allocate(&mut conn, &ctx(&state, &actor), id, input)?;
        Ok((
            format!("/api/v1/programmes/{programme}"),
            programme_detail(&mut conn, &actor, programme)?,
        ))
    })
    .await
}

fn measure_view(m: store::measures::Measure) -> MeasureView {
    MeasureView {
        id: m.id,
        name: m.fields.name,
        min: m.fields.min,
        max: m.fields.max,
        higher_is_better: m.fields.higher_is_better,
    }
}

/// `GET /api/v1/measures`: the outcome measures (shared by every programme).
#[utoipa::path(get, path = "/api/v1/measures", tag = "outcomes",
    responses((status = 200, body = List<MeasureView>)))]
pub async fn measures(state: web::Data<AppState>) -> Result<Json<List<MeasureView>>, AppError> {
    blocking(move || {
        let items: Vec<_> = store::measures::all(&mut *state.conn()?)?
            .into_iter()
            .map(measure_view)
            .collect();
        Ok(Json(List {
            count: items.len() as i64,
            items,
        }))
    })
    .await
}

/// `POST /api/v1/measures`: `{name, min, max, higher_is_better}`.
#[utoipa::path(post, path = "/api/v1/measures", tag = "outcomes",
    request_body = super::openapi::NewMeasure,
    responses((status = 201, body = MeasureView), (status = 422, body = Problem)))]
pub async fn add_measure(
    state: web::Data<AppState>,
    actor: Actor,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let input = json_input(&body, |_| Ok(()))?;
    created_after(move || {
        let mut conn = state.conn()?;
        let id = casework::setup::add_measure(&mut conn, &ctx(&state, &actor), input)?;
        let m = store::measures::find(&mut conn, id)?;
        Ok(("/api/v1/measures".into(), measure_view(m)))
    })
    .await
}
