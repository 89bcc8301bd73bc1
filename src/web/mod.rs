//! The web layer: actix-web routes for pages and the JSON API. Handlers parse, authorise,
//! call the store or the reports, and render — nothing else.

pub mod api;
pub mod assets;
pub mod auth;
pub mod errors;
pub mod health;
pub mod pages;
pub mod report_query;
pub mod routes;
pub mod security;
pub mod session;
pub mod shared;
pub mod uploads;
/// The templates live at the crate root (the reports render with them too); `web::templates`
/// names the same module for the pages.
pub use crate::templates;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::db::{Backend, Pool};
use crate::secrets::Secrets;
use errors::{AppError, PageError};

/// What every handler may use. Holds no per-user state: sessions live in the database,
/// so several instances can serve the same users.
pub struct AppState {
    pub pool: Pool,
    pub backend: Backend,
    /// Where reports are read: the read replica (`REPORTING_DATABASE_URL`) while it is
    /// fit, the pool above otherwise.
    pub reporting: crate::db::reporting::Reporting,
    pub secrets: Secrets,
    /// TLS is terminated for us: Secure cookies and HSTS.
    pub hsts: bool,
    /// Peers whose X-Forwarded-For is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Cost-of-crime tables, read once at start-up.
    pub costs: crate::evaluation::cost::CostTables,
    /// Published reports show counts 1 to threshold − 1 as "<threshold".
    pub disclosure_threshold: u64,
    /// `--minimum-cohort`: police-derived figures come from units at least this large.
    pub minimum_cohort: u64,
    /// Who must sign in with a second factor.
    pub require_2fa: crate::domain::two_factor::Policy,
    /// Today's date (the system's, or a test's clock file).
    pub clock: crate::clock::Clock,
    /// Reports already computed, by request and data versions (`reports::cache`).
    pub report_cache: crate::reports::cache::ReportCache,
    /// Audit events of report and dashboard views, committed in batches
    /// (`store::audit::GroupCommit`).
    pub audit: crate::store::audit::GroupCommit,
}

impl AppState {
    /// Today's date for casework rules and default periods.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    /// A pooled connection, or 503 when the database does not answer.
    pub fn conn(&self) -> Result<crate::db::PooledConn, AppError> {
        self.pool
            .get()
            .map_err(|e| AppError::Unavailable(anyhow::anyhow!("database pool: {e}")))
    }
}

/// The routes of the whole application: every one comes from the registry in
/// `routes::all()`, with its access rule.
pub fn routes(cfg: &mut web::ServiceConfig) {
    routes::configure(cfg);
    // A query string, form or path segment that cannot be read at all is a 400 in the
    // service's own error format (problem JSON under /api, a page elsewhere), never
    // actix's plain-text body. The message names no value: values can be personal data.
    cfg.app_data(
        web::QueryConfig::default()
            .error_handler(|_, req| unreadable(req, "A query parameter's value cannot be read")),
    )
    .app_data(
        web::FormConfig::default()
            .limit(auth::MAX_FORM_BYTES)
            .error_handler(|_, req| unreadable(req, "The form cannot be read")),
    )
    .app_data(
        web::PathConfig::default()
            .error_handler(|_, req| unreadable(req, "The address cannot be read")),
    );
}

fn unreadable(req: &HttpRequest, message: &str) -> actix_web::Error {
    let error = AppError::BadRequest(message.to_string());
    if req.path().starts_with("/api/") {
        error.into()
    } else {
        PageError(error).into()
    }
}

/// Unknown paths: problem JSON under `/api`, a GOV.UK page elsewhere.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    use actix_web::ResponseError;
    if req.path().starts_with("/api/") {
        AppError::NotFound.error_response()
    } else {
        PageError(AppError::NotFound).error_response()
    }
}

/// Logs each request by its route pattern (never the concrete path or query, which could
/// carry references), with status and duration.
pub async fn request_log(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let res = next.call(req).await?;
    // Read after routing, from the resource the router chose: before it, each call would
    // match the path against every route again (a tenth of a cached report's CPU).
    let pattern = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "(unmatched)".into());
    tracing::info!(
        %method,
        route = %pattern,
        status = res.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    Ok(res)
}
