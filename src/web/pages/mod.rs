//! HTML pages (GOV.UK Frontend markup through handlebars templates).

use actix_web::HttpResponse;
use serde::Serialize;
use serde_json::Value;

use super::errors::{AppError, PageError};
use super::security::CspNonce;
use super::session::Viewer;
use super::templates;
use crate::domain::enums::Role;

pub mod account;
pub mod admin;
pub mod audit;
pub mod casework;
pub mod corrections;
pub mod dashboard;
pub mod erasure;
pub mod figures;
pub mod files;
pub mod find;
pub mod forms;
pub mod home;
pub mod login;
pub mod merge;
pub mod privacy;
pub mod reports;
pub mod returns;
pub mod setup;
pub mod uploads;

/// A link in the service navigation.
#[derive(Debug, Serialize)]
pub struct NavItem {
    pub href: &'static str,
    pub text: &'static str,
    pub active: bool,
}

/// The signed-in user named in the header.
#[derive(Debug, Serialize)]
pub struct HeaderUser<'a> {
    pub display_name: &'a str,
    pub role_label: &'static str,
    pub organisation_name: &'a str,
}

/// What every page's template reads besides the page's own view: the layout's fields,
/// and for a signed-in viewer the header, the sign-out form's CSRF token, the navigation
/// and a flash message. The page's view is flattened in beside them; a page's field of
/// the same name wins.
#[derive(Debug, Serialize)]
struct Layout<'a, T: Serialize> {
    title: &'a str,
    service_name: &'static str,
    csp_nonce: &'a str,
    phase: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<HeaderUser<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    csrf_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    flash: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nav: Option<Vec<NavItem>>,
    #[serde(flatten)]
    page: &'a T,
}

/// A page with no view of its own.
#[derive(Debug, Default, Serialize)]
pub struct NoView {}

/// The navigation of a role.
fn nav_items(role: Role) -> &'static [(&'static str, &'static str)] {
    match role {
        Role::Admin => &[
            ("/", "Home"),
            ("/admin/users", "Users"),
            ("/admin/audit", "Audit trail"),
            ("/admin/report-archive", "Report archive"),
            ("/dashboard", "Dashboard"),
            ("/reports", "Reports"),
            ("/programmes", "Programmes"),
            ("/setup", "Set-up"),
            ("/uploads", "Uploads"),
        ],
        Role::Caseworker => &[
            ("/", "Home"),
            ("/participants", "Participants"),
            ("/referrals", "Referrals"),
            ("/programmes", "Programmes"),
            ("/uploads", "Uploads"),
        ],
        Role::ProviderManager => &[
            ("/", "Home"),
            ("/participants", "Participants"),
            ("/referrals", "Referrals"),
            ("/programmes", "Programmes"),
            ("/reports", "Reports"),
            ("/uploads", "Uploads"),
        ],
        Role::Commissioner => &[
            ("/", "Home"),
            ("/dashboard", "Dashboard"),
            ("/reports", "Reports"),
            ("/programmes", "Programmes"),
            ("/setup", "Set-up"),
            ("/uploads", "Uploads"),
        ],
        Role::Analyst => &[
            ("/", "Home"),
            ("/dashboard", "Dashboard"),
            ("/reports", "Reports"),
            ("/programmes", "Programmes"),
            ("/uploads", "Uploads"),
        ],
    }
}

/// The context of a page nobody is signed in to (sign-in, errors).
pub fn page_context<T: Serialize>(title: &str, nonce: &CspNonce, page: &T) -> Value {
    context(title, nonce, None, "", page)
}

/// The context of a page: the layout, the signed-in user's header and navigation (with
/// `active` marked), and the page's own view.
pub fn viewer_context<T: Serialize>(
    title: &str,
    nonce: &CspNonce,
    viewer: &Viewer,
    active: &str,
    page: &T,
) -> Value {
    context(title, nonce, Some(viewer), active, page)
}

