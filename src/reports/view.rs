//! The one presentation of a [`Report`] that every format renders: sections of tables
//! whose cells carry the exact value, the text shown on a page and, in published mode,
//! the suppression symbol. Every cell is read from the report's exact JSON by its JSON
//! pointer and checked against `report.suppressed` at that pointer (or any parent), so a
//! format cannot show a hidden value by accident: a hidden cell has no value at all, only
//! its symbol. Summary sentences are built from the same cells. See `docs/reports.md`.

use serde::Serialize;
use serde_json::Value;

use super::charts;
use crate::evaluation::report::Report;
use crate::evaluation::units::{Withheld, WITHHELD_SYMBOL};

/// How a figure is formatted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
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
    /// A difference in percentage points: `+12.5 pp`.
    Points,
    /// Words (names, dates, statuses).
    Text,
}

/// One figure as every format shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    /// The metric's name in the JSON (the CSV `metric` column).
    pub metric: String,
    /// The row it belongs to (the CSV `group` column), empty for a single figure.
    pub group: String,
    pub kind: Kind,
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
}

/// The whole report as every format shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportView {
    pub title: String,
    pub programme: String,
    pub period_text: String,
    pub published: bool,
    pub mode_text: String,
    pub summary: Vec<String>,
    pub sections: Vec<Section>,
    pub caveats: Vec<String>,
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

    fn cell(&self, pointer: &str, metric: &str, group: &str, kind: Kind) -> Cell {
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
            (None, Kind::Text, Value::String(s)) => (None, s.clone()),
            (None, Kind::Text, Value::Null) => (None, NULL_TEXT.to_string()),
            (None, Kind::Text, v) => (None, v.to_string()),
            (None, _, v) => match v.as_f64() {
                Some(x) => (Some(x), format_value(kind, x)),
                None => (None, NULL_TEXT.to_string()),
            },
        };
        Cell {
            metric: metric.to_string(),
            group: group.to_string(),
            kind,
            value,
            text,
            symbol,
            numeric: kind != Kind::Text,
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
        group: group.to_string(),
        kind: Kind::Text,
        value: None,
        text: text.into(),
        symbol: None,
        numeric: false,
    }
}

/// Formats an exact value for a page.
pub fn format_value(kind: Kind, x: f64) -> String {
    match kind {
        Kind::Count => thousands(x.round() as i64),
        Kind::Rate => format!("{:.1}%", x * 100.0),
        Kind::Money => {
            let pence = (x * 100.0).round() as i64;
            let sign = if pence < 0 { "-" } else { "" };
            format!(
                "{sign}£{}.{:02}",
                thousands(pence.abs() / 100),
                pence.abs() % 100
            )
        }
        Kind::Decimal => format!("{x:.2}"),
        Kind::Change => format!("{}{x:.2}", if x > 0.0 { "+" } else { "" }),
        Kind::Measure => {
            let s = format!("{x:.1}");
            s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
        }
        Kind::PValue if x < 0.001 => "<0.001".to_string(),
        Kind::PValue => format!("{x:.3}"),
        Kind::Points => format!("{}{:.1} pp", if x > 0.0 { "+" } else { "" }, x * 100.0),
        Kind::Text => x.to_string(),
    }
}

fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// A date as pages show it: `1 April 2024`.
pub fn long_date(d: chrono::NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
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
    let sections = vec![
        engagement_section(&r),
        trend_section(&r),
        reoffending_section(&r),
        before_after_section(&r),
        outcomes_section(&r),
        surveys_section(&r),
        breakdowns_section(&r),
        money_section(&r),
        provenance_section(&r),
    ];
    ReportView {
        title: format!("{}: evaluation report", body.programme),
        programme: body.programme.clone(),
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
        summary: summary(&r, &period_text),
        sections,
        caveats: caveats(&r),
    }
}

