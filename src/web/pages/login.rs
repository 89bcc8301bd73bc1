//! Sign in and sign out (the GOV.UK sign-in pattern).
//!
//! A failed sign-in says "Enter a correct email address and password" whatever the
//! reason — unknown email, wrong password, locked or deactivated account — and an unknown
//! email costs the same Argon2 work as a known one. Wrong passwords slow an account's
//! sign-in down ([`wait_after`]) but never lock it; attempts from one client address are
//! throttled over 15 minutes. Every attempt is audited; a failed one names the account
//! only by a keyed hash. (Ten wrong second-factor codes in a row do lock the account: only
//! someone who knows the password can send them; see `pages::account`.)
//!
//! A right password starts a session at the next step of sign-in: the second factor
//! (`/login/two-factor`) when the user enrolled one, its enrolment when their role
//! requires one, a new password when an admin set theirs (see `pages::account`).

use actix_web::cookie::SameSite;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{form_error, page_context, render_status, FormError};
use crate::domain::credentials::{random_secret, verify_against_dummy, verify_password, Email};
use crate::domain::enums::AuditAction;
use crate::store::audit::{self, NewEvent};
use crate::store::login_sessions::Stage;
use crate::store::{login_attempts, login_sessions, users, write_transaction, StoreError};
use crate::web::errors::{AppError, PageError};
use crate::web::security::CspNonce;
use crate::web::session::{
    account_key, client_address, client_key, cookie, removal, see_other, Viewer,
    PRE_SESSION_CSRF_COOKIE, SESSION_COOKIE,
};
use crate::web::AppState;

/// The one message for every failed sign-in.
pub const SIGN_IN_FAILED: &str = "Enter a correct email address and password";
/// Failed attempts on one account (existing or not) in the window before sign-in slows
/// down.
pub const FREE_FAILURES: i64 = 10;
/// Failed attempts from one client address in the window.
const PER_CLIENT_LIMIT: i64 = 50;

#[derive(Serialize)]
struct LoginView<'a> {
    login_csrf: &'a str,
    email: &'a str,
    errors: &'a [FormError],
    email_error: Option<&'a str>,
    password_error: Option<&'a str>,
}

fn login_page(
    nonce: &CspNonce,
    csrf: &str,
    email: &str,
    errors: Vec<FormError>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let title = if errors.is_empty() {
        "Sign in"
    } else {
        "Error: Sign in"
    };
    let message = |field: &str| {
        errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.text.as_str())
    };
    let view = LoginView {
        login_csrf: csrf,
        email,
        errors: &errors,
        email_error: message("email"),
        password_error: message("password"),
    };
    render_status(status, "pages/login", &page_context(title, nonce, &view))
}

/// `GET /login`: the form, with a fresh double-submit CSRF cookie (there is no session yet).
pub async fn show(
    state: web::Data<AppState>,
    nonce: CspNonce,
    viewer: Viewer,
) -> Result<HttpResponse, PageError> {
    if viewer.actor.is_some() {
        return Ok(see_other("/"));
    }
    let csrf = random_secret();
    let mut res = login_page(&nonce, &csrf, "", Vec::new(), StatusCode::OK)?;
    res.add_cookie(&cookie(
        PRE_SESSION_CSRF_COOKIE,
        csrf,
        state.hsts,
        SameSite::Strict,
    ))
    .map_err(|e| AppError::Internal(anyhow::anyhow!("setting a cookie: {e}")))?;
    Ok(res)
}

#[derive(Deserialize)]
pub struct SignIn {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

enum Outcome {
    SignedIn {
        cookie_value: String,
        next: &'static str,
    },
    Failed,
    /// Refused without checking; try again after this many seconds.
    Throttled(i64),
}

/// Seconds an account must wait after its latest failure before its next attempt is
/// checked, with `failures` failures in the window: none for the first ten, then 1, 2, 4,
/// … doubling, at most the window (15 minutes). An account is slowed down, never locked,
/// by wrong passwords: whoever sends them, from however many addresses, cannot keep its
/// owner out for longer than the wait (finding: anyone could lock any account with ten
/// requests). An admin's unlock or password reset clears the failures at once.
pub fn wait_after(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        0
    } else {
        let doublings = (failures - FREE_FAILURES).min(20) as u32;
        (1i64 << doublings).min(login_attempts::WINDOW_MINUTES * 60)
    }
}

