//! Sign-in attempts, for throttling per account and per client address. Both are stored
//! as keyed hashes (`credentials::keyed_hash`), never the email typed or the address.

use chrono::Duration;
use diesel::prelude::*;

use super::{now, StoreError};
use crate::db::schema::login_attempts;
use crate::db::DbConn;

/// The window the throttling limits count over.
pub const WINDOW_MINUTES: i64 = 15;

pub fn record(
    conn: &mut DbConn,
    account_key: &str,
    client_key: &str,
    succeeded: bool,
) -> Result<(), StoreError> {
    diesel::insert_into(login_attempts::table)
        .values((
            login_attempts::account_key.eq(account_key),
            login_attempts::client_addr.eq(client_key),
            login_attempts::succeeded.eq(succeeded),
            login_attempts::attempted_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Failed attempts from a client in the window.
pub fn recent_failures_from(conn: &mut DbConn, client_key: &str) -> Result<i64, StoreError> {
    Ok(login_attempts::table
        .filter(login_attempts::client_addr.eq(client_key))
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::attempted_at.gt(now() - Duration::minutes(WINDOW_MINUTES)))
        .count()
        .get_result(conn)?)
}

/// Failed attempts on an account key in the window (also for emails with no account).
pub fn recent_failures_for(conn: &mut DbConn, account_key: &str) -> Result<i64, StoreError> {
    Ok(login_attempts::table
        .filter(login_attempts::account_key.eq(account_key))
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::attempted_at.gt(now() - Duration::minutes(WINDOW_MINUTES)))
        .count()
        .get_result(conn)?)
}

/// When the latest failed attempt on an account key was, if one is in the window.
pub fn latest_failure_for(
    conn: &mut DbConn,
    account_key: &str,
) -> Result<Option<chrono::NaiveDateTime>, StoreError> {
    Ok(login_attempts::table
        .filter(login_attempts::account_key.eq(account_key))
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::attempted_at.gt(now() - Duration::minutes(WINDOW_MINUTES)))
        .select(diesel::dsl::max(login_attempts::attempted_at))
        .first::<Option<chrono::NaiveDateTime>>(conn)?)
}

/// Deletes attempts older than a day (housekeeping).
pub fn purge_old(conn: &mut DbConn) -> Result<usize, StoreError> {
    Ok(diesel::delete(
        login_attempts::table.filter(login_attempts::attempted_at.lt(now() - Duration::days(1))),
    )
    .execute(conn)?)
}

/// Forgets an account's failed attempts: an admin's unlock or password reset takes
/// effect at once (finding L1).
pub fn clear_failures_for(conn: &mut DbConn, account_key: &str) -> Result<usize, StoreError> {
    Ok(diesel::delete(
        login_attempts::table
            .filter(login_attempts::account_key.eq(account_key))
            .filter(login_attempts::succeeded.eq(false)),
    )
    .execute(conn)?)
}
