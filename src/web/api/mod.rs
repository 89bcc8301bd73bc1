//! The JSON API under `/api/v1`. Clients authenticate with `Authorization: Bearer` or a
//! browser session; errors are RFC 9457 problem details (`AppError`). Records of another
//! organisation answer 404, exactly like records that do not exist.

pub mod reports;

use actix_web::web::{self, Json};
use serde::{Deserialize, Serialize};

use super::errors::{blocking, AppError};
use super::AppState;
use crate::domain::access::{Actor, Scope};
use crate::domain::enums::{OrganisationKind, Role};
use crate::domain::ids::{OrganisationId, ParticipantId, UserId};
use crate::store;
use crate::store::organisations::Organisation;
use crate::store::participants::Participant;

/// A participant as the API shows it: never the person key, only whether there is one.
#[derive(Debug, Serialize)]
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

#[derive(Serialize)]
pub struct Me {
    pub user_id: UserId,
    pub display_name: String,
    pub role: Role,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub organisation_kind: OrganisationKind,
}

/// `GET /api/v1/me`: who the credential acts as.
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

#[derive(Serialize)]
pub struct List<T> {
    pub count: i64,
    pub items: Vec<T>,
}

/// `GET /api/v1/organisations`: all for commissioners, analysts and admins; a provider's
/// staff see their own.
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

#[derive(Deserialize)]
pub struct Page {
    #[serde(default = "default_limit")]
    pub limit: i64,
    #[serde(default)]
    pub offset: i64,
}

fn default_limit() -> i64 {
    100
}

/// `GET /api/v1/participants?limit=&offset=`: the scope's participants and their count.
pub async fn participants(
    state: web::Data<AppState>,
    actor: Actor,
    page: web::Query<Page>,
) -> Result<Json<List<ParticipantView>>, AppError> {
    let scope: Scope = actor.scope();
    let (limit, offset) = (page.limit.clamp(1, 1000), page.offset.max(0));
    blocking(move || {
        let mut conn = state.conn()?;
        Ok(Json(List {
            count: store::participants::count(&mut conn, scope)?,
            items: store::participants::list(&mut conn, scope, limit, offset)?
                .into_iter()
                .map(ParticipantView::from)
                .collect(),
        }))
    })
    .await
}

/// `GET /api/v1/participants/{id}`.
pub async fn participant(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<Json<ParticipantView>, AppError> {
    // An id that is not a number is a record that does not exist.
    let id: ParticipantId = id.parse().map_err(|_| AppError::NotFound)?;
    let scope = actor.scope();
    blocking(move || {
        Ok(Json(
            store::participants::find(&mut *state.conn()?, scope, id)?.into(),
        ))
    })
    .await
}
