//! Quarterly returns through the API: list a programme's returns, submit a quarter,
//! approve, return with a comment, unlock with a reason. The commands are
//! `casework::returns`, shared with the pages.

use actix_web::web::{self, Json};
use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{created, ctx, json_input, List};
use crate::casework;
use crate::domain::access::Actor;
use crate::domain::enums::ReturnStatus;
use crate::domain::ids::{ProgrammeId, ReturnId, UserId};
use crate::domain::validation::Input;
use crate::store::quarterly_returns::{self, QuarterlyReturn};
use crate::store::{self};
use crate::web::errors::{blocking, AppError, Problem};
use crate::web::shared::PathId;
use crate::web::AppState;

/// A programme's return for a quarter.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReturnView {
    pub id: ReturnId,
    pub programme_id: ProgrammeId,
    /// Like `2025-26-Q3`.
    pub quarter: String,
    /// How people read the quarter: "October to December 2025 (Q3 2025-26)".
    pub quarter_name: String,
    pub status: ReturnStatus,
    /// What the provider wrote about the quarter when submitting; empty when nothing.
    pub narrative: String,
    /// The commissioner's comment when returned (or approving), the admin's reason when
    /// unlocked; empty while submitted.
    pub comment: String,
    pub submitted_by: Option<UserId>,
    /// UTC, RFC 3339.
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_by: Option<UserId>,
    /// UTC, RFC 3339.
    pub decided_at: Option<DateTime<Utc>>,
    /// Whether records dated in the quarter are locked (the return is approved).
    pub locked: bool,
}

impl From<QuarterlyReturn> for ReturnView {
    fn from(r: QuarterlyReturn) -> Self {
        ReturnView {
            id: r.id,
            programme_id: r.programme_id,
            locked: r.status == ReturnStatus::Approved,
            quarter_name: crate::domain::returns::parse_quarter(&r.quarter)
                .map(|q| q.long_name())
                .unwrap_or_else(|| r.quarter.clone()),
            quarter: r.quarter,
            narrative: r.narrative,
            status: r.status,
            comment: r.comment,
            submitted_by: r.submitted_by,
            submitted_at: r.submitted_at.map(|t| t.and_utc()),
            decided_by: r.decided_by,
            decided_at: r.decided_at.map(|t| t.and_utc()),
        }
    }
}

/// `POST /api/v1/programmes/{id}/returns`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct SubmitReturn {
    /// A quarter that has ended, like `2025-26-Q3` (a quarter can be submitted from the
    /// day after its last day; before that the answer is 422 naming that date).
    pub quarter: String,
    /// What the provider wants the commissioner to know about the quarter. Optional, at
    /// most 5,000 characters; no personal details.
    pub narrative: Option<String>,
}

/// `POST /api/v1/returns/{id}/approve` and `/return`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReturnComment {
    /// Required to return; optional to approve. At most 2,000 characters; no personal
    /// details (it is kept in the audit trail).
    pub comment: Option<String>,
}

/// `POST /api/v1/returns/{id}/unlock`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct UnlockReturn {
    /// Required. At most 2,000 characters; no personal details (it is kept in the audit
    /// trail).
    pub reason: String,
}

/// `GET /api/v1/programmes/{id}/returns`: the programme's returns, newest quarter first.
#[utoipa::path(get, path = "/api/v1/programmes/{id}/returns", tag = "returns",
    params(("id" = i64, Path, description = "programme id")),
    responses((status = 200, body = List<ReturnView>), (status = 404, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<ProgrammeId>,
) -> Result<Json<List<ReturnView>>, AppError> {
    blocking(move || {
        let mut conn = state.conn()?;
        store::programmes::find_visible(&mut conn, actor.scope(), id)?;
        let items: Vec<ReturnView> = quarterly_returns::of_programme(&mut conn, id)?
            .into_iter()
            .map(ReturnView::from)
            .collect();
        Ok(Json(List {
            count: items.len() as i64,
            items,
        }))
    })
    .await
}

/// `POST /api/v1/programmes/{id}/returns`: submits a quarter (provider managers of the
/// programme's provider, admins). 201 for a first submission, 200 when a returned or
/// unlocked return is submitted again.
#[utoipa::path(post, path = "/api/v1/programmes/{id}/returns", tag = "returns",
    params(("id" = i64, Path, description = "programme id")),
    request_body = SubmitReturn,
    responses((status = 201, body = ReturnView), (status = 200, body = ReturnView),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn submit(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<ProgrammeId>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let r = blocking(move || {
        let mut conn = state.conn()?;
        // Another provider's programme is 404 whatever the body holds.
        store::programmes::find_visible(&mut conn, actor.scope(), id)?;
        let input = json_input(&body, |_| Ok(()))?;
        Ok(casework::returns::submit(
            &mut conn,
            &ctx(&state, &actor),
            id,
            input,
        )?)
    })
    .await?;
    let (r, created_now) = r;
    let location = format!("/api/v1/returns/{}", r.id);
    Ok(if created_now {
        created(location, ReturnView::from(r))
    } else {
        HttpResponse::Ok().json(ReturnView::from(r))
    })
}

/// The body as `Input`; an empty body is an empty object.
fn body_input(body: &[u8]) -> Result<Input, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Input::default());
    }
    json_input(body, |_| Ok(()))
}