fn summary(r: &Reader, period_text: &str) -> Vec<String> {
    let body = &r.report.body;
    let e = |m: &str| r.cell(&format!("/engagement/{m}"), m, "", Kind::Count);
    let mut out = vec![format!(
        "From {period_text}, {} received {}: {} accepted, {} engaged (attended at least \
         one session) and {} completed.",
        body.programme,
        say_n(&e("referrals_received"), "referral", "referrals"),
        say(&e("referrals_accepted")),
        say(&e("engaged")),
        say(&e("completed")),
    )];
    out.push(format!(
        "{} delivered, reaching {} by name and {} in groups without names.",
        say_n(&e("sessions_delivered"), "session was", "sessions were"),
        say_n(&e("participants_reached"), "participant", "participants"),
        say_n(&e("anonymous_headcount"), "attendee", "attendees"),
    ));
    let all = "/reoffending/groups/all/";
    let g = |m: &str, k: Kind| r.cell(&format!("{all}{m}"), m, "all", k);
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
    } else if body.reoffending.data_as_of.is_none() {
        out.push(
            "Reoffending cannot be measured yet: no police offence data has been imported."
                .to_string(),
        );
    } else if measurable == 0 {
        out.push(format!(
            "No one referred in this period can be measured for reoffending yet: {} awaiting \
             the end of follow-up and {} not matched to police records.",
            say(&g("awaiting_follow_up", Kind::Count)),
            say(&g("unmatched", Kind::Count)),
        ));
    } else {
        let rate = g("reoffending_rate", Kind::Rate);
        let ci = r.cell(
            &format!("{all}reoffending_rate_ci/0"),
            "ci_low",
            "all",
            Kind::Rate,
        );
        let hi = r.cell(
            &format!("{all}reoffending_rate_ci/1"),
            "ci_high",
            "all",
            Kind::Rate,
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
            say_n(&g("measurable", Kind::Count), "person", "people"),
            say(&g("reoffenders", Kind::Count)),
            say(&rate),
            say(&g("unmatched", Kind::Count)),
            say(&g("awaiting_follow_up", Kind::Count)),
        ));
        if measurable < CAUTION_BELOW {
            out.push(format!(
                "Interpret with caution: fewer than {CAUTION_BELOW} people could be measured, \
                 so the reoffending rate is very uncertain."
            ));
        }
    }
    if let Some(c) = &body.reoffending.comparison {
        out.push(format!(
            "Compared with {}: {}",
            c.comparison_label, c.statement
        ));
    }
    for (i, m) in body.outcomes.iter().enumerate() {
        let base = format!("/outcomes/{i}/");
        let cell = |n: &str, k: Kind| r.cell(&format!("{base}{n}"), n, &m.measure, k);
        let pairs = cell("pairs", Kind::Count);
        if pairs.value == Some(0.0) {
            continue;
        }
        out.push(format!(
            "{}: for {} with a baseline and an exit score, the mean went from {} to {} \
             (change {}); {} improved.",
            m.measure,
            say_n(&pairs, "person", "people"),
            say(&cell("mean_baseline", Kind::Decimal)),
            say(&cell("mean_exit", Kind::Decimal)),
            say(&cell("mean_change", Kind::Change)),
            say(&cell("improved", Kind::Rate)),
        ));
    }
    let m = |n: &str| r.cell(&format!("/money/{n}"), n, "", Kind::Money);
    if body.money.money.allocated_gbp > 0.0 {
        out.push(format!(
            "Allocated funding of {} gives a cost of {} per participant and {} per completion.",
            say(&m("allocated_gbp")),
            say(&m("cost_per_participant")),
            say(&m("cost_per_completion")),
        ));
    }
    out
}

fn caveats(r: &Reader) -> Vec<String> {
    let body = &r.report.body;
    let mut out = vec![
        "Reoffending follows the Ministry of Justice proven reoffending measure: a proven \
         offence committed in the follow-up period and proven by the end of the waiting \
         period. Offences not recorded by the police force are not counted."
            .to_string(),
        body.reoffending.before_after.caveat.to_string(),
        "Differences between programmes, groups or periods are not evidence that a \
         programme caused them: the people referred differ."
            .to_string(),
    ];
    if let Some(note) = &body.reoffending.note {
        out.push(note.clone());
    }
    if !body.reoffending.before_after.uncosted_groups.is_empty() {
        let groups: Vec<String> = body
            .reoffending
            .before_after
            .uncosted_groups
            .iter()
            .map(|g| g.to_string())
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
type Column = (&'static str, &'static str, Kind);

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
    }
}

