//! The one presentation of a [`Report`] that every format renders: sections of tables
//! whose cells carry the exact value, the text shown on a page and, in published mode,
//! the suppression symbol. Every cell is read from the report's exact JSON by its JSON
//! pointer and checked against `report.suppressed` at that pointer (or any parent), so a
//! format cannot show a hidden value by accident: a hidden cell has no value at all, only
//! its symbol. Summary sentences are built from the same cells. See `docs/reports.md`.

use serde::Serialize;
use serde_json::Value;

use super::charts;
use crate::evaluation::matching::{Matching, Variable};
use crate::evaluation::reoffending::{ComparisonMethod, ComparisonVerdict};
use crate::evaluation::report::Report;
use crate::evaluation::units::{Withheld, WITHHELD_SYMBOL};

/// How a figure is formatted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberFormat {
    /// A whole number of people, referrals, sessions...: `1,234`.
    Count,
    /// A fraction shown as a percentage with one decimal place: `75.0%`.
    Rate,
    /// Pounds with pence: `£5,000.00`.
    Money,
    /// A mean score or similar, two decimal places: `2.50`.
    Decimal,
    /// A signed mean change, two decimal places: `+1.50`.
    Change,
    /// Days or hours: up to one decimal place: `15`, `15.5`.
    Measure,
    /// A p-value: three decimal places, or `<0.001`.
    PValue,
    /// A difference of two fractions, shown in percentage points: `+12.5 pp` for 0.125.
    Points,
    /// A figure already in percentage points (the group surveys' `change_pp`): `+12.5 pp`
    /// for 12.5. Never multiplied by 100 again.
    PercentagePoints,
    /// Words (names, dates, statuses).
    Text,
}

/// One figure as every format shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    /// The metric's name in the JSON (the CSV `metric` column).
    pub metric: String,
    /// Where the figure is in the report's JSON (`/engagement/engaged`); empty for text
    /// that is not read from the report (labels, parameters).
    pub pointer: String,
    /// The row it belongs to (the CSV `group` column), empty for a single figure.
    pub group: String,
    pub kind: NumberFormat,
    /// The exact number; `None` when the figure is null, text, or hidden.
    pub value: Option<f64>,
    /// What a page shows: the formatted number, "–" for null, or the symbol.
    pub text: String,
    /// The suppression symbol ("<5" or "[c]") when the figure is hidden.
    pub symbol: Option<String>,
    /// Right-aligned in tables.
    pub numeric: bool,
}

/// A row of a table: a label and one cell per column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub label: String,
    pub cells: Vec<Cell>,
}

/// A data table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// Unique in the report (XLSX table names).
    pub id: String,
    pub caption: String,
    /// The heading of the label column, then one per cell column.
    pub head: Vec<String>,
    pub rows: Vec<Row>,
}

/// What a chart draws, so XLSX can draw the same chart natively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    Bar,
    Line,
    Interval,
}

/// A chart of one table's columns, always shown beside that table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    pub kind: ChartKind,
    pub title: String,
    pub desc: String,
    /// Index of the table in its section.
    pub table: usize,
    /// The columns drawn (indices into the row cells); for `Interval`: rate, low, high.
    pub columns: Vec<usize>,
    /// The SVG document.
    pub svg: String,
    /// "Withheld figures (<5, [c]) are not drawn.", when the chart has any.
    pub withheld: Option<String>,
}

/// A section of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    /// The CSV `section` column and the XLSX sheet name source.
    pub id: String,
    pub title: String,
    /// A label shown before the title's content, e.g. "Descriptive".
    pub label: Option<String>,
    pub paragraphs: Vec<String>,
    /// Shown as a warning (GOV.UK warning text).
    pub warning: Option<String>,
    pub tables: Vec<Table>,
    pub charts: Vec<Chart>,
    /// JSON pointers of figures left out because there is nothing to show (all zero or
    /// null: measures without pairs, a reoffending section without a cohort), each said in
    /// one of the section's sentences.
    pub collapsed: Vec<String>,
}

/// What a programme does, which decides what its summary says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// People referred by name (mentoring, Immediate Justice...).
    Referrals,
    /// Groups counted by headcount, with anonymous surveys (workshops, outreach).
    Groups,
    /// Both.
    Mixed,
}

/// A headline figure: what it is, and its text (a number, or a withheld marker).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyFigure {
    pub label: String,
    pub text: String,
}

/// The publisher named in the title block when `OUTCOMES_REPORT_PUBLISHER` is not set.
pub const DEFAULT_PUBLISHER: &str = "Office of the Police and Crime Commissioner";

/// A term and its definition (the glossary).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Term {
    pub term: String,
    pub definition: String,
}

/// The whole report as every format shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportView {
    pub title: String,
    pub programme: String,
    /// The provider that runs the programme (a programme's report only).
    pub provider: Option<String>,
    /// The title with the provider and period, for the PDF's and HTML's document title.
    pub document_title: String,
    pub period_text: String,
    pub published: bool,
    pub mode_text: String,
    pub delivery: Delivery,
    /// The title block: who issues it, when, which version, how it is classified.
    pub publisher: String,
    pub issued: String,
    pub version: String,
    pub classification: String,
    /// The few figures a reader needs first, in words.
    pub key_figures: Vec<KeyFigure>,
    pub summary: Vec<String>,
    pub sections: Vec<Section>,
    pub caveats: Vec<String>,
    pub glossary: Vec<Term>,
}

/// Shown for null figures (a rate with a zero denominator, a mean of nothing).
pub const NULL_TEXT: &str = "–";

/// Reads cells from a report.
struct Reader<'a> {
    report: &'a Report,
    exact: Value,
}

impl<'a> Reader<'a> {
    fn new(report: &'a Report) -> Self {
        Reader {
            report,
            exact: serde_json::to_value(&report.body).unwrap_or(Value::Null),
        }
    }

    /// The symbol of the value at `pointer`, or of any value containing it.
    fn hidden(&self, pointer: &str) -> Option<String> {
        let mut p = pointer;
        loop {
            if let Some(s) = self.report.suppressed_at(p) {
                return Some(s.to_string());
            }
            match p.rfind('/') {
                Some(0) | None => return None,
                Some(i) => p = &p[..i],
            }
        }
    }

    /// One table row: each column's cell is read at `{prefix}{column}`. An interval's
    /// ends (`…_ci/0`, `…_ci/1`) are named `…_ci_low` and `…_ci_high` as metrics.
    fn row(&self, label: String, prefix: &str, group: &str, columns: &[Column]) -> Row {
        Row {
            label,
            cells: columns
                .iter()
                .map(|(m, _, k)| {
                    let metric = m.replace("_ci/0", "_ci_low").replace("_ci/1", "_ci_high");
                    self.cell(&format!("{prefix}{m}"), &metric, group, *k)
                })
                .collect(),
        }
    }

    /// Why the value at `pointer` (or one containing it) is withheld as "[m]".
    fn withheld(&self, pointer: &str) -> Option<Withheld> {
        let mut p = pointer;
        loop {
            if let Some(w) = self.report.withheld_at(p) {
                return Some(w);
            }
            match p.rfind('/') {
                Some(0) | None => return None,
                Some(i) => p = &p[..i],
            }
        }
    }

    fn cell(&self, pointer: &str, metric: &str, group: &str, kind: NumberFormat) -> Cell {
        let symbol = self.hidden(pointer);
        let raw = self.exact.pointer(pointer).cloned().unwrap_or(Value::Null);
        let (value, text) = match (&symbol, kind, &raw) {
            // Pages and files say why, in words: "fewer than 10 people: not reported".
            (Some(s), _, _) if s == WITHHELD_SYMBOL => (
                None,
                self.withheld(pointer)
                    .map_or_else(|| s.clone(), Withheld::text),
            ),
            (Some(s), _, _) => (None, s.clone()),
            (None, NumberFormat::Text, Value::String(s)) => (None, s.clone()),
            (None, NumberFormat::Text, Value::Null) => (None, NULL_TEXT.to_string()),
            (None, NumberFormat::Text, v) => (None, v.to_string()),
            (None, _, v) => match v.as_f64() {
                Some(x) => (Some(x), format_value(kind, x)),
                None => (None, NULL_TEXT.to_string()),
            },
        };
        Cell {
            metric: metric.to_string(),
            pointer: pointer.to_string(),
            group: group.to_string(),
            kind,
            value,
            text,
            symbol,
            numeric: kind != NumberFormat::Text,
        }
    }

    fn exact_u64(&self, pointer: &str) -> u64 {
        self.exact
            .pointer(pointer)
            .and_then(Value::as_u64)
            .unwrap_or(0)
    }
}

/// A text cell that is not read from the report (labels, parameters).
fn text_cell(metric: &str, group: &str, text: impl Into<String>) -> Cell {
    Cell {
        metric: metric.to_string(),
        pointer: String::new(),
        group: group.to_string(),
        kind: NumberFormat::Text,
        value: None,
        text: text.into(),
        symbol: None,
        numeric: false,
    }
}

/// Formats an exact value for a page. A figure that rounds to zero has no sign: a share
/// of -1e-17 left by floating-point arithmetic reads `0.0%`, and a change of +0.004 reads
/// `0.00`, not `-0.0%` or `+0.00`.
pub fn format_value(kind: NumberFormat, x: f64) -> String {
    let text = format_signed(kind, x);
    match text.strip_prefix(['-', '+']) {
        Some(rest) if !rest.chars().any(|c| c.is_ascii_digit() && c != '0') => rest.to_string(),
        _ => text,
    }
}

fn format_signed(kind: NumberFormat, x: f64) -> String {
    match kind {
        NumberFormat::Count => thousands(x.round() as i64),
        NumberFormat::Rate => format!("{:.1}%", x * 100.0),
        NumberFormat::Money => {
            let pence = (x * 100.0).round() as i64;
            let sign = if pence < 0 { "-" } else { "" };
            format!(
                "{sign}£{}.{:02}",
                thousands(pence.abs() / 100),
                pence.abs() % 100
            )
        }
        NumberFormat::Decimal => format!("{x:.2}"),
        NumberFormat::Change => format!("{}{x:.2}", if x > 0.0 { "+" } else { "" }),
        NumberFormat::Measure => {
            // One decimal, none when it is 0, and thousands separators: `1,661`, `15.5`.
            let s = format!("{x:.1}");
            let s = s.strip_suffix(".0").map(str::to_string).unwrap_or(s);
            let (sign, s) = s.strip_prefix('-').map_or(("", s.as_str()), |r| ("-", r));
            let (whole, fraction) = s.split_once('.').map_or((s, ""), |(w, f)| (w, f));
            let whole = thousands(whole.parse::<i64>().unwrap_or(0));
            if fraction.is_empty() {
                format!("{sign}{whole}")
            } else {
                format!("{sign}{whole}.{fraction}")
            }
        }
        NumberFormat::PValue if x < 0.001 => "<0.001".to_string(),
        NumberFormat::PValue => format!("{x:.3}"),
        NumberFormat::Points => format_signed(NumberFormat::PercentagePoints, x * 100.0),
        NumberFormat::PercentagePoints => format!("{}{x:.1} pp", if x > 0.0 { "+" } else { "" }),
        NumberFormat::Text => x.to_string(),
    }
}

fn thousands(n: i64) -> String {
    crate::format::count(n)
}

/// A date as pages show it: `1 April 2024`.
pub fn long_date(d: chrono::NaiveDate) -> String {
    crate::format::date(d)
}

