//! Issue 21: imports by kind and role (finding 3), offence extracts that cannot be lost by
//! mistake (finding 4), and every report request in the audit trail.

use serde_json::{json, Value};

use crate::casework::{call, world, World};
use crate::helpers::{TestApp, TestSession};
use outcomes::domain::enums::{OrganisationKind, Role};

fn text(html: &str) -> String {
    html.replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&#x3D;", "=")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

async fn post_csv(app: &TestApp, token: &str, path: &str, csv: &str) -> (u16, Value) {
    let res = app
        .client
        .post(format!("{}{path}", app.address))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_string())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

async fn upload_page(
    s: &TestSession,
    app: &TestApp,
    fields: &[(&str, &str)],
    file_name: &str,
    csv: &str,
) -> (u16, String) {
    let mut form = s.upload_form();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    let form = form.part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
            .file_name(file_name.to_string())
            .mime_str("text/csv")
            .unwrap(),
    );
    let res = s
        .client
        .post(format!("{}/uploads", app.address))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, text(&res.text().await.unwrap()))
}

/// What the set-up tables hold, and how many import batches there are.
fn set_up(app: &TestApp) -> Vec<Vec<String>> {
    vec![
        app.column("name", "outcome_measures"),
        app.column("higher_is_better", "outcome_measures"),
        app.column("min_value", "outcome_measures"),
        app.column("name", "programmes"),
        app.column("starts_on", "programmes"),
        app.column("kind", "programmes"),
        app.column("id", "import_batches"),
    ]
}

const FLIP: &str = "name,min,max,higher_is_better\nDrug or alcohol misuse (1-5),1,5,true\n";

/// Finding 3: a caseworker (or manager) flipped the shared measure "Drug or alcohol misuse"
/// to higher-is-better through `POST /api/v1/imports/measures` and the upload page, and
/// rewrote programmes the same way. Both are commissioning set-up: 403 on the API, refused
/// on the page, and nothing changes.
#[tokio::test]
async fn finding_3_provider_staff_cannot_change_commissioning_set_up_through_imports() {
    let w = world().await;
    let opcc = w.app.org("OPCC 2", OrganisationKind::Commissioner);
    let commissioner = w.app.create_user(Role::Commissioner, opcc);
    let ctoken = w.app.bearer(&commissioner);
    let (status, body) = call(
        &w.app,
        "POST",
        &ctoken,
        "/api/v1/measures",
        Some(json!({"name": "Drug or alcohol misuse (1-5)", "min": 1, "max": 5, "higher_is_better": false})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let manager = w.app.create_user(Role::ProviderManager, w.provider);
    let mtoken = w.app.bearer(&manager);
    let programmes = "name,kind,delivery,starts_on\nMentoring,mentoring,individual,2023-04-01\nCaseworker-made,mentoring,individual,2024-04-01\n".to_string();
    let before = set_up(&w.app);
    for token in [&w.token, &mtoken] {
        let (status, body) = post_csv(&w.app, token, "/api/v1/imports/measures", FLIP).await;
        assert_eq!(status, 403, "{body}");
        let path = format!("/api/v1/imports/programmes?organisation_id={}", w.provider);
        let (status, body) = post_csv(&w.app, token, &path, &programmes).await;
        assert_eq!(status, 403, "{body}");
    }
    assert_eq!(
        set_up(&w.app),
        before,
        "the refused imports changed nothing"
    );
    // The upload page offers provider staff neither kind, and refuses them.
    for user in [
        w.app.create_user(Role::Caseworker, w.provider),
        manager.clone(),
    ] {
        let s = w.app.login(&user).await;
        let page = text(&s.get("/uploads").await.text().await.unwrap());
        assert!(page.contains("<option value=\"referrals\">"), "{page}");
        for kind in ["measures", "programmes", "offences"] {
            assert!(
                !page.contains(&format!("<option value=\"{kind}\"")),
                "{kind} is offered: {page}"
            );
        }
        assert!(!page.contains("Data as of"), "{page}");
        let (status, page) =
            upload_page(&s, &w.app, &[("kind", "measures")], "flip.csv", FLIP).await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("Select what the file holds"), "{page}");
        let (status, _) =
            upload_page(&s, &w.app, &[("kind", "programmes")], "p.csv", &programmes).await;
        assert_eq!(status, 422);
    }
    assert_eq!(
        set_up(&w.app),
        before,
        "the refused uploads changed nothing"
    );
    let measure = outcomes::store::measures::all(&mut w.app.db())
        .unwrap()
        .into_iter()
        .find(|m| m.fields.name == "Drug or alcohol misuse (1-5)")
        .unwrap();
    assert!(!measure.fields.higher_is_better);
    // Commissioners may: measures (shared), and programmes of a provider they name.
    let (status, body) = post_csv(&w.app, &ctoken, "/api/v1/imports/measures", FLIP).await;
    assert_eq!((status, &body["updated"]), (200, &json!(1)), "{body}");
    let (status, body) = post_csv(&w.app, &ctoken, "/api/v1/imports/programmes", &programmes).await;
    assert_eq!(status, 422, "a programmes file names its provider: {body}");
    let path = format!("/api/v1/imports/programmes?organisation_id={opcc}");
    let (status, _) = post_csv(&w.app, &ctoken, &path, &programmes).await;
    assert_eq!(status, 422, "programmes belong to a provider");
    let path = format!("/api/v1/imports/programmes?organisation_id={}", w.provider);
    let (status, body) = post_csv(&w.app, &ctoken, &path, &programmes).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["inserted"], &body["updated"]),
        (&json!(1), &json!(1))
    );
}

