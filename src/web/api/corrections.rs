//! Correcting the record through the API (docs/api.md, "Corrections"): `PATCH` (a JSON
//! merge patch with a `reason`), `DELETE` (void, `{"reason"}`, 204), `POST …/restore`
//! and `GET …/history` on participants, referrals, sessions, outcome records and group
//! surveys. Every handler looks the record up in the actor's scope first (404 for another
//! organisation's), then reads the body, then runs the casework command.

use actix_web::web::{self, Json};
use actix_web::HttpResponse;

use super::records::{OutcomeView, ReferralView, SessionView, SurveyView};
use super::{ctx, path_id, ParticipantView};
use crate::casework::{self, corrections};
use crate::domain::access::Actor;
use crate::domain::ids::{ParticipantId, ReferralId, SessionId};
use crate::domain::validation::Input;
use crate::store::voids::{self, RecordKind};
use crate::web::errors::{blocking, AppError};
use crate::web::shared::PathId;
use crate::web::AppState;

/// The body as a merge patch (`null` clears a field).
fn patch(body: &[u8]) -> Result<Input, AppError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| AppError::BadRequest("the body must be a JSON object".into()))?;
    Input::from_merge_patch(&value).map_err(AppError::BadRequest)
}

/// 404 unless the record exists in the actor's scope (voided or not, per `voided`).
fn visible(
    conn: &mut crate::db::DbConn,
    actor: &Actor,
    kind: RecordKind,
    id: i64,
) -> Result<Option<voids::VoidMark>, AppError> {
    match voids::find(conn, actor.scope(), kind, id)? {
        Some((_, mark)) => Ok(mark),
        None => Err(AppError::NotFound),
    }
}

/// `PATCH /api/v1/participants/{id}`: corrects date of birth, gender, ethnicity,
/// district or police identifier (re-keyed, never stored).
#[utoipa::path(patch, path = "/api/v1/participants/{id}", tag = "corrections",
    params(("id" = i64, Path, description = "participant id")),
    request_body = super::openapi::ParticipantPatch,
    responses((status = 200, body = ParticipantView), (status = 404, body = super::Problem),
              (status = 409, body = super::Problem), (status = 422, body = super::Problem)))]
pub async fn patch_participant(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<ParticipantId>,
    body: web::Bytes,
) -> Result<Json<ParticipantView>, AppError> {
    blocking(move || {
        let mut conn = state.conn()?;
        crate::store::participants::find(&mut conn, actor.scope(), id)?;
        let input = patch(&body)?;
        let p = casework::participants::change(&mut conn, &ctx(&state, &actor), id, input)?;
        Ok(Json(p.into()))
    })
    .await
}

/// `PATCH /api/v1/referrals/{id}`: corrects a referral, including undoing or changing
/// its decision and closure (`"closure": "open", "closed_on": null` reopens it).
#[utoipa::path(patch, path = "/api/v1/referrals/{id}", tag = "corrections",
    params(("id" = i64, Path, description = "referral id")),
    request_body = super::openapi::ReferralPatch,
    responses((status = 200, body = ReferralView), (status = 404, body = super::Problem),
              (status = 409, body = super::Problem), (status = 422, body = super::Problem)))]
pub async fn patch_referral(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<ReferralId>,
    body: web::Bytes,
) -> Result<Json<ReferralView>, AppError> {
    blocking(move || {
        let mut conn = state.conn()?;
        crate::store::referrals::find(&mut conn, actor.scope(), id)?;
        let input = patch(&body)?;
        let r = casework::referrals::change(&mut conn, &ctx(&state, &actor), id, input)?;
        Ok(Json(r.into()))
    })
    .await
}

/// `PATCH /api/v1/sessions/{id}`: corrects date, kind, duration, headcount, district,
/// venue.
#[utoipa::path(patch, path = "/api/v1/sessions/{id}", tag = "corrections",
    params(("id" = i64, Path, description = "session id")),
    request_body = super::openapi::SessionPatch,
    responses((status = 200, body = SessionView), (status = 404, body = super::Problem),
              (status = 409, body = super::Problem), (status = 422, body = super::Problem)))]
