//! The audit trail: an append-only, hash-chained list of events.
//!
//! Every event carries the hash of the previous one (`prev_hash`; 64 zeros for the
//! first) and its own `hash` = HMAC-SHA256, under the **audit key**, over a canonical
//! serialization of its fields and `prev_hash` (see `canonical`). The audit key is
//! derived from the service's HMAC key (key file or `OUTCOMES_HMAC_KEY`) and is never
//! stored in the database, so someone who can write to the database but does not hold
//! the key cannot recompute a valid chain after an edit. Ids are consecutive from 1,
//! assigned under the append lock, so a removed event shows as a gap, an edited one as a
//! hash that no longer matches. `verify` walks the chain and names the first problem;
//! `verify_head` also checks that an anchored head (recorded outside the database by
//! `outcomes audit anchor`) is still in the chain, so a removed tail is caught.
//!
//! The key is process-wide: `install_key` is called once at start-up (the server and
//! every command that opens the database). Chains written by versions before the key
//! (plain SHA-256) are re-hashed once by `rekey` (`outcomes audit rekey`), an audited step.
//!
//! **How to record**: call `record(conn, event)` inside the same `store::write_transaction`
//! as the change it describes, so that both commit or neither does. Appends are serialized:
//! on PostgreSQL by a transaction-scoped advisory lock, on SQLite by the IMMEDIATE
//! transaction (`write_transaction`) that already holds the database's write lock.
//! Events name fields, never their values: `changed_fields` lists column names and
//! `detail` must not hold personal data (no emails, names, references or identifiers).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

use super::{in_transaction, now, write_transaction, StoreError};
use crate::db::schema::audit_events;
use crate::db::DbConn;
use crate::domain::access::Actor;
use crate::domain::enums::AuditAction;
use crate::domain::ids::{OrganisationId, UserId};

/// `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Key of the PostgreSQL advisory lock that serializes appends ("audit" in ASCII).
const PG_AUDIT_LOCK: i64 = 0x0061_7564_6974;

/// An event to append. Build with `NewEvent::new(action, entity)` and the setters.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub user_id: Option<UserId>,
    pub organisation_id: Option<OrganisationId>,
    pub action: AuditAction,
    pub entity: &'static str,
    pub entity_id: Option<String>,
    pub changed_fields: Vec<&'static str>,
    pub detail: String,
}

impl NewEvent {
    pub fn new(action: AuditAction, entity: &'static str) -> Self {
        NewEvent {
            user_id: None,
            organisation_id: None,
            action,
            entity,
            entity_id: None,
            changed_fields: Vec::new(),
            detail: String::new(),
        }
    }

    /// Who did it; `None` for the command line and for signed-out attempts.
    pub fn by(mut self, actor: Option<&Actor>) -> Self {
        self.user_id = actor.map(|a| a.user_id);
        self.organisation_id = actor.map(|a| a.organisation_id);
        self
    }

    pub fn by_user(mut self, user: UserId, organisation: OrganisationId) -> Self {
        self.user_id = Some(user);
        self.organisation_id = Some(organisation);
        self
    }

    pub fn entity_id(mut self, id: impl ToString) -> Self {
        self.entity_id = Some(id.to_string());
        self
    }

