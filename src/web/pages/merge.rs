//! Merging two participants on the pages (docs/casework.md, "Merging participants"):
//! "Merge with another participant" on a participant's page asks for the case reference
//! of the record to keep (`/participants/{id}/merge`), then a confirmation page shows
//! both records side by side and asks for the reason (`/participants/{id}/merge/confirm
//! ?into=`); merging runs `casework::merge::merge`, as the API does.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::forms::{self, Build, Field, Form, Widget};
use super::{render_status, viewer_context, Page};
use crate::casework::merge::{self, Plan};
use crate::casework::CaseError;
use crate::domain::access::Actor;
use crate::domain::ids::{ParticipantId, ReferralId};
use crate::domain::validation::{FieldError, Input};
use crate::store::participants::Participant;
use crate::store::referrals::ReferralFilter;
use crate::store::{self, login_sessions};
use crate::web::errors::{blocking, AppError, PageError};
use crate::web::security::CspNonce;
use crate::web::session::{see_other, Viewer};
use crate::web::shared::PathId;

type Query = web::Query<Vec<(String, String)>>;
type Fields = web::Form<Vec<(String, String)>>;

const KEPT_REFERENCE: &str = "kept_reference";

fn choose_form(id: ParticipantId) -> Build {
    Box::new(move |conn, actor| {
        let p = store::participants::find(conn, actor.scope(), id)?;
        Ok(Form {
            heading: "Merge with another participant".into(),
            caption: Some(format!("Participant {}", p.fields.reference)),
            action: format!("/participants/{id}/merge"),
            submit: "Continue",
            back: Some(format!("/participants/{id}")),
            fields: vec![Field::new(
                KEPT_REFERENCE,
                "Case reference of the record to keep",
                Widget::Text,
            )
            .hint(format!(
                "When {} and another record are the same person: {}'s referrals move to the record you keep, and {} is marked as merged. You will see both records before anything changes.",
                p.fields.reference, p.fields.reference, p.fields.reference
            ))],
        })
    })
}

/// `GET /participants/{id}/merge`: which record to keep.
pub async fn choose(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ParticipantId>,
) -> Result<HttpResponse, PageError> {
    forms::show(state, nonce, viewer, actor, Vec::new(), choose_form(id)).await
}

/// Errors of the merge about the kept record, shown beside the field of this page.
fn on_field(e: CaseError, field: &str) -> CaseError {
    let move_field = |mut f: FieldError| {
        if f.field == "into" {
            f.field = field.to_string();
        }
        f
    };
    match e {
        CaseError::Invalid(errors) => {
            CaseError::Invalid(errors.into_iter().map(move_field).collect())
        }
        CaseError::Locked(f) => CaseError::Locked(move_field(f)),
        other => other,
    }
}

/// `POST /participants/{id}/merge`: finds the kept record by its case reference, checks
/// the merge can be made, and goes on to the confirmation page.
pub async fn chosen(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ParticipantId>,
    form: Fields,
) -> Result<HttpResponse, PageError> {
    forms::submit(
        state,
        nonce,
        viewer,
        actor,
        form.into_inner(),
        choose_form(id),
        Box::new(move |conn, ctx, mut input| {
            let reference = input.text(
                KEPT_REFERENCE,
                64,
                "Enter the case reference of the record to keep",
            );
            input.finish()?;
            let reference = reference.ok_or(CaseError::Invalid(Vec::new()))?;
            let found =
                store::participants::list(conn, ctx.actor.scope(), Some(&reference), 2, 0)?;
            let Some(kept) = found.first() else {
                return Err(crate::casework::invalid(
                    KEPT_REFERENCE,
                    format!("There is no participant with the case reference '{reference}' in your organisation"),
                ));
            };
            merge::plan(conn, ctx, id, kept.id).map_err(|e| on_field(e, KEPT_REFERENCE))?;
            // No banner: the next page is the check before merging.
            Ok((
                format!("/participants/{id}/merge/confirm?into={}", kept.id),
                String::new(),
            ))
        }),
    )
    .await
}

/// A referral of a record on the merge check page.
#[derive(Serialize)]
struct ReferralLine {
    id: ReferralId,
    reference: String,
    referred_on: String,
}

/// One of the two records on the merge check page.
#[derive(Serialize)]
struct RecordView {
    id: ParticipantId,
    reference: String,
    date_of_birth: String,
    gender: String,
    ethnicity: String,
    district: String,
    police_id: &'static str,
    referrals: Vec<ReferralLine>,
}

/// An entry of the error summary.
#[derive(Serialize)]
struct SummaryLink {
    href: &'static str,
    text: String,
}

/// The view of `pages/casework/merge_confirm`.
#[derive(Serialize)]
struct ConfirmView {
    heading: String,
    merged: RecordView,
    kept: RecordView,
    moving: usize,
    takes_key: bool,
    reason: String,
    action: String,
    back: String,
    errors: Vec<SummaryLink>,
    reason_error: Option<String>,
}

fn record(
    conn: &mut crate::db::DbConn,
    actor: &Actor,
    p: &Participant,
) -> Result<RecordView, AppError> {
    let filter = ReferralFilter {
        participant: Some(p.id),
        ..Default::default()
    };
    let referrals = store::referrals::list(conn, actor.scope(), &filter, 200, 0)?
        .into_iter()
        .map(|r| ReferralLine {
            id: r.id,
            reference: r.fields.reference,
            referred_on: crate::format::date(r.fields.referred_on),
        })
        .collect();
    Ok(RecordView {
        id: p.id,
        reference: p.fields.reference.clone(),
        date_of_birth: p
            .fields
            .date_of_birth
            .map(crate::format::date)
            .unwrap_or_else(|| "Not given".into()),
        gender: p.fields.gender.display_label(),
        ethnicity: p.fields.ethnicity.display_label(),
        district: p
            .fields
            .district
            .clone()
            .unwrap_or_else(|| "Not given".into()),
        police_id: if p.fields.person_key.is_some() {
            "Recorded (as a key)"
        } else {
            "Not given"
        },
        referrals,
    })
}

