//! Security headers on every response, and the per-request CSP nonce that lets the one
//! GOV.UK inline script run while every other inline script is refused.

use std::future::{ready, Ready};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest};
use rand::RngCore;

/// The nonce of this response's Content-Security-Policy.
#[derive(Debug, Clone)]
pub struct CspNonce(pub String);

impl FromRequest for CspNonce {
    type Error = Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let nonce = req
            .extensions()
            .get::<CspNonce>()
            .cloned()
            .unwrap_or_else(|| CspNonce(String::new()));
        ready(Ok(nonce))
    }
}

fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Middleware: sets the nonce for the handler and the headers on the way out.
pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let nonce = new_nonce();
    let hsts = req
        .app_data::<actix_web::web::Data<super::AppState>>()
        .map(|s| s.hsts)
        .unwrap_or(false);
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let api = req.path() == "/api" || req.path().starts_with("/api/");
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    // Every API answer, refusals included, is never stored (finding L3); signed-in pages
    // get the same from `auth::authenticate`.
    if api {
        h.insert(
            actix_web::http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        );
    }
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    );
    let set = |h: &mut actix_web::http::header::HeaderMap, name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(HeaderName::from_static(name), v);
        }
    };
    // Swagger UI supplies its own inline scripts; it is read-only documentation.
    if !h.contains_key("content-security-policy") {
        set(h, "content-security-policy", &csp);
    }
    set(h, "x-content-type-options", "nosniff");
    // `same-origin`, not `no-referrer`: under `no-referrer` browsers send `Origin: null`
    // on the service's own form posts, which the CSRF check must refuse (docs/security.md).
    // Other sites still get no referrer at all.
    set(h, "referrer-policy", "same-origin");
    set(h, "x-frame-options", "DENY");
    set(h, "cross-origin-opener-policy", "same-origin");
    set(
        h,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=()",
    );
    if hsts {
        set(
            h,
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        );
    }
    Ok(res)
}
