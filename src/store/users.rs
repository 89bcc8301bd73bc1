//! Users: accounts with a role and an organisation, their password hashes, and the
//! lock-out counter. Every change is audited (field names only) in the same transaction.

use diesel::prelude::*;
use serde::Serialize;

use super::audit::{self, NewEvent};
use super::{now, write_transaction, StoreError};
use crate::db::schema::{login_sessions, organisations, recovery_codes, users};
use crate::db::DbConn;
use crate::domain::access::Actor;
use crate::domain::credentials::Email;
use crate::domain::enums::{AuditAction, OrganisationKind, Role};
use crate::domain::ids::{OrganisationId, UserId};
use crate::on_backend;

/// Wrong passwords in a row that lock an account until an admin unlocks it.
pub const LOCK_AFTER_FAILURES: i32 = 10;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub active: bool,
    pub locked: bool,
}

/// A user as `user_columns!` reads it.
#[derive(Queryable)]
struct UserRow {
    id: UserId,
    email: String,
    display_name: String,
    role: Role,
    organisation_id: OrganisationId,
    organisation_name: String,
    active: bool,
    locked_at: Option<chrono::NaiveDateTime>,
}

fn user_from_row(row: UserRow) -> Result<User, StoreError> {
    Ok(User {
        id: row.id,
        email: row.email,
        display_name: row.display_name,
        role: row.role,
        organisation_id: row.organisation_id,
        organisation_name: row.organisation_name,
        active: row.active,
        locked: row.locked_at.is_some(),
    })
}

macro_rules! user_columns {
    () => {
        (
            users::id,
            users::email,
            users::display_name,
            users::role,
            users::organisation_id,
            organisations::name,
            users::active,
            users::locked_at,
        )
    };
}

/// The columns that make an `Actor`, for session and token look-ups joined to users.
#[derive(Queryable)]
pub(crate) struct ActorRow {
    user_id: UserId,
    display_name: String,
    role: Role,
    organisation_id: OrganisationId,
    organisation_kind: OrganisationKind,
    organisation_name: String,
}

macro_rules! actor_columns {
    () => {
        (
            $crate::db::schema::users::id,
            $crate::db::schema::users::display_name,
            $crate::db::schema::users::role,
            $crate::db::schema::users::organisation_id,
            $crate::db::schema::organisations::kind,
            $crate::db::schema::organisations::name,
        )
    };
}
pub(crate) use actor_columns;

pub(crate) fn actor_from_row(row: ActorRow) -> Actor {
    Actor {
        user_id: row.user_id,
        role: row.role,
        organisation_id: row.organisation_id,
        organisation_kind: row.organisation_kind,
        display_name: row.display_name,
        organisation_name: row.organisation_name,
    }
}

pub struct NewUser<'a> {
    pub email: &'a Email,
    pub display_name: &'a str,
    pub role: Role,
    pub organisation_id: OrganisationId,
    /// Argon2id PHC string (`NewPassword::hash`).
    pub password_hash: String,
}

/// Adds a user; an email already in use is `Duplicate`, a role that does not fit the
/// organisation's kind is `Refused` naming the roles allowed there, and an organisation
/// that does not exist is `NotFound`.
pub fn create(conn: &mut DbConn, new: NewUser<'_>, by: Option<&Actor>) -> Result<User, StoreError> {
    write_transaction(conn, |conn| {
        let kind: OrganisationKind = organisations::table
            .filter(organisations::id.eq(new.organisation_id.0))
            .select(organisations::kind)
            .first(conn)
            .map_err(StoreError::from_query)?;
        crate::domain::enums::check_role_fits(new.role, kind).map_err(StoreError::Refused)?;
        let t = now();
        let display_name = match new.display_name.trim() {
            "" => new.email.as_str().split('@').next().unwrap_or_default(),
            name => name,
        };
        let values = (
            users::email.eq(new.email.as_str()),
            users::display_name.eq(display_name),
            users::role.eq(new.role.as_str()),
            users::organisation_id.eq(new.organisation_id.0),
            users::password_hash.eq(&new.password_hash),
            users::active.eq(true),
            users::failed_logins.eq(0),
            users::created_at.eq(t),
            users::updated_at.eq(t),
        );
        let id: i64 = on_backend!(conn, |c| diesel::insert_into(users::table)
            .values(values)
            .returning(users::id)
            .get_result(c))
        .map_err(|e| StoreError::from_insert(e, "a user with that email address"))?;
        audit::record(
            conn,
            NewEvent::new(AuditAction::Create, "user")
                .by(by)
                .entity_id(id)
                .fields(&[
                    "email",
                    "display_name",
                    "role",
                    "organisation_id",
                    "password_hash",
                ])
                .detail(format!(
                    "role={} organisation_id={}",
                    new.role, new.organisation_id
                )),
        )?;
        find(conn, UserId(id))
    })
}