    /// The names (never the values) of the fields that changed.
    pub fn fields(mut self, fields: &[&'static str]) -> Self {
        self.changed_fields = fields.to_vec();
        self
    }

    /// Non-personal context, e.g. `role=admin` or `account=<keyed hash>`.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Serialize, Queryable)]
pub struct AuditEvent {
    pub id: i64,
    pub occurred_at: NaiveDateTime,
    pub user_id: Option<i64>,
    pub organisation_id: Option<i64>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub changed_fields: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

type Columns = (
    audit_events::id,
    audit_events::occurred_at,
    audit_events::user_id,
    audit_events::organisation_id,
    audit_events::action,
    audit_events::entity,
    audit_events::entity_id,
    audit_events::changed_fields,
    audit_events::detail,
    audit_events::prev_hash,
    audit_events::hash,
);
const COLUMNS: Columns = (
    audit_events::id,
    audit_events::occurred_at,
    audit_events::user_id,
    audit_events::organisation_id,
    audit_events::action,
    audit_events::entity,
    audit_events::entity_id,
    audit_events::changed_fields,
    audit_events::detail,
    audit_events::prev_hash,
    audit_events::hash,
);

/// The bytes an event's hash is computed over: a JSON array of every field but `hash`,
/// in a fixed order, with the time as `YYYY-MM-DDTHH:MM:SS.ffffff` (both backends keep
/// microseconds).
pub fn canonical(e: &AuditEvent) -> String {
    serde_json::json!([
        e.id,
        e.occurred_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        e.user_id,
        e.organisation_id,
        e.action,
        e.entity,
        e.entity_id,
        e.changed_fields,
        e.detail,
        e.prev_hash,
    ])
    .to_string()
}

/// The process-wide audit key (see the module docs).
static AUDIT_KEY: OnceLock<Vec<u8>> = OnceLock::new();

/// Used only when no key was installed: library use and unit tests. Start-up paths
/// always install the real key; events written under this one fail `verify` there.
/// The test suite's applications use it too (`OUTCOMES_AUDIT_KEY` set to its hex), so
/// one test process has one key whatever runs first.
pub const UNINSTALLED_KEY: &[u8] = b"outcomes audit chain: no key installed";

/// Installs the audit key for this process. The first key wins; installing a different
/// one later is an error (one process serves one database with one key) — except after
/// library code in the same process already used the audit trail without installing a
/// key (tests that call the store directly, then start an application): the process keeps
/// the key it started with, so its chains stay consistent, and a warning is logged. The
/// binary's every path installs the key before touching the trail.
pub fn install_key(key: &[u8]) -> Result<(), KeyInUse> {
    let installed = AUDIT_KEY.get_or_init(|| key.to_vec());
    if installed.as_slice() == key {
        return Ok(());
    }
    if installed.as_slice() == UNINSTALLED_KEY {
        tracing::warn!(
            "the audit trail was used before its key was installed; keeping the library key"
        );
        return Ok(());
    }
    Err(KeyInUse)
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("a different audit key is already in use in this process")]
pub struct KeyInUse;

/// Why `rekey` refused.
#[derive(Debug, thiserror::Error)]
pub enum RekeyError {
    #[error("the audit trail is broken, so it cannot be re-keyed: {0}")]
    Broken(ChainProblem),
    #[error("the audit trail is already keyed: nothing to re-hash")]
    AlreadyKeyed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for RekeyError {
    fn from(e: diesel::result::Error) -> Self {
        RekeyError::Store(StoreError::Database(e))
    }
}

pub(crate) fn installed_key() -> &'static [u8] {
    AUDIT_KEY.get_or_init(|| UNINSTALLED_KEY.to_vec())
}

/// The audit key derived from the service's HMAC key: HMAC-SHA256(hmac key, label), so
/// the person-key secret itself is never used for two purposes.
pub fn derive_key(hmac_key: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(hmac_key).expect("HMAC takes any key length");
    mac.update(b"outcomes audit chain v1");
    mac.finalize().into_bytes().to_vec()
}

/// The event's hash under the installed audit key.
pub fn compute_hash(e: &AuditEvent) -> String {
    compute_hash_with(e, installed_key())
}

/// The event's hash under `key`: HMAC-SHA256 of `canonical(e)`, hex.
pub fn compute_hash_with(e: &AuditEvent, key: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(canonical(e).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The unkeyed hash earlier versions stored: SHA-256 of `canonical(e)`.
pub fn plain_hash(e: &AuditEvent) -> String {
    hex::encode(Sha256::digest(canonical(e).as_bytes()))
}

/// Appends an event. Call it inside the `write_transaction` of the change it records;
/// called outside one, it opens its own.
pub fn record(conn: &mut DbConn, event: NewEvent) -> Result<AuditEvent, StoreError> {
    if !in_transaction(conn) {
        return write_transaction(conn, |conn| append(conn, event));
    }
    append(conn, event)
}

/// Group commit of events recorded on their own (a report viewed or downloaded, a
/// dashboard view): each is still committed before its request is answered, but events
/// that arrive while another batch is being written wait for it and are then written
/// together, in one write transaction, by whichever of them gets there first. Under load
/// the trail's append lock is taken once per batch instead of once per event, so
/// readers of cached reports no longer queue behind one another's commits (issue 20;
/// on SQLite, no longer sleep in the busy handler for the database's write lock).
///
/// The chain is the same as `record` makes: each event in a batch is appended under
/// the lock, its `prev_hash` the hash of the event before it. A batch that fails is rolled
/// back whole, and each of its requests then records its own event on its own
/// connection, so one broken connection fails only its own request. One per process (in
/// `AppState`); commands record directly.
#[derive(Default)]
pub struct GroupCommit {
    state: std::sync::Mutex<Batch>,
    written: std::sync::Condvar,
}

#[derive(Default)]
struct Batch {
    /// Events waiting for the next batch, by ticket.
    queue: Vec<(u64, NewEvent)>,
    next_ticket: u64,
    /// Outcomes of batches not yet collected, by ticket: written, or not (the batch
    /// failed and was rolled back; each of its requests records its event itself).
    done: std::collections::HashMap<u64, bool>,
    /// A batch is being written.
    writing: bool,
}

impl GroupCommit {
    fn lock(&self) -> std::sync::MutexGuard<'_, Batch> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records `event` and returns once it is committed (or its batch failed). Inside a
    /// transaction the event is part of it, as with `record`.
    pub fn record(&self, conn: &mut DbConn, event: NewEvent) -> Result<(), StoreError> {
        if in_transaction(conn) {
            return append(conn, event).map(|_| ());
        }
        // Kept to be recorded on this request's own connection should its batch fail
        // (the writer's connection broke, or another event could not be written).
        let own = event.clone();
        let mut state = self.lock();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.queue.push((ticket, event));
        loop {
            if let Some(written) = state.done.remove(&ticket) {
                drop(state);
                return match written {
                    true => Ok(()),
                    false => record(conn, own).map(|_| ()),
                };
            }
            if state.writing {
                state = self.written.wait(state).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            // This request writes the batch: its own event and every one queued.
            state.writing = true;
            let batch = std::mem::take(&mut state.queue);
            drop(state);
            let tickets: Vec<u64> = batch.iter().map(|(t, _)| *t).collect();
            let written = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                write_transaction(conn, |conn| {
                    for (_, event) in batch {
                        append(conn, event)?;
                    }
                    Ok::<_, StoreError>(())
                })
            }));
            state = self.lock();
            state.writing = false;
            let ok = matches!(written, Ok(Ok(())));
            for t in tickets {
                state.done.insert(t, ok);
            }
            self.written.notify_all();
            match written {
                Ok(Ok(())) => {}
                // This request's own error, after the others were told to record theirs
                // on their own connections.
                Ok(Err(e)) => {
                    state.done.remove(&ticket);
                    return Err(e);
                }
                Err(panic) => {
                    state.done.remove(&ticket);
                    drop(state);
                    std::panic::resume_unwind(panic);
                }
            }
        }
    }
}

fn append(conn: &mut DbConn, event: NewEvent) -> Result<AuditEvent, StoreError> {
    if let DbConn::Postgres(c) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({PG_AUDIT_LOCK})")).execute(c)?;
    }
    let last = super::last_link(conn, "audit_events")?;
    let (id, prev_hash) = match last {
        Some((id, hash)) => (id + 1, hash),
        None => (1, GENESIS_HASH.to_string()),
    };
    let mut stored = AuditEvent {
        id,
        occurred_at: now(),
        user_id: event.user_id.map(|u| u.0),
        organisation_id: event.organisation_id.map(|o| o.0),
        action: event.action.as_str().to_string(),
        entity: event.entity.to_string(),
        entity_id: event.entity_id,
        changed_fields: event.changed_fields.join(","),
        detail: event.detail,
        prev_hash,
        hash: String::new(),
    };
    stored.hash = compute_hash(&stored);
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::id.eq(stored.id),
            audit_events::occurred_at.eq(stored.occurred_at),
            audit_events::user_id.eq(stored.user_id),
            audit_events::organisation_id.eq(stored.organisation_id),
            audit_events::action.eq(&stored.action),
            audit_events::entity.eq(&stored.entity),
            audit_events::entity_id.eq(&stored.entity_id),
            audit_events::changed_fields.eq(&stored.changed_fields),
            audit_events::detail.eq(&stored.detail),
            audit_events::prev_hash.eq(&stored.prev_hash),
            audit_events::hash.eq(&stored.hash),
        ))
        .execute(conn)?;
    Ok(stored)
}