/// How a count reads in a sentence: the number, or words for a hidden one.
fn say(c: &Cell) -> String {
    match c.symbol.as_deref() {
        Some(WITHHELD_SYMBOL) => format!("not reported ({})", c.text),
        Some(s) if s.starts_with('<') => format!("fewer than {}", &s[1..]),
        Some(s) => format!("{s} (withheld)"),
        None => c.text.clone(),
    }
}

/// "1 referral" / "6 referrals" / "fewer than 5 referrals".
fn say_n(c: &Cell, one: &str, many: &str) -> String {
    let noun = if c.value == Some(1.0) { one } else { many };
    format!("{} {noun}", say(c))
}

/// Reports with fewer measurable people than this carry "interpret with caution".
pub const CAUTION_BELOW: u64 = 30;

const GROUP_LABELS: [(&str, &str); 3] = [
    ("all", "All referred"),
    ("engaged", "Engaged"),
    ("completed", "Completed"),
];

const DIMENSIONS: [(&str, &str); 5] = [
    ("age_band", "Age band at referral"),
    ("gender", "Gender"),
    ("ethnicity", "Ethnicity"),
    ("district", "District"),
    ("source", "Referral source"),
];

/// Builds the presentation of `report`.
pub fn view(report: &Report) -> ReportView {
    let r = Reader::new(report);
    let body = &report.body;
    let period_text = format!(
        "{} to {}",
        long_date(body.period.from),
        long_date(body.period.to)
    );
    let published = body.provenance.parameters.mode == "published";
    let delivery = delivery(&r);
    let mut sections = vec![
        engagement_section(&r),
        trend_section(&r),
        reoffending_section(&r),
    ];
    sections.extend(comparison_section(&r));
    sections.extend([
        before_after_section(&r),
        outcomes_section(&r),
        surveys_section(&r),
        breakdowns_section(&r),
        money_section(&r),
        provenance_section(&r),
    ]);
    for s in &mut sections {
        collapse(&r, s, delivery);
    }
    // A provider's or funding stream's programmes side by side, before the pooled figures.
    sections.splice(0..0, programmes_section(&r));
    let title = format!("{}: evaluation report", body.programme);
    ReportView {
        document_title: match &body.provider {
            Some(p) => format!("{} ({p}): evaluation report, {period_text}", body.programme),
            None => format!("{title}, {period_text}"),
        },
        title,
        programme: body.programme.clone(),
        provider: body.provider.clone(),
        period_text: period_text.clone(),
        published,
        mode_text: if published {
            format!(
                "Published: counts from 1 to {} are shown as \"<{}\", and figures that \
                 would reveal them as \"[c]\".",
                body.provenance.parameters.threshold - 1,
                body.provenance.parameters.threshold
            )
        } else {
            "Internal: exact figures, not for publication outside the partnership.".to_string()
        },
        delivery,
        publisher: std::env::var("OUTCOMES_REPORT_PUBLISHER")
            .ok()
            .filter(|p| !p.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_PUBLISHER.to_string()),
        issued: long_date(body.provenance.generated_at.date_naive()),
        version: format!(
            "Methodology {}, inputs {}",
            body.provenance.methodology_version,
            body.provenance.input_sha256.get(..12).unwrap_or_default()
        ),
        classification: if published {
            "OFFICIAL: for publication".to_string()
        } else {
            "OFFICIAL-SENSITIVE: internal, not for publication".to_string()
        },
        key_figures: key_figures(&r, delivery),
        summary: summary(&r, &period_text, delivery),
        sections,
        caveats: caveats(&r, delivery),
        glossary: glossary(
            delivery,
            body.reoffending.comparison.as_ref().map(|c| c.method),
        ),
    }
}

/// The headline figures for what the programme does.
fn key_figures(r: &Reader, delivery: Delivery) -> Vec<KeyFigure> {
    let body = &r.report.body;
    let k = |label: &str, c: Cell| KeyFigure {
        label: label.to_string(),
        text: c.text,
    };
    let e = |m: &str| r.cell(&format!("/engagement/{m}"), m, "", NumberFormat::Count);
    let money = |m: &str| r.cell(&format!("/money/{m}"), m, "", NumberFormat::Money);
    let mut out = Vec::new();
    if delivery != Delivery::Groups {
        out.push(k("people referred", e("referrals_received")));
        out.push(k("referrals completed", e("completed")));
        out.push(k(
            "people reached by name (at a session in the period)",
            e("participants_reached"),
        ));
        let all = "/reoffending/groups/all/";
        let rate = r.cell(
            &format!("{all}reoffending_rate"),
            "",
            "",
            NumberFormat::Rate,
        );
        let low = r.cell(
            &format!("{all}reoffending_rate_ci/0"),
            "",
            "",
            NumberFormat::Rate,
        );
        let high = r.cell(
            &format!("{all}reoffending_rate_ci/1"),
            "",
            "",
            NumberFormat::Rate,
        );
        let measurable = r.cell(&format!("{all}measurable"), "", "", NumberFormat::Count);
        if let Some(w) = r.report.withheld_at(&format!("{all}measurable")) {
            // Withheld by the unit rules: say so, not "no one can be measured".
            out.push(KeyFigure {
                label: format!("reoffending: {}", w.text()),
                text: "Not reported".to_string(),
            });
        } else if body.reoffending.groups.all.measurable > 0 {
            let interval = if low.value.is_some() && high.value.is_some() {
                format!(" (95% confidence interval {} to {})", low.text, high.text)
            } else {
                String::new()
            };
            out.push(KeyFigure {
                label: format!(
                    "reoffended within {} months{interval}, of {} people measurable",
                    body.reoffending.follow_up_months,
                    say(&measurable)
                ),
                text: rate.text,
            });
        } else {
            out.push(KeyFigure {
                label: "reoffending: no one can be measured yet".to_string(),
                text: NULL_TEXT.to_string(),
            });
        }
    }
    if delivery != Delivery::Referrals {
        out.push(k("group sessions delivered", e("sessions_delivered")));
        out.push(k(
            "attendances counted by headcount (not people)",
            e("anonymous_headcount"),
        ));
        if body.engagement.group_venues.is_some() {
            out.push(k(
                "schools or venues of group sessions (where recorded)",
                e("group_venues"),
            ));
        }
        for (i, m) in body.group_surveys.iter().enumerate().take(2) {
            out.push(k(
                &format!("change in positive answers: {}", m.measure),
                r.cell(
                    &format!("/group_surveys/{i}/change_pp"),
                    "",
                    "",
                    NumberFormat::PercentagePoints,
                ),
            ));
        }
    }
    if body.money.money.allocated_gbp > 0.0 {
        out.push(k("funding for the period", money("allocated_gbp")));
        // Split honestly: per named person, and per attendance where groups are counted
        // (a mixed programme has both; attendances are not people).
        if delivery != Delivery::Groups {
            out.push(k(
                "cost per named participant (funding ÷ named people who attended)",
                money("cost_per_named_participant"),
            ));
        }
        if delivery != Delivery::Referrals {
            out.push(k(
                "cost per attendance (funding ÷ attendances; attendances are not people)",
                money("cost_per_attendance"),
            ));
        }
    }
    out
}

/// Referrals, groups or both, from the report's exact figures (a hidden count is never 0,
/// so this tells nothing a published report does not show).
fn delivery(r: &Reader) -> Delivery {
    let body = &r.report.body;
    let referrals = body.engagement.referrals_received > 0
        || body.reoffending.groups.all.cohort > 0
        || body.engagement.participants_reached > 0;
    let groups = body.engagement.anonymous_headcount > 0 || !body.group_surveys.is_empty();
    match (referrals, groups) {
        (true, true) => Delivery::Mixed,
        (false, true) => Delivery::Groups,
        _ => Delivery::Referrals,
    }
}

/// Whether the exact figure at `pointer` is zero or null (nothing to show).
fn is_nothing(r: &Reader, pointer: &str) -> bool {
    match r.exact.pointer(pointer) {
        None | Some(Value::Null) => true,
        Some(v) => v.as_f64() == Some(0.0),
    }
}

/// Rows whose every figure is zero or null.
fn empty_row(r: &Reader, row: &Row) -> bool {
    row.cells
        .iter()
        .all(|c| !c.pointer.is_empty() && c.symbol.is_none() && is_nothing(r, &c.pointer))
}