pub fn find(conn: &mut DbConn, id: UserId) -> Result<User, StoreError> {
    users::table
        .inner_join(organisations::table)
        .filter(users::id.eq(id.0))
        .select(user_columns!())
        .first::<UserRow>(conn)
        .map_err(StoreError::from_query)
        .and_then(user_from_row)
}

pub fn find_by_email(conn: &mut DbConn, email: &Email) -> Result<Option<User>, StoreError> {
    users::table
        .inner_join(organisations::table)
        .filter(users::email.eq(email.as_str()))
        .select(user_columns!())
        .first::<UserRow>(conn)
        .optional()?
        .map(user_from_row)
        .transpose()
}

/// What sign-in needs: the user as an actor, the password hash, and whether the account
/// may sign in at all.
pub struct Credentials {
    pub actor: Actor,
    pub password_hash: String,
    pub active: bool,
    pub locked: bool,
    /// A second factor is enrolled: sign-in asks for a code.
    pub two_factor: bool,
    /// An admin set the password: sign-in asks for a new one.
    pub must_change_password: bool,
}

pub fn credentials(conn: &mut DbConn, email: &Email) -> Result<Option<Credentials>, StoreError> {
    #[derive(Queryable)]
    struct Row {
        actor: ActorRow,
        password_hash: String,
        active: bool,
        locked_at: Option<chrono::NaiveDateTime>,
        totp_enabled_at: Option<chrono::NaiveDateTime>,
        must_change_password: bool,
    }
    let row: Option<Row> = users::table
        .inner_join(organisations::table)
        .filter(users::email.eq(email.as_str()))
        .select((
            actor_columns!(),
            users::password_hash,
            users::active,
            users::locked_at,
            users::totp_enabled_at,
            users::must_change_password,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|r| Credentials {
        actor: actor_from_row(r.actor),
        password_hash: r.password_hash,
        active: r.active,
        locked: r.locked_at.is_some(),
        two_factor: r.totp_enabled_at.is_some(),
        must_change_password: r.must_change_password,
    }))
}

/// The password hash and the flags sign-in needs, by id (for "Your account").
pub fn password_hash(conn: &mut DbConn, id: UserId) -> Result<String, StoreError> {
    users::table
        .filter(users::id.eq(id.0))
        .select(users::password_hash)
        .first(conn)
        .map_err(StoreError::from_query)
}

/// Whether the user must choose a new password (an admin set it).
pub fn must_change_password(conn: &mut DbConn, id: UserId) -> Result<bool, StoreError> {
    users::table
        .filter(users::id.eq(id.0))
        .select(users::must_change_password)
        .first(conn)
        .map_err(StoreError::from_query)
}

/// Marks a password as set by an admin (a user added on the admin page or by the command
/// line with a generated password): the next sign-in asks for a new one.
pub fn require_password_change(conn: &mut DbConn, id: UserId) -> Result<(), StoreError> {
    diesel::update(users::table.filter(users::id.eq(id.0)))
        .set(users::must_change_password.eq(true))
        .execute(conn)?;
    Ok(())
}

/// A user changes their own password: the other sessions end (the one in use stays).
pub fn change_own_password(
    conn: &mut DbConn,
    actor: &Actor,
    password_hash: &str,
    keep_session: i64,
) -> Result<(), StoreError> {
    write_transaction(conn, |conn| {
        diesel::update(users::table.filter(users::id.eq(actor.user_id.0)))
            .set((
                users::password_hash.eq(password_hash),
                users::must_change_password.eq(false),
                users::updated_at.eq(now()),
            ))
            .execute(conn)?;
        diesel::update(
            login_sessions::table
                .filter(login_sessions::user_id.eq(actor.user_id.0))
                .filter(login_sessions::id.ne(keep_session))
                .filter(login_sessions::revoked_at.is_null()),
        )
        .set(login_sessions::revoked_at.eq(now()))
        .execute(conn)?;
        audit::record(
            conn,
            NewEvent::new(AuditAction::Update, "user")
                .by(Some(actor))
                .entity_id(actor.user_id)
                .fields(&["password_hash", "must_change_password"])
                .detail("password changed by the user"),
        )?;
        Ok(())
    })
}

