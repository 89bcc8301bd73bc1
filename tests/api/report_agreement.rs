//! Every figure agrees in every format. The checker walks every figure of a report's JSON
//! (every number, and in published mode every withheld marker) and finds it, formatted by
//! this file's own rules for its unit, in HTML (the cell with its `data-pointer`), CSV (the
//! exact number), XLSX (read back with openpyxl: the number with the number format of its
//! unit, so a value in points with a percentage format fails) and PDF (pdftotext, on the
//! line of its row inside its table). The units are decided here from the JSON names, not
//! by the code under test, so a figure multiplied by 100 twice cannot pass. It runs over
//! every programme of the small demo in internal and published mode, and over the
//! hand-computed fixture; and it is itself tested by corrupting one figure in each format.

use outcomes::evaluation::units::WITHHELD_SYMBOL;
use std::collections::{BTreeMap, HashMap};
use std::process::Command;

use chrono::NaiveDate;
use outcomes::demo::{self, DemoOptions, Scale, Silent};
use outcomes::evaluation::cost::CostTables;
use outcomes::evaluation::report::Report;
use outcomes::reports::view::{view, Cell, ReportView, Section, Table};
use outcomes::reports::{build, csv as report_csv, html, xlsx, ReportRequest};
use outcomes::store::{self, report_rows::ReportScope};
use serde_json::Value;

use crate::imports::{fresh_db, secret};

/// The unit of a figure, decided from its name in the JSON.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Unit {
    Count,
    /// A fraction shown as a percentage.
    Rate,
    Money,
    /// Two decimals.
    Decimal,
    /// Signed, two decimals.
    Change,
    /// At most one decimal (days, hours, mean headcount).
    OneDecimal,
    PValue,
    /// A difference of two fractions, in percentage points.
    FractionPoints,
    /// Already in percentage points.
    Points,
}

/// JSON names that are parameters or identifiers, not figures of a table, and why.
const NOT_FIGURES: [(&str, &str); 13] = [
    (
        "programme_id",
        "an identifier (the programmes side by side)",
    ),
    ("minimum_cohort", "a parameter (provenance, as text)"),
    (
        "aggregate_minimum",
        "a parameter, said in the reoffending section's notes",
    ),
    ("programme_id", "an identifier (units left out are named)"),
    (
        "cost_per_participant",
        "DESIGN.md 4.4's people-plus-attendances figure, kept for the API; reports show it split",
    ),
    ("measure_id", "an identifier"),
    (
        "higher_is_better",
        "the measure's direction, said in the section's text",
    ),
    (
        "positive_threshold",
        "a parameter, said in the section's text",
    ),
    ("before_months", "a parameter, said in the section's text"),
    (
        "follow_up_months",
        "a parameter, said in the section's text",
    ),
    ("waiting_months", "a parameter, said in the section's text"),
    ("threshold", "a parameter (provenance, as text)"),
    (
        "year_elapsed",
        "the pro-rata date, said in the targets' caption",
    ),
];

