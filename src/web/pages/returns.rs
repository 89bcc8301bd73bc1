//! Quarterly return pages: a programme's quarters with their status (`/programmes/{id}/
//! returns`), the submit question (`/programmes/{id}/returns/new`), a commissioner's
//! decision (`/returns/{id}/decision`) and an admin's unlock (`/returns/{id}/unlock`).
//! The commands are `casework::returns`, shared with the API.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::Value;

use actix_web::http::StatusCode;
use chrono::NaiveDate;

use super::figures::{engagement_lines, FigureLine};
use super::forms::{self, Build, Field, Form, Widget};
use super::{render, render_status, viewer_context, FormError, Page};
use crate::casework;
use crate::db::DbConn;
use crate::domain::access::{Actor, RETURN_DECISION_ROLES, RETURN_SUBMIT_ROLES};
use crate::domain::enums::{ProgrammeKind, ReturnStatus};
use crate::domain::ids::{ProgrammeId, ReturnId};
use crate::domain::period::Quarter;
use crate::domain::returns::{self, quarters_to_return};
use crate::domain::validation::{FieldError, Input};
use crate::store::{self, quarterly_returns};
use crate::web::errors::{blocking, AppError, PageError};
use crate::web::security::CspNonce;
use crate::web::session::{see_other, Viewer};
use crate::web::shared::PathId;

type Fields = web::Form<Vec<(String, String)>>;

/// The GOV.UK tag colour of a status (`None`: not submitted).
pub fn tag(status: Option<ReturnStatus>) -> (&'static str, &'static str) {
    match status {
        None => ("Not submitted", "govuk-tag--grey"),
        Some(ReturnStatus::Submitted) => ("Submitted", "govuk-tag--blue"),
        Some(ReturnStatus::Approved) => ("Approved", "govuk-tag--green"),
        Some(ReturnStatus::Returned) => ("Returned", "govuk-tag--orange"),
        Some(ReturnStatus::Unlocked) => ("Unlocked", "govuk-tag--yellow"),
        Some(ReturnStatus::Withdrawn) => ("Withdrawn", "govuk-tag--grey"),
    }
}

/// `GET /programmes/{id}/returns`: every quarter from the programme's start to today,
/// newest first, with its return's status and what the viewer may do.
pub async fn list(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ProgrammeId>,
) -> Result<HttpResponse, PageError> {
    let v = viewer.clone();
    let today = state.today();
    let body = blocking(move || {
        let mut conn = state.conn()?;
        let p = store::programmes::find_visible(&mut conn, actor.scope(), id)?;
        let returns: HashMap<String, quarterly_returns::QuarterlyReturn> =
            quarterly_returns::of_programme(&mut conn, id)?
                .into_iter()
                .map(|r| (r.quarter.clone(), r))
                .collect();
        let (submit, decide, unlock) = (
            RETURN_SUBMIT_ROLES.contains(&actor.role),
            RETURN_DECISION_ROLES.contains(&actor.role),
            crate::domain::access::ADMIN_ONLY.contains(&actor.role),
        );
        let mut quarters: Vec<Quarter> =
            quarters_to_return(today, p.fields.starts_on, p.fields.ends_on);
        // Returns of quarters outside today's list (e.g. the programme's dates changed).
        for q in returns.keys().filter_map(|q| returns::parse_quarter(q)) {
            if !quarters.contains(&q) {
                quarters.push(q);
            }
        }
        quarters.sort_by(|a, b| b.cmp(a));
        let rows: Vec<QuarterView> = quarters
            .iter()
            .map(|q| {
                let r = returns.get(&q.to_string());
                let status = r.map(|r| r.status);
                let ended = today >= returns::open_from(*q);
                let (text, colour) = match status {
                    None if !ended => ("In progress", "govuk-tag--light-blue"),
                    _ => tag(status),
                };
                let may = submit && returns::may_submit(status);
                QuarterView {
                    quarter: q.to_string(),
                    name: q.long_name(),
                    status: text,
                    colour,
                    comment: r.map(|r| r.comment.clone()).filter(|c| !c.is_empty()),
                    comment_label: if status == Some(ReturnStatus::Unlocked) {
                        "Reason for unlocking"
                    } else {
                        "Comment"
                    },
                    narrative: r.map(|r| r.narrative.clone()).filter(|c| !c.is_empty()),
                    locked: status == Some(ReturnStatus::Approved),
                    submit: may && ended,
                    resubmit: may && ended && status.is_some(),
                    opens_on: (may && !ended).then(|| crate::format::date(returns::open_from(*q))),
                    withdraw: submit && status == Some(ReturnStatus::Submitted),
                    decide: decide && status == Some(ReturnStatus::Submitted),
                    unlock: unlock && status == Some(ReturnStatus::Approved),
                    id: r.map(|r| r.id),
                }
            })
            .collect();
        forms::shown(&mut conn, &v)?;
        Ok(ReturnsView {
            id: p.id,
            name: p.fields.name,
            quarters: rows,
        })
    })
    .await?;
    let title = format!("Quarterly returns: {}", body.name);
    render(
        "pages/returns",
        &viewer_context(&title, &nonce, &viewer, "", &body),
    )
}

