//! What the report API and the report pages share: the query parameters of a report and
//! their validation (every field error at once), building the report with errors mapped
//! for the web, and the audit event of each report shown or downloaded.

use std::sync::Arc;

use serde::Deserialize;

use crate::db::DbConn;
use crate::domain::access::{Actor, Scope};
use crate::domain::enums::AuditAction;
use crate::domain::ids::{FundingStreamId, OrganisationId, ProgrammeId};
use crate::domain::period::{FinancialYear, Period, PeriodError};
use crate::evaluation::reoffending::{IndexDate, ParamError};
use crate::evaluation::report::Report;
use crate::reports::cache::{Cached, Outcome};
use crate::reports::{self, CompareWith, ReportRequest};
use crate::store;
use crate::store::audit::{self, NewEvent};
use crate::store::report_rows::{Parallel, ReportScope};
use crate::web::errors::{AppError, FieldError};
use crate::web::AppState;

/// What a report's URL names: a programme, a provider (all its programmes) or a funding
/// stream (every programme it funds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    Programme,
    Provider,
    FundingStream,
}

impl ReportKind {
    /// The path segment of the record, as in `/programmes/{id}/report`.
    pub fn segment(self) -> &'static str {
        match self {
            ReportKind::Programme => "programmes",
            ReportKind::Provider => "providers",
            ReportKind::FundingStream => "funding-streams",
        }
    }

    /// The kind whose path segment is `segment`.
    pub fn from_segment(segment: &str) -> Option<Self> {
        [
            ReportKind::Programme,
            ReportKind::Provider,
            ReportKind::FundingStream,
        ]
        .into_iter()
        .find(|k| k.segment() == segment)
    }

    /// What the record is called on pages.
    pub fn label(self) -> &'static str {
        match self {
            ReportKind::Programme => "Programme",
            ReportKind::Provider => "Provider",
            ReportKind::FundingStream => "Funding stream",
        }
    }

    /// The audit entity of a report of record `id`, like `programme:7`.
    pub fn entity(self, id: i64) -> String {
        let kind = match self {
            ReportKind::Programme => "programme",
            ReportKind::Provider => "provider",
            ReportKind::FundingStream => "fundingstream",
        };
        format!("{kind}:{id}")
    }
}

/// The record a report names, looked up in the actor's scope (another provider's
/// programme or provider is `NotFound`, like one that does not exist): its scope and
/// name. The routes' access rules keep funding streams to aggregate readers.
pub fn resolve(
    conn: &mut DbConn,
    scope: Scope,
    kind: ReportKind,
    id: i64,
) -> Result<(ReportScope, String), AppError> {
    Ok(match kind {
        ReportKind::Programme => {
            let p = store::programmes::find_visible(conn, scope, ProgrammeId(id))?;
            (ReportScope::Programme(p.id), p.fields.name)
        }
        ReportKind::Provider => {
            let o = store::organisations::find_provider_visible(conn, scope, OrganisationId(id))?;
            (ReportScope::Provider(o.id), o.name)
        }
        ReportKind::FundingStream => {
            let f = store::funding_streams::find(conn, FundingStreamId(id))?;
            (ReportScope::FundingStream(f.id), f.name)
        }
    })
}

/// The query parameters of a report.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `2025-26`, `2025-26-Q3` or whole calendar months `FROM..TO` (from the 1st of a
    /// month to the last day of a month). Required (the pages alone default to the current
    /// financial year).
    #[param(required = true)]
    pub period: Option<String>,
    /// 3, 6, 12 or 24 (default 12).
    pub follow_up: Option<u32>,
    /// Waiting period in months (default 6).
    pub waiting: Option<u32>,
    /// `referral` (default), `start` or `completion`.
    pub index: Option<String>,
    /// `true` for disclosure control.
    pub published: Option<bool>,
    /// Financial year of cost-of-crime prices.
    pub price_year: Option<String>,
    /// Compare reoffending with `programme:ID` (another programme you can see, same
    /// period and parameters), `group:ID` (an imported comparison group) or `matched`
    /// (similar people in the police extract who were never referred).
    pub compare: Option<String>,
}

