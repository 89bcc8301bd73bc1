//! Users: accounts with a role and an organisation, their password hashes, and the
//! lock-out counter. Every change is audited (field names only) in the same transaction.

use diesel::prelude::*;
use serde::Serialize;

use super::audit::{self, NewEvent};
use super::{now, write_transaction, StoreError};
use crate::db::schema::{login_sessions, organisations, users};
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

type UserRow = (
    i64,
    String,
    String,
    String,
    i64,
    String,
    bool,
    Option<chrono::NaiveDateTime>,
);

fn bad_value(e: crate::domain::enums::UnknownValue) -> StoreError {
    StoreError::Database(diesel::result::Error::DeserializationError(e.into()))
}

fn user_from_row(row: UserRow) -> Result<User, StoreError> {
    let (id, email, display_name, role, org, org_name, active, locked_at) = row;
    Ok(User {
        id: UserId(id),
        email,
        display_name,
        role: role.parse().map_err(bad_value)?,
        organisation_id: OrganisationId(org),
        organisation_name: org_name,
        active,
        locked: locked_at.is_some(),
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
pub(crate) type ActorRow = (i64, String, String, i64, String, String);

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

pub(crate) fn actor_from_row(row: ActorRow) -> Result<Actor, StoreError> {
    let (id, display_name, role, org, kind, org_name) = row;
    Ok(Actor {
        user_id: UserId(id),
        role: role.parse().map_err(bad_value)?,
        organisation_id: OrganisationId(org),
        organisation_kind: kind.parse::<OrganisationKind>().map_err(bad_value)?,
        display_name,
        organisation_name: org_name,
    })
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
        let kind: String = organisations::table
            .filter(organisations::id.eq(new.organisation_id.0))
            .select(organisations::kind)
            .first(conn)
            .map_err(StoreError::from_query)?;
        let kind: OrganisationKind = kind.parse().map_err(bad_value)?;
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
}

pub fn credentials(conn: &mut DbConn, email: &Email) -> Result<Option<Credentials>, StoreError> {
    let row: Option<(ActorRow, String, bool, Option<chrono::NaiveDateTime>)> = users::table
        .inner_join(organisations::table)
        .filter(users::email.eq(email.as_str()))
        .select((
            actor_columns!(),
            users::password_hash,
            users::active,
            users::locked_at,
        ))
        .first(conn)
        .optional()?;
    row.map(|(a, hash, active, locked_at)| {
        Ok(Credentials {
            actor: actor_from_row(a)?,
            password_hash: hash,
            active,
            locked: locked_at.is_some(),
        })
    })
    .transpose()
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
pub fn deactivate(conn: &mut DbConn, id: UserId, by: Option<&Actor>) -> Result<(), StoreError> {
    write_transaction(conn, |conn| {
        exists(conn, id)?;
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

/// Sets a new password (an admin reset): clears the lock and ends the user's sessions.
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
                users::updated_at.eq(now()),
            ))
            .execute(conn)?;
        end_sessions(conn, id)?;
        audit::record(
            conn,
            NewEvent::new(AuditAction::Update, "user")
                .by(by)
                .entity_id(id)
                .fields(&["password_hash", "failed_logins", "locked_at"])
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
    let rows: Vec<(i64, String, String, String)> = users::table
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
    for (id, role, org, kind) in rows {
        let role: Role = role.parse().map_err(bad_value)?;
        let kind: OrganisationKind = kind.parse().map_err(bad_value)?;
        if let Err(message) = crate::domain::enums::check_role_fits(role, kind) {
            out.push(RoleMisfit {
                user_id: UserId(id),
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
