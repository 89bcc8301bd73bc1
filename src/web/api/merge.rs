//! Merging two participants through the API (docs/api.md, "Merging participants"):
//! `POST /api/v1/participants/{id}/merge` with `{"into", "reason"}`. Undoing a merge is
//! the participant's `POST …/restore` (`casework::merge::unmerge`).

use actix_web::web::{self, Json};

use super::{ctx, json_input};
use crate::casework::merge::{self, MergeSummary};
use crate::domain::access::Actor;
use crate::domain::ids::ParticipantId;
use crate::web::errors::{blocking, AppError};
use crate::web::shared::PathId;
use crate::web::AppState;

/// `POST /api/v1/participants/{id}/merge`: merges participant `id` into participant
/// `into` of the same organisation (the same person): its referrals move to `into`, which
/// takes its person key if it has none; `id` is kept, marked `merged_into`, and left out
/// of every list, export and figure. Undo it with `POST /api/v1/participants/{id}/restore`.
#[utoipa::path(post, path = "/api/v1/participants/{id}/merge", tag = "corrections",
    params(("id" = i64, Path, description = "the participant merged into another")),
    request_body = super::openapi::MergeBody,
    responses((status = 200, body = MergeSummary), (status = 404, body = super::Problem),
              (status = 409, body = super::Problem), (status = 422, body = super::Problem)))]
pub async fn merge_participant(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<ParticipantId>,
    body: web::Bytes,
) -> Result<Json<MergeSummary>, AppError> {
    blocking(move || {
        let mut conn = state.conn()?;
        // Another organisation's record is 404 before the body is read.
        crate::store::participants::find(&mut conn, actor.scope(), id)?;
        let input = json_input(&body, |_| Ok(()))?;
        Ok(Json(merge::merge(
            &mut conn,
            &ctx(&state, &actor),
            id,
            input,
        )?))
    })
    .await
}