/// The period of a query, or a field error; a missing period is an error too.
pub fn parse_period(raw: Option<&str>) -> Result<Period, FieldError> {
    match raw.map(str::trim) {
        None | Some("") => Err(FieldError::new(
            "period",
            format!("give a period: {}", crate::domain::period::ACCEPTED),
        )),
        Some(p) => p
            .parse()
            .map_err(|e: PeriodError| FieldError::new("period", e.to_string())),
    }
}

/// The current financial year, as a period: what the pages show when none is given.
pub fn current_year() -> String {
    FinancialYear::containing(chrono::Utc::now().date_naive()).to_string()
}

impl ReportQuery {
    /// The request for `scope` as `actor` may have it, or every parameter problem at once.
    pub fn request(
        &self,
        scope: ReportScope,
        name: String,
        state: &AppState,
        actor: &Actor,
    ) -> Result<ReportRequest, AppError> {
        let mut errors = Vec::new();
        let period = parse_period(self.period.as_deref())
            .map_err(|e| errors.push(e))
            .ok();
        let index = match self.index.as_deref() {
            None => Some(IndexDate::Referral),
            Some(i) => i
                .parse()
                .map_err(|e: ParamError| errors.push(FieldError::new("index", e.to_string())))
                .ok(),
        };
        let follow_up = self.follow_up.unwrap_or(12);
        if ![3, 6, 12, 24].contains(&follow_up) {
            errors.push(FieldError::new(
                "follow_up",
                format!("follow-up must be 3, 6, 12 or 24 months, not {follow_up}"),
            ));
        }
        let waiting = self.waiting.unwrap_or(6);
        if waiting > 24 {
            errors.push(FieldError::new(
                "waiting",
                format!("the waiting period must be at most 24 months, not {waiting}"),
            ));
        }
        let comparison = match self.compare.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => match raw.parse::<CompareWith>() {
                Ok(c) => Some(c),
                Err(e) => {
                    errors.push(FieldError::new("compare", e));
                    None
                }
            },
        };
        let (Some(period), Some(index), true) = (period, index, errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };
        let mut request = ReportRequest::new(scope, name, period);
        request.follow_up_months = follow_up;
        request.waiting_months = waiting;
        request.index = index;
        request.published = self.published.unwrap_or(false);
        request.price_year = self.price_year.clone();
        request.threshold = state.disclosure_threshold;
        request.comparison = comparison;
        audience(&mut request, state, actor);
        Ok(request)
    }
}

/// Sets the unit rules of `actor` on `request`: the minimum cohort for everyone, and the
/// aggregate rules for commissioners and analysts (see `evaluation::units`).
pub fn audience(request: &mut ReportRequest, state: &AppState, actor: &Actor) {
    audience_for(request, state, actor.scope());
}

/// `audience` for a reader of `scope`.
pub fn audience_for(request: &mut ReportRequest, state: &AppState, scope: Scope) {
    request.minimum_cohort = state.minimum_cohort;
    request.aggregate = scope == Scope::Aggregate;
}

/// The query string that asks for `request` again (for links to its downloads).
pub fn query_string(request: &ReportRequest, published: bool) -> String {
    let mut q = vec![
        ("period", request.period.to_string()),
        ("follow_up", request.follow_up_months.to_string()),
        ("waiting", request.waiting_months.to_string()),
        ("index", request.index.as_str().to_string()),
        ("published", published.to_string()),
    ];
    if let Some(y) = &request.price_year {
        q.push(("price_year", y.clone()));
    }
    if let Some(c) = request.comparison {
        q.push(("compare", c.to_param()));
    }
    serde_urlencoded::to_string(q).unwrap_or_default()
}

/// A report as built for a request: from the cache or computed (then kept there), with
/// where it was read from. Derefs to the report.
pub struct Built {
    entry: Arc<Cached>,
    /// The report with this request's `read_from` (a replica's lag is of the moment),
    /// when there is one; the cached report as it is otherwise.
    own: Option<Report>,
    pub outcome: Outcome,
}