/// The first thing wrong with the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainProblem {
    /// No event with this id, though later ones exist.
    Missing(i64),
    /// The event's fields no longer produce its hash.
    Altered(i64),
    /// The event's `prev_hash` is not the hash of the event before it: that one was
    /// replaced (edited and re-hashed), or this one was.
    BrokenLink(i64),
    /// The event carries a plain SHA-256 hash, not one under the audit key: it was
    /// rewritten by someone without the key, or the trail predates keyed hashing.
    Unkeyed(i64),
    /// The anchored head recorded outside the database is not in the chain: events at
    /// the end were removed, or the chain was rewritten.
    HeadNotFound(String),
}

impl std::fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainProblem::Missing(id) => write!(f, "audit event {id} is missing"),
            ChainProblem::Altered(id) => write!(
                f,
                "audit event {id} has been altered: its contents do not match its hash"
            ),
            ChainProblem::BrokenLink(id) => write!(
                f,
                "audit event {id} does not chain to the event before it: event {} or {id} was replaced",
                id - 1
            ),
            ChainProblem::Unkeyed(id) => write!(
                f,
                "audit event {id} is not hashed under the audit key: it was rewritten without \
                 the key, the key is not the one the trail was written with, or the trail \
                 predates keyed hashing (then run `outcomes audit rekey` once)"
            ),
            ChainProblem::HeadNotFound(head) => write!(
                f,
                "the anchored head {head} is not in the chain: events at the end were removed \
                 or the chain was rewritten"
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Events checked (up to the first problem).
    pub events: u64,
    /// The hash of the last good event: record it elsewhere to detect a truncated tail.
    pub head: String,
    pub problem: Option<ChainProblem>,
}

