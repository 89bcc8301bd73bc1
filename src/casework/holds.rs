//! Evaluation holds (docs/erasure-and-retention.md): an analyst (or an admin, or the
//! operator) puts a programme under a hold with an end date and a reason; while it is in
//! force, participants of the programme still awaiting follow-up cannot be erased. Each
//! step is audited (`update` of the programme, the reason in the detail: it is about the
//! evaluation, never about a person).

use chrono::NaiveDate;

use super::CaseError;
use crate::db::DbConn;
use crate::domain::access::Actor;
use crate::domain::enums::{AuditAction, Role};
use crate::domain::ids::ProgrammeId;
use crate::store::audit::{self, NewEvent};
use crate::store::{retention, write_transaction};

/// Who may set or lift a hold.
pub const HOLD_ROLES: &[Role] = &[Role::Analyst, Role::Admin];

/// Puts `programme` under a hold until `ends_on` (replacing any hold before).
pub fn set(
    conn: &mut DbConn,
    by: Option<&Actor>,
    programme: ProgrammeId,
    ends_on: NaiveDate,
    reason: &str,
) -> Result<(), CaseError> {
    write_transaction(conn, |conn| {
        retention::set_hold(conn, programme, ends_on, reason, by.map(|a| a.user_id))?;
        audit::record(
            conn,
            NewEvent::new(AuditAction::Update, "programme")
                .by(by)
                .entity_id(programme.0)
                .fields(&["evaluation_hold"])
                .detail(
                    serde_json::json!({"evaluation_hold": {"ends_on": ends_on, "reason": reason}})
                        .to_string(),
                ),
        )?;
        Ok(())
    })
}

/// Lifts `programme`'s hold; whether there was one.
pub fn lift(
    conn: &mut DbConn,
    by: Option<&Actor>,
    programme: ProgrammeId,
) -> Result<bool, CaseError> {
    write_transaction(conn, |conn| {
        let lifted = retention::lift_hold(conn, programme)?;
        if lifted {
            audit::record(
                conn,
                NewEvent::new(AuditAction::Update, "programme")
                    .by(by)
                    .entity_id(programme.0)
                    .fields(&["evaluation_hold"])
                    .detail(r#"{"evaluation_hold":"lifted"}"#),
            )?;
        }
        Ok(lifted)
    })
}