/// A police offence extract of `rows` rows about people `PN{i % people}`.
fn extract(rows: usize, people: usize) -> String {
    use std::fmt::Write;
    let mut csv = String::from("police_id,offence_date,offence_group,proven_on\n");
    for i in 0..rows {
        writeln!(
            csv,
            "PN{:04},2025-{:02}-15,shoplifting,2025-{:02}-20",
            i % people,
            i % 6 + 6,
            i % 6 + 6
        )
        .unwrap();
    }
    csv
}

/// Participants PN0000.. PN0002 with accepted referrals to Mentoring on 2025-05-01.
async fn cohort(w: &World) {
    for i in 0..3 {
        let (status, p) = call(
            &w.app,
            "POST",
            &w.token,
            "/api/v1/participants",
            Some(json!({"reference": format!("X{i}"), "police_id": format!("PN{i:04}")})),
        )
        .await;
        assert_eq!(status, 201, "{p}");
        let (status, r) = call(
            &w.app,
            "POST",
            &w.token,
            "/api/v1/referrals",
            Some(
                json!({"participant_id": p["id"], "programme_id": w.mentoring,
                "referred_on": "2025-05-01", "source": "police"}),
            ),
        )
        .await;
        assert_eq!(status, 201, "{r}");
    }
}

/// The report, without the moment it was made.
async fn report(app: &TestApp, token: &str, programme: i64) -> Value {
    let (status, mut body) = call(
        app,
        "GET",
        token,
        &format!("/api/v1/reports/programmes/{programme}?period=2025-26&follow_up=3&waiting=0"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["provenance"]
        .as_object_mut()
        .map(|p| p.remove("generated_at"));
    body
}

/// Finding 4 on the API: a 3-row extract silently replaced the whole police data. Now it
/// is refused with both row counts; confirmed, it applies and says what it holds; the
/// previous extract is restored exactly, and the history says which is which.
#[tokio::test]
async fn finding_4_a_shrinking_extract_is_refused_then_confirmed_then_restored_on_the_api() {
    let w = world().await;
    cohort(&w).await;
    let vru = w.app.org("VRU", OrganisationKind::Vru);
    let analyst = w.app.create_user(Role::Analyst, vru);
    let atoken = w.app.bearer(&analyst);
    let path = "/api/v1/imports/offences?extract_date=2026-10-31&file_name=full.csv";
    let (status, body) = post_csv(&w.app, &atoken, path, &extract(12, 6)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            &body["rows"],
            &body["people"],
            &body["matched_participants"]
        ),
        (&json!(12), &json!(6), &json!(3)),
        "{body}"
    );
    let before = report(&w.app, &atoken, w.mentoring).await;
    let small = extract(3, 3);
    let path = "/api/v1/imports/offences?extract_date=2026-11-01&file_name=small.csv";
    let (status, body) = post_csv(&w.app, &atoken, path, &small).await;
    assert_eq!(status, 422, "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("has 3 rows") && message.contains("the 12 rows of the current extract"),
        "{body}"
    );
    assert!(message.contains("confirm_shrink=true"), "{body}");
    assert_eq!(w.app.column("id", "offence_records").len(), 12);
    let (status, body) = post_csv(
        &w.app,
        &atoken,
        &format!("{path}&confirm_shrink=true"),
        &small,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            &body["rows"],
            &body["people"],
            &body["matched_participants"]
        ),
        (&json!(3), &json!(3), &json!(3))
    );
    assert_eq!(w.app.column("id", "offence_records").len(), 3);
    let (_, history) = call(&w.app, "GET", &atoken, "/api/v1/imports", None).await;
    let statuses: Vec<(&str, &str)> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["file_name"].as_str().unwrap(),
                b["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [("small.csv", "current"), ("full.csv", "previous")]
    );
    // Provider staff cannot restore; analysts can.
    let (status, _) = call(
        &w.app,
        "POST",
        &w.token,
        "/api/v1/imports/offences/restore",
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = call(
        &w.app,
        "POST",
        &atoken,
        "/api/v1/imports/offences/restore",
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["restored"]["file_name"], "full.csv");
    assert_eq!(body["replaced"]["status"], "previous");
    assert_eq!((&body["rows"], &body["people"]), (&json!(12), &json!(6)));
    assert_eq!(w.app.column("id", "offence_records").len(), 12);
    let after = report(&w.app, &atoken, w.mentoring).await;
    assert_eq!(
        after, before,
        "the restored extract gives back the same report"
    );
    assert!(w
        .app
        .column("action", "audit_events")
        .contains(&"restore".to_string()));
}

/// The upload page shows the current extract against the new file before replacing it,
/// refuses a shrink that is not confirmed, and restores the previous extract.
#[tokio::test]
async fn the_upload_page_confirms_before_an_extract_replaces_the_current_one() {
    let w = world().await;
    cohort(&w).await;
    let vru = w.app.org("VRU", OrganisationKind::Vru);
    let analyst = w.app.create_user(Role::Analyst, vru);
    let s = w.app.login(&analyst).await;
    let page = text(&s.get("/uploads").await.text().await.unwrap());
    assert!(page.contains("<option value=\"offences\">"), "{page}");
    assert!(!page.contains("<option value=\"referrals\""), "{page}");
    let as_of = [("kind", "offences"), ("extract_date", "2026-10-31")];
    // The first extract has nothing to replace: it is imported at once.
    let (status, page) = upload_page(&s, &w.app, &as_of, "full.csv", &extract(12, 6)).await;
    assert_eq!(status, 303, "{page}");
    let page = text(&s.get("/uploads").await.text().await.unwrap());
    assert!(
        page.contains("holds 12 rows about 6 people, matching 3 participants"),
        "{page}"
    );
    // An older extract is refused at once, not shown for confirmation.
    let older = [("kind", "offences"), ("extract_date", "2026-09-30")];
    let (status, page) = upload_page(&s, &w.app, &older, "old.csv", &extract(11, 6)).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("this one is older (2026-09-30)"), "{page}");
    // A second is shown against the current one first.
    let (status, page) = upload_page(&s, &w.app, &as_of, "small.csv", &extract(2, 2)).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("every programme's reoffending figures will change"),
        "{page}"
    );
    for row in [
        "Rows</th><td class=\"govuk-table__cell\">12</td><td class=\"govuk-table__cell\">2</td>",
        "People</th><td class=\"govuk-table__cell\">6</td><td class=\"govuk-table__cell\">2</td>",
        "Participants matched</th><td class=\"govuk-table__cell\">3</td><td class=\"govuk-table__cell\">2</td>",
    ] {
        assert!(page.contains(row), "{row}: {page}");
    }
    assert!(page.contains("fewer than half"), "{page}");
    assert_eq!(w.app.column("id", "offence_records").len(), 12, "not yet");
    let sha = page
        .split("name=\"confirm_sha256\" value=\"")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .unwrap()
        .to_string();
    let confirm = [
        ("kind", "offences"),
        ("extract_date", "2026-10-31"),
        ("confirm_sha256", sha.as_str()),
    ];
    // Not confirming the shrink: refused with both counts, nothing changed.
    let (status, page) = upload_page(&s, &w.app, &confirm, "small.csv", &extract(2, 2)).await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("has 2 rows, fewer than half the 12 rows"),
        "{page}"
    );
    assert_eq!(w.app.column("id", "offence_records").len(), 12);
    // Another file under the confirmation of the first is shown again, not imported.
    let (status, page) = upload_page(&s, &w.app, &confirm, "other.csv", &extract(9, 3)).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Replace the police offence extract?"),
        "{page}"
    );
    assert_eq!(w.app.column("id", "offence_records").len(), 12);
    let mut shrink = confirm.to_vec();
    shrink.push(("confirm_shrink", "yes"));
    let (status, page) = upload_page(&s, &w.app, &shrink, "small.csv", &extract(2, 2)).await;
    assert_eq!(status, 303, "{page}");
    assert_eq!(w.app.column("id", "offence_records").len(), 2);
    let page = text(&s.get("/uploads").await.text().await.unwrap());
    assert!(page.contains("Current extract, as of 2026-10-31"), "{page}");
    assert!(page.contains("Replaced (can be restored)"), "{page}");
    assert!(page.contains("Restore the previous extract"), "{page}");
    let res = s.post_form("/uploads/offences/restore", &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(w.app.column("id", "offence_records").len(), 12);
    let page = text(&s.get("/uploads").await.text().await.unwrap());
    assert!(
        page.contains("Restored the offence extract full.csv"),
        "{page}"
    );
}

