//! Admin pages: users (add, deactivate, reactivate, reset password, unlock) and API
//! tokens (revoke). Every change is audited by the store in the same transaction.
//! Passwords set here are generated and shown once; admins never choose or see a
//! user's own password.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{form_error, render, render_status, viewer_context, Choice, FormError, Page};
use crate::domain::access::Actor;
use crate::domain::credentials::{Email, NewPassword};
use crate::domain::enums::Role;
use crate::domain::ids::{OrganisationId, UserId};
use crate::store::{login_sessions, organisations, tokens, users, StoreError};
use crate::web::errors::{blocking, AppError, PageError};
use crate::web::security::CspNonce;
use crate::web::session::{see_other, Viewer};
use crate::web::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct AddUser {
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    organisation_id: String,
}

/// An API token under its user on `/admin/users`.
#[derive(Serialize)]
struct TokenLine {
    id: i64,
    label: String,
    created_on: String,
    last_used: Option<String>,
    expires: Option<String>,
    revoked: bool,
}

/// A user's row on `/admin/users`.
#[derive(Serialize)]
struct UserLine {
    id: UserId,
    email: String,
    display_name: String,
    role_label: &'static str,
    organisation_name: String,
    status: &'static str,
    active: bool,
    locked: bool,
    tokens: Vec<TokenLine>,
}

/// The values typed into the "add a user" form.
#[derive(Serialize)]
struct AddUserTyped {
    email: String,
    display_name: String,
}

/// The view of `pages/admin/users`.
#[derive(Serialize)]
struct UsersView {
    users: Vec<UserLine>,
    roles: Vec<Choice>,
    organisations: Vec<Choice>,
    form: AddUserTyped,
    email_error: Option<String>,
    role_error: Option<String>,
    organisation_error: Option<String>,
    errors: Vec<FormError>,
}

fn users_context(
    state: &AppState,
    viewer: &Viewer,
    form: &AddUser,
    errors: Vec<FormError>,
) -> Result<UsersView, AppError> {
    let mut conn = state.conn()?;
    let all = users::list(&mut conn)?;
    let orgs = organisations::list(&mut conn)?;
    let mut token_rows: HashMap<i64, Vec<TokenLine>> = HashMap::new();
    for t in tokens::list(&mut conn)? {
        token_rows.entry(t.user_id).or_default().push(TokenLine {
            id: t.id,
            label: if t.label.is_empty() {
                "(no label)".to_string()
            } else {
                t.label
            },
            created_on: crate::format::date(t.created_at.date()),
            last_used: t.last_used_at.map(|d| crate::format::date(d.date())),
            expires: t.expires_at.map(|d| crate::format::date(d.date())),
            revoked: t.revoked,
        });
    }
    if let (Some(id), Some(_)) = (viewer.session_id, &viewer.flash) {
        login_sessions::clear_flash(&mut conn, id)?;
    }
    let rows = all
        .into_iter()
        .map(|u| UserLine {
            status: match (u.active, u.locked) {
                (false, _) => "Deactivated",
                (true, true) => "Locked",
                (true, false) => "Active",
            },
            tokens: token_rows.remove(&u.id.0).unwrap_or_default(),
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            role_label: u.role.label(),
            organisation_name: u.organisation_name,
            active: u.active,
            locked: u.locked,
        })
        .collect();
    let roles = Role::ALL
        .iter()
        .map(|r| Choice::new(r.as_str(), r.label(), r.as_str() == form.role))
        .collect();
    let orgs = orgs
        .into_iter()
        .map(|o| Choice::new(o.id, &o.name, o.id.to_string() == form.organisation_id))
        .collect();
    let field_error = |f: &str| errors.iter().find(|e| e.field == f).map(|e| e.text.clone());
    Ok(UsersView {
        users: rows,
        roles,
        organisations: orgs,
        form: AddUserTyped {
            email: form.email.clone(),
            display_name: form.display_name.clone(),
        },
        email_error: field_error("email"),
        role_error: field_error("role"),
        organisation_error: field_error("organisation_id"),
        errors,
    })
}

