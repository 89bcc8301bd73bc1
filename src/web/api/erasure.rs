//! Erasure, subject access and evaluation holds through the API
//! (docs/erasure-and-retention.md): `POST /api/v1/participants/{id}/erase`,
//! `GET /api/v1/participants/{id}/export`, and `PUT` / `DELETE`
//! `/api/v1/programmes/{id}/evaluation-hold`.

use actix_web::web::{self, Json};
use actix_web::HttpResponse;
use serde::Serialize;

use super::json_input;
use crate::casework::erasure::{self, Eraser, OVERRIDE_FIELD};
use crate::casework::holds;
use crate::casework::subject_access::{self, Export, Requester};
use crate::domain::access::Actor;
use crate::domain::enums::ErasureReason;
use crate::domain::ids::{ParticipantId, ProgrammeId};
use crate::store::erasures::Erasure;
use crate::web::errors::{blocking, AppError};
use crate::web::shared::PathId;
use crate::web::AppState;

/// `POST /api/v1/participants/{id}/erase`: deletes every row that names the participant
/// (their referrals, attendance, outcome records and person key with them); an erasure
/// record (counts only) and an audit event remain. Provider managers (their own
/// organisation's participants) and admins. Refused (422 on `override_reason`) while an
/// evaluation hold applies, unless an admin gives `override_reason`.
#[utoipa::path(post, path = "/api/v1/participants/{id}/erase", tag = "data protection",
    operation_id = "erase_participant",
    params(("id" = i64, Path, description = "participant id")),
    request_body = super::openapi::ErasureBody,
    responses((status = 200, description = "the erasure record", body = super::openapi::ErasureRecord),
              (status = 404, body = super::Problem), (status = 422, body = super::Problem)))]
pub async fn erase(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<ParticipantId>,
    body: web::Bytes,
) -> Result<Json<Erasure>, AppError> {
    blocking(move || {
        let mut conn = state.conn()?;
        // Another organisation's record is 404 before the body is read.
        crate::store::participants::find(&mut conn, actor.scope(), id)?;
        let mut input = json_input(&body, |_| Ok(()))?;
        let reason: Option<ErasureReason> = input.word("reason");
        let override_reason = input.opt_text(OVERRIDE_FIELD, 500);
        input.finish().map_err(AppError::Validation)?;
        let reason = reason.ok_or_else(|| {
            AppError::validation("reason", "give the reason: request or retention")
        })?;
        let done = erasure::erase(
            &mut conn,
            Eraser::User(&actor, "api"),
            id,
            reason,
            override_reason.as_deref(),
            chrono::Utc::now().date_naive(),
        )?;
        Ok(Json(done))
    })
    .await
}

/// `GET /api/v1/participants/{id}/export`: everything held about the participant
/// (subject access; audited). Provider managers (their own organisation's) and admins;
/// police offence records under their key for admins only.
#[utoipa::path(get, path = "/api/v1/participants/{id}/export", tag = "data protection",
    operation_id = "export_participant",
    params(("id" = i64, Path, description = "participant id")),
    responses((status = 200, description = "the subject access export", body = super::openapi::SubjectAccessExport),
              (status = 404, body = super::Problem)))]
pub async fn export(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<ParticipantId>,
) -> Result<Json<Export>, AppError> {
    blocking(move || {
        let mut conn = state.conn()?;
        crate::store::participants::find(&mut conn, actor.scope(), id)?;
        Ok(Json(subject_access::export(
            &mut conn,
            Requester::User(&actor, "api"),
            id,
            "json",
        )?))
    })
    .await
}

/// A programme's hold as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HoldView {
    pub programme_id: i64,
    pub ends_on: chrono::NaiveDate,
    pub reason: String,
}

/// `PUT /api/v1/programmes/{id}/evaluation-hold`: puts the programme under an evaluation
/// hold until `ends_on` (replacing any before). Analysts and admins.
#[utoipa::path(put, path = "/api/v1/programmes/{id}/evaluation-hold", tag = "data protection",
    operation_id = "set_evaluation_hold",
    params(("id" = i64, Path, description = "programme id")),
    request_body = super::openapi::HoldBody,
    responses((status = 200, body = HoldView), (status = 404, body = super::Problem),
              (status = 422, body = super::Problem)))]
pub async fn set_hold(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<ProgrammeId>,
    body: web::Bytes,
) -> Result<Json<HoldView>, AppError> {
    blocking(move || {
        let mut conn = state.conn()?;
        crate::store::programmes::find_visible(&mut conn, actor.scope(), id)?;
        let mut input = json_input(&body, |_| Ok(()))?;
        let ends_on = input.date("ends_on", "The last day of the hold", None);
        let reason = input.text("reason", 500, "give the reason for the hold");
        input.finish().map_err(AppError::Validation)?;
        let (Some(ends_on), Some(reason)) = (ends_on, reason) else {
            return Err(AppError::Validation(Vec::new()));
        };
        if ends_on < chrono::Utc::now().date_naive() {
            return Err(AppError::validation(
                "ends_on",
                "the last day of the hold must be today or later",
            ));
        }
        holds::set(&mut conn, Some(&actor), id, ends_on, &reason)?;
        Ok(Json(HoldView {
            programme_id: id.0,
            ends_on,
            reason,
        }))
    })
    .await
}

/// `DELETE /api/v1/programmes/{id}/evaluation-hold`: lifts the hold, if there is one
/// (204 either way: deleting is idempotent). Analysts and admins.
#[utoipa::path(delete, path = "/api/v1/programmes/{id}/evaluation-hold", tag = "data protection",
    operation_id = "lift_evaluation_hold",
    params(("id" = i64, Path, description = "programme id")),
    responses((status = 204, description = "no hold any more"), (status = 404, body = super::Problem)))]
pub async fn lift_hold(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<ProgrammeId>,
) -> Result<HttpResponse, AppError> {
    blocking(move || {
        let mut conn = state.conn()?;
        crate::store::programmes::find_visible(&mut conn, actor.scope(), id)?;
        holds::lift(&mut conn, Some(&actor), id)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