fn unit(json: &Value, pointer: &str) -> Unit {
    let parts: Vec<&str> = pointer.split('/').collect();
    let mut name = *parts.last().unwrap();
    if name.parse::<usize>().is_ok() && parts.len() > 1 {
        name = parts[parts.len() - 2];
    }
    if matches!(name, "target" | "achieved" | "pro_rata_expected") {
        let parent = &pointer[..pointer.rfind('/').unwrap()];
        let metric = json
            .pointer(&format!("{parent}/metric"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        return if metric.ends_with("_rate") {
            Unit::Rate
        } else if metric.starts_with("hours_") {
            Unit::OneDecimal
        } else {
            Unit::Count
        };
    }
    match name {
        "reoffending_rate_ci" | "treatment_rate_ci" | "comparison_rate_ci" => Unit::Rate,
        "treated_share" | "pool_share" | "comparison_share" => Unit::Rate,
        "standardised_difference_before" | "standardised_difference_after" => Unit::Change,
        "z" => Unit::Decimal,
        "effective_comparison_size" => Unit::OneDecimal,
        "mean_change_ci" | "mean_change" => Unit::Change,
        "difference_ci" | "difference" => Unit::FractionPoints,
        "change_pp" => Unit::Points,
        "p_value" | "wilcoxon_p_value" | "fisher_p_value" => Unit::PValue,
        "mean_baseline" | "mean_exit" | "frequency" | "reoffences_per_reoffender" => Unit::Decimal,
        "median_days_to_first_session"
        | "mean_days_to_first_reoffence"
        | "median_days_to_first_reoffence"
        | "hours_delivered"
        | "hours_required"
        | "mean_group_headcount"
        | "mean_attendances_per_session" => Unit::OneDecimal,
        "improved"
        | "unchanged"
        | "worsened"
        | "relative_change"
        | "offences_change"
        | "cost_change"
        | "percent_of_target"
        | "percent_of_pro_rata" => Unit::Rate,
        "allocation_share" => Unit::Rate,
        n if n.ends_with("_rate") || n.starts_with("positive_share_") => Unit::Rate,
        n if n.ends_with("_gbp") || n.starts_with("cost_per_") => Unit::Money,
        _ => Unit::Count,
    }
}

fn thousands(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
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

fn signed(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if x > 0.0 {
        format!("+{s}")
    } else {
        s
    }
}

/// How a page shows `x` of `unit` (docs/reports.md, presentation rules): what rounds to
/// zero has no sign.
fn shown(unit: Unit, x: f64) -> String {
    let text = shown_signed(unit, x);
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if digits.chars().all(|c| c == '0') {
        text.replacen(['-', '+'], "", 1)
    } else {
        text
    }
}

fn shown_signed(unit: Unit, x: f64) -> String {
    match unit {
        Unit::Count => thousands(x.round() as i64),
        Unit::Rate => format!("{:.1}%", x * 100.0),
        Unit::Money => {
            let pence = (x * 100.0).round() as i64;
            let sign = if pence < 0 { "-" } else { "" };
            format!(
                "{sign}£{}.{:02}",
                thousands(pence.abs() / 100),
                pence.abs() % 100
            )
        }
        Unit::Decimal => format!("{x:.2}"),
        Unit::Change => signed(x, 2),
        // Days and hours: one decimal (none when it is 0) with thousands separators.
        Unit::OneDecimal => {
            let tenths = format!("{x:.1}");
            let (sign, tenths) = match tenths.strip_prefix('-') {
                Some(t) => ("-", t),
                None => ("", tenths.as_str()),
            };
            let (whole, tenth) = tenths.split_once('.').unwrap();
            let whole = thousands(whole.parse::<i64>().unwrap());
            if tenth == "0" {
                format!("{sign}{whole}")
            } else {
                format!("{sign}{whole}.{tenth}")
            }
        }
        Unit::PValue if x < 0.001 => "<0.001".to_string(),
        Unit::PValue => format!("{x:.3}"),
        Unit::FractionPoints => format!("{} pp", signed(x * 100.0, 1)),
        Unit::Points => format!("{} pp", signed(x, 1)),
    }
}

/// The Excel number format of `unit`.
fn excel_format(unit: Unit) -> &'static str {
    match unit {
        Unit::Count => "#,##0",
        Unit::Rate => "0.0%",
        Unit::Money => "\"£\"#,##0.00",
        Unit::Decimal => "0.00",
        Unit::Change => "+0.00;-0.00;0.00",
        Unit::OneDecimal => "#,##0.0",
        Unit::PValue => "0.000",
        Unit::FractionPoints => "+0.0%;-0.0%;0.0%",
        Unit::Points => "+0.0\" pp\";-0.0\" pp\";0.0\" pp\"",
    }
}

/// What the JSON says a figure is.
#[derive(Debug, Clone, PartialEq)]
enum Figure {
    Number(f64),
    Withheld(String),
    Null,
}

/// The figure at `pointer`, or the withheld marker or null of a value containing it (a
/// withheld interval is one marker in the JSON and two cells in the tables). `None` for
/// text that is not a figure.
fn figure(report: &Report, json: &Value, pointer: &str) -> Option<Figure> {
    let mut p = pointer.to_string();
    loop {
        match json.pointer(&p) {
            Some(Value::Number(n)) if p == pointer => return Some(Figure::Number(n.as_f64()?)),
            Some(Value::String(s)) if report.suppressed_at(&p) == Some(s.as_str()) => {
                return Some(Figure::Withheld(s.clone()))
            }
            Some(Value::Null) => return Some(Figure::Null),
            Some(_) => return None,
            None => {}
        }
        match p.rfind('/') {
            Some(0) | None => return None,
            Some(i) => p.truncate(i),
        }
    }
}

/// The words shown for a figure withheld by the unit rules at `pointer` (or a value
/// containing it).
fn withheld_words(report: &Report, pointer: &str) -> String {
    let mut p = pointer;
    loop {
        if let Some(w) = report.withheld_at(p) {
            return w.text();
        }
        match p.rfind('/') {
            Some(0) | None => return WITHHELD_SYMBOL.to_string(),
            Some(i) => p = &p[..i],
        }
    }
}

/// Every figure leaf of the JSON: numbers, and withheld markers.
fn json_figures(report: &Report, v: &Value, pointer: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if pointer == "/provenance" || NOT_FIGURES.iter().any(|(n, _)| n == k) {
                    continue;
                }
                json_figures(report, x, format!("{pointer}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                json_figures(report, x, format!("{pointer}/{i}"), out);
            }
        }
        Value::Number(_) => out.push(pointer),
        Value::String(s) if report.suppressed_at(&pointer) == Some(s.as_str()) => out.push(pointer),
        _ => {}
    }
}

/// One report in every format, as the checker reads them.
pub struct Rendered {
    pub csv: Vec<u8>,
    pub html: String,
    pub xlsx: Vec<u8>,
    pub pdf: Option<Vec<u8>>,
}

impl Rendered {
    pub fn of(v: &ReportView) -> Rendered {
        Rendered {
            csv: report_csv::render(v).unwrap(),
            html: html::render_document(v).unwrap(),
            xlsx: xlsx::render(v).unwrap(),
            #[cfg(feature = "pdf")]
            pdf: Some(outcomes::reports::pdf::render(v).unwrap()),
            #[cfg(not(feature = "pdf"))]
            pdf: None,
        }
    }
}

/// CSV rows by (section, metric, group) → (value, suppressed).
fn csv_rows(bytes: &[u8]) -> HashMap<(String, String, String), Vec<(String, String)>> {
    let mut r = csv::Reader::from_reader(bytes);
    let mut out: HashMap<_, Vec<_>> = HashMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        out.entry((rec[0].to_string(), rec[1].to_string(), rec[2].to_string()))
            .or_default()
            .push((rec[3].to_string(), rec[4].to_string()));
    }
    out
}