/// Leaves out what there is nothing to show of, with one sentence for it: the referral
/// figures of a programme without referrals and the group figures of one without groups,
/// measures without pairs, breakdowns without rows, a reoffending section without a
/// cohort, a before-and-after comparison of no one. Every figure left out is recorded in
/// `collapsed` (and is zero or null).
fn collapse(r: &Reader, s: &mut Section, delivery: Delivery) {
    let body = &r.report.body;
    let group_rows = [
        "anonymous_headcount",
        "mean_group_headcount",
        "group_venues",
    ];
    let named_columns = [
        "attendance_rate",
        "participants_reached",
        "hours_delivered",
        "hours_required",
    ];
    let drop_rows = |s: &mut Section, table: &str, which: &dyn Fn(&Row) -> bool| {
        let mut collapsed = Vec::new();
        for t in s.tables.iter_mut().filter(|t| t.id == table) {
            t.rows.retain(|row| {
                let out = which(row) && empty_row(r, row);
                if out {
                    collapsed.extend(row.cells.iter().map(|c| c.pointer.clone()));
                }
                !out
            });
        }
        s.collapsed.extend(collapsed);
    };
    match s.id.as_str() {
        "engagement" => {
            if delivery == Delivery::Groups {
                drop_rows(s, "engagement_funnel", &|_| true);
                drop_rows(s, "engagement_figures", &|row| {
                    !row.cells.iter().any(|c| c.metric == "sessions_delivered")
                });
                s.paragraphs = vec![
                    "The programme received no referrals in the period: it works with groups \
                     whose members are counted, not named. Its sessions and attendances follow."
                        .to_string(),
                ];
            } else if delivery == Delivery::Referrals {
                drop_rows(s, "engagement_figures", &|row| {
                    row.cells
                        .iter()
                        .any(|c| group_rows.contains(&c.metric.as_str()))
                });
            }
            // Venues are only "where recorded", hours only where a programme records them:
            // no row of nothing.
            drop_rows(s, "engagement_figures", &|row| {
                row.cells.iter().any(|c| {
                    matches!(
                        c.metric.as_str(),
                        "group_venues" | "hours_delivered" | "hours_required"
                    )
                })
            });
        }
        "trend" => {
            if delivery == Delivery::Groups {
                drop_rows(s, "quarterly_trend", &|_| true);
                drop_rows(s, "quarterly_outcomes", &|_| true);
            }
            // Columns of the other kind of delivery, with nothing in any quarter.
            let other: &[&str] = match delivery {
                Delivery::Referrals => &group_rows,
                Delivery::Groups => &named_columns,
                Delivery::Mixed => &["group_venues"],
            };
            drop_columns(r, s, "quarterly_sessions", other);
            // Hours are recorded by some programmes only.
            drop_columns(r, s, "quarterly_sessions", &named_columns[2..]);
        }
        // Withheld by the unit rules (issue 21): the notes say why, and which programme
        // years were left out.
        "reoffending"
            if r.report
                .withheld_at("/reoffending/groups/all/measurable")
                .is_some() =>
        {
            s.tables.retain(|t| t.id == "units_left_out");
            s.charts.clear();
            s.collapsed.push("/reoffending/groups".to_string());
            s.paragraphs = body.units.notes.clone();
        }
        "before_after"
            if r.report
                .withheld_at("/reoffending/before_after/members")
                .is_some() =>
        {
            s.tables.clear();
            s.label = None;
            s.warning = None;
            s.collapsed.push("/reoffending/before_after".to_string());
            s.paragraphs = vec![
                "Offences before and after referral come from police records: they are not \
                 reported for this period (see Reoffending)."
                    .to_string(),
            ];
        }
        "reoffending" if body.reoffending.groups.all.cohort == 0 => {
            s.tables.clear();
            s.charts.clear();
            s.warning = None;
            s.collapsed.push("/reoffending/groups".to_string());
            s.paragraphs = vec![if delivery == Delivery::Groups {
                "There is no reoffending measure: the programme works with groups of people \
                 who are not named, so there is no one to follow up in police records. Its \
                 outcome is the change in its group surveys."
                    .to_string()
            } else {
                "No one was referred in the period, so there is no one to follow up for \
                 reoffending."
                    .to_string()
            }];
        }
        "before_after" if body.reoffending.before_after.members == 0 => {
            s.tables.clear();
            s.label = None;
            s.warning = None;
            s.collapsed.push("/reoffending/before_after".to_string());
            s.paragraphs = vec![if delivery == Delivery::Groups {
                "There are no offences before and after to compare: the programme's \
                 participants are not named, so none can be found in police records."
                    .to_string()
            } else {
                "No one could be measured for reoffending, so there are no offences before \
                 and after referral to compare."
                    .to_string()
            }];
        }
        "outcomes" => {
            let none: Vec<String> = s
                .tables
                .iter()
                .flat_map(|t| t.rows.iter())
                .filter(|row| empty_row(r, row))
                .map(|row| row.label.clone())
                .collect();
            drop_rows(s, "outcome_measures", &|_| true);
            if !none.is_empty() {
                s.paragraphs
                    .push(if s.tables.iter().all(|t| t.rows.is_empty()) {
                        format!(
                            "No one had both a baseline and an exit score in the period, for any \
                         of the measures ({}).",
                            none.join("; ")
                        )
                    } else {
                        format!(
                            "Left out, with no one scored at both baseline and exit: {}.",
                            none.join("; ")
                        )
                    });
            }
        }
        "money" => {
            // Costs with no denominator (no named participants, no completions): left
            // out, and their definitions with them.
            let costs = ["cost_per_named_participant", "cost_per_completion"];
            drop_rows(s, "money", &|row| {
                row.cells.iter().any(|c| costs.contains(&c.metric.as_str()))
            });
            if delivery == Delivery::Groups {
                for p in &mut s.paragraphs {
                    if p.starts_with("Cost per named participant") {
                        *p = "Cost per attendance is the period's funding divided by \
                              attendances: the headcount of each group session, so one \
                              person at ten sessions is ten attendances (attendances are not \
                              people). There is no cost per named participant or per \
                              completion: no one is named or referred."
                            .to_string();
                    }
                }
            }
        }
        "breakdowns" if s.tables.iter().all(|t| t.rows.is_empty()) => {
            s.paragraphs = vec![
                "No one was referred in the period, so there is no one to break down by age, \
                 gender, ethnicity, district or referral source."
                    .to_string(),
            ];
        }
        _ => {}
    }
    // Tables left without rows go, and charts of them.
    let kept: Vec<bool> = s.tables.iter().map(|t| !t.rows.is_empty()).collect();
    let mut index = Vec::new();
    let mut next = 0;
    for k in &kept {
        index.push(next);
        if *k {
            next += 1;
        }
    }
    s.charts
        .retain(|c| kept.get(c.table).copied().unwrap_or(false));
    for c in &mut s.charts {
        c.table = index[c.table];
    }
    s.tables.retain(|t| !t.rows.is_empty());
    if s.id == "outcomes" {
        s.warning = s.warning.take().filter(|_| {
            body.outcomes
                .iter()
                .any(|m| m.pairs > 0 && m.pairs < CAUTION_BELOW)
        });
        if s.tables.is_empty() {
            s.paragraphs.retain(|p| !p.starts_with("Change between"));
        }
    }
}

/// Leaves out the columns of `table` named in `metrics` whose every figure is zero or
/// null (recorded in `collapsed`).
fn drop_columns(r: &Reader, s: &mut Section, table: &str, metrics: &[&str]) {
    for t in s.tables.iter_mut().filter(|t| t.id == table) {
        let Some(first) = t.rows.first() else {
            continue;
        };
        let out: Vec<usize> = (0..first.cells.len())
            .filter(|&j| {
                metrics.contains(&first.cells[j].metric.as_str())
                    && t.rows.iter().all(|row| {
                        row.cells.get(j).is_some_and(|c| {
                            !c.pointer.is_empty() && c.symbol.is_none() && is_nothing(r, &c.pointer)
                        })
                    })
            })
            .collect();
        for &j in out.iter().rev() {
            t.head.remove(j + 1);
            for row in &mut t.rows {
                let c = row.cells.remove(j);
                s.collapsed.push(c.pointer);
            }
        }
    }
}

/// The glossary: the terms a reader meets, for what the programme does.
fn glossary(delivery: Delivery, comparison: Option<ComparisonMethod>) -> Vec<Term> {
    let t = |term: &str, definition: &str| Term {
        term: term.to_string(),
        definition: definition.to_string(),
    };
    let mut out = Vec::new();
    if delivery != Delivery::Groups {
        out.extend([
            t("Referral", "A person referred to the programme in the period, by the date of referral."),
            t("Accepted", "A referral the provider decided to take on."),
            t("Engaged", "A referral in the period that was accepted and attended at least one session, at any date."),
            t("Completed", "An accepted referral closed as completed."),
            t("Completion rate", "Completed referrals as a share of the referrals closed: completed, withdrawn or disengaged. Referrals still open are not counted."),
            t("Participants reached", "Named people who attended at least one session dated in the period, whenever they were referred. So it is not the same as engaged, which counts the period's referrals whenever they attended."),
            t("Measurable", "A person in the reoffending cohort matched to police records whose follow-up and waiting period had ended by the date of the police data."),
            t("Reoffending rate", "Measurable people with a proven offence in the follow-up period, as a share of the measurable people."),
            t("95% confidence interval", "The range of rates consistent with the figures, given how few people there are (Wilson's method)."),
        ]);
    }
    if delivery != Delivery::Referrals {
        out.extend([
            t("Headcount", "The number of people at a group session whose names are not recorded."),
            t("Attendances", "People at sessions counted once per session: one person at ten sessions is ten attendances. Attendances are not people."),
            t("Positive share", "The share of survey answers at or better than the survey's positive score."),
        ]);
    }
    if let Some(method) = comparison {
        out.extend([
            t("Difference", "This programme's reoffending rate minus the comparison's, in percentage points; below zero means fewer reoffended. Its 95% confidence interval is Newcombe's for two rates, or, for a matched comparison, the normal interval of the weighted difference."),
            t("p-value", "How often a difference at least this large would arise by chance if the two rates were really the same. The Justice Data Lab calls a difference statistically significant when it is 0.05 or less and the programme has at least 30 reoffenders."),
        ]);
        if method == ComparisonMethod::Matched {
            out.extend([
                t("Matched comparison", "People in the police extract who were never referred to any programme, with the same values of the matching variables at their index date as people who took part (age band, gender, prior proven offences and financial year, where the extract records them), weighted so that their mix is the same."),
                t("Effective comparison size", "How many unweighted people the weighted comparison is worth: (sum of weights)² ÷ sum of squared weights."),
                t("Standardised difference", "The difference of two shares divided by their pooled standard deviation; under 0.1 in size is usually taken as well balanced."),
            ]);
        }
    }
    out.push(t(
        "pp (percentage points)",
        "The difference between two percentages: from 40% to 50% is +10 pp.",
    ));
    out
}

