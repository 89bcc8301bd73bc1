//! Uploads that fit spreadsheet users (issue 17): XLSX workbooks, forgiving vocabularies
//! and dates, line numbers whatever the line endings, and every error in one upload.

use std::process::Command;

use serde_json::{json, Value};

use crate::imports::{casework, fresh_db, provider, run, PARTICIPANTS, PROGRAMMES};
use outcomes::domain::enums::ImportKind;
use outcomes::imports::{ImportError, ImportSummary, RowError};
use outcomes::store;

fn invalid(r: Result<ImportSummary, ImportError>) -> Vec<RowError> {
    match r {
        Err(ImportError::Invalid { errors, .. }) => errors,
        other => panic!("expected the file to be refused, got {other:?}"),
    }
}

/// An XLSX workbook written by openpyxl: `sheets` is `[[title, rows], …]`; a cell
/// `{"date": "YYYY-MM-DD"}` is a real Excel date (shown as DD/MM/YYYY), a number a number.
pub fn workbook(sheets: Value) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.xlsx");
    let script = "import json, sys, datetime, openpyxl\n\
        wb = openpyxl.Workbook()\n\
        wb.remove(wb.active)\n\
        for title, rows in json.loads(sys.argv[2]):\n\
        \x20   ws = wb.create_sheet(title)\n\
        \x20   for r, row in enumerate(rows, start=1):\n\
        \x20       for c, v in enumerate(row, start=1):\n\
        \x20           if isinstance(v, dict):\n\
        \x20               cell = ws.cell(row=r, column=c, value=datetime.date.fromisoformat(v['date']))\n\
        \x20               cell.number_format = 'DD/MM/YYYY'\n\
        \x20           elif v is not None:\n\
        \x20               ws.cell(row=r, column=c, value=v)\n\
        wb.save(sys.argv[1])\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .arg(sheets.to_string())
        .output()
        .expect("python3 runs (with openpyxl: python3 -m pip install openpyxl)");
    assert!(
        out.status.success(),
        "openpyxl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&path).unwrap()
}

/// A referrals workbook as a caseworker fills the template: the guide sheet first, labels
/// picked from the drop-downs, real dates, hours as a number; `bad_row_5` puts a date
/// that does not exist in row 5, column D.
pub fn referrals_workbook(programme: &str, bad_row_5: bool) -> Vec<u8> {
    let d = |s: &str| json!({"date": s});
    let row5_date = if bad_row_5 {
        json!("31/02/2025")
    } else {
        d("2025-07-01")
    };
    workbook(json!([
        [
            "How to fill this in",
            [["column", "required"], ["referral_ref", "required"]]
        ],
        [
            "Referrals",
            [
                [
                    "referral_ref",
                    "participant_ref",
                    "programme",
                    "referred_on",
                    "source",
                    "decision",
                    "decided_on",
                    "required_hours"
                ],
                [
                    "X1",
                    "P1",
                    programme,
                    d("2025-05-01"),
                    "Police",
                    "Accepted",
                    d("2025-05-03"),
                    null
                ],
                [
                    "X2",
                    "P1",
                    programme.to_lowercase(),
                    d("2025-06-01"),
                    "Out-of-court resolution hub",
                    "Pending",
                    null,
                    null
                ],
                [
                    "X3",
                    "P1",
                    programme,
                    "02/06/2025",
                    "Self-referral",
                    " declined ",
                    "03/06/2025",
                    null
                ],
                [
                    "X4",
                    "P1",
                    programme,
                    row5_date,
                    "Youth justice",
                    "Accepted",
                    d("2025-07-02"),
                    12
                ],
            ]
        ],
    ]))
}

fn run_bytes(
    conn: &mut outcomes::db::DbConn,
    org: outcomes::domain::ids::OrganisationId,
    kind: ImportKind,
    bytes: Vec<u8>,
) -> Result<ImportSummary, ImportError> {
    let secret = crate::imports::secret();
    let ctx = outcomes::imports::ImportContext {
        organisation: Some(org),
        user: None,
        secret: &secret,
        today: crate::imports::today(),
        extract_date: None,
        confirm_shrink: false,
    };
    outcomes::imports::import(
        conn,
        &ctx,
        kind,
        "referrals.xlsx",
        &outcomes::imports::Source::Bytes(bytes),
        &mut |_| {},
    )
}

