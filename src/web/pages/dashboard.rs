//! `GET /dashboard`: the VRU dashboard, every programme's key figures for a period side by
//! side, each read from that programme's own report for the reader. It compares honestly
//! (`docs/reports.md#the-dashboard`): the measurable n beside every reoffending rate with a
//! caution flag under 30, programmes whose follow-up is incomplete marked and ranked apart
//! from complete ones, sorting by reoffending on the 95% interval rather than the rate, the
//! reach of group programmes (sessions, headcount, survey change), filters by provider and
//! kind, a chart of the rates with their intervals, and a "compare these two" form that
//! leads to the first programme's report compared with the second.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use base64::Engine;
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{render_status, viewer_context, Choice, Page};
use crate::db::DbConn;
use crate::domain::access::{Actor, Scope};
use crate::domain::enums::ProgrammeKind;
use crate::domain::period::Period;
use crate::domain::validation::FieldError;
use crate::evaluation::report::Report;
use crate::evaluation::units::WITHHELD_SYMBOL;
use crate::reports::view::{format_value, NumberFormat, CAUTION_BELOW};
use crate::reports::{charts, ReportRequest};
use crate::store;
use crate::store::report_rows::ReportScope;
use crate::web::errors::{blocking, AppError, PageError};
use crate::web::report_query;
use crate::web::session::see_other;
use crate::web::AppState;

/// A column: its sort key, heading, and where a programme's figure is in its report's JSON
/// with how it is shown (`None` for the two names).
type Column = (
    &'static str,
    &'static str,
    Option<(&'static str, NumberFormat)>,
);

const COLUMNS: [Column; 12] = [
    ("provider", "Provider", None),
    ("programme", "Programme", None),
    (
        "referrals",
        "Referrals received",
        Some(("/engagement/referrals_received", NumberFormat::Count)),
    ),
    (
        "acceptance",
        "Acceptance rate",
        Some(("/engagement/acceptance_rate", NumberFormat::Rate)),
    ),
    (
        "completion",
        "Completion rate",
        Some(("/engagement/completion_rate", NumberFormat::Rate)),
    ),
    (
        "attendance",
        "Attendance rate",
        Some(("/engagement/attendance_rate", NumberFormat::Rate)),
    ),
    (
        "reoffending",
        "Reoffending rate (95% interval)",
        Some((
            "/reoffending/groups/all/reoffending_rate",
            NumberFormat::Rate,
        )),
    ),
    (
        "measurable",
        "Measurable (n)",
        Some(("/reoffending/groups/all/measurable", NumberFormat::Count)),
    ),
    // Group programmes count people by headcount: their reach is here.
    (
        "sessions",
        "Sessions delivered",
        Some(("/engagement/sessions_delivered", NumberFormat::Count)),
    ),
    (
        "headcount",
        "Headcount (group sessions)",
        Some(("/engagement/anonymous_headcount", NumberFormat::Count)),
    ),
    // Split, as in the reports: people and attendances are not added together.
    (
        "cost",
        "Cost per named participant",
        Some(("/money/cost_per_named_participant", NumberFormat::Money)),
    ),
    (
        "cost_attendance",
        "Cost per attendance",
        Some(("/money/cost_per_attendance", NumberFormat::Money)),
    ),
];

/// Indices into `Line::figures` (`COLUMNS[2..]`).
const REOFFENDING: usize = 4;
const MEASURABLE: usize = 5;
const REOFFENDING_COLUMN: usize = REOFFENDING + 2;

/// `GET /dashboard?period=...&sort=...&provider=...&kind=...`: `sort` is a column key,
/// `-key` for descending; `provider` (an organisation id) and `kind` (a programme kind)
/// filter the programmes. `first` and `second` are the "compare these two" form's.
#[derive(Debug, Deserialize)]
pub struct DashboardQuery {
    pub period: Option<String>,
    pub sort: Option<String>,
    pub provider: Option<String>,
    pub kind: Option<String>,
    pub first: Option<String>,
    pub second: Option<String>,
}

/// A figure: its exact value when shown (to sort by), and its text.
struct Figure {
    value: Option<f64>,
    text: String,
}

/// One programme's line.
struct Line {
    id: i64,
    names: [String; 2],
    /// The figures of `COLUMNS[2..]`.
    figures: Vec<Figure>,
    interval: Option<(f64, f64)>,
    /// The reoffending figures are under the caution size (or withheld as too few).
    caution: bool,
    /// The follow-up of everyone referred in the period has ended by the data-as-of date.
    complete: bool,
    /// Each group survey measure's change in the positive share, as text.
    survey: Vec<String>,
    /// The status of the return of the period's latest quarter that has started.
    return_status: Option<ReturnTag>,
    /// Referrals received in each quarter of the period: (quarter, count as shown).
    trend: Vec<(String, String)>,
}

/// A provider to filter by: id and name.
type Provider = (i64, String);

/// The filters, as asked for (unknown values are no filter).
struct Filters {
    provider: Option<i64>,
    kind: Option<ProgrammeKind>,
}

impl Filters {
    fn parse(provider: Option<&str>, kind: Option<&str>) -> Self {
        Filters {
            provider: provider.and_then(|p| p.trim().parse().ok()),
            kind: kind.and_then(|k| k.trim().parse().ok()),
        }
    }

    /// The query-string pairs that keep the filters in a link.
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(p) = self.provider {
            out.push(("provider", p.to_string()));
        }
        if let Some(k) = self.kind {
            out.push(("kind", k.as_str().to_string()));
        }
        out
    }
}

