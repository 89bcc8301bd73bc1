//! Browser sessions, as rows of `login_sessions`: the cookie holds 256 random bits, the
//! table their SHA-256, so a copy of the database does not hold usable session ids.
//! A session ends after 30 minutes without a request or 12 hours after sign-in, when the
//! user signs out, or when an admin deactivates the user or resets their password.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::users::{actor_columns, actor_from_row, ActorRow};
use super::{now, StoreError};
use crate::db::schema::{login_sessions, organisations, users};
use crate::db::DbConn;
use crate::domain::access::Actor;
use crate::domain::credentials::{random_secret, sha256_hex};
use crate::domain::ids::UserId;
use crate::on_backend;

pub const IDLE_TIMEOUT_MINUTES: i64 = 30;
pub const ABSOLUTE_TIMEOUT_HOURS: i64 = 12;
/// `last_seen_at` is written at most this often, to spare a write per request.
const TOUCH_EVERY_SECONDS: i64 = 60;

/// A new session: the cookie value is shown to the browser once and never stored.
pub struct NewSession {
    pub cookie_value: String,
    pub csrf_token: String,
}

/// Where a session's sign-in stands. Only a `Complete` session reaches the service; the
/// others reach only the page of their next step (and sign-out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Complete,
    /// The password was right; the second factor is asked for next.
    Code,
    /// The password was right; the user must enrol a second factor first.
    Enrol,
    /// An admin set the password: the user must choose a new one.
    Password,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Complete => "complete",
            Stage::Code => "code",
            Stage::Enrol => "enrol",
            Stage::Password => "password",
        }
    }

    fn parse(s: &str) -> Stage {
        match s {
            "code" => Stage::Code,
            "enrol" => Stage::Enrol,
            "password" => Stage::Password,
            _ => Stage::Complete,
        }
    }

    /// The page of this step.
    pub fn page(self) -> &'static str {
        match self {
            Stage::Complete => "/",
            Stage::Code => "/login/two-factor",
            Stage::Enrol => "/account/two-factor",
            Stage::Password => "/account/password",
        }
    }
}

/// Starts a session whose sign-in is complete (the password and any second factor
/// passed).
pub fn create(conn: &mut DbConn, user: UserId) -> Result<NewSession, StoreError> {
    create_at(conn, user, Stage::Complete)
}

/// Starts a session for a user who has just proved their password, at the stage of sign-in
/// it is at. Always a new id (rotation): any session the browser had before is revoked by
/// the caller.
pub fn create_at(conn: &mut DbConn, user: UserId, stage: Stage) -> Result<NewSession, StoreError> {
    let cookie_value = random_secret();
    let csrf_token = random_secret();
    let t = now();
    let values = (
        login_sessions::id_hash.eq(sha256_hex(&cookie_value)),
        login_sessions::user_id.eq(user.0),
        login_sessions::csrf_token.eq(&csrf_token),
        login_sessions::created_at.eq(t),
        login_sessions::last_seen_at.eq(t),
        login_sessions::expires_at.eq(t + Duration::hours(ABSOLUTE_TIMEOUT_HOURS)),
        login_sessions::stage.eq(stage.as_str()),
    );
    on_backend!(conn, |c| diesel::insert_into(login_sessions::table)
        .values(values)
        .execute(c))?;
    Ok(NewSession {
        cookie_value,
        csrf_token,
    })
}

/// A live session and who it belongs to.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub id: i64,
    pub actor: Actor,
    pub csrf_token: String,
    pub flash: Option<String>,
    pub stage: Stage,
}

/// The live session for a cookie value: not revoked, not idle for 30 minutes, not past
/// its 12 hours, and its user active. Refreshes `last_seen_at`.
pub fn find_live(conn: &mut DbConn, cookie_value: &str) -> Result<Option<LiveSession>, StoreError> {
    let t = now();
    #[derive(Queryable)]
    struct Row {
        id: i64,
        csrf_token: String,
        flash: Option<String>,
        last_seen_at: NaiveDateTime,
        stage: String,
        actor: ActorRow,
    }
    let row = login_sessions::table
        .inner_join(users::table.inner_join(organisations::table))
        .filter(login_sessions::id_hash.eq(sha256_hex(cookie_value)))
        .filter(login_sessions::revoked_at.is_null())
        .filter(login_sessions::expires_at.gt(t))
        .filter(login_sessions::last_seen_at.gt(t - Duration::minutes(IDLE_TIMEOUT_MINUTES)))
        .filter(users::active.eq(true))
        .select((
            login_sessions::id,
            login_sessions::csrf_token,
            login_sessions::flash,
            login_sessions::last_seen_at,
            login_sessions::stage,
            actor_columns!(),
        ));
    // `id_hash` is unique.
    let row: Option<Row> = super::unique_row(row, conn)?;
    let Some(Row {
        id,
        csrf_token,
        flash,
        last_seen_at,
        stage,
        actor,
    }) = row
    else {
        return Ok(None);
    };
    if t - last_seen_at > Duration::seconds(TOUCH_EVERY_SECONDS) {
        diesel::update(login_sessions::table.filter(login_sessions::id.eq(id)))
            .set(login_sessions::last_seen_at.eq(t))
            .execute(conn)?;
    }
    Ok(Some(LiveSession {
        id,
        actor: actor_from_row(actor),
        csrf_token,
        flash,
        stage: Stage::parse(&stage),
    }))
}

