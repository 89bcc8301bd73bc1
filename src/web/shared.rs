//! What the pages and the API share, so that neither depends on the other: reading an id
//! from a path, and the casework context of a request.

use crate::domain::access::Actor;
use crate::web::errors::AppError;
use crate::web::AppState;

/// A path id: one that is not a number names no record (404).
pub fn path_id<T: std::str::FromStr>(raw: &str) -> Result<T, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

/// The casework context of a request: the actor, today's date and the person-key secret.
pub fn ctx<'a>(state: &'a AppState, actor: &'a Actor) -> crate::casework::Ctx<'a> {
    crate::casework::Ctx {
        actor,
        today: chrono::Utc::now().date_naive(),
        secret: &state.secrets.person_key,
        via: "api",
    }
}

/// The casework context of a page's request (as `ctx`, marked as made on a page).
pub fn page_ctx<'a>(state: &'a AppState, actor: &'a Actor) -> crate::casework::Ctx<'a> {
    crate::casework::Ctx {
        via: "page",
        ..ctx(state, actor)
    }
}
