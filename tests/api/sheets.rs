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

/// Fills a template with openpyxl as a caseworker would: `rows` from row 2 of `sheet`; a
/// cell `{"date": "YYYY-MM-DD"}` is a real Excel date, and a value in a drop-down column
/// must be one of the drop-down's values (the script fails otherwise). Returns the
/// workbook and what openpyxl saw of the template (sheets, frozen cell, drop-downs, guide).
pub fn fill_template(template: &[u8], sheet: &str, rows: Value) -> (Vec<u8>, Value) {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("t.xlsx"), dir.path().join("filled.xlsx"));
    std::fs::write(&input, template).unwrap();
    let script = r#"
import json, sys, datetime, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb[sys.argv[3]]
heads = [c.value for c in ws[1]]
choices = {}
for dv in ws.data_validations.dataValidation:
    sheet, ref = dv.formula1.lstrip('=').split('!')
    values = [c.value for row in wb[sheet][ref.replace('$', '')] for c in row]
    for rng in dv.sqref.ranges:
        choices[rng.min_col] = values
formats = {h: ws.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].number_format for i, h in enumerate(heads)}
for r, row in enumerate(json.loads(sys.argv[4]), start=2):
    for c, v in enumerate(row, start=1):
        if v is None:
            continue
        if isinstance(v, dict):
            v = datetime.date.fromisoformat(v['date'])
        elif c in choices and v not in choices[c]:
            sys.exit(f'{v!r} is not in the drop-down of column {heads[c - 1]}')
        cell = ws.cell(row=r, column=c, value=v)
        if isinstance(v, datetime.date):
            cell.number_format = 'DD/MM/YYYY'
