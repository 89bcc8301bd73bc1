//! Erasure and subject access on the pages (docs/erasure-and-retention.md): the "Data
//! protection" block of a participant's page (`section`), the confirmation page of an
//! erasure (`/participants/{id}/erase`), the subject access download
//! (`/participants/{id}/export?format=json|pdf`), and a programme's evaluation hold and
//! retention period (`/programmes/{id}/evaluation-hold`, `/programmes/{id}/retention`).
//! Views are typed structs.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::forms::{self, Build, Field, Form, Widget};
use super::{render_status, viewer_context, Page};
use crate::casework::erasure::{self, Eraser, HeldBy, ERASE_ROLES, OVERRIDE_FIELD};
use crate::casework::holds::{self, HOLD_ROLES};
use crate::casework::subject_access::{self, Requester, EXPORT_ROLES};
use crate::casework::CaseError;
use crate::domain::access::Actor;
use crate::domain::enums::{ErasureReason, Role};
use crate::domain::ids::{ParticipantId, ProgrammeId};
use crate::domain::retention::{describe_months, DEFAULT_RETENTION_MONTHS};
use crate::domain::validation::{FieldError, Input};
use crate::store::{self, login_sessions};
use crate::web::errors::{blocking, AppError, PageError};
use crate::web::security::CspNonce;
use crate::web::session::{see_other, Viewer};
use crate::web::shared::PathId;
use crate::web::AppState;

/// The "Data protection" block of a participant's page: what the viewer may do.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub id: i64,
    pub can_erase: bool,
    pub can_export: bool,
}

/// The block for `actor` on participant `id`'s page (`None` when they may do neither).
pub fn section(actor: &Actor, id: ParticipantId) -> Option<Section> {
    let s = Section {
        id: id.0,
        can_erase: ERASE_ROLES.contains(&actor.role),
        can_export: EXPORT_ROLES.contains(&actor.role),
    };
    (s.can_erase || s.can_export).then_some(s)
}

#[derive(Debug, Clone, Serialize)]
struct Choice {
    value: &'static str,
    text: String,
    checked: bool,
}

#[derive(Debug, Clone, Serialize)]
struct ErrorLink {
    href: String,
    text: String,
}

/// The confirmation page of an erasure.
#[derive(Debug, Clone, Serialize)]
struct ConfirmView {
    heading: String,
    id: i64,
    reference: String,
    action: String,
    back: String,
    referrals: usize,
    attendance: usize,
    outcome_records: usize,
    merged_records: usize,
    reasons: Vec<Choice>,
    reason_error: Option<String>,
    held_by: Vec<HeldBy>,
    held_ends: Vec<String>,
    may_override: bool,
    override_reason: String,
    override_error: Option<String>,
    errors: Vec<ErrorLink>,
}

fn confirm_view(
    conn: &mut crate::db::DbConn,
    actor: &Actor,
    id: ParticipantId,
    input: &Input,
    errors: &[FieldError],
) -> Result<ConfirmView, AppError> {
    let p = store::participants::find(conn, actor.scope(), id)?;
    let ids = store::erasures::ids_to_erase(conn, id)?;
    let referrals = store::subject_access::referrals(conn, &ids)?;
    let referral_ids: Vec<i64> = referrals.iter().map(|r| r.id).collect();
    let attendance = store::subject_access::attendance(conn, &referral_ids)?.len();
    let outcome_records = store::subject_access::outcomes(conn, &referral_ids)?.len();
    let held_by = erasure::holds_on(conn, id, chrono::Utc::now().date_naive())?;
    let chosen = input.raw("reason");
    let reasons = ErasureReason::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str(),
            text: r.display_label(),
            checked: chosen == r.as_str(),
        })
        .collect();
    let error_on = |field: &str| {
        errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    };
    Ok(ConfirmView {
        heading: format!("Erase {}", p.fields.reference),
        id: id.0,
        reference: p.fields.reference,
        action: format!("/participants/{id}/erase"),
        back: format!("/participants/{id}"),
        referrals: referrals.len(),
        attendance,
        outcome_records,
        merged_records: ids.len() - 1,
        reasons,
        reason_error: error_on("reason"),
        held_ends: held_by
            .iter()
            .map(|h| h.ends_on.format("%-d %B %Y").to_string())
            .collect(),
        held_by,
        may_override: actor.role == Role::Admin,
        override_reason: input.raw(OVERRIDE_FIELD).to_string(),
        override_error: error_on(OVERRIDE_FIELD),
        errors: errors
            .iter()
            .map(|e| ErrorLink {
                href: if e.field == "reason" || e.field == OVERRIDE_FIELD {
                    format!("#{}", e.field)
                } else {
                    "#main-content".into()
                },
                text: e.message.clone(),
            })
            .collect(),
    })
}

