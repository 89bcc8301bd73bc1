//! Data protection pages (issue 18, first part): the privacy notice, the accessibility
//! statement and the cookies page (public), the admin form for the notice's
//! organisation-specific parts, and the sections other pages show — a programme's lawful
//! basis and linkage, a referral's objection to linkage, and a participant's access
//! history (who looked at whom). docs/data-protection.md is written for the DPO.

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use serde::Serialize;

use super::forms::{self, Build, Field, Form, Widget};
use super::{render, viewer_context, Page};
use crate::db::DbConn;
use crate::domain::access::Actor;
use crate::domain::enums::{AccessPage, OrganisationKind, Role};
use crate::domain::ids::ParticipantId;
use crate::store::programmes::DataProtection;
use crate::store::settings::PRIVACY_SETTINGS;
use crate::store::{self, access_log};
use crate::web::errors::{blocking, AppError, PageError};
use crate::web::security::CspNonce;
use crate::web::session::{Viewer, PRE_SESSION_CSRF_COOKIE, SESSION_COOKIE};
use crate::web::AppState;

// --- a programme's data protection settings -------------------------------------------

/// A programme's lawful basis and linkage, as its page and the privacy notice show them.
#[derive(Debug, Clone, Serialize)]
pub struct ProgrammeProtection {
    pub lawful_basis: String,
    pub linkage: String,
    /// The condition for police-derived data; shown only when the programme links.
    pub offence_data_condition: Option<String>,
}

impl From<&DataProtection> for ProgrammeProtection {
    fn from(d: &DataProtection) -> Self {
        ProgrammeProtection {
            lawful_basis: d.lawful_basis.display_label(),
            linkage: if d.police_linkage {
                "Yes: police identifiers are linked to police data to measure reoffending, \
                 unless the person objected"
                    .into()
            } else {
                "No: nobody is linked to police data; reoffending is not measured".into()
            },
            offence_data_condition: d
                .police_linkage
                .then(|| d.offence_data_condition.display_label()),
        }
    }
}

// --- a referral's objection to linkage ------------------------------------------------

/// Whether the person of a referral objected to linkage, for the referral page.
#[derive(Debug, Clone, Serialize)]
pub struct ReferralLinkage {
    pub objection: bool,
    pub text: &'static str,
}

pub fn referral_linkage(objection: bool) -> ReferralLinkage {
    ReferralLinkage {
        objection,
        text: if objection {
            "Yes: not linked to police data (counted as \"not linked: objection\")"
        } else {
            "No"
        },
    }
}

// --- who looked at whom ---------------------------------------------------------------

/// One line of a participant's access history.
#[derive(Debug, Clone, Serialize)]
pub struct AccessRow {
    pub when: String,
    pub who: String,
    pub role: String,
    pub page: String,
}

/// The access history section of a participant's page.
#[derive(Debug, Clone, Serialize)]
pub struct AccessHistory {
    pub rows: Vec<AccessRow>,
    /// How many are shown at most (the newest).
    pub limit: i64,
}

/// How many views the participant page lists.
const HISTORY_LIMIT: i64 = 100;

/// Whether the actor may see a participant's access history: provider managers (of the
/// participant's organisation: the page is already scoped to it) and admins, not
/// caseworkers.
pub fn sees_access_history(actor: &Actor) -> bool {
    matches!(actor.role, Role::ProviderManager | Role::Admin)
}

fn when(t: NaiveDateTime) -> String {
    t.format("%-d %B %Y %H:%M").to_string()
}

