//! The fixture report of `reports.rs` in every format: the same figures everywhere, and
//! in published mode no count from 1 to 4 anywhere. XLSX is read back with openpyxl and
//! PDF with pdftotext (both installed by .ci/run).

use std::collections::HashMap;
use std::process::Command;

use outcomes::evaluation::report::Report;
use outcomes::reports::view::{view, NumberFormat, ReportView};
use outcomes::reports::{render, xlsx, Format};
use serde_json::Value;

use crate::imports::fresh_db;
use crate::reports::{fixture_report, load_fixture};

fn fixture(published: bool) -> Report {
    let mut db = fresh_db();
    let scope = load_fixture(&mut db.conn);
    fixture_report(&mut db.conn, scope, published)
}

/// A key figure: where it is in the JSON, in the tables, and how a page shows it.
struct Key {
    pointer: &'static str,
    exact: f64,
    section: &'static str,
    table: &'static str,
    row: &'static str,
    metric: &'static str,
    group: &'static str,
    text: &'static str,
}

/// Hand-computed in `reports.rs` (the Wilson interval by the formula in Python).
fn keys() -> Vec<Key> {
    let k = |pointer, exact, section, table, row, metric, group, text| Key {
        pointer,
        exact,
        section,
        table,
        row,
        metric,
        group,
        text,
    };
    let all = "reoffending_groups";
    vec![
        k(
            "/engagement/referrals_received",
            6.0,
            "engagement",
            "engagement_funnel",
            "Referred",
            "referrals_received",
            "",
            "6",
        ),
        k(
            "/engagement/referrals_accepted",
            4.0,
            "engagement",
            "engagement_funnel",
            "Accepted",
            "referrals_accepted",
            "",
            "4",
        ),
        k(
            "/engagement/engaged",
            2.0,
            "engagement",
            "engagement_funnel",
            "Engaged",
            "engaged",
            "",
            "2",
        ),
        k(
            "/engagement/completed",
            1.0,
            "engagement",
            "engagement_funnel",
            "Completed",
            "completed",
            "",
            "1",
        ),
        k(
            "/engagement/acceptance_rate",
            0.8,
            "engagement",
            "engagement_figures",
            "Acceptance rate",
            "acceptance_rate",
            "",
            "80.0%",
        ),
        k(
            "/engagement/completion_rate",
            1.0 / 3.0,
            "engagement",
            "engagement_figures",
            "Completion rate",
            "completion_rate",
            "",
            "33.3%",
        ),
        k(
            "/engagement/attendance_rate",
            0.75,
            "engagement",
            "engagement_figures",
            "Attendance rate",
            "attendance_rate",
            "",
            "75.0%",
        ),
        k(
            "/engagement/median_days_to_first_session",
            15.0,
            "engagement",
            "engagement_figures",
            "Median days from referral to first session",
            "median_days_to_first_session",
            "",
            "15",
        ),
        k(
            "/reoffending/groups/all/measurable",
            4.0,
            "reoffending",
            all,
            "All referred",
            "measurable",
            "all",
            "4",
        ),
        k(
            "/reoffending/groups/all/reoffenders",
            3.0,
            "reoffending",
            all,
            "All referred",
            "reoffenders",
            "all",
            "3",
        ),
        k(
            "/reoffending/groups/all/unmatched",
            1.0,
            "reoffending",
            all,
            "All referred",
            "unmatched",
            "all",
            "1",
        ),
        k(
            "/reoffending/groups/all/reoffending_rate",
            0.75,
            "reoffending",
            all,
            "All referred",
            "reoffending_rate",
            "all",
            "75.0%",
        ),
        k(
            "/reoffending/groups/all/reoffending_rate_ci/0",
            0.300_641_842_6,
            "reoffending",
            all,
            "All referred",
            "reoffending_rate_ci_low",
            "all",
            "30.1%",
        ),
        k(
            "/reoffending/groups/all/reoffending_rate_ci/1",
            0.954_412_739_2,
            "reoffending",
            all,
            "All referred",
            "reoffending_rate_ci_high",
            "all",
            "95.4%",
        ),
        k(
            "/reoffending/groups/engaged/reoffenders",
            2.0,
            "reoffending",
            all,
            "Engaged",
            "reoffenders",
            "engaged",
            "2",
        ),
        k(
            "/reoffending/before_after/offences_before",
            2.0,
            "before_after",
            "before_after",
            "Proven offences",
            "before",
            "offences",
            "2",
        ),
        k(
            "/reoffending/before_after/offences_after",
            3.0,
            "before_after",
            "before_after",
            "Proven offences",
            "after",
            "offences",
            "3",
        ),
        k(
            "/outcomes/0/pairs",
            2.0,
            "outcomes",
            "outcome_measures",
            "Feels safe (1-5)",
            "pairs",
            "Feels safe (1-5)",
            "2",
        ),
        k(
            "/outcomes/0/mean_baseline",
            2.5,
            "outcomes",
            "outcome_measures",
            "Feels safe (1-5)",
            "mean_baseline",
            "Feels safe (1-5)",
            "2.50",
        ),
        k(
            "/outcomes/0/mean_change",
            1.5,
            "outcomes",
            "outcome_measures",
            "Feels safe (1-5)",
            "mean_change",
            "Feels safe (1-5)",
            "+1.50",
        ),
        k(
            "/outcomes/0/improved",
            0.5,
            "outcomes",
            "outcome_measures",
            "Feels safe (1-5)",
            "improved",
            "Feels safe (1-5)",
            "50.0%",
        ),
    ]
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// CSV rows by (section, metric, group) → (value, suppressed).
fn csv_rows(bytes: &[u8]) -> HashMap<(String, String, String), (String, String)> {
    let mut r = csv::Reader::from_reader(bytes);
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["section", "metric", "group", "value", "suppressed"]
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (
                (rec[0].to_string(), rec[1].to_string(), rec[2].to_string()),
                (rec[3].to_string(), rec[4].to_string()),
            )
        })
        .collect()
}