wb.save(sys.argv[2])
print(json.dumps({'sheets': wb.sheetnames, 'freeze': ws.freeze_panes, 'heads': heads,
    'choices': {heads[k - 1]: v for k, v in choices.items()}, 'formats': formats,
    'guide': [[c.value for c in row] for row in wb['How to fill this in'].iter_rows()]}))
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&input)
        .arg(&output)
        .arg(sheet)
        .arg(rows.to_string())
        .output()
        .expect("python3 runs (with openpyxl: python3 -m pip install openpyxl)");
    assert!(
        out.status.success(),
        "openpyxl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        std::fs::read(&output).unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

/// The referral rows a caseworker types into the template: labels picked from the
/// drop-downs, real dates, a DD/MM/YYYY text date, the programme in another case, hours
/// as a number; `bad_row_5` puts a date that does not exist in row 5 (column D).
pub fn referral_rows(programme: &str, bad_row_5: bool) -> Value {
    let d = |s: &str| json!({"date": s});
    let row5_date = if bad_row_5 {
        json!("31/02/2025")
    } else {
        d("2025-07-01")
    };
    // referral_ref, participant_ref, programme, referred_on, source, reason, decision,
    // decided_on, closure, closed_on, required_hours
    json!([
        [
            "X1",
            "P1",
            programme,
            d("2025-05-01"),
            "Police",
            null,
            "Accepted",
            d("2025-05-03"),
            "Open",
            null,
            null
        ],
        [
            "X2",
            "P1",
            programme.to_lowercase(),
            d("2025-06-01"),
            "Out-of-court resolution hub",
            null,
            "Pending",
            null,
            null,
            null,
            null
        ],
        [
            "X3",
            "P1",
            programme,
            "02/06/2025",
            "Self-referral",
            null,
            "Declined",
            "03/06/2025",
            null,
            null,
            null
        ],
        [
            "X4",
            "P1",
            programme,
            row5_date,
            "Youth justice",
            null,
            "Accepted",
            d("2025-07-02"),
            "Open",
            null,
            12
        ],
    ])
}

pub fn referrals_workbook(programme: &str, bad_row_5: bool) -> Vec<u8> {
    let template = outcomes::imports::template::xlsx(ImportKind::Referrals).unwrap();
    fill_template(&template, "Referrals", referral_rows(programme, bad_row_5)).0
}

const BAD_ROW_5: &str = "Sheet Referrals, row 5, column D (referred_on): '31/02/2025' — \
     a real date as YYYY-MM-DD or DD/MM/YYYY, e.g. 2025-04-01";

#[test]
fn the_referrals_template_has_a_frozen_header_drop_downs_of_labels_date_columns_and_a_guide() {
    let template = outcomes::imports::template::xlsx(ImportKind::Referrals).unwrap();
    let (_, seen) = fill_template(&template, "Referrals", json!([]));
    assert_eq!(
        seen["sheets"],
        json!(["Referrals", "How to fill this in", "Lists"])
    );
    assert_eq!(seen["freeze"], "A2");
    assert_eq!(
        seen["heads"],
        json!([
            "referral_ref",
            "participant_ref",
            "programme",
            "referred_on",
            "source",
            "reason",
            "decision",
            "decided_on",
            "closure",
            "closed_on",
            "required_hours",
            // Issue 18: the person's objection to linkage to police data (optional).
            "linkage_objection"
        ])
    );
    assert_eq!(
        seen["choices"]["source"],
        json!([
            "Police",
            "Youth justice",
            "School",
            "Social care",
            "Probation",
            "Health",
            "Out-of-court resolution hub",
            "Self-referral",
            "Other"
        ])
    );
    assert_eq!(
        seen["choices"]["decision"],
        json!(["Pending", "Accepted", "Declined"])
    );
    assert_eq!(
        seen["choices"]["closure"],
        json!(["Open", "Completed", "Withdrawn", "Disengaged"])
    );
    assert_eq!(seen["formats"]["referred_on"], "dd/mm/yyyy");
    assert_eq!(seen["formats"]["decided_on"], "dd/mm/yyyy");
    let guide = seen["guide"].as_array().unwrap();
    assert_eq!(
        guide[0],
        json!([
            "column",
            "required or optional",
            "accepted values",
            "example"
        ])
    );
    assert_eq!(guide[4][0], "referred_on");
    assert_eq!(guide[4][1], "required");
    assert_eq!(guide[6][0], "reason");
    assert_eq!(guide[6][1], "optional");
    assert!(guide[5][2]
        .as_str()
        .unwrap()
        .contains("Out-of-court resolution hub"));
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
    assert_eq!(errors[0].to_string(), BAD_ROW_5);
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

#[tokio::test]
async fn the_filled_template_imports_through_the_api_and_the_page_and_a_bad_row_5_is_named() {
    use crate::casework::{call, world};
    let w = world().await;
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let upload = |bytes: Vec<u8>| {
        w.app
            .client
            .post(format!(
                "{}/api/v1/imports/referrals?file_name=referrals.xlsx",
                w.app.address
            ))
            .bearer_auth(&w.token)
            .header("content-type", xlsx)
            .body(bytes)
            .send()
    };
    let res = upload(referrals_workbook("Mentoring", true)).await.unwrap();
    assert_eq!(res.status().as_u16(), 422);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["errors"][0]["line"], 5, "{p}");
    assert_eq!(p["errors"][0]["field"], "referred_on", "{p}");
    assert_eq!(p["errors"][0]["message"], BAD_ROW_5, "{p}");
    let (_, l) = call(&w.app, "GET", &w.token, "/api/v1/referrals", None).await;
    assert_eq!(l["count"], 0);
    let res = upload(referrals_workbook("Mentoring", false))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let r: Value = res.json().await.unwrap();
    assert_eq!(
        (r["rows"].as_u64(), r["inserted"].as_u64()),
        (Some(4), Some(4)),
        "{r}"
    );

    // The upload page: the template link, a file input that takes workbooks, and the
    // same workbook (for the other programme) imported; a bad row 5 is named.
    let user = w
        .app
        .create_user(outcomes::domain::enums::Role::Caseworker, w.provider);
    let s = w.app.session_for(&user);
    let page = s.get("/uploads").await.text().await.unwrap();
    assert!(
        page.contains("href=\"/uploads/templates/referrals\""),
        "{page}"
    );
    assert!(page.contains(".xlsx") && page.contains(".ods"), "{page}");
    let res = s.get("/uploads/templates/referrals").await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], xlsx);
    let template = res.bytes().await.unwrap().to_vec();
    let page_upload = |bytes: Vec<u8>| {
        let form = s.upload_form().text("kind", "referrals").part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name("referrals.xlsx")
                .mime_str(xlsx)
                .unwrap(),
        );
        s.upload_and_confirm(form)
    };
    let rows = |bad| {
        let mut rows = referral_rows("Immediate Justice", bad);
        for (i, row) in rows.as_array_mut().unwrap().iter_mut().enumerate() {
            row[0] = json!(format!("Y{}", i + 1));
            // The page's template offers the organisation's programmes by name: picked
            // from the drop-down, so in its own case.
            row[2] = json!("Immediate Justice");
            // Immediate Justice requires 5 to 20 hours.
            row[10] = json!(10);
        }
        rows
    };
    let (bad, _) = fill_template(&template, "Referrals", rows(true));
    let (status, html, _) = page_upload(bad).await;
    assert_eq!(status, 422);
    let html = html.replace("&#x27;", "'");
    assert!(
        html.contains("Sheet Referrals, row 5, column D (referred_on): '31/02/2025'"),
        "{html}"
    );
    let (good, seen) = fill_template(&template, "Referrals", rows(false));
    let programmes = seen["choices"]["programme"].as_array().unwrap();
    assert!(
        programmes.contains(&json!("Immediate Justice"))
            && programmes.contains(&json!("Mentoring")),
        "the organisation's programmes are a drop-down: {seen}"
    );
    let (status, _, preview) = page_upload(good).await;
    assert_eq!(status, 303);
    assert!(preview.is_some_and(|p| p.contains("Records to add")));
    let (_, l) = call(&w.app, "GET", &w.token, "/api/v1/referrals", None).await;
    assert_eq!(l["count"], 8);
    // A comparison group has no export: not found, not a server error (API fuzzing).
    let (status, _) = call(&w.app, "GET", &w.token, "/api/v1/exports/comparison", None).await;
    assert_eq!(status, 404);
}

