//! API tokens: `Authorization: Bearer otk_...`. Stored as SHA-256 (a token is 256 random
//! bits, so no slow hash is needed); shown once when created. A token acts with its
//! user's role and organisation, and stops working when revoked or the user is inactive.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::audit::{self, NewEvent};
use super::users::{actor_columns, actor_from_row, ActorRow};
use super::{now, write_transaction, StoreError};
use crate::db::schema::{api_tokens, organisations, users};
use crate::db::DbConn;
use crate::domain::access::Actor;
use crate::domain::credentials::{generate_token, sha256_hex};
use crate::domain::enums::AuditAction;
use crate::domain::ids::UserId;
use crate::on_backend;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenInfo {
    pub id: i64,
    pub user_id: i64,
    pub label: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked: bool,
    /// When it stops working, if it was given an expiry.
    pub expires_at: Option<NaiveDateTime>,
}

impl TokenInfo {
    /// Whether it still works (not revoked, not expired).
    pub fn live(&self) -> bool {
        !self.revoked && self.expires_at.is_none_or(|e| e > now())
    }
}

/// Issues a token for a user, without expiry; returns its id and the token itself (shown
/// once).
pub fn create(
    conn: &mut DbConn,
    user: UserId,
    label: &str,
    by: Option<&Actor>,
) -> Result<(i64, String), StoreError> {
    create_expiring(conn, user, label, None, by)
}

/// Issues a token that stops working at `expires_at` (none: never).
pub fn create_expiring(
    conn: &mut DbConn,
    user: UserId,
    label: &str,
    expires_at: Option<NaiveDateTime>,
    by: Option<&Actor>,
) -> Result<(i64, String), StoreError> {
    let token = generate_token();
    write_transaction(conn, |conn| {
        let values = (
            api_tokens::user_id.eq(user.0),
            api_tokens::token_hash.eq(sha256_hex(&token)),
            api_tokens::label.eq(label.trim()),
            api_tokens::created_at.eq(now()),
            api_tokens::expires_at.eq(expires_at),
        );
        let id: i64 = on_backend!(conn, |c| diesel::insert_into(api_tokens::table)
            .values(values)
            .returning(api_tokens::id)
            .get_result(c))?;
        audit::record(
            conn,
            NewEvent::new(AuditAction::Create, "api_token")
                .by(by)
                .entity_id(id)
                .fields(&["user_id", "token_hash", "label", "expires_at"])
                .detail(match expires_at {
                    Some(e) => format!("user_id={user} expires_at={}", e.format("%Y-%m-%d %H:%M")),
                    None => format!("user_id={user}"),
                }),
        )?;
        Ok(id)
    })
    .map(|id| (id, token))
}

/// The actor a bearer token acts for, if it is live (not revoked, not expired) and its
/// user active.
pub fn find_actor(conn: &mut DbConn, token: &str) -> Result<Option<(i64, Actor)>, StoreError> {
    let row = api_tokens::table
        .inner_join(users::table.inner_join(organisations::table))
        .filter(api_tokens::token_hash.eq(sha256_hex(token)))
        .filter(api_tokens::revoked_at.is_null())
        .filter(
            api_tokens::expires_at
                .is_null()
                .or(api_tokens::expires_at.gt(now())),
        )
        .filter(users::active.eq(true))
        .select((api_tokens::id, api_tokens::last_used_at, actor_columns!()));
    // `token_hash` is unique.
    let row: Option<(i64, Option<NaiveDateTime>, ActorRow)> = super::unique_row(row, conn)?;
    let Some((id, last_used, actor)) = row else {
        return Ok(None);
    };
    let t = now();
    if last_used.is_none_or(|u| t - u > Duration::minutes(1)) {
        diesel::update(api_tokens::table.filter(api_tokens::id.eq(id)))
            .set(api_tokens::last_used_at.eq(Some(t)))
            .execute(conn)?;
    }
    Ok(Some((id, actor_from_row(actor))))
}

/// Revokes a token; revoking twice is harmless.
pub fn revoke(conn: &mut DbConn, id: i64, by: Option<&Actor>) -> Result<(), StoreError> {
    write_transaction(conn, |conn| {
        let n: i64 = api_tokens::table
            .filter(api_tokens::id.eq(id))
            .count()
            .get_result(conn)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        diesel::update(
            api_tokens::table
                .filter(api_tokens::id.eq(id))
                .filter(api_tokens::revoked_at.is_null()),
        )
        .set(api_tokens::revoked_at.eq(Some(now())))
        .execute(conn)?;
        audit::record(
            conn,
            NewEvent::new(AuditAction::Update, "api_token")
                .by(by)
                .entity_id(id)
                .fields(&["revoked_at"])
                .detail("revoked"),
        )?;
        Ok(())
    })
}

/// A token as `token_columns!` reads it.
#[derive(Queryable)]
struct TokenRow {
    id: i64,
    user_id: i64,
    label: String,
    created_at: NaiveDateTime,
    last_used_at: Option<NaiveDateTime>,
    revoked_at: Option<NaiveDateTime>,
    expires_at: Option<NaiveDateTime>,
}

fn token_from_row(row: TokenRow) -> TokenInfo {
    TokenInfo {
        id: row.id,
        user_id: row.user_id,
        label: row.label,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        revoked: row.revoked_at.is_some(),
        expires_at: row.expires_at,
    }
}

macro_rules! token_columns {
    () => {
        (
            api_tokens::id,
            api_tokens::user_id,
            api_tokens::label,
            api_tokens::created_at,
            api_tokens::last_used_at,
            api_tokens::revoked_at,
            api_tokens::expires_at,
        )
    };
}

/// Every token (never the token itself), newest first, for the admin page.
pub fn list(conn: &mut DbConn) -> Result<Vec<TokenInfo>, StoreError> {
    let rows: Vec<TokenRow> = api_tokens::table
        .order(api_tokens::id.desc())
        .select(token_columns!())
        .load(conn)?;
    Ok(rows.into_iter().map(token_from_row).collect())
}

/// One user's tokens, newest first, for "Your account".
pub fn list_for(conn: &mut DbConn, user: UserId) -> Result<Vec<TokenInfo>, StoreError> {
    let rows: Vec<TokenRow> = api_tokens::table
        .filter(api_tokens::user_id.eq(user.0))
        .order(api_tokens::id.desc())
        .select(token_columns!())
        .load(conn)?;
    Ok(rows.into_iter().map(token_from_row).collect())
}

/// The user whose token this is (`NotFound` when there is none).
pub fn owner(conn: &mut DbConn, id: i64) -> Result<UserId, StoreError> {
    api_tokens::table
        .filter(api_tokens::id.eq(id))
        .select(api_tokens::user_id)
        .first(conn)
        .map(UserId)
        .map_err(StoreError::from_query)
}