fn summary(r: &Reader, period_text: &str, delivery: Delivery) -> Vec<String> {
    let body = &r.report.body;
    let e = |m: &str| r.cell(&format!("/engagement/{m}"), m, "", NumberFormat::Count);
    let mut out = Vec::new();
    if delivery != Delivery::Groups {
        out.push(format!(
            "From {period_text}, {} received {}: {} accepted, {} engaged (accepted and \
             attended at least one session) and {} completed.",
            body.programme,
            say_n(&e("referrals_received"), "referral", "referrals"),
            say(&e("referrals_accepted")),
            say(&e("engaged")),
            say(&e("completed")),
        ));
        let rate = r.cell(
            "/engagement/completion_rate",
            "completion_rate",
            "",
            NumberFormat::Rate,
        );
        if rate.value.is_some() || rate.symbol.is_some() {
            out.push(format!(
                "The completion rate was {}: completed referrals as a share of those closed \
                 (completed, withdrawn or disengaged).",
                say(&rate)
            ));
        }
        out.push(format!(
            "{} delivered, reaching {} by name (people at sessions dated in the period, \
             whenever they were referred, so not the same count as engaged).",
            say_n(&e("sessions_delivered"), "session was", "sessions were"),
            say_n(&e("participants_reached"), "participant", "participants"),
        ));
    }
    if delivery != Delivery::Referrals {
        let mean = r.cell(
            "/engagement/mean_group_headcount",
            "mean_group_headcount",
            "",
            NumberFormat::Measure,
        );
        let venues = e("group_venues");
        let at = if venues.value.is_some() || venues.symbol.is_some() {
            format!(
                " at {}",
                say_n(&venues, "school or venue", "different schools or venues")
            )
        } else {
            String::new()
        };
        let lead = if delivery == Delivery::Groups {
            format!(
                "From {period_text}, {} delivered {}{at} to groups whose members are \
                 counted, not named:",
                body.programme,
                say_n(&e("sessions_delivered"), "session", "sessions"),
            )
        } else {
            format!("Group sessions{at} were counted, not named:")
        };
        out.push(format!(
            "{lead} {} by headcount{} (attendances, not people: one person at two sessions \
             counts twice).",
            say_n(&e("anonymous_headcount"), "attendance", "attendances"),
            if mean.value.is_some() {
                format!(", a mean of {} per session", mean.text)
            } else {
                String::new()
            },
        ));
    }
    let all = "/reoffending/groups/all/";
    let g = |m: &str, k: NumberFormat| r.cell(&format!("{all}{m}"), m, "all", k);
    let measurable = r.exact_u64(&format!("{all}measurable"));
    let follow_up = body.reoffending.follow_up_months;
    if let Some(w) = r.report.withheld_at(&format!("{all}measurable")) {
        out.push(match w {
            Withheld::WholeYearsOnly => "Reoffending is reported for whole financial years \
                                         only, so it is not reported for this period."
                .to_string(),
            Withheld::Below(n) => format!(
                "Reoffending is not reported: in each programme's year fewer than {n} people \
                 could be measured."
            ),
        });
    } else if body.reoffending.groups.all.cohort == 0 {
        // Nothing to follow up: a groups programme says why in its reoffending section.
        if delivery != Delivery::Groups {
            out.push(
                "No one was referred in the period, so there is no one to follow up for \
                 reoffending."
                    .to_string(),
            );
        }
    } else if body.reoffending.data_as_of.is_none() {
        out.push(
            "Reoffending cannot be measured yet: no police offence data has been imported."
                .to_string(),
        );
    } else if measurable == 0 {
        out.push(format!(
            "No one referred in this period can be measured for reoffending yet: {} awaiting \
             the end of follow-up and {} not matched to police records.",
            say(&g("awaiting_follow_up", NumberFormat::Count)),
            say(&g("unmatched", NumberFormat::Count)),
        ));
    } else {
        let rate = g("reoffending_rate", NumberFormat::Rate);
        let ci = r.cell(
            &format!("{all}reoffending_rate_ci/0"),
            "ci_low",
            "all",
            NumberFormat::Rate,
        );
        let hi = r.cell(
            &format!("{all}reoffending_rate_ci/1"),
            "ci_high",
            "all",
            NumberFormat::Rate,
        );
        let interval = if ci.value.is_some() && hi.value.is_some() {
            format!(" (95% confidence interval {} to {})", ci.text, hi.text)
        } else {
            String::new()
        };
        out.push(format!(
            "Of the {} who could be measured over a {follow_up}-month follow-up, {} committed \
             a proven reoffence: a reoffending rate of {}{interval}. People not matched to \
             police records ({}) and those still awaiting the end of follow-up ({}) are not \
             included.",
            say_n(&g("measurable", NumberFormat::Count), "person", "people"),
            say(&g("reoffenders", NumberFormat::Count)),
            say(&rate),
            say(&g("unmatched", NumberFormat::Count)),
            say(&g("awaiting_follow_up", NumberFormat::Count)),
        ));
        if measurable < CAUTION_BELOW {
            out.push(format!(
                "Interpret with caution: fewer than {CAUTION_BELOW} people could be measured, \
                 so the reoffending rate is very uncertain."
            ));
        }
    }
    // Not linked to police data (docs/data-protection.md): said only when there are any,
    // so reports without objections read as before.
    let objected = r.exact_u64(&format!("{all}not_linked_objection"));
    let unlinked = r.exact_u64(&format!("{all}not_linked_programme"));
    if r.report.withheld_at(&format!("{all}measurable")).is_none() && objected + unlinked > 0 {
        let mut parts = Vec::new();
        if objected > 0 {
            parts.push(format!(
                "{} objected to being linked to police records",
                say_n(
                    &g("not_linked_objection", NumberFormat::Count),
                    "person",
                    "people"
                ),
            ));
        }
        if unlinked > 0 {
            parts.push(format!(
                "{} referred to a programme that does not link to police data",
                say_n(
                    &g("not_linked_programme", NumberFormat::Count),
                    "person was",
                    "people were"
                ),
            ));
        }
        out.push(format!(
            "Not linked: {}. They are counted in the cohort but not in the reoffending rate.",
            parts.join("; ")
        ));
    }
    if let Some(c) = &body.reoffending.comparison {
        out.push(format!(
            "Compared with {}: {}",
            c.comparison_label,
            r.cell(
                "/reoffending/comparison/statement",
                "statement",
                "",
                NumberFormat::Text
            )
            .text
        ));
        out.extend(for_every_100(r));
    }
    for (i, m) in body.outcomes.iter().enumerate() {
        let base = format!("/outcomes/{i}/");
        let cell = |n: &str, k: NumberFormat| r.cell(&format!("{base}{n}"), n, &m.measure, k);
        let pairs = cell("pairs", NumberFormat::Count);
        if pairs.value == Some(0.0) {
            continue;
        }
        out.push(format!(
            "{}: for {} with a baseline and an exit score, the mean went from {} to {} \
             (change {}); {} improved.",
            m.measure,
            say_n(&pairs, "person", "people"),
            say(&cell("mean_baseline", NumberFormat::Decimal)),
            say(&cell("mean_exit", NumberFormat::Decimal)),
            say(&cell("mean_change", NumberFormat::Change)),
            say(&cell("improved", NumberFormat::Rate)),
        ));
    }
    for (i, m) in body.group_surveys.iter().enumerate() {
        let base = format!("/group_surveys/{i}/");
        let cell = |n: &str, k: NumberFormat| r.cell(&format!("{base}{n}"), n, &m.measure, k);
        out.push(format!(
            "{}: in anonymous group surveys, {} of {} answers before the sessions were \
             positive ({} or better) and {} of {} after, a change of {}.",
            m.measure,
            say(&cell("positive_share_baseline", NumberFormat::Rate)),
            say(&cell("respondents_baseline", NumberFormat::Count)),
            format_value(NumberFormat::Measure, m.positive_threshold),
            say(&cell("positive_share_exit", NumberFormat::Rate)),
            say(&cell("respondents_exit", NumberFormat::Count)),
            say(&cell("change_pp", NumberFormat::PercentagePoints)),
        ));
    }
    out.extend(money_sentence(r));
    out
}