fn confirm_page(
    status: StatusCode,
    nonce: &CspNonce,
    viewer: &Viewer,
    view: ConfirmView,
) -> Result<HttpResponse, PageError> {
    let title = if status == StatusCode::OK {
        view.heading.clone()
    } else {
        format!("Error: {}", view.heading)
    };
    render_status(
        status,
        "pages/casework/erase",
        &viewer_context(&title, nonce, viewer, "", &view),
    )
}

/// `GET /participants/{id}/erase`: what erasing deletes, the reason to give, and any
/// evaluation hold that stands in the way.
pub async fn confirm(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ParticipantId>,
) -> Result<HttpResponse, PageError> {
    let view = blocking(move || {
        let mut conn = state.conn()?;
        confirm_view(&mut conn, &actor, id, &Input::from_pairs(Vec::new()), &[])
    })
    .await?;
    confirm_page(StatusCode::OK, &nonce, &viewer, view)
}

/// `POST /participants/{id}/erase`: erases, then shows the list of participants with a
/// banner (naming no one).
pub async fn erase(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ParticipantId>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let session = viewer.session_id;
    let input = Input::from_pairs(form.into_inner());
    let outcome = blocking(move || {
        let mut conn = state.conn()?;
        // Another organisation's participant is 404 before anything is read.
        store::participants::find(&mut conn, actor.scope(), id)?;
        let reason = match input.raw("reason").parse::<ErasureReason>() {
            Ok(r) => r,
            Err(_) => {
                let errors = vec![FieldError::new(
                    "reason",
                    "Select why this participant is being erased",
                )];
                let view = confirm_view(&mut conn, &actor, id, &input, &errors)?;
                return Ok(Err(view));
            }
        };
        let override_reason = Some(input.raw(OVERRIDE_FIELD)).filter(|r| !r.trim().is_empty());
        match erasure::erase(
            &mut conn,
            Eraser::User(&actor, "page"),
            id,
            reason,
            override_reason,
            chrono::Utc::now().date_naive(),
        ) {
            Ok(done) => {
                if let Some(s) = session {
                    login_sessions::set_flash(
                        &mut conn,
                        s,
                        &format!(
                            "The participant was erased: {} deleted (erasure record {})",
                            done.counts.describe(),
                            done.id
                        ),
                    )?;
                }
                Ok(Ok(()))
            }
            Err(CaseError::Invalid(errors)) => {
                let view = confirm_view(&mut conn, &actor, id, &input, &errors)?;
                Ok(Err(view))
            }
            Err(e) => Err(AppError::from(e)),
        }
    })
    .await?;
    match outcome {
        Ok(()) => Ok(see_other("/participants")),
        Err(view) => confirm_page(StatusCode::UNPROCESSABLE_ENTITY, &nonce, &viewer, view),
    }
}

/// `GET /participants/{id}/export?format=json|pdf`: everything held about the
/// participant, as a file (audited).
pub async fn export(
    state: web::Data<AppState>,
    actor: Actor,
    PathId(id): PathId<ParticipantId>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let pdf = query.iter().any(|(k, v)| k == "format" && v == "pdf");
    let (reference, bytes) = blocking(move || {
        let mut conn = state.conn()?;
        let p = store::participants::find(&mut conn, actor.scope(), id)?;
        let format = if pdf { "pdf" } else { "json" };
        let export =
            subject_access::export(&mut conn, Requester::User(&actor, "page"), id, format)?;
        let bytes = if pdf {
            crate::reports::render_subject_access(&export)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("the export PDF: {e}")))?
        } else {
            serde_json::to_vec_pretty(&export)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("the export: {e}")))?
        };
        Ok((p.fields.reference, bytes))
    })
    .await?;
    let (media, extension) = if pdf {
        ("application/pdf", "pdf")
    } else {
        ("application/json", "json")
    };
    // The reference is the provider's own; only safe characters go into the file name.
    let safe: String = reference
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    Ok(HttpResponse::Ok()
        .content_type(media)
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"subject-access-{safe}.{extension}\""),
        ))
        .body(bytes))
}