/// The view of `pages/return_check`: a quarter's figures checked before submitting
/// ("check your answers", with the narrative and the declaration) or before deciding
/// (with the provider's narrative, the decision and the comment).
#[derive(Serialize, Default)]
struct CheckView {
    caption: String,
    heading: String,
    back: String,
    action: String,
    /// Like `2026-27-Q3`, posted back.
    quarter: String,
    quarter_name: String,
    /// Why the quarter cannot be submitted (or approved) yet; no form then.
    refused: Option<String>,
    figures: Vec<FigureLine>,
    /// The decision page: what the provider wrote, and when it was submitted.
    provider_narrative: Option<String>,
    submitted_at: Option<String>,
    changes_link: Option<String>,
    ask_submit: bool,
    ask_decision: bool,
    /// The decision page of a quarter still running: returning it is the only choice.
    return_only: bool,
    narrative: String,
    declaration: bool,
    decision_approved: bool,
    decision_returned: bool,
    comment: String,
    submit_label: &'static str,
    errors: Vec<FormError>,
    error_narrative: Option<String>,
    error_declaration: Option<String>,
    error_decision: Option<String>,
    error_comment: Option<String>,
}

impl CheckView {
    /// Puts the errors beside their fields; the others link to the page.
    fn with_errors(mut self, errors: &[FieldError]) -> Self {
        for e in errors {
            let slot = match e.field.as_str() {
                "narrative" => Some(&mut self.error_narrative),
                "declaration" => Some(&mut self.error_declaration),
                "decision" => Some(&mut self.error_decision),
                "comment" => Some(&mut self.error_comment),
                _ => None,
            };
            let href = match slot {
                Some(slot) => {
                    *slot = Some(e.message.clone());
                    format!("#{}", e.field)
                }
                None => "#main-content".to_string(),
            };
            self.errors.push(FormError {
                href,
                text: e.message.clone(),
                field: e.field.clone(),
            });
        }
        self
    }
}

/// The engagement figures of a programme's quarter, as a summary list.
fn quarter_lines(
    conn: &mut DbConn,
    programme: &store::programmes::Programme,
    quarter: Quarter,
) -> Result<Vec<FigureLine>, AppError> {
    let figures = casework::return_changes::quarter_figures(conn, programme.id, quarter)?;
    Ok(engagement_lines(
        &figures,
        programme.fields.kind == ProgrammeKind::ImmediateJustice,
    ))
}