pub async fn patch_session(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<SessionId>,
    body: web::Bytes,
) -> Result<Json<SessionView>, AppError> {
    blocking(move || {
        let mut conn = state.conn()?;
        crate::store::sessions::find(&mut conn, actor.scope(), id)?;
        let input = patch(&body)?;
        let s = casework::sessions::change(&mut conn, &ctx(&state, &actor), id, input)?;
        Ok(Json(s.into()))
    })
    .await
}

/// `PATCH /api/v1/outcomes/{id}`: corrects an outcome record's value, date, timepoint.
#[utoipa::path(patch, path = "/api/v1/outcomes/{id}", tag = "corrections",
    params(("id" = i64, Path, description = "outcome record id")),
    request_body = super::openapi::OutcomePatch,
    responses((status = 200, body = OutcomeView), (status = 404, body = super::Problem),
              (status = 409, body = super::Problem), (status = 422, body = super::Problem)))]
pub async fn patch_outcome(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<i64>,
    body: web::Bytes,
) -> Result<Json<OutcomeView>, AppError> {
    blocking(move || {
        let mut conn = state.conn()?;
        crate::store::outcomes::find(&mut conn, actor.scope(), id)?;
        let input = patch(&body)?;
        let o = casework::outcomes::change(&mut conn, &ctx(&state, &actor), id, input)?;
        Ok(Json(o.into()))
    })
    .await
}

/// `PATCH /api/v1/group-surveys/{id}`: replaces a survey's counts
/// (`{"counts": {"3": 10, …}, "reason": …}`).
#[utoipa::path(patch, path = "/api/v1/group-surveys/{id}", tag = "corrections",
    params(("id" = i64, Path, description = "group survey id")),
    request_body = super::openapi::SurveyPatch,
    responses((status = 200, body = SurveyView), (status = 404, body = super::Problem),
              (status = 409, body = super::Problem), (status = 422, body = super::Problem)))]
pub async fn patch_survey(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<i64>,
    body: web::Bytes,
) -> Result<Json<SurveyView>, AppError> {
    blocking(move || {
        let mut conn = state.conn()?;
        crate::store::group_surveys::find(&mut conn, actor.scope(), id)?;
        let input = super::json_input(&body, super::records::flatten_counts)?;
        let s = casework::outcomes::change_survey(&mut conn, &ctx(&state, &actor), id, input)?;
        Ok(Json(s.into()))
    })
    .await
}