/// Every report request is in the audit trail with its parameters: API, pages, downloads
/// and the dashboard, and refused requests too.
#[tokio::test]
async fn every_report_request_is_audited_with_its_parameters() {
    let w = world().await;
    let vru = w.app.org("VRU", OrganisationKind::Vru);
    let analyst = w.app.create_user(Role::Analyst, vru);
    let atoken = w.app.bearer(&analyst);
    let details = || {
        let actions = w.app.column("action", "audit_events");
        let details = w.app.column("detail", "audit_events");
        let entities = w.app.column("entity", "audit_events");
        actions
            .into_iter()
            .zip(entities)
            .zip(details)
            .filter(|((a, _), _)| a == "report_download" || a == "report_view")
            .map(|((_, e), d)| format!("{e} {d}"))
            .collect::<Vec<_>>()
    };
    let path = format!(
        "/api/v1/reports/programmes/{}?period=2025-26&follow_up=6&waiting=3&index=start",
        w.mentoring
    );
    let (status, _) = call(&w.app, "GET", &atoken, &path, None).await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &w.app,
        "GET",
        &atoken,
        &format!(
            "/api/v1/reports/programmes/{}?period=not-a-period",
            w.mentoring
        ),
        None,
    )
    .await;
    assert_eq!(status, 422);
    let s = w.app.login(&analyst).await;
    let page = format!(
        "/programmes/{}/report?period=2025-26&published=true",
        w.mentoring
    );
    assert_eq!(s.get(&page).await.status().as_u16(), 200);
    assert_eq!(
        s.get(&format!("{page}&format=csv")).await.status().as_u16(),
        200
    );
    assert_eq!(
        s.get("/dashboard?period=2025-26&sort=-referrals")
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        s.get("/dashboard?period=yesterday").await.status().as_u16(),
        422
    );
    let got = details();
    let expect = [
        "report format=json period=2025-26 follow_up=6 waiting=3 index=start mode=internal price_year=default",
        "report refused=period format=json period=not-a-period",
        "report format=html period=2025-26 follow_up=12 waiting=6 index=referral mode=published",
        "report format=csv period=2025-26 follow_up=12 waiting=6 index=referral mode=published",
        "dashboard format=html period=2025-26 sort=-referrals programmes=2",
        "dashboard format=html period=yesterday sort=programme refused=period",
    ];
    assert_eq!(got.len(), expect.len(), "{got:#?}");
    for (g, e) in got.iter().zip(expect) {
        assert!(g.starts_with(e), "{g} does not start with {e}");
    }
}

