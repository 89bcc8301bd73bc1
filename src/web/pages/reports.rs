//! `GET /{programmes|providers|funding-streams}/{id}/report`: a report as a page, with its
//! downloads (`format=csv|xlsx|pdf|json`, each audited); `GET /reports`: every report the
//! viewer may read. The VRU dashboard is `dashboard.rs`.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{render_status, viewer_context, Choice, Page};
use crate::db::DbConn;
use crate::domain::access::Actor;
use crate::reports::{self, html, view, Format, ReportRequest};
use crate::store;
use crate::web::errors::{blocking, AppError, FieldError, PageError};
use crate::web::report_query::{
    self, audit_download, audit_refusal, query_string, ReportKind, ReportQuery,
};
use crate::web::AppState;

/// The page's own parameter besides the report's.
#[derive(Debug, Deserialize)]
pub struct FormatQuery {
    pub format: Option<String>,
}

/// What the report route answers: a file, or a page (200, or 422 with errors).
enum Answer {
    File(String, Format, Vec<u8>),
    Page(StatusCode, Box<ReportPage>),
}

/// `GET /{programmes|providers|funding-streams}/{id}/report?period=...[&format=...]`: the
/// report of a programme, of a provider (all its programmes) or of a funding stream (every
/// programme it pays for, with its money), as a page or one of its downloads. The route's
/// first segment says which.
#[allow(clippy::too_many_arguments)]
pub async fn report(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
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
        Answer::Page(status, body) => render_status(
            status,
            "pages/report",
            &viewer_context(&body.title, &nonce, &viewer, "/reports", &body),
        ),
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
    let mut page = ReportPage {
        title: format!("{name}: report"),
        action: action.clone(),
        kind: kind.label(),
        name: name.clone(),
        period: query.period.clone(),
        published: query.published.unwrap_or(false),
        settings: settings(&query),
        errors: Vec::new(),
        report: None,
    };
    if format == Format::Html && !document {
        page.settings.compare = Some(compare_choices(conn, actor, kind, id, &query)?);
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
        return Ok(Answer::Page(StatusCode::OK, Box::new(page)));
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
    audit_download(
        conn,
        state,
        actor,
        kind.entity(id),
        audited,
        "page",
        &request,
        &report,
    )?;
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
    // The files of the mode shown, with their sizes (and the PDF's pages): rendered at
    // the report's first view, then kept with the cached report.
    let files = report.files(|| {
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
        Ok(files)
    })?;
    page.report = Some(ReportSection {
        body: html::context(&view::view(&report)),
        downloads: downloads(&action, &request, &files),
    });
    Ok(Answer::Page(StatusCode::OK, Box::new(page)))
}

/// The form again with the error summary (and the comparison's own message beside it).
fn refused(mut page: ReportPage, name: &str, errors: &[FieldError]) -> Answer {
    page.errors = summary(errors);
    page.title = format!("Error: {name}: report");
    page.settings.compare_error = errors
        .iter()
        .find(|e| e.field == "compare")
        .map(|e| e.message.clone());
    Answer::Page(StatusCode::UNPROCESSABLE_ENTITY, Box::new(page))
}

/// The view of `pages/report`: the form, and the report with its downloads once asked.
#[derive(Serialize)]
struct ReportPage {
    title: String,
    action: String,
    kind: &'static str,
    name: String,
    period: Option<String>,
    published: bool,
    settings: Settings,
    errors: Vec<ErrorLink>,
    report: Option<ReportSection>,
}

/// The report as `reports::html` lays it out, with the download links.
#[derive(Serialize)]
struct ReportSection {
    #[serde(flatten)]
    body: Value,
    downloads: Vec<DownloadMode>,
}

/// The reoffending settings and the "Compare with" choice of the form.
#[derive(Serialize)]
struct Settings {
    follow_up: Vec<Choice>,
    index: Vec<Choice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    compare: Option<CompareChoices>,
    #[serde(skip_serializing_if = "Option::is_none")]
    compare_error: Option<String>,
}

/// The "Compare with" choices.
#[derive(Serialize)]
struct CompareChoices {
    nothing: bool,
    programmes: Vec<Choice>,
    groups: Vec<Choice>,
    matched: bool,
}

/// An entry of the error summary.
#[derive(Serialize)]
struct ErrorLink {
    href: String,
    text: String,
}

/// A download link.
#[derive(Serialize)]
struct DownloadLink {
    text: &'static str,
    mode: &'static str,
    about: Option<String>,
    href: String,
}

/// The downloads of one mode.
#[derive(Serialize)]
struct DownloadMode {
    heading: String,
    links: Vec<DownloadLink>,
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
) -> Result<CompareChoices, AppError> {
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
        Choice::new(value, text, selected)
    };
    let programmes: Vec<Choice> = programmes
        .into_iter()
        .map(|(text, value)| choice(text, value))
        .collect();
    let groups: Vec<Choice> = store::comparison_groups::list(conn)?
        .into_iter()
        .map(|g| {
            let people = if g.members == 1 { "person" } else { "people" };
            choice(
                format!("{} ({} {people})", g.name, g.members),
                format!("group:{}", g.id),
            )
        })
        .collect();
    Ok(CompareChoices {
        nothing: asked.is_empty(),
        programmes,
        groups,
        matched: asked == "matched",
    })
}

