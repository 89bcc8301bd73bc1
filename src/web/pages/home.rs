//! The home page.

use actix_web::HttpResponse;
use serde_json::json;

use super::{page_context, render};
use crate::web::errors::PageError;
use crate::web::security::CspNonce;

pub async fn home(nonce: CspNonce) -> Result<HttpResponse, PageError> {
    render("pages/home", &page_context("Outcomes", &nonce, json!({})))
}
