//! Quarterly returns: a provider manager submits a programme's quarter, a commissioner
//! approves it or returns it with a comment, an admin unlocks an approved one with a
//! reason. Each step is checked by `domain::returns` and written with its audit event
//! (action submit | approve | return | unlock, entity `quarterly_return`, the quarter and
//! the comment or reason in `detail`). While a return is approved, the records dated in
//! its quarter are locked: see `check_unlocked` and docs/casework.md.

use crate::db::DbConn;
use crate::domain::enums::AuditAction;
use crate::domain::ids::{ProgrammeId, ReturnId};
use crate::domain::returns::{self, parse_quarter};
use crate::domain::validation::Input;
use crate::store::audit::{self, NewEvent};
use crate::store::quarterly_returns::{self as store, QuarterlyReturn};
use crate::store::{programmes, write_transaction};

use super::{invalid, sentence, CaseError, Ctx};

/// The longest comment or reason.
const MAX_COMMENT: usize = 2000;
/// The longest narrative a provider writes about its quarter.
pub const MAX_NARRATIVE: usize = 5000;

fn audit_step(
    conn: &mut DbConn,
    ctx: &Ctx,
    action: AuditAction,
    r: &QuarterlyReturn,
    fields: &[&'static str],
    text: Option<&str>,
    extra: &str,
) -> Result<(), CaseError> {
    let mut detail = format!("programme={} quarter={}", r.programme_id, r.quarter);
    if let Some(t) = text {
        let what = if action == AuditAction::Unlock {
            "reason"
        } else {
            "comment"
        };
        // JSON-quoted, so that the text cannot pose as another key.
        detail.push_str(&format!(
            " {what}={}",
            serde_json::Value::String(t.to_string())
        ));
    }
    detail.push_str(extra);
    audit::record(
        conn,
        NewEvent::new(action, "quarterly_return")
            .by(Some(ctx.actor))
            .entity_id(r.id)
            .fields(fields)
            .detail(detail),
    )?;
    Ok(())
}

/// Submits (or submits again) `quarter` (like `2025-26-Q3`) for a programme, with the
/// provider's optional `narrative`: a quarter that has ended (so that its approval cannot
/// lock records of days still to come) and in which the programme ran; not one already
/// submitted or approved. Returns the return and whether it was created (rather than
/// submitted again).
pub fn submit(
    conn: &mut DbConn,
    ctx: &Ctx,
    programme: ProgrammeId,
    mut input: Input,
) -> Result<(QuarterlyReturn, bool), CaseError> {
    let programme = programmes::find_visible(conn, ctx.actor.scope(), programme)?;
    let narrative = input
        .opt_text("narrative", MAX_NARRATIVE)
        .unwrap_or_default();
    input.finish()?;
    let raw = input.raw("quarter").to_string();
    let quarter = match raw.as_str() {
        "" => return Err(invalid("quarter", "Enter the quarter, like 2025-26-Q3")),
        s => parse_quarter(s).ok_or_else(|| {
            invalid(
                "quarter",
                format!("'{s}' is not a quarter; enter one like 2025-26-Q3 (Q1 is April to June)"),
            )
        })?,
    };
    returns::submittable(
        quarter,
        ctx.today,
        programme.fields.starts_on,
        programme.fields.ends_on,
    )
    .map_err(|m| invalid("quarter", m))?;
    write_transaction(conn, |conn| {
        let current = store::for_quarter(conn, programme.id, quarter)?;
        returns::submit(quarter, current.as_ref().map(|r| r.status))
            .map_err(|e| invalid("quarter", sentence(&e.to_string())))?;
        let id = match &current {
            Some(r) => {
                store::resubmit(conn, r.id, &narrative, ctx.actor.user_id)?;
                r.id
            }
            None => {
                store::insert_submitted(conn, programme.id, quarter, &narrative, ctx.actor.user_id)?
            }
        };
        let r = store::find(conn, ctx.actor.scope(), id)?;
        audit_step(
            conn,
            ctx,
            AuditAction::Submit,
            &r,
            if narrative.is_empty() {
                &["status", "submitted_by", "submitted_at"]
            } else {
                &["status", "submitted_by", "submitted_at", "narrative"]
            },
            None,
            "",
        )?;
        Ok((r, current.is_none()))
    })
}

/// The provider withdraws a submitted return before a commissioner decides on it (to
/// correct the quarter's records or its narrative and submit again).
pub fn withdraw(conn: &mut DbConn, ctx: &Ctx, id: ReturnId) -> Result<QuarterlyReturn, CaseError> {
    store::find(conn, ctx.actor.scope(), id)?;
    write_transaction(conn, |conn| {
        let r = store::find(conn, ctx.actor.scope(), id)?;
        let quarter = parse_quarter(&r.quarter).ok_or(CaseError::NotFound)?;
        returns::withdraw(quarter, r.status)
            .map_err(|e| invalid("return", sentence(&e.to_string())))?;
        store::withdraw(conn, id)?;
        let r = store::find(conn, ctx.actor.scope(), id)?;
        audit_step(conn, ctx, AuditAction::Withdraw, &r, &["status"], None, "")?;
        Ok(r)
    })
}

/// A commissioner's decision: `decision` approved | returned; `comment` is required to
/// return (what the provider should change) and optional to approve.
pub fn decide(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: ReturnId,
    mut input: Input,
) -> Result<QuarterlyReturn, CaseError> {
    store::find(conn, ctx.actor.scope(), id)?;
    let approve = match input.raw("decision") {
        "approved" | "approve" => Some(true),
        "returned" | "return" => Some(false),
        "" => {
            input.error("decision", "Select whether to approve or return the return");
            None
        }
        other => {
            input.error(
                "decision",
                format!("'{other}' is not a decision; choose one of: approved, returned"),
            );
            None
        }
    };
    let comment = input.opt_text("comment", MAX_COMMENT).unwrap_or_default();
    if approve == Some(false) && comment.is_empty() && !input.has_error("comment") {
        input.error(
            "comment",
            "Enter a comment saying what the provider needs to change",
        );
    }
    input.finish()?;
    let approve = approve.ok_or(CaseError::Invalid(Vec::new()))?;
    write_transaction(conn, |conn| {
        let r = store::find(conn, ctx.actor.scope(), id)?;
        let quarter = parse_quarter(&r.quarter).ok_or(CaseError::NotFound)?;
        let next = returns::decide(quarter, r.status, approve)
            .map_err(|e| invalid("decision", sentence(&e.to_string())))?;
        if approve {
            returns::decidable(quarter, ctx.today).map_err(|m| invalid("decision", m))?;
        }
        store::decide(conn, id, next, &comment, ctx.actor.user_id)?;
        let r = store::find(conn, ctx.actor.scope(), id)?;
        let action = if approve {
            AuditAction::Approve
        } else {
            AuditAction::Return
        };
        let mut fields = vec!["status", "decided_by", "decided_at"];
        if !comment.is_empty() {
            fields.push("comment");
        }
        // The figures approved, so that a re-approval can show what moved since
        // (`return_changes`).
        let extra = if approve {
            super::return_changes::figures_detail(&super::return_changes::quarter_figures(
                conn,
                r.programme_id,
                quarter,
            )?)
        } else {
            String::new()
        };
        audit_step(
            conn,
            ctx,
            action,
            &r,
            &fields,
            (!comment.is_empty()).then_some(comment.as_str()),
            &extra,
        )?;
        Ok(r)
    })
}

/// An admin unlocks an approved return (`reason` required): records dated in its
/// quarter may be changed again until it is submitted and approved again.
pub fn unlock(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: ReturnId,
    mut input: Input,
) -> Result<QuarterlyReturn, CaseError> {
    store::find(conn, ctx.actor.scope(), id)?;
    let reason = input.opt_text("reason", MAX_COMMENT).unwrap_or_default();
    if reason.is_empty() && !input.has_error("reason") {
        input.error("reason", "Enter the reason for unlocking the return");
    }
    input.finish()?;
    write_transaction(conn, |conn| {
        let r = store::find(conn, ctx.actor.scope(), id)?;
        let quarter = parse_quarter(&r.quarter).ok_or(CaseError::NotFound)?;
        let next = returns::unlock(quarter, r.status)
            .map_err(|e| invalid("reason", sentence(&e.to_string())))?;
        store::decide(conn, id, next, &reason, ctx.actor.user_id)?;
        let r = store::find(conn, ctx.actor.scope(), id)?;
        audit_step(
            conn,
            ctx,
            AuditAction::Unlock,
            &r,
            &["status", "comment", "decided_by", "decided_at"],
            Some(&reason),
            "",
        )?;
        Ok(r)
    })
}