/// The check-your-answers page of the quarter typed as `2026-27-Q3` for a programme, with
/// what was typed (`input`); `None` when no quarter is named.
fn check_view(
    conn: &mut DbConn,
    actor: &Actor,
    programme: ProgrammeId,
    today: NaiveDate,
    input: &Input,
) -> Result<Option<CheckView>, AppError> {
    let p = store::programmes::find_visible(conn, actor.scope(), programme)?;
    let Some(quarter) = returns::parse_quarter(input.raw("quarter")) else {
        return Ok(None);
    };
    let current = quarterly_returns::for_quarter(conn, p.id, quarter)?;
    let refused = returns::submittable(quarter, today, p.fields.starts_on, p.fields.ends_on)
        .err()
        .or_else(|| {
            returns::submit(quarter, current.as_ref().map(|r| r.status))
                .err()
                .map(|e| casework::sentence(&e.to_string()))
        });
    let figures = if refused.is_none() {
        quarter_lines(conn, &p, quarter)?
    } else {
        Vec::new()
    };
    Ok(Some(CheckView {
        caption: p.fields.name.clone(),
        heading: format!("Check the return for {}", quarter.long_name()),
        back: format!("/programmes/{programme}/returns"),
        action: format!("/programmes/{programme}/returns/new"),
        quarter: quarter.to_string(),
        quarter_name: quarter.long_name(),
        ask_submit: refused.is_none(),
        refused,
        figures,
        narrative: input.raw("narrative").to_string(),
        declaration: input.raw("declaration") == "yes",
        submit_label: "Accept and submit the return",
        ..CheckView::default()
    }))
}

fn check_page(
    status: StatusCode,
    nonce: &CspNonce,
    viewer: &Viewer,
    view: &CheckView,
) -> Result<HttpResponse, PageError> {
    let title = if view.errors.is_empty() {
        view.heading.clone()
    } else {
        format!("Error: {}", view.heading)
    };
    render_status(
        status,
        "pages/return_check",
        &viewer_context(&title, nonce, viewer, "", view),
    )
}

/// `GET /programmes/{id}/returns/new?quarter=2026-27-Q3`: the quarter's figures to check,
/// a narrative box and the declaration; a quarter that has not ended says from when it
/// can be submitted. Without a quarter: back to the programme's returns.
pub async fn new_return(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ProgrammeId>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let input = Input::from_pairs(query.into_inner());
    let today = state.today();
    let v = viewer.clone();
    let view = blocking(move || {
        let mut conn = state.conn()?;
        let view = check_view(&mut conn, &actor, id, today, &input)?;
        forms::shown(&mut conn, &v)?;
        Ok(view)
    })
    .await?;
    match view {
        Some(view) => check_page(StatusCode::OK, &nonce, &viewer, &view),
        None => Ok(see_other(&format!("/programmes/{id}/returns"))),
    }
}