/// The view of `pages/admin/password`: a generated password, shown once.
#[derive(Serialize)]
struct PasswordShown<'a> {
    heading: &'static str,
    email: &'a str,
    password: &'a str,
}

/// `GET /admin/users`.
pub async fn users(
    state: web::Data<AppState>,
    nonce: CspNonce,
    viewer: Viewer,
) -> Result<HttpResponse, PageError> {
    let v = viewer.clone();
    let page = blocking(move || users_context(&state, &v, &AddUser::default(), Vec::new())).await?;
    render(
        "pages/admin/users",
        &viewer_context("Users", &nonce, &viewer, "/admin/users", &page),
    )
}

fn parse_add_user(form: &AddUser) -> Result<(Email, Role, OrganisationId), Vec<FormError>> {
    let mut errors = Vec::new();
    let email = Email::parse(&form.email)
        .map_err(|e| errors.push(form_error("email", &e.to_string())))
        .ok();
    let role = form
        .role
        .parse::<Role>()
        .map_err(|_| errors.push(form_error("role", "Select a role")))
        .ok();
    let org = form
        .organisation_id
        .parse::<i64>()
        .map(OrganisationId)
        .map_err(|_| errors.push(form_error("organisation_id", "Select an organisation")))
        .ok();
    match (email, role, org) {
        (Some(e), Some(r), Some(o)) if errors.is_empty() => Ok((e, r, o)),
        _ => Err(errors),
    }
}

