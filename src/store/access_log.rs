//! The access log: who looked at which participant (a participant or referral page, or a
//! participant-level API read), for the participant's access history and for the DPO.
//!
//! It is kept apart from the audit trail on purpose. An audit event costs a write under
//! the trail's append lock (an advisory lock on PostgreSQL, the database's write lock on
//! SQLite) and shows in the record's history and on the admin audit page; views outnumber
//! changes many times over, and would bury both. The log has the same keyed integrity:
//! every entry carries the previous entry's hash and its own HMAC-SHA256 under the audit
//! key (with a label of its own, so an entry can never pass for an audit event), ids are
//! consecutive, and `outcomes audit verify` walks it after the audit trail.
//!
//! The participant is named by `subject`, a keyed hash of their id, never the id or the
//! reference in clear: the log names nobody to someone without the key, and an erasure
//! (which deletes the participant) leaves the chain whole.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::audit::{installed_key, ChainProblem, Verification, GENESIS_HASH};
use super::{in_transaction, now, write_transaction, StoreError};
use crate::db::schema::{access_log, users};
use crate::db::DbConn;
use crate::domain::access::Actor;
use crate::domain::enums::{AccessPage, Role};
use crate::domain::ids::ParticipantId;

/// Key of the PostgreSQL advisory lock that serializes appends ("access" in ASCII).
const PG_ACCESS_LOCK: i64 = 0x6163_6365_7373;

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct AccessEntry {
    pub id: i64,
    pub occurred_at: NaiveDateTime,
    pub user_id: Option<i64>,
    pub organisation_id: Option<i64>,
    pub role: String,
    pub subject: String,
    pub page: String,
    pub prev_hash: String,
    pub hash: String,
}

macro_rules! columns {
    () => {
        (
            access_log::id,
            access_log::occurred_at,
            access_log::user_id,
            access_log::organisation_id,
            access_log::role,
            access_log::subject,
            access_log::page,
            access_log::prev_hash,
            access_log::hash,
        )
    };
}

fn hmac_hex(key: &[u8], label: &[u8], data: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(label);
    mac.update(data);
    hex::encode(mac.finalize().into_bytes())
}

/// The keyed name of a participant in the log.
pub fn subject_of(participant: ParticipantId) -> String {
    hmac_hex(
        installed_key(),
        b"outcomes access subject v1\0",
        format!("participant:{}", participant.0).as_bytes(),
    )
}

/// The bytes an entry's hash is computed over (every field but `hash`).
fn canonical(e: &AccessEntry) -> String {
    serde_json::json!([
        e.id,
        e.occurred_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        e.user_id,
        e.organisation_id,
        e.role,
        e.subject,
        e.page,
        e.prev_hash,
    ])
    .to_string()
}

fn hash_with(e: &AccessEntry, key: &[u8]) -> String {
    hmac_hex(key, b"outcomes access log v1\0", canonical(e).as_bytes())
}

/// Records that `actor` looked at `participant` on `page`. Its own write transaction
/// (a view changes nothing else).
pub fn record(
    conn: &mut DbConn,
    actor: &Actor,
    participant: ParticipantId,
    page: AccessPage,
) -> Result<(), StoreError> {
    if in_transaction(conn) {
        return append(conn, actor, participant, page);
    }
    write_transaction(conn, |conn| append(conn, actor, participant, page))
}

fn append(
    conn: &mut DbConn,
    actor: &Actor,
    participant: ParticipantId,
    page: AccessPage,
) -> Result<(), StoreError> {
    if let DbConn::Postgres(c) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({PG_ACCESS_LOCK})")).execute(c)?;
    }
    let last = super::last_link(conn, "access_log")?;
    let (id, prev_hash) = match last {
        Some((id, hash)) => (id + 1, hash),
        None => (1, GENESIS_HASH.to_string()),
    };
    let mut e = AccessEntry {
        id,
        occurred_at: now(),
        user_id: Some(actor.user_id.0),
        organisation_id: Some(actor.organisation_id.0),
        role: actor.role.as_str().to_string(),
        subject: subject_of(participant),
        page: page.as_str().to_string(),
        prev_hash,
        hash: String::new(),
    };
    e.hash = hash_with(&e, installed_key());
    diesel::insert_into(access_log::table)
        .values((
            access_log::id.eq(e.id),
            access_log::occurred_at.eq(e.occurred_at),
            access_log::user_id.eq(e.user_id),
            access_log::organisation_id.eq(e.organisation_id),
            access_log::role.eq(&e.role),
            access_log::subject.eq(&e.subject),
            access_log::page.eq(&e.page),
            access_log::prev_hash.eq(&e.prev_hash),
            access_log::hash.eq(&e.hash),
        ))
        .execute(conn)?;
    Ok(())
}

/// One line of a participant's access history.
#[derive(Debug, Clone, PartialEq)]
pub struct Access {
    pub occurred_at: NaiveDateTime,
    /// The user's display name, when the user still exists.
    pub user: Option<String>,
    pub role: Role,
    pub page: AccessPage,
}

/// A participant's access history, newest first (at most `limit` entries).
pub fn of_participant(
    conn: &mut DbConn,
    participant: ParticipantId,
    limit: i64,
) -> Result<Vec<Access>, StoreError> {
    let rows: Vec<(NaiveDateTime, Option<String>, Role, AccessPage)> = access_log::table
        .left_join(users::table.on(access_log::user_id.eq(users::id.nullable())))
        .filter(access_log::subject.eq(subject_of(participant)))
        .order(access_log::id.desc())
        .limit(limit)
        .select((
            access_log::occurred_at,
            users::display_name.nullable(),
            access_log::role,
            access_log::page,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(occurred_at, user, role, page)| Access {
            occurred_at,
            user,
            role,
            page,
        })
        .collect())
}

/// Walks the whole log in id order under the installed key; the first problem found.
pub fn verify(conn: &mut DbConn) -> Result<Verification, StoreError> {
    verify_with(conn, installed_key())
}

/// `verify` under an explicit key.
pub fn verify_with(conn: &mut DbConn, key: &[u8]) -> Result<Verification, StoreError> {
    const PAGE: i64 = 1000;
    let mut expected_id = 1;
    let mut prev = GENESIS_HASH.to_string();
    let mut checked = 0u64;
    loop {
        let page: Vec<AccessEntry> = access_log::table
            .filter(access_log::id.ge(expected_id))
            .order(access_log::id.asc())
            .limit(PAGE)
            .select(columns!())
            .load(conn)?;
        if page.is_empty() {
            break;
        }
        for e in page {
            let problem = if e.id != expected_id {
                Some(ChainProblem::Missing(expected_id))
            } else if e.prev_hash != prev {
                Some(ChainProblem::BrokenLink(e.id))
            } else if hash_with(&e, key) != e.hash {
                Some(ChainProblem::Altered(e.id))
            } else {
                None
            };
            if problem.is_some() {
                return Ok(Verification {
                    events: checked,
                    head: prev,
                    problem,
                });
            }
            checked += 1;
            expected_id = e.id + 1;
            prev = e.hash;
        }
    }
    Ok(Verification {
        events: checked,
        head: prev,
        problem: None,
    })
}