fn confirm_body(
    conn: &mut crate::db::DbConn,
    actor: &Actor,
    plan: &Plan,
    reason: &str,
    errors: &[FieldError],
) -> Result<ConfirmView, AppError> {
    let moving = plan.referrals.iter().filter(|r| !r.2).count();
    let merged = record(conn, actor, &plan.merged)?;
    let kept = record(conn, actor, &plan.kept)?;
    Ok(ConfirmView {
        heading: format!("Merge {} into {}", merged.reference, kept.reference),
        merged,
        kept,
        moving,
        takes_key: plan.takes_key,
        reason: reason.to_string(),
        action: format!("/participants/{}/merge/confirm", plan.merged.id),
        back: format!("/participants/{}/merge", plan.merged.id),
        errors: errors
            .iter()
            .map(|e| SummaryLink {
                href: if e.field == "reason" {
                    "#reason"
                } else {
                    "#main-content"
                },
                text: e.message.clone(),
            })
            .collect(),
        reason_error: errors
            .iter()
            .find(|e| e.field == "reason")
            .map(|e| e.message.clone()),
    })
}

fn confirm_page(
    status: StatusCode,
    nonce: &CspNonce,
    viewer: &Viewer,
    body: ConfirmView,
) -> Result<HttpResponse, PageError> {
    let title = if status == StatusCode::OK {
        body.heading.clone()
    } else {
        format!("Error: {}", body.heading)
    };
    render_status(
        status,
        "pages/casework/merge_confirm",
        &viewer_context(&title, nonce, viewer, "", &body),
    )
}

/// The kept record's id from the query or the form (`into`).
fn into_of(pairs: &[(String, String)]) -> Option<ParticipantId> {
    pairs
        .iter()
        .find(|(k, _)| k == "into")
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .map(ParticipantId)
}

/// `GET /participants/{id}/merge/confirm?into=`: both records side by side, what will
/// move, and the reason to give.
pub async fn confirm(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ParticipantId>,
    query: Query,
) -> Result<HttpResponse, PageError> {
    let into = into_of(&query);
    let shown = blocking(move || {
        let mut conn = state.conn()?;
        // Another organisation's record is 404 first.
        store::participants::find(&mut conn, actor.scope(), id)?;
        let Some(into) = into else {
            return Ok(None);
        };
        let ctx = crate::web::shared::page_ctx(&state, &actor);
        match merge::plan(&mut conn, &ctx, id, into) {
            Ok(plan) => Ok(Some(confirm_body(&mut conn, &actor, &plan, "", &[])?)),
            // The records changed since they were chosen: choose again.
            Err(CaseError::Invalid(_) | CaseError::Locked(_)) => Ok(None),
            Err(e) => Err(AppError::from(e)),
        }
    })
    .await?;
    match shown {
        Some(body) => confirm_page(StatusCode::OK, &nonce, &viewer, body),
        None => Ok(see_other(&format!("/participants/{id}/merge"))),
    }
}

/// `POST /participants/{id}/merge/confirm`: merges, then shows the kept record.
pub async fn confirmed(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ParticipantId>,
    form: Fields,
) -> Result<HttpResponse, PageError> {
    let fields = form.into_inner();
    let into = into_of(&fields);
    let session = viewer.session_id;
    let outcome = blocking(move || {
        let mut conn = state.conn()?;
        let merged = store::participants::find(&mut conn, actor.scope(), id)?;
        let Some(into) = into else {
            return Ok(Err(None));
        };
        let input = Input::from_pairs(fields);
        let reason = input.raw("reason").to_string();
        let ctx = crate::web::shared::page_ctx(&state, &actor);
        match merge::merge(&mut conn, &ctx, id, input) {
            Ok(done) => {
                let kept = store::participants::find(&mut conn, actor.scope(), into)?;
                let flash = format!(
                    "{} merged into {}: {} moved",
                    merged.fields.reference,
                    kept.fields.reference,
                    plural(done.referrals.len(), "referral"),
                );
                if let Some(s) = session {
                    login_sessions::set_flash(&mut conn, s, &flash)?;
                }
                Ok(Ok(into))
            }
            Err(e @ (CaseError::Invalid(_) | CaseError::Locked(_))) => {
                let status = if matches!(e, CaseError::Locked(_)) {
                    StatusCode::CONFLICT
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                };
                let errors = match e {
                    CaseError::Invalid(errors) => errors,
                    CaseError::Locked(f) => vec![f],
                    _ => Vec::new(),
                };
                match merge::plan(&mut conn, &ctx, id, into) {
                    Ok(plan) => Ok(Err(Some((
                        status,
                        confirm_body(&mut conn, &actor, &plan, &reason, &errors)?,
                    )))),
                    Err(_) => Ok(Err(None)),
                }
            }
            Err(e) => Err(AppError::from(e)),
        }
    })
    .await?;
    match outcome {
        Ok(into) => Ok(see_other(&format!("/participants/{into}"))),
        Err(Some((status, body))) => confirm_page(status, &nonce, &viewer, body),
        Err(None) => Ok(see_other(&format!("/participants/{id}/merge"))),
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