#[test]
fn the_command_line_writes_a_template_and_imports_it_filled() {
    use crate::cli::outcomes;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let url = crate::helpers::fresh_database(&dir);
    let ok = |out: std::process::Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    ok(outcomes(&["migrate"], &url, d));
    ok(outcomes(
        &["org", "add", "--name", "Provider A", "--kind", "provider"],
        &url,
        d,
    ));
    std::fs::write(d.join("p.csv"), PROGRAMMES).unwrap();
    std::fs::write(d.join("pt.csv"), PARTICIPANTS).unwrap();
    for (kind, file) in [("programmes", "p.csv"), ("participants", "pt.csv")] {
        ok(outcomes(
            &["import", kind, file, "--organisation", "Provider A"],
            &url,
            d,
        ));
    }
    ok(outcomes(
        &["template", "referrals", "--output", "t.xlsx"],
        &url,
        d,
    ));
    ok(outcomes(
        &[
            "template", "sessions", "--format", "csv", "--output", "s.csv",
        ],
        &url,
        d,
    ));
    assert_eq!(
        std::fs::read_to_string(d.join("s.csv")).unwrap(),
        "session_ref,programme,date,kind,duration_minutes,headcount,district,venue\r\n"
    );
    let template = std::fs::read(d.join("t.xlsx")).unwrap();
    let (bad, _) = fill_template(&template, "Referrals", referral_rows("Mentoring", true));
    std::fs::write(d.join("bad.xlsx"), bad).unwrap();
    let out = outcomes(
        &[
            "import",
            "referrals",
            "bad.xlsx",
            "--organisation",
            "Provider A",
        ],
        &url,
        d,
    );
    assert!(!out.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains(BAD_ROW_5), "{said}");
    let (good, _) = fill_template(&template, "Referrals", referral_rows("Mentoring", false));
    std::fs::write(d.join("good.xlsx"), good).unwrap();
    let out = ok(outcomes(
        &[
            "import",
            "referrals",
            "good.xlsx",
            "--organisation",
            "Provider A",
        ],
        &url,
        d,
    ));
    assert!(out.contains("imported"), "{out}");
}

/// A minimal OpenDocument spreadsheet (what LibreOffice saves, reduced): one sheet of
/// `rows`; a cell `{"date": …}` is an ODS date cell, a number a float cell.
fn ods(sheet: &str, rows: Value) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.ods");
    let script = r#"
import json, sys, zipfile
from xml.sax.saxutils import escape, quoteattr
rows = json.loads(sys.argv[3])
def cell(v):
    if v is None:
        return '<table:table-cell/>'
    if isinstance(v, dict):
        return f'<table:table-cell office:value-type="date" office:date-value="{v["date"]}"><text:p>{v["date"]}</text:p></table:table-cell>'
    if isinstance(v, (int, float)):
        return f'<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>'
    return f'<table:table-cell office:value-type="string"><text:p>{escape(v)}</text:p></table:table-cell>'
body = ''.join('<table:table-row>' + ''.join(cell(v) for v in row) + '</table:table-row>' for row in rows)
content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    f'<office:body><office:spreadsheet><table:table table:name={quoteattr(sys.argv[2])}>{body}'
    '</table:table></office:spreadsheet></office:body></office:document-content>')
manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    z.writestr(zipfile.ZipInfo('mimetype'), 'application/vnd.oasis.opendocument.spreadsheet')
    z.writestr('META-INF/manifest.xml', manifest, zipfile.ZIP_DEFLATED)
    z.writestr('content.xml', content, zipfile.ZIP_DEFLATED)
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .arg(sheet)
        .arg(rows.to_string())
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&path).unwrap()
}