impl Built {
    /// The hash of the figures the report archive compares, made once per cached report.
    pub fn archive_hash(&self) -> std::borrow::Cow<'_, str> {
        match &self.own {
            None => std::borrow::Cow::Borrowed(self.entry.archive_hash()),
            Some(own) => {
                std::borrow::Cow::Owned(store::report_archive::figures_hash(&own.to_json()))
            }
        }
    }

    /// The report page's downloads with their sizes: `list`'s, made once per cached
    /// report (a report read from a replica carries its own lag, so its files are its
    /// own).
    pub fn files<E>(
        &self,
        list: impl FnOnce() -> Result<Vec<crate::reports::cache::FileSize>, E>,
    ) -> Result<Vec<crate::reports::cache::FileSize>, E> {
        match &self.own {
            None => self.entry.files(list),
            Some(_) => list(),
        }
    }

    /// The report's JSON (DESIGN.md section 5), serialised.
    pub fn json(&self) -> std::borrow::Cow<'_, [u8]> {
        match &self.own {
            None => std::borrow::Cow::Borrowed(&self.entry.json),
            Some(own) => {
                std::borrow::Cow::Owned(serde_json::to_vec(&own.to_json()).unwrap_or_default())
            }
        }
    }
}

impl std::ops::Deref for Built {
    type Target = Report;

    fn deref(&self) -> &Report {
        self.own.as_ref().unwrap_or(&self.entry.report)
    }
}

/// Builds one report for `actor`, its errors as the web answers them. A comparison
/// programme must be one `actor` can see (another provider's is "no such programme").
///
/// The report comes from the instance's cache when the data it reads has not changed
/// since it was computed (`reports::cache`): its versions are read on the connection the
/// report is read from (the replica's when it is read there), before the report, so a
/// cached report always holds every write committed before the request.
pub fn build(
    conn: &mut DbConn,
    state: &AppState,
    actor: &Actor,
    request: &ReportRequest,
) -> Result<Built, AppError> {
    build_for(conn, state, actor.scope(), request)
}

/// `build` for a reader of `scope` (the cache's warming has no actor).
pub fn build_for(
    conn: &mut DbConn,
    state: &AppState,
    scope: Scope,
    request: &ReportRequest,
) -> Result<Built, AppError> {
    let no_such =
        || AppError::validation("compare", "there is no such programme or comparison group");
    match request.comparison {
        Some(CompareWith::Programme(id)) => {
            store::programmes::find_visible(conn, scope, id).map_err(|_| no_such())?;
        }
        Some(CompareWith::Group(id)) => {
            store::comparison_groups::find(conn, id).map_err(|_| no_such())?;
        }
        _ => {}
    }
    // The date targets are pro-rated to is part of the report: fixed here, so that the
    // key and the report agree.
    let mut request = request.clone();
    request
        .report_date
        .get_or_insert_with(|| chrono::Utc::now().date_naive());
    let request = &request;
    let key_text = format!("{request:?}");
    // A comparison with another programme, or with people never referred, reads more than
    // the report's own programmes.
    let every_programme = matches!(
        request.comparison,
        Some(CompareWith::Programme(_)) | Some(CompareWith::Matched)
    );
    let key = |conn: &mut DbConn| {
        store::data_versions::for_report(conn, request.scope, every_programme)
            .map(|versions| state.report_cache.key(key_text.clone(), versions))
            .map_err(reports::BuildError::Store)
    };
    // Read from the replica when one is configured and fit (`db::reporting`), with a
    // second replica connection if one is free; from the primary otherwise.
    let on_replica = |replica: &mut DbConn, extra: &dyn Fn() -> Option<crate::db::PooledConn>| {
        let key = key(replica)?;
        state.report_cache.get_or_compute(key, || {
            let mut reader = extra();
            let parallel = reader
                .as_deref_mut()
                .map(|reader| Parallel { reader, lock: None });
            reports::build_in_parallel(replica, parallel, request, &state.costs)
        })
    };
    let on_primary = || {
        let key = key(conn)?;
        state.report_cache.get_or_compute(key, || {
            // Two more connections, if the pool has them free, to read in parallel
            // (SQLite needs the second to start both reads on one snapshot); otherwise
            // one, as usual.
            let mut reader = state.pool.try_get();
            let mut lock = match (state.backend, &reader) {
                (crate::db::Backend::Sqlite, Some(_)) => state.pool.try_get(),
                _ => None,
            };
            let parallel = reader.as_deref_mut().map(|reader| Parallel {
                reader,
                lock: lock.as_deref_mut(),
            });
            reports::build_in_parallel(conn, parallel, request, &state.costs)
        })
    };
    let database_failure = |e: &reports::BuildError| {
        matches!(
            e,
            reports::BuildError::Store(store::StoreError::Database(_))
        )
    };
    let ((entry, outcome), read_from) = state
        .reporting
        .read(on_replica, on_primary, database_failure)
        .map_err(|e| match e {
            reports::BuildError::Report(e) => AppError::validation("report", e.to_string()),
            reports::BuildError::Store(e) => AppError::from(e),
            reports::BuildError::Settings(m) => AppError::validation("period", m),
        })?;
    let own = read_from.map(|read_from| {
        let mut report = entry.report.clone();
        report.body.provenance.read_from = Some(read_from);
        report
    });
    Ok(Built {
        entry,
        own,
        outcome,
    })
}