/// `GET /dashboard`: every programme's key figures for a period, side by side; or, from
/// the "compare these two" form, a redirect to the comparison report.
pub async fn dashboard(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, PageError> {
    let query = query.into_inner();
    let raw = query
        .period
        .clone()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(report_query::current_year);
    let sort = query.sort.clone().unwrap_or_else(|| "programme".into());
    let (key, descending) = sort
        .strip_prefix('-')
        .map_or((sort.as_str(), false), |k| (k, true));
    let column = COLUMNS.iter().position(|c| c.0 == key).unwrap_or(1);
    let filters = Filters::parse(query.provider.as_deref(), query.kind.as_deref());
    let period = report_query::parse_period(Some(&raw));
    let mut providers: Vec<Choice> = Vec::new();
    let mut errors: Vec<FieldError> = Vec::new();
    if query.first.is_some() || query.second.is_some() {
        let (state, actor) = (state.clone(), actor.clone());
        let picked = (query.first.clone(), query.second.clone());
        let ok_period = period.as_ref().ok().map(|p| p.to_string());
        match blocking(move || compare_target(&mut *state.conn()?, &actor, picked)).await? {
            Picked::Both(a, b) => {
                if let Some(p) = ok_period {
                    let q =
                        serde_urlencoded::to_string([("period", p.as_str())]).unwrap_or_default();
                    // `compare=programme:ID`, the report's own parameter, as written.
                    return Ok(see_other(&format!(
                        "/programmes/{a}/report?{q}&compare=programme:{b}"
                    )));
                }
            }
            Picked::Wrong(e) => errors.extend(e),
        }
    }
    let (status, lines) = match period {
        Err(e) => {
            let (state, actor, period, sort) =
                (state.clone(), actor.clone(), raw.clone(), sort.clone());
            let shown = filters.pairs();
            blocking(move || {
                audit_dashboard(
                    &mut *state.conn()?,
                    &state.audit,
                    &actor,
                    &period,
                    &sort,
                    &shown,
                    None,
                )
            })
            .await?;
            errors.insert(0, e);
            (StatusCode::UNPROCESSABLE_ENTITY, Vec::new())
        }
        Ok(period) => {
            let (sort, shown) = (sort.clone(), filters.pairs());
            let (provider, kind) = (filters.provider, filters.kind);
            let (state2, actor2) = (state.clone(), actor.clone());
            let (lines, choices) = blocking(move || {
                let mut conn = state2.conn()?;
                let (providers, lines) =
                    lines(&mut conn, &state2, &actor2, period, provider, kind)?;
                let n = lines.len();
                audit_dashboard(
                    &mut conn,
                    &state2.audit,
                    &actor2,
                    &period.to_string(),
                    &sort,
                    &shown,
                    Some(n),
                )?;
                Ok((lines, providers))
            })
            .await?;
            providers = choices
                .iter()
                .map(|(id, name)| Choice::new(id, name, filters.provider == Some(*id)))
                .collect();
            let status = if errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            (status, lines)
        }
    };
    let message = |field: &str| {
        errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    };
    // The quarters of the period (the same for every programme), for the trend table.
    let quarters = lines
        .first()
        .map(|l| {
            l.trend
                .iter()
                .map(|(q, _)| super::returns::quarter_name(q))
                .collect()
        })
        .unwrap_or_default();
    let lines = sorted(lines, column, descending);
    let view = DashboardView {
        title: if errors.is_empty() {
            "Dashboard"
        } else {
            "Error: Dashboard"
        },
        period_error: message("period"),
        first_error: message("first"),
        second_error: message("second"),
        errors: errors
            .iter()
            .map(|e| ErrorLink {
                href: format!("#{}", e.field),
                text: e.message.clone(),
            })
            .collect(),
        providers,
        kinds: ProgrammeKind::ALL
            .iter()
            .map(|k| Choice::new(k.as_str(), kind_label(*k), filters.kind == Some(*k)))
            .collect(),
        filters: filters
            .pairs()
            .into_iter()
            .map(|(name, value)| FilterView { name, value })
            .collect(),
        head: head(&raw, &filters, column, descending),
        by_interval: column == REOFFENDING_COLUMN,
        quarters,
        choices: lines
            .iter()
            .map(|l| ProgrammeChoice {
                value: l.id,
                text: format!("{} ({})", l.names[1], l.names[0]),
                first: query.first.as_deref() == Some(&l.id.to_string()),
                second: query.second.as_deref() == Some(&l.id.to_string()),
            })
            .collect(),
        chart: chart(&lines),
        rows: lines.into_iter().map(row).collect(),
        period: raw,
    };
    render_status(
        status,
        "pages/dashboard",
        &viewer_context(view.title, &nonce, &viewer, "/dashboard", &view),
    )
}

/// An entry of the error summary.
#[derive(Serialize)]
struct ErrorLink {
    href: String,
    text: String,
}

/// A filter in use, kept in the forms as a hidden field.
#[derive(Serialize)]
struct FilterView {
    name: &'static str,
    value: String,
}

/// A programme offered by the "compare these two" form.
#[derive(Serialize)]
struct ProgrammeChoice {
    value: i64,
    text: String,
    first: bool,
    second: bool,
}

/// A column heading, a link that sorts by it.
#[derive(Serialize)]
struct HeadingView {
    text: &'static str,
    href: String,
    aria_sort: &'static str,
    numeric: bool,
}

/// A GOV.UK tag.
#[derive(Serialize)]
struct TagView {
    text: String,
    colour: &'static str,
}

/// The status of a programme's return for the period's latest started quarter.
#[derive(Serialize)]
struct ReturnTag {
    text: &'static str,
    colour: &'static str,
    /// Like `2025-26-Q3`.
    quarter: String,
    /// Like "October to December 2025 (Q3 2025-26)".
    name: String,
    /// Like `Q3`.
    label: String,
}

/// A figure's cell.
#[derive(Serialize)]
struct CellView {
    text: String,
    tags: Vec<TagView>,
}

/// A programme's row.
#[derive(Serialize)]
struct RowView {
    id: i64,
    provider: String,
    programme: String,
    #[serde(rename = "return")]
    return_status: Option<ReturnTag>,
    trend: Vec<String>,
    survey: Vec<String>,
    cells: Vec<CellView>,
}

/// A drawn programme in the chart's data table.
#[derive(Serialize)]
struct ChartRow {
    programme: String,
    measurable: String,
    rate: String,
    low: String,
    high: String,
}

/// The chart of reoffending rates with their intervals.
#[derive(Serialize)]
struct ChartView {
    data_uri: String,
    desc: String,
    rows: Vec<ChartRow>,
}

/// The view of `pages/dashboard`.
#[derive(Serialize)]
struct DashboardView {
    title: &'static str,
    period: String,
    period_error: Option<String>,
    first_error: Option<String>,
    second_error: Option<String>,
    errors: Vec<ErrorLink>,
    providers: Vec<Choice>,
    kinds: Vec<Choice>,
    filters: Vec<FilterView>,
    head: Vec<HeadingView>,
    by_interval: bool,
    quarters: Vec<String>,
    choices: Vec<ProgrammeChoice>,
    chart: Option<ChartView>,
    rows: Vec<RowView>,
}

/// The two programmes of the "compare these two" form, each one the reader may see, and
/// not the same; or what is wrong, by field.
fn compare_target(
    conn: &mut DbConn,
    actor: &Actor,
    (first, second): (Option<String>, Option<String>),
) -> Result<Picked, AppError> {
    let visible: Vec<i64> = store::programmes::list(conn, actor.scope(), None, 10_000, 0)?
        .into_iter()
        .map(|p| p.id.0)
        .collect();
    let pick = |field: &str, which: &str, v: &Option<String>| {
        v.as_deref()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .filter(|id| visible.contains(id))
            .ok_or_else(|| FieldError::new(field, format!("Select the {which} programme")))
    };
    let (a, b) = (
        pick("first", "first", &first),
        pick("second", "second", &second),
    );
    Ok(match (a, b) {
        (Ok(a), Ok(b)) if a == b => Picked::Wrong(vec![FieldError::new(
            "second",
            "Select a second programme that is not the first",
        )]),
        (Ok(a), Ok(b)) => Picked::Both(a, b),
        (a, b) => Picked::Wrong([a.err(), b.err()].into_iter().flatten().collect()),
    })
}

/// What the "compare these two" form picked.
enum Picked {
    /// Two programmes the reader may see: the first's report compared with the second.
    Both(i64, i64),
    /// What is wrong, by field.
    Wrong(Vec<FieldError>),
}

/// "Immediate justice" for `immediate_justice`.
fn kind_label(kind: ProgrammeKind) -> String {
    kind.display_label()
}

/// Records a dashboard view (its period, sort, filters and how many programmes it showed,
/// or that the period was refused), like a report's: the dashboard is every programme's
/// report.
fn audit_dashboard(
    conn: &mut DbConn,
    audit: &store::audit::GroupCommit,
    actor: &Actor,
    period: &str,
    sort: &str,
    filters: &[(&'static str, String)],
    programmes: Option<usize>,
) -> Result<(), AppError> {
    let clean = |s: &str| -> String { s.chars().filter(|c| !c.is_control()).take(40).collect() };
    let shown = match programmes {
        Some(n) => format!("programmes={n}"),
        None => "refused=period".to_string(),
    };
    let filters: String = filters
        .iter()
        .map(|(k, v)| format!(" {k}={}", clean(v)))
        .collect();
    audit.record(
        conn,
        store::audit::NewEvent::new(crate::domain::enums::AuditAction::ReportView, "dashboard")
            .by(Some(actor))
            .detail(format!(
                "format=html period={} sort={} {shown}{filters}",
                clean(period),
                clean(sort)
            )),
    )?;
    Ok(())
}

/// Each visible programme's report for the period (those the filters keep), reduced to
/// the dashboard's figures; and every visible provider, for the filter.
fn lines(
    conn: &mut DbConn,
    state: &AppState,
    actor: &Actor,
    period: Period,
    provider: Option<i64>,
    kind: Option<ProgrammeKind>,
) -> Result<(Vec<Provider>, Vec<Line>), AppError> {
    let mut providers: Vec<Provider> = store::organisations::list_scoped(conn, actor.scope())?
        .into_iter()
        .map(|o| (o.id.0, o.name))
        .collect();
    let names: std::collections::HashMap<i64, String> = providers.iter().cloned().collect();
    // The period's latest quarter that has ended: the one whose return is due or under
    // way (a quarter is submitted only after it ends).
    let today = state.today();
    let quarter = period
        .quarters()
        .into_iter()
        .rev()
        .find(|q| crate::domain::returns::open_from(*q) <= today);
    let statuses = match quarter {
        Some(q) => store::quarterly_returns::statuses_for(conn, q)?,
        None => Default::default(),
    };
    let mut out = Vec::new();
    let mut with_programmes = std::collections::HashSet::new();
    for p in store::programmes::list(conn, actor.scope(), None, 10_000, 0)? {
        with_programmes.insert(p.organisation_id.0);
        if provider.is_some_and(|o| o != p.organisation_id.0)
            || kind.is_some_and(|k| k != p.fields.kind)
        {
            continue;
        }
        let return_status = quarter.map(|q| {
            let (text, colour) = super::returns::tag(statuses.get(&p.id).copied());
            ReturnTag {
                text,
                colour,
                quarter: q.to_string(),
                name: q.long_name(),
                label: format!("Q{}", q.number()),
            }
        });
        let request = programme_request(state, actor.scope(), &p, period);
        let report = report_query::build(conn, state, actor, &request)?;
        let provider_name = names.get(&p.organisation_id.0).cloned().unwrap_or_default();
        out.push(line(
            &report,
            &request,
            p.id.0,
            [provider_name, p.fields.name],
            return_status,
        ));
    }
    // Only providers with a programme are worth filtering by.
    providers.retain(|(id, _)| with_programmes.contains(id));
    providers.sort_by_key(|(_, name)| name.to_lowercase());
    Ok((providers, out))
}

/// The report a dashboard line is read from: `p`'s for `period`, as a reader of `scope`
/// has it.
fn programme_request(
    state: &AppState,
    scope: Scope,
    p: &store::programmes::Programme,
    period: Period,
) -> ReportRequest {
    let mut request =
        ReportRequest::new(ReportScope::Programme(p.id), p.fields.name.clone(), period);
    request.threshold = state.disclosure_threshold;
    report_query::audience_for(&mut request, state, scope);
    request
}

/// What [`prewarm`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Prewarmed {
    /// Reports computed.
    pub computed: usize,
    /// Reports already in the cache (or being computed for a reader).
    pub cached: usize,
    /// Reports that could not be computed (each logged).
    pub failed: usize,
}

/// Computes the reports of the commissioners' and analysts' dashboard for the current
/// and the last financial year into the report cache (`REPORT_PREWARM`: at start-up, and
/// again after each midnight, since the date targets are pro-rated to is part of a
/// report), so that the first view of the day does not compute every programme's report.
/// A view that comes while they are being computed waits for the report being computed,
/// and computes any not yet begun itself. A report that fails is logged and skipped.
pub fn prewarm(state: &AppState) -> Result<Prewarmed, AppError> {
    let mut conn = state.conn()?;
    let current = crate::domain::period::FinancialYear::containing(chrono::Utc::now().date_naive());
    let periods = [
        Period::FinancialYear(current),
        Period::FinancialYear(current.previous()),
    ];
    let programmes = store::programmes::list(&mut conn, Scope::Aggregate, None, 10_000, 0)?;
    let mut done = Prewarmed::default();
    for period in periods {
        for p in &programmes {
            let request = programme_request(state, Scope::Aggregate, p, period);
            match report_query::build_for(&mut conn, state, Scope::Aggregate, &request) {
                Ok(built) if built.outcome == crate::reports::cache::Outcome::Miss => {
                    done.computed += 1
                }
                Ok(_) => done.cached += 1,
                Err(e) => {
                    done.failed += 1;
                    tracing::warn!(programme = p.id.0, period = %period, error = %e,
                        "warming the report cache: a report failed");
                }
            }
        }
    }
    Ok(done)
}

/// Why the value at `pointer` (or one containing it) is hidden, in words.
fn hidden_text(report: &Report, pointer: &str, symbol: &str) -> String {
    let mut p = pointer;
    loop {
        if let Some(w) = report.withheld_at(p) {
            return w.text();
        }
        match p.rfind('/') {
            Some(0) | None => return symbol.to_string(),
            Some(i) => p = &p[..i],
        }
    }
}

/// One programme's line from its report.
fn line(
    report: &Report,
    request: &ReportRequest,
    id: i64,
    names: [String; 2],
    return_status: Option<ReturnTag>,
) -> Line {
    let json = report.to_json();
    let figure = |pointer: &str, kind: NumberFormat| match json.pointer(pointer) {
        Some(Value::Number(n)) => {
            let x = n.as_f64().unwrap_or_default();
            Figure {
                value: Some(x),
                text: format_value(kind, x),
            }
        }
        Some(Value::String(symbol)) if symbol == WITHHELD_SYMBOL => Figure {
            value: None,
            text: hidden_text(report, pointer, symbol),
        },
        Some(Value::String(symbol)) => Figure {
            value: None,
            text: symbol.clone(),
        },
        _ => Figure {
            value: None,
            text: "–".to_string(),
        },
    };
    let figures: Vec<Figure> = COLUMNS[2..]
        .iter()
        .filter_map(|c| c.2)
        .map(|(pointer, kind)| figure(pointer, kind))
        .collect();
    let interval = json
        .pointer("/reoffending/groups/all/reoffending_rate_ci")
        .and_then(|ci| Some((ci.get(0)?.as_f64()?, ci.get(1)?.as_f64()?)));
    // Under 30 measurable people, shown or withheld as too few.
    let caution = match figures[MEASURABLE].value {
        Some(n) => n < CAUTION_BELOW as f64,
        None => matches!(
            report.withheld_at("/reoffending/groups/all/measurable"),
            Some(crate::evaluation::units::Withheld::Below(m)) if m <= CAUTION_BELOW
        ),
    };
    // Complete: everyone referred by the period's end has had F + W months by the data-as-of
    // date, and (where the figures are shown) nobody is counted as awaiting follow-up.
    let months = Months::new(request.follow_up_months + request.waiting_months);
    let data_as_of = report.body.reoffending.data_as_of;
    let ended = data_as_of.is_some_and(|d: NaiveDate| {
        request
            .period
            .to()
            .checked_add_months(months)
            .is_some_and(|end| end <= d)
    });
    let awaiting = json
        .pointer("/reoffending/groups/all/awaiting_follow_up")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let survey = json
        .pointer("/group_surveys")
        .and_then(Value::as_array)
        .map(|measures| {
            measures
                .iter()
                .map(|m| {
                    let name = m["measure"].as_str().unwrap_or_default();
                    let change = match &m["change_pp"] {
                        Value::Number(n) => format_value(
                            NumberFormat::PercentagePoints,
                            n.as_f64().unwrap_or_default(),
                        ),
                        Value::String(s) => s.clone(),
                        _ => "–".to_string(),
                    };
                    format!("{name}: {change}")
                })
                .collect()
        })
        .unwrap_or_default();
    let trend = json
        .pointer("/trend")
        .and_then(Value::as_array)
        .map(|quarters| {
            quarters
                .iter()
                .map(|q| {
                    let count = match q.pointer("/engagement/referrals_received") {
                        Some(Value::Number(n)) => n.to_string(),
                        Some(Value::String(s)) => s.clone(),
                        _ => "–".to_string(),
                    };
                    (q["quarter"].as_str().unwrap_or_default().to_string(), count)
                })
                .collect()
        })
        .unwrap_or_default();
    Line {
        id,
        names,
        figures,
        interval,
        caution,
        complete: ended && awaiting == 0,
        survey,
        return_status,
        trend,
    }
}

/// The column headings, each a link that sorts by it (again: the other way), keeping the
/// filters.
fn head(period: &str, filters: &Filters, column: usize, descending: bool) -> Vec<HeadingView> {
    COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (key, text, figure))| {
            let next = if i == column && !descending {
                format!("-{key}")
            } else {
                key.to_string()
            };
            let mut pairs = vec![("period", period.to_string()), ("sort", next)];
            pairs.extend(filters.pairs());
            let q = serde_urlencoded::to_string(&pairs).unwrap_or_default();
            let sort = match (i == column, descending) {
                (false, _) => "none",
                (true, false) => "ascending",
                (true, true) => "descending",
            };
            HeadingView {
                text,
                href: format!("/dashboard?{q}"),
                aria_sort: sort,
                numeric: figure.is_some(),
            }
        })
        .collect()
}