/// `GET /reports`: every report the viewer may read, with the current financial year as
/// the period (a funding stream's own year for its report): programmes by provider,
/// providers, and for commissioners, analysts and admins the funding streams.
pub async fn index(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
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
        let providers = providers
            .into_iter()
            .map(|o| ProviderReports {
                programmes: programmes
                    .iter()
                    .filter(|p| p.organisation_id == o.id)
                    .map(|p| Named {
                        id: p.id.0,
                        name: p.fields.name.clone(),
                    })
                    .collect(),
                id: o.id.0,
                name: o.name,
            })
            .collect();
        // Funding streams span providers: their reports are for aggregate readers only.
        let aggregate = !matches!(scope, crate::domain::access::Scope::Organisation(_));
        let streams = if aggregate {
            store::funding_streams::all(conn)?
                .into_iter()
                .map(|f| StreamReports {
                    id: f.id.0,
                    name: f.name,
                    funder: f.funder,
                    year: f.financial_year,
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok::<_, AppError>(ReportsIndex {
            providers,
            streams,
            aggregate,
            period: year,
        })
    })
    .await?;
    render_status(
        StatusCode::OK,
        "pages/reports",
        &viewer_context("Reports", &nonce, &viewer, "/reports", &body),
    )
}

/// A programme under its provider on `/reports`.
#[derive(Serialize)]
struct Named {
    id: i64,
    name: String,
}

/// A provider and its programmes on `/reports`.
#[derive(Serialize)]
struct ProviderReports {
    id: i64,
    name: String,
    programmes: Vec<Named>,
}

/// A funding stream on `/reports`.
#[derive(Serialize)]
struct StreamReports {
    id: i64,
    name: String,
    funder: String,
    year: String,
}

/// The view of `pages/reports`.
#[derive(Serialize)]
struct ReportsIndex {
    providers: Vec<ProviderReports>,
    streams: Vec<StreamReports>,
    aggregate: bool,
    period: String,
}

/// The reoffending settings of the form: each choice, and whether it is the one asked
/// for (the defaults when none is, or when what was asked is not a choice).
fn settings(query: &ReportQuery) -> Settings {
    let follow_up = query.follow_up.unwrap_or(12);
    let index = query.index.as_deref().unwrap_or("referral");
    let months = [3, 6, 12, 24]
        .iter()
        .map(|m| Choice::new(m, format!("{m} months"), *m == follow_up))
        .collect();
    let indexes = [
        ("referral", "Date of referral (default)"),
        ("start", "Date of the first attended session"),
        (
            "completion",
            "Date of completion (completed referrals only)",
        ),
    ]
    .iter()
    .map(|(v, text)| Choice::new(v, text, *v == index))
    .collect();
    Settings {
        follow_up: months,
        index: indexes,
        compare: None,
        compare_error: None,
    }
}

fn summary(errors: &[FieldError]) -> Vec<ErrorLink> {
    errors
        .iter()
        .map(|e| ErrorLink {
            href: format!("#{}", e.field),
            text: e.message.clone(),
        })
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

/// The pages of a PDF: its page objects (`/Type /Page`, not `/Pages`; typst writes no
/// space between the two names, other writers one or more).
fn pdf_pages(pdf: &[u8]) -> usize {
    let mut pages = 0;
    let mut rest = pdf;
    while let Some(at) = rest.windows(5).position(|w| w == b"/Type") {
        rest = &rest[at + 5..];
        let name = rest.trim_ascii_start();
        if let Some(after) = name.strip_prefix(b"/Page") {
            if !after.first().is_some_and(|c| c.is_ascii_alphanumeric()) {
                pages += 1;
            }
        }
    }
    pages
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
) -> Vec<DownloadMode> {
    let mut modes = [("internal", false), ("published", true)];
    if request.published {
        modes.reverse();
    }
    modes
        .iter()
        .map(|(mode, published)| {
            let q = query_string(request, *published);
            let shown = *published == request.published;
            let links = DOWNLOADS
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
                    Some(DownloadLink {
                        text,
                        mode,
                        about,
                        href: format!("{action}?{q}&format={f}"),
                    })
                })
                .collect();
            DownloadMode {
                heading: format!("{} mode", if *published { "Published" } else { "Internal" }),
                links,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::pdf_pages;

    #[test]
    fn pages_are_counted_with_or_without_a_space_and_the_page_tree_is_not() {
        let pdf = b"1 0 obj <</Type/Pages/Kids[2 0 R 3 0 R]/Count 2>> endobj \
                    2 0 obj <</Type/Page/Parent 1 0 R>> endobj \
                    3 0 obj <</Type /Page /Parent 1 0 R>> endobj \
                    4 0 obj <</Type\n/PageLabel>> endobj";
        assert_eq!(pdf_pages(pdf), 2);
        assert_eq!(pdf_pages(b"no pages"), 0);
    }
}