/// "Funding of £X for the period comes to £Y per named participant, …": only the costs
/// with a denominator, each with what it divides by.
fn money_sentence(r: &Reader) -> Option<String> {
    let body = &r.report.body;
    if body.money.money.allocated_gbp <= 0.0 {
        return None;
    }
    let m = |n: &str| r.cell(&format!("/money/{n}"), n, "", NumberFormat::Money);
    let parts: Vec<String> = [
        ("cost_per_named_participant", "per named participant"),
        ("cost_per_attendance", "per attendance"),
        ("cost_per_completion", "per completed referral"),
    ]
    .iter()
    .map(|(n, what)| (m(n), what))
    .filter(|(c, _)| c.value.is_some() || c.symbol.is_some())
    .map(|(c, what)| format!("{} {what}", say(&c)))
    .collect();
    let costs = match parts.as_slice() {
        [] => return None,
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    Some(format!(
        "Funding of {} for the period comes to {costs} (each spreads the whole funding; \
         attendances are not people).",
        say(&m("allocated_gbp")),
    ))
}

fn caveats(r: &Reader, delivery: Delivery) -> Vec<String> {
    let body = &r.report.body;
    // A programme of groups only has no reoffending figures to qualify.
    let mut out = if delivery == Delivery::Groups {
        vec![
            "Group surveys are anonymous and answered by whoever was there: the people \
             answering before and after the sessions are not necessarily the same people, \
             so a change is not a measure of any one person's change."
                .to_string(),
            "Differences between programmes, groups or periods are not evidence that a \
             programme caused them: the people reached differ."
                .to_string(),
        ]
    } else {
        vec![
            "Reoffending follows the Ministry of Justice proven reoffending measure: a proven \
             offence committed in the follow-up period and proven by the end of the waiting \
             period. Offences not recorded by the police force are not counted."
                .to_string(),
            body.reoffending.before_after.caveat.to_string(),
            "Differences between programmes, groups or periods are not evidence that a \
             programme caused them: the people referred differ."
                .to_string(),
        ]
    };
    if body
        .reoffending
        .comparison
        .as_ref()
        .is_some_and(|c| c.method == ComparisonMethod::Matched)
    {
        let variables = body
            .reoffending
            .comparison
            .as_ref()
            .and_then(|c| c.matching.as_ref())
            .map(|m| variable_list(&m.variables))
            .unwrap_or_default();
        out.push(format!(
            "The matched comparison balances only {variables}. {MATCHING_LIMITS}"
        ));
    }
    if let Some(note) = &body.reoffending.note {
        out.push(note.clone());
    }
    if !body.reoffending.before_after.uncosted_groups.is_empty() {
        let groups: Vec<String> = body
            .reoffending
            .before_after
            .uncosted_groups
            .iter()
            .map(|g| category_label(&g.to_string()).to_lowercase())
            .collect();
        out.push(format!(
            "These offence groups have no unit cost and are costed at zero: {}.",
            groups.join(", ")
        ));
    }
    if r.report.body.provenance.parameters.mode == "published" {
        out.push(format!(
            "Counts from 1 to {} are shown as \"<{}\"; \"[c]\" marks a figure withheld so that \
             a small count cannot be worked out from totals. Rates are computed from exact \
             figures.",
            body.provenance.parameters.threshold - 1,
            body.provenance.parameters.threshold
        ));
    }
    out
}

/// A table column: the figure's JSON key, its heading and how it is shown.
type Column = (&'static str, &'static str, NumberFormat);

/// A table's header row: the row labels' heading, then each column's.
fn head(first: &str, columns: &[Column]) -> Vec<String> {
    std::iter::once(first.to_string())
        .chain(columns.iter().map(|c| c.1.to_string()))
        .collect()
}

fn section(id: &str, title: &str) -> Section {
    Section {
        id: id.to_string(),
        title: title.to_string(),
        label: None,
        paragraphs: Vec::new(),
        warning: None,
        tables: Vec::new(),
        charts: Vec::new(),
        collapsed: Vec::new(),
    }
}

/// A table of one value per metric: `(metric, label, kind)` read under `base`.
fn figures_table(
    r: &Reader,
    id: &str,
    caption: &str,
    base: &str,
    group: &str,
    rows: &[(&str, &str, NumberFormat)],
) -> Table {
    Table {
        id: id.to_string(),
        caption: caption.to_string(),
        head: vec!["Measure".to_string(), "Value".to_string()],
        rows: rows
            .iter()
            .map(|(metric, label, kind)| Row {
                label: label.to_string(),
                cells: vec![r.cell(&format!("{base}{metric}"), metric, group, *kind)],
            })
            .collect(),
    }
}

/// Builds the chart of `table`'s `columns` in a section.
fn chart(
    kind: ChartKind,
    title: &str,
    desc: &str,
    table: (usize, &Table),
    columns: Vec<usize>,
) -> Chart {
    let (index, t) = table;
    let svg = match kind {
        ChartKind::Bar => charts::bar(
            title,
            desc,
            &t.rows
                .iter()
                .map(|row| charts::Bar {
                    label: row.label.clone(),
                    value: row.cells[columns[0]].value,
                    text: row.cells[columns[0]].text.clone(),
                })
                .collect::<Vec<_>>(),
        ),
        ChartKind::Line => charts::line(
            title,
            desc,
            &t.rows
                .iter()
                .map(|row| {
                    // Short quarter names on the axis, so that they do not overlap.
                    row.cells
                        .first()
                        .and_then(|c| quarter_short(&c.group))
                        .unwrap_or_else(|| row.label.clone())
                })
                .collect::<Vec<_>>(),
            &columns
                .iter()
                .map(|c| charts::Series {
                    name: t.head[c + 1].clone(),
                    values: t.rows.iter().map(|row| row.cells[*c].value).collect(),
                })
                .collect::<Vec<_>>(),
        ),
        ChartKind::Interval => charts::interval(
            title,
            desc,
            &t.rows
                .iter()
                .map(|row| charts::RateInterval {
                    label: row.label.clone(),
                    rate: row.cells[columns[0]].value,
                    low: row.cells[columns[1]].value,
                    high: row.cells[columns[2]].value,
                    text: row.cells[columns[0]].text.clone(),
                })
                .collect::<Vec<_>>(),
        ),
    };
    let mut symbols: Vec<&str> = t
        .rows
        .iter()
        .flat_map(|row| {
            columns
                .iter()
                .filter_map(|c| row.cells[*c].symbol.as_deref())
        })
        .collect();
    symbols.sort_unstable();
    symbols.dedup();
    let withheld = (!symbols.is_empty()).then(|| {
        format!(
            "Withheld figures ({}) are not drawn.",
            symbols
                .iter()
                .map(|s| if *s == WITHHELD_SYMBOL {
                    "not reported"
                } else {
                    s
                })
                .collect::<Vec<_>>()
                .join(", ")
        )
    });
    Chart {
        kind,
        title: title.to_string(),
        desc: desc.to_string(),
        table: index,
        columns,
        svg,
        withheld,
    }
}

/// A provider's or funding stream's programmes side by side, each from its own report,
/// before the pooled figures (`None` for a programme's report).
/// See `docs/reports.md#programmes-side-by-side`.
fn programmes_section(r: &Reader) -> Option<Section> {
    let programmes = &r.report.body.programmes;
    if programmes.is_empty() {
        return None;
    }
    let mut s = section("programmes", "Programmes side by side");
    s.paragraphs.push(
        "Each programme's key figures from its own report, with the same period and \
         settings, before the figures of all of them together: programmes that are paid for \
         or run together are compared here, not blended. Cost per named participant is each \
         programme's whole funding for the period divided by its named participants."
            .to_string(),
    );
    s.warning = Some(
        "Differences between programmes are not evidence of effect: the people referred \
         to each differ."
            .to_string(),
    );
    // Two tables, so that each fits a page: what each programme did, and its reoffending.
    let engagement: [Column; 7] = [
        (
            "referrals_received",
            "Referrals received",
            NumberFormat::Count,
        ),
        ("engaged", "Engaged", NumberFormat::Count),
        ("completed", "Completed", NumberFormat::Count),
        ("completion_rate", "Completion rate", NumberFormat::Rate),
        (
            "sessions_delivered",
            "Sessions delivered",
            NumberFormat::Count,
        ),
        (
            "anonymous_headcount",
            "Headcount (group sessions)",
            NumberFormat::Count,
        ),
        (
            "cost_per_named_participant",
            "Cost per named participant",
            NumberFormat::Money,
        ),
    ];
    let reoffending: [Column; 4] = [
        ("measurable", "Measurable", NumberFormat::Count),
        ("reoffending_rate", "Reoffending rate", NumberFormat::Rate),
        ("reoffending_rate_ci/0", "95% CI low", NumberFormat::Rate),
        ("reoffending_rate_ci/1", "95% CI high", NumberFormat::Rate),
    ];
    // Each row (and the CSV's `group`) is the programme's name, with its provider where two
    // programmes of the report share a name.
    let shared = |name: &str| programmes.iter().filter(|p| p.programme == name).count() > 1;
    let labels: Vec<String> = programmes
        .iter()
        .map(|p| match &p.provider {
            Some(provider) if shared(&p.programme) => format!("{} ({provider})", p.programme),
            _ => p.programme.clone(),
        })
        .collect();
    let table = |id: &str, caption: &str, columns: &[Column]| Table {
        id: id.to_string(),
        caption: caption.to_string(),
        head: head("Programme", columns),
        rows: labels
            .iter()
            .enumerate()
            .map(|(i, label)| r.row(label.clone(), &format!("/programmes/{i}/"), label, columns))
            .collect(),
    };
    s.tables.push(table(
        "programmes",
        "Each programme's engagement, from its own report",
        &engagement,
    ));
    let rates = table(
        "programmes_reoffending",
        "Each programme's reoffending, from its own report",
        &reoffending,
    );
    let desc = format!(
        "Reoffending rate with its 95% confidence interval for each programme: {}.",
        rates
            .rows
            .iter()
            .map(|row| format!(
                "{} {} (measurable {})",
                row.label, row.cells[1].text, row.cells[0].text
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    s.charts.push(chart(
        ChartKind::Interval,
        "Reoffending rate by programme",
        &desc,
        (1, &rates),
        vec![1, 2, 3],
    ));
    s.tables.push(rates);
    Some(s)
}

fn engagement_section(r: &Reader) -> Section {
    let mut s = section("engagement", "Engagement");
    s.paragraphs.push(
        "Referrals received in the period, and what became of them. Engaged means accepted \
         and attended at least one session."
            .to_string(),
    );
    let funnel = figures_table(
        r,
        "engagement_funnel",
        "Engagement funnel",
        "/engagement/",
        "",
        &[
            ("referrals_received", "Referred", NumberFormat::Count),
            ("referrals_accepted", "Accepted", NumberFormat::Count),
            ("engaged", "Engaged", NumberFormat::Count),
            ("completed", "Completed", NumberFormat::Count),
        ],
    );
    let mut funnel = funnel;
    funnel.head = vec!["Stage".to_string(), "People".to_string()];
    let desc = format!(
        "Bar chart of the engagement funnel: {}.",
        funnel
            .rows
            .iter()
            .map(|row| format!("{} {}", row.label, row.cells[0].text))
            .collect::<Vec<_>>()
            .join(", ")
    );
    s.charts.push(chart(
        ChartKind::Bar,
        "Engagement funnel",
        &desc,
        (0, &funnel),
        vec![0],
    ));
    s.tables.push(funnel);
    s.tables.push(figures_table(
        r,
        "engagement_figures",
        "Engagement figures",
        "/engagement/",
        "",
        &[
            (
                "referrals_declined",
                "Referrals declined",
                NumberFormat::Count,
            ),
            (
                "referrals_pending",
                "Referrals pending a decision",
                NumberFormat::Count,
            ),
            ("acceptance_rate", "Acceptance rate", NumberFormat::Rate),
            ("withdrawn", "Withdrawn", NumberFormat::Count),
            ("disengaged", "Disengaged", NumberFormat::Count),
            ("completion_rate", "Completion rate", NumberFormat::Rate),
            (
                "median_days_to_first_session",
                "Median days from referral to first session",
                NumberFormat::Measure,
            ),
            (
                "sessions_delivered",
                "Sessions delivered",
                NumberFormat::Count,
            ),
            ("attendance_rate", "Attendance rate", NumberFormat::Rate),
            (
                "participants_reached",
                "Participants reached (named)",
                NumberFormat::Count,
            ),
            (
                "anonymous_headcount",
                "Attendances counted by headcount (not people)",
                NumberFormat::Count,
            ),
            (
                "mean_group_headcount",
                "Mean headcount per group session",
                NumberFormat::Measure,
            ),
            (
                "group_venues",
                "Schools or venues of group sessions (where recorded)",
                NumberFormat::Count,
            ),
            ("hours_delivered", "Hours delivered", NumberFormat::Measure),
            ("hours_required", "Hours required", NumberFormat::Measure),
        ],
    ));
    s
}

fn trend_section(r: &Reader) -> Section {
    let mut s = section("trend", "Quarterly trend");
    s.paragraphs.push(
        "The engagement figures of each quarter of the period, by the date of referral (and \
         of the session for sessions and attendance)."
            .to_string(),
    );
    let quarter_rows = |columns: &[Column]| -> Vec<Row> {
        r.report
            .body
            .trend
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let prefix = format!("/trend/{i}/engagement/");
                r.row(quarter_label(&q.quarter), &prefix, &q.quarter, columns)
            })
            .collect()
    };
    let columns: [Column; 6] = [
        ("referrals_received", "Referred", NumberFormat::Count),
        ("referrals_accepted", "Accepted", NumberFormat::Count),
        ("engaged", "Engaged", NumberFormat::Count),
        ("completed", "Completed", NumberFormat::Count),
        ("acceptance_rate", "Acceptance rate", NumberFormat::Rate),
        ("completion_rate", "Completion rate", NumberFormat::Rate),
    ];
    let table = Table {
        id: "quarterly_trend".to_string(),
        caption: "Referrals by quarter".to_string(),
        head: head("Quarter", &columns),
        rows: quarter_rows(&columns),
    };
    s.charts.push(chart(
        ChartKind::Line,
        "Referrals, engagement and completion by quarter",
        "Line chart of referrals, engaged and completed people in each quarter; hidden \
         figures are not drawn. The table beside it gives every value.",
        (0, &table),
        vec![0, 2, 3],
    ));
    s.tables.push(table);
    let columns: [Column; 5] = [
        ("referrals_declined", "Declined", NumberFormat::Count),
        (
            "referrals_pending",
            "Pending a decision",
            NumberFormat::Count,
        ),
        ("withdrawn", "Withdrawn", NumberFormat::Count),
        ("disengaged", "Disengaged", NumberFormat::Count),
        (
            "median_days_to_first_session",
            "Median days to first session",
            NumberFormat::Measure,
        ),
    ];
    s.tables.push(Table {
        id: "quarterly_outcomes".to_string(),
        caption: "What else became of referrals, by quarter".to_string(),
        head: head("Quarter", &columns),
        rows: quarter_rows(&columns),
    });
    let columns: [Column; 8] = [
        ("sessions_delivered", "Sessions", NumberFormat::Count),
        ("attendance_rate", "Attendance rate", NumberFormat::Rate),
        (
            "participants_reached",
            "Named participants",
            NumberFormat::Count,
        ),
        (
            "anonymous_headcount",
            "Attendances without names",
            NumberFormat::Count,
        ),
        (
            "mean_group_headcount",
            "Mean headcount",
            NumberFormat::Measure,
        ),
        ("group_venues", "Schools or venues", NumberFormat::Count),
        ("hours_delivered", "Hours delivered", NumberFormat::Measure),
        ("hours_required", "Hours required", NumberFormat::Measure),
    ];
    s.tables.push(Table {
        id: "quarterly_sessions".to_string(),
        caption: "Sessions and reach by quarter".to_string(),
        head: head("Quarter", &columns),
        rows: quarter_rows(&columns),
    });
    s
}

/// `2024-25-Q1` → `Apr-Jun 2024`, for a chart's axis; `None` for anything else.
pub fn quarter_short(quarter: &str) -> Option<String> {
    let (fy, q) = quarter.rsplit_once("-Q")?;
    let start: i32 = fy.get(..4)?.parse().ok()?;
    let (months, year) = match q {
        "1" => ("Apr-Jun", start),
        "2" => ("Jul-Sep", start),
        "3" => ("Oct-Dec", start),
        "4" => ("Jan-Mar", start + 1),
        _ => return None,
    };
    Some(format!("{months} {year}"))
}

/// `2024-25-Q1` → `April to June 2024 (Q1)`.
pub fn quarter_label(quarter: &str) -> String {
    let Some((fy, q)) = quarter.rsplit_once("-Q") else {
        return quarter.to_string();
    };
    let Some(start) = fy.get(..4).and_then(|y| y.parse::<i32>().ok()) else {
        return quarter.to_string();
    };
    let (months, year) = match q {
        "1" => ("April to June", start),
        "2" => ("July to September", start),
        "3" => ("October to December", start),
        "4" => ("January to March", start + 1),
        _ => return quarter.to_string(),
    };
    format!("{months} {year} (Q{q})")
}

fn reoffending_section(r: &Reader) -> Section {
    let body = &r.report.body;
    let re = &body.reoffending;
    let mut s = section("reoffending", "Reoffending");
    s.paragraphs.push(format!(
        "Proven reoffending within {} months of the {} date, proven within a further {} \
         months, for people whose police records were available by {}. Each person is \
         counted once per programme, at their earliest referral to it in the period (in a \
         run of financial years, in each year): in a report of several programmes, a person \
         referred to two of them is counted in each (participants reached count them once).",
        re.follow_up_months,
        match re.index.as_str() {
            "referral" => "referral",
            "start" => "first session",
            _ => "completion",
        },
        re.waiting_months,
        re.data_as_of
            .map(long_date)
            .unwrap_or_else(|| "no date (no police data has been imported)".to_string()),
    ));
    let columns: [Column; 16] = [
        ("cohort", "Cohort", NumberFormat::Count),
        (
            "unmatched",
            "Not matched to police records",
            NumberFormat::Count,
        ),
        (
            "not_linked_objection",
            "Not linked: objection",
            NumberFormat::Count,
        ),
        (
            "not_linked_programme",
            "Not linked: programme does not link",
            NumberFormat::Count,
        ),
        (
            "awaiting_follow_up",
            "Awaiting follow-up",
            NumberFormat::Count,
        ),
        ("without_index_date", "No index date", NumberFormat::Count),
        ("measurable", "Measurable", NumberFormat::Count),
        ("reoffenders", "Reoffenders", NumberFormat::Count),
        ("reoffending_rate", "Reoffending rate", NumberFormat::Rate),
        ("reoffending_rate_ci/0", "95% CI low", NumberFormat::Rate),
        ("reoffending_rate_ci/1", "95% CI high", NumberFormat::Rate),
        ("reoffences", "Proven reoffences", NumberFormat::Count),
        ("frequency", "Reoffences per person", NumberFormat::Decimal),
        (
            "reoffences_per_reoffender",
            "Reoffences per reoffender",
            NumberFormat::Decimal,
        ),
        (
            "mean_days_to_first_reoffence",
            "Mean days to first reoffence",
            NumberFormat::Measure,
        ),
        (
            "median_days_to_first_reoffence",
            "Median days to first reoffence",
            NumberFormat::Measure,
        ),
    ];
    let rows = GROUP_LABELS
        .iter()
        .map(|(group, label)| {
            let prefix = format!("/reoffending/groups/{group}/");
            r.row(label.to_string(), &prefix, group, &columns)
        })
        .collect();
    let table = Table {
        id: "reoffending_groups".to_string(),
        caption: "Proven reoffending by group".to_string(),
        head: head("Group", &columns),
        rows,
    };
    let desc = format!(
        "Reoffending rate with its 95% confidence interval for each group: {}.",
        table
            .rows
            .iter()
            .map(|row| format!("{} {}", row.label, row.cells[8].text))
            .collect::<Vec<_>>()
            .join(", ")
    );
    s.charts.push(chart(
        ChartKind::Interval,
        "Reoffending rate by group",
        &desc,
        (0, &table),
        vec![8, 9, 10],
    ));
    s.tables.push(table);
    let units = &body.units;
    s.paragraphs.extend(units.notes.iter().cloned());
    if !units.left_out.is_empty() {
        s.tables.push(Table {
            id: "units_left_out".to_string(),
            caption: "Programme years left out of the figures from police records".to_string(),
            head: vec!["Programme and year".to_string(), "Why".to_string()],
            rows: units
                .left_out
                .iter()
                .map(|u| {
                    let label = format!("{} {}", u.programme, u.financial_year);
                    Row {
                        cells: vec![text_cell("left_out", &label, u.reason.clone())],
                        label,
                    }
                })
                .collect(),
        });
    }
    if let Some(w) = r.report.withheld_at("/reoffending/groups/all/measurable") {
        s.warning = Some(match w {
            Withheld::WholeYearsOnly => {
                "Reoffending is reported for whole financial years only.".to_string()
            }
            Withheld::Below(n) => format!("Fewer than {n} people could be measured: not reported."),
        });
    } else if r.exact_u64("/reoffending/groups/all/measurable") < CAUTION_BELOW {
        s.warning = Some(format!(
            "Interpret with caution: fewer than {CAUTION_BELOW} people could be measured."
        ));
    }
    s
}

/// The JSON pointer of the comparison.
const COMPARISON: &str = "/reoffending/comparison/";

/// "within a year" for 12 months, "within 6 months" otherwise.
fn within(months: u32) -> String {
    if months == 12 {
        "within a year".to_string()
    } else {
        format!("within {months} months")
    }
}

/// A rate as a whole number of people in every 100 (28.4% → 28).
fn per_100(rate: f64) -> String {
    format!("{}", (rate * 100.0).round() as i64)
}

/// "For every 100 people who took part, 28 reoffended within a year; for every 100
/// people in X, 33 did." Only when both rates are shown (not hidden, not null).
fn for_every_100(r: &Reader) -> Option<String> {
    let c = r.report.body.reoffending.comparison.as_ref()?;
    let rate = |m: &str| r.cell(&format!("{COMPARISON}{m}"), m, "", NumberFormat::Rate);
    let (treated, other) = (rate("treatment_rate"), rate("comparison_rate"));
    let (t, o) = (treated.value?, other.value?);
    let who = match c.method {
        ComparisonMethod::Matched => "similar people who did not".to_string(),
        _ => format!("people in {}", c.comparison_label),
    };
    Some(format!(
        "For every 100 people who took part, {} reoffended {}; for every 100 {who}, {} did.",
        per_100(t),
        within(r.report.body.reoffending.follow_up_months),
        per_100(o),
    ))
}

/// What the matched comparison cannot balance (docs/methodology.md, "Matched comparison").
pub const MATCHING_LIMITS: &str = "Unobserved differences, such as motivation, need, why the police or a school referred someone, and \
     offences never recorded, remain, and the pool includes people another service worked \
     with. The comparison answers \"compared with similar people in the police data who were \
     not referred\", not \"what would have happened to these people\".";

/// A matching variable in a few words, for the balance table's rows.
fn variable_short(v: Variable) -> &'static str {
    match v {
        Variable::AgeBand => "Age",
        Variable::Gender => "Gender",
        Variable::PriorProvenOffences => "Prior proven offences",
        Variable::FinancialYear => "Financial year",
    }
}

/// The variables in words: "age at the index date, gender and …".
fn variable_list(vs: &[Variable]) -> String {
    let words: Vec<String> = vs.iter().map(|v| v.label().to_lowercase()).collect();
    match words.as_slice() {
        [] => "none".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The verdict in words.
fn verdict_text(v: ComparisonVerdict) -> &'static str {
    match v {
        ComparisonVerdict::Significant => "Statistically significant",
        ComparisonVerdict::Inconclusive => "Inconclusive",
        ComparisonVerdict::TooSmall => "Too few people for a statement",
    }
}

/// The comparison asked for (`compare=`): both rates with their intervals and a chart of
/// them, the difference with its interval and tests, the Justice Data Lab statement, the
/// "for every 100 people" sentence, and for a matched comparison how it was matched and
/// the balance of the variables. A comparison that was asked for but left out is one
/// sentence saying why. No section when none was asked for.
fn comparison_section(r: &Reader) -> Option<Section> {
    let body = &r.report.body;
    let re = &body.reoffending;
    let Some(c) = &re.comparison else {
        let why = re.comparison_left_out.as_ref()?;
        let mut s = section("comparison", "Comparison");
        s.paragraphs.push(why.clone());
        return Some(s);
    };
    let matched = c.method == ComparisonMethod::Matched;
    let mut s = section(
        "comparison",
        &format!("Compared with {}", c.comparison_label),
    );
    let parameters = format!(
        "in the same period, with the same {}-month follow-up, {}-month waiting period, index \
         date and police data",
        re.follow_up_months, re.waiting_months
    );
    s.paragraphs.push(match c.method {
        ComparisonMethod::Programme => format!(
            "The reoffending rate of the people measurable in this report (all referred) \
             beside that of the people referred to {} {parameters}.",
            c.comparison_label
        ),
        ComparisonMethod::Group => format!(
            "The reoffending rate of the people measurable in this report (all referred) \
             beside that of the comparison group {}, each member followed from their own \
             index date {parameters}.",
            c.comparison_label
        ),
        ComparisonMethod::Matched => format!(
            "The reoffending rate of the people measurable in this report (all referred) \
             beside that of similar people in the police extract who were never referred to \
             any programme, matched exactly on {} and weighted to the mix of the people who \
             took part, {parameters}. Only the people who took part with \
             a match are compared.",
            c.matching
                .as_ref()
                .map(|m| variable_list(&m.variables))
                .unwrap_or_default()
        ),
    });
    let statement = r.cell(
        &format!("{COMPARISON}statement"),
        "statement",
        "",
        NumberFormat::Text,
    );
    s.paragraphs.push(statement.text);
    s.paragraphs.extend(for_every_100(r));
    // Both rates, one row each, with the chart drawn from them.
    let columns: [Column; 5] = [
        ("measurable", "Measurable", NumberFormat::Count),
        ("reoffenders", "Reoffenders", NumberFormat::Count),
        ("rate", "Reoffending rate", NumberFormat::Rate),
        ("rate_ci/0", "95% CI low", NumberFormat::Rate),
        ("rate_ci/1", "95% CI high", NumberFormat::Rate),
    ];
    // Two programmes of one name are told apart by their provider.
    let mut treated = body.programme.clone();
    if let Some(p) = &body.provider {
        if c.comparison_label
            .starts_with(&format!("{} (", body.programme))
        {
            treated = format!("{} ({p})", body.programme);
        }
    }
    if matched {
        treated = format!("{treated} (matched)");
    }
    let row = |label: String, side: &str| {
        let cols: Vec<(String, &str, NumberFormat)> = columns
            .iter()
            .map(|(m, h, k)| (format!("{side}_{m}"), *h, *k))
            .collect();
        Row {
            label,
            cells: cols
                .iter()
                .map(|(m, _, k)| {
                    let metric = m.replace("_ci/0", "_ci_low").replace("_ci/1", "_ci_high");
                    r.cell(&format!("{COMPARISON}{m}"), &metric, side, *k)
                })
                .collect(),
        }
    };
    let mut comparison = c.comparison_label.clone();
    if let Some(first) = comparison.get(..1) {
        comparison = first.to_uppercase() + &comparison[1..];
    }
    let rates = Table {
        id: "comparison_rates".to_string(),
        caption: "Reoffending rates compared".to_string(),
        head: head("Cohort", &columns),
        rows: vec![row(treated, "treatment"), row(comparison, "comparison")],
    };
    let desc = format!(
        "Reoffending rate with its 95% confidence interval: {}.",
        rates
            .rows
            .iter()
            .map(|row| {
                let [_, _, rate, low, high] = &row.cells[..] else {
                    return String::new();
                };
                if low.value.is_some() && high.value.is_some() {
                    format!(
                        "{} {} ({} to {})",
                        row.label, rate.text, low.text, high.text
                    )
                } else {
                    format!("{} {}", row.label, rate.text)
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    );
    s.charts.push(chart(
        ChartKind::Interval,
        "Reoffending rates compared",
        &desc,
        (0, &rates),
        vec![2, 3, 4],
    ));
    s.tables.push(rates);
    let mut stats: Vec<(&str, &str, NumberFormat)> = vec![
        (
            "difference",
            "Difference in reoffending rate (this programme minus the comparison)",
            NumberFormat::Points,
        ),
        (
            "difference_ci/0",
            "Difference, 95% CI low",
            NumberFormat::Points,
        ),
        (
            "difference_ci/1",
            "Difference, 95% CI high",
            NumberFormat::Points,
        ),
        ("z", "z statistic", NumberFormat::Decimal),
        (
            "p_value",
            if matched {
                "p-value (stratified normal test)"
            } else {
                "p-value (two-proportion z-test)"
            },
            NumberFormat::PValue,
        ),
    ];
    // Fisher's exact test is not defined for a weighted comparison (null when matched).
    if r.exact
        .pointer(&format!("{COMPARISON}fisher_p_value"))
        .is_some_and(|v| !v.is_null())
    {
        stats.push((
            "fisher_p_value",
            "p-value (Fisher's exact test)",
            NumberFormat::PValue,
        ));
    }
    let mut difference = figures_table(
        r,
        "comparison_difference",
        "Difference between the rates",
        COMPARISON,
        "",
        &stats,
    );
    for row in &mut difference.rows {
        for cell in &mut row.cells {
            cell.metric = cell
                .metric
                .replace("_ci/0", "_ci_low")
                .replace("_ci/1", "_ci_high");
        }
    }
    let mut verdict = r.cell(
        &format!("{COMPARISON}verdict"),
        "verdict",
        "",
        NumberFormat::Text,
    );
    if verdict.symbol.is_none() {
        verdict.text = verdict_text(c.verdict).to_string();
    }
    // In the column of figures: aligned with them.
    verdict.numeric = true;
    difference.rows.push(Row {
        label: "Verdict (Justice Data Lab rules)".to_string(),
        cells: vec![verdict],
    });
    s.tables.push(difference);
    if let Some(m) = &c.matching {
        matching_tables(r, &mut s, m);
    }
    Some(s)
}

/// The matching summary and the balance table of a matched comparison.
fn matching_tables(r: &Reader, s: &mut Section, m: &Matching) {
    let base = format!("{COMPARISON}matching/");
    let mut summary = figures_table(
        r,
        "comparison_matching",
        "How the comparison was matched",
        &base,
        "",
        &[
            (
                "treated_unmatched",
                "People who took part with no match (not compared)",
                NumberFormat::Count,
            ),
            (
                "pool_size",
                "Pool: measurable people in the police extract never referred",
                NumberFormat::Count,
            ),
            (
                "pool_used",
                "Pool members with a match (the comparison)",
                NumberFormat::Count,
            ),
            (
                "effective_comparison_size",
                "Effective comparison size (after weighting)",
                NumberFormat::Measure,
            ),
            (
                "strata_matched",
                "Combinations of the variables matched",
                NumberFormat::Count,
            ),
        ],
    );
    summary.rows.insert(
        0,
        Row {
            label: "People who took part with a match (compared)".to_string(),
            cells: vec![r.cell(
                &format!("{COMPARISON}treatment_measurable"),
                "treated_matched",
                "",
                NumberFormat::Count,
            )],
        },
    );
    let words = |vs: &[Variable]| {
        let mut w = variable_list(vs);
        if let Some(first) = w.get(..1) {
            w = first.to_uppercase() + &w[1..];
        }
        w
    };
    summary.rows.push(Row {
        label: "Variables matched on".to_string(),
        cells: vec![text_cell("variables", "", words(&m.variables))],
    });
    summary.rows.push(Row {
        label: "Variables left out (not in the police extract)".to_string(),
        cells: vec![text_cell(
            "variables_left_out",
            "",
            words(&m.variables_left_out),
        )],
    });
    s.tables.push(summary);
    s.paragraphs.push(format!(
        "Only the variables above are balanced. {MATCHING_LIMITS}"
    ));
    if m.balance.is_empty() {
        if r.report.body.provenance.parameters.mode == "published" {
            s.paragraphs.push(
                "The balance table is not published: shares of the people who took part by \
                 category are small counts in disguise."
                    .to_string(),
            );
        }
        return;
    }
    s.paragraphs.push(
        "The balance table gives each category's share among all the measurable people who \
         took part, the whole pool, and the comparison as weighted; a standardised difference \
         near 0 (under 0.1 in size) means the two are alike in that category."
            .to_string(),
    );
    let columns: [Column; 5] = [
        (
            "treated_share",
            "Took part (all measurable)",
            NumberFormat::Rate,
        ),
        ("pool_share", "Pool (all)", NumberFormat::Rate),
        (
            "comparison_share",
            "Comparison (weighted)",
            NumberFormat::Rate,
        ),
        (
            "standardised_difference_before",
            "Standardised difference before matching",
            NumberFormat::Change,
        ),
        (
            "standardised_difference_after",
            "Standardised difference after matching",
            NumberFormat::Change,
        ),
    ];
    s.tables.push(Table {
        id: "comparison_balance".to_string(),
        caption: "Balance of the matching variables".to_string(),
        head: head("Variable and category", &columns),
        rows: m
            .balance
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let group = format!("{}:{}", b.variable.as_str(), b.category);
                let label = format!(
                    "{}: {}",
                    variable_short(b.variable),
                    category_label(&b.category)
                );
                r.row(label, &format!("{base}balance/{i}/"), &group, &columns)
            })
            .collect(),
    });
}

fn before_after_section(r: &Reader) -> Section {
    let ba = &r.report.body.reoffending.before_after;
    let mut s = section("before_after", "Offending before and after referral");
    s.label = Some("Descriptive".to_string());
    s.warning = Some(ba.caveat.to_string());
    s.paragraphs.push(format!(
        "Proven offences of the measurable people in the {} months before referral and \
         proven reoffences in the follow-up after it, with the cost of crime at {} prices \
         (Home Office unit costs, uprated with the GDP deflator).",
        ba.before_months,
        ba.price_year
            .clone()
            .unwrap_or_else(|| "2015-16".to_string())
    ));
    let base = "/reoffending/before_after/";
    let mut head = vec!["Measure".to_string()];
    head.extend(["Before", "After", "Change"].map(String::from));
    let row = |label: &str, group: &str, cols: [(&str, NumberFormat); 3]| Row {
        label: label.to_string(),
        cells: cols
            .iter()
            .zip(["before", "after", "change"])
            .map(|((m, k), metric)| r.cell(&format!("{base}{m}"), metric, group, *k))
            .collect(),
    };
    s.tables.push(figures_table(
        r,
        "before_after_people",
        "People compared before and after",
        base,
        "",
        &[(
            "members",
            "People measurable before and after",
            NumberFormat::Count,
        )],
    ));
    s.tables.push(Table {
        id: "before_after".to_string(),
        caption: "Offences and cost of crime before and after (descriptive)".to_string(),
        head,
        rows: vec![
            row(
                "Proven offences",
                "offences",
                [
                    ("offences_before", NumberFormat::Count),
                    ("offences_after", NumberFormat::Count),
                    ("offences_change", NumberFormat::Rate),
                ],
            ),
            row(
                "Cost of crime",
                "cost_gbp",
                [
                    ("cost_before_gbp", NumberFormat::Money),
                    ("cost_after_gbp", NumberFormat::Money),
                    ("cost_change", NumberFormat::Rate),
                ],
            ),
        ],
    });
    s
}

fn outcomes_section(r: &Reader) -> Section {
    let body = &r.report.body;
    let mut s = section("outcomes", "Outcome measures");
    if body.outcomes.is_empty() {
        s.paragraphs
            .push("No outcome measures were recorded for referrals in the period.".to_string());
        return s;
    }
    s.paragraphs.push(
        "Change between the earliest baseline and the latest exit score of each referral \
         with both. Improved, unchanged and worsened are shares of those pairs, in the \
         measure's better direction."
            .to_string(),
    );
    let columns: [Column; 11] = [
        ("pairs", "Pairs", NumberFormat::Count),
        ("mean_baseline", "Mean at baseline", NumberFormat::Decimal),
        ("mean_exit", "Mean at exit", NumberFormat::Decimal),
        ("mean_change", "Mean change", NumberFormat::Change),
        ("mean_change_ci/0", "95% CI low", NumberFormat::Change),
        ("mean_change_ci/1", "95% CI high", NumberFormat::Change),
        ("improved", "Improved", NumberFormat::Rate),
        ("unchanged", "Unchanged", NumberFormat::Rate),
        ("worsened", "Worsened", NumberFormat::Rate),
        ("p_value", "p-value (paired t)", NumberFormat::PValue),
        (
            "wilcoxon_p_value",
            "p-value (Wilcoxon)",
            NumberFormat::PValue,
        ),
    ];
    let rows = body
        .outcomes
        .iter()
        .enumerate()
        .map(|(i, m)| {
            r.row(
                m.measure.clone(),
                &format!("/outcomes/{i}/"),
                &m.measure,
                &columns,
            )
        })
        .collect();
    s.tables.push(Table {
        id: "outcome_measures".to_string(),
        caption: "Paired changes in outcome measures".to_string(),
        head: head("Measure", &columns),
        rows,
    });
    if body.outcomes.iter().any(|m| m.pairs < CAUTION_BELOW) {
        s.warning = Some(format!(
            "Interpret with caution: a measure with fewer than {CAUTION_BELOW} pairs gives a \
             very uncertain mean change."
        ));
    }
    s
}

fn surveys_section(r: &Reader) -> Section {
    let body = &r.report.body;
    let mut s = section("group_surveys", "Group surveys");
    if body.group_surveys.is_empty() {
        s.paragraphs
            .push("No anonymous group surveys were recorded.".to_string());
        return s;
    }
    s.paragraphs.push(format!(
        "Anonymous surveys before and after group sessions. Positive means a score of {} or \
         better.",
        format_value(
            NumberFormat::Measure,
            body.provenance.parameters.positive_threshold
        )
    ));
    let columns: [Column; 8] = [
        (
            "respondents_baseline",
            "Respondents before",
            NumberFormat::Count,
        ),
        ("respondents_exit", "Respondents after", NumberFormat::Count),
        ("mean_baseline", "Mean before", NumberFormat::Decimal),
        ("mean_exit", "Mean after", NumberFormat::Decimal),
        (
            "positive_share_baseline",
            "Positive before",
            NumberFormat::Rate,
        ),
        ("positive_share_exit", "Positive after", NumberFormat::Rate),
        (
            "change_pp",
            "Change in positive share",
            NumberFormat::PercentagePoints,
        ),
        ("relative_change", "Relative change", NumberFormat::Rate),
    ];
    let rows = body
        .group_surveys
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let prefix = format!("/group_surveys/{i}/");
            r.row(m.measure.clone(), &prefix, &m.measure, &columns)
        })
        .collect();
    s.tables.push(Table {
        id: "group_surveys".to_string(),
        caption: "Group survey changes".to_string(),
        head: head("Measure", &columns),
        rows,
    });
    s
}

fn breakdowns_section(r: &Reader) -> Section {
    let body = &r.report.body;
    let mut s = section("breakdowns", "Breakdowns");
    s.paragraphs.push(
        "Referrals, engagement, completion and reoffending by the characteristics of the \
         people referred, at the date of referral."
            .to_string(),
    );
    let columns: [Column; 6] = [
        ("referrals", "Referrals", NumberFormat::Count),
        ("engaged", "Engaged", NumberFormat::Count),
        ("completed", "Completed", NumberFormat::Count),
        ("measurable", "Measurable", NumberFormat::Count),
        ("reoffenders", "Reoffenders", NumberFormat::Count),
        ("reoffending_rate", "Reoffending rate", NumberFormat::Rate),
    ];
    let lists = [
        &body.breakdowns.age_band,
        &body.breakdowns.gender,
        &body.breakdowns.ethnicity,
        &body.breakdowns.district,
        &body.breakdowns.source,
    ];
    for ((dimension, title), rows) in DIMENSIONS.iter().zip(lists) {
        s.tables.push(Table {
            id: format!("breakdown_{dimension}"),
            caption: format!("By {}", title.to_lowercase()),
            head: head(title, &columns),
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, row)| {
                    let group = format!("{dimension}:{}", row.category);
                    let prefix = format!("/breakdowns/{dimension}/{i}/");
                    r.row(category_label(&row.category), &prefix, &group, &columns)
                })
                .collect(),
        });
    }
    s
}