/// The lines in the order asked for. Missing figures come last either way. By reoffending
/// rate: programmes whose follow-up is complete first, then those whose follow-up is not,
/// then those without a rate; within each, lowest first by the interval's upper end,
/// highest first by its lower end, so that a rate from a few people (a wide interval) does
/// not come first (`docs/reports.md#the-dashboard`). Ties go by name.
fn sorted(mut lines: Vec<Line>, column: usize, descending: bool) -> Vec<Line> {
    use std::cmp::Ordering;
    let by_name = |a: &Line, b: &Line| a.names[1].to_lowercase().cmp(&b.names[1].to_lowercase());
    lines.sort_by(|a, b| {
        if column < 2 {
            let order = a.names[column]
                .to_lowercase()
                .cmp(&b.names[column].to_lowercase());
            return if descending { order.reverse() } else { order };
        }
        if column == REOFFENDING_COLUMN {
            let class = |l: &Line| match (l.interval, l.figures[REOFFENDING].value) {
                (Some(_), Some(_)) if l.complete => 0,
                (Some(_), Some(_)) => 1,
                _ => 2,
            };
            let (ca, cb) = (class(a), class(b));
            if ca != cb || ca == 2 {
                return ca.cmp(&cb).then_with(|| by_name(a, b));
            }
            let (ia, ib) = (
                a.interval.unwrap_or_default(),
                b.interval.unwrap_or_default(),
            );
            let (ra, rb) = (
                a.figures[REOFFENDING].value.unwrap_or_default(),
                b.figures[REOFFENDING].value.unwrap_or_default(),
            );
            let order = if descending {
                ib.0.total_cmp(&ia.0).then(rb.total_cmp(&ra))
            } else {
                ia.1.total_cmp(&ib.1).then(ra.total_cmp(&rb))
            };
            return order.then_with(|| by_name(a, b));
        }
        let order = match (a.figures[column - 2].value, b.figures[column - 2].value) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => return Ordering::Less,
            (None, Some(_)) => return Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        if descending {
            order.reverse()
        } else {
            order
        }
    });
    lines
}

