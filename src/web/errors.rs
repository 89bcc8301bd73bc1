//! The one application error type, rendered once as RFC 9457 problem details for `/api`
//! and once as a GOV.UK error page for pages.
//!
//! Handlers return `AppError` (JSON) or `PageError` (HTML); both come from the same
//! variants, so a validation failure means the same thing whichever way it is shown.
//! Unexpected failures are logged with their context and shown as a generic 500 — the
//! message never reaches the client, because it might hold personal data.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use super::templates;

pub use crate::domain::validation::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("the request is not valid")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    BadRequest(String),
    #[error("not found")]
    NotFound,
    #[error("sign in to continue")]
    Unauthorized,
    #[error("you do not have permission to do this")]
    Forbidden,
    #[error("{0}")]
    Conflict(String),
    /// The change touches records dated in a quarter whose return is approved.
    #[error("{}", .0.message)]
    Locked(FieldError),
    /// Too many attempts: try again after this many seconds (`Retry-After`).
    #[error("too many attempts; try again later")]
    TooManyRequests(i64),
    /// The request body is larger than the route accepts; the message names the limit.
    #[error("{0}")]
    TooLarge(String),
    #[error("the service is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("unexpected error")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    fn title(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "Your request has errors",
            AppError::BadRequest(_) => "Bad request",
            AppError::NotFound => "Page not found",
            AppError::Unauthorized => "Sign in required",
            AppError::Forbidden => "You do not have permission",
            AppError::Conflict(_) => "Conflict",
            AppError::Locked(_) => "The quarter is locked",
            AppError::TooManyRequests(_) => "Too many attempts",
            AppError::TooLarge(_) => "The request is too large",
            AppError::Unavailable(_) => "Sorry, the service is unavailable",
            AppError::Internal(_) => "Sorry, there is a problem with the service",
        }
    }

    fn detail(&self) -> String {
        match self {
            AppError::Validation(errors) if errors.len() == 1 => errors[0].message.clone(),
            AppError::Validation(errors) => format!("{} fields have errors", errors.len()),
            AppError::NotFound => "If you typed the web address, check it is correct.".into(),
            AppError::Internal(_) => "Try again later.".into(),
            AppError::Unavailable(_) => "Try again later.".into(),
            other => other.to_string(),
        }
    }

    fn field_errors(&self) -> &[FieldError] {
        match self {
            AppError::Validation(errors) => errors,
            AppError::Locked(error) => std::slice::from_ref(error),
            _ => &[],
        }
    }

    fn log(&self) {
        match self {
            AppError::Internal(e) => tracing::error!(error = %format!("{e:#}"), "internal error"),
            AppError::Unavailable(e) => tracing::warn!(error = %format!("{e:#}"), "unavailable"),
            _ => {}
        }
    }
}

impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Duplicate(what) => AppError::Conflict(format!("{what} already exists")),
            StoreError::Database(e) => AppError::Internal(anyhow::Error::new(e)),
            StoreError::Refused(message) => AppError::BadRequest(message),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        crate::store::StoreError::from_query(e).into()
    }
}

impl From<crate::casework::CaseError> for AppError {
    fn from(e: crate::casework::CaseError) -> Self {
        use crate::casework::CaseError;
        match e {
            CaseError::Invalid(errors) => AppError::Validation(errors),
            CaseError::NotFound => AppError::NotFound,
            CaseError::PossibleDuplicate(existing) => AppError::Conflict(format!(
                "a participant with this police identifier is already registered: {}; \
                 use that record, or send allow_duplicate=true to register another",
                existing
                    .iter()
                    .map(|p| format!("id {} (reference {})", p.id, p.fields.reference))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            CaseError::Locked(error) => AppError::Locked(error),
            CaseError::Store(e) => e.into(),
        }
    }
}

/// RFC 9457 problem details with our `errors` extension.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::Conflict(_) | AppError::Locked(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        let status = self.status_code();
        let problem = Problem {
            kind: "about:blank".into(),
            title: self.title().into(),
            status: status.as_u16(),
            detail: self.detail(),
            errors: self.field_errors().to_vec(),
        };
        let mut response = HttpResponse::build(status);
        response.content_type("application/problem+json");
        if matches!(self, AppError::Unauthorized) {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let AppError::TooManyRequests(seconds) = self {
            response.insert_header((header::RETRY_AFTER, seconds.max(&1).to_string()));
        }
        response.json(problem)
    }
}

/// The same error, shown as a GOV.UK error page.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct PageError(#[from] pub AppError);

impl From<anyhow::Error> for PageError {
    fn from(e: anyhow::Error) -> Self {
        PageError(AppError::Internal(e))
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.0.log();
        if matches!(self.0, AppError::Unauthorized) {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/login"))
                .finish();
        }
        let status = self.status_code();
        let context = serde_json::json!({
            "title": self.0.title(),
            "service_name": templates::SERVICE_NAME,
            "csp_nonce": "",
            "status": status.as_u16(),
            "heading": self.0.title(),
            "detail": self.0.detail(),
            "field_errors": self.0.field_errors(),
        });
        let body = templates::render("pages/error", &context).unwrap_or_else(|e| {
            tracing::error!(error = %e, "rendering the error page failed");
            format!("<h1>{}</h1>", status.as_u16())
        });
        let mut response = HttpResponse::build(status);
        if let AppError::TooManyRequests(seconds) = self.0 {
            response.insert_header((header::RETRY_AFTER, seconds.max(1).to_string()));
        }
        response.content_type("text/html; charset=utf-8").body(body)
    }
}

/// `Retry-After` of a 429 from one client address: the sign-in throttling window, after
/// which the failures that caused it no longer count (finding L6). An account's own
/// slow-down gives its own wait (`pages::login`).
pub const RETRY_AFTER_SECONDS: i64 = crate::store::login_attempts::WINDOW_MINUTES * 60;

/// Runs blocking database work on the thread pool, mapping both failure layers.
pub async fn blocking<T, F>(f: F) -> Result<T, AppError>
where
    F: FnOnce() -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    actix_web::web::block(f)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking task failed: {e}")))?
}
