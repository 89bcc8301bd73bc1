//! The home page: what each role does first (docs/frontend.md, "Home pages").
//! - Signed out: the start page.
//! - Provider staff: their casework (`casework::home`), with their programmes' figures
//!   this year, and for managers the returns due.
//! - Commissioners (and admins): returns awaiting a decision, programmes behind a target
//!   this year, the latest reports downloaded or published.
//! - Analysts: the current offence extract, programmes whose reoffending figures are
//!   withheld or awaiting follow-up, and the way to the dashboard.

use actix_web::HttpResponse;
use serde::Serialize;
use serde_json::Value;

use super::{render, viewer_context, NoView, Page};
use crate::db::DbConn;
use crate::domain::access::Actor;
use crate::domain::enums::{ReturnStatus, Role};
use crate::domain::period::{FinancialYear, Period};
use crate::evaluation::engagement::engagement;
use crate::evaluation::money::{self, Rag, TargetStatus};
use crate::evaluation::units::WITHHELD_SYMBOL;
use crate::evaluation::DateRange;
use crate::reports::view::{format_value, rag_text, target_label, target_unit};
use crate::reports::ReportRequest;
use crate::store;
use crate::store::report_rows::ReportScope;
use crate::web::errors::{blocking, AppError, PageError};
use crate::web::report_query;
use crate::web::security::CspNonce;
use crate::web::session::Viewer;
use crate::web::AppState;

/// The start page; each signed-in role gets its own home.
pub async fn home(
    state: actix_web::web::Data<AppState>,
    nonce: CspNonce,
    viewer: Viewer,
) -> Result<HttpResponse, PageError> {
    if let Some(actor) = viewer.actor.clone() {
        let page = Page {
            state,
            nonce,
            viewer,
            actor,
        };
        return match page.actor.role {
            Role::Caseworker | Role::ProviderManager => super::casework::home(page).await,
            Role::Analyst => analyst(page).await,
            Role::Commissioner | Role::Admin => commissioner(page).await,
        };
    }
    render(
        "pages/home",
        &viewer_context("Outcomes", &nonce, &viewer, "/", &NoView {}),
    )
}

/// A submitted return awaiting a decision.
#[derive(Serialize)]
struct AwaitingLine {
    id: i64,
    programme: String,
    provider: String,
    quarter: String,
    submitted: String,
}

/// A target a programme is behind on this year.
#[derive(Serialize)]
struct BehindLine {
    programme_id: i64,
    programme: String,
    provider: String,
    target: String,
    achieved: String,
    expected: String,
    rag: String,
    colour: &'static str,
}

/// A report downloaded or published.
#[derive(Serialize)]
struct ReportLine {
    name: String,
    period: String,
    mode: String,
    format: String,
    at: String,
    href: Option<String>,
}

#[derive(Serialize)]
struct CommissionerView {
    year: String,
    awaiting: Vec<AwaitingLine>,
    behind: Vec<BehindLine>,
    reports: Vec<ReportLine>,
    admin: bool,
}

/// The programmes the actor may see, with their provider's name.
fn programmes_with_providers(
    conn: &mut DbConn,
    actor: &Actor,
) -> Result<Vec<(store::programmes::Programme, String)>, AppError> {
    let names: std::collections::HashMap<_, _> = store::organisations::list(conn)?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    Ok(
        store::programmes::list(conn, actor.scope(), None, 10_000, 0)?
            .into_iter()
            .map(|p| {
                let provider = names.get(&p.organisation_id).cloned().unwrap_or_default();
                (p, provider)
            })
            .collect(),
    )
}

