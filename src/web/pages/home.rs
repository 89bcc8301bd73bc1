//! The home page.

use actix_web::HttpResponse;
use serde_json::json;

use super::{render, viewer_context};
use crate::web::auth::Viewer;
use crate::web::errors::PageError;
use crate::web::security::CspNonce;

pub async fn home(nonce: CspNonce, viewer: Viewer) -> Result<HttpResponse, PageError> {
    render(
        "pages/home",
        &viewer_context("Outcomes", &nonce, &viewer, "/", json!({})),
    )
}