/// Records the view of a participant (or of one of their referrals) and returns the
/// participant's access history when the actor may see it.
pub fn viewed(
    conn: &mut DbConn,
    actor: &Actor,
    participant: ParticipantId,
    page: AccessPage,
) -> Result<Option<AccessHistory>, AppError> {
    access_log::record(conn, actor, participant, page)?;
    if page != AccessPage::ParticipantPage || !sees_access_history(actor) {
        return Ok(None);
    }
    let rows = access_log::of_participant(conn, participant, HISTORY_LIMIT)?
        .into_iter()
        .map(|a| AccessRow {
            when: when(a.occurred_at),
            who: a.user.unwrap_or_else(|| "A removed user".into()),
            role: a.role.display_label(),
            page: a.page.display_label(),
        })
        .collect();
    Ok(Some(AccessHistory {
        rows,
        limit: HISTORY_LIMIT,
    }))
}

// --- public pages ---------------------------------------------------------------------

/// A setting of the privacy notice, as the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct NoticePart {
    pub label: &'static str,
    pub text: String,
}

/// A programme in the privacy notice.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeProgramme {
    pub name: String,
    pub provider: String,
    /// How long its participants' records are kept after their last activity ("6 years").
    pub retention: String,
    #[serde(flatten)]
    pub protection: ProgrammeProtection,
}

/// The privacy notice's context.
#[derive(Debug, Clone, Serialize)]
pub struct PrivacyNotice {
    pub controller: String,
    pub controller_contact: String,
    pub dpo_contact: String,
    pub recipients: String,
    pub retention: String,
    pub programmes: Vec<NoticeProgramme>,
    /// An admin sees a link to the notice's settings.
    pub can_edit: bool,
}

/// `GET /privacy`: the privacy notice (public).
pub async fn privacy(
    state: web::Data<AppState>,
    nonce: CspNonce,
    viewer: Viewer,
) -> Result<HttpResponse, PageError> {
    let can_edit = viewer.actor.as_ref().is_some_and(|a| a.role == Role::Admin);
    let notice = blocking(move || {
        let mut conn = state.conn()?;
        let mut s = store::settings::privacy(&mut conn)?;
        let mut take = |name: &str| s.remove(name).unwrap_or_default();
        let providers: std::collections::HashMap<_, _> = store::organisations::list(&mut conn)?
            .into_iter()
            .filter(|o| o.kind == OrganisationKind::Provider)
            .map(|o| (o.id, o.name))
            .collect();
        let periods = store::retention::periods(&mut conn)?;
        let programmes = store::programmes::all(&mut conn)?
            .into_iter()
            .map(|p| NoticeProgramme {
                retention: crate::domain::retention::describe_months(
                    periods
                        .get(&p.id)
                        .copied()
                        .unwrap_or(crate::domain::retention::DEFAULT_RETENTION_MONTHS),
                ),
                provider: providers
                    .get(&p.organisation_id)
                    .cloned()
                    .unwrap_or_default(),
                protection: ProgrammeProtection::from(&p.data_protection),
                name: p.fields.name,
            })
            .collect();
        Ok(PrivacyNotice {
            controller: take("controller"),
            controller_contact: take("controller_contact"),
            dpo_contact: take("dpo_contact"),
            recipients: take("recipients"),
            retention: take("retention"),
            programmes,
            can_edit,
        })
    })
    .await?;
    page(
        &nonce,
        &viewer,
        "Privacy notice",
        "pages/info/privacy",
        notice,
    )
}

/// The accessibility statement's context: the checks the project runs.
#[derive(Debug, Clone, Serialize)]
pub struct Accessibility {
    pub checks: Vec<&'static str>,
}

/// `GET /accessibility`: the accessibility statement (public).
pub async fn accessibility(nonce: CspNonce, viewer: Viewer) -> Result<HttpResponse, PageError> {
    let checks = vec![
        "Every page of the browser journeys is checked with axe-core against the WCAG 2.0, \
         2.1 and 2.2 level A and AA rules, for each role, on every change to the service",
        "Every page template uses GOV.UK Frontend components, whose markup is tested by \
         the GOV.UK Design System team with assistive technologies",
        "Forms follow the GOV.UK question page pattern: labels, hints, error summaries \
         linked to the fields in error, and \"Error:\" in the page title",
        "Pages work without JavaScript, keep a visible focus and a skip link, and reflow \
         at 320 CSS pixels wide",
        "Every chart in a report has a text title and description and is shown beside a \
         table of the same figures",
    ];
    page(
        &nonce,
        &viewer,
        "Accessibility statement",
        "pages/info/accessibility",
        Accessibility { checks },
    )
}

