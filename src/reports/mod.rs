//! Reports: load the rows of a scope and period, compute them with the evaluation engine,
//! and hand the one assembled report to each format, so formats can never disagree.
//!
//! Every format renders the same [`view::ReportView`], built once from the [`Report`]:
//! JSON is the report's own JSON; [`csv`], [`html`], [`xlsx`] and [`pdf`] (cargo feature
//! `pdf`, on by default) render the view's cells. See `docs/reports.md`.

pub mod cache;
pub mod charts;
pub mod csv;
pub mod html;
#[cfg(feature = "pdf")]
pub mod pdf;
pub mod view;
pub mod xlsx;

use chrono::{NaiveDate, Utc};

use crate::config::Settings;
use crate::db::DbConn;
use crate::domain::ids::ProgrammeId;
use crate::domain::period::{FinancialYear, Period as DomainPeriod};
use crate::evaluation::cost::CostTables;
use crate::evaluation::reoffending::IndexDate;
use crate::evaluation::reoffending::{ComparisonCohort, ComparisonMethod};
use crate::evaluation::report::{
    assemble, ComparisonInput, MatchedPool, Report, ReportError, ReportInputs, ReportParams,
};
use crate::evaluation::DateRange;
use crate::store;
use crate::store::report_rows::{self, ReportScope};
use crate::store::StoreError;

/// What a user asks for; everything but the scope and period has a default.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    pub scope: ReportScope,
    pub scope_name: String,
    pub period: DomainPeriod,
    pub follow_up_months: u32,
    pub waiting_months: u32,
    pub index: IndexDate,
    pub published: bool,
    /// Defaults to the financial year in which the period ends.
    pub price_year: Option<String>,
    pub threshold: u64,
    pub positive_threshold: f64,
    /// The date targets are pro-rated to; defaults to today.
    pub report_date: Option<NaiveDate>,
    /// `--minimum-cohort`: the fewest measurable people of a unit (programme and year).
    pub minimum_cohort: u64,
    /// For a commissioner or analyst (see `evaluation::units`).
    pub aggregate: bool,
    /// What the reoffending of the report is compared with, if anything.
    pub comparison: Option<CompareWith>,
}

/// What a report's reoffending is compared with: `compare=programme:ID`, `group:ID` or
/// `matched` on the web, `--compare-programme`, `--compare-group` or `--compare-matched`
/// on the command line. See `docs/methodology.md#comparison-with-another-cohort`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareWith {
    /// Another programme's cohort of the same period, with the same parameters.
    Programme(ProgrammeId),
    /// An imported comparison group, by id.
    Group(i64),
    /// A comparison matched from the police extract.
    Matched,
}

impl CompareWith {
    /// What `compare=` accepts, for messages.
    pub const ACCEPTED: &'static str = "programme:ID, group:ID or matched";

    /// The `compare=` value that asks for this comparison.
    pub fn to_param(self) -> String {
        match self {
            CompareWith::Programme(id) => format!("programme:{}", id.0),
            CompareWith::Group(id) => format!("group:{id}"),
            CompareWith::Matched => "matched".to_string(),
        }
    }
}

impl std::str::FromStr for CompareWith {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let id = |v: &str| v.trim().parse::<i64>().ok().filter(|id| *id > 0);
        let parsed = match s.split_once(':') {
            Some(("programme", v)) => id(v).map(|id| CompareWith::Programme(ProgrammeId(id))),
            Some(("group", v)) => id(v).map(CompareWith::Group),
            None if s == "matched" => Some(CompareWith::Matched),
            _ => None,
        };
        parsed.ok_or_else(|| format!("compare with {}, not '{s}'", Self::ACCEPTED))
    }
}