/// `POST /admin/users`: adds a user with a generated password, shown once.
pub async fn add_user(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    form: web::Form<AddUser>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let v = viewer.clone();
    let result = blocking(move || {
        let errors = match parse_add_user(&form) {
            Ok((email, role, org)) => {
                let mut conn = state.conn()?;
                let known = organisations::list(&mut conn)?.iter().any(|o| o.id == org);
                if !known {
                    vec![form_error("organisation_id", "Select an organisation")]
                } else {
                    let password = NewPassword::generate();
                    let new = users::NewUser {
                        email: &email,
                        display_name: &form.display_name,
                        role,
                        organisation_id: org,
                        password_hash: password.hash()?,
                    };
                    match users::create(&mut conn, new, Some(&actor)) {
                        Ok(user) => {
                            // The admin saw it: the user chooses their own at first sign-in.
                            users::require_password_change(&mut conn, user.id)?;
                            return Ok(Ok((user, password)));
                        }
                        Err(StoreError::Duplicate(_)) => vec![form_error(
                            "email",
                            "A user with this email address already exists",
                        )],
                        Err(StoreError::Refused(why)) => vec![form_error("role", &why)],
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            Err(errors) => errors,
        };
        Ok(Err(users_context(&state, &v, &form, errors)?))
    })
    .await?;
    match result {
        Ok((user, password)) => render(
            "pages/admin/password",
            &viewer_context(
                "User added",
                &nonce,
                &viewer,
                "/admin/users",
                &PasswordShown {
                    heading: "User added",
                    email: &user.email,
                    password: password.expose(),
                },
            ),
        ),
        Err(page) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "pages/admin/users",
            &viewer_context("Error: Users", &nonce, &viewer, "/admin/users", &page),
        ),
    }
}

fn user_id(raw: &str) -> Result<UserId, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

/// Runs a store change on a user, flashes `message` and goes back to the users page.
async fn change_user(
    state: web::Data<AppState>,
    viewer: Viewer,
    actor: Actor,
    id: &str,
    message: &'static str,
    change: fn(&mut crate::db::DbConn, UserId, Option<&Actor>) -> Result<(), StoreError>,
) -> Result<HttpResponse, PageError> {
    let id = user_id(id)?;
    blocking(move || {
        let mut conn = state.conn()?;
        // A change the rules refuse (deactivating yourself or the last admin) is told
        // back on the users page, and nothing changes.
        let message = match change(&mut conn, id, Some(&actor)) {
            Ok(()) => message.to_string(),
            Err(StoreError::Refused(why)) => why,
            Err(e) => return Err(e.into()),
        };
        if let Some(session) = viewer.session_id {
            login_sessions::set_flash(&mut conn, session, &message)?;
        }
        Ok(())
    })
    .await?;
    Ok(see_other("/admin/users"))
}

/// What a confirmation page asks (the view of `pages/admin/confirm`).
#[derive(Serialize)]
struct Confirm {
    #[serde(skip)]
    title: &'static str,
    heading: String,
    body: String,
    action: String,
    button: &'static str,
}

fn confirm_page(nonce: &CspNonce, viewer: &Viewer, c: Confirm) -> Result<HttpResponse, PageError> {
    render(
        "pages/admin/confirm",
        &viewer_context(c.title, nonce, viewer, "/admin/users", &c),
    )
}

/// The confirmation page of a change to user `id`, asked in the words of `ask`.
async fn confirm_for_user(
    state: web::Data<AppState>,
    nonce: CspNonce,
    viewer: Viewer,
    id: &str,
    ask: fn(&users::User) -> Confirm,
) -> Result<HttpResponse, PageError> {
    let id = user_id(id)?;
    let user = blocking(move || Ok(users::find(&mut *state.conn()?, id)?)).await?;
    confirm_page(&nonce, &viewer, ask(&user))
}

/// `GET /admin/users/{id}/deactivate`: asks before deactivating a user.
pub async fn deactivate_confirm(
    state: web::Data<AppState>,
    nonce: CspNonce,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    confirm_for_user(state, nonce, viewer, &id, |user| Confirm {
        title: "Deactivate a user",
        heading: format!("Deactivate {}?", user.email),
        body: "They will no longer be able to sign in, their sessions end at once and their API tokens stop working. You can reactivate them later.".into(),
        action: format!("/admin/users/{}/deactivate", user.id),
        button: "Deactivate",
    })
    .await
}

/// `GET /admin/users/{id}/reset-password`: asks before resetting a user's password.
pub async fn reset_password_confirm(
    state: web::Data<AppState>,
    nonce: CspNonce,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    confirm_for_user(state, nonce, viewer, &id, |user| Confirm {
        title: "Reset a password",
        heading: format!("Reset the password of {}?", user.email),
        body: "A new password is made and shown to you once; their old password stops working, their sessions end, and they must choose their own password at their next sign-in.".into(),
        action: format!("/admin/users/{}/reset-password", user.id),
        button: "Reset password",
    })
    .await
}

/// `GET /admin/tokens/{id}/revoke`: asks before revoking an API token.
pub async fn revoke_token_confirm(
    state: web::Data<AppState>,
    nonce: CspNonce,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let owner = blocking(move || {
        let mut conn = state.conn()?;
        let owner = tokens::owner(&mut conn, id)?;
        Ok(users::find(&mut conn, owner)?)
    })
    .await?;
    confirm_page(
        &nonce,
        &viewer,
        Confirm {
            title: "Revoke an API token",
            heading: format!("Revoke this API token of {}?", owner.email),
            body: "Programs using it will be refused from now on. A revoked token cannot be used again; the owner can be given a new one.".into(),
            action: format!("/admin/tokens/{id}/revoke"),
            button: "Revoke token",
        },
    )
}

/// `POST /admin/users/{id}/deactivate`: also ends their sessions; their tokens stop working.
pub async fn deactivate(
    state: web::Data<AppState>,
    viewer: Viewer,
    actor: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    change_user(
        state,
        viewer,
        actor,
        &id,
        "User deactivated",
        users::deactivate,
    )
    .await
}

/// `POST /admin/users/{id}/reactivate`.
pub async fn reactivate(
    state: web::Data<AppState>,
    viewer: Viewer,
    actor: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    change_user(
        state,
        viewer,
        actor,
        &id,
        "User reactivated",
        users::reactivate,
    )
    .await
}

/// `POST /admin/users/{id}/unlock`: clears a lock-out after ten wrong passwords.
pub async fn unlock(
    state: web::Data<AppState>,
    viewer: Viewer,
    actor: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let st = state.clone();
    let uid = user_id(&id)?;
    let res = change_user(state, viewer, actor, &id, "User unlocked", users::unlock).await?;
    clear_throttle(&st, uid).await?;
    Ok(res)
}

/// Forgets the user's failed sign-ins, so that an unlock or reset works at once.
async fn clear_throttle(state: &web::Data<AppState>, id: UserId) -> Result<(), PageError> {
    let state = state.clone();
    blocking(move || {
        let mut conn = state.conn()?;
        let user = users::find(&mut conn, id)?;
        let key = crate::web::session::account_key(&state.secrets.session_key, &user.email);
        crate::store::login_attempts::clear_failures_for(&mut conn, &key)?;
        Ok(())
    })
    .await?;
    Ok(())
}

/// `POST /admin/users/{id}/reset-password`: a new generated password, shown once; ends
/// the user's sessions and clears any lock.
pub async fn reset_password(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = user_id(&id)?;
    let st = state.clone();
    let (user, password) = blocking(move || {
        let mut conn = state.conn()?;
        let password = NewPassword::generate();
        users::set_password(&mut conn, id, &password.hash()?, Some(&actor))?;
        Ok((users::find(&mut conn, id)?, password))
    })
    .await?;
    clear_throttle(&st, id).await?;
    render(
        "pages/admin/password",
        &viewer_context(
            "Password reset",
            &nonce,
            &viewer,
            "/admin/users",
            &PasswordShown {
                heading: "Password reset",
                email: &user.email,
                password: password.expose(),
            },
        ),
    )
}

/// `POST /admin/tokens/{id}/revoke`.
pub async fn revoke_token(
    state: web::Data<AppState>,
    viewer: Viewer,
    actor: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    blocking(move || {
        let mut conn = state.conn()?;
        tokens::revoke(&mut conn, id, Some(&actor))?;
        if let Some(session) = viewer.session_id {
            login_sessions::set_flash(&mut conn, session, "API token revoked")?;
        }
        Ok(())
    })
    .await?;
    Ok(see_other("/admin/users"))
}

/// `GET /admin/users/{id}/reset-two-factor`: asks before resetting a user's second factor.
pub async fn reset_two_factor_confirm(
    state: web::Data<AppState>,
    nonce: CspNonce,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = user_id(&id)?;
    let (user, enrolled) = blocking(move || {
        let mut conn = state.conn()?;
        let user = users::find(&mut conn, id)?;
        let enrolled = users::two_factor(&mut conn, id)?.enabled;
        Ok((user, enrolled))
    })
    .await?;
    confirm_page(
        &nonce,
        &viewer,
        Confirm {
            title: "Reset two-factor sign-in",
            heading: format!("Reset two-factor sign-in for {}?", user.email),
            body: if enrolled {
                "Their authenticator app and recovery codes will stop working and their sessions will end. At their next sign-in they set up two-factor sign-in again."
            } else {
                "They have not set up two-factor sign-in; any enrolment they began will be forgotten and their sessions will end."
            }
            .to_string(),
            action: format!("/admin/users/{}/reset-two-factor", user.id),
            button: "Reset two-factor sign-in",
        },
    )
}

/// `POST /admin/users/{id}/reset-two-factor`: the secret and recovery codes are deleted
/// and the user's sessions end (audited by the store).
pub async fn reset_two_factor(
    state: web::Data<AppState>,
    viewer: Viewer,
    actor: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    change_user(
        state,
        viewer,
        actor,
        &id,
        "Two-factor sign-in reset",
        users::reset_two_factor,
    )
    .await
}
