//! `GET /{programmes|providers|funding-streams}/{id}/report`: a report as a page, with its
//! downloads (`format=csv|xlsx|pdf|json`, each audited); `GET /reports`: every report the
//! viewer may read; and `GET /dashboard`: every programme's key figures for a period side
//! by side, sortable by column.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{render_status, viewer_context};
use crate::db::DbConn;
use crate::domain::access::Actor;
use crate::reports::{self, html, view, Format, ReportRequest};
use crate::store;
use crate::store::report_rows::ReportScope;
use crate::web::auth::Viewer;
use crate::web::errors::{blocking, AppError, FieldError, PageError};
use crate::web::report_query::{
    self, audit_download, audit_refusal, query_string, ReportKind, ReportQuery,
};
use crate::web::security::CspNonce;
use crate::web::AppState;

/// The page's own parameter besides the report's.
#[derive(Debug, Deserialize)]
pub struct FormatQuery {
    pub format: Option<String>,
}

/// What the report route answers: a file, or a page (200, or 422 with errors).
enum Answer {
    File(String, Format, Vec<u8>),
    Page(StatusCode, Value),
}

/// `GET /{programmes|providers|funding-streams}/{id}/report?period=...[&format=...]`: the
/// report of a programme, of a provider (all its programmes) or of a funding stream (every
/// programme it pays for, with its money), as a page or one of its downloads. The route's
/// first segment says which.
#[allow(clippy::too_many_arguments)]
pub async fn report(
    state: web::Data<AppState>,
    nonce: CspNonce,
    viewer: Viewer,
    actor: Actor,
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<ReportQuery>,
    format: web::Query<FormatQuery>,
) -> Result<HttpResponse, PageError> {
    let kind = req
        .match_pattern()
        .and_then(|p| ReportKind::from_segment(p.split('/').nth(1)?))
        .ok_or(AppError::NotFound)?;
    let (id, query, format) = (id.into_inner(), query.into_inner(), format.into_inner());
    // An id that is not a number is a record that does not exist.
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    // `document` is the standalone HTML file; `html` (or none) the page.
    let document = format.format.as_deref() == Some("document");
    let format: Format = match format.format.as_deref() {
        None | Some("") | Some("document") => Format::Html,
        Some(f) => f
            .parse()
            .map_err(|e: String| AppError::validation("format", e))?,
    };
    let answer = blocking(move || {
        let conn = &mut *state.conn()?;
        answer(conn, &state, &actor, kind, id, query, (format, document))
    })
    .await?;
    match answer {
        Answer::File(name, format, bytes) => Ok(HttpResponse::Ok()
            .content_type(format.media_type())
            .insert_header((
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ))
            .insert_header((CACHE_CONTROL, "no-store"))
            .body(bytes)),
        Answer::Page(status, body) => {
            let title = body["title"].as_str().unwrap_or("Report").to_string();
            render_status(
                status,
                "pages/report",
                &viewer_context(&title, &nonce, &viewer, "/reports", body),
            )
        }
    }
}