fn hold_form(id: ProgrammeId) -> Build {
    Box::new(move |conn, actor| {
        let p = store::programmes::find_visible(conn, actor.scope(), id)?;
        let current = store::retention::hold_of(conn, id)?;
        let hint = match &current {
            Some(h) => format!(
                "Now under a hold until {} ({}). Saving replaces it; to end it now, choose Lift the hold.",
                h.ends_on.format("%-d %B %Y"),
                h.reason
            ),
            None => "While the hold lasts, participants of this programme whose reoffending follow-up is not over (18 months after referral) cannot be erased, unless an admin overrides it.".into(),
        };
        Ok(Form {
            heading: "Evaluation hold".into(),
            caption: Some(p.fields.name),
            action: format!("/programmes/{id}/evaluation-hold"),
            submit: "Save the hold",
            back: Some(format!("/programmes/{id}")),
            fields: vec![
                Field::date("ends_on", "Last day of the hold").hint(hint),
                Field::new("reason", "Reason for the hold", Widget::Textarea).hint(
                    "For example, the evaluation of the 2025-26 cohort. Do not include personal details.",
                ),
                Field::new(
                    "lift",
                    "Lift the hold",
                    Widget::Checkbox("Lift the hold instead (the date and reason are then not needed)".into()),
                ),
            ],
        })
    })
}

/// `GET /programmes/{id}/evaluation-hold`.
pub async fn hold_page(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ProgrammeId>,
) -> Result<HttpResponse, PageError> {
    // A hold in force is shown filled in, so that extending it is one change.
    let st = state.clone();
    let current = blocking(move || Ok(store::retention::hold_of(&mut *st.conn()?, id)?)).await?;
    let prefill = current
        .map(|h| {
            vec![
                ("ends_on".to_string(), h.ends_on.to_string()),
                ("reason".to_string(), h.reason),
            ]
        })
        .unwrap_or_default();
    forms::show(state, nonce, viewer, actor, prefill, hold_form(id)).await
}

/// `POST /programmes/{id}/evaluation-hold`: sets (or lifts) the hold.
pub async fn save_hold(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ProgrammeId>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    forms::submit(
        state,
        nonce,
        viewer,
        actor,
        form.into_inner(),
        hold_form(id),
        Box::new(move |conn, ctx, mut input| {
            if !HOLD_ROLES.contains(&ctx.actor.role) {
                return Err(CaseError::NotFound);
            }
            let back = format!("/programmes/{id}");
            if input.flag("lift") {
                let lifted = holds::lift(conn, Some(ctx.actor), id)?;
                let flash = if lifted {
                    "The evaluation hold is lifted"
                } else {
                    "This programme had no evaluation hold"
                };
                return Ok((back, flash.into()));
            }
            let ends_on = input.date("ends_on", "the last day of the hold", None);
            let reason = input.text("reason", 500, "Enter the reason for the hold");
            input.finish()?;
            let (Some(ends_on), Some(reason)) = (ends_on, reason) else {
                return Err(CaseError::Invalid(Vec::new()));
            };
            if ends_on < ctx.today {
                return Err(crate::casework::invalid(
                    "ends_on",
                    "The last day of the hold must be today or later",
                ));
            }
            holds::set(conn, Some(ctx.actor), id, ends_on, &reason)?;
            Ok((
                back,
                format!(
                    "The programme is under an evaluation hold until {}",
                    ends_on.format("%-d %B %Y")
                ),
            ))
        }),
    )
    .await
}