/// A cookie the service sets.
#[derive(Debug, Clone, Serialize)]
pub struct CookieRow {
    pub name: &'static str,
    pub purpose: &'static str,
    pub expires: &'static str,
}

/// The cookies page's context.
#[derive(Debug, Clone, Serialize)]
pub struct Cookies {
    pub cookies: Vec<CookieRow>,
}

/// `GET /cookies`: the cookies the service sets (public; no consent banner is needed:
/// both are strictly necessary).
pub async fn cookies(nonce: CspNonce, viewer: Viewer) -> Result<HttpResponse, PageError> {
    let cookies = vec![
        CookieRow {
            name: SESSION_COOKIE,
            purpose: "Keeps you signed in. It holds a random number that identifies your \
                      sign-in to the service, and nothing about you.",
            expires: "When you close your browser or sign out. Your sign-in also ends after \
                      30 minutes without activity, or 12 hours after you signed in.",
        },
        CookieRow {
            name: PRE_SESSION_CSRF_COOKIE,
            purpose: "Protects the sign-in form against cross-site request forgery. It holds \
                      a random number that the form must send back.",
            expires: "When you close your browser, or when you have signed in.",
        },
    ];
    page(
        &nonce,
        &viewer,
        "Cookies",
        "pages/info/cookies",
        Cookies { cookies },
    )
}

fn page<T: Serialize>(
    nonce: &CspNonce,
    viewer: &Viewer,
    title: &str,
    template: &str,
    body: T,
) -> Result<HttpResponse, PageError> {
    render(template, &viewer_context(title, nonce, viewer, "", &body))
}

// --- the admin form -------------------------------------------------------------------

fn settings_form() -> Build {
    Box::new(|_, _| {
        Ok(Form {
            heading: "Privacy notice".into(),
            caption: Some("Settings".into()),
            action: "/admin/privacy".into(),
            submit: "Save",
            back: Some("/privacy".into()),
            fields: PRIVACY_SETTINGS
                .iter()
                .map(|(name, label, _)| {
                    Field::new(*name, *label, Widget::Textarea)
                        .hint("Leave it empty to use the default wording")
                })
                .collect(),
        })
    })
}

/// `GET /admin/privacy`: the notice's organisation-specific parts, pre-filled.
pub async fn settings(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
) -> Result<HttpResponse, PageError> {
    let st = state.clone();
    let current = blocking(move || {
        let s = store::settings::privacy(&mut *st.conn()?)?;
        Ok(PRIVACY_SETTINGS
            .iter()
            .map(|(name, _, _)| (name.to_string(), s.get(name).cloned().unwrap_or_default()))
            .collect::<Vec<_>>())
    })
    .await?;
    forms::show(state, nonce, viewer, actor, current, settings_form()).await
}

/// `POST /admin/privacy`: saves them (audited by name).
pub async fn save_settings(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    forms::submit(
        state,
        nonce,
        viewer,
        actor,
        form.into_inner(),
        settings_form(),
        Box::new(|conn, ctx, mut input| {
            let mut values = Vec::new();
            for (name, _, _) in PRIVACY_SETTINGS {
                // Empty restores the default wording.
                if input.raw(name).trim().is_empty() {
                    values.push((*name, String::new()));
                } else if let Some(v) = input.opt_text(name, 4000) {
                    values.push((*name, v));
                }
            }
            input.finish()?;
            store::settings::set_privacy(conn, ctx.actor, &values)?;
            Ok(("/privacy".into(), "Privacy notice saved".into()))
        }),
    )
    .await
}