/// Every sheet's cells as JSON, read by openpyxl.
fn xlsx_cells(bytes: &[u8]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.xlsx");
    std::fs::write(&path, bytes).unwrap();
    let script = "import json, sys, openpyxl\n\
        wb = openpyxl.load_workbook(sys.argv[1])\n\
        out = {ws.title: [[c for c in row] for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}\n\
        out['__tables__'] = {ws.title: sorted(ws.tables.keys()) for ws in wb.worksheets}\n\
        out['__charts__'] = {ws.title: len(ws._charts) for ws in wb.worksheets}\n\
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

/// The cells of `table`'s row `label` on its sheet: the values right of the label.
fn xlsx_row<'a>(cells: &'a Value, sheet: &str, caption: &str, label: &str) -> &'a [Value] {
    let rows = cells[sheet].as_array().unwrap();
    let start = rows
        .iter()
        .position(|r| r[0] == caption)
        .unwrap_or_else(|| panic!("no table '{caption}' on sheet '{sheet}'"));
    let row = rows[start + 2..]
        .iter()
        .take_while(|r| !r[0].is_null())
        .find(|r| r[0] == label)
        .unwrap_or_else(|| panic!("no row '{label}' in '{caption}'"));
    &row.as_array().unwrap()[1..]
}

/// The HTML of one table row: from its label to the end of the row.
fn html_row<'a>(html: &'a str, table: &str, label: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"table-{table}\""))
        .unwrap_or_else(|| panic!("no table {table}"));
    let t = &html[start..start + html[start..].find("</table>").unwrap()];
    let label = label.replace('&', "&amp;");
    let th = format!("<th scope=\"row\" class=\"govuk-table__header\">{label}</th>");
    let at = t
        .find(&th)
        .unwrap_or_else(|| panic!("no row {label} in {table}"));
    &t[at..at + t[at..].find("</tr>").unwrap()]
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(feature = "pdf")]
fn pdf_text(bytes: &[u8]) -> String {
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

/// A line of the PDF text that starts with `label` and has `text` as a word on it.
#[cfg(feature = "pdf")]
fn pdf_has(pdf: &str, label: &str, text: &str) -> bool {
    pdf.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with(label) && l[label.len()..].split_whitespace().any(|w| w == text)
    })
}

fn section_of<'a>(v: &'a ReportView, id: &str) -> &'a outcomes::reports::view::Section {
    v.sections.iter().find(|s| s.id == id).unwrap()
}