impl ReportRequest {
    pub fn new(scope: ReportScope, scope_name: String, period: DomainPeriod) -> Self {
        ReportRequest {
            scope,
            scope_name,
            period,
            follow_up_months: 12,
            waiting_months: 6,
            index: IndexDate::Referral,
            published: false,
            price_year: None,
            threshold: 5,
            positive_threshold: 4.0,
            report_date: None,
            minimum_cohort: crate::evaluation::units::DEFAULT_MINIMUM_COHORT,
            aggregate: false,
            comparison: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Settings(String),
}

/// The cost-of-crime tables: the embedded defaults, or the files the settings name.
pub fn cost_tables(settings: &Settings) -> Result<CostTables, BuildError> {
    match (&settings.cost_table, &settings.deflator_table) {
        (None, None) => CostTables::embedded().map_err(|e| BuildError::Report(e.into())),
        (units, deflator) => {
            let read = |p: &std::path::Path| {
                std::fs::read_to_string(p)
                    .map_err(|e| BuildError::Settings(format!("reading {}: {e}", p.display())))
            };
            let units = match units {
                Some(p) => read(p)?,
                None => crate::evaluation::cost::DEFAULT_UNIT_COSTS.to_string(),
            };
            let deflator = match deflator {
                Some(p) => read(p)?,
                None => crate::evaluation::cost::DEFAULT_DEFLATOR.to_string(),
            };
            CostTables::from_texts(&units, &deflator).map_err(|e| BuildError::Report(e.into()))
        }
    }
}

/// Loads, computes and assembles one report.
pub fn build(
    conn: &mut DbConn,
    request: &ReportRequest,
    costs: &CostTables,
) -> Result<Report, BuildError> {
    build_in_parallel(conn, None, request, costs)
}

/// [`build`], reading with the extra connections of `parallel` too when given (see
/// `store::report_rows::load`).
pub fn build_in_parallel(
    conn: &mut DbConn,
    parallel: Option<report_rows::Parallel<'_>>,
    request: &ReportRequest,
    costs: &CostTables,
) -> Result<Report, BuildError> {
    let period = DateRange::new(request.period.from(), request.period.to())
        .map_err(|e| BuildError::Settings(e.to_string()))?;
    let mut inputs = report_rows::load(
        conn,
        parallel,
        request.scope,
        &period,
        request.follow_up_months,
        request.waiting_months,
    )?;
    inputs.programme_names = report_rows::programme_names(conn, request.scope)?;
    if let Some(with) = request.comparison {
        comparison_input(conn, request, with, costs, &mut inputs)?;
    }
    let now = Utc::now();
    let params = ReportParams {
        scope_name: request.scope_name.clone(),
        period,
        follow_up_months: request.follow_up_months,
        waiting_months: request.waiting_months,
        index: request.index,
        threshold: request.threshold,
        price_year: request
            .price_year
            .clone()
            .unwrap_or_else(|| FinancialYear::containing(period.to).to_string()),
        published: request.published,
        positive_threshold: request.positive_threshold,
        report_date: request.report_date.unwrap_or_else(|| now.date_naive()),
        minimum_cohort: request.minimum_cohort,
        aggregate: request.aggregate,
    };
    let started = std::time::Instant::now();
    let mut report = assemble(&inputs, &params, costs, now)?;
    report.body.provider = report_rows::provider_of(conn, request.scope)?;
    // A provider's or funding stream's report shows each programme's own report first, so
    // that programmes funded together are compared, not blended.
    if !matches!(request.scope, ReportScope::Programme(_)) {
        let mut programmes = Vec::new();
        for (id, name) in report_rows::programme_names(conn, request.scope)? {
            let mut own = request.clone();
            own.scope = ReportScope::Programme(crate::domain::ids::ProgrammeId(id));
            own.scope_name = name;
            // The lines are the programmes' own figures: no comparison.
            own.comparison = None;
            programmes.push((id, build(conn, &own, costs)?));
        }
        programmes.sort_by_key(|(id, r)| {
            (
                r.body.programme.to_lowercase(),
                r.body.provider.clone(),
                *id,
            )
        });
        for (id, own) in &programmes {
            report.add_programme(*id, own);
        }
    }
    tracing::debug!(
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "report assembled"
    );
    Ok(report)
}

/// Loads what the comparison `with` needs into `inputs`.
fn comparison_input(
    conn: &mut DbConn,
    request: &ReportRequest,
    with: CompareWith,
    costs: &CostTables,
    inputs: &mut ReportInputs,
) -> Result<(), BuildError> {
    inputs.comparison = Some(match with {
        CompareWith::Programme(id) => {
            let programme = store::programmes::find(conn, id)?.ok_or(StoreError::NotFound)?;
            let name = programme.fields.name.clone();
            // Two programmes of one name (the two Immediate Justice models) are told apart
            // by their provider.
            let label = if store::programmes::by_name(conn, &name)?.len() > 1 {
                let provider = store::organisations::find_provider_visible(
                    conn,
                    crate::domain::access::Scope::All,
                    programme.organisation_id,
                )?
                .name;
                format!("{name} ({provider})")
            } else {
                name.clone()
            };
            let mut other = request.clone();
            other.scope = ReportScope::Programme(id);
            other.scope_name = name;
            other.comparison = None;
            let report = build(conn, &other, costs)?;
            let all = &report.body.reoffending.groups.all;
            ComparisonInput::Figures(ComparisonCohort {
                method: ComparisonMethod::Programme,
                label,
                measurable: all.measurable,
                reoffenders: all.reoffenders,
            })
        }
        CompareWith::Group(id) => {
            let group = store::comparison_groups::find(conn, id)?;
            let members = store::comparison_groups::members(conn, id)?;
            let keys: Vec<String> = members
                .iter()
                .filter_map(|m| m.person_key.clone())
                .collect();
            // Every offence of the group's people (the engine keeps each window's own);
            // a cohort member in the group too gets the whole list in place of theirs.
            for (key, rows) in report_rows::offences_of(conn, &keys)? {
                inputs.offences.insert(key, rows);
            }
            ComparisonInput::Members {
                label: group.name,
                members,
            }
        }
        CompareWith::Matched => {
            let (pool, offences) = report_rows::matched_pool(conn)?;
            inputs.offences = offences;
            ComparisonInput::Matched(MatchedPool {
                label: "similar people who did not take part".to_string(),
                ..pool
            })
        }
    });
    Ok(())
}

/// The formats a report can be rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Xlsx,
    Pdf,
    Html,
}

impl Format {
    pub const ALL: [&'static str; 5] = ["json", "csv", "xlsx", "pdf", "html"];

    /// Binary formats are never written to a terminal.
    pub fn is_binary(self) -> bool {
        matches!(self, Format::Xlsx | Format::Pdf)
    }

    /// The media type, for downloads.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Pdf => "application/pdf",
            Format::Html => "text/html; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Pdf => "pdf",
            Format::Html => "html",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            "pdf" => Ok(Format::Pdf),
            "html" => Ok(Format::Html),
            other => Err(format!(
                "'{other}' is not a report format; expected one of {}",
                Format::ALL.join(", ")
            )),
        }
    }
}