/// A user's second factor as stored: the sealed secret (`domain::two_factor::seal`),
/// whether the enrolment is complete, and the last time step accepted.
#[derive(Debug, Clone, Default)]
pub struct TwoFactor {
    pub sealed_secret: Option<String>,
    pub enabled: bool,
    pub last_step: Option<i64>,
    pub recovery_codes_left: i64,
}

pub fn two_factor(conn: &mut DbConn, id: UserId) -> Result<TwoFactor, StoreError> {
    let (sealed_secret, enabled_at, last_step): (
        Option<String>,
        Option<chrono::NaiveDateTime>,
        Option<i64>,
    ) = users::table
        .filter(users::id.eq(id.0))
        .select((
            users::totp_secret,
            users::totp_enabled_at,
            users::totp_last_step,
        ))
        .first(conn)
        .map_err(StoreError::from_query)?;
    let recovery_codes_left = recovery_codes::table
        .filter(recovery_codes::user_id.eq(id.0))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(TwoFactor {
        sealed_secret,
        enabled: enabled_at.is_some(),
        last_step,
        recovery_codes_left,
    })
}

/// Keeps a new, not yet confirmed secret (an enrolment begun). Never replaces an enrolled
/// one.
pub fn begin_enrolment(conn: &mut DbConn, id: UserId, sealed: &str) -> Result<(), StoreError> {
    diesel::update(
        users::table
            .filter(users::id.eq(id.0))
            .filter(users::totp_enabled_at.is_null()),
    )
    .set(users::totp_secret.eq(Some(sealed)))
    .execute(conn)?;
    Ok(())
}

/// Completes an enrolment: the code for `step` was right. Replaces any recovery codes
/// with these hashes.
pub fn complete_enrolment(
    conn: &mut DbConn,
    actor: &Actor,
    step: i64,
    recovery_hashes: &[String],
) -> Result<(), StoreError> {
    write_transaction(conn, |conn| {
        let id = actor.user_id;
        let t = now();
        diesel::update(users::table.filter(users::id.eq(id.0)))
            .set((
                users::totp_enabled_at.eq(Some(t)),
                users::totp_last_step.eq(Some(step)),
                users::updated_at.eq(t),
            ))
            .execute(conn)?;
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(id.0)))
            .execute(conn)?;
        for hash in recovery_hashes {
            diesel::insert_into(recovery_codes::table)
                .values((
                    recovery_codes::user_id.eq(id.0),
                    recovery_codes::code_hash.eq(hash),
                    recovery_codes::created_at.eq(t),
                ))
                .execute(conn)?;
        }
        audit::record(
            conn,
            NewEvent::new(AuditAction::Update, "user")
                .by(Some(actor))
                .entity_id(id)
                .fields(&["totp_secret", "totp_enabled_at", "recovery_codes"])
                .detail("second factor enrolled"),
        )?;
        Ok(())
    })
}

/// Records that the code of `step` was used; false when it (or a later one) already was,
/// so two requests racing with one code cannot both pass.
pub fn accept_step(conn: &mut DbConn, id: UserId, step: i64) -> Result<bool, StoreError> {
    let n = diesel::update(
        users::table.filter(users::id.eq(id.0)).filter(
            users::totp_last_step
                .is_null()
                .or(users::totp_last_step.lt(step)),
        ),
    )
    .set(users::totp_last_step.eq(Some(step)))
    .execute(conn)?;
    Ok(n == 1)
}

/// The user's unused recovery codes: (id, Argon2id hash).
pub fn unused_recovery_codes(
    conn: &mut DbConn,
    id: UserId,
) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(recovery_codes::table
        .filter(recovery_codes::user_id.eq(id.0))
        .filter(recovery_codes::used_at.is_null())
        .order(recovery_codes::id)
        .select((recovery_codes::id, recovery_codes::code_hash))
        .load(conn)?)
}