/// A programme's targets of the financial year, pro-rated to `today`, exactly as its
/// report's targets table computes them (`evaluation::money::targets` over the year's
/// engagement figures), without the rest of the report: targets are of casework figures
/// only, so the reoffending and outcome figures need not be computed.
fn targets_this_year(
    conn: &mut DbConn,
    p: &store::programmes::Programme,
    year: FinancialYear,
    today: chrono::NaiveDate,
) -> Result<Vec<TargetStatus>, AppError> {
    let period = DateRange {
        from: year.first_day(),
        to: year.last_day(),
    };
    let inputs =
        store::report_rows::load(conn, None, ReportScope::Programme(p.id), &period, 12, 6)?;
    if inputs.targets.is_empty() {
        return Ok(Vec::new());
    }
    let figures = engagement(
        period,
        &inputs.referrals,
        &inputs.sessions,
        &inputs.attendance,
    );
    money::targets(&inputs.targets, &figures, period, today)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("a target's year: {e}")))
}

/// A programme's report of `period` for `actor`, as the dashboard builds it.
fn programme_report(
    conn: &mut DbConn,
    state: &AppState,
    actor: &Actor,
    p: &store::programmes::Programme,
    period: Period,
) -> Result<Value, AppError> {
    let mut request =
        ReportRequest::new(ReportScope::Programme(p.id), p.fields.name.clone(), period);
    request.threshold = state.disclosure_threshold;
    request.report_date = Some(state.today());
    report_query::audience(&mut request, state, actor);
    Ok(report_query::build(conn, state, actor, &request)?.to_json())
}

async fn commissioner(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
) -> Result<HttpResponse, PageError> {
    let v = viewer.clone();
    let body = blocking(move || {
        let mut conn = state.conn()?;
        let conn = &mut conn;
        let year = FinancialYear::containing(state.today());
        let programmes = programmes_with_providers(conn, &actor)?;
        let named = |id: crate::domain::ids::ProgrammeId| {
            programmes
                .iter()
                .find(|(p, _)| p.id == id)
                .map(|(p, provider)| (p.fields.name.clone(), provider.clone()))
                .unwrap_or_default()
        };
        let awaiting = store::quarterly_returns::with_status(
            conn,
            actor.scope(),
            &[ReturnStatus::Submitted],
            50,
        )?
        .into_iter()
        .map(|r| {
            let (programme, provider) = named(r.programme_id);
            AwaitingLine {
                id: r.id.0,
                programme,
                provider,
                quarter: super::returns::quarter_name(&r.quarter),
                submitted: r
                    .submitted_at
                    .map(crate::format::moment)
                    .unwrap_or_default(),
            }
        })
        .collect();
        let mut behind = Vec::new();
        for (p, provider) in &programmes {
            for t in targets_this_year(conn, p, year, state.today())? {
                let rag = match t.rag {
                    Some(Rag::Amber) => "amber",
                    Some(Rag::Red) => "red",
                    _ => continue,
                };
                let unit = target_unit(&t.metric);
                behind.push(BehindLine {
                    programme_id: p.id.0,
                    programme: p.fields.name.clone(),
                    provider: provider.clone(),
                    target: target_label(&t.metric),
                    achieved: t
                        .achieved
                        .map_or_else(|| "No data".to_string(), |a| format_value(unit, a)),
                    expected: format_value(unit, t.pro_rata_expected),
                    rag: rag_text(rag),
                    colour: if rag == "red" {
                        "govuk-tag--red"
                    } else {
                        "govuk-tag--yellow"
                    },
                });
            }
        }
        let reports = store::report_archive::latest_downloads(conn, 5)?
            .into_iter()
            .map(report_line)
            .collect();
        super::forms::shown(conn, &v)?;
        Ok(CommissionerView {
            year: year.to_string(),
            awaiting,
            behind,
            reports,
            admin: actor.role == Role::Admin,
        })
    })
    .await?;
    render(
        "pages/home_commissioner",
        &viewer_context("Home", &nonce, &viewer, "/", &body),
    )
}

/// An archived report as a line, with a link that asks for it again.
fn report_line(e: store::report_archive::Entry) -> ReportLine {
    let period = e
        .parameters
        .get("period")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let href = e.scope.split_once(':').and_then(|(kind, id)| {
        let path = match kind {
            "programme" => "programmes",
            "provider" => "providers",
            "fundingstream" => "funding-streams",
            _ => return None,
        };
        Some(format!("/{path}/{id}/report?period={period}"))
    });
    ReportLine {
        name: e.scope_name,
        period: format!(
            "{} to {}",
            crate::format::date(e.period_from),
            crate::format::date(e.period_to)
        ),
        mode: if e.mode == "published" {
            "Published".to_string()
        } else {
            "Internal".to_string()
        },
        format: e.format.to_uppercase(),
        at: crate::format::moment(e.archived_at),
        href,
    }
}