/// `youth_justice` → `Youth justice`; names of districts are kept as they are.
fn category_label(category: &str) -> String {
    match category {
        "oocr_hub" => return "Out-of-court resolution hub".to_string(),
        "self" => return "Self-referral".to_string(),
        _ => {}
    }
    if category.contains(' ') || category.chars().any(char::is_uppercase) {
        return category.to_string();
    }
    let words = category.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

fn money_section(r: &Reader) -> Section {
    let body = &r.report.body;
    let mut s = section("money", "Money and targets");
    let m = &body.money.money;
    let whole_years = m.allocation_share.is_none_or(|x| (x - 1.0).abs() < 1e-12);
    s.paragraphs.push(if whole_years {
        "Allocated funding is the funding streams' allocations for the financial year of \
         the report."
            .to_string()
    } else {
        format!(
            "Funding is allocated by financial year. This period is part of a year, so the \
             allocation is pro-rated by days: {} of the year's {}.",
            format_value(NumberFormat::Money, m.allocated_gbp),
            format_value(NumberFormat::Money, m.allocated_year_gbp)
        )
    });
    s.paragraphs.push(
        "Cost per named participant is the period's funding divided by the named people \
         who attended at least one session. Cost per attendance divides it by attendances: \
         each named person at each session, plus the headcount of each group session, so \
         one person at ten sessions is ten attendances (attendances are not people). Cost \
         per completion divides it by completed referrals. All three spread the same money, \
         so they are not to be added up."
            .to_string(),
    );
    s.tables.push(figures_table(
        r,
        "money",
        "Funding and unit costs",
        "/money/",
        "",
        &[
            (
                "allocated_gbp",
                "Funding for the period",
                NumberFormat::Money,
            ),
            (
                "allocated_year_gbp",
                "Funding for the whole financial year",
                NumberFormat::Money,
            ),
            (
                "allocation_share",
                "Share of the year's funding in the period",
                NumberFormat::Rate,
            ),
            (
                "cost_per_named_participant",
                "Cost per named participant",
                NumberFormat::Money,
            ),
            ("attendances", "Attendances", NumberFormat::Count),
            (
                "cost_per_attendance",
                "Cost per attendance",
                NumberFormat::Money,
            ),
            (
                "cost_per_completion",
                "Cost per completion",
                NumberFormat::Money,
            ),
        ],
    ));
    if body.money.targets.is_empty() {
        s.paragraphs
            .push("No targets are recorded for this period.".to_string());
        return s;
    }
    let columns: [Column; 6] = [
        ("target", "Target", NumberFormat::Measure),
        ("achieved", "Achieved", NumberFormat::Measure),
        ("percent_of_target", "% of target", NumberFormat::Rate),
        (
            "pro_rata_expected",
            "Expected (pro rata)",
            NumberFormat::Measure,
        ),
        ("percent_of_pro_rata", "% of expected", NumberFormat::Rate),
        ("rag", "Status", NumberFormat::Text),
    ];
    let to = body.money.targets[0].pro_rata_to;
    s.paragraphs.push(format!(
        "Targets are set for a financial year. Each is pro-rated to {}, {}: the share of \
         its year from the start of the period to that date. Rates are not pro-rated. Green \
         is at least 90% of the pro-rata expectation, amber at least 70%, red below.",
        long_date(to),
        if to == body.period.to {
            "the end of the period"
        } else {
            "the date of the report, as the period has not ended"
        }
    ));
    s.tables.push(Table {
        id: "targets".to_string(),
        caption: format!("Targets, pro-rated to {}", long_date(to)),
        head: head("Measure", &columns),
        rows: body
            .money
            .targets
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let group = format!("{} {}", t.metric, t.financial_year);
                let label = format!("{} ({})", target_label(&t.metric), t.financial_year);
                // Target, achieved and expected in the metric's own unit.
                let unit = target_unit(&t.metric);
                let columns: Vec<Column> = columns
                    .iter()
                    .map(|&(m, h, k)| {
                        let in_unit = matches!(m, "target" | "achieved" | "pro_rata_expected");
                        (m, h, if in_unit { unit } else { k })
                    })
                    .collect();
                let mut row = r.row(label, &format!("/money/targets/{i}/"), &group, &columns);
                // The status in words: colour is never the only signal.
                for (c, (m, _, _)) in row.cells.iter_mut().zip(&columns) {
                    if *m == "rag" && c.symbol.is_none() {
                        c.text = rag_text(&c.text);
                    }
                }
                row
            })
            .collect(),
    });
    s
}