/// Looks the record up in the actor's scope, then builds, audits and renders.
fn answer(
    conn: &mut DbConn,
    state: &AppState,
    actor: &Actor,
    kind: ReportKind,
    id: i64,
    mut query: ReportQuery,
    (format, document): (Format, bool),
) -> Result<Answer, AppError> {
    let (scope, name) = report_query::resolve(conn, actor.scope(), kind, id)?;
    let asked = query
        .period
        .as_deref()
        .is_some_and(|s| !s.trim().is_empty());
    if !asked {
        query.period = Some(report_query::current_year());
    }
    let action = format!("/{}/{id}/report", kind.segment());
    let mut page = json!({"action": action, "kind": kind.label(), "name": name,
        "period": query.period, "published": query.published.unwrap_or(false),
        "settings": settings(&query), "title": format!("{name}: report")});
    if format == Format::Html && !document {
        page["settings"]["compare"] = compare_choices(conn, actor, kind, id, &query)?;
    }
    let request = query.request(scope, name.clone(), state, actor);
    let entity = kind.entity(id);
    // In the audit trail: `html` is the page (a `report_view`), `document` the standalone
    // HTML file (a `report_download`, like the other files).
    let audited = if document {
        "document"
    } else {
        format.extension()
    };
    let request = audit_refusal(conn, actor, entity, audited, &query, request);
    let request = match request {
        Ok(r) => r,
        Err(AppError::Validation(errors)) if format == Format::Html => {
            return Ok(refused(page, &name, &errors));
        }
        Err(e) => return Err(e),
    };
    if !asked && format == Format::Html {
        return Ok(Answer::Page(StatusCode::OK, page));
    }
    let report = report_query::build(conn, state, actor, &request);
    // A comparison that cannot be had (no such programme or group) is a field error of
    // the form, like a bad period.
    let report = match audit_refusal(conn, actor, kind.entity(id), audited, &query, report) {
        Ok(r) => r,
        Err(AppError::Validation(errors)) if format == Format::Html && !document => {
            return Ok(refused(page, &name, &errors));
        }
        Err(e) => return Err(e),
    };
    audit_download(conn, actor, kind.entity(id), audited, &request, &report)?;
    let rendered = |format| {
        reports::render(&report, format)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("rendering the report: {e}")))
    };
    if format != Format::Html || document {
        return Ok(Answer::File(
            file_name(&request, format),
            format,
            rendered(format)?,
        ));
    }
    // The files of the mode shown, with their sizes (and the PDF's pages).
    let mut files = Vec::new();
    for f in DOWNLOADS {
        let bytes = match rendered(f.1) {
            Ok(b) => b,
            // A build without the `pdf` feature offers no PDF.
            Err(_) if f.1 == Format::Pdf => continue,
            Err(e) => return Err(e),
        };
        files.push((
            f.1,
            bytes.len(),
            (f.1 == Format::Pdf).then(|| pdf_pages(&bytes)),
        ));
    }
    page["report"] = html::context(&view::view(&report));
    page["report"]["downloads"] = json!(downloads(&action, &request, &files));
    Ok(Answer::Page(StatusCode::OK, page))
}

/// The form again with the error summary (and the comparison's own message beside it).
fn refused(mut page: Value, name: &str, errors: &[FieldError]) -> Answer {
    page["errors"] = json!(summary(errors));
    page["title"] = json!(format!("Error: {name}: report"));
    if let Some(e) = errors.iter().find(|e| e.field == "compare") {
        page["settings"]["compare_error"] = json!(e.message);
    }
    Answer::Page(StatusCode::UNPROCESSABLE_ENTITY, page)
}

/// The "Compare with" choices: the programmes the viewer can see but this one (with their
/// provider where two share a name), the imported comparison groups, and a matched
/// comparison; each a `compare=` value, the one asked for selected.
fn compare_choices(
    conn: &mut DbConn,
    actor: &Actor,
    kind: ReportKind,
    id: i64,
    query: &ReportQuery,
) -> Result<Value, AppError> {
    let asked = query.compare.as_deref().map(str::trim).unwrap_or_default();
    let scope = actor.scope();
    let providers: std::collections::HashMap<_, _> =
        store::organisations::list_scoped(conn, scope)?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
    let all = store::programmes::list(conn, scope, None, 10_000, 0)?;
    let shared = |name: &str| all.iter().filter(|p| p.fields.name == name).count() > 1;
    let mut programmes: Vec<(String, String)> = all
        .iter()
        .filter(|p| !(kind == ReportKind::Programme && p.id.0 == id))
        .map(|p| {
            let text = match providers.get(&p.organisation_id) {
                Some(provider) if shared(&p.fields.name) => {
                    format!("{} ({provider})", p.fields.name)
                }
                _ => p.fields.name.clone(),
            };
            (text, format!("programme:{}", p.id.0))
        })
        .collect();
    programmes.sort_by_key(|(text, _)| text.to_lowercase());
    let choice = |text: String, value: String| {
        let selected = value == asked;
        json!({"text": text, "value": value, "selected": selected})
    };
    let programmes: Vec<Value> = programmes
        .into_iter()
        .map(|(text, value)| choice(text, value))
        .collect();
    let groups: Vec<Value> = store::comparison_groups::list(conn)?
        .into_iter()
        .map(|g| {
            let people = if g.members == 1 { "person" } else { "people" };
            choice(
                format!("{} ({} {people})", g.name, g.members),
                format!("group:{}", g.id),
            )
        })
        .collect();
    Ok(
        json!({"nothing": asked.is_empty(), "programmes": programmes, "groups": groups,
        "matched": asked == "matched"}),
    )
}