/// `POST /login`. The middleware has already checked the CSRF token against the cookie.
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    nonce: CspNonce,
    form: web::Form<SignIn>,
) -> Result<HttpResponse, PageError> {
    let SignIn { email, password } = form.into_inner();
    let csrf = req
        .cookie(PRE_SESSION_CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    let mut errors = Vec::new();
    if email.trim().is_empty() {
        errors.push(form_error("email", "Enter your email address"));
    }
    if password.is_empty() {
        errors.push(form_error("password", "Enter your password"));
    }
    if !errors.is_empty() {
        return login_page(
            &nonce,
            &csrf,
            &email,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let client = client_key(
        &state.secrets.session_key,
        client_address(&req, &state.trusted_proxies),
    );
    let previous = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
    let st = state.clone();
    let typed = email.clone();
    let outcome = web::block(move || attempt(&st, &typed, &password, &client, previous))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking task failed: {e}")))??;
    match outcome {
        Outcome::SignedIn { cookie_value, next } => {
            let mut res = see_other(next);
            // Strict: a link or form on another site never carries the session, so it
            // cannot trigger audited exports or downloads (finding L7).
            res.add_cookie(&cookie(
                SESSION_COOKIE,
                cookie_value,
                state.hsts,
                SameSite::Strict,
            ))
            .and_then(|_| res.add_cookie(&removal(PRE_SESSION_CSRF_COOKIE, state.hsts)))
            .map_err(|e| AppError::Internal(anyhow::anyhow!("setting a cookie: {e}")))?;
            Ok(res)
        }
        Outcome::Failed => login_page(
            &nonce,
            &csrf,
            &email,
            vec![form_error("email", SIGN_IN_FAILED)],
            StatusCode::UNAUTHORIZED,
        ),
        Outcome::Throttled(seconds) => Err(AppError::TooManyRequests(seconds).into()),
    }
}

/// The whole check, on a blocking thread (Argon2 is deliberately slow).
fn attempt(
    state: &AppState,
    typed_email: &str,
    password: &str,
    client: &str,
    previous_cookie: Option<String>,
) -> Result<Outcome, AppError> {
    let mut conn = state.conn()?;
    let conn = &mut *conn;
    let account = account_key(&state.secrets.session_key, typed_email);
    if login_attempts::recent_failures_from(conn, client)? >= PER_CLIENT_LIMIT {
        verify_against_dummy(password);
        // Refused without looking: still audited, naming the account and the client by
        // their keyed hashes (finding L6).
        audit::record(
            conn,
            NewEvent::new(AuditAction::SignInFailed, "session")
                .detail(format!("throttled account={account} client={client}")),
        )?;
        return Ok(Outcome::Throttled(crate::web::errors::RETRY_AFTER_SECONDS));
    }
    let wait = wait_after(login_attempts::recent_failures_for(conn, &account)?);
    if wait > 0 {
        let latest = login_attempts::latest_failure_for(conn, &account)?;
        let waited = latest.map_or(i64::MAX, |t| (crate::store::now() - t).num_seconds());
        if waited < wait {
            verify_against_dummy(password);
            // Refused without looking, and not counted (so that waiting is enough).
            audit::record(
                conn,
                NewEvent::new(AuditAction::SignInFailed, "session").detail(format!(
                    "slowed account={account} client={client} wait={wait}s"
                )),
            )?;
            return Ok(Outcome::Throttled(wait - waited));
        }
    }
    let credentials = match Email::parse(typed_email) {
        Ok(email) => users::credentials(conn, &email)?,
        Err(_) => None,
    };
    // Always one Argon2 verification, so the time taken does not tell what was wrong.
    let password_ok = match &credentials {
        Some(c) => verify_password(password, &c.password_hash),
        _ => {
            verify_against_dummy(password);
            false
        }
    };
    let signed_in = credentials
        .as_ref()
        .filter(|c| password_ok && c.active && !c.locked)
        .map(|c| c.actor.clone());
    // The password was right: what sign-in asks for next (docs/security.md).
    let stage = match &credentials {
        Some(c) if c.two_factor => Stage::Code,
        Some(c) if state.require_2fa.requires(c.actor.role) => Stage::Enrol,
        Some(c) if c.must_change_password => Stage::Password,
        _ => Stage::Complete,
    };

    write_transaction(conn, |conn| -> Result<Outcome, StoreError> {
        login_attempts::record(conn, &account, client, signed_in.is_some())?;
        if let Some(actor) = &signed_in {
            users::clear_failures(conn, actor.user_id)?;
            if let Some(old) = &previous_cookie {
                login_sessions::revoke_by_cookie(conn, old)?;
            }
            let session = login_sessions::create_at(conn, actor.user_id, stage)?;
            let event = NewEvent::new(AuditAction::SignIn, "session")
                .by(Some(actor))
                .entity_id(actor.user_id);
            audit::record(
                conn,
                match stage {
                    Stage::Complete => event,
                    Stage::Code => event.detail("password passed; second factor next"),
                    Stage::Enrol => event.detail("password passed; enrolment next"),
                    Stage::Password => event.detail("password passed; new password next"),
                },
            )?;
            return Ok(Outcome::SignedIn {
                cookie_value: session.cookie_value,
                next: stage.page(),
            });
        }
        audit::record(
            conn,
            NewEvent::new(AuditAction::SignInFailed, "session")
                .detail(format!("account={account}")),
        )?;
        Ok(Outcome::Failed)
    })
    .map_err(AppError::from)
    .inspect(|_| {
        // Housekeeping; a failure here must not fail the sign-in.
        let _ = login_attempts::purge_old(conn);
        let _ = login_sessions::purge_expired(conn);
    })
}

/// `POST /logout`: ends the session (CSRF-checked by the middleware).
pub async fn logout(state: web::Data<AppState>, viewer: Viewer) -> Result<HttpResponse, PageError> {
    let secure = state.hsts;
    if let (Some(id), Some(actor)) = (viewer.session_id, viewer.actor) {
        let st = state.clone();
        web::block(move || -> Result<(), AppError> {
            let mut conn = st.conn()?;
            write_transaction(&mut conn, |conn| -> Result<(), StoreError> {
                login_sessions::revoke(conn, id)?;
                audit::record(
                    conn,
                    NewEvent::new(AuditAction::SignOut, "session")
                        .by(Some(&actor))
                        .entity_id(actor.user_id),
                )?;
                Ok(())
            })?;
            Ok(())
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking task failed: {e}")))??;
    }
    let mut res = see_other("/");
    res.add_cookie(&removal(SESSION_COOKIE, secure))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("setting a cookie: {e}")))?;
    Ok(res)
}