/// A target's metric in the words of the engagement table (also the home pages').
pub fn target_label(metric: &str) -> String {
    match metric {
        "anonymous_headcount" => "Attendances by headcount".to_string(),
        "participants_reached" => "Participants reached (named)".to_string(),
        "sessions_delivered" => "Sessions delivered".to_string(),
        "referrals_received" => "Referrals received".to_string(),
        "referrals_accepted" => "Referrals accepted".to_string(),
        "engaged" => "Referrals engaged".to_string(),
        "completed" => "Referrals completed".to_string(),
        _ => category_label(metric),
    }
}

/// The unit of a target's metric: rates as percentages, hours with a decimal, counts.
pub fn target_unit(metric: &str) -> NumberFormat {
    if metric.ends_with("_rate") {
        NumberFormat::Rate
    } else if metric.starts_with("hours_") {
        NumberFormat::Measure
    } else {
        NumberFormat::Count
    }
}

/// RAG status in words, so colour is never the only signal.
pub fn rag_text(rag: &str) -> String {
    match rag {
        "green" => "Green: on track",
        "amber" => "Amber: behind",
        "red" => "Red: well behind",
        _ => NULL_TEXT,
    }
    .to_string()
}

fn provenance_section(r: &Reader) -> Section {
    let p = &r.report.body.provenance;
    let mut s = section("provenance", "About these figures");
    s.paragraphs.push(
        "Everything needed to regenerate the figures exactly: the same inputs and parameters \
         give the same input hash and the same numbers."
            .to_string(),
    );
    let mut rows: Vec<(&str, &str, String)> = vec![
        (
            "period",
            "Period",
            format!("{} to {}", long_date(p.period.from), long_date(p.period.to)),
        ),
        (
            "follow_up_months",
            "Follow-up (F, months)",
            p.parameters.follow_up_months.to_string(),
        ),
        (
            "waiting_months",
            "Waiting period (W, months)",
            p.parameters.waiting_months.to_string(),
        ),
        (
            "index",
            "Index date",
            p.parameters.index.as_str().to_string(),
        ),
        (
            "threshold",
            "Disclosure threshold",
            p.parameters.threshold.to_string(),
        ),
        (
            "minimum_cohort",
            "Minimum measurable people per programme year",
            r.report.body.units.minimum_cohort.to_string(),
        ),
        ("mode", "Mode", p.parameters.mode.to_string()),
        ("price_year", "Price year", p.parameters.price_year.clone()),
        (
            "report_date",
            "Report date",
            long_date(p.parameters.report_date),
        ),
        (
            "data_as_of",
            "Police data as of",
            p.data_as_of
                .map(|d| d.to_string())
                .unwrap_or_else(|| NULL_TEXT.to_string()),
        ),
        (
            "generated_at",
            "Generated at",
            p.generated_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        ),
        (
            "methodology_version",
            "Methodology version",
            p.methodology_version.to_string(),
        ),
        ("input_sha256", "Input SHA-256", p.input_sha256.clone()),
    ];
    if let Some(read_from) = &p.read_from {
        // After "Police data as of": the other half of what the figures are as of.
        let at = rows
            .iter()
            .position(|(metric, _, _)| *metric == "data_as_of")
            .map_or(rows.len(), |i| i + 1);
        rows.insert(
            at,
            (
                "read_from",
                "Case records as of",
                records_as_of(read_from, p.generated_at),
            ),
        );
    }
    s.tables.push(Table {
        id: "provenance".to_string(),
        caption: "Provenance".to_string(),
        head: vec!["Item".to_string(), "Value".to_string()],
        rows: rows
            .into_iter()
            .map(|(metric, label, value)| {
                let mut cell = text_cell(metric, "", value);
                // Whole-number parameters are numbers (stored as numbers in XLSX).
                if let Ok(n) = cell.text.parse::<u32>() {
                    cell.kind = NumberFormat::Count;
                    cell.value = Some(f64::from(n));
                    cell.numeric = true;
                }
                Row {
                    label: label.to_string(),
                    cells: vec![cell],
                }
            })
            .collect(),
    });
    s
}

