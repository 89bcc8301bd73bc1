//! Quarterly return pages: a programme's quarters with their status (`/programmes/{id}/
//! returns`), the submit question (`/programmes/{id}/returns/new`), a commissioner's
//! decision (`/returns/{id}/decision`) and an admin's unlock (`/returns/{id}/unlock`).
//! The commands are `casework::returns`, shared with the API.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::Value;

use super::forms::{self, Build, Field, Form, Widget};
use super::{render, viewer_context, Page};
use crate::casework;
use crate::domain::access::{RETURN_DECISION_ROLES, RETURN_SUBMIT_ROLES};
use crate::domain::enums::ReturnStatus;
use crate::domain::ids::{ProgrammeId, ReturnId};
use crate::domain::returns::quarters_to_return;
use crate::store::{self, quarterly_returns};
use crate::web::errors::{blocking, PageError};
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
    let body = blocking(move || {
        let mut conn = state.conn()?;
        let p = store::programmes::find_visible(&mut conn, actor.scope(), id)?;
        let returns: HashMap<String, quarterly_returns::QuarterlyReturn> =
            quarterly_returns::of_programme(&mut conn, id)?
                .into_iter()
                .map(|r| (r.quarter.clone(), r))
                .collect();
        let today = chrono::Utc::now().date_naive();
        let (submit, decide, unlock) = (
            RETURN_SUBMIT_ROLES.contains(&actor.role),
            RETURN_DECISION_ROLES.contains(&actor.role),
            crate::domain::access::ADMIN_ONLY.contains(&actor.role),
        );
        let mut quarters: Vec<_> = quarters_to_return(today, p.fields.starts_on, p.fields.ends_on)
            .into_iter()
            .map(|q| q.to_string())
            .collect();
        // Returns of quarters outside today's list (e.g. the programme's dates changed).
        for q in returns.keys() {
            if !quarters.contains(q) {
                quarters.push(q.clone());
            }
        }
        quarters.sort_by(|a, b| b.cmp(a));
        let rows: Vec<QuarterView> = quarters
            .iter()
            .map(|q| {
                let r = returns.get(q);
                let status = r.map(|r| r.status);
                let (text, colour) = tag(status);
                let can_submit = submit
                    && matches!(
                        status,
                        None | Some(ReturnStatus::Returned) | Some(ReturnStatus::Unlocked)
                    );
                QuarterView {
                    quarter: q.clone(),
                    status: text,
                    colour,
                    comment: r.map(|r| r.comment.clone()).filter(|c| !c.is_empty()),
                    comment_label: if status == Some(ReturnStatus::Unlocked) {
                        "Reason for unlocking"
                    } else {
                        "Comment"
                    },
                    locked: status == Some(ReturnStatus::Approved),
                    submit: can_submit,
                    resubmit: can_submit && status.is_some(),
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

fn submit_form(programme: ProgrammeId) -> Build {
    Box::new(move |conn, actor| {
        let p = store::programmes::find_visible(conn, actor.scope(), programme)?;
        let today = chrono::Utc::now().date_naive();
        let options = quarters_to_return(today, p.fields.starts_on, p.fields.ends_on)
            .into_iter()
            .map(|q| (q.to_string(), q.to_string()))
            .collect();
        Ok(Form {
            heading: "Submit a quarterly return".into(),
            caption: Some(p.fields.name),
            action: format!("/programmes/{programme}/returns/new"),
            submit: "Submit return",
            back: Some(format!("/programmes/{programme}/returns")),
            fields: vec![Field::new("quarter", "Quarter", Widget::Select(options))
                .hint("Once a commissioner approves it, records dated in the quarter are locked")],
        })
    })
}

/// `GET /programmes/{id}/returns/new`.
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
    forms::show(
        state,
        nonce,
        viewer,
        actor,
        query.into_inner(),
        submit_form(id),
    )
    .await
}

/// `POST /programmes/{id}/returns/new`.
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
    forms::submit(
        state,
        nonce,
        viewer,
        actor,
        form.into_inner(),
        submit_form(id),
        Box::new(move |conn, ctx, input| {
            let (r, _) = casework::returns::submit(conn, ctx, id, input)?;
            Ok((
                format!("/programmes/{id}/returns"),
                format!("Return for {} submitted", r.quarter),
            ))
        }),
    )
    .await
}

/// The caption of a return's question pages: the programme and the quarter.
fn caption(
    conn: &mut crate::db::DbConn,
    r: &quarterly_returns::QuarterlyReturn,
) -> Result<String, crate::web::errors::AppError> {
    let name = store::programmes::find(conn, r.programme_id)?
        .map(|p| p.fields.name)
        .unwrap_or_default();
    Ok(format!("{name}, {}", r.quarter))
}

fn decision_form(id: ReturnId) -> Build {
    Box::new(move |conn, actor| {
        let r = quarterly_returns::find(conn, actor.scope(), id)?;
        Ok(Form {
            heading: format!("Decide on the {} return", r.quarter),
            caption: Some(caption(conn, &r)?),
            action: format!("/returns/{id}/decision"),
            submit: "Save decision",
            back: Some(format!("/programmes/{}/returns", r.programme_id)),
            fields: vec![
                Field::new(
                    "decision",
                    "Decision",
                    Widget::Radios(vec![
                        ("approved".into(), "Approve: lock the records dated in the quarter".into()),
                        ("returned".into(), "Return to the provider".into()),
                    ]),
                ),
                Field::new("comment", "Comment", Widget::Textarea).hint(
                    "Required to return: say what the provider needs to change. Do not include personal details",
                ),
            ],
        })
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
    forms::show(state, nonce, viewer, actor, Vec::new(), decision_form(id)).await
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
    forms::submit(
        state,
        nonce,
        viewer,
        actor,
        form.into_inner(),
        decision_form(id),
        Box::new(move |conn, ctx, input| {
            let r = casework::returns::decide(conn, ctx, id, input)?;
            let what = if r.status == ReturnStatus::Approved {
                "approved: records dated in the quarter are locked"
            } else {
                "returned to the provider"
            };
            Ok((
                format!("/programmes/{}/returns", r.programme_id),
                format!("Return for {} {what}", r.quarter),
            ))
        }),
    )
    .await
}

fn unlock_form(id: ReturnId) -> Build {
    Box::new(move |conn, actor| {
        let r = quarterly_returns::find(conn, actor.scope(), id)?;
        Ok(Form {
            heading: format!("Unlock the {} return", r.quarter),
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
                format!("Return for {} unlocked", r.quarter),
            ))
        }),
    )
    .await
}

/// A quarter of `pages/returns`.
#[derive(Serialize)]
struct QuarterView {
    quarter: String,
    status: &'static str,
    colour: &'static str,
    comment: Option<String>,
    comment_label: &'static str,
    locked: bool,
    submit: bool,
    resubmit: bool,
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
        quarter: r.quarter.clone(),
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