/// Moves a session to the next stage of its sign-in; `second_factor` records that the
/// second factor was passed (now).
pub fn advance(
    conn: &mut DbConn,
    id: i64,
    stage: Stage,
    second_factor: bool,
) -> Result<(), StoreError> {
    let target = login_sessions::table.filter(login_sessions::id.eq(id));
    diesel::update(target)
        .set(login_sessions::stage.eq(stage.as_str()))
        .execute(conn)?;
    if second_factor {
        diesel::update(target)
            .set(login_sessions::second_factor_at.eq(Some(now())))
            .execute(conn)?;
    }
    Ok(())
}

/// A user's live session, for "Your account".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionInfo {
    pub id: i64,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub second_factor: bool,
}

/// The user's live sessions (complete or not), newest first.
pub fn list_live(conn: &mut DbConn, user: UserId) -> Result<Vec<SessionInfo>, StoreError> {
    let t = now();
    let rows: Vec<(i64, NaiveDateTime, NaiveDateTime, Option<NaiveDateTime>)> =
        login_sessions::table
            .filter(login_sessions::user_id.eq(user.0))
            .filter(login_sessions::revoked_at.is_null())
            .filter(login_sessions::expires_at.gt(t))
            .filter(login_sessions::last_seen_at.gt(t - Duration::minutes(IDLE_TIMEOUT_MINUTES)))
            .order(login_sessions::id.desc())
            .select((
                login_sessions::id,
                login_sessions::created_at,
                login_sessions::last_seen_at,
                login_sessions::second_factor_at,
            ))
            .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, created_at, last_seen_at, sf)| SessionInfo {
            id,
            created_at,
            last_seen_at,
            second_factor: sf.is_some(),
        })
        .collect())
}

/// Ends one of the user's own sessions; `NotFound` when it is not theirs.
pub fn revoke_own(conn: &mut DbConn, user: UserId, id: i64) -> Result<(), StoreError> {
    let n = diesel::update(
        login_sessions::table
            .filter(login_sessions::id.eq(id))
            .filter(login_sessions::user_id.eq(user.0))
            .filter(login_sessions::revoked_at.is_null()),
    )
    .set(login_sessions::revoked_at.eq(now()))
    .execute(conn)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Ends a session (sign-out, or rotation at sign-in).
pub fn revoke(conn: &mut DbConn, id: i64) -> Result<(), StoreError> {
    diesel::update(
        login_sessions::table
            .filter(login_sessions::id.eq(id))
            .filter(login_sessions::revoked_at.is_null()),
    )
    .set(login_sessions::revoked_at.eq(now()))
    .execute(conn)?;
    Ok(())
}

/// Ends the session a cookie value names, if any (rotation at sign-in).
pub fn revoke_by_cookie(conn: &mut DbConn, cookie_value: &str) -> Result<(), StoreError> {
    diesel::update(
        login_sessions::table
            .filter(login_sessions::id_hash.eq(sha256_hex(cookie_value)))
            .filter(login_sessions::revoked_at.is_null()),
    )
    .set(login_sessions::revoked_at.eq(now()))
    .execute(conn)?;
    Ok(())
}

/// A one-off message for the next page (POST/redirect/GET). Not personal data.
pub fn set_flash(conn: &mut DbConn, id: i64, message: &str) -> Result<(), StoreError> {
    diesel::update(login_sessions::table.filter(login_sessions::id.eq(id)))
        .set(login_sessions::flash.eq(Some(message)))
        .execute(conn)?;
    Ok(())
}

pub fn clear_flash(conn: &mut DbConn, id: i64) -> Result<(), StoreError> {
    diesel::update(
        login_sessions::table
            .filter(login_sessions::id.eq(id))
            .filter(login_sessions::flash.is_not_null()),
    )
    .set(login_sessions::flash.eq(None::<String>))
    .execute(conn)?;
    Ok(())
}

/// Deletes sessions that ended more than a day ago (housekeeping at sign-in).
pub fn purge_expired(conn: &mut DbConn) -> Result<usize, StoreError> {
    let cutoff = now() - Duration::days(1);
    Ok(diesel::delete(
        login_sessions::table.filter(
            login_sessions::expires_at
                .lt(cutoff)
                .or(login_sessions::revoked_at.lt(cutoff)),
        ),
    )
    .execute(conn)?)
}