/// The "Case records as of" line of a report read with a replica configured: the
/// replica's last replayed change, or the moment the primary was read and why.
fn records_as_of(
    read_from: &crate::evaluation::report::ReadFrom,
    generated_at: chrono::DateTime<chrono::Utc>,
) -> String {
    let time = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    match (read_from.database, read_from.replayed_at) {
        ("replica", Some(at)) => format!(
            "{} (the last change the read replica replayed; {} s behind the primary)",
            time(at),
            read_from.lag_seconds.unwrap_or(0.0)
        ),
        ("replica", None) => {
            "read from the read replica, which had replayed no change since it started".to_string()
        }
        _ => format!(
            "{} (read from the primary database: {})",
            time(generated_at),
            read_from
                .fallback
                .as_deref()
                .unwrap_or("the replica was not used")
        ),
    }
}

impl ReportView {
    /// Every cell of every table, with its section (the CSV rows, in order).
    pub fn figures(&self) -> impl Iterator<Item = (&Section, &Cell)> {
        self.sections.iter().flat_map(|s| {
            s.tables.iter().flat_map(move |t| {
                t.rows
                    .iter()
                    .flat_map(move |r| r.cells.iter().map(move |c| (s, c)))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_formatted_as_pages_show_them() {
        assert_eq!(format_value(NumberFormat::Count, 1234.0), "1,234");
        assert_eq!(format_value(NumberFormat::Count, 12.0), "12");
        assert_eq!(format_value(NumberFormat::Rate, 0.75), "75.0%");
        assert_eq!(format_value(NumberFormat::Rate, 1.0 / 3.0), "33.3%");
        assert_eq!(format_value(NumberFormat::Money, 5000.0), "£5,000.00");
        assert_eq!(
            format_value(NumberFormat::Money, 1234567.891),
            "£1,234,567.89"
        );
        assert_eq!(format_value(NumberFormat::Decimal, 2.5), "2.50");
        assert_eq!(format_value(NumberFormat::Change, 1.5), "+1.50");
        assert_eq!(format_value(NumberFormat::Change, -0.25), "-0.25");
        assert_eq!(format_value(NumberFormat::Measure, 15.0), "15");
        assert_eq!(format_value(NumberFormat::Measure, 294.666), "294.7");
        assert_eq!(format_value(NumberFormat::PValue, 0.0004), "<0.001");
        assert_eq!(format_value(NumberFormat::PValue, 0.0456), "0.046");
        assert_eq!(format_value(NumberFormat::Points, 0.125), "+12.5 pp");
        // Already in points (32.8 pp, not 3281.1 pp).
        assert_eq!(
            format_value(NumberFormat::PercentagePoints, 32.81),
            "+32.8 pp"
        );
        assert_eq!(
            format_value(NumberFormat::PercentagePoints, -4.04),
            "-4.0 pp"
        );
        // What rounds to zero has no sign.
        assert_eq!(format_value(NumberFormat::Rate, -1e-17), "0.0%");
        assert_eq!(format_value(NumberFormat::Change, 0.004), "0.00");
        assert_eq!(format_value(NumberFormat::Change, -0.004), "0.00");
        assert_eq!(format_value(NumberFormat::Points, -0.0001), "0.0 pp");
        assert_eq!(format_value(NumberFormat::Money, -0.001), "£0.00");
        assert_eq!(format_value(NumberFormat::Change, -0.01), "-0.01");
    }

    #[test]
    fn categories_read_as_words() {
        assert_eq!(category_label("youth_justice"), "Youth justice");
        assert_eq!(category_label("District A"), "District A");
        assert_eq!(category_label("10-13"), "10-13");
        assert_eq!(category_label("oocr_hub"), "Out-of-court resolution hub");
        assert_eq!(category_label("other_theft"), "Other theft");
        assert_eq!(quarter_label("2024-25-Q1"), "April to June 2024 (Q1)");
        assert_eq!(quarter_label("2024-25-Q4"), "January to March 2025 (Q4)");
        assert_eq!(quarter_short("2024-25-Q4").as_deref(), Some("Jan-Mar 2025"));
        assert_eq!(quarter_short("all"), None);
    }
}