/// `POST /programmes/{id}/returns/new`: submits the quarter once the declaration is
/// ticked; the page again with 422 otherwise.
pub async fn submit(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ProgrammeId>,
    form: Fields,
) -> Result<HttpResponse, PageError> {
    let session = viewer.session_id;
    let input = Input::from_pairs(form.into_inner());
    let outcome = blocking(move || {
        let mut conn = state.conn()?;
        let ctx = crate::web::shared::page_ctx(&state, &actor);
        let Some(view) = check_view(&mut conn, &actor, id, ctx.today, &input)? else {
            return Ok(None);
        };
        if view.refused.is_some() {
            return Ok(Some(view));
        }
        let mut errors = Vec::new();
        if input.raw("declaration") != "yes" {
            errors.push(FieldError::new(
                "declaration",
                "Confirm that the figures and the narrative are correct to submit the return",
            ));
        }
        if errors.is_empty() {
            match casework::returns::submit(&mut conn, &ctx, id, input.clone()) {
                Ok((r, _)) => {
                    if let Some(s) = session {
                        let flash = format!("Return for {} submitted", quarter_name(&r.quarter));
                        store::login_sessions::set_flash(&mut conn, s, &flash)?;
                    }
                    return Ok(None);
                }
                Err(casework::CaseError::Invalid(e)) => errors = e,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Some(view.with_errors(&errors)))
    })
    .await?;
    match outcome {
        None => Ok(see_other(&format!("/programmes/{id}/returns"))),
        Some(view) => check_page(StatusCode::UNPROCESSABLE_ENTITY, &nonce, &viewer, &view),
    }
}

/// The caption of a return's question pages: the programme and the quarter.
fn caption(conn: &mut DbConn, r: &quarterly_returns::QuarterlyReturn) -> Result<String, AppError> {
    let name = store::programmes::find(conn, r.programme_id)?
        .map(|p| p.fields.name)
        .unwrap_or_default();
    Ok(format!("{name}, {}", quarter_name(&r.quarter)))
}

/// "October to December 2026 (Q3 2026-27)" for `2026-27-Q3`.
pub fn quarter_name(code: &str) -> String {
    returns::parse_quarter(code).map_or_else(|| code.to_string(), |q| q.long_name())
}

/// The decision page of a submitted return: its figures and narrative, then the decision.
fn decision_view(
    conn: &mut DbConn,
    actor: &Actor,
    id: ReturnId,
    today: NaiveDate,
    input: &Input,
) -> Result<CheckView, AppError> {
    let r = quarterly_returns::find(conn, actor.scope(), id)?;
    let p = store::programmes::find_visible(conn, actor.scope(), r.programme_id)?;
    let quarter = returns::parse_quarter(&r.quarter).ok_or(AppError::NotFound)?;
    let refused = (r.status != ReturnStatus::Submitted).then(|| {
        format!(
            "The return for {} is {}: only a submitted return can be decided",
            quarter.long_name(),
            r.status.display_label().to_lowercase()
        )
    });
    let decision = input.raw("decision");
    Ok(CheckView {
        caption: p.fields.name.clone(),
        heading: format!("Decide on the return for {}", quarter.long_name()),
        back: format!("/programmes/{}/returns", r.programme_id),
        action: format!("/returns/{id}/decision"),
        quarter: r.quarter.clone(),
        quarter_name: quarter.long_name(),
        ask_decision: refused.is_none(),
        return_only: refused.is_none() && returns::decidable(quarter, today).is_err(),
        refused,
        figures: quarter_lines(conn, &p, quarter)?,
        provider_narrative: Some(r.narrative.clone()),
        submitted_at: r.submitted_at.map(crate::format::moment),
        // Only a return approved before has changes since an approval to show.
        changes_link: store::audit::of_record(conn, "quarterly_return", &id.to_string())?
            .iter()
            .any(|e| e.action == crate::domain::enums::AuditAction::Approve.as_str())
            .then(|| format!("/returns/{id}/changes")),
        decision_approved: decision == "approved",
        decision_returned: decision == "returned",
        comment: input.raw("comment").to_string(),
        submit_label: "Save decision",
        ..CheckView::default()
    })
}

/// `GET /returns/{id}/decision`. A return approved before (unlocked and submitted
/// again) first shows what changed since that approval (`/returns/{id}/changes`), whose
/// "Continue to the decision" comes back here with `?changes_seen=yes`.
pub async fn decision(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ReturnId>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let seen = query.iter().any(|(k, v)| k == "changes_seen" && v == "yes");
    if !seen {
        let s = state.clone();
        let a = actor.clone();
        let approved_before = blocking(move || {
            let mut conn = s.conn()?;
            quarterly_returns::find(&mut conn, a.scope(), id)?;
            Ok(
                crate::store::audit::of_record(&mut conn, "quarterly_return", &id.to_string())?
                    .iter()
                    .any(|e| e.action == crate::domain::enums::AuditAction::Approve.as_str()),
            )
        })
        .await?;
        if approved_before {
            return Ok(crate::web::session::see_other(&format!(
                "/returns/{id}/changes"
            )));
        }
    }
    let today = state.today();
    let v = viewer.clone();
    let view = blocking(move || {
        let mut conn = state.conn()?;
        let view = decision_view(&mut conn, &actor, id, today, &Input::default())?;
        forms::shown(&mut conn, &v)?;
        Ok(view)
    })
    .await?;
    check_page(StatusCode::OK, &nonce, &viewer, &view)
}

/// `POST /returns/{id}/decision`.
pub async fn save_decision(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ReturnId>,
    form: Fields,
) -> Result<HttpResponse, PageError> {
    let session = viewer.session_id;
    let input = Input::from_pairs(form.into_inner());
    let outcome = blocking(move || {
        let mut conn = state.conn()?;
        let ctx = crate::web::shared::page_ctx(&state, &actor);
        match casework::returns::decide(&mut conn, &ctx, id, input.clone()) {
            Ok(r) => {
                let what = if r.status == ReturnStatus::Approved {
                    "approved: records dated in the quarter are locked"
                } else {
                    "returned to the provider"
                };
                if let Some(s) = session {
                    let flash = format!("Return for {} {what}", quarter_name(&r.quarter));
                    store::login_sessions::set_flash(&mut conn, s, &flash)?;
                }
                Ok(Ok(r.programme_id))
            }
            Err(casework::CaseError::Invalid(errors)) => {
                let view = decision_view(&mut conn, &actor, id, ctx.today, &input)?;
                Ok(Err(view.with_errors(&errors)))
            }
            Err(e) => Err(e.into()),
        }
    })
    .await?;
    match outcome {
        Ok(programme) => Ok(see_other(&format!("/programmes/{programme}/returns"))),
        Err(view) => check_page(StatusCode::UNPROCESSABLE_ENTITY, &nonce, &viewer, &view),
    }
}

fn withdraw_form(id: ReturnId) -> Build {
    Box::new(move |conn, actor| {
        let r = quarterly_returns::find(conn, actor.scope(), id)?;
        Ok(Form {
            heading: format!("Withdraw the return for {}?", quarter_name(&r.quarter)),
            caption: Some(caption(conn, &r)?),
            action: format!("/returns/{id}/withdraw"),
            submit: "Withdraw return",
            back: Some(format!("/programmes/{}/returns", r.programme_id)),
            fields: vec![Field::new("confirm", "", Widget::Hidden)],
        })
    })
}

/// `GET /returns/{id}/withdraw`: asks to confirm withdrawing a submitted return (it can
/// be submitted again after).
pub async fn withdraw(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ReturnId>,
) -> Result<HttpResponse, PageError> {
    let query = vec![("confirm".to_string(), "yes".to_string())];
    forms::show(state, nonce, viewer, actor, query, withdraw_form(id)).await
}

/// `POST /returns/{id}/withdraw`.
pub async fn save_withdraw(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ReturnId>,
    form: Fields,
) -> Result<HttpResponse, PageError> {
    forms::submit(
        state,
        nonce,
        viewer,
        actor,
        form.into_inner(),
        withdraw_form(id),
        Box::new(move |conn, ctx, _| {
            let r = casework::returns::withdraw(conn, ctx, id)?;
            Ok((
                format!("/programmes/{}/returns", r.programme_id),
                format!(
                    "Return for {} withdrawn: it can be submitted again",
                    quarter_name(&r.quarter)
                ),
            ))
        }),
    )
    .await
}

fn unlock_form(id: ReturnId) -> Build {
    Box::new(move |conn, actor| {
        let r = quarterly_returns::find(conn, actor.scope(), id)?;
        Ok(Form {
            heading: format!("Unlock the return for {}", quarter_name(&r.quarter)),
            caption: Some(caption(conn, &r)?),
            action: format!("/returns/{id}/unlock"),
            submit: "Unlock return",
            back: Some(format!("/programmes/{}/returns", r.programme_id)),
            fields: vec![Field::new("reason", "Reason for unlocking", Widget::Textarea).hint(
                "Records dated in the quarter can be changed again until the return is approved again. The reason is kept in the audit trail: do not include personal details",
            )],
        })
    })
}

/// `GET /returns/{id}/unlock`.
pub async fn unlock(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ReturnId>,
) -> Result<HttpResponse, PageError> {
    forms::show(state, nonce, viewer, actor, Vec::new(), unlock_form(id)).await
}

/// `POST /returns/{id}/unlock`.
pub async fn save_unlock(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ReturnId>,
    form: Fields,
) -> Result<HttpResponse, PageError> {
    forms::submit(
        state,
        nonce,
        viewer,
        actor,
        form.into_inner(),
        unlock_form(id),
        Box::new(move |conn, ctx, input| {
            let r = casework::returns::unlock(conn, ctx, id, input)?;
            Ok((
                format!("/programmes/{}/returns", r.programme_id),
                format!("Return for {} unlocked", quarter_name(&r.quarter)),
            ))
        }),
    )
    .await
}

/// A quarter of `pages/returns`.
#[derive(Serialize)]
struct QuarterView {
    /// Like `2026-27-Q3`.
    quarter: String,
    /// "October to December 2026 (Q3 2026-27)".
    name: String,
    status: &'static str,
    colour: &'static str,
    comment: Option<String>,
    comment_label: &'static str,
    narrative: Option<String>,
    locked: bool,
    submit: bool,
    resubmit: bool,
    /// The quarter is still running: the day its return can be submitted.
    opens_on: Option<String>,
    withdraw: bool,
    decide: bool,
    unlock: bool,
    id: Option<ReturnId>,
}

/// The view of `pages/returns`: a programme's quarters, newest first.
#[derive(Serialize)]
struct ReturnsView {
    id: ProgrammeId,
    name: String,
    quarters: Vec<QuarterView>,
}

/// A figure of the quarter, as approved and now.
#[derive(Serialize)]
struct FigureChangeView {
    figure: String,
    approved: String,
    now: String,
}

/// A record changed in the quarter since approval.
#[derive(Serialize)]
struct RecordChangeView {
    at: String,
    record: String,
    action: String,
    fields: String,
    reason: String,
    by: String,
}

/// The view of `pages/return_changes`.
#[derive(Serialize)]
struct ChangesView {
    id: ReturnId,
    quarter: String,
    caption: String,
    programme_id: ProgrammeId,
    figures_kept: bool,
    approved_at: Option<String>,
    figures: Vec<FigureChangeView>,
    records: Vec<RecordChangeView>,
    can_decide: bool,
}

/// The view of the "what changed since approval" page.
fn changes_body(
    conn: &mut crate::db::DbConn,
    changes: &casework::return_changes::ReturnChanges,
    r: &quarterly_returns::QuarterlyReturn,
    can_decide: bool,
) -> Result<ChangesView, crate::web::errors::AppError> {
    let show = |v: &Value| match v {
        Value::Null => "–".to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() != 0.0 => format!("{f:.2}"),
            _ => n.to_string(),
        },
        other => other.to_string(),
    };
    Ok(ChangesView {
        id: r.id,
        quarter: quarter_name(&r.quarter),
        caption: caption(conn, r)?,
        programme_id: r.programme_id,
        figures_kept: changes.figures_kept,
        approved_at: changes
            .approved_at
            .map(|t| crate::format::moment(t.naive_utc())),
        figures: changes
            .figures
            .iter()
            .map(|f| FigureChangeView {
                figure: f.figure.replace('_', " "),
                approved: show(&f.approved),
                now: show(&f.now),
            })
            .collect(),
        records: changes
            .records
            .iter()
            .map(|c| RecordChangeView {
                at: crate::format::moment(c.at),
                record: format!("{} {}", c.kind.entity().replace('_', " "), c.id),
                action: c.action.replace('_', " "),
                fields: c.fields.join(", ").replace('_', " "),
                reason: c.reason.clone().unwrap_or_default(),
                by: c.by.clone(),
            })
            .collect(),
        can_decide: can_decide && r.status == ReturnStatus::Submitted,
    })
}

/// `GET /returns/{id}/changes`: what changed in the quarter since the return was last
/// approved (figures and records), with the way on to the decision.
pub async fn changes(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ReturnId>,
) -> Result<HttpResponse, PageError> {
    let can_decide = RETURN_DECISION_ROLES.contains(&actor.role);
    let body = blocking(move || {
        let mut conn = state.conn()?;
        let ctx = crate::web::shared::page_ctx(&state, &actor);
        let r = quarterly_returns::find(&mut conn, actor.scope(), id)?;
        let changes = casework::return_changes::since_approval(&mut conn, &ctx, id)?;
        changes_body(&mut conn, &changes, &r, can_decide)
    })
    .await?;
    let title = format!("What changed in {} since approval", body.quarter);
    render(
        "pages/return_changes",
        &viewer_context(&title, &nonce, &viewer, "", &body),
    )
}
