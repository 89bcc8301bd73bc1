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
        today: state.today(),
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

/// The record id of a path's `{id}`, typed: a value that does not parse as `T` names no
/// record (404, as a GOV.UK page on pages and problem JSON under `/api/`).
#[derive(Debug, Clone, Copy)]
pub struct PathId<T>(pub T);

impl<T: std::str::FromStr + 'static> actix_web::FromRequest for PathId<T> {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let id = req.match_info().get("id").and_then(|raw| raw.parse().ok());
        std::future::ready(match id {
            Some(id) => Ok(PathId(id)),
            None if req.path().starts_with("/api/") => Err(AppError::NotFound.into()),
            None => Err(crate::web::errors::PageError(AppError::NotFound).into()),
        })
    }
}
