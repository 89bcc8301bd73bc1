//! HTML pages (GOV.UK Frontend markup through handlebars templates).

use actix_web::HttpResponse;
use serde_json::{json, Value};

use super::auth::Viewer;
use super::errors::{AppError, PageError};
use super::security::CspNonce;
use super::templates;
use crate::domain::enums::Role;

pub mod account;
pub mod admin;
pub mod audit;
pub mod casework;
pub mod corrections;
pub mod dashboard;
pub mod files;
pub mod forms;
pub mod home;
pub mod login;
pub mod merge;
pub mod reports;
pub mod returns;
pub mod setup;
pub mod uploads;

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

/// `page_context` plus the signed-in user for the header, the sign-out form's CSRF token,
/// the navigation for their role and a flash message, when there is a viewer.
pub fn viewer_context(
    title: &str,
    nonce: &CspNonce,
    viewer: &Viewer,
    active: &str,
    mut page: Value,
) -> Value {
    if let (Some(actor), Value::Object(p)) = (&viewer.actor, &mut page) {
        p.insert(
            "user".into(),
            json!({
                "display_name": actor.display_name,
                "role_label": actor.role.label(),
                "organisation_name": actor.organisation_name,
            }),
        );
        if let Some(csrf) = &viewer.csrf_token {
            p.insert("csrf_token".into(), json!(csrf));
        }
        if let Some(flash) = &viewer.flash {
            p.insert("flash".into(), json!(flash));
        }
        let items: &[(&str, &str)] = match actor.role {
            Role::Admin => &[
                ("/admin/users", "Users"),
                ("/admin/audit", "Audit trail"),
                ("/dashboard", "Dashboard"),
                ("/reports", "Reports"),
                ("/programmes", "Programmes"),
                ("/setup", "Set-up"),
                ("/uploads", "Uploads"),
            ],
            Role::Caseworker => &[
                ("/", "Home"),
                ("/participants", "Participants"),
                ("/programmes", "Programmes"),
                ("/uploads", "Uploads"),
            ],
            Role::ProviderManager => &[
                ("/", "Home"),
                ("/participants", "Participants"),
                ("/programmes", "Programmes"),
                ("/reports", "Reports"),
                ("/uploads", "Uploads"),
            ],
            Role::Commissioner => &[
                ("/dashboard", "Dashboard"),
                ("/reports", "Reports"),
                ("/programmes", "Programmes"),
                ("/setup", "Set-up"),
                ("/uploads", "Uploads"),
            ],
            Role::Analyst => &[
                ("/dashboard", "Dashboard"),
                ("/reports", "Reports"),
                ("/programmes", "Programmes"),
                ("/uploads", "Uploads"),
            ],
        };
        {
            let nav: Vec<Value> = items
                .iter()
                .map(|(href, text)| json!({"href": href, "text": text, "active": *href == active}))
                .collect();
            p.insert("nav".into(), json!(nav));
        }
    }
    page_context(title, nonce, page)
}

/// Renders a page template to a 200 response.
pub fn render(template: &str, context: &Value) -> Result<HttpResponse, PageError> {
    render_status(actix_web::http::StatusCode::OK, template, context)
}

/// Renders a page template with a status (e.g. 422 for a form with errors).
pub fn render_status(
    status: actix_web::http::StatusCode,
    template: &str,
    context: &Value,
) -> Result<HttpResponse, PageError> {
    let body = templates::render(template, context)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("rendering {template}: {e}")))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// A GOV.UK error summary entry and the matching message beside the field.
pub fn form_error(field: &str, text: &str) -> Value {
    json!({"href": format!("#{field}"), "text": text, "field": field})
}