fn retention_form(id: ProgrammeId) -> Build {
    Box::new(move |conn, actor| {
        let p = store::programmes::find_visible(conn, actor.scope(), id)?;
        let months = store::retention::periods(conn)?
            .get(&id)
            .copied()
            .unwrap_or(DEFAULT_RETENTION_MONTHS);
        Ok(Form {
            heading: "Retention period".into(),
            caption: Some(p.fields.name),
            action: format!("/programmes/{id}/retention"),
            submit: "Save the retention period",
            back: Some(format!("/programmes/{id}")),
            fields: vec![Field::new("months", "Months to keep records after a participant's last activity", Widget::Number)
                .hint(format!(
                    "Now {}. The default is 72 months (six years). A participant referred to several programmes is kept for the longest of their periods."
                    , describe_months(months)))],
        })
    })
}

/// `GET /programmes/{id}/retention` (admins).
pub async fn retention_page(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ProgrammeId>,
) -> Result<HttpResponse, PageError> {
    // The current period, filled in.
    let st = state.clone();
    let months = blocking(move || Ok(store::retention::periods(&mut *st.conn()?)?))
        .await?
        .get(&id)
        .copied()
        .unwrap_or(DEFAULT_RETENTION_MONTHS);
    let prefill = vec![("months".to_string(), months.to_string())];
    forms::show(state, nonce, viewer, actor, prefill, retention_form(id)).await
}

/// `POST /programmes/{id}/retention` (admins): sets the period (audited).
pub async fn save_retention(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ProgrammeId>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    forms::submit(
        state,
        nonce,
        viewer,
        actor,
        form.into_inner(),
        retention_form(id),
        Box::new(move |conn, ctx, input| {
            let raw = input.raw("months").trim().to_string();
            let months = match raw.parse::<i32>() {
                Ok(m) if (1..=1200).contains(&m) => m,
                _ => {
                    return Err(crate::casework::invalid(
                        "months",
                        "Enter a whole number of months from 1 to 1200",
                    ))
                }
            };
            store::write_transaction(conn, |conn| {
                store::retention::set_period(conn, id, months, Some(ctx.actor.user_id))?;
                store::audit::record(
                    conn,
                    store::audit::NewEvent::new(
                        crate::domain::enums::AuditAction::Update,
                        "programme",
                    )
                    .by(Some(ctx.actor))
                    .entity_id(id.0)
                    .fields(&["retention_months"])
                    .detail(format!("retention_months={months} via=page")),
                )?;
                Ok::<_, store::StoreError>(())
            })?;
            Ok((
                format!("/programmes/{id}"),
                format!(
                    "Records are now kept for {} after a participant's last activity",
                    describe_months(months)
                ),
            ))
        }),
    )
    .await
}

/// The "Retention and evaluation hold" block of a programme's page.
#[derive(Debug, Clone, Serialize)]
pub struct ProgrammeSection {
    /// "6 years".
    pub period: String,
    /// "Until 31 March 2027: the evaluation of ..." when a hold is in force.
    pub hold: Option<String>,
    pub can_hold: bool,
    pub can_set_retention: bool,
}

pub fn programme_section(
    conn: &mut crate::db::DbConn,
    actor: &Actor,
    id: ProgrammeId,
) -> Result<ProgrammeSection, AppError> {
    let months = store::retention::periods(conn)?
        .get(&id)
        .copied()
        .unwrap_or(DEFAULT_RETENTION_MONTHS);
    let today = chrono::Utc::now().date_naive();
    let hold = store::retention::hold_of(conn, id)?
        .filter(|h| crate::domain::retention::hold_in_force(h.ends_on, today))
        .map(|h| format!("Until {}: {}", h.ends_on.format("%-d %B %Y"), h.reason));
    Ok(ProgrammeSection {
        period: describe_months(months),
        hold,
        can_hold: HOLD_ROLES.contains(&actor.role),
        can_set_retention: actor.role == Role::Admin,
    })
}

/// One line of the report archive's list.
#[derive(Debug, Clone, Serialize)]
struct ArchiveLine {
    id: i64,
    archived: String,
    report: String,
    period: String,
    mode: &'static str,
    audience: &'static str,
}

#[derive(Debug, Clone, Serialize)]
struct ArchiveListView {
    entries: Vec<ArchiveLine>,
}