/// Why a report could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("writing CSV: {0}")]
    Csv(#[from] ::csv::Error),
    #[error("writing XLSX: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("rendering HTML: {0}")]
    Html(#[from] handlebars::RenderError),
    #[error("writing JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("typesetting PDF: {0}")]
    Pdf(String),
    #[error("this build has no PDF support (built without the `pdf` feature)")]
    PdfUnavailable,
}

/// Renders one report in one format: the bytes of a file.
pub fn render(report: &Report, format: Format) -> Result<Vec<u8>, RenderError> {
    if format == Format::Json {
        let mut text = serde_json::to_string_pretty(&report.to_json())?;
        text.push('\n');
        return Ok(text.into_bytes());
    }
    let view = view::view(report);
    match format {
        Format::Json => unreachable!("handled above"),
        Format::Csv => Ok(csv::render(&view)?),
        Format::Xlsx => Ok(xlsx::render(&view)?),
        Format::Html => Ok(html::render_document(&view)?.into_bytes()),
        #[cfg(feature = "pdf")]
        Format::Pdf => pdf::render(&view).map_err(RenderError::Pdf),
        #[cfg(not(feature = "pdf"))]
        Format::Pdf => Err(RenderError::PdfUnavailable),
    }
}

/// The subject access export of one participant as a readable PDF (cargo feature `pdf`).
pub fn render_subject_access(
    export: &crate::casework::subject_access::Export,
) -> Result<Vec<u8>, RenderError> {
    let json = serde_json::to_string(export)?;
    #[cfg(feature = "pdf")]
    {
        pdf::render_subject_access(json).map_err(RenderError::Pdf)
    }
    #[cfg(not(feature = "pdf"))]
    {
        let _ = json;
        Err(RenderError::PdfUnavailable)
    }
}

/// Who a report was made for, as the archive records it: `aggregate` (commissioners and
/// analysts: the unit rules apply), `provider` (exact figures, as a provider manager or an
/// admin sees them) or `operator` (the command line).
pub fn audience(request: &ReportRequest, operator: bool) -> &'static str {
    if operator {
        "operator"
    } else if request.aggregate {
        "aggregate"
    } else {
        "provider"
    }
}