/// A table of one value per metric: `(metric, label, kind)` read under `base`.
fn figures_table(
    r: &Reader,
    id: &str,
    caption: &str,
    base: &str,
    group: &str,
    rows: &[(&str, &str, Kind)],
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
                .map(|row| row.label.clone())
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
    Chart {
        kind,
        title: title.to_string(),
        desc: desc.to_string(),
        table: index,
        columns,
        svg,
    }
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
            ("referrals_received", "Referred", Kind::Count),
            ("referrals_accepted", "Accepted", Kind::Count),
            ("engaged", "Engaged", Kind::Count),
            ("completed", "Completed", Kind::Count),
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
            ("referrals_declined", "Referrals declined", Kind::Count),
            (
                "referrals_pending",
                "Referrals pending a decision",
                Kind::Count,
            ),
            ("acceptance_rate", "Acceptance rate", Kind::Rate),
            ("withdrawn", "Withdrawn", Kind::Count),
            ("disengaged", "Disengaged", Kind::Count),
            ("completion_rate", "Completion rate", Kind::Rate),
            (
                "median_days_to_first_session",
                "Median days from referral to first session",
                Kind::Measure,
            ),
            ("sessions_delivered", "Sessions delivered", Kind::Count),
            ("attendance_rate", "Attendance rate", Kind::Rate),
            (
                "participants_reached",
                "Participants reached (named)",
                Kind::Count,
            ),
            (
                "anonymous_headcount",
                "Attendees without names (headcount)",
                Kind::Count,
            ),
            (
                "mean_group_headcount",
                "Mean headcount per group session",
                Kind::Measure,
            ),
            ("hours_delivered", "Hours delivered", Kind::Measure),
            ("hours_required", "Hours required", Kind::Measure),
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
    let columns: [Column; 8] = [
        ("referrals_received", "Referred", Kind::Count),
        ("referrals_accepted", "Accepted", Kind::Count),
        ("engaged", "Engaged", Kind::Count),
        ("completed", "Completed", Kind::Count),
        ("acceptance_rate", "Acceptance rate", Kind::Rate),
        ("completion_rate", "Completion rate", Kind::Rate),
        ("sessions_delivered", "Sessions", Kind::Count),
        ("attendance_rate", "Attendance rate", Kind::Rate),
    ];
    let rows = r
        .report
        .body
        .trend
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let prefix = format!("/trend/{i}/engagement/");
            r.row(q.quarter.clone(), &prefix, &q.quarter, &columns)
        })
        .collect();
    let table = Table {
        id: "quarterly_trend".to_string(),
        caption: "Engagement by quarter".to_string(),
        head: head("Quarter", &columns),
        rows,
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
    s
}