async fn decide(
    state: web::Data<AppState>,
    actor: Actor,
    id: ReturnId,
    body: web::Bytes,
    decision: &'static str,
) -> Result<Json<ReturnView>, AppError> {
    blocking(move || {
        let mut conn = state.conn()?;
        quarterly_returns::find(&mut conn, actor.scope(), id)?;
        let mut pairs: Vec<(String, String)> = body_input(&body)?
            .pairs()
            .filter(|(k, _)| *k != "decision")
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        pairs.push(("decision".into(), decision.into()));
        let input = Input::from_pairs(pairs);
        let r = casework::returns::decide(&mut conn, &ctx(&state, &actor), id, input)?;
        Ok(Json(ReturnView::from(r)))
    })
    .await
}

/// `POST /api/v1/returns/{id}/approve`: approves a submitted return (commissioners,
/// admins); records dated in its quarter are locked from now on.
#[utoipa::path(post, path = "/api/v1/returns/{id}/approve", tag = "returns",
    params(("id" = i64, Path, description = "return id")),
    request_body = ReturnComment,
    responses((status = 200, body = ReturnView), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn approve(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<ReturnId>,
    body: web::Bytes,
) -> Result<Json<ReturnView>, AppError> {
    decide(state, actor, id, body, "approved").await
}

/// `POST /api/v1/returns/{id}/return`: returns a submitted return to the provider with a
/// comment (required).
#[utoipa::path(post, path = "/api/v1/returns/{id}/return", tag = "returns",
    params(("id" = i64, Path, description = "return id")),
    request_body = ReturnComment,
    responses((status = 200, body = ReturnView), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn send_back(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<ReturnId>,
    body: web::Bytes,
) -> Result<Json<ReturnView>, AppError> {
    decide(state, actor, id, body, "returned").await
}

/// `POST /api/v1/returns/{id}/unlock`: unlocks an approved return with a reason
/// (admins); records dated in its quarter can be changed again until it is approved
/// again.
#[utoipa::path(post, path = "/api/v1/returns/{id}/unlock", tag = "returns",
    params(("id" = i64, Path, description = "return id")),
    request_body = UnlockReturn,
    responses((status = 200, body = ReturnView), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn unlock(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<ReturnId>,
    body: web::Bytes,
) -> Result<Json<ReturnView>, AppError> {
    blocking(move || {
        let mut conn = state.conn()?;
        quarterly_returns::find(&mut conn, actor.scope(), id)?;
        let input = body_input(&body)?;
        let r = casework::returns::unlock(&mut conn, &ctx(&state, &actor), id, input)?;
        Ok(Json(ReturnView::from(r)))
    })
    .await
}

/// `POST /api/v1/returns/{id}/withdraw`: the provider withdraws a submitted return before
/// a commissioner decides on it (provider managers of the programme's provider, admins);
/// it can be submitted again.
#[utoipa::path(post, path = "/api/v1/returns/{id}/withdraw", tag = "returns",
    params(("id" = i64, Path, description = "return id")),
    responses((status = 200, body = ReturnView), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn withdraw(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<ReturnId>,
) -> Result<Json<ReturnView>, AppError> {
    blocking(move || {
        let mut conn = state.conn()?;
        let r = casework::returns::withdraw(&mut conn, &ctx(&state, &actor), id)?;
        Ok(Json(ReturnView::from(r)))
    })
    .await
}

/// `GET /api/v1/returns/{id}/changes`: what changed in the return's quarter since it was
/// last approved — the engagement figures that moved (approved → now) and the records of
/// the programme dated in the quarter changed since, from the audit trail. For a return
/// unlocked and submitted again, this is what the commissioner approves anew.
#[utoipa::path(get, path = "/api/v1/returns/{id}/changes", tag = "returns", operation_id = "return_changes",
    params(("id" = i64, Path, description = "return id")),
    responses((status = 200, body = casework::return_changes::ReturnChanges),
              (status = 404, body = Problem)))]
pub async fn changes(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<ReturnId>,
) -> Result<Json<casework::return_changes::ReturnChanges>, AppError> {
    blocking(move || {
        let mut conn = state.conn()?;
        Ok(Json(casework::return_changes::since_approval(
            &mut conn,
            &ctx(&state, &actor),
            id,
        )?))
    })
    .await
}