/// Every sheet's cells as `[value, number_format]`, read by openpyxl.
pub fn xlsx_cells(bytes: &[u8]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.xlsx");
    std::fs::write(&path, bytes).unwrap();
    let script = "import json, sys, openpyxl\n\
        wb = openpyxl.load_workbook(sys.argv[1])\n\
        out = {ws.title: [[[c.value, c.number_format] for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}\n\
        print(json.dumps(out, default=str))\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .expect("python3 runs (with openpyxl: python3 -m pip install openpyxl)");
    assert!(
        out.status.success(),
        "openpyxl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

pub fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs (apt-get install poppler-utils)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The contents of every `<td>` carrying `data-pointer="pointer"`.
fn html_cells<'a>(html: &'a str, pointer: &str) -> Vec<&'a str> {
    let attr = format!("data-pointer=\"{}\"", html_escape(pointer));
    html.match_indices(&attr)
        .map(|(at, _)| {
            let rest = &html[at..];
            let open = rest.find('>').unwrap() + 1;
            // `data-pointer="…" data-metric="…">`
            let close = rest.find("</td>").unwrap();
            &rest[open..close]
        })
        .collect()
}

/// The `[value, format]` cells right of row `label` of the table captioned `caption`.
fn xlsx_row<'a>(cells: &'a Value, sheet: &str, caption: &str, label: &str) -> Option<&'a [Value]> {
    let rows = cells.get(sheet)?.as_array()?;
    let start = rows.iter().position(|r| r[0][0] == caption)?;
    let row = rows[start + 2..]
        .iter()
        .take_while(|r| !r[0][0].is_null())
        .find(|r| r[0][0] == label)?;
    Some(&row.as_array()?[1..])
}

/// The lines of the PDF text from `table`'s caption to the next table's caption.
fn pdf_region<'a>(lines: &[&'a str], captions: &[String], caption: &str) -> Vec<&'a str> {
    let key = |c: &str| c.chars().take(40).collect::<String>();
    let mine = key(caption);
    let mut out = Vec::new();
    let mut inside = false;
    for l in lines {
        let is_caption = |c: &String| l.contains(&key(c));
        if l.contains(&mine) {
            inside = true;
            continue;
        }
        if inside && captions.iter().any(|c| key(c) != mine && is_caption(c)) {
            inside = false;
        }
        if inside {
            out.push(*l);
        }
    }
    out
}

