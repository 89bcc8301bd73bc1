//! Published disclosure control checked by the independent auditor
//! (`scripts/disclosure_audit.py`: an integer program over every published equation,
//! solved with SciPy's `milp`), written apart from the suppressor. Issue 21.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use outcomes::db::DbConn;
use outcomes::demo::{self, DemoOptions, Scale, Silent};
use outcomes::domain::ids::ProgrammeId;
use outcomes::evaluation::cost::CostTables;
use outcomes::evaluation::disclosure::{table_model, DisclosureModel, System};
use outcomes::evaluation::report::Report;
use outcomes::reports::{build, ReportRequest};
use outcomes::store::{self, report_rows::ReportScope};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use crate::imports::{fresh_db, secret};

fn auditor() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/disclosure_audit.py")
}

/// Runs the auditor on `systems` (JSON lines); its exit code and what it printed.
fn audit(systems: &[Value]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("systems.jsonl");
    let lines: Vec<String> = systems.iter().map(Value::to_string).collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    audit_file(&file)
}

fn audit_file(file: &Path) -> (i32, String) {
    let out = Command::new("python3")
        .arg(auditor())
        .arg(file)
        .output()
        .expect("python3 runs (scripts/test installs SciPy)");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

fn system_json(model: &DisclosureModel, threshold: u64, label: String) -> Value {
    let vis = model.suppress(threshold);
    let system: System = model.system(&vis, threshold, &[]);
    let mut json = serde_json::to_value(system).unwrap();
    json["label"] = label.into();
    json
}

#[test]
fn the_auditor_finds_the_leak_that_the_old_suppressor_published() {
    // Accepted/declined by quarter 2/4, 1/5, 9/6, as published at b23d487:
    // `<5 <5 / <5 [c] / 9 6` with every total shown. Row 1 (a + b = 6, b ≤ 4) and column 1
    // (a + c = 3) give a = 2, b = 4, c = 1, d = 5 (worked by hand in the issue).
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/disclosure/old_quarterly_table.json");
    let (code, text) = audit_file(&fixture);
    assert_eq!(code, 1, "{text}");
    for line in [
        "q1 accepted is worked out exactly: 2",
        "q1 declined is worked out exactly: 4",
        "q2 accepted is worked out exactly: 1",
        "q2 declined is worked out exactly: 5",
    ] {
        assert!(text.contains(line), "{line} not in:\n{text}");
    }
}

#[test]
fn the_same_table_suppressed_today_passes_the_auditor() {
    let (model, vars) = table_model(&[vec![2, 4], vec![1, 5], vec![9, 6]]);
    let vis = model.suppress(5);
    // The three small counts are hidden, and more than the one "[c]" of before.
    for (r, c) in [(0, 0), (0, 1), (1, 0)] {
        assert!(vis[vars.cells[r][c]].is_suppressed());
    }
    let hidden = vis.iter().filter(|v| v.is_suppressed()).count();
    assert!(hidden > 4, "{vis:?}");
    let (code, text) = audit(&[system_json(&model, 5, "issue table".into())]);
    assert_eq!(code, 0, "{text}");
}

/// Cell counts of `rows × columns` with many small values.
fn random_cells(rng: &mut ChaCha8Rng, rows: usize, columns: usize) -> Vec<Vec<u64>> {
    (0..rows)
        .map(|_| {
            (0..columns)
                .map(|_| {
                    if rng.gen_bool(0.6) {
                        rng.gen_range(0..6)
                    } else {
                        rng.gen_range(0..40)
                    }
                })
                .collect()
        })
        .collect()
}

/// Two breakdowns of the same people (like age band and district): the three-way
/// counts `n[a][b][c]` summed over b and over a, sharing their column totals.
fn linked_tables(rng: &mut ChaCha8Rng) -> DisclosureModel {
    let (na, nb, nc) = (
        rng.gen_range(2..4),
        rng.gen_range(2..4),
        rng.gen_range(1..4),
    );
    let n: Vec<Vec<Vec<u64>>> = (0..na).map(|_| random_cells(rng, nb, nc)).collect();
    let mut m = DisclosureModel::new();
    let a_cells: Vec<Vec<usize>> = (0..na)
        .map(|a| {
            (0..nc)
                .map(|c| m.count((0..nb).map(|b| n[a][b][c]).sum()))
                .collect()
        })
        .collect();
    let b_cells: Vec<Vec<usize>> = (0..nb)
        .map(|b| {
            (0..nc)
                .map(|c| m.count((0..na).map(|a| n[a][b][c]).sum()))
                .collect()
        })
        .collect();
    let column_totals: Vec<usize> = (0..nc)
        .map(|c| {
            m.count(
                (0..na)
                    .flat_map(|a| (0..nb).map(move |b| (a, b)))
                    .map(|(a, b)| n[a][b][c])
                    .sum(),
            )
        })
        .collect();
    for table in [&a_cells, &b_cells] {
        for row in table.iter() {
            let total = m.count(row.iter().map(|v| m.values()[*v]).sum());
            m.sum(total, row.clone());
        }
        for (c, total) in column_totals.iter().enumerate() {
            m.sum(*total, table.iter().map(|row| row[c]).collect());
        }
    }
    assert_eq!(m.dropped(), 0);
    m
}

#[test]
fn ten_thousand_generated_tables_keep_every_hidden_count_hidden() {
    // Plain tables (1-4 × 1-4, like the quarterly trend: quarters × accepted / declined /
    // pending with their totals) and linked pairs of breakdowns, thresholds 3 to 10.
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let mut systems = Vec::new();
    let mut hidden = 0;
    for i in 0..10_000 {
        let threshold = rng.gen_range(3..=10);
        let model = if i % 4 == 3 {
            linked_tables(&mut rng)
        } else {
            let (rows, columns) = (rng.gen_range(1..5), rng.gen_range(1..5));
            table_model(&random_cells(&mut rng, rows, columns)).0
        };
        let json = system_json(&model, threshold, format!("table {i}"));
        hidden += json["cells"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["shown"] != "value" && c["shown"] != "implied")
            .count();
        systems.push(json);
    }
    // The generator reaches the interesting cases: thousands of hidden cells.
    assert!(hidden > 10_000, "{hidden}");
    let (code, text) = audit(&systems);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("audited 10000 systems"), "{text}");
}

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
}