/// Walks the whole chain in id order, a page at a time, under the installed key.
pub fn verify(conn: &mut DbConn) -> Result<Verification, StoreError> {
    walk(conn, installed_key(), None)
}

/// `verify` under an explicit key.
pub fn verify_with(conn: &mut DbConn, key: &[u8]) -> Result<Verification, StoreError> {
    walk(conn, key, None)
}

/// An anchored head: `ID:HASH` as `outcomes audit anchor` prints it, or just the hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub id: Option<i64>,
    pub hash: String,
}

impl std::str::FromStr for Anchor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (id, hash) = match s.split_once(':') {
            Some((id, hash)) => (
                Some(id.parse::<i64>().map_err(|_| {
                    format!("'{s}' is not an anchored head: expected ID:HASH, e.g. 42:3f2a…")
                })?),
                hash,
            ),
            None => (None, s),
        };
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "'{s}' is not an anchored head: the hash must be 64 hexadecimal characters"
            ));
        }
        Ok(Anchor {
            id,
            hash: hash.to_ascii_lowercase(),
        })
    }
}

impl std::fmt::Display for Anchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.id {
            Some(id) => write!(f, "{id}:{}", self.hash),
            None => f.write_str(&self.hash),
        }
    }
}

/// `verify`, and the anchored `head` must be one of the chain's events (so nothing was
/// removed at the end since it was recorded).
pub fn verify_head(conn: &mut DbConn, head: &Anchor) -> Result<Verification, StoreError> {
    walk(conn, installed_key(), Some(head))
}