#[test]
fn an_xlsx_referrals_workbook_imports_and_one_with_a_bad_date_in_row_5_names_sheet_row_and_column()
{
    let mut db = fresh_db();
    let org = provider(&mut db.conn, "Provider A");
    run(&mut db.conn, Some(org), ImportKind::Programmes, PROGRAMMES).unwrap();
    run(
        &mut db.conn,
        Some(org),
        ImportKind::Participants,
        PARTICIPANTS,
    )
    .unwrap();

    let errors = invalid(run_bytes(
        &mut db.conn,
        org,
        ImportKind::Referrals,
        referrals_workbook("Mentoring", true),
    ));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        errors[0].to_string(),
        "Sheet Referrals, row 5, column D (referred_on): '31/02/2025' — \
         a real date as YYYY-MM-DD or DD/MM/YYYY, e.g. 2025-04-01"
    );
    assert!(store::referrals::of_organisation(&mut db.conn, org)
        .unwrap()
        .is_empty());

    let done = run_bytes(
        &mut db.conn,
        org,
        ImportKind::Referrals,
        referrals_workbook("Mentoring", false),
    )
    .unwrap();
    assert_eq!((done.rows, done.inserted), (4, 4), "{done:?}");
    let mut stored = store::referrals::of_organisation(&mut db.conn, org).unwrap();
    stored.sort_by(|a, b| a.fields.reference.cmp(&b.fields.reference));
    let got: Vec<(String, String, String)> = stored
        .iter()
        .map(|r| {
            (
                r.fields.referred_on.to_string(),
                r.fields.source.to_string(),
                r.fields.decision.to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("2025-05-01".into(), "police".into(), "accepted".into()),
            ("2025-06-01".into(), "oocr_hub".into(), "pending".into()),
            ("2025-06-02".into(), "self".into(), "declined".into()),
            (
                "2025-07-01".into(),
                "youth_justice".into(),
                "accepted".into()
            ),
        ]
    );
    assert_eq!(stored[3].fields.required_hours, Some(12.0));
    // The same workbook again changes nothing.
    let again = run_bytes(
        &mut db.conn,
        org,
        ImportKind::Referrals,
        referrals_workbook("Mentoring", false),
    )
    .unwrap();
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 4));
}

#[test]
fn a_crlf_file_with_a_byte_order_mark_reports_the_same_lines_as_its_lf_twin() {
    let mut db = fresh_db();
    let org = provider(&mut db.conn, "Provider A");
    let lf = "\
reference,police_id,date_of_birth,gender,ethnicity,district
P1,,2009-02-28,male,white,
P2,,2009-02-30,male,white,
P3,,,f,white,
\"P4\",,,,,\"two
lines\"
P5,,2009-13-01,,,
";
    let crlf = format!("\u{feff}{}", lf.replace('\n', "\r\n"));
    let cr = lf.replace('\n', "\r");
    let lines = |csv: &str, db: &mut crate::imports::Db| -> Vec<(u64, String)> {
        invalid(run(&mut db.conn, Some(org), ImportKind::Participants, csv))
            .into_iter()
            .map(|e| (e.line, e.column))
            .collect()
    };
    let want = vec![
        (3, "date_of_birth".to_string()),
        (4, "gender".to_string()),
        (7, "date_of_birth".to_string()),
    ];
    assert_eq!(lines(lf, &mut db), want);
    assert_eq!(lines(&crlf, &mut db), want);
    assert_eq!(lines(&cr, &mut db), want);
}

#[test]
fn a_sessions_row_with_a_bad_kind_a_bad_duration_and_an_unknown_programme_reports_all_three() {
    let mut db = fresh_db();
    let org = provider(&mut db.conn, "Provider A");
    casework(&mut db.conn, org);
    let csv = "\
session_ref,programme,date,kind,duration_minutes
S1,Youth bus,2025-06-01,Drop-in,ninety
S2,mentoring,2025-06-02,One to one,60
S3,Immediate Justice,2025-06-03,Outreach,
";
    let errors = invalid(run(&mut db.conn, Some(org), ImportKind::Sessions, csv));
    let mut found: Vec<(u64, &str, &str)> = errors
        .iter()
        .map(|e| (e.line, e.column.as_str(), e.value.as_str()))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (2, "duration_minutes", "ninety"),
            (2, "kind", "Drop-in"),
            (2, "programme", "Youth bus"),
        ],
        "{errors:?}"
    );
    // Without the bad row, the labels and the programme in another case are read.
    let fixed: String = csv
        .lines()
        .filter(|l| !l.starts_with("S1"))
        .map(|l| format!("{l}\n"))
        .collect();
    let done = run(&mut db.conn, Some(org), ImportKind::Sessions, &fixed).unwrap();
    assert_eq!(done.inserted, 2);
}

#[test]
fn a_referrals_row_that_fails_its_checks_still_reports_an_unknown_programme() {
    let mut db = fresh_db();
    let org = provider(&mut db.conn, "Provider A");
    casework(&mut db.conn, org);
    let csv = "\
referral_ref,participant_ref,programme,referred_on,source
R9,P1,Night bus,2025-13-01,police
";
    let errors = invalid(run(&mut db.conn, Some(org), ImportKind::Referrals, csv));
    let found: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
    assert_eq!(found.len(), 2, "{errors:?}");
    assert!(
        found.contains(&"programme") && found.contains(&"referred_on"),
        "{errors:?}"
    );
}