/// The lines of a region that start with a row's label (or, where a long label wraps,
/// with its longest leading words that start a line).
fn pdf_row_lines<'a>(region: &[&'a str], label: &str) -> Vec<&'a str> {
    let words: Vec<&str> = label.split_whitespace().collect();
    for n in (1..=words.len()).rev() {
        let prefix = words[..n].join(" ");
        let found: Vec<&str> = region
            .iter()
            .filter(|l| l.trim_start().starts_with(&prefix))
            .copied()
            .collect();
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

/// Every disagreement between the JSON and the other formats, as sentences.
pub fn disagreements(report: &Report, v: &ReportView, r: &Rendered) -> Vec<String> {
    let json = report.to_json();
    let mut errors = Vec::new();
    // Every figure of the JSON is in a table.
    let mut leaves = Vec::new();
    json_figures(report, &json, String::new(), &mut leaves);
    let cells: Vec<(&Section, &Table, &str, usize, &Cell)> = v
        .sections
        .iter()
        .flat_map(|s| {
            s.tables.iter().flat_map(move |t| {
                t.rows.iter().flat_map(move |row| {
                    row.cells
                        .iter()
                        .enumerate()
                        .map(move |(i, c)| (s, t, row.label.as_str(), i, c))
                })
            })
        })
        .filter(|x| !x.4.pointer.is_empty())
        .collect();
    let collapsed: Vec<&String> = v.sections.iter().flat_map(|s| &s.collapsed).collect();
    for leaf in &leaves {
        let covered = cells
            .iter()
            .any(|(.., c)| c.pointer == *leaf || c.pointer.starts_with(&format!("{leaf}/")));
        let left_out = collapsed
            .iter()
            .any(|c| *c == leaf || leaf.starts_with(&format!("{c}/")));
        // Empty, or withheld by the unit rules (the section says why instead).
        let nothing = match figure(report, &json, leaf) {
            Some(Figure::Null) | Some(Figure::Number(0.0)) => true,
            Some(Figure::Withheld(s)) => s == WITHHELD_SYMBOL,
            _ => false,
        };
        if left_out && !nothing {
            errors.push(format!("{leaf}: left out as empty but it is not"));
        } else if !covered && !left_out {
            errors.push(format!("{leaf}: in the JSON but in no table"));
        }
    }
    let csv = csv_rows(&r.csv);
    let xlsx = xlsx_cells(&r.xlsx);
    let pdf = r.pdf.as_ref().map(|b| pdf_text(b));
    let pdf_lines: Vec<&str> = pdf
        .as_deref()
        .map(|t| t.lines().collect())
        .unwrap_or_default();
    let captions: Vec<String> = v
        .sections
        .iter()
        .flat_map(|s| s.tables.iter().map(|t| t.caption.clone()))
        .collect();
    for (section, table, label, column, cell) in cells {
        let p = &cell.pointer;
        let Some(fig) = figure(report, &json, p) else {
            continue;
        };
        let u = unit(&json, p);
        let text = match &fig {
            Figure::Number(x) => shown(u, *x),
            // Withheld by the unit rules (issue 21): every format says why in words.
            Figure::Withheld(s) if s == WITHHELD_SYMBOL => withheld_words(report, p),
            Figure::Withheld(s) => s.clone(),
            Figure::Null => "–".to_string(),
        };
        // HTML: every cell of this figure shows its text.
        let tds = html_cells(&r.html, p);
        if tds.is_empty() {
            errors.push(format!("HTML {p}: no cell"));
        }
        for td in tds {
            if td != html_escape(&text) {
                errors.push(format!("HTML {p}: '{td}', expected '{text}'"));
            }
        }
        // CSV: the exact number, or the marker with suppressed = true.
        let key = (section.id.clone(), cell.metric.clone(), cell.group.clone());
        match csv.get(&key).map(Vec::as_slice) {
            Some([(value, suppressed)]) => {
                let ok = match &fig {
                    Figure::Number(x) => {
                        suppressed == "false" && value.parse::<f64>().is_ok_and(|y| close(y, *x))
                    }
                    Figure::Withheld(_) => value == &text && suppressed == "true",
                    Figure::Null => value.is_empty() && suppressed == "false",
                };
                if !ok {
                    errors.push(format!(
                        "CSV {p}: '{value}' ({suppressed}), expected {fig:?}"
                    ));
                }
            }
            other => errors.push(format!("CSV {p}: {key:?} gives {other:?}")),
        }
        // XLSX: the number with its unit's format, or the text.
        match xlsx_row(&xlsx, &xlsx::sheet_name(section), &table.caption, label) {
            None => errors.push(format!("XLSX {p}: no row '{label}' in '{}'", table.caption)),
            Some(row) => {
                let (value, format) = (&row[column][0], row[column][1].as_str().unwrap_or(""));
                let ok = match &fig {
                    Figure::Number(x) => {
                        value.as_f64().is_some_and(|y| close(y, *x)) && format == excel_format(u)
                    }
                    _ => value.as_str() == Some(text.as_str()),
                };
                if !ok {
                    errors.push(format!(
                        "XLSX {p}: {value} '{format}', expected '{text}' ({})",
                        excel_format(u)
                    ));
                }
            }
        }
        // PDF: on its row's line inside its table.
        if pdf.is_some() {
            let region = pdf_region(&pdf_lines, &captions, &table.caption);
            let lines = pdf_row_lines(&region, label);
            if !lines.iter().any(|l| {
                l.split("  ").map(str::trim).any(|part| {
                    part == text
                            || part.ends_with(&format!(" {text}"))
                            // The words of a withheld figure wrap in a narrow column:
                            // their first line is on the row's line.
                            || (matches!(fig, Figure::Withheld(ref s) if s == WITHHELD_SYMBOL)
                                && part.len() >= 10
                                && text.starts_with(part))
                })
            }) {
                errors.push(format!(
                    "PDF {p}: '{text}' not on a line of '{label}' in '{}': {lines:?}",
                    table.caption
                ));
            }
        }
    }
    errors
}

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
}