/// The current head, to record outside the database: the last event's id and hash.
pub fn anchor(conn: &mut DbConn) -> Result<Option<Anchor>, StoreError> {
    let last: Option<(i64, String)> = audit_events::table
        .order(audit_events::id.desc())
        .select((audit_events::id, audit_events::hash))
        .first(conn)
        .optional()?;
    Ok(last.map(|(id, hash)| Anchor { id: Some(id), hash }))
}

fn walk(conn: &mut DbConn, key: &[u8], head: Option<&Anchor>) -> Result<Verification, StoreError> {
    const PAGE: i64 = 1000;
    let mut head_seen = head.is_none();
    let mut expected_id = 1;
    let mut prev = GENESIS_HASH.to_string();
    let mut checked = 0u64;
    loop {
        let page: Vec<AuditEvent> = audit_events::table
            .filter(audit_events::id.ge(expected_id))
            .order(audit_events::id.asc())
            .limit(PAGE)
            .select(COLUMNS)
            .load(conn)?;
        if page.is_empty() {
            break;
        }
        for e in page {
            let problem = if e.id != expected_id {
                Some(ChainProblem::Missing(expected_id))
            } else if e.prev_hash != prev {
                Some(ChainProblem::BrokenLink(e.id))
            } else if compute_hash_with(&e, key) != e.hash {
                if plain_hash(&e) == e.hash {
                    Some(ChainProblem::Unkeyed(e.id))
                } else {
                    Some(ChainProblem::Altered(e.id))
                }
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
            if let Some(h) = head {
                if e.hash == h.hash && h.id.is_none_or(|id| id == e.id) {
                    head_seen = true;
                }
            }
            checked += 1;
            expected_id = e.id + 1;
            prev = e.hash;
        }
    }
    let problem = match head {
        Some(h) if !head_seen => Some(ChainProblem::HeadNotFound(h.to_string())),
        _ => None,
    };
    Ok(Verification {
        events: checked,
        head: prev,
        problem,
    })
}

/// What `rekey` did.
#[derive(Debug, Clone, PartialEq)]
pub struct Rekeyed {
    /// Events re-hashed (those that carried plain hashes, and every one after them).
    pub rehashed: u64,
    /// The head of the chain before, as it was.
    pub old_head: String,
    /// The `audit_rekey` event that records the step.
    pub event: AuditEvent,
}

/// Re-hashes a chain written before keyed hashing under the installed key, in one
/// transaction, and records the step as an `audit_rekey` event. The chain must be intact
/// as it stands: every event's hash is its plain SHA-256 (older versions) or its keyed
/// hash (events appended since the upgrade), and every link holds. Refuses a chain that
/// is already keyed throughout, and a broken one (nothing is changed then).
pub fn rekey(conn: &mut DbConn, actor: Option<&Actor>) -> Result<Rekeyed, RekeyError> {
    write_transaction(conn, |conn| {
        if let DbConn::Postgres(c) = conn {
            diesel::sql_query(format!("SELECT pg_advisory_xact_lock({PG_AUDIT_LOCK})"))
                .execute(c)?;
        }
        let key = installed_key();
        let events: Vec<AuditEvent> = audit_events::table
            .order(audit_events::id.asc())
            .select(COLUMNS)
            .load(conn)?;
        let mut prev_old = GENESIS_HASH.to_string();
        let mut any_plain = false;
        for (i, e) in events.iter().enumerate() {
            let expected = i as i64 + 1;
            let problem = if e.id != expected {
                Some(ChainProblem::Missing(expected))
            } else if e.prev_hash != prev_old {
                Some(ChainProblem::BrokenLink(e.id))
            } else if plain_hash(e) == e.hash {
                any_plain = true;
                None
            } else if compute_hash_with(e, key) == e.hash {
                None
            } else {
                Some(ChainProblem::Altered(e.id))
            };
            if let Some(p) = problem {
                return Err(RekeyError::Broken(p));
            }
            prev_old = e.hash.clone();
        }
        if !any_plain {
            return Err(RekeyError::AlreadyKeyed);
        }
        let mut prev = GENESIS_HASH.to_string();
        let mut rehashed = 0u64;
        for mut e in events {
            e.prev_hash = prev;
            let hash = compute_hash_with(&e, key);
            if hash != e.hash {
                diesel::update(audit_events::table.filter(audit_events::id.eq(e.id)))
                    .set((
                        audit_events::prev_hash.eq(&e.prev_hash),
                        audit_events::hash.eq(&hash),
                    ))
                    .execute(conn)?;
                rehashed += 1;
            }
            prev = hash;
        }
        let event = append(
            conn,
            NewEvent::new(AuditAction::AuditRekey, "audit_event")
                .by(actor)
                .detail(format!("rehashed={rehashed} old_head={prev_old}")),
        )?;
        Ok(Rekeyed {
            rehashed,
            old_head: prev_old,
            event,
        })
    })
}

/// What the admin page filters by; every part optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub action: Option<AuditAction>,
    pub entity: Option<String>,
    /// One record: the entity id as recorded (with `entity`, one record's history).
    pub entity_id: Option<String>,
    pub user_id: Option<UserId>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

fn filtered<'a>(
    filter: &'a Filter,
) -> audit_events::BoxedQuery<'a, <DbConn as diesel::Connection>::Backend> {
    let mut q = audit_events::table.into_boxed();
    if let Some(a) = filter.action {
        q = q.filter(audit_events::action.eq(a.as_str()));
    }
    if let Some(e) = &filter.entity {
        q = q.filter(audit_events::entity.eq(e));
    }
    if let Some(id) = &filter.entity_id {
        q = q.filter(audit_events::entity_id.eq(id));
    }
    if let Some(u) = filter.user_id {
        q = q.filter(audit_events::user_id.eq(u.0));
    }
    if let Some(from) = filter.from.and_then(|d| d.and_hms_opt(0, 0, 0)) {
        q = q.filter(audit_events::occurred_at.ge(from));
    }
    if let Some(to) = filter
        .to
        .and_then(|d| d.succ_opt())
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        q = q.filter(audit_events::occurred_at.lt(to));
    }
    q
}

