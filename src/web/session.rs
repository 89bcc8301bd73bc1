//! Who is asking: the session cookie and its CSRF token, the credential the access gate
//! (`auth`) leaves in each request, and the extractors handlers take from it (`Actor`,
//! `Viewer`); the cookies we set; the client's address and the keyed hashes that stand for
//! it and for an account. Pages and the API depend on this module, never on the gate, so
//! that routes → pages → session does not lead back to routes.

use std::future::{ready, Ready};
use std::net::IpAddr;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse};

use super::errors::AppError;
use crate::domain::access::Actor;
use crate::domain::credentials::keyed_hash;
use crate::store::login_sessions;

pub const SESSION_COOKIE: &str = "outcomes_session";
/// Double-submit CSRF cookie for forms posted before there is a session (sign-in).
pub const PRE_SESSION_CSRF_COOKIE: &str = "outcomes_csrf";
pub const CSRF_FIELD: &str = "csrf_token";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the request authenticated.
#[derive(Debug, Clone)]
pub enum Credential {
    Session(login_sessions::LiveSession),
    Token { id: i64, actor: Actor },
}

impl Credential {
    pub fn actor(&self) -> &Actor {
        match self {
            Credential::Session(s) => &s.actor,
            Credential::Token { actor, .. } => actor,
        }
    }
}

/// The signed-in actor; handlers behind `SignedIn` or `Roles` rules take it.
impl FromRequest for Actor {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Credential>()
                .map(|c| c.actor().clone())
                .ok_or(AppError::Unauthorized),
        )
    }
}

/// Who is looking at a page, if anyone: for the header, the sign-out form's CSRF token
/// and the flash message.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    pub actor: Option<Actor>,
    pub session_id: Option<i64>,
    pub csrf_token: Option<String>,
    pub flash: Option<String>,
    /// Where the session's sign-in stands (`Complete` for a bearer token).
    pub stage: Option<login_sessions::Stage>,
}

impl FromRequest for Viewer {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let viewer = match req.extensions().get::<Credential>() {
            Some(Credential::Session(s)) => Viewer {
                actor: Some(s.actor.clone()),
                session_id: Some(s.id),
                csrf_token: Some(s.csrf_token.clone()),
                flash: s.flash.clone(),
                stage: Some(s.stage),
            },
            Some(Credential::Token { actor, .. }) => Viewer {
                actor: Some(actor.clone()),
                ..Viewer::default()
            },
            None => Viewer::default(),
        };
        ready(Ok(viewer))
    }
}

/// A cookie with our attributes: HttpOnly, SameSite, Path=/, Secure when TLS is on. No
/// expiry: the server enforces the idle and absolute timeouts.
pub fn cookie(
    name: &'static str,
    value: String,
    secure: bool,
    same_site: SameSite,
) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(same_site)
        .finish()
}

/// A cookie that deletes `name`.
pub fn removal(name: &'static str, secure: bool) -> Cookie<'static> {
    let mut c = cookie(name, String::new(), secure, SameSite::Strict);
    c.make_removal();
    c
}

/// The client's address: the peer, or — when the peer is a trusted proxy — the last
/// address in X-Forwarded-For that is not itself a trusted proxy.
pub fn client_address(req: &HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !trusted.contains(ip))
            .unwrap_or(peer),
    )
}

/// The keyed hash that stands for a client address in `login_attempts`.
pub fn client_key(secret: &[u8], addr: Option<IpAddr>) -> String {
    keyed_hash(
        secret,
        "client",
        &addr.map(|a| a.to_string()).unwrap_or_default(),
    )
}

/// The keyed hash that stands for an account (the email typed) in `login_attempts` and
/// in the audit trail.
pub fn account_key(secret: &[u8], email: &str) -> String {
    keyed_hash(secret, "account", &email.trim().to_lowercase())
}

/// A redirect after a POST (303 See Other).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}