/// The small demo's every programme, 2024-25, in one mode (for the PDF checks).
#[cfg(feature = "pdf")]
pub fn demo_reports_of(conn: &mut outcomes::db::DbConn, published: bool) -> Vec<Report> {
    demo_reports(conn, published)
}

fn demo_reports(conn: &mut outcomes::db::DbConn, published: bool) -> Vec<Report> {
    let programmes = store::programmes::all(conn).unwrap();
    assert_eq!(programmes.len(), 8, "the small demo has 8 programmes");
    programmes
        .iter()
        .map(|p| {
            let mut request = ReportRequest::new(
                ReportScope::Programme(p.id),
                p.fields.name.clone(),
                "2024-25".parse().unwrap(),
            );
            request.report_date = Some(as_of());
            request.published = published;
            build(conn, &request, &CostTables::embedded().unwrap()).unwrap()
        })
        .collect()
}

pub fn seeded() -> crate::imports::Db {
    let mut db = fresh_db();
    let options = DemoOptions {
        scale: Scale::Small,
        seed: 1,
        as_of: as_of(),
    };
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    demo::seed(&mut db.conn, &options, &secret(), today, &mut Silent).unwrap();
    db
}

#[test]
fn every_figure_of_every_demo_programme_agrees_in_every_format() {
    let mut db = seeded();
    let mut checked = 0;
    for published in [false, true] {
        for report in demo_reports(&mut db.conn, published) {
            let v = view(&report);
            let errors = disagreements(&report, &v, &Rendered::of(&v));
            assert!(
                errors.is_empty(),
                "{} ({}): {} disagreements:\n{}",
                report.body.programme,
                if published { "published" } else { "internal" },
                errors.len(),
                errors.join("\n")
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 16);
}

/// Issue 19: the demo's funding streams' reports (the Immediate Justice stream funds two
/// models) start with their programmes side by side; every figure of those rows agrees in
/// every format too, hidden ones included.
#[test]
fn every_figure_of_the_demos_funding_stream_reports_agrees_in_every_format() {
    let mut db = seeded();
    let streams = store::funding_streams::all(&mut db.conn).unwrap();
    let mut rows = 0;
    for published in [false, true] {
        for stream in &streams {
            let mut request = ReportRequest::new(
                ReportScope::FundingStream(stream.id),
                stream.name.clone(),
                "2024-25".parse().unwrap(),
            );
            request.report_date = Some(as_of());
            request.published = published;
            let report = build(&mut db.conn, &request, &CostTables::embedded().unwrap()).unwrap();
            rows += report.body.programmes.len();
            let v = view(&report);
            // Known and separate: in a pooled report, two programmes' targets of the same
            // metric and year share their row label ("completed 2024-25"), so the CSV and
            // XLSX rows of `/money/targets` cannot be told apart by the checker.
            let errors: Vec<String> = disagreements(&report, &v, &Rendered::of(&v))
                .into_iter()
                .filter(|e| !e.contains(" /money/targets/"))
                .collect();
            assert!(errors.is_empty(), "{}: {}", stream.name, errors.join("\n"));
        }
    }
    assert!(rows >= 4, "{rows} programme rows");
}

#[test]
fn every_figure_of_the_fixture_agrees_in_every_format() {
    for published in [false, true] {
        let mut db = fresh_db();
        let scope = crate::reports::load_fixture(&mut db.conn);
        let report = crate::reports::fixture_report(&mut db.conn, scope, published);
        let v = view(&report);
        let errors = disagreements(&report, &v, &Rendered::of(&v));
        assert!(errors.is_empty(), "{}", errors.join("\n"));
    }
}

/// The agreement check fails when any one figure in any one format is wrong: the group
/// survey's change is multiplied by 100 a second time (the bug of issue 22) in one format
/// at a time, and one count is changed.
#[test]
fn the_agreement_check_fails_when_one_figure_in_one_format_is_wrong() {
    let mut db = seeded();
    let programme = store::programmes::by_name(&mut db.conn, "I Can, I Will").unwrap();
    let mut request = ReportRequest::new(
        ReportScope::Programme(programme[0].id),
        "I Can, I Will".into(),
        "2024-25".parse().unwrap(),
    );
    request.report_date = Some(as_of());
    let report = build(&mut db.conn, &request, &CostTables::embedded().unwrap()).unwrap();
    let good = view(&report);
    let fine = Rendered::of(&good);
    assert_eq!(disagreements(&report, &good, &fine), Vec::<String>::new());
    let target = "/group_surveys/0/change_pp";
    let exact = report.to_json().pointer(target).unwrap().as_f64().unwrap();
    // A view whose one cell says the figure ×100: text (pages) and value (files).
    let mut bad = good.clone();
    let cell = bad
        .sections
        .iter_mut()
        .flat_map(|s| s.tables.iter_mut())
        .flat_map(|t| t.rows.iter_mut())
        .flat_map(|r| r.cells.iter_mut())
        .find(|c| c.pointer == target)
        .expect("the survey change is in a table");
    cell.text = format!("+{:.1} pp", exact * 100.0);
    cell.value = Some(exact * 100.0);
    let wrong = Rendered::of(&bad);
    let mut by_format: BTreeMap<&str, Rendered> = BTreeMap::new();
    by_format.insert(
        "HTML",
        Rendered {
            html: wrong.html.clone(),
            ..Rendered::of(&good)
        },
    );
    by_format.insert(
        "CSV",
        Rendered {
            csv: wrong.csv.clone(),
            ..Rendered::of(&good)
        },
    );
    by_format.insert(
        "XLSX",
        Rendered {
            xlsx: wrong.xlsx.clone(),
            ..Rendered::of(&good)
        },
    );
    if wrong.pdf.is_some() {
        by_format.insert(
            "PDF",
            Rendered {
                pdf: wrong.pdf.clone(),
                ..Rendered::of(&good)
            },
        );
    }
    for (format, rendered) in &by_format {
        let errors = disagreements(&report, &good, rendered);
        assert_eq!(errors.len(), 1, "{format}: {errors:?}");
        assert!(
            errors[0].starts_with(&format!("{format} {target}")),
            "{format}: {errors:?}"
        );
    }
    // The same in a count: one session more, in the HTML only.
    let sessions = "/engagement/sessions_delivered";
    let n = report
        .to_json()
        .pointer(sessions)
        .unwrap()
        .as_u64()
        .unwrap();
    let html = fine.html.replacen(
        &format!("data-metric=\"sessions_delivered\">{n}</td>"),
        &format!("data-metric=\"sessions_delivered\">{}</td>", n + 1),
        1,
    );
    assert_ne!(html, fine.html);
    let errors = disagreements(
        &report,
        &good,
        &Rendered {
            html,
            ..Rendered::of(&good)
        },
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    // And a figure that is in the JSON but in no table is found out.
    let mut missing = good.clone();
    for s in &mut missing.sections {
        for t in &mut s.tables {
            t.rows
                .retain(|r| !r.cells.iter().any(|c| c.pointer == sessions));
        }
    }
    let errors = disagreements(&report, &missing, &Rendered::of(&missing));
    assert!(
        errors.contains(&format!("{sessions}: in the JSON but in no table")),
        "{errors:?}"
    );
}

fn demo_report(conn: &mut outcomes::db::DbConn, name: &str, published: bool) -> Report {
    let programme = store::programmes::by_name(conn, name).unwrap();
    let mut request = ReportRequest::new(
        ReportScope::Programme(programme[0].id),
        name.into(),
        "2024-25".parse().unwrap(),
    );
    request.report_date = Some(as_of());
    request.published = published;
    build(conn, &request, &CostTables::embedded().unwrap()).unwrap()
}

/// Issue 22's acceptance: the workshop programme's summary names its sessions, attendances
/// and survey change and says nothing about referrals; its reoffending section is one
/// sentence saying why; measures without pairs are left out with one line naming them.
/// The referral programme's summary says nothing of headcounts; the mixed one has both.
#[test]
fn each_kind_of_programme_gets_a_summary_that_fits_it() {
    use outcomes::reports::view::Delivery;
    let mut db = seeded();
    for published in [false, true] {
        let report = demo_report(&mut db.conn, "I Can, I Will", published);
        let json = report.to_json();
        let v = view(&report);
        assert_eq!(v.delivery, Delivery::Groups);
        let summary = v.summary.join(" ");
        let sessions = json["engagement"]["sessions_delivered"].as_f64().unwrap();
        let headcount = json["engagement"]["anonymous_headcount"].as_f64().unwrap();
        assert!(
            summary.contains(&format!(
                "delivered {} sessions",
                shown(Unit::Count, sessions)
            )),
            "{summary}"
        );
        assert!(
            summary.contains(&format!("{} attendances", shown(Unit::Count, headcount))),
            "{summary}"
        );
        for s in json["group_surveys"].as_array().unwrap() {
            let change = shown(Unit::Points, s["change_pp"].as_f64().unwrap());
            assert!(
                change.starts_with("+3") || change.starts_with("+2"),
                "{change}"
            );
            assert!(
                summary.contains(&format!("a change of {change}")),
                "{summary}"
            );
        }
        assert!(!summary.to_lowercase().contains("referr"), "{summary}");
        assert!(!summary.contains("Interpret with caution"), "{summary}");
        let reoffending = v.sections.iter().find(|s| s.id == "reoffending").unwrap();
        assert!(reoffending.tables.is_empty() && reoffending.charts.is_empty());
        assert_eq!(reoffending.paragraphs.len(), 1);
        assert!(reoffending.paragraphs[0].contains("no one to follow up"));
        assert!(reoffending.warning.is_none());
        let outcomes = v.sections.iter().find(|s| s.id == "outcomes").unwrap();
        assert!(outcomes.tables.is_empty());
        assert!(outcomes.warning.is_none());
        assert!(
            outcomes
                .paragraphs
                .iter()
                .any(|p| p.contains("Feels safe at home (1-5)")),
            "{:?}",
            outcomes.paragraphs
        );
        let breakdowns = v.sections.iter().find(|s| s.id == "breakdowns").unwrap();
        assert!(breakdowns.tables.is_empty());
        assert_eq!(breakdowns.paragraphs.len(), 1);
        // No table anywhere has a header and no rows.
        assert!(v
            .sections
            .iter()
            .all(|s| s.tables.iter().all(|t| !t.rows.is_empty())));
    }
    // Reach: the schools of its group sessions, counted from the sessions table here.
    {
        use diesel::prelude::*;
        use outcomes::db::schema::sessions;
        let id = store::programmes::by_name(&mut db.conn, "I Can, I Will").unwrap()[0].id;
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let venues: Vec<Option<String>> = sessions::table
            .filter(sessions::programme_id.eq(id.0))
            .filter(sessions::headcount.gt(0))
            .filter(sessions::voided_at.is_null())
            .filter(sessions::date.between(day("2024-04-01"), day("2025-03-31")))
            .select(sessions::venue)
            .load(&mut db.conn)
            .unwrap();
        let schools: std::collections::BTreeSet<String> = venues
            .into_iter()
            .flatten()
            .map(|v| v.to_lowercase())
            .collect();
        assert!(schools.len() > 5, "{schools:?}");
        let report = demo_report(&mut db.conn, "I Can, I Will", false);
        assert_eq!(
            report.to_json()["engagement"]["group_venues"],
            schools.len() as u64
        );
        let v = view(&report);
        let summary = v.summary.join(" ");
        assert!(
            summary.contains(&format!("at {} different schools or venues", schools.len())),
            "{summary}"
        );
        assert!(v
            .key_figures
            .iter()
            .any(|k| k.text == schools.len().to_string() && k.label.contains("schools")));
        // Cost per attendance, never per "participant", for a programme of headcounts.
        assert!(
            v.key_figures
                .iter()
                .all(|k| !k.label.contains("participant")),
            "{:?}",
            v.key_figures
        );
    }
    let ij_report = demo_report(&mut db.conn, "Immediate Justice", false);
    // The title block names the provider: two providers may run an "Immediate Justice".
    let ij_programme = &store::programmes::by_name(&mut db.conn, "Immediate Justice").unwrap()[0];
    let provider = store::organisations::list(&mut db.conn)
        .unwrap()
        .into_iter()
        .find(|o| o.id == ij_programme.organisation_id)
        .unwrap()
        .name;
    assert_eq!(ij_report.body.provider.as_deref(), Some(provider.as_str()));
    assert_eq!(ij_report.to_json()["provider"], provider.as_str());
    let ij = view(&ij_report);
    assert!(
        ij.document_title.contains(&provider),
        "{}",
        ij.document_title
    );
    let page = outcomes::reports::html::render_document(&ij).unwrap();
    assert!(
        page.contains(&format!(
            "Provider</dt><dd class=\"govuk-summary-list__value\">{provider}</dd>"
        )),
        "{page}"
    );
    // A referral programme's quarterly reach has no always-empty headcount columns.
    let trend = ij.sections.iter().find(|s| s.id == "trend").unwrap();
    let reach = trend
        .tables
        .iter()
        .find(|t| t.id == "quarterly_sessions")
        .unwrap();
    assert!(
        !reach.head.iter().any(|h| h.contains("without names")
            || h.contains("headcount")
            || h.contains("venues")),
        "{:?}",
        reach.head
    );
    assert!(reach.head.iter().any(|h| h == "Named participants"));
    assert_eq!(ij.delivery, Delivery::Referrals);
    let summary = ij.summary.join(" ");
    assert!(summary.contains("received") && summary.contains("referrals"));
    assert!(summary.contains("The completion rate was "), "{summary}");
    assert!(!summary.contains("headcount"), "{summary}");
    let bus = view(&demo_report(&mut db.conn, "Youth Bus", false));
    assert_eq!(bus.delivery, Delivery::Mixed);
    let summary = bus.summary.join(" ");
    assert!(
        summary.contains("by name") && summary.contains("by headcount"),
        "{summary}"
    );
}

/// The demo's Immediate Justice report of 2024-25 compared with `with`.
pub fn compared_report(
    conn: &mut outcomes::db::DbConn,
    with: outcomes::reports::CompareWith,
    published: bool,
) -> Report {
    let mut request = ReportRequest::new(
        ReportScope::Programme(
            store::programmes::by_name(conn, "Immediate Justice").unwrap()[0].id,
        ),
        "Immediate Justice".into(),
        "2024-25".parse().unwrap(),
    );
    request.report_date = Some(as_of());
    request.published = published;
    request.comparison = Some(with);
    build(conn, &request, &CostTables::embedded().unwrap()).unwrap()
}

/// Issue 19: a report with a comparison (with another programme, and matched from the
/// police extract) has every figure of `reoffending.comparison` in a table of the
/// comparison section, and each agrees in HTML, CSV, XLSX and PDF, in both modes.
#[test]
fn every_figure_of_a_comparison_agrees_in_every_format() {
    use outcomes::reports::CompareWith;
    let mut db = seeded();
    let other =
        store::programmes::by_name(&mut db.conn, "Immediate Justice (tailored workshop only)")
            .unwrap()[0]
            .id;
    for with in [CompareWith::Programme(other), CompareWith::Matched] {
        for published in [false, true] {
            let report = compared_report(&mut db.conn, with, published);
            let c = report
                .body
                .reoffending
                .comparison
                .as_ref()
                .unwrap_or_else(|| {
                    panic!(
                        "{with:?}: no comparison: {:?}",
                        report.body.reoffending.comparison_left_out
                    )
                });
            let v = view(&report);
            let section = v.sections.iter().find(|s| s.id == "comparison").unwrap();
            assert_eq!(
                section.title,
                format!("Compared with {}", c.comparison_label)
            );
            assert_eq!(section.charts.len(), 1);
            let tables: Vec<&str> = section.tables.iter().map(|t| t.id.as_str()).collect();
            let mut want = vec!["comparison_rates", "comparison_difference"];
            if with == CompareWith::Matched {
                want.push("comparison_matching");
                if !published {
                    want.push("comparison_balance");
                }
            }
            assert_eq!(tables, want);
            let errors = disagreements(&report, &v, &Rendered::of(&v));
            assert!(
                errors.is_empty(),
                "{with:?} ({}): {} disagreements:\n{}",
                if published { "published" } else { "internal" },
                errors.len(),
                errors.join("\n")
            );
        }
    }
}