/// One page of matching events, newest first, and the number of all matching events.
pub fn list(
    conn: &mut DbConn,
    filter: &Filter,
    page: i64,
    per_page: i64,
) -> Result<(Vec<AuditEvent>, i64), StoreError> {
    let total: i64 = filtered(filter).count().get_result(conn)?;
    let events = filtered(filter)
        .order(audit_events::id.desc())
        .limit(per_page)
        .offset((page.max(1) - 1) * per_page)
        .select(COLUMNS)
        .load(conn)?;
    Ok((events, total))
}

/// The distinct entity names in the trail, for the filter form.
pub fn entities(conn: &mut DbConn) -> Result<Vec<String>, StoreError> {
    Ok(audit_events::table
        .select(audit_events::entity)
        .distinct()
        .order(audit_events::entity)
        .load(conn)?)
}

/// Every event about one record (entity and id), oldest first: the record's history
/// (docs/casework.md, "History"). Read only; the chain is not touched.
pub fn of_record(
    conn: &mut DbConn,
    entity: &str,
    entity_id: &str,
) -> Result<Vec<AuditEvent>, StoreError> {
    Ok(audit_events::table
        .filter(audit_events::entity.eq(entity))
        .filter(audit_events::entity_id.eq(entity_id))
        .order(audit_events::id.asc())
        .select(COLUMNS)
        .load(conn)?)
}

/// The events after event `after` (by id, so in the order they were written) about the
/// entities named.
pub fn after(
    conn: &mut DbConn,
    after: i64,
    entities: &[&str],
) -> Result<Vec<AuditEvent>, StoreError> {
    Ok(audit_events::table
        .filter(audit_events::id.gt(after))
        .filter(audit_events::entity.eq_any(entities))
        .order(audit_events::id.asc())
        .select(COLUMNS)
        .load(conn)?)
}