/// The hand-computed key figures in the JSON and the summary; that every format shows
/// every figure of the JSON the same is `report_agreement.rs`.
#[test]
fn the_key_figures_are_the_hand_computed_ones_and_the_workbook_has_its_sheets() {
    let report = fixture(false);
    let json: Value = serde_json::from_slice(&render(&report, Format::Json).unwrap()).unwrap();
    let html = String::from_utf8(render(&report, Format::Html).unwrap()).unwrap();
    let xlsx = xlsx_cells(&render(&report, Format::Xlsx).unwrap());
    let v = view(&report);
    for key in keys() {
        let what = key.pointer;
        assert!(
            close(json.pointer(what).unwrap().as_f64().unwrap(), key.exact),
            "JSON {what}"
        );
        let row = html_row(&html, key.table, key.row);
        let td = format!(
            "data-pointer=\"{}\" data-metric=\"{}\">{}</td>",
            key.pointer,
            key.metric,
            html_escape(key.text)
        );
        assert!(row.contains(&td), "HTML {what}: {td} not in {row}");
        let section = section_of(&v, key.section);
        assert!(section.tables.iter().any(|t| t.id == key.table));
        let (_, cell) = v.figures().find(|(_, c)| c.pointer == what).unwrap();
        assert_eq!(
            (cell.metric.as_str(), cell.group.as_str()),
            (key.metric, key.group)
        );
    }
    // The summary says it in words, from the same figures.
    assert!(
        v.summary[0].starts_with("From 1 April 2024 to 31 March 2025, "),
        "{}",
        v.summary[0]
    );
    assert!(v.summary[0].contains("received 6 referrals: 4 accepted, 2 engaged"));
    assert!(v.summary.iter().any(|s| s.contains("Of the 4 people who could be measured")
        && s.contains("3 committed a proven reoffence: a reoffending rate of 75.0% (95% confidence interval 30.1% to 95.4%)")));
    assert!(v
        .summary
        .iter()
        .any(|s| s.starts_with("Interpret with caution")));
    assert!(html.contains("Interpret with caution"));
    // Sheets, Excel tables and native charts.
    let sheets: Vec<&String> = xlsx.as_object().unwrap().keys().collect();
    for s in [
        "Summary",
        "Engagement",
        "Quarterly trend",
        "Reoffending",
        "Provenance",
    ] {
        assert!(sheets.iter().any(|x| *x == s), "no sheet {s}");
    }
    assert!(xlsx["__tables__"]["Engagement"].as_array().unwrap().len() == 2);
    assert_eq!(xlsx["__charts__"]["Engagement"], 1);
    assert_eq!(xlsx["__charts__"]["Reoffending"], 1);
    assert_eq!(xlsx["__charts__"]["Quarterly trend"], 1);
}

/// Words of a text that are a whole number from 1 to 4.
fn small_numbers(text: &str) -> Vec<String> {
    text.split(|c: char| {
        !(c.is_ascii_alphanumeric() || c == '.' || c == '%' || c == '£' || c == ',')
    })
    .map(|w| w.trim_end_matches(['.', ',']))
    .filter(|w| matches!(*w, "1" | "2" | "3" | "4"))
    .map(str::to_string)
    .collect()
}