fn context<T: Serialize>(
    title: &str,
    nonce: &CspNonce,
    viewer: Option<&Viewer>,
    active: &str,
    page: &T,
) -> Value {
    let actor = viewer.and_then(|v| v.actor.as_ref());
    let layout = Layout {
        title,
        service_name: templates::SERVICE_NAME,
        csp_nonce: &nonce.0,
        phase: "Beta",
        user: actor.map(|a| HeaderUser {
            display_name: &a.display_name,
            role_label: a.role.label(),
            organisation_name: &a.organisation_name,
        }),
        csrf_token: actor.and(viewer).and_then(|v| v.csrf_token.as_deref()),
        flash: actor.and(viewer).and_then(|v| v.flash.as_deref()),
        nav: actor.map(|a| {
            nav_items(a.role)
                .iter()
                .map(|&(href, text)| NavItem {
                    href,
                    text,
                    active: href == active,
                })
                .collect()
        }),
        page,
    };
    serde_json::to_value(layout).unwrap_or(Value::Null)
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
#[derive(Debug, Clone, Serialize)]
pub struct FormError {
    pub href: String,
    pub text: String,
    pub field: String,
}

/// The error summary entry for `field`.
pub fn form_error(field: &str, text: &str) -> FormError {
    FormError {
        href: format!("#{field}"),
        text: text.to_string(),
        field: field.to_string(),
    }
}

/// Where a GET of a POST-only page URL goes instead of an empty 405: the page the form
/// that posts there is on (a bookmark, a reload after a failed POST, a link shared by
/// mistake). A register's URL shows its session page instead (`casework::session`, which
/// looks the session up in the reader's scope).
const POST_ONLY_PAGES: &[(&str, &str)] = &[
    ("/logout", "/"),
    ("/account/sessions/end", "/account"),
    ("/account/tokens/revoke", "/account"),
    ("/admin/users/{id}/reactivate", "/admin/users"),
    ("/admin/users/{id}/unlock", "/admin/users"),
    ("/uploads/confirm", "/uploads"),
    ("/uploads/offences/restore", "/uploads"),
];

/// `GET` of a POST-only page URL: 303 to the page its form is on.
pub async fn post_only(req: actix_web::HttpRequest) -> HttpResponse {
    let pattern = req.match_pattern().unwrap_or_default();
    let to = POST_ONLY_PAGES
        .iter()
        .find(|(from, _)| *from == pattern)
        .map_or("/", |(_, to)| to);
    let id = req.match_info().get("id").unwrap_or_default();
    // The id is digits (the route matched it), or the page would 404 anyway.
    let id: String = id.chars().filter(char::is_ascii_digit).collect();
    super::session::see_other(&to.replace("{id}", &id))
}

/// The options of a closed vocabulary for a select or radios field: (word, label).
pub fn vocabulary_options<T: crate::domain::enums::Vocabulary>() -> Vec<(String, String)> {
    T::all()
        .iter()
        .map(|v| (v.word().to_string(), v.label()))
        .collect()
}

/// An option of a select, radios or checkboxes list.
#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    pub value: String,
    pub text: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: impl ToString, text: impl ToString, selected: bool) -> Self {
        Choice {
            value: value.to_string(),
            text: text.to_string(),
            selected,
        }
    }
}

/// What a signed-in page's handler takes, in one extractor: the application state, the
/// page's CSP nonce, who is looking (for the header and the flash) and the signed-in
/// actor. Handlers destructure it: `Page { state, nonce, viewer, actor }: Page`.
pub struct Page {
    pub state: actix_web::web::Data<super::AppState>,
    pub nonce: CspNonce,
    pub viewer: Viewer,
    pub actor: crate::domain::access::Actor,
}

impl Page {
    /// Every part is extracted at once (each is read from the request's extensions).
    fn extract_now(
        req: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Result<Page, actix_web::Error> {
        use actix_web::FromRequest as _;
        Ok(Page {
            state: actix_web::web::Data::<super::AppState>::from_request(req, payload)
                .into_inner()?,
            nonce: CspNonce::from_request(req, payload).into_inner()?,
            viewer: Viewer::from_request(req, payload).into_inner()?,
            actor: crate::domain::access::Actor::from_request(req, payload).into_inner()?,
        })
    }
}

impl actix_web::FromRequest for Page {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(
        req: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        std::future::ready(Page::extract_now(req, payload))
    }
}
