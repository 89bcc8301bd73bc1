//! HTML pages (GOV.UK Frontend markup through handlebars templates).

use actix_web::HttpResponse;
use serde_json::{json, Value};

use super::errors::{AppError, PageError};
use super::security::CspNonce;
use super::templates;

pub mod home;

/// The context every page gets, merged with the page's own.
pub fn page_context(title: &str, nonce: &CspNonce, mut page: Value) -> Value {
    let base = json!({
        "title": title,
        "service_name": templates::SERVICE_NAME,
        "csp_nonce": nonce.0,
        "phase": "Beta",
    });
    if let (Value::Object(p), Value::Object(b)) = (&mut page, base) {
        for (k, v) in b {
            p.entry(k).or_insert(v);
        }
    }
    page
}

/// Renders a page template to a 200 response.
pub fn render(template: &str, context: &Value) -> Result<HttpResponse, PageError> {
    let body = templates::render(template, context)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("rendering {template}: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}
