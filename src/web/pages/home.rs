//! The home page.

use super::{render, viewer_context, NoView};
use crate::web::errors::PageError;
use crate::web::security::CspNonce;
use crate::web::session::Viewer;
use actix_web::HttpResponse;

/// The start page; provider staff get their casework home instead.
pub async fn home(
    state: actix_web::web::Data<crate::web::AppState>,
    nonce: CspNonce,
    viewer: Viewer,
) -> Result<HttpResponse, PageError> {
    if let Some(actor) = viewer.actor.clone() {
        if matches!(actor.scope(), crate::domain::access::Scope::Organisation(_)) {
            let page = super::Page {
                state,
                nonce,
                viewer,
                actor,
            };
            return super::casework::home(page).await;
        }
    }
    render(
        "pages/home",
        &viewer_context("Outcomes", &nonce, &viewer, "/", &NoView {}),
    )
}
