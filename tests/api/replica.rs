//! Reports with a read replica configured (`REPORTING_DATABASE_URL`, `db::reporting`):
//! the fallback to the primary when the replica cannot be reached, and the provenance
//! line that says where the rows were read, in every format. A real streaming replica is
//! proven by `scripts/soak replica` (docs/operations.md).

use serde_json::{json, Value};

use outcomes::evaluation::report::{ReadFrom, Report};
use outcomes::reports::{render, Format};

use crate::casework::{accepted_referral, call, session, world};
use crate::helpers::{capture_logs, postgres_url, spawn_instance_on_with, test_settings};
use crate::imports::fresh_db;
use crate::reports::{fixture_report, load_fixture};

const FALLBACK_LINE: &str = "reports fall back to the primary database";

/// The report without the moment it was computed and where it was read.
fn figures(mut v: Value) -> Value {
    let p = v["provenance"].as_object_mut().unwrap();
    p.remove("generated_at");
    p.remove("read_from");
    v
}

/// A PostgreSQL URL on which nothing listens: a port just taken and let go.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("postgres://postgres@127.0.0.1:{port}/outcomes")
}

#[tokio::test]
async fn reports_fall_back_to_the_primary_when_the_replica_cannot_be_reached() {
    if postgres_url().is_none() {
        // A replica is PostgreSQL, of a PostgreSQL main database: with SQLite the setting
        // is refused at start-up, naming it, rather than silently not used.
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("outcomes.db").display());
        let mut settings = test_settings(&url, &dir);
        settings.reporting_database_url = Some(closed_port_url());
        let err = outcomes::startup::Application::build(&settings, "127.0.0.1:0")
            .err()
            .expect("a replica of a SQLite database is refused")
            .to_string();
        assert!(err.contains("REPORTING_DATABASE_URL"), "{err}");
        return;
    }
    let logs = capture_logs();
    let warnings_before = logs.text().matches(FALLBACK_LINE).count();

    // Records on the primary, through an instance without a replica.
    let w = world().await;
    let referral = accepted_referral(&w, w.mentoring, None).await;
    let s = session(&w, w.mentoring).await;
    let (status, body) = call(
        &w.app,
        "PUT",
        &w.token,
        &format!("/api/v1/sessions/{s}/attendance"),
        Some(json!({"attendance": [{"referral_id": referral, "status": "attended", "hours": 2}]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let path = format!("/api/v1/reports/programmes/{}?period=2025-26", w.mentoring);
    let (status, on_primary) = call(&w.app, "GET", &w.admin_token, &path, None).await;
    assert_eq!(status, 200, "{on_primary}");
    assert!(
        on_primary["provenance"].get("read_from").is_none(),
        "without a replica the provenance says nothing about one: {}",
        on_primary["provenance"]
    );

    // Another instance on the same primary, its replica a closed port. A replica that is
    // down does not stop the service starting.
    let replica_url = closed_port_url();
    let b = spawn_instance_on_with(&w.app.database_url, |s| {
        s.reporting_database_url = Some(replica_url)
    })
    .await;

    for attempt in 1..=2 {
        let (status, fell_back) = call(&b, "GET", &w.admin_token, &path, None).await;
        assert_eq!(status, 200, "attempt {attempt}: {fell_back}");
        assert_eq!(
            fell_back["provenance"]["read_from"],
            json!({
                "database": "primary",
                "replayed_at": null,
                "lag_seconds": null,
                "fallback": "the replica could not be reached",
            }),
            "attempt {attempt}"
        );
        assert_eq!(
            figures(fell_back.clone()),
            figures(on_primary.clone()),
            "attempt {attempt}: the primary's figures"
        );
        assert_eq!(fell_back["engagement"]["referrals_received"], 1);
    }

    // One warning line for both reports (the second did not try the replica again), with
    // no personal data in it: no participant reference, no password, no query text.
    let text = logs.text();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(FALLBACK_LINE)).collect();
    assert_eq!(
        lines.len() - warnings_before,
        1,
        "one warning line: {lines:#?}"
    );
    let line = lines.last().unwrap();
    assert!(line.contains("WARN"), "{line}");
    assert!(line.contains("the replica could not be reached"), "{line}");
    for secret in ["SELECT", "reference", "password"] {
        assert!(!line.contains(secret), "{secret} in {line}");
    }
}

fn fixture() -> Report {
    let mut db = fresh_db();
    let scope = load_fixture(&mut db.conn);
    fixture_report(&mut db.conn, scope, false)
}

fn text_of(report: &Report, format: Format) -> String {
    String::from_utf8(render(report, format).unwrap()).unwrap()
}

#[test]
fn the_provenance_says_where_the_rows_were_read_in_every_format() {
    let mut report = fixture();
    // Without a replica configured: no such line anywhere.
    for format in [Format::Json, Format::Csv, Format::Html] {
        let text = text_of(&report, format);
        assert!(!text.contains("Case records as of"), "{format:?}");
        assert!(!text.contains("read_from"), "{format:?}");
    }

    let replayed_at = chrono::DateTime::parse_from_rfc3339("2026-12-07T11:30:05.25Z")
        .unwrap()
        .to_utc();
    report.body.provenance.read_from = Some(ReadFrom {
        database: "replica",
        replayed_at: Some(replayed_at),
        lag_seconds: Some(0.0),
        fallback: None,
    });
    let json: Value = serde_json::from_str(&text_of(&report, Format::Json)).unwrap();
    assert_eq!(
        json["provenance"]["read_from"],
        json!({"database": "replica", "replayed_at": "2026-12-07T11:30:05.250Z",
               "lag_seconds": 0.0, "fallback": null})
    );
    let line =
        "2026-12-07 11:30:05 UTC (the last change the read replica replayed; 0 s behind the primary)";
    let html = text_of(&report, Format::Html);
    assert!(html.contains("Case records as of"));
    assert!(html.contains(line), "the HTML provenance line");
    let csv = text_of(&report, Format::Csv);
    let row = csv
        .lines()
        .find(|l| l.contains("read_from"))
        .expect("a CSV provenance row");
    assert!(row.contains(line), "{row}");
    #[cfg(feature = "pdf")]
    {
        let pdf = pdf_text(&render(&report, Format::Pdf).unwrap());
        assert!(
            pdf.contains("Case records as of"),
            "the PDF provenance line"
        );
        assert!(pdf.contains("2026-12-07 11:30:05 UTC"), "{pdf}");
    }

    report.body.provenance.read_from = Some(outcomes::db::reporting::primary(
        "the replica could not be reached",
        None,
    ));
    let generated = report
        .body
        .provenance
        .generated_at
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string();
    let html = text_of(&report, Format::Html);
    assert!(html.contains(&format!(
        "{generated} (read from the primary database: the replica could not be reached)"
    )));
}

#[cfg(feature = "pdf")]
fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs (apt-get install poppler-utils)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}
