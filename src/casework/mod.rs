//! Casework commands: what a caseworker or commissioner asks the service to record,
//! validated field by field and written in one transaction with its audit event.
//!
//! Forms and the JSON API call the same commands with the same `Input` (a flat map of
//! field → text), so a rule is checked once and its message reads the same on a page and
//! in problem JSON. Every record a command names is looked up in the actor's `Scope`
//! first: another organisation's record is `NotFound` (404), never a validation message
//! that would confirm it exists. Audit events name the fields changed, never values.

pub mod corrections;
pub mod details;
pub mod erasure;
pub mod holds;
pub mod merge;
pub mod outcomes;
pub mod participants;
pub mod referrals;
pub mod retention;
pub mod return_changes;
pub mod returns;
pub mod sessions;
pub mod setup;
pub mod subject_access;

use chrono::NaiveDate;

use crate::db::DbConn;
use crate::domain::access::Actor;
use crate::domain::enums::AuditAction;
use crate::domain::person_key::PersonKeySecret;
use crate::domain::validation::FieldError;
use crate::store::audit::{self, NewEvent};
use crate::store::StoreError;

/// Who acts, on which day, with which secret.
pub struct Ctx<'a> {
    pub actor: &'a Actor,
    /// Dates after today are refused (decisions, closures, sessions, outcomes).
    pub today: NaiveDate,
    pub secret: &'a PersonKeySecret,
    /// Where the change was asked for ("page", "api"), kept in the audit trail.
    pub via: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// What was submitted has these problems; nothing was recorded.
    #[error("the request is not valid")]
    Invalid(Vec<FieldError>),
    /// The record named does not exist or is another organisation's.
    #[error("not found")]
    NotFound,
    /// The same person (by person key) is already registered in the organisation: the
    /// caller either uses an existing record or confirms (`allow_duplicate`).
    #[error("a participant with this police identifier is already registered")]
    PossibleDuplicate(Vec<crate::store::participants::Participant>),
    /// The change touches a record dated in a quarter whose return is approved (409).
    #[error("{}", .0.message)]
    Locked(FieldError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for CaseError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => CaseError::NotFound,
            other => CaseError::Store(other),
        }
    }
}

impl From<diesel::result::Error> for CaseError {
    fn from(e: diesel::result::Error) -> Self {
        CaseError::Store(StoreError::Database(e))
    }
}

impl From<Vec<FieldError>> for CaseError {
    fn from(errors: Vec<FieldError>) -> Self {
        CaseError::Invalid(errors)
    }
}

/// One field's error as a `CaseError`.
pub fn invalid(field: &str, message: impl Into<String>) -> CaseError {
    CaseError::Invalid(vec![FieldError::new(field, message)])
}

/// Maps a unique-constraint violation to a message on `field`.
pub fn duplicate_on(
    field: &'static str,
    message: &'static str,
) -> impl Fn(StoreError) -> CaseError {
    move |e| match e {
        StoreError::Duplicate(_) => invalid(field, message),
        other => other.into(),
    }
}

/// Appends the audit event of a change, in the change's transaction.
pub fn audit_change(
    conn: &mut DbConn,
    ctx: &Ctx,
    action: AuditAction,
    entity: &'static str,
    id: impl ToString,
    fields: &[&'static str],
) -> Result<(), StoreError> {
    audit::record(
        conn,
        NewEvent::new(action, entity)
            .by(Some(ctx.actor))
            .entity_id(id)
            .fields(fields),
    )?;
    Ok(())
}

/// Appends the audit event of a correction (change, void, restore, merge), whose detail
/// is a JSON object: the reason, where it was made (`via`), and what changed (see
/// `corrections::Diff`). Personal fields are named as changed, never with values.
pub fn audit_correction(
    conn: &mut DbConn,
    ctx: &Ctx,
    action: AuditAction,
    entity: &'static str,
    id: impl ToString,
    fields: &[&'static str],
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    let mut detail = detail;
    if let Some(o) = detail.as_object_mut() {
        o.insert("via".into(), ctx.via.into());
    }
    audit::record(
        conn,
        NewEvent::new(action, entity)
            .by(Some(ctx.actor))
            .entity_id(id)
            .fields(fields)
            .detail(detail.to_string()),
    )?;
    Ok(())
}

/// Appends the audit event of a change an import made to one record: an `update`
/// attributed to the importer, `via: import`, with the fields and their changes (the same
/// detail shape as `audit_correction`, without a reason).
pub fn audit_import(
    conn: &mut DbConn,
    user: Option<crate::domain::ids::UserId>,
    organisation: Option<crate::domain::ids::OrganisationId>,
    entity: &'static str,
    id: impl ToString,
    fields: &[&'static str],
    changes: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), StoreError> {
    let mut event = NewEvent::new(AuditAction::Update, entity)
        .entity_id(id)
        .fields(fields)
        .detail(serde_json::json!({"via": "import", "changes": changes}).to_string());
    event.user_id = user;
    event.organisation_id = organisation;
    audit::record(conn, event)?;
    Ok(())
}

/// Refuses a change to `programme`'s records that touches any of `dates` (field, date)
/// in a quarter whose return is approved. Call it inside the write transaction.
pub fn check_unlocked(
    conn: &mut DbConn,
    programme: crate::domain::ids::ProgrammeId,
    dates: &[(&str, NaiveDate)],
) -> Result<(), CaseError> {
    let locks = crate::store::quarterly_returns::locks(conn, &[programme])?;
    match locks.first_locked(programme, dates.iter().copied()) {
        Some((field, date, quarter)) => Err(CaseError::Locked(FieldError::new(
            field,
            crate::domain::returns::locked_message(date, quarter),
        ))),
        None => Ok(()),
    }
}

/// The first letter upper-cased, for messages that come from the domain in lower case.
pub fn sentence(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