/// Finding 4 on the command line, over the demo: a 3-row extract is refused with both row
/// counts; with --confirm-shrink it applies; `outcomes extract restore` gives back the
/// previous figures exactly.
#[test]
fn finding_4_on_the_command_line_a_three_row_extract_over_the_demo_is_refused_confirmed_and_restored(
) {
    use crate::cli::outcomes;
    let dir = tempfile::tempdir().unwrap();
    let url = crate::helpers::fresh_database(&dir);
    let d = dir.path();
    let ok = |out: std::process::Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    ok(outcomes(&["demo", "--scale", "small"], &url, d));
    let report = || {
        ok(outcomes(
            &[
                "report",
                "--provider",
                "Remedi",
                "--period",
                "2024-25",
                "--format",
                "json",
                "--output",
                "report.json",
            ],
            &url,
            d,
        ));
        let mut json: Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("report.json")).unwrap()).unwrap();
        json["provenance"]
            .as_object_mut()
            .map(|p| p.remove("generated_at"));
        json
    };
    let before = report();
    let demo_rows = w_count(&url);
    assert!(demo_rows > 1000, "the demo's extract: {demo_rows} rows");
    let today = chrono::Utc::now().date_naive().to_string();
    std::fs::write(
        d.join("three.csv"),
        "police_id,offence_date,offence_group,proven_on\nAB1,2025-01-01,shoplifting,\nAB2,2025-01-01,robbery,\nAB3,2025-02-01,public_order,\n",
    )
    .unwrap();
    let import = ["import", "offences", "three.csv", "--extract-date", &today];
    let refused = outcomes(&import, &url, d);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains(&format!(
            "has 3 rows, fewer than half the {} rows of the current extract",
            ::outcomes::imports::thousands(demo_rows as u64)
        )),
        "{message}"
    );
    assert_eq!(w_count(&url), demo_rows, "nothing changed");
    let mut confirmed = import.to_vec();
    confirmed.push("--confirm-shrink");
    let out = ok(outcomes(&confirmed, &url, d));
    assert!(out.contains("now holds 3 rows about 3 people"), "{out}");
    assert_eq!(w_count(&url), 3);
    assert_ne!(report(), before, "the 3-row extract changed the figures");
    let out = ok(outcomes(&["extract", "restore"], &url, d));
    assert!(out.contains(&format!("{demo_rows} rows")), "{out}");
    assert_eq!(w_count(&url), demo_rows);
    assert_eq!(
        report(),
        before,
        "the restored extract gives back the same report"
    );
    // Nothing more to restore than the 3-row extract, which a second restore brings back.
    ok(outcomes(&["extract", "restore"], &url, d));
    assert_eq!(w_count(&url), 3);
}

/// The offence records in the database at `url`.
fn w_count(url: &str) -> i64 {
    let mut conn = outcomes::db::DatabaseUrl::parse(url)
        .unwrap()
        .connect()
        .unwrap();
    outcomes::store::offences::count(&mut conn).unwrap()
}