/// A programme whose reoffending figures for the year are not (all) there yet.
#[derive(Serialize)]
struct ReoffendingLine {
    programme_id: i64,
    programme: String,
    provider: String,
    status: String,
}

#[derive(Serialize)]
struct ExtractView {
    as_of: String,
    rows: String,
    age: String,
    imported: String,
    stale: bool,
}

#[derive(Serialize)]
struct AnalystView {
    year: String,
    extract: Option<ExtractView>,
    reoffending: Vec<ReoffendingLine>,
}

/// An extract older than this many days is flagged on the analyst's home page.
const STALE_EXTRACT_DAYS: i64 = 92;

async fn analyst(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
) -> Result<HttpResponse, PageError> {
    let v = viewer.clone();
    let body = blocking(move || {
        let mut conn = state.conn()?;
        let conn = &mut conn;
        let today = state.today();
        let extract = match store::import_batches::current_offence_extract(conn)? {
            Some(b) => {
                let as_of = b.extract_date.unwrap_or(b.created_at.date());
                let days = (today - as_of).num_days();
                Some(ExtractView {
                    as_of: crate::format::date(as_of),
                    rows: crate::format::count(store::offences::count(conn)?),
                    age: match days {
                        0 => "today".to_string(),
                        1 => "1 day old".to_string(),
                        d => format!("{} days old", crate::format::count(d)),
                    },
                    imported: crate::format::moment(b.created_at),
                    stale: days > STALE_EXTRACT_DAYS,
                })
            }
            None => None,
        };
        // The latest financial year that has ended: the one reoffending is reported for.
        let year = FinancialYear::containing(today).previous();
        let mut reoffending = Vec::new();
        for (p, provider) in programmes_with_providers(conn, &actor)? {
            if p.fields.starts_on > year.last_day() {
                continue;
            }
            let json = programme_report(conn, &state, &actor, &p, Period::FinancialYear(year))?;
            let all = json.pointer("/reoffending/groups/all");
            let rate = all.and_then(|a| a.get("reoffending_rate"));
            let count = |key: &str| {
                all.and_then(|a| a.get(key))
                    .map(|v| match v {
                        Value::Number(n) => crate::format::count(n.as_i64().unwrap_or_default()),
                        Value::String(s) => s.clone(),
                        _ => "0".to_string(),
                    })
                    .unwrap_or_else(|| "0".to_string())
            };
            let awaiting = all
                .and_then(|a| a.get("awaiting_follow_up"))
                .is_some_and(|v| v.as_u64() != Some(0));
            let withheld = matches!(rate, Some(Value::String(s)) if s == WITHHELD_SYMBOL);
            let status = match (withheld, awaiting) {
                (false, false) => continue,
                (true, false) => format!(
                    "Withheld: fewer than {} people can be measured ({} measurable)",
                    state.minimum_cohort,
                    count("measurable")
                ),
                (true, true) => format!(
                    "Withheld: fewer than {} people can be measured yet; others are still awaiting follow-up",
                    state.minimum_cohort
                ),
                (false, true) => format!(
                    "{} of {} awaiting follow-up",
                    count("awaiting_follow_up"),
                    count("cohort")
                ),
            };
            reoffending.push(ReoffendingLine {
                programme_id: p.id.0,
                programme: p.fields.name,
                provider,
                status,
            });
        }
        super::forms::shown(conn, &v)?;
        Ok(AnalystView {
            year: year.to_string(),
            extract,
            reoffending,
        })
    })
    .await?;
    render(
        "pages/home_analyst",
        &viewer_context("Home", &nonce, &viewer, "/", &body),
    )
}
