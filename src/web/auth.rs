//! Authentication and the access gate, in one middleware that runs before every handler:
//!
//! 1. finds the route's access rule in the registry (`routes::rule_for`) — a matched route
//!    without a rule is refused, so nothing is reachable by accident;
//! 2. resolves the credential: a bearer token on `/api`, otherwise the session cookie;
//! 3. applies the rule: signed out → `/login` (pages) or 401 problem JSON (API); wrong
//!    role → 403;
//! 4. checks the CSRF token on every unsafe method of a cookie-authenticated (or
//!    signed-out) request — bearer requests carry no ambient credential and are exempt;
//! 5. leaves the `Credential` in the request for the `Actor` and `Viewer` extractors.
//!
//! Records of another organisation are not refused here but by the store's `Scope`
//! (404, as if they did not exist).

use std::net::IpAddr;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, ResponseError};

use super::errors::{AppError, PageError};
use super::session::{
    see_other, Credential, CSRF_FIELD, CSRF_HEADER, PRE_SESSION_CSRF_COOKIE, SESSION_COOKIE,
};
use super::AppState;
use crate::domain::access::{Access, Verdict};
use crate::domain::credentials::constant_time_eq;
use crate::store::{login_sessions, tokens};

/// Form bodies (sign-in and every page form) larger than this are refused: by
/// `Content-Length` before any of the body is read, and by counting while reading a
/// body sent without one (finding M1).
pub const MAX_FORM_BYTES: usize = 64 * 1024;
/// JSON API bodies larger than this are refused (the app-wide `PayloadConfig`); only the
/// import routes accept up to `pages::files::MAX_UPLOAD_BYTES`, and only after the
/// credential and role were checked here.
pub const MAX_JSON_BYTES: usize = 1024 * 1024;

fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