async fn void(
    state: web::Data<AppState>,
    actor: Actor,
    kind: RecordKind,
    id: String,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id: i64 = path_id(&id)?;
    blocking(move || {
        let mut conn = state.conn()?;
        if visible(&mut conn, &actor, kind, id)?.is_some() {
            return Err(AppError::NotFound);
        }
        let input = super::json_input(&body, |_| Ok(()))?;
        corrections::void(&mut conn, &ctx(&state, &actor), kind, id, input)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn restore(
    state: web::Data<AppState>,
    actor: Actor,
    kind: RecordKind,
    id: String,
    body: web::Bytes,
) -> Result<Json<corrections::VoidSummary>, AppError> {
    let id: i64 = path_id(&id)?;
    blocking(move || {
        let mut conn = state.conn()?;
        visible(&mut conn, &actor, kind, id)?;
        let input = super::json_input(&body, |_| Ok(()))?;
        Ok(Json(corrections::restore(
            &mut conn,
            &ctx(&state, &actor),
            kind,
            id,
            input,
        )?))
    })
    .await
}

async fn history(
    state: web::Data<AppState>,
    actor: Actor,
    kind: RecordKind,
    id: String,
) -> Result<Json<corrections::History>, AppError> {
    let id: i64 = path_id(&id)?;
    blocking(move || {
        let mut conn = state.conn()?;
        let history = corrections::history(&mut conn, &ctx(&state, &actor), kind, id)?;
        // Who looked at whom (docs/data-protection.md, "Access log").
        let viewed = match kind {
            RecordKind::Participant => Some((
                crate::domain::ids::ParticipantId(id),
                crate::domain::enums::AccessPage::ApiParticipantHistory,
            )),
            RecordKind::Referral => crate::store::referrals::participant_of(
                &mut conn,
                crate::domain::ids::ReferralId(id),
            )?
            .map(|p| (p, crate::domain::enums::AccessPage::ApiReferralHistory)),
            _ => None,
        };
        if let Some((participant, page)) = viewed {
            crate::store::access_log::record(&mut conn, &actor, participant, page)?;
        }
        Ok(Json(history))
    })
    .await
}

/// The void, restore and history handlers of one kind of record.
macro_rules! kind_handlers {
    ($kind:expr, $path:literal, $restore_path:literal, $history_path:literal,
     $void:ident, $restore:ident, $history:ident) => {
        /// `DELETE`: voids the record (`{"reason", "confirm"}`), 204.
        #[utoipa::path(delete, path = $path, tag = "corrections",
            params(("id" = i64, Path, description = "record id")),
            request_body = super::openapi::VoidBody,
            responses((status = 204), (status = 404, body = super::Problem),
                      (status = 409, body = super::Problem), (status = 422, body = super::Problem)))]
        pub async fn $void(
            state: web::Data<AppState>,
            actor: Actor,
            id: web::Path<String>,
            body: web::Bytes,
        ) -> Result<HttpResponse, AppError> {
            void(state, actor, $kind, id.into_inner(), body).await
        }

        /// `POST …/restore`: restores a voided record (`{"reason"}`).
        #[utoipa::path(post, path = $restore_path, tag = "corrections",
            params(("id" = i64, Path, description = "record id")),
            request_body = super::openapi::VoidBody,
            responses((status = 200, body = corrections::VoidSummary), (status = 404, body = super::Problem),
                      (status = 409, body = super::Problem), (status = 422, body = super::Problem)))]
        pub async fn $restore(
            state: web::Data<AppState>,
            actor: Actor,
            id: web::Path<String>,
            body: web::Bytes,
        ) -> Result<Json<corrections::VoidSummary>, AppError> {
            restore(state, actor, $kind, id.into_inner(), body).await
        }

        /// `GET …/history`: the record's history, from the audit trail. A participant's or
        /// referral's history read is recorded in the participant's access log.
        #[utoipa::path(get, path = $history_path, tag = "corrections",
            params(("id" = i64, Path, description = "record id")),
            responses((status = 200, body = corrections::History), (status = 404, body = super::Problem)))]
        pub async fn $history(
            state: web::Data<AppState>,
            actor: Actor,
            id: web::Path<String>,
        ) -> Result<Json<corrections::History>, AppError> {
            history(state, actor, $kind, id.into_inner()).await
        }
    };
}

kind_handlers!(
    RecordKind::Participant,
    "/api/v1/participants/{id}",
    "/api/v1/participants/{id}/restore",
    "/api/v1/participants/{id}/history",
    void_participant,
    restore_participant,
    participant_history
);
kind_handlers!(
    RecordKind::Referral,
    "/api/v1/referrals/{id}",
    "/api/v1/referrals/{id}/restore",
    "/api/v1/referrals/{id}/history",
    void_referral,
    restore_referral,
    referral_history
);
kind_handlers!(
    RecordKind::Session,
    "/api/v1/sessions/{id}",
    "/api/v1/sessions/{id}/restore",
    "/api/v1/sessions/{id}/history",
    void_session,
    restore_session,
    session_history
);
kind_handlers!(
    RecordKind::OutcomeRecord,
    "/api/v1/outcomes/{id}",
    "/api/v1/outcomes/{id}/restore",
    "/api/v1/outcomes/{id}/history",
    void_outcome,
    restore_outcome,
    outcome_history
);
kind_handlers!(
    RecordKind::GroupSurvey,
    "/api/v1/group-surveys/{id}",
    "/api/v1/group-surveys/{id}/restore",
    "/api/v1/group-surveys/{id}/history",
    void_survey,
    restore_survey,
    survey_history
);