fn demo_db() -> crate::imports::Db {
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

fn demo_report(
    conn: &mut DbConn,
    id: ProgrammeId,
    name: &str,
    year: &str,
    published: bool,
) -> Report {
    let mut request = ReportRequest::new(
        ReportScope::Programme(id),
        name.into(),
        year.parse().unwrap(),
    );
    request.report_date = Some(as_of());
    request.published = published;
    // These tests audit published-mode suppression. The unit rule ("[m]", tests/api/units.rs)
    // withholds further cells that `disclosure_system` does not yet export as hidden, so
    // the minimum cohort is one person here (docs/testing.md).
    request.minimum_cohort = 1;
    build(conn, &request, &CostTables::embedded().unwrap()).unwrap()
}

const YEARS: [&str; 3] = ["2023-24", "2024-25", "2025-26"];

#[test]
fn every_demo_report_in_both_modes_passes_the_auditor() {
    let mut db = demo_db();
    let programmes = store::programmes::all(&mut db.conn).unwrap();
    assert_eq!(programmes.len(), 8);
    let mut systems = Vec::new();
    for p in &programmes {
        for year in YEARS {
            for published in [false, true] {
                let report = demo_report(&mut db.conn, p.id, &p.fields.name, year, published);
                let mut json = serde_json::to_value(report.disclosure_system()).unwrap();
                json["label"] = format!("{} {year} published={published}", p.fields.name).into();
                systems.push(json);
            }
        }
    }
    let (code, text) = audit(&systems);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("audited 48 systems"), "{text}");
}

#[test]
fn the_published_headline_rate_is_withheld_only_for_a_small_numerator_or_remainder() {
    let mut db = demo_db();
    let programmes = store::programmes::all(&mut db.conn).unwrap();
    let mut stated = 0;
    for p in &programmes {
        for year in YEARS {
            let internal = demo_report(&mut db.conn, p.id, &p.fields.name, year, false).to_json();
            let published = demo_report(&mut db.conn, p.id, &p.fields.name, year, true).to_json();
            let all = &internal["reoffending"]["groups"]["all"];
            let measurable = all["measurable"].as_u64().unwrap();
            let reoffenders = all["reoffenders"].as_u64().unwrap();
            let small = |n: u64| (1..5).contains(&n);
            let disclosive = small(reoffenders) || small(measurable - reoffenders);
            let rate = &published["reoffending"]["groups"]["all"]["reoffending_rate"];
            let label = format!(
                "{} {year}: {reoffenders} of {measurable}, {rate}",
                p.fields.name
            );
            if disclosive {
                assert!(rate.is_string(), "{label}");
            } else {
                assert_eq!(rate, &all["reoffending_rate"], "{label}");
                stated += usize::from(rate.is_number());
            }
        }
    }
    assert!(stated > 0);
    // The report: Immediate Justice 2024-25 has 3 unmatched people; they are
    // hidden and the rate is stated (it was withheld before).
    let ij = programmes
        .iter()
        .find(|p| p.fields.name == "Immediate Justice")
        .unwrap();
    let internal = demo_report(&mut db.conn, ij.id, "Immediate Justice", "2024-25", false);
    let published = demo_report(&mut db.conn, ij.id, "Immediate Justice", "2024-25", true);
    let (i, p) = (internal.to_json(), published.to_json());
    let (i, p) = (
        &i["reoffending"]["groups"]["all"],
        &p["reoffending"]["groups"]["all"],
    );
    assert_eq!(i["unmatched"], 3);
    assert_eq!(p["unmatched"], "<5");
    assert!(p["reoffending_rate"].is_number(), "{p}");
    assert_eq!(p["reoffending_rate"], i["reoffending_rate"]);
    assert_eq!(p["measurable"], i["measurable"]);
}

#[test]
fn a_disclosure_threshold_below_three_is_refused_on_the_command_line_and_in_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::helpers::fresh_database(&dir);
    for (args, env) in [
        (vec!["--disclosure-threshold", "2", "migrate"], None),
        (vec!["--disclosure-threshold", "1", "migrate"], None),
        (vec!["migrate"], Some("2")),
        (vec!["migrate"], Some("0")),
    ] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_outcomes"));
        cmd.args(&args)
            .env("DATABASE_URL", &url)
            .env("OUTCOMES_KEY_FILE", dir.path().join("outcomes.key"))
            .env("OUTCOMES_LOG", "warn")
            .current_dir(dir.path());
        if let Some(v) = env {
            cmd.env("OUTCOMES_DISCLOSURE_THRESHOLD", v);
        }
        let out = cmd.output().unwrap();
        assert!(!out.status.success(), "{args:?} {env:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("disclosure-threshold"), "{stderr}");
        assert!(stderr.contains("at least 3"), "{stderr}");
    }
    let out = crate::cli::outcomes(
        &["--disclosure-threshold", "3", "migrate"],
        &url,
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