/// Records that `actor` was given `report` (of `entity`, like `programme:7`) as `format`,
/// with every parameter of the request, so that a pattern of requests can be reviewed;
/// and archives it when it is a download or in published mode (`reports::archive`).
#[allow(clippy::too_many_arguments)]
pub fn audit_download(
    conn: &mut DbConn,
    state: &AppState,
    actor: &Actor,
    entity: String,
    format: &str,
    via: &'static str,
    request: &ReportRequest,
    report: &Built,
) -> Result<(), AppError> {
    if request.published || format != "html" {
        report.entry.archived(|| {
            reports::archive_hashed(
                conn,
                request,
                report,
                &report.archive_hash(),
                format,
                via,
                Some(actor.user_id),
                reports::audience(request, false),
            )
            .map(|_| ())
        })?;
    }
    let mode = if request.published {
        "published"
    } else {
        "internal"
    };
    // Committed before the report is given out, in a batch with other requests' events.
    state.audit.record(
        conn,
        NewEvent::new(action_for(format), "report")
            .by(Some(actor))
            .entity_id(entity)
            .detail(format!(
                "format={format} period={} follow_up={} waiting={} index={} mode={mode} price_year={} compare={} sha256={}",
                request.period,
                request.follow_up_months,
                request.waiting_months,
                request.index.as_str(),
                request.price_year.as_deref().unwrap_or("default"),
                request
                    .comparison
                    .map(|c| c.to_param())
                    .unwrap_or_else(|| "none".into()),
                report.body.provenance.input_sha256
            )),
    )
    .map_err(AppError::from)?;
    Ok(())
}

/// A parameter as the user gave it, for the audit trail: at most 40 characters, control
/// characters dropped.
fn raw(value: Option<&str>) -> String {
    value
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(40)
        .collect()
}

/// A report shown as a page (`format=html`) is a `report_view`; a file or an API answer is
/// a `report_download`, so that an admin filtering for downloads is not buried in page
/// views.
fn action_for(format: &str) -> AuditAction {
    if format == "html" {
        AuditAction::ReportView
    } else {
        AuditAction::ReportDownload
    }
}

/// Records a report request that was refused (its parameters as given, and what was
/// wrong), then hands the refusal back: refused requests are part of a request pattern
/// too. Other errors pass through unrecorded.
pub fn audit_refusal<T>(
    conn: &mut DbConn,
    actor: &Actor,
    entity: String,
    format: &str,
    query: &ReportQuery,
    result: Result<T, AppError>,
) -> Result<T, AppError> {
    let Err(AppError::Validation(errors)) = &result else {
        return result;
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    audit::record(
        conn,
        NewEvent::new(action_for(format), "report")
            .by(Some(actor))
            .entity_id(entity)
            .detail(format!(
                "refused={} format={format} period={} follow_up={} waiting={} index={} published={} price_year={} compare={}",
                fields.join(","),
                raw(query.period.as_deref()),
                query.follow_up.map(|v| v.to_string()).unwrap_or_default(),
                query.waiting.map(|v| v.to_string()).unwrap_or_default(),
                raw(query.index.as_deref()),
                query.published.unwrap_or(false),
                raw(query.price_year.as_deref()),
                raw(query.compare.as_deref()),
            )),
    )
    .map_err(AppError::from)?;
    result
}