/// A line as a table row.
fn row(l: Line) -> RowView {
    let cells = l
        .figures
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut tags = Vec::new();
            let mut text = f.text.clone();
            if i == REOFFENDING {
                if let (Some(_), Some((lo, hi))) = (f.value, l.interval) {
                    text = format!("{} ({:.1}% to {:.1}%)", f.text, lo * 100.0, hi * 100.0);
                }
                if !l.complete {
                    tags.push(TagView {
                        text: "Follow-up incomplete".into(),
                        colour: "govuk-tag--grey",
                    });
                }
            }
            if i == MEASURABLE && l.caution {
                tags.push(TagView {
                    text: format!("Fewer than {CAUTION_BELOW}: interpret with caution"),
                    colour: "govuk-tag--yellow",
                });
            }
            CellView { text, tags }
        })
        .collect();
    let [provider, programme] = l.names;
    RowView {
        id: l.id,
        provider,
        programme,
        return_status: l.return_status,
        trend: l.trend.into_iter().map(|(_, n)| n).collect(),
        survey: if l.survey.is_empty() {
            vec!["–".to_string()]
        } else {
            l.survey
        },
        cells,
    }
}

/// The chart of the reoffending rates with their intervals (programmes with a rate, in
/// the table's order), and its data as a table.
fn chart(lines: &[Line]) -> Option<ChartView> {
    let drawn: Vec<&Line> = lines
        .iter()
        .filter(|l| l.interval.is_some() && l.figures[REOFFENDING].value.is_some())
        .collect();
    if drawn.is_empty() {
        return None;
    }
    let label = |l: &Line| {
        if l.complete {
            l.names[1].clone()
        } else {
            format!("{} (follow-up incomplete)", l.names[1])
        }
    };
    let rows: Vec<charts::RateInterval> = drawn
        .iter()
        .map(|l| {
            let (low, high) = l.interval.unwrap_or_default();
            charts::RateInterval {
                label: l.names[1].clone(),
                rate: l.figures[REOFFENDING].value,
                low: Some(low),
                high: Some(high),
                text: format!(
                    "{} (n = {})",
                    l.figures[REOFFENDING].text, l.figures[MEASURABLE].text
                ),
            }
        })
        .collect();
    let desc = format!(
        "Reoffending rate with its 95% confidence interval for each programme: {}.",
        drawn
            .iter()
            .map(|l| format!(
                "{} {} (n = {})",
                label(l),
                l.figures[REOFFENDING].text,
                l.figures[MEASURABLE].text
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let svg = charts::interval("Reoffending rate by programme", &desc, &rows);
    let uri = format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    );
    let rows = drawn
        .iter()
        .map(|l| {
            let (low, high) = l.interval.unwrap_or_default();
            ChartRow {
                programme: label(l),
                measurable: l.figures[MEASURABLE].text.clone(),
                rate: l.figures[REOFFENDING].text.clone(),
                low: format_value(NumberFormat::Rate, low),
                high: format_value(NumberFormat::Rate, high),
            }
        })
        .collect();
    Some(ChartView {
        data_uri: uri,
        desc,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line with a rate and interval (or none), complete or not.
    fn line(name: &str, rate: Option<(f64, f64, f64)>, complete: bool) -> Line {
        let mut figures: Vec<Figure> = (0..10)
            .map(|_| Figure {
                value: None,
                text: "–".into(),
            })
            .collect();
        figures[REOFFENDING].value = rate.map(|r| r.0);
        Line {
            id: 0,
            names: ["P".into(), name.into()],
            figures,
            interval: rate.map(|r| (r.1, r.2)),
            caution: false,
            complete,
            survey: Vec::new(),
            return_status: None,
            trend: Vec::new(),
        }
    }

    fn names(lines: Vec<Line>) -> Vec<String> {
        lines.into_iter().map(|l| l.names[1].clone()).collect()
    }

    #[test]
    fn incomplete_follow_up_is_ranked_after_complete_and_no_rate_last_either_way() {
        let lines = || {
            vec![
                line("None", None, true),
                // The lowest upper end of all, but its follow-up has not ended.
                line("Early", Some((0.05, 0.01, 0.15)), false),
                line("Wide", Some((0.0, 0.0, 0.2775)), true),
                line("Narrow", Some((0.125, 0.0546, 0.2611)), true),
            ]
        };
        assert_eq!(
            names(sorted(lines(), REOFFENDING_COLUMN, false)),
            ["Narrow", "Wide", "Early", "None"]
        );
        assert_eq!(
            names(sorted(lines(), REOFFENDING_COLUMN, true)),
            ["Narrow", "Wide", "Early", "None"]
        );
    }

    #[test]
    fn a_kind_reads_as_words() {
        assert_eq!(
            kind_label(ProgrammeKind::ImmediateJustice),
            "Immediate Justice"
        );
        assert_eq!(kind_label(ProgrammeKind::Mentoring), "Mentoring");
    }
}