/// Uses a recovery code up; false when it was already used.
pub fn use_recovery_code(conn: &mut DbConn, code_id: i64) -> Result<bool, StoreError> {
    let n = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::id.eq(code_id))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(Some(now())))
    .execute(conn)?;
    Ok(n == 1)
}

/// An admin resets a user's second factor: the secret and recovery codes are deleted and
/// the user's sessions end; their next sign-in enrols again (when their role requires it).
pub fn reset_two_factor(
    conn: &mut DbConn,
    id: UserId,
    by: Option<&Actor>,
) -> Result<(), StoreError> {
    write_transaction(conn, |conn| {
        exists(conn, id)?;
        diesel::update(users::table.filter(users::id.eq(id.0)))
            .set((
                users::totp_secret.eq(None::<String>),
                users::totp_enabled_at.eq(None::<chrono::NaiveDateTime>),
                users::totp_last_step.eq(None::<i64>),
                users::updated_at.eq(now()),
            ))
            .execute(conn)?;
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(id.0)))
            .execute(conn)?;
        end_sessions(conn, id)?;
        audit::record(
            conn,
            NewEvent::new(AuditAction::Update, "user")
                .by(by)
                .entity_id(id)
                .fields(&["totp_secret", "totp_enabled_at", "recovery_codes"])
                .detail("second factor reset"),
        )?;
        Ok(())
    })
}

/// Every user, by organisation and email, for the admin page.
pub fn list(conn: &mut DbConn) -> Result<Vec<User>, StoreError> {
    users::table
        .inner_join(organisations::table)
        .order((organisations::name, users::email))
        .select(user_columns!())
        .load::<UserRow>(conn)?
        .into_iter()
        .map(user_from_row)
        .collect()
}

fn end_sessions(conn: &mut DbConn, id: UserId) -> Result<usize, StoreError> {
    Ok(diesel::update(
        login_sessions::table
            .filter(login_sessions::user_id.eq(id.0))
            .filter(login_sessions::revoked_at.is_null()),
    )
    .set(login_sessions::revoked_at.eq(now()))
    .execute(conn)?)
}

