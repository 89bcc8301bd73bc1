//! The signed-in user's own account: the second step of sign-in (a TOTP code or a
//! recovery code), enrolling a second factor, choosing a new password, and "Your account"
//! (sessions and API tokens, which the user can end).
//!
//! A session whose sign-in is not finished reaches only these steps (`Access::SignInStep`;
//! see the access gate): after the password, the code is asked for when the user enrolled; a
//! user whose role requires a second factor and who has none enrols first; a user whose
//! password an admin set chooses a new one. Each step moves the session on
//! (`login_sessions::advance`); only a `Complete` session reaches the rest of the service.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{form_error, render, render_status, viewer_context, FormError, Page};
use crate::domain::access::Actor;
use crate::domain::credentials::{hash_secret, verify_password, Email, NewPassword};
use crate::domain::enums::AuditAction;
use crate::domain::two_factor;
use crate::store::audit::{self, NewEvent};
use crate::store::login_sessions::{self, Stage};
use crate::store::{tokens, users, write_transaction, StoreError};
use crate::web::errors::{blocking, AppError, PageError};
use crate::web::security::CspNonce;
use crate::web::session::{see_other, Viewer};
use crate::web::AppState;

/// What follows a passed second factor (or an enrolment): a new password when an admin
/// set the current one, otherwise nothing.
fn after_second_factor(conn: &mut crate::db::DbConn, actor: &Actor) -> Result<Stage, AppError> {
    Ok(if users::must_change_password(conn, actor.user_id)? {
        Stage::Password
    } else {
        Stage::Complete
    })
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn session_id(viewer: &Viewer) -> Result<i64, AppError> {
    viewer.session_id.ok_or(AppError::Forbidden)
}

// ---- The second step of sign-in ------------------------------------------------------

fn code_page(
    nonce: &CspNonce,
    viewer: &Viewer,
    error: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let errors: Vec<FormError> = error.map(|e| form_error("code", e)).into_iter().collect();
    let title = if errors.is_empty() {
        "Enter your security code"
    } else {
        "Error: Enter your security code"
    };
    render_status(
        status,
        "pages/account/code",
        &viewer_context(
            title,
            nonce,
            viewer,
            "",
            &CodeView {
                errors,
                code_error: error,
            },
        ),
    )
}

/// `GET /login/two-factor`: the code form (after the password).
pub async fn code_form(nonce: CspNonce, viewer: Viewer) -> Result<HttpResponse, PageError> {
    if viewer.stage != Some(Stage::Code) {
        return Ok(see_other(viewer.stage.unwrap_or(Stage::Complete).page()));
    }
    code_page(&nonce, &viewer, None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

enum CodeOutcome {
    Passed(Stage),
    Wrong,
    Locked,
}

/// `POST /login/two-factor`: a six-digit code from the app, or a recovery code (used up).
/// A wrong code counts as a failed sign-in (ten in a row lock the account).
pub async fn code_submit(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, PageError> {
    if viewer.stage != Some(Stage::Code) {
        return Ok(see_other(viewer.stage.unwrap_or(Stage::Complete).page()));
    }
    let typed = form.into_inner().code;
    if typed.trim().is_empty() {
        return code_page(
            &nonce,
            &viewer,
            Some("Enter the code from your authenticator app, or a recovery code"),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let session = session_id(&viewer)?;
    let outcome = blocking(move || {
        let mut conn = state.conn()?;
        let conn = &mut *conn;
        let user = users::find(conn, actor.user_id)?;
        if user.locked || !user.active {
            login_sessions::revoke(conn, session)?;
            return Ok(CodeOutcome::Locked);
        }
        let tf = users::two_factor(conn, actor.user_id)?;
        let secret = tf
            .sealed_secret
            .as_deref()
            .filter(|_| tf.enabled)
            .map(|s| two_factor::open(&state.secrets.totp_key, s))
            .transpose()
            .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
        let digits = typed.trim().chars().all(|c| c.is_ascii_digit() || c == ' ');
        let passed = match (&secret, digits) {
            (Some(secret), true) => {
                match two_factor::verify(secret, &typed, unix_now(), tf.last_step) {
                    Some(step) => users::accept_step(conn, actor.user_id, step)?.then_some("code"),
                    None => None,
                }
            }
            _ => {
                let wanted = two_factor::normalise_recovery_code(&typed);
                let mut used = None;
                for (id, hash) in users::unused_recovery_codes(conn, actor.user_id)? {
                    if verify_password(&wanted, &hash) {
                        used = Some(id);
                        break;
                    }
                }
                match used {
                    Some(id) => users::use_recovery_code(conn, id)?.then_some("recovery code"),
                    None => None,
                }
            }
        };
        let Some(how) = passed else {
            write_transaction(conn, |conn| -> Result<(), StoreError> {
                let locked = users::count_failure(conn, actor.user_id)?;
                audit::record(
                    conn,
                    NewEvent::new(AuditAction::SignInFailed, "session")
                        .by(Some(&actor))
                        .entity_id(actor.user_id)
                        .detail("wrong second factor"),
                )?;
                if locked {
                    audit::record(
                        conn,
                        NewEvent::new(AuditAction::Lock, "user")
                            .entity_id(actor.user_id)
                            .fields(&["locked_at"])
                            .detail(format!(
                                "{} wrong passwords or codes in a row",
                                users::LOCK_AFTER_FAILURES
                            )),
                    )?;
                    login_sessions::revoke(conn, session)?;
                }
                Ok(())
            })?;
            return Ok(if users::find(conn, actor.user_id)?.locked {
                CodeOutcome::Locked
            } else {
                CodeOutcome::Wrong
            });
        };
        let next = after_second_factor(conn, &actor)?;
        write_transaction(conn, |conn| -> Result<(), StoreError> {
            users::clear_failures(conn, actor.user_id)?;
            login_sessions::advance(conn, session, next, true)?;
            audit::record(
                conn,
                NewEvent::new(AuditAction::SignIn, "session")
                    .by(Some(&actor))
                    .entity_id(actor.user_id)
                    .detail(format!("second factor passed ({how})")),
            )?;
            Ok(())
        })?;
        Ok(CodeOutcome::Passed(next))
    })
    .await?;
    match outcome {
        CodeOutcome::Passed(next) => Ok(see_other(next.page())),
        CodeOutcome::Wrong => code_page(
            &nonce,
            &viewer,
            Some("The code is not right: enter the current code from your app, or an unused recovery code"),
            StatusCode::UNAUTHORIZED,
        ),
        CodeOutcome::Locked => Ok(see_other("/login")),
    }
}

// ---- Enrolling a second factor -------------------------------------------------------

/// The view of `pages/account/code`.
#[derive(Serialize)]
struct CodeView<'a> {
    errors: Vec<FormError>,
    code_error: Option<&'a str>,
}

/// The view of `pages/account/two_factor`: enrolled (how many recovery codes are left) or
/// enrolling (the QR code and the secret to type).
#[derive(Serialize)]
struct EnrolView {
    enabled: bool,
    recovery_codes_left: Option<i64>,
    qr: Option<String>,
    secret: Option<String>,
    errors: Vec<FormError>,
    code_error: Option<String>,
    /// Whether the sign-in waits for it.
    required: bool,
}

fn enrol_page(state: &AppState, actor: &Actor, error: Option<&str>) -> Result<EnrolView, AppError> {
    let mut conn = state.conn()?;
    let tf = users::two_factor(&mut conn, actor.user_id)?;
    if tf.enabled {
        return Ok(EnrolView {
            enabled: true,
            recovery_codes_left: Some(tf.recovery_codes_left),
            qr: None,
            secret: None,
            errors: Vec::new(),
            code_error: None,
            required: false,
        });
    }
    let key = &state.secrets.totp_key;
    let secret = match tf
        .sealed_secret
        .as_deref()
        .map(|s| two_factor::open(key, s))
    {
        Some(Ok(secret)) => secret,
        // None yet, or one sealed under another key: begin afresh.
        _ => {
            let secret = two_factor::generate_secret();
            let sealed = two_factor::seal(key, &secret)
                .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
            users::begin_enrolment(&mut conn, actor.user_id, &sealed)?;
            secret
        }
    };
    let account = users::find(&mut conn, actor.user_id)?.email;
    let qr = two_factor::qr_data_uri(&secret, &account)
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    Ok(EnrolView {
        enabled: false,
        recovery_codes_left: None,
        qr: Some(qr),
        secret: Some(two_factor::secret_base32(&secret)),
        errors: error.map(|e| form_error("code", e)).into_iter().collect(),
        code_error: error.map(str::to_string),
        required: false,
    })
}

/// `GET /account/two-factor`: enrol (a QR code and the secret to type), or, once enrolled,
/// how many recovery codes are left.
pub async fn enrol_form(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
) -> Result<HttpResponse, PageError> {
    if !matches!(viewer.stage, Some(Stage::Enrol | Stage::Complete)) {
        return Ok(see_other(viewer.stage.unwrap_or(Stage::Complete).page()));
    }
    let required = viewer.stage == Some(Stage::Enrol);
    let mut page = blocking(move || enrol_page(&state, &actor, None)).await?;
    page.required = required;
    render(
        "pages/account/two_factor",
        &viewer_context("Two-factor sign-in", &nonce, &viewer, "", &page),
    )
}

/// `POST /account/two-factor`: the first code from the app confirms the enrolment; the ten
/// recovery codes are shown once.
pub async fn enrol_submit(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, PageError> {
    if !matches!(viewer.stage, Some(Stage::Enrol | Stage::Complete)) {
        return Ok(see_other(viewer.stage.unwrap_or(Stage::Complete).page()));
    }
    let typed = form.into_inner().code;
    let session = session_id(&viewer)?;
    let stage = viewer.stage;
    let result = blocking(move || {
        let mut conn = state.conn()?;
        let conn = &mut *conn;
        let tf = users::two_factor(conn, actor.user_id)?;
        if tf.enabled {
            return Ok(Ok((Vec::new(), Stage::Complete)));
        }
        let secret = tf
            .sealed_secret
            .as_deref()
            .map(|s| two_factor::open(&state.secrets.totp_key, s))
            .and_then(Result::ok);
        let step = secret
            .as_deref()
            .and_then(|s| two_factor::verify(s, &typed, unix_now(), None));
        let Some(step) = step else {
            let message = if typed.trim().is_empty() {
                "Enter the 6-digit code your authenticator app shows"
            } else {
                "The code is not right: enter the 6-digit code your app shows now"
            };
            return Ok(Err(enrol_page(&state, &actor, Some(message))?));
        };
        let codes = two_factor::generate_recovery_codes();
        let hashes = codes
            .iter()
            .map(|c| hash_secret(&two_factor::normalise_recovery_code(c)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        users::complete_enrolment(conn, &actor, step, &hashes)?;
        let next = if stage == Some(Stage::Enrol) {
            after_second_factor(conn, &actor)?
        } else {
            Stage::Complete
        };
        login_sessions::advance(conn, session, next, true)?;
        Ok(Ok((codes, next)))
    })
    .await?;
    match result {
        Ok((codes, _)) if codes.is_empty() => Ok(see_other("/account/two-factor")),
        Ok((codes, next)) => render(
            "pages/account/recovery_codes",
            &viewer_context(
                "Your recovery codes",
                &nonce,
                &viewer,
                "",
                &RecoveryCodesView {
                    codes,
                    next: next.page(),
                },
            ),
        ),
        Err(mut page) => {
            page.required = stage == Some(Stage::Enrol);
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "pages/account/two_factor",
                &viewer_context("Error: Two-factor sign-in", &nonce, &viewer, "", &page),
            )
        }
    }
}

// ---- Choosing a new password ---------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

/// The view of `pages/account/recovery_codes`.
#[derive(Serialize)]
struct RecoveryCodesView {
    codes: Vec<String>,
    next: &'static str,
}

/// The view of `pages/account/password`.
#[derive(Serialize)]
struct PasswordView<'a> {
    /// The password must be changed before anything else.
    forced: bool,
    current_password_error: Option<&'a str>,
    new_password_error: Option<&'a str>,
    confirm_password_error: Option<&'a str>,
    errors: &'a [FormError],
}

fn password_page(
    nonce: &CspNonce,
    viewer: &Viewer,
    errors: Vec<FormError>,
) -> Result<HttpResponse, PageError> {
    let field_error = |f: &str| {
        errors
            .iter()
            .find(|e| e.field == f)
            .map(|e| e.text.as_str())
    };
    let title = if errors.is_empty() {
        "Change your password"
    } else {
        "Error: Change your password"
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = PasswordView {
        forced: viewer.stage == Some(Stage::Password),
        current_password_error: field_error("current_password"),
        new_password_error: field_error("new_password"),
        confirm_password_error: field_error("confirm_password"),
        errors: &errors,
    };
    render_status(
        status,
        "pages/account/password",
        &viewer_context(title, nonce, viewer, "", &page),
    )
}

/// `GET /account/password`.
pub async fn password_form(nonce: CspNonce, viewer: Viewer) -> Result<HttpResponse, PageError> {
    if !matches!(viewer.stage, Some(Stage::Password | Stage::Complete)) {
        return Ok(see_other(viewer.stage.unwrap_or(Stage::Complete).page()));
    }
    password_page(&nonce, &viewer, Vec::new())
}

/// `POST /account/password`: the current password, and the new one twice. The user's
/// other sessions end.
pub async fn password_submit(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    if !matches!(viewer.stage, Some(Stage::Password | Stage::Complete)) {
        return Ok(see_other(viewer.stage.unwrap_or(Stage::Complete).page()));
    }
    let form = form.into_inner();
    let session = session_id(&viewer)?;
    let errors = blocking(move || {
        let mut conn = state.conn()?;
        let conn = &mut *conn;
        let user = users::find(conn, actor.user_id)?;
        let hash = users::password_hash(conn, actor.user_id)?;
        let mut errors = Vec::new();
        if form.current_password.is_empty() {
            errors.push(form_error(
                "current_password",
                "Enter your current password",
            ));
        } else if !verify_password(&form.current_password, &hash) {
            errors.push(form_error(
                "current_password",
                "Your current password is not right",
            ));
        }
        let email = Email::parse(&user.email).map_err(|e| AppError::Internal(e.into()))?;
        let new = match NewPassword::parse_for(&form.new_password, &email) {
            Ok(p) if p.expose() == form.current_password => {
                errors.push(form_error(
                    "new_password",
                    "Choose a password different from your current one",
                ));
                None
            }
            Ok(p) => Some(p),
            Err(e) => {
                errors.push(form_error("new_password", &e.to_string()));
                None
            }
        };
        if form.confirm_password != form.new_password {
            errors.push(form_error("confirm_password", "The passwords do not match"));
        }
        match new {
            Some(new) if errors.is_empty() => {
                users::change_own_password(conn, &actor, &new.hash()?, session)?;
                login_sessions::advance(conn, session, Stage::Complete, false)?;
                login_sessions::set_flash(conn, session, "Your password has been changed")?;
                Ok(Vec::new())
            }
            _ => Ok(errors),
        }
    })
    .await?;
    if errors.is_empty() {
        Ok(see_other("/account"))
    } else {
        password_page(&nonce, &viewer, errors)
    }
}

// ---- Your account --------------------------------------------------------------------

use crate::format::moment as when;

/// A signed-in session on `/account`.
#[derive(Serialize)]
struct SessionView {
    id: i64,
    started: String,
    last_seen: String,
    second_factor: bool,
    current: bool,
}

/// An API token on `/account`.
#[derive(Serialize)]
struct TokenView {
    id: i64,
    label: String,
    created: String,
    last_used: Option<String>,
    expires: Option<String>,
    live: bool,
}

/// The view of `pages/account/index`.
#[derive(Serialize)]
struct AccountView {
    email: String,
    two_factor: bool,
    recovery_codes_left: i64,
    two_factor_required: bool,
    sessions: Vec<SessionView>,
    tokens: Vec<TokenView>,
}

/// `GET /account`: the user's sessions and API tokens, their second factor, and links to
/// change the password.
pub async fn show(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
) -> Result<HttpResponse, PageError> {
    let current = viewer.session_id;
    let had_flash = viewer.flash.is_some();
    let page = blocking(move || {
        let mut conn = state.conn()?;
        let conn = &mut *conn;
        let user = users::find(conn, actor.user_id)?;
        let tf = users::two_factor(conn, actor.user_id)?;
        let sessions = login_sessions::list_live(conn, actor.user_id)?
            .into_iter()
            .map(|s| SessionView {
                id: s.id,
                started: when(s.created_at),
                last_seen: when(s.last_seen_at),
                second_factor: s.second_factor,
                current: Some(s.id) == current,
            })
            .collect();
        let tokens = tokens::list_for(conn, actor.user_id)?
            .into_iter()
            .map(|t| TokenView {
                id: t.id,
                label: if t.label.is_empty() {
                    "(no label)".to_string()
                } else {
                    t.label.clone()
                },
                created: when(t.created_at),
                last_used: t.last_used_at.map(when),
                expires: t.expires_at.map(when),
                live: t.live(),
            })
            .collect();
        if let (Some(id), true) = (current, had_flash) {
            login_sessions::clear_flash(conn, id)?;
        }
        Ok(AccountView {
            email: user.email,
            two_factor: tf.enabled,
            recovery_codes_left: tf.recovery_codes_left,
            two_factor_required: state.require_2fa.requires(actor.role),
            sessions,
            tokens,
        })
    })
    .await?;
    render(
        "pages/account/index",
        &viewer_context("Your account", &nonce, &viewer, "/account", &page),
    )
}

#[derive(Deserialize)]
pub struct IdForm {
    #[serde(default)]
    id: String,
}

/// The id a form names; none (nothing chosen: back to the page) when the field is empty,
/// 404 when it is not a number.
fn form_id(form: &IdForm) -> Result<Option<i64>, AppError> {
    match form.id.trim() {
        "" => Ok(None),
        id => id.parse().map(Some).map_err(|_| AppError::NotFound),
    }
}

/// `POST /account/sessions/end`: ends one of the user's own sessions (another browser).
pub async fn end_session(
    state: web::Data<AppState>,
    viewer: Viewer,
    actor: Actor,
    form: web::Form<IdForm>,
) -> Result<HttpResponse, PageError> {
    let Some(id) = form_id(&form)? else {
        return Ok(see_other("/account"));
    };
    let current = session_id(&viewer)?;
    blocking(move || {
        let mut conn = state.conn()?;
        write_transaction(&mut conn, |conn| -> Result<(), StoreError> {
            login_sessions::revoke_own(conn, actor.user_id, id)?;
            audit::record(
                conn,
                NewEvent::new(AuditAction::SignOut, "session")
                    .by(Some(&actor))
                    .entity_id(actor.user_id)
                    .detail("session ended from Your account"),
            )?;
            if id != current {
                login_sessions::set_flash(conn, current, "The session has been ended")?;
            }
            Ok(())
        })?;
        Ok(())
    })
    .await?;
    Ok(see_other(if id == current { "/login" } else { "/account" }))
}

/// `POST /account/tokens/revoke`: revokes one of the user's own API tokens.
pub async fn revoke_token(
    state: web::Data<AppState>,
    viewer: Viewer,
    actor: Actor,
    form: web::Form<IdForm>,
) -> Result<HttpResponse, PageError> {
    let Some(id) = form_id(&form)? else {
        return Ok(see_other("/account"));
    };
    let current = session_id(&viewer)?;
    blocking(move || {
        let mut conn = state.conn()?;
        if tokens::owner(&mut conn, id)? != actor.user_id {
            return Err(AppError::NotFound);
        }
        tokens::revoke(&mut conn, id, Some(&actor))?;
        login_sessions::set_flash(&mut conn, current, "The token has been revoked")?;
        Ok(())
    })
    .await?;
    Ok(see_other("/account"))
}