/// `GET /reports`: every report the viewer may read, with the current financial year as
/// the period (a funding stream's own year for its report): programmes by provider,
/// providers, and for commissioners, analysts and admins the funding streams.
pub async fn index(
    state: web::Data<AppState>,
    nonce: CspNonce,
    viewer: Viewer,
    actor: Actor,
) -> Result<HttpResponse, PageError> {
    let year = report_query::current_year();
    let body = blocking(move || {
        let conn = &mut *state.conn()?;
        let scope = actor.scope();
        let providers: Vec<_> = store::organisations::list_scoped(conn, scope)?
            .into_iter()
            .filter(|o| o.kind == crate::domain::enums::OrganisationKind::Provider)
            .collect();
        let programmes = store::programmes::list(conn, scope, None, 10_000, 0)?;
        let providers: Vec<Value> = providers
            .into_iter()
            .map(|o| {
                let own: Vec<Value> = programmes
                    .iter()
                    .filter(|p| p.organisation_id == o.id)
                    .map(|p| json!({"id": p.id, "name": p.fields.name}))
                    .collect();
                json!({"id": o.id, "name": o.name, "programmes": own})
            })
            .collect();
        // Funding streams span providers: their reports are for aggregate readers only.
        let aggregate = !matches!(scope, crate::domain::access::Scope::Organisation(_));
        let streams: Vec<Value> = if aggregate {
            store::funding_streams::all(conn)?
                .into_iter()
                .map(|f| json!({"id": f.id, "name": f.name, "funder": f.funder, "year": f.financial_year}))
                .collect()
        } else {
            Vec::new()
        };
        Ok::<_, AppError>(json!({"providers": providers, "streams": streams, "aggregate": aggregate}))
    })
    .await?;
    let mut body = body;
    body["period"] = json!(year);
    render_status(
        StatusCode::OK,
        "pages/reports",
        &viewer_context("Reports", &nonce, &viewer, "/reports", body),
    )
}

/// The reoffending settings of the form: each choice, and whether it is the one asked
/// for (the defaults when none is, or when what was asked is not a choice).
fn settings(query: &ReportQuery) -> Value {
    let follow_up = query.follow_up.unwrap_or(12);
    let index = query.index.as_deref().unwrap_or("referral");
    let months: Vec<Value> = [3, 6, 12, 24]
        .iter()
        .map(|m| json!({"value": m, "text": format!("{m} months"), "selected": *m == follow_up}))
        .collect();
    let indexes: Vec<Value> = [
        ("referral", "Date of referral (default)"),
        ("start", "Date of the first attended session"),
        (
            "completion",
            "Date of completion (completed referrals only)",
        ),
    ]
    .iter()
    .map(|(v, text)| json!({"value": v, "text": text, "selected": *v == index}))
    .collect();
    json!({"follow_up": months, "index": indexes})
}

fn summary(errors: &[FieldError]) -> Vec<Value> {
    errors
        .iter()
        .map(|e| json!({"href": format!("#{}", e.field), "text": e.message}))
        .collect()
}

/// `mentoring-2025-26-internal.csv`: letters, digits and hyphens only.
fn file_name(request: &ReportRequest, format: Format) -> String {
    let mode = if request.published {
        "published"
    } else {
        "internal"
    };
    let stem = format!("{} {} {mode}", request.scope_name, request.period);
    let slug: String = stem
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let slug = slug
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    format!("{slug}.{}", format.extension())
}