fn reoffending_section(r: &Reader) -> Section {
    let body = &r.report.body;
    let re = &body.reoffending;
    let mut s = section("reoffending", "Reoffending");
    s.paragraphs.push(format!(
        "Proven reoffending within {} months of the {} date, proven within a further {} \
         months, for people whose police records were available by {}. Each person is \
         counted once, at their earliest referral in the period.",
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
    let columns: [Column; 14] = [
        ("cohort", "Cohort", Kind::Count),
        ("unmatched", "Not matched to police records", Kind::Count),
        ("awaiting_follow_up", "Awaiting follow-up", Kind::Count),
        ("without_index_date", "No index date", Kind::Count),
        ("measurable", "Measurable", Kind::Count),
        ("reoffenders", "Reoffenders", Kind::Count),
        ("reoffending_rate", "Reoffending rate", Kind::Rate),
        ("reoffending_rate_ci/0", "95% CI low", Kind::Rate),
        ("reoffending_rate_ci/1", "95% CI high", Kind::Rate),
        ("reoffences", "Proven reoffences", Kind::Count),
        ("frequency", "Reoffences per person", Kind::Decimal),
        (
            "reoffences_per_reoffender",
            "Reoffences per reoffender",
            Kind::Decimal,
        ),
        (
            "mean_days_to_first_reoffence",
            "Mean days to first reoffence",
            Kind::Measure,
        ),
        (
            "median_days_to_first_reoffence",
            "Median days to first reoffence",
            Kind::Measure,
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
            .map(|row| format!("{} {}", row.label, row.cells[6].text))
            .collect::<Vec<_>>()
            .join(", ")
    );
    s.charts.push(chart(
        ChartKind::Interval,
        "Reoffending rate by group",
        &desc,
        (0, &table),
        vec![6, 7, 8],
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
    if let Some(c) = &re.comparison {
        s.paragraphs.push(format!(
            "Comparison with {}: {}",
            c.comparison_label, c.statement
        ));
        s.tables.push(figures_table(
            r,
            "reoffending_comparison",
            "Comparison of reoffending rates",
            "/reoffending/comparison/",
            &c.comparison_label,
            &[
                (
                    "treatment_measurable",
                    "This programme: measurable",
                    Kind::Count,
                ),
                (
                    "treatment_reoffenders",
                    "This programme: reoffenders",
                    Kind::Count,
                ),
                (
                    "treatment_rate",
                    "This programme: reoffending rate",
                    Kind::Rate,
                ),
                (
                    "comparison_measurable",
                    "Comparison: measurable",
                    Kind::Count,
                ),
                (
                    "comparison_reoffenders",
                    "Comparison: reoffenders",
                    Kind::Count,
                ),
                (
                    "comparison_rate",
                    "Comparison: reoffending rate",
                    Kind::Rate,
                ),
                ("difference", "Difference", Kind::Points),
                ("difference_ci/0", "Difference, 95% CI low", Kind::Points),
                ("difference_ci/1", "Difference, 95% CI high", Kind::Points),
                ("p_value", "p-value (two-proportion z-test)", Kind::PValue),
                (
                    "fisher_p_value",
                    "p-value (Fisher's exact test)",
                    Kind::PValue,
                ),
            ],
        ));
    }
    s
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
    let row = |label: &str, group: &str, cols: [(&str, Kind); 3]| Row {
        label: label.to_string(),
        cells: cols
            .iter()
            .zip(["before", "after", "change"])
            .map(|((m, k), metric)| r.cell(&format!("{base}{m}"), metric, group, *k))
            .collect(),
    };
    s.tables.push(Table {
        id: "before_after".to_string(),
        caption: "Offences and cost of crime before and after (descriptive)".to_string(),
        head,
        rows: vec![
            row(
                "Proven offences",
                "offences",
                [
                    ("offences_before", Kind::Count),
                    ("offences_after", Kind::Count),
                    ("offences_change", Kind::Rate),
                ],
            ),
            row(
                "Cost of crime",
                "cost_gbp",
                [
                    ("cost_before_gbp", Kind::Money),
                    ("cost_after_gbp", Kind::Money),
                    ("cost_change", Kind::Rate),
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
        ("pairs", "Pairs", Kind::Count),
        ("mean_baseline", "Mean at baseline", Kind::Decimal),
        ("mean_exit", "Mean at exit", Kind::Decimal),
        ("mean_change", "Mean change", Kind::Change),
        ("mean_change_ci/0", "95% CI low", Kind::Change),
        ("mean_change_ci/1", "95% CI high", Kind::Change),
        ("improved", "Improved", Kind::Rate),
        ("unchanged", "Unchanged", Kind::Rate),
        ("worsened", "Worsened", Kind::Rate),
        ("p_value", "p-value (paired t)", Kind::PValue),
        ("wilcoxon_p_value", "p-value (Wilcoxon)", Kind::PValue),
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
        format_value(Kind::Measure, body.provenance.parameters.positive_threshold)
    ));
    let columns: [Column; 8] = [
        ("respondents_baseline", "Respondents before", Kind::Count),
        ("respondents_exit", "Respondents after", Kind::Count),
        ("mean_baseline", "Mean before", Kind::Decimal),
        ("mean_exit", "Mean after", Kind::Decimal),
        ("positive_share_baseline", "Positive before", Kind::Rate),
        ("positive_share_exit", "Positive after", Kind::Rate),
        ("change_pp", "Change in positive share", Kind::Points),
        ("relative_change", "Relative change", Kind::Rate),
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
        ("referrals", "Referrals", Kind::Count),
        ("engaged", "Engaged", Kind::Count),
        ("completed", "Completed", Kind::Count),
        ("measurable", "Measurable", Kind::Count),
        ("reoffenders", "Reoffenders", Kind::Count),
        ("reoffending_rate", "Reoffending rate", Kind::Rate),
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
    s.paragraphs.push(
        "Cost per participant is the allocated funding divided by everyone reached, named \
         or counted in groups; cost per completion divides it by completed referrals."
            .to_string(),
    );
    s.tables.push(figures_table(
        r,
        "money",
        "Funding",
        "/money/",
        "",
        &[
            ("allocated_gbp", "Allocated funding", Kind::Money),
            ("cost_per_participant", "Cost per participant", Kind::Money),
            ("cost_per_completion", "Cost per completion", Kind::Money),
        ],
    ));
    if body.money.targets.is_empty() {
        s.paragraphs
            .push("No targets are recorded for this period.".to_string());
        return s;
    }
    let columns: [Column; 6] = [
        ("target", "Target", Kind::Measure),
        ("achieved", "Achieved", Kind::Measure),
        ("percent_of_target", "% of target", Kind::Rate),
        (
            "pro_rata_expected",
            "Expected by now (pro rata)",
            Kind::Measure,
        ),
        ("percent_of_pro_rata", "% of expected", Kind::Rate),
        ("rag", "Status", Kind::Text),
    ];
    s.tables.push(Table {
        id: "targets".to_string(),
        caption: "Targets: green is at least 90% of the pro-rata expectation, amber at least \
                  70%, red below"
            .to_string(),
        head: head("Measure", &columns),
        rows: body
            .money
            .targets
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let group = format!("{} {}", t.metric, t.financial_year);
                let label = format!("{} ({})", category_label(&t.metric), t.financial_year);
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
    let rows: Vec<(&str, &str, String)> = vec![
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
            "Targets pro-rated to",
            p.parameters.report_date.to_string(),
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
    s.tables.push(Table {
        id: "provenance".to_string(),
        caption: "Provenance".to_string(),
        head: vec!["Item".to_string(), "Value".to_string()],
        rows: rows
            .into_iter()
            .map(|(metric, label, value)| Row {
                label: label.to_string(),
                cells: vec![text_cell(metric, "", value)],
            })
            .collect(),
    });
    s
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
        assert_eq!(format_value(Kind::Count, 1234.0), "1,234");
        assert_eq!(format_value(Kind::Count, 12.0), "12");
        assert_eq!(format_value(Kind::Rate, 0.75), "75.0%");
        assert_eq!(format_value(Kind::Rate, 1.0 / 3.0), "33.3%");
        assert_eq!(format_value(Kind::Money, 5000.0), "£5,000.00");
        assert_eq!(format_value(Kind::Money, 1234567.891), "£1,234,567.89");
        assert_eq!(format_value(Kind::Decimal, 2.5), "2.50");
        assert_eq!(format_value(Kind::Change, 1.5), "+1.50");
        assert_eq!(format_value(Kind::Change, -0.25), "-0.25");
        assert_eq!(format_value(Kind::Measure, 15.0), "15");
        assert_eq!(format_value(Kind::Measure, 294.666), "294.7");
        assert_eq!(format_value(Kind::PValue, 0.0004), "<0.001");
        assert_eq!(format_value(Kind::PValue, 0.0456), "0.046");
        assert_eq!(format_value(Kind::Points, 0.125), "+12.5 pp");
    }

    #[test]
    fn categories_read_as_words() {
        assert_eq!(category_label("youth_justice"), "Youth justice");
        assert_eq!(category_label("District A"), "District A");
        assert_eq!(category_label("10-13"), "10-13");
    }
}