/// Archives a report given out (docs/erasure-and-retention.md, "Report archive"): its
/// figures as JSON, every parameter and the input hash. Returns the archive entry's id.
pub fn archive(
    conn: &mut DbConn,
    request: &ReportRequest,
    report: &Report,
    format: &str,
    via: &'static str,
    user: Option<crate::domain::ids::UserId>,
    audience: &'static str,
) -> Result<i64, StoreError> {
    let figures_sha256 = store::report_archive::figures_hash(&report.to_json());
    archive_hashed(
        conn,
        request,
        report,
        &figures_sha256,
        format,
        via,
        user,
        audience,
    )
}

/// [`archive`] with the figures' hash (`store::report_archive::figures_hash` of the
/// report's JSON) already known, as a cached report knows it.
#[allow(clippy::too_many_arguments)]
pub fn archive_hashed(
    conn: &mut DbConn,
    request: &ReportRequest,
    report: &Report,
    figures_sha256: &str,
    format: &str,
    via: &'static str,
    user: Option<crate::domain::ids::UserId>,
    audience: &'static str,
) -> Result<i64, StoreError> {
    let scope = match request.scope {
        ReportScope::Programme(id) => format!("programme:{}", id.0),
        ReportScope::Provider(id) => format!("provider:{}", id.0),
        ReportScope::FundingStream(id) => format!("fundingstream:{}", id.0),
    };
    let programme_ids: Vec<i64> = report_rows::programme_names(conn, request.scope)?
        .into_keys()
        .collect();
    let parameters = serde_json::json!({
        "period": request.period.to_string(),
        "follow_up_months": request.follow_up_months,
        "waiting_months": request.waiting_months,
        "index": request.index.as_str(),
        "price_year": request.price_year,
        "threshold": request.threshold,
        "minimum_cohort": request.minimum_cohort,
        "aggregate": request.aggregate,
        "compare": request.comparison.map(|c| c.to_param()),
    });
    store::report_archive::archive(
        conn,
        store::report_archive::NewEntry {
            scope: &scope,
            scope_name: &request.scope_name,
            programme_ids: &programme_ids,
            period_from: request.period.from(),
            period_to: request.period.to(),
            mode: if request.published {
                "published"
            } else {
                "internal"
            },
            audience,
            format,
            via,
            user_id: user,
            parameters: &parameters,
            input_sha256: &report.body.provenance.input_sha256,
            figures_sha256,
            figures: &|| report.to_json(),
        },
    )
}