#[test]
fn an_ods_sessions_sheet_imports_and_its_errors_name_the_sheet_row_and_column() {
    let mut db = fresh_db();
    let org = provider(&mut db.conn, "Provider A");
    casework(&mut db.conn, org);
    let d = |s: &str| json!({"date": s});
    let head = json!([
        "session_ref",
        "programme",
        "date",
        "kind",
        "duration_minutes"
    ]);
    let bad = ods(
        "Sessions",
        json!([
            head,
            ["S1", "Mentoring", d("2025-06-01"), "One to one", 60],
            ["S2", "Mentoring", d("2025-06-02"), "Drop-in", 45]
        ]),
    );
    let errors = invalid(run_bytes(&mut db.conn, org, ImportKind::Sessions, bad));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .to_string()
            .starts_with("Sheet Sessions, row 3, column D (kind): 'Drop-in'"),
        "{}",
        errors[0]
    );
    let good = ods(
        "Sessions",
        json!([
            head,
            ["S1", "Mentoring", d("2025-06-01"), "One to one", 60],
            ["S2", "mentoring", "02/06/2025", "Outreach", 45.0]
        ]),
    );
    let done = run_bytes(&mut db.conn, org, ImportKind::Sessions, good).unwrap();
    assert_eq!(done.inserted, 2, "{done:?}");
    let mut sessions = store::sessions::of_organisation(&mut db.conn, org).unwrap();
    sessions.sort_by(|a, b| a.fields.reference.cmp(&b.fields.reference));
    assert_eq!(sessions[1].fields.date.to_string(), "2025-06-02");
    assert_eq!(sessions[1].fields.duration_minutes, Some(45));
}

#[test]
fn an_offence_extract_as_xlsx_imports_like_its_csv_and_a_misnamed_file_is_refused() {
    let mut db = fresh_db();
    let template = outcomes::imports::template::xlsx(ImportKind::Offences).unwrap();
    let d = |s: &str| json!({"date": s});
    let (book, seen) = fill_template(
        &template,
        "Offences",
        json!([
            ["AB 1", d("2025-02-01"), "Shoplifting", null, null, null],
            [
                "AB 2",
                "03/02/2025",
                "Violence with injury",
                d("2025-05-01"),
                null,
                "Male"
            ],
        ]),
    );
    assert!(seen["choices"]["offence_group"]
        .as_array()
        .unwrap()
        .contains(&json!("Criminal damage and arson")));
    let secret = crate::imports::secret();
    let ctx = outcomes::imports::ImportContext {
        organisation: None,
        user: None,
        secret: &secret,
        today: crate::imports::today(),
        extract_date: chrono::NaiveDate::from_ymd_opt(2026, 10, 31),
        confirm_shrink: false,
    };
    let import = |conn: &mut outcomes::db::DbConn, name: &str, bytes: Vec<u8>| {
        outcomes::imports::import(
            conn,
            &ctx,
            ImportKind::Offences,
            name,
            &outcomes::imports::Source::Bytes(bytes),
            &mut |_| {},
        )
    };
    let done = import(&mut db.conn, "extract.xlsx", book).unwrap();
    assert_eq!((done.rows, done.inserted), (2, 2), "{done:?}");
    let errors = invalid(import(
        &mut db.conn,
        "extract.xlsx",
        b"police_id\n".to_vec(),
    ));
    assert!(
        errors[0]
            .to_string()
            .contains("named .xlsx but is not a workbook"),
        "{errors:?}"
    );
}

#[test]
fn an_offence_extract_workbook_names_sheet_row_and_column_letter_in_its_errors() {
    let mut db = fresh_db();
    let template = outcomes::imports::template::xlsx(ImportKind::Offences).unwrap();
    let d = |s: &str| json!({"date": s});
    // Row 3 (the second under the header) has a date that does not exist, in column B.
    let (book, _) = fill_template(
        &template,
        "Offences",
        json!([
            ["AB 1", d("2025-02-01"), "Shoplifting", null, null, null],
            ["AB 2", "31/02/2025", "Shoplifting", null, null, null],
        ]),
    );
    let secret = crate::imports::secret();
    let ctx = outcomes::imports::ImportContext {
        organisation: None,
        user: None,
        secret: &secret,
        today: crate::imports::today(),
        extract_date: chrono::NaiveDate::from_ymd_opt(2026, 10, 31),
        confirm_shrink: false,
    };
    let errors = invalid(outcomes::imports::import(
        &mut db.conn,
        &ctx,
        ImportKind::Offences,
        "extract.xlsx",
        &outcomes::imports::Source::Bytes(book),
        &mut |_| {},
    ));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .to_string()
            .starts_with("Sheet Offences, row 3, column B (offence_date): '31/02/2025'"),
        "{}",
        errors[0]
    );
}