fn exists(conn: &mut DbConn, id: UserId) -> Result<(), StoreError> {
    let n: i64 = users::table
        .filter(users::id.eq(id.0))
        .count()
        .get_result(conn)?;
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Deactivates a user: they can no longer sign in, their sessions end and their tokens
/// stop working (token look-ups require an active user).
/// Refused for the admin doing it (ask another admin) and for the last active admin, so
/// that the service is never left without one.
pub fn deactivate(conn: &mut DbConn, id: UserId, by: Option<&Actor>) -> Result<(), StoreError> {
    write_transaction(conn, |conn| {
        let user = find(conn, id)?;
        if by.is_some_and(|a| a.user_id == id) {
            return Err(StoreError::Refused(
                "You cannot deactivate your own account: ask another admin".into(),
            ));
        }
        if user.active && user.role == Role::Admin {
            let active_admins: i64 = users::table
                .filter(users::role.eq(Role::Admin.as_str()))
                .filter(users::active.eq(true))
                .count()
                .get_result(conn)?;
            if active_admins <= 1 {
                return Err(StoreError::Refused(format!(
                    "{} is the last active admin: add another admin first",
                    user.email
                )));
            }
        }
        diesel::update(users::table.filter(users::id.eq(id.0)))
            .set((users::active.eq(false), users::updated_at.eq(now())))
            .execute(conn)?;
        end_sessions(conn, id)?;
        audit::record(
            conn,
            NewEvent::new(AuditAction::Update, "user")
                .by(by)
                .entity_id(id)
                .fields(&["active"])
                .detail("deactivated"),
        )?;
        Ok(())
    })
}

/// Reactivates a deactivated user.
pub fn reactivate(conn: &mut DbConn, id: UserId, by: Option<&Actor>) -> Result<(), StoreError> {
    write_transaction(conn, |conn| {
        exists(conn, id)?;
        diesel::update(users::table.filter(users::id.eq(id.0)))
            .set((users::active.eq(true), users::updated_at.eq(now())))
            .execute(conn)?;
        audit::record(
            conn,
            NewEvent::new(AuditAction::Update, "user")
                .by(by)
                .entity_id(id)
                .fields(&["active"])
                .detail("reactivated"),
        )?;
        Ok(())
    })
}

/// Sets a new password (an admin reset): clears the lock, ends the user's sessions, and
/// makes the next sign-in ask for a new password.
pub fn set_password(
    conn: &mut DbConn,
    id: UserId,
    password_hash: &str,
    by: Option<&Actor>,
) -> Result<(), StoreError> {
    write_transaction(conn, |conn| {
        exists(conn, id)?;
        diesel::update(users::table.filter(users::id.eq(id.0)))
            .set((
                users::password_hash.eq(password_hash),
                users::failed_logins.eq(0),
                users::locked_at.eq(None::<chrono::NaiveDateTime>),
                users::must_change_password.eq(true),
                users::updated_at.eq(now()),
            ))
            .execute(conn)?;
        end_sessions(conn, id)?;
        audit::record(
            conn,
            NewEvent::new(AuditAction::Update, "user")
                .by(by)
                .entity_id(id)
                .fields(&[
                    "password_hash",
                    "failed_logins",
                    "locked_at",
                    "must_change_password",
                ])
                .detail("password reset"),
        )?;
        Ok(())
    })
}

/// Clears a lock-out.
pub fn unlock(conn: &mut DbConn, id: UserId, by: Option<&Actor>) -> Result<(), StoreError> {
    write_transaction(conn, |conn| {
        exists(conn, id)?;
        diesel::update(users::table.filter(users::id.eq(id.0)))
            .set((
                users::failed_logins.eq(0),
                users::locked_at.eq(None::<chrono::NaiveDateTime>),
                users::updated_at.eq(now()),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            NewEvent::new(AuditAction::Unlock, "user")
                .by(by)
                .entity_id(id)
                .fields(&["failed_logins", "locked_at"]),
        )?;
        Ok(())
    })
}

/// Counts a wrong password; the `LOCK_AFTER_FAILURES`th in a row locks the account.
/// Returns whether this failure locked it. Runs inside the caller's transaction.
pub fn count_failure(conn: &mut DbConn, id: UserId) -> Result<bool, StoreError> {
    let (failures, locked_at): (i32, Option<chrono::NaiveDateTime>) = users::table
        .filter(users::id.eq(id.0))
        .select((users::failed_logins, users::locked_at))
        .first(conn)?;
    let failures = failures.saturating_add(1);
    let lock_now = failures >= LOCK_AFTER_FAILURES && locked_at.is_none();
    diesel::update(users::table.filter(users::id.eq(id.0)))
        .set(users::failed_logins.eq(failures))
        .execute(conn)?;
    if lock_now {
        diesel::update(users::table.filter(users::id.eq(id.0)))
            .set(users::locked_at.eq(Some(now())))
            .execute(conn)?;
    }
    Ok(lock_now)
}

/// A successful sign-in ends the run of failures.
pub fn clear_failures(conn: &mut DbConn, id: UserId) -> Result<(), StoreError> {
    diesel::update(
        users::table
            .filter(users::id.eq(id.0))
            .filter(users::failed_logins.ne(0)),
    )
    .set(users::failed_logins.eq(0))
    .execute(conn)?;
    Ok(())
}

/// A user whose role does not fit their organisation's kind (made before the rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleMisfit {
    pub user_id: UserId,
    pub role: Role,
    pub organisation_name: String,
    pub kind: OrganisationKind,
    /// Why, naming the roles allowed there.
    pub message: String,
}

/// Every user whose role does not fit their organisation's kind, for `outcomes doctor`.
pub fn role_misfits(conn: &mut DbConn) -> Result<Vec<RoleMisfit>, StoreError> {
    let rows: Vec<(UserId, Role, String, OrganisationKind)> = users::table
        .inner_join(organisations::table)
        .order(users::id)
        .select((
            users::id,
            users::role,
            organisations::name,
            organisations::kind,
        ))
        .load(conn)?;
    let mut out = Vec::new();
    for (user_id, role, org, kind) in rows {
        if let Err(message) = crate::domain::enums::check_role_fits(role, kind) {
            out.push(RoleMisfit {
                user_id,
                role,
                organisation_name: org,
                kind,
                message,
            });
        }
    }
    Ok(out)
}

/// Whether any user exists (for first-run hints).
pub fn any(conn: &mut DbConn) -> Result<bool, StoreError> {
    let n: i64 = users::table.count().get_result(conn)?;
    Ok(n > 0)
}