fn mode_label(mode: &str) -> &'static str {
    if mode == "published" {
        "Published"
    } else {
        "Internal"
    }
}

fn audience_label(audience: &str) -> &'static str {
    match audience {
        "aggregate" => "Commissioners and analysts",
        "operator" => "Command line",
        _ => "Provider or admin",
    }
}

fn period_text(e: &store::report_archive::Entry) -> String {
    format!(
        "{} to {}",
        e.period_from.format("%-d %B %Y"),
        e.period_to.format("%-d %B %Y")
    )
}

/// `GET /admin/report-archive`: every report given out, newest first.
pub async fn archive_list(
    state: web::Data<AppState>,
    nonce: CspNonce,
    viewer: Viewer,
) -> Result<HttpResponse, PageError> {
    let entries = blocking(move || Ok(store::report_archive::list(&mut *state.conn()?)?)).await?;
    let view = ArchiveListView {
        entries: entries
            .iter()
            .map(|e| ArchiveLine {
                id: e.id,
                archived: e.archived_at.format("%-d %B %Y %H:%M").to_string(),
                report: e.scope_name.clone(),
                period: period_text(e),
                mode: mode_label(&e.mode),
                audience: audience_label(&e.audience),
            })
            .collect(),
    };
    render_status(
        StatusCode::OK,
        "pages/admin/report_archive",
        &viewer_context("Report archive", &nonce, &viewer, "", &view),
    )
}

#[derive(Debug, Clone, Serialize)]
struct Figure {
    name: String,
    value: String,
}

#[derive(Debug, Clone, Serialize)]
struct ErasureLine {
    id: i64,
    erased: String,
    reason: String,
    deleted: String,
    of_this_report: i64,
}

#[derive(Debug, Clone, Serialize)]
struct ArchiveShowView {
    id: i64,
    heading: String,
    archived: String,
    period: String,
    mode: &'static str,
    audience: &'static str,
    via: String,
    format: String,
    parameters: Vec<Figure>,
    input_sha256: String,
    engagement: Vec<Figure>,
    erasures: Vec<ErasureLine>,
}

/// A JSON value as a cell: numbers and words as they are, `–` for null.
fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "–".into(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `GET /admin/report-archive/{id}`: an entry, its parameters and headline figures as
/// given out, and the erasures recorded since (counts only).
pub async fn archive_show(
    state: web::Data<AppState>,
    nonce: CspNonce,
    viewer: Viewer,
    PathId(id): PathId<i64>,
) -> Result<HttpResponse, PageError> {
    let (entry, since) = blocking(move || {
        let mut conn = state.conn()?;
        let entry = store::report_archive::find(&mut conn, id)?;
        let since = store::erasures::since(&mut conn, Some(entry.archived_at))?;
        Ok((entry, since))
    })
    .await?;
    let scalars = |v: &serde_json::Value| -> Vec<Figure> {
        v.as_object()
            .map(|o| {
                o.iter()
                    .filter(|(_, v)| !v.is_object() && !v.is_array())
                    .map(|(k, v)| Figure {
                        name: k.replace('_', " "),
                        value: cell(v),
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let view = ArchiveShowView {
        id: entry.id,
        heading: format!("{}: archived report {}", entry.scope_name, entry.id),
        archived: entry.archived_at.format("%-d %B %Y %H:%M:%S").to_string(),
        period: period_text(&entry),
        mode: mode_label(&entry.mode),
        audience: audience_label(&entry.audience),
        via: entry.via.clone(),
        format: entry.format.clone(),
        parameters: scalars(&entry.parameters),
        input_sha256: entry.input_sha256.clone(),
        engagement: scalars(&entry.figures["engagement"]),
        erasures: since
            .iter()
            .map(|e| ErasureLine {
                id: e.id,
                erased: e.erased_at.format("%-d %B %Y").to_string(),
                reason: e.reason.display_label(),
                deleted: e.counts.describe(),
                of_this_report: e.counts.referrals_of(&entry.programme_ids),
            })
            .collect(),
    };
    render_status(
        StatusCode::OK,
        "pages/admin/report_archive_entry",
        &viewer_context(&view.heading, &nonce, &viewer, "", &view),
    )
}