#[test]
fn published_reports_show_no_count_below_five_in_any_format() {
    let report = fixture(true);
    let v = view(&report);
    // The fixture's small counts are hidden, with their symbols.
    let json = report.to_json();
    assert_eq!(json["engagement"]["engaged"], "<5");
    // 3 reoffenders of 4 measured: hidden ("<5", or "[c]" when the suppressor widens a
    // "<5" whose neighbours are all small too; methodology.md#disclosure-control).
    let reoffenders = &json["reoffending"]["groups"]["all"]["reoffenders"];
    assert!(reoffenders == "<5" || reoffenders == "[c]", "{reoffenders}");
    let csv_bytes = render(&report, Format::Csv).unwrap();
    let csv = csv_rows(&csv_bytes);
    let html = String::from_utf8(render(&report, Format::Html).unwrap()).unwrap();
    let xlsx = xlsx_cells(&render(&report, Format::Xlsx).unwrap());
    let mut hidden = 0;
    for section in &v.sections {
        for table in &section.tables {
            for row in &table.rows {
                let xlsx_row = xlsx_row(
                    &xlsx,
                    &xlsx::sheet_name(section),
                    &table.caption,
                    &row.label,
                );
                for (i, c) in row.cells.iter().enumerate() {
                    // Every count, sessions_delivered included (methodology.md: suppressed
                    // like people), is shown only as 0 or at least 5. Provenance holds
                    // parameters (threshold, minimum cohort), not counts.
                    if c.kind == NumberFormat::Count && table.id != "provenance" {
                        if let Some(x) = c.value {
                            assert!(x == 0.0 || x >= 5.0, "{} {} shows {x}", table.id, row.label);
                            assert!(xlsx_row[i].as_f64().unwrap() == x);
                        }
                    }
                    if let Some(s) = &c.symbol {
                        hidden += 1;
                        let (value, suppressed) =
                            &csv[&(section.id.clone(), c.metric.clone(), c.group.clone())];
                        assert_eq!((value.as_str(), suppressed.as_str()), (s.as_str(), "true"));
                        assert_eq!(xlsx_row[i], Value::String(s.clone()));
                        let td = format!("data-suppressed=\"true\">{}</td>", html_escape(s));
                        assert!(html_row(&html, &table.id, &row.label).contains(&td));
                    }
                }
            }
        }
    }
    assert!(hidden > 20, "the fixture hides many figures ({hidden})");
    // No CSV row of a count holds 1 to 4.
    for ((section, metric, group), (value, _)) in &csv {
        let count = v.figures().any(|(s, c)| {
            s.id == *section
                && c.metric == *metric
                && c.group == *group
                && c.kind == NumberFormat::Count
                && s.id != "provenance"
        });
        if count {
            assert!(
                !matches!(value.as_str(), "1" | "2" | "3" | "4"),
                "{section} {metric} {group}: {value}"
            );
        }
    }
    // Sentences use words for hidden counts and never the number.
    let summary = v
        .summary
        .join(" ")
        .replace("Feels safe (1-5)", "")
        .replace(&v.period_text, "");
    assert_eq!(small_numbers(&summary), Vec::<String>::new(), "{summary}");
    assert!(summary.contains("fewer than 5 engaged"));
    assert!(html.contains("fewer than 5 engaged"));
    assert!(html.contains("data-suppressed=\"true\">&lt;5</td>"));
    // Charts label a hidden bar with its symbol and draw no bar for it.
    let funnel = &section_of(&v, "engagement").charts[0].svg;
    // Only 'Referred' (6) can be drawn, and only when it is not withheld as "[c]" (the
    // joint-equation suppressor may withhold it to protect the small stages).
    let referred_shown = json["engagement"]["referrals_received"].is_number();
    assert_eq!(
        funnel.matches("<rect x=").count(),
        usize::from(referred_shown),
        "only 'Referred' (6) is drawn, if shown"
    );
    assert!(funnel.contains(">&lt;5</text>"));
    // And the caption says so, on the page as in the PDF (issue 22).
    let note = section_of(&v, "engagement").charts[0]
        .withheld
        .clone()
        .expect("the funnel says what it does not draw");
    assert!(note.starts_with("Withheld figures (<5") && note.ends_with("are not drawn."));
    assert!(html.contains(&html_escape(&note)), "{note}");
    // Internal charts have nothing withheld.
    assert!(view(&fixture(false))
        .sections
        .iter()
        .flat_map(|s| &s.charts)
        .all(|c| c.withheld.is_none()));
}

#[test]
#[cfg(feature = "pdf")]
fn the_pdf_shows_the_same_figures_and_hides_small_counts() {
    let report = fixture(false);
    let started = std::time::Instant::now();
    let pdf = render(&report, Format::Pdf).unwrap();
    eprintln!(
        "PDF rendered in {:?} ({} bytes)",
        started.elapsed(),
        pdf.len()
    );
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdf_text(&pdf);
    for key in keys() {
        assert!(
            pdf_has(&text, key.row, key.text),
            "PDF: no '{}' on a line of '{}'",
            key.text,
            key.row
        );
    }
    assert!(text.contains("Interpret with caution"));
    assert!(text.contains("DESCRIPTIVE"));
    if let Ok(path) = std::env::var("OUTCOMES_KEEP_PDF") {
        std::fs::write(path, &pdf).unwrap();
    }
    let published = render(&fixture(true), Format::Pdf).unwrap();
    let text = pdf_text(&published);
    assert!(pdf_has(&text, "Engaged", "<5"), "{text}");
    assert!(pdf_has(&text, "All referred", "<5"));
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("fewer than 5 engaged"), "{flat}");
    for line in text.lines().filter(|l| {
        l.trim_start().starts_with("Engaged") || l.trim_start().starts_with("Completed")
    }) {
        assert_eq!(small_numbers(line), Vec::<String>::new(), "{line}");
    }
}

#[test]
fn html_rendering_and_a_pdf_timing_for_the_fixture() {
    let report = fixture(false);
    let started = std::time::Instant::now();
    let html = render(&report, Format::Html).unwrap();
    eprintln!(
        "HTML rendered in {:?} ({} bytes)",
        started.elapsed(),
        html.len()
    );
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("<h1 class=\"govuk-heading-xl\">Mentoring: evaluation report</h1>"));
    assert!(html.contains("<img src=\"data:image/svg+xml;base64,"));
    assert!(!html.contains("<script"));
}