/// The downloads: label, format, and the `format` parameter.
const DOWNLOADS: [(&str, Format, &str); 5] = [
    ("PDF", Format::Pdf, "pdf"),
    ("XLSX spreadsheet", Format::Xlsx, "xlsx"),
    ("CSV", Format::Csv, "csv"),
    ("HTML", Format::Html, "document"),
    ("JSON", Format::Json, "json"),
];

/// The pages of a PDF: its page objects (`/Type /Page`, not `/Pages`).
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/Type /Page")
        .filter(|(i, m)| !text[i + m.len()..].starts_with('s'))
        .count()
}

/// "171 KB", "1.2 MB", "512 bytes".
fn size_text(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else if bytes < 1024 * 1024 {
        format!("{} KB", bytes.div_ceil(1024))
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// A link per format, in the mode shown (with each file's size, and the PDF's pages) and
/// in the other mode, under `action`.
fn downloads(
    action: &str,
    request: &ReportRequest,
    files: &[(Format, usize, Option<usize>)],
) -> Vec<Value> {
    let mut modes = [("internal", false), ("published", true)];
    if request.published {
        modes.reverse();
    }
    modes
        .iter()
        .map(|(mode, published)| {
            let q = query_string(request, *published);
            let shown = *published == request.published;
            let links: Vec<Value> = DOWNLOADS
                .iter()
                .filter_map(|(text, format, f)| {
                    let file = files.iter().find(|x| x.0 == *format);
                    if shown && file.is_none() {
                        return None;
                    }
                    let about = file.filter(|_| shown).map(|(_, size, pages)| {
                        let mut about = format!(
                            "{}, {}",
                            format.extension().to_uppercase(),
                            size_text(*size)
                        );
                        if let Some(p) = pages {
                            about
                                .push_str(&format!(", {p} page{}", if *p == 1 { "" } else { "s" }));
                        }
                        about
                    });
                    Some(json!({"text": text, "mode": mode, "about": about,
                        "href": format!("{action}?{q}&format={f}")}))
                })
                .collect();
            json!({"heading": format!("{} mode", if *published { "Published" } else { "Internal" }),
                "links": links})
        })
        .collect()
}

/// The dashboard's columns: sort key, heading, and where a programme's figure is in the
/// report JSON (`None` for the two text columns).
const COLUMNS: [(&str, &str, Option<&str>); 9] = [
    ("provider", "Provider", None),
    ("programme", "Programme", None),
    (
        "referrals",
        "Referrals received",
        Some("/engagement/referrals_received"),
    ),
    (
        "acceptance",
        "Acceptance rate",
        Some("/engagement/acceptance_rate"),
    ),
    (
        "completion",
        "Completion rate",
        Some("/engagement/completion_rate"),
    ),
    (
        "attendance",
        "Attendance rate",
        Some("/engagement/attendance_rate"),
    ),
    (
        "reoffending",
        "Reoffending rate (95% interval)",
        Some("/reoffending/groups/all/reoffending_rate"),
    ),
    // Split, as in the reports: people and attendances are not added together.
    (
        "cost",
        "Cost per named participant",
        Some("/money/cost_per_named_participant"),
    ),
    (
        "cost_attendance",
        "Cost per attendance",
        Some("/money/cost_per_attendance"),
    ),
];

/// `GET /dashboard?period=...&sort=...`: `sort` is a column key, `-key` for descending.
#[derive(Debug, Deserialize)]
pub struct DashboardQuery {
    pub period: Option<String>,
    pub sort: Option<String>,
}

/// One programme's line: its names, link id, the figures of `COLUMNS[2..]`, the interval.
struct Line {
    id: i64,
    names: [String; 2],
    figures: Vec<Option<f64>>,
    interval: Option<(f64, f64)>,
    /// The status of the return of the period's latest quarter that has started.
    return_status: Option<(String, Value)>,
    /// Why the reoffending rate is withheld by the unit rules, in words, if it is.
    reoffending_withheld: Option<String>,
    /// Referrals received in each quarter of the period: (quarter, count as the report
    /// shows it).
    trend: Vec<(String, String)>,
}

/// `GET /dashboard`: every programme's key figures for a period, side by side.
pub async fn dashboard(
    state: web::Data<AppState>,
    nonce: CspNonce,
    viewer: Viewer,
    actor: Actor,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, PageError> {
    let DashboardQuery { period, sort } = query.into_inner();
    let raw = period
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(report_query::current_year);
    let sort = sort.unwrap_or_else(|| "programme".into());
    let (key, descending) = sort
        .strip_prefix('-')
        .map_or((sort.as_str(), false), |k| (k, true));
    let column = COLUMNS.iter().position(|c| c.0 == key).unwrap_or(1);
    let mut body = json!({"period": raw, "title": "Dashboard"});
    let (status, lines) = match report_query::parse_period(Some(&raw)) {
        Err(e) => {
            let (state, actor, period, sort) =
                (state.clone(), actor.clone(), raw.clone(), sort.clone());
            blocking(move || audit_dashboard(&mut *state.conn()?, &actor, &period, &sort, None))
                .await?;
            body["errors"] = json!(summary(&[e]));
            body["title"] = json!("Error: Dashboard");
            (StatusCode::UNPROCESSABLE_ENTITY, Vec::new())
        }
        Ok(period) => {
            let sort = sort.clone();
            let lines = blocking(move || {
                let mut conn = state.conn()?;
                let lines = lines(&mut conn, &state, &actor, period)?;
                let shown = lines.len();
                audit_dashboard(&mut conn, &actor, &period.to_string(), &sort, Some(shown))?;
                Ok(lines)
            })
            .await?;
            (StatusCode::OK, lines)
        }
    };
    body["head"] = json!(head(&raw, column, descending));
    // The quarters of the period (the same for every programme), for the trend table.
    body["quarters"] = json!(lines
        .first()
        .map(|l| l.trend.iter().map(|(q, _)| q.clone()).collect::<Vec<_>>())
        .unwrap_or_default());
    body["rows"] = json!(rows(lines, column, descending));
    let title = body["title"].as_str().unwrap_or_default().to_string();
    render_status(
        status,
        "pages/dashboard",
        &viewer_context(&title, &nonce, &viewer, "/dashboard", body),
    )
}

/// Records a dashboard view (its period, sort and how many programmes it showed, or that
/// the period was refused), like a report's: the dashboard is every programme's report.
fn audit_dashboard(
    conn: &mut DbConn,
    actor: &Actor,
    period: &str,
    sort: &str,
    programmes: Option<usize>,
) -> Result<(), AppError> {
    let period: String = period
        .chars()
        .filter(|c| !c.is_control())
        .take(40)
        .collect();
    let sort: String = sort.chars().filter(|c| !c.is_control()).take(40).collect();
    let shown = match programmes {
        Some(n) => format!("programmes={n}"),
        None => "refused=period".to_string(),
    };
    store::audit::record(
        conn,
        store::audit::NewEvent::new(crate::domain::enums::AuditAction::ReportView, "dashboard")
            .by(Some(actor))
            .detail(format!("format=html period={period} sort={sort} {shown}")),
    )?;
    Ok(())
}

/// Each visible programme's report for the period, reduced to the dashboard's figures.
fn lines(
    conn: &mut DbConn,
    state: &AppState,
    actor: &Actor,
    period: crate::domain::period::Period,
) -> Result<Vec<Line>, AppError> {
    let providers: std::collections::HashMap<_, _> =
        store::organisations::list_scoped(conn, actor.scope())?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
    // The period's latest quarter that has started: the one whose return is due or under way.
    let today = chrono::Utc::now().date_naive();
    let quarter = period
        .quarters()
        .into_iter()
        .rev()
        .find(|q| q.first_day() <= today);
    let statuses = match quarter {
        Some(q) => store::quarterly_returns::statuses_for(conn, q)?,
        None => Default::default(),
    };
    let mut out = Vec::new();
    for p in store::programmes::list(conn, actor.scope(), None, 10_000, 0)? {
        let return_status = quarter.map(|q| {
            let (text, colour) = super::returns::tag(statuses.get(&p.id).copied());
            (
                format!("Q{}", q.number()),
                json!({"text": text, "colour": colour, "quarter": q.to_string()}),
            )
        });
        let mut request =
            ReportRequest::new(ReportScope::Programme(p.id), p.fields.name.clone(), period);
        request.threshold = state.disclosure_threshold;
        report_query::audience(&mut request, state, actor);
        let report = report_query::build(conn, state, actor, &request)?;
        let reoffending_withheld = report
            .withheld_at("/reoffending/groups/all/reoffending_rate")
            .map(|w| w.text());
        let json = report.to_json();
        let number = |ptr: &str| json.pointer(ptr).and_then(Value::as_f64);
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
        let interval = json
            .pointer("/reoffending/groups/all/reoffending_rate_ci")
            .and_then(|ci| Some((ci.get(0)?.as_f64()?, ci.get(1)?.as_f64()?)));
        out.push(Line {
            id: p.id.0,
            names: [
                providers
                    .get(&p.organisation_id)
                    .cloned()
                    .unwrap_or_default(),
                p.fields.name,
            ],
            figures: COLUMNS[2..].iter().map(|c| c.2.and_then(number)).collect(),
            interval,
            return_status,
            reoffending_withheld,
            trend,
        });
    }
    Ok(out)
}

/// The column headings, each a link that sorts by it (again: the other way).
fn head(period: &str, column: usize, descending: bool) -> Vec<Value> {
    COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (key, text, ptr))| {
            let next = if i == column && !descending { format!("-{key}") } else { key.to_string() };
            let q = serde_urlencoded::to_string([("period", period), ("sort", next.as_str())]).unwrap_or_default();
            let sort = match (i == column, descending) {
                (false, _) => "none",
                (true, false) => "ascending",
                (true, true) => "descending",
            };
            json!({"text": text, "href": format!("/dashboard?{q}"), "aria_sort": sort, "numeric": ptr.is_some()})
        })
        .collect()
}

/// The lines sorted by `column` (missing figures last either way), as table rows.
fn rows(mut lines: Vec<Line>, column: usize, descending: bool) -> Vec<Value> {
    lines.sort_by(|a, b| {
        let order = if column < 2 {
            a.names[column]
                .to_lowercase()
                .cmp(&b.names[column].to_lowercase())
        } else {
            match (a.figures[column - 2], b.figures[column - 2]) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                (Some(_), None) => return std::cmp::Ordering::Less,
                (None, Some(_)) => return std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
        };
        if descending {
            order.reverse()
        } else {
            order
        }
    });
    lines
        .into_iter()
        .map(|l| {
            let rate =
                |v: Option<f64>| v.map_or("–".to_string(), |r| format!("{:.1}%", r * 100.0));
            let money = |v: Option<f64>| {
                v.map_or("–".to_string(), |c| {
                    crate::reports::view::format_value(crate::reports::view::Kind::Money, c)
                })
            };
            let reoffending = match (l.figures[4], l.interval) {
                (Some(r), Some((lo, hi))) => format!(
                    "{} ({:.1}% to {:.1}%)",
                    rate(Some(r)),
                    lo * 100.0,
                    hi * 100.0
                ),
                (r, _) => l.reoffending_withheld.clone().unwrap_or_else(|| rate(r)),
            };
            let return_status = l.return_status.map(|(q, mut tag)| {
                tag["label"] = json!(q);
                tag
            });
            json!({"id": l.id, "provider": l.names[0], "programme": l.names[1],
            "return": return_status,
            "trend": l.trend.into_iter().map(|(_, n)| n).collect::<Vec<_>>(),
            "cells": [
                l.figures[0].map_or("–".to_string(), |n| format!("{n:.0}")),
                rate(l.figures[1]), rate(l.figures[2]), rate(l.figures[3]), reoffending,
                money(l.figures[5]), money(l.figures[6]),
            ]})
        })
        .collect()
}