fn bearer(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// The answer to a refused request, as a page or as problem JSON.
fn refuse(req: ServiceRequest, api: bool, error: AppError) -> ServiceResponse<BoxBody> {
    let res = if api {
        error.error_response()
    } else {
        PageError(error).error_response()
    };
    req.into_response(res)
}

/// What a request's credential turned out to be.
enum Lookup {
    Found(Credential),
    /// No live session for the cookie: treated as signed out.
    SignedOut,
    /// A bearer token that is unknown, revoked or expired: refused.
    BadToken,
}

/// The middleware; see the module documentation.
pub async fn authenticate(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let api = is_api(req.path());
    let Some(pattern) = req.match_pattern() else {
        // No route: the default service answers 404.
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let rule = match super::routes::rule_for(req.method(), &pattern) {
        super::routes::RuleLookup::Found(rule) => rule,
        // The path has routes, just not for this method: actix answers 405.
        super::routes::RuleLookup::OtherMethods => {
            return Ok(next.call(req).await?.map_into_boxed_body())
        }
        super::routes::RuleLookup::Unregistered => {
            tracing::error!(route = %pattern, "a route without an access rule was refused");
            return Ok(refuse(req, api, AppError::Forbidden));
        }
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(AppError::Internal(anyhow::anyhow!("no application state")).into());
    };

    let token = if api { bearer(&req) } else { None };
    let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
    let credential = if token.is_some() || cookie.is_some() {
        let state = state.clone();
        let lookup = web::block(move || -> Result<Lookup, AppError> {
            let mut conn = state.conn()?;
            if let Some(token) = token {
                return Ok(match tokens::find_actor(&mut conn, &token)? {
                    Some((id, actor)) => Lookup::Found(Credential::Token { id, actor }),
                    // A bearer token that does not work is an error, not "signed out".
                    None => Lookup::BadToken,
                });
            }
            let cookie = cookie.unwrap_or_default();
            Ok(match login_sessions::find_live(&mut conn, &cookie)? {
                Some(session) => Lookup::Found(Credential::Session(session)),
                None => Lookup::SignedOut,
            })
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking task failed: {e}")));
        match lookup.and_then(|r| r) {
            Ok(Lookup::Found(c)) => Some(c),
            Ok(Lookup::SignedOut) => None,
            Ok(Lookup::BadToken) => return Ok(refuse(req, api, AppError::Unauthorized)),
            Err(e) => return Ok(refuse(req, api, e)),
        }
    } else {
        None
    };

    // A session whose sign-in is not finished reaches only the pages of its next step
    // (and sign-out); elsewhere it is signed out, and a page that needs a signed-in user
    // sends it on to that step.
    let mut credential = credential;
    if let Some(Credential::Session(s)) = &credential {
        if s.stage != login_sessions::Stage::Complete && rule != Access::SignInStep {
            if rule == Access::Public {
                credential = None;
            } else if api {
                return Ok(refuse(req, api, AppError::Unauthorized));
            } else {
                let page = s.stage.page();
                return Ok(req.into_response(see_other(page)));
            }
        }
    }

    match rule.decide(credential.as_ref().map(|c| c.actor().role)) {
        Verdict::Allow => {}
        Verdict::SignIn => return Ok(refuse(req, api, AppError::Unauthorized)),
        Verdict::Deny => return Ok(refuse(req, api, AppError::Forbidden)),
    }

    if is_unsafe(req.method()) && !matches!(credential, Some(Credential::Token { .. })) {
        let pre_session = req
            .cookie(PRE_SESSION_CSRF_COOKIE)
            .map(|c| c.value().to_string());
        // The sign-in form carries the pre-session token even when the browser still
        // holds a live session cookie (it arrived from another site, where the
        // SameSite=Strict cookie was not sent, and was shown the sign-in form).
        let expected: Vec<String> = match &credential {
            Some(Credential::Session(s)) if pattern == "/login" => {
                [Some(s.csrf_token.clone()), pre_session]
                    .into_iter()
                    .flatten()
                    .collect()
            }
            Some(Credential::Session(s)) => vec![s.csrf_token.clone()],
            _ => pre_session.into_iter().collect(),
        };
        let expected: Vec<String> = expected.into_iter().filter(|e| !e.is_empty()).collect();
        let ok = if !expected.is_empty() && same_origin(&req, &state.trusted_proxies) {
            match submitted_csrf_token(&mut req).await {
                Ok(Some(given)) => expected.iter().any(|e| constant_time_eq(&given, e)),
                Ok(None) => false,
                Err(e) => return Ok(refuse(req, api, e)),
            }
        } else {
            false
        };
        if !ok {
            tracing::warn!(route = %pattern, "refused an unsafe request without a valid CSRF token");
            return Ok(refuse(req, api, AppError::Forbidden));
        }
    }

    let signed_in = credential.is_some();
    if let Some(c) = credential {
        req.extensions_mut().insert(c);
    }
    let mut res = next.call(req).await?.map_into_boxed_body();
    // Nothing a signed-in user sees, and nothing the API answers, is kept by a browser or
    // a shared cache (finding L3).
    if signed_in || api {
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    Ok(res)
}

/// A browser sends `Origin` on cross-site posts: when it is there it must be this host.
/// The host is the `Host` header; `X-Forwarded-Host` and `Forwarded` are believed only
/// from a trusted proxy (finding I1).
fn same_origin(req: &ServiceRequest, trusted_proxies: &[IpAddr]) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let from_proxy = req
        .peer_addr()
        .is_some_and(|peer| trusted_proxies.contains(&peer.ip()));
    let host = if from_proxy {
        req.connection_info().host().to_string()
    } else {
        match req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
        {
            Some(h) => h.to_string(),
            None => return false,
        }
    };
    origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/') == host)
        .unwrap_or(false)
}

/// The CSRF token of a request: the `X-CSRF-Token` header, or the `csrf_token` field of a
/// URL-encoded form body (read and put back for the handler), or the `csrf_token` query
/// parameter (for multipart uploads, whose body we do not parse here).
async fn submitted_csrf_token(req: &mut ServiceRequest) -> Result<Option<String>, AppError> {
    if let Some(v) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return Ok(Some(v.to_string()));
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let body = read_bounded(req, MAX_FORM_BYTES).await?;
        let token = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .ok()
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == CSRF_FIELD))
            .map(|(_, v)| v);
        req.set_payload(Payload::from(body));
        return Ok(token);
    }
    if content_type.starts_with("multipart/form-data") {
        // The token is a field of the form (never in the URL, where it would be kept in
        // the address bar, the history and logs). The upload pages put it first.
        let body =
            read_bounded(req, super::pages::files::MAX_UPLOAD_BYTES + MAX_FORM_BYTES).await?;
        let token = multipart_field(&body, CSRF_FIELD);
        req.set_payload(Payload::from(body));
        return Ok(token);
    }
    Ok(None)
}

/// The value of a short text field of a multipart body: the part whose header names it,
/// up to the next boundary line. Only for the CSRF token, which is compared in constant
/// time with the session's: a file that happens to contain such text gains nothing.
fn multipart_field(body: &[u8], name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let at = body
        .windows(marker.len())
        .position(|w| w == marker.as_bytes())?;
    let rest = &body[at..];
    let start = rest.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let value = &rest[start..];
    let end = value.windows(2).position(|w| w == b"\r\n")?;
    let v = std::str::from_utf8(&value[..end]).ok()?.trim();
    (!v.is_empty() && v.len() <= 256).then(|| v.to_string())
}

/// Reads a request body of at most `limit` bytes: refused by `Content-Length` before
/// reading, and as soon as the count passes the limit while reading (a chunked body).
async fn read_bounded(req: &mut ServiceRequest, limit: usize) -> Result<web::Bytes, AppError> {
    use futures_util::StreamExt;
    let too_large = || AppError::TooLarge(format!("the form is larger than {} KiB", limit / 1024));
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut payload = req.take_payload();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| AppError::BadRequest("the form could not be read".into()))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
