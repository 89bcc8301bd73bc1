//! The report page with its downloads, and the VRU dashboard: the figures the pages show
//! are the JSON API's, access follows the registry, downloads are attachments.

use outcomes::domain::enums::{ImportKind, OrganisationKind, Role};
use outcomes::store::report_rows::ReportScope;
use serde_json::Value;

use crate::helpers::{spawn_app_small as spawn_app, TestApp};
use crate::reports::load_fixture;

/// The fixture of `reports.rs` in the app's database: (programme id, provider id).
fn load(app: &TestApp) -> (i64, i64) {
    let mut conn = app.db();
    let ReportScope::Programme(programme) = load_fixture(&mut conn) else {
        unreachable!()
    };
    let org = outcomes::store::organisations::find_by_name(&mut conn, "Provider A")
        .unwrap()
        .unwrap()
        .id;
    (programme.0, org.0)
}

async fn api_report(app: &TestApp, programme: i64, token: &str) -> Value {
    let path = format!("/api/v1/reports/programmes/{programme}?period=2024-25");
    let res = app.get_with_token(&path, token).await;
    assert_eq!(res.status().as_u16(), 200);
    res.json().await.unwrap()
}

fn percent(v: &Value) -> String {
    format!("{:.1}%", v.as_f64().unwrap() * 100.0)
}

#[tokio::test]
async fn the_report_page_shows_the_apis_figures() {
    let app = spawn_app().await;
    let (programme, org) = load(&app);
    let manager = app.create_user(Role::ProviderManager, org);
    let json = api_report(&app, programme, &app.bearer(&manager)).await;
    let session = app.session_for(&manager);
    let res = session
        .get(&format!("/programmes/{programme}/report?period=2024-25"))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    let received = json["engagement"]["referrals_received"].as_u64().unwrap();
    assert!(html.contains(&format!(
        "data-metric=\"referrals_received\">{received}</td>"
    )));
    let rate = percent(&json["reoffending"]["groups"]["all"]["reoffending_rate"]);
    assert!(html.contains(&format!("data-metric=\"reoffending_rate\">{rate}</td>")));
    for f in ["csv", "xlsx", "pdf", "json"] {
        assert!(
            html.contains(&format!("published&#x3D;false&amp;format&#x3D;{f}")),
            "{f}"
        );
        assert!(
            html.contains(&format!("published&#x3D;true&amp;format&#x3D;{f}")),
            "{f}"
        );
    }
}

#[tokio::test]
async fn without_a_period_the_page_offers_the_current_year() {
    let app = spawn_app().await;
    let (programme, org) = load(&app);
    let session = app.session_for(&app.create_user(Role::ProviderManager, org));
    let res = session
        .get(&format!("/programmes/{programme}/report"))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    let year = outcomes::domain::period::FinancialYear::containing(chrono::Utc::now().date_naive())
        .to_string();
    assert!(html.contains(&format!("name=\"period\" type=\"text\" value=\"{year}\"")));
    let bad = session
        .get(&format!(
            "/programmes/{programme}/report?period=2024/25&follow_up=7"
        ))
        .await;
    assert_eq!(bad.status().as_u16(), 422);
    let html = bad.text().await.unwrap();
    assert!(html.contains("govuk-error-summary") && html.contains("href=\"#follow_up\""));
}

#[tokio::test]
async fn a_caseworker_gets_403_and_another_providers_manager_404() {
    let app = spawn_app().await;
    let (programme, org) = load(&app);
    let path = format!("/programmes/{programme}/report?period=2024-25");
    let caseworker = app.session_for(&app.create_user(Role::Caseworker, org));
    assert_eq!(caseworker.get(&path).await.status().as_u16(), 403);
    let b = app.provider("Provider B");
    let other = app.session_for(&app.create_user(Role::ProviderManager, b));
    assert_eq!(other.get(&path).await.status().as_u16(), 404);
}

#[tokio::test]
async fn a_download_is_an_audited_attachment_of_its_media_type() {
    let app = spawn_app().await;
    let (programme, org) = load(&app);
    let manager = app.create_user(Role::ProviderManager, org);
    let session = app.session_for(&manager);
    for (format, media) in [
        ("csv", "text/csv; charset=utf-8"),
        ("json", "application/json"),
        (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ] {
        let res = session
            .get(&format!(
                "/programmes/{programme}/report?period=2024-25&published=true&format={format}"
            ))
            .await;
        assert_eq!(res.status().as_u16(), 200, "{format}");
        let header = |h: &str| res.headers()[h].to_str().unwrap().to_string();
        assert_eq!(header("content-type"), media);
        assert_eq!(
            header("content-disposition"),
            format!("attachment; filename=\"mentoring-2024-25-published.{format}\"")
        );
        assert!(!res.bytes().await.unwrap().is_empty());
    }
    let (events, _) = outcomes::store::audit::list(
        &mut app.db(),
        &outcomes::store::audit::Filter {
            action: Some(outcomes::domain::enums::AuditAction::ReportDownload),
            ..Default::default()
        },
        1,
        10,
    )
    .unwrap();
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e.user_id == Some(manager.id)));
}

/// The fixture, a second provider's empty programme, and a commissioner's browser.
async fn dashboard_app() -> (TestApp, i64, i64, crate::helpers::TestSession) {
    let app = spawn_app().await;
    let (mentoring, _) = load(&app);
    let b = app.provider("Provider B");
    let boxing = app.add_programme(b, "Boxing");
    let opcc = app.org("OPCC", OrganisationKind::Commissioner);
    let session = app.session_for(&app.create_user(Role::Commissioner, opcc));
    (app, mentoring, boxing, session)
}

/// Where each name first appears in `html`.
fn order(html: &str, names: [&str; 2]) -> bool {
    html.find(names[0]).unwrap() < html.find(names[1]).unwrap()
}

#[tokio::test]
async fn the_dashboard_lists_every_programme_with_the_apis_figures() {
    let (app, mentoring, boxing, session) = dashboard_app().await;
    let opcc = outcomes::store::organisations::find_by_name(&mut app.db(), "OPCC")
        .unwrap()
        .unwrap()
        .id;
    let json = api_report(
        &app,
        mentoring,
        &app.bearer(&app.create_user(Role::Analyst, opcc.0)),
    )
    .await;
    let res = session.get("/dashboard?period=2024-25").await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    for id in [mentoring, boxing] {
        assert!(html.contains(&format!("href=\"/programmes/{id}/report?period=2024-25\"")));
    }
    let row = &html[html.find(">Mentoring</a>").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    let received = json["engagement"]["referrals_received"].as_u64().unwrap();
    assert!(row.contains(&format!(">{received}</td>")), "{row}");
    // Four measurable people: under the analyst's minimum (the threshold, 5), so the
    // dashboard says so as the API does (issue 21).
    assert_eq!(
        json["reoffending"]["groups"]["all"]["reoffending_rate"],
        "[m]"
    );
    assert!(
        row.contains(">fewer than 5 people: not reported</td>"),
        "{row}"
    );
    // The empty programme has no rates: a dash each.
    let row = &html[html.find(">Boxing</a>").unwrap()..];
    assert!(row[..row.find("</tr>").unwrap()].contains(">–</td>"));
}

#[tokio::test]
async fn the_dashboard_sorts_by_the_chosen_column() {
    let (_app, _, _, session) = dashboard_app().await;
    let page = |q: &'static str| {
        let s = &session;
        async move {
            s.get(&format!("/dashboard?period=2024-25{q}"))
                .await
                .text()
                .await
                .unwrap()
        }
    };
    let (b, m) = (">Boxing</a>", ">Mentoring</a>");
    assert!(order(&page("").await, [b, m]));
    assert!(order(&page("&sort=-programme").await, [m, b]));
    assert!(order(&page("&sort=referrals").await, [b, m]));
    let html = page("&sort=-referrals").await;
    assert!(order(&html, [m, b]));
    assert!(html.contains("aria-sort=\"descending\""));
    // The heading of the sorted column links to the other direction.
    assert!(html.contains("sort&#x3D;referrals\">Referrals received</a>"));
}

#[tokio::test]
async fn the_dashboard_is_for_aggregate_readers_and_checks_the_period() {
    let (app, _, _, session) = dashboard_app().await;
    let org = outcomes::store::organisations::find_by_name(&mut app.db(), "Provider A")
        .unwrap()
        .unwrap()
        .id;
    let manager = app.session_for(&app.create_user(Role::ProviderManager, org.0));
    assert_eq!(manager.get("/dashboard").await.status().as_u16(), 403);
    let res = session.get("/dashboard").await;
    assert_eq!(res.status().as_u16(), 200);
    let year = outcomes::domain::period::FinancialYear::containing(chrono::Utc::now().date_naive())
        .to_string();
    assert!(res
        .text()
        .await
        .unwrap()
        .contains(&format!("value=\"{year}\"")));
    let bad = session.get("/dashboard?period=someday").await;
    assert_eq!(bad.status().as_u16(), 422);
    assert!(bad.text().await.unwrap().contains("govuk-error-summary"));
}

#[tokio::test]
async fn the_programme_page_links_to_its_report_for_report_readers_only() {
    let app = spawn_app().await;
    let (programme, org) = load(&app);
    let link = format!("href=\"/programmes/{programme}/report\"");
    let page = format!("/programmes/{programme}");
    let manager = app.session_for(&app.create_user(Role::ProviderManager, org));
    assert!(manager
        .get(&page)
        .await
        .text()
        .await
        .unwrap()
        .contains(&link));
    let caseworker = app.session_for(&app.create_user(Role::Caseworker, org));
    assert!(!caseworker
        .get(&page)
        .await
        .text()
        .await
        .unwrap()
        .contains(&link));
}

#[tokio::test]
async fn the_dashboard_shows_referrals_by_quarter_as_the_report_counts_them() {
    let (app, mentoring, _boxing, session) = dashboard_app().await;
    let opcc = outcomes::store::organisations::find_by_name(&mut app.db(), "OPCC")
        .unwrap()
        .unwrap()
        .id;
    let json = api_report(
        &app,
        mentoring,
        &app.bearer(&app.create_user(Role::Analyst, opcc.0)),
    )
    .await;
    let html = session
        .get("/dashboard?period=2024-25")
        .await
        .text()
        .await
        .unwrap();
    let table = &html[html.find("id=\"dashboard-trend\"").expect("a trend table")..];
    let table = &table[..table.find("</table>").unwrap()];
    for q in [
        "April to June 2024 (Q1 2024-25)",
        "July to September 2024 (Q2 2024-25)",
        "October to December 2024 (Q3 2024-25)",
        "January to March 2025 (Q4 2024-25)",
    ] {
        assert!(table.contains(&format!(">{q}</th>")), "{table}");
    }
    let row = &table[table.find(">Mentoring <").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    let cells: Vec<u64> = row
        .split("govuk-table__cell--numeric\">")
        .skip(1)
        .map(|c| c[..c.find('<').unwrap()].parse().unwrap())
        .collect();
    let trend: Vec<u64> = json["trend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["engagement"]["referrals_received"].as_u64().unwrap())
        .collect();
    assert_eq!(cells, trend);
    // The quarters add up to the year.
    assert_eq!(
        cells.iter().sum::<u64>(),
        json["engagement"]["referrals_received"].as_u64().unwrap()
    );
    assert!(cells.iter().any(|&n| n > 0), "{row}");
}

#[tokio::test]
async fn a_provider_report_page_shows_the_provider_apis_figures_and_offers_its_downloads() {
    let app = spawn_app().await;
    let (_, org) = load(&app);
    let manager = app.create_user(Role::ProviderManager, org);
    let res = app
        .get_with_token(
            &format!("/api/v1/reports/providers/{org}?period=2024-25"),
            &app.bearer(&manager),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let json: Value = res.json().await.unwrap();
    let session = app.session_for(&manager);
    let res = session
        .get(&format!("/providers/{org}/report?period=2024-25"))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("Provider A"));
    let received = json["engagement"]["referrals_received"].as_u64().unwrap();
    assert!(html.contains(&format!(
        "data-metric=\"referrals_received\">{received}</td>"
    )));
    for f in ["csv", "xlsx", "pdf", "json"] {
        assert!(html.contains(&format!(
            "href=\"/providers/{org}/report?period&#x3D;2024-25"
        )));
        assert!(html.contains(&format!("published&#x3D;true&amp;format&#x3D;{f}")));
    }
    let csv = session
        .get(&format!(
            "/providers/{org}/report?period=2024-25&format=csv"
        ))
        .await;
    assert_eq!(csv.status().as_u16(), 200);
    assert_eq!(
        csv.headers()["content-disposition"].to_str().unwrap(),
        "attachment; filename=\"provider-a-2024-25-internal.csv\""
    );
    // Another provider's manager cannot tell the provider from one that does not exist.
    let b = app.provider("Provider B");
    let other = app.session_for(&app.create_user(Role::ProviderManager, b));
    let path = format!("/providers/{org}/report?period=2024-25");
    assert_eq!(other.get(&path).await.status().as_u16(), 404);
    assert_eq!(
        other
            .get("/providers/999999/report?period=2024-25")
            .await
            .status()
            .as_u16(),
        404
    );
}

#[tokio::test]
async fn a_funding_stream_report_page_shows_the_streams_money_to_aggregate_readers_only() {
    let (app, mentoring, boxing, commissioner) = dashboard_app().await;
    let stream = outcomes::store::funding_streams::insert(
        &mut app.db(),
        "Serious Violence Duty grant 2024-25",
        "Home Office",
        "2024-25",
        5_000_000,
    )
    .unwrap();
    // £30,000 to Mentoring from this stream; Boxing is funded by another stream only.
    outcomes::store::funding_streams::allocate(
        &mut app.db(),
        stream,
        outcomes::domain::ids::ProgrammeId(mentoring),
        3_000_000,
    )
    .unwrap();
    let other = app.add_funding_stream("Another grant");
    outcomes::store::funding_streams::allocate(
        &mut app.db(),
        outcomes::domain::ids::FundingStreamId(other),
        outcomes::domain::ids::ProgrammeId(boxing),
        1_000_000,
    )
    .unwrap();
    let path = format!("/funding-streams/{}/report?period=2024-25", stream.0);
    let res = commissioner.get(&path).await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("Serious Violence Duty grant 2024-25"));
    // Mentoring's referrals of 2024-25 (the fixture: R1 to R6), none of Boxing's.
    assert!(html.contains("data-metric=\"referrals_received\">6</td>"));
    assert!(html.contains("£30,000"), "the stream's allocation");
    assert!(!html.contains("£10,000"), "not the other stream's");
    let org = outcomes::store::organisations::find_by_name(&mut app.db(), "Provider A")
        .unwrap()
        .unwrap()
        .id;
    let manager = app.session_for(&app.create_user(Role::ProviderManager, org.0));
    assert_eq!(manager.get(&path).await.status().as_u16(), 403);
}

#[tokio::test]
async fn the_reports_page_lists_what_the_viewer_may_read() {
    let (app, mentoring, boxing, commissioner) = dashboard_app().await;
    let stream = app.add_funding_stream("Community safety fund");
    let year = outcomes::domain::period::FinancialYear::containing(chrono::Utc::now().date_naive())
        .to_string();
    let html = commissioner.get("/reports").await.text().await.unwrap();
    for id in [mentoring, boxing] {
        assert!(html.contains(&format!("href=\"/programmes/{id}/report?period={year}\"")));
    }
    assert!(html.contains(&format!(
        "href=\"/funding-streams/{stream}/report?period=2025-26\""
    )));
    let a = outcomes::store::organisations::find_by_name(&mut app.db(), "Provider A")
        .unwrap()
        .unwrap()
        .id
        .0;
    let b = outcomes::store::organisations::find_by_name(&mut app.db(), "Provider B")
        .unwrap()
        .unwrap()
        .id
        .0;
    assert!(html.contains(&format!("href=\"/providers/{b}/report?period={year}\"")));
    let manager = app.session_for(&app.create_user(Role::ProviderManager, a));
    let res = manager.get("/reports").await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!("href=\"/programmes/{mentoring}/report")));
    assert!(html.contains(&format!("href=\"/providers/{a}/report")));
    assert!(
        !html.contains(&format!("/programmes/{boxing}/")),
        "another provider's"
    );
    assert!(
        !html.contains(&format!("/providers/{b}/")),
        "another provider"
    );
    assert!(
        !html.contains("/funding-streams/"),
        "streams span providers"
    );
    assert!(!html.contains("Provider B"));
    let caseworker = app.session_for(&app.create_user(Role::Caseworker, a));
    assert_eq!(caseworker.get("/reports").await.status().as_u16(), 403);
}

#[tokio::test]
async fn the_report_form_keeps_the_reoffending_settings_asked_for() {
    let app = spawn_app().await;
    let (programme, org) = load(&app);
    let manager = app.create_user(Role::ProviderManager, org);
    let session = app.session_for(&manager);
    let html = session
        .get(&format!(
            "/programmes/{programme}/report?period=2024-25&follow_up=6&index=start"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("<option value=\"6\" selected>6 months</option>"));
    assert!(html.contains("<option value=\"12\">12 months</option>"));
    assert!(html.contains("<option value=\"start\" selected>"));
    // The figures are the API's for the same settings, and the downloads keep them.
    let json: Value = app
        .get_with_token(
            &format!(
                "/api/v1/reports/programmes/{programme}?period=2024-25&follow_up=6&index=start"
            ),
            &app.bearer(&manager),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json["reoffending"]["follow_up_months"], 6);
    assert_eq!(json["reoffending"]["index"], "start");
    let cohort = json["reoffending"]["groups"]["all"]["cohort"]
        .as_u64()
        .unwrap();
    assert!(
        html.contains(&format!("data-metric=\"cohort\">{cohort}</td>")),
        "cohort {cohort}"
    );
    assert!(html.contains("follow_up&#x3D;6&amp;waiting&#x3D;6&amp;index&#x3D;start"));
}

/// Issue 22: the downloads are at the top of the report, before its summary, each with
/// its size (and the PDF's pages), and the HTML document is one of them.
#[tokio::test]
async fn the_downloads_come_first_with_their_sizes_and_the_html_is_one_of_them() {
    let app = spawn_app().await;
    let (programme, org) = load(&app);
    let session = app.session_for(&app.create_user(Role::ProviderManager, org));
    let html = session
        .get(&format!("/programmes/{programme}/report?period=2024-25"))
        .await
        .text()
        .await
        .unwrap();
    let downloads = html.find("id=\"downloads\"").expect("a downloads block");
    assert!(downloads < html.find("id=\"summary\"").unwrap());
    for format in ["pdf", "xlsx", "csv", "document", "json"] {
        // Handlebars writes `=` in an attribute as `&#x3D;`.
        assert!(
            html.contains(&format!("format&#x3D;{format}\" download>")),
            "{format}"
        );
    }
    // "PDF, 41 KB, 4 pages" and the other files' sizes, for the mode shown.
    let about: Vec<&str> = html
        .split("app-attachment__about\">")
        .skip(1)
        .map(|s| &s[..s.find('<').unwrap()])
        .collect();
    assert_eq!(about.len(), 5, "{about:?}");
    assert!(
        about[0].starts_with("PDF, ") && about[0].contains(" KB, ") && about[0].ends_with(" pages")
    );
    // The pages are the PDF's own (typst writes `/Type/Page`: they once read "0 pages").
    let pages: usize = about[0]
        .trim_end_matches(" pages")
        .rsplit(", ")
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let pdf = session
        .get(&format!(
            "/programmes/{programme}/report?period=2024-25&format=pdf"
        ))
        .await
        .bytes()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.pdf"), &pdf).unwrap();
    let info = std::process::Command::new("pdfinfo")
        .arg(dir.path().join("r.pdf"))
        .output()
        .expect("pdfinfo (poppler-utils)");
    let info = String::from_utf8_lossy(&info.stdout);
    let counted: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .expect("pdfinfo reads the pages")
        .trim()
        .parse()
        .unwrap();
    assert!(pages > 1, "{}", about[0]);
    assert_eq!(pages, counted, "{}", about[0]);
    assert!(about.iter().any(|a| a.starts_with("HTML, ")));
    // Every table scrolls in its own focusable container.
    assert_eq!(
        html.matches("<table class=\"govuk-table\" id=\"table-")
            .count(),
        html.matches("class=\"app-table-container\" tabindex=\"0\"")
            .count()
    );
    let res = session
        .get(&format!(
            "/programmes/{programme}/report?period=2024-25&format=document"
        ))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers()["content-disposition"].to_str().unwrap(),
        "attachment; filename=\"mentoring-2024-25-internal.html\""
    );
    let doc = res.text().await.unwrap();
    assert!(doc.starts_with("<!DOCTYPE html>") && doc.contains("Glossary"));
}

/// Hand-computed: £4,600 for 2024-25 over the fixture's 2 named participants (£2,300.00)
/// and its 23 attendances, 3 named and 20 by headcount (£200.00). The combined figure of
/// DESIGN.md 4.4, £4,600 / 22 = £209.09, adds people to attendances and is not shown.
#[tokio::test]
async fn the_dashboard_splits_cost_per_named_participant_and_per_attendance() {
    let (app, mentoring, _boxing, session) = dashboard_app().await;
    {
        let mut conn = app.db();
        let stream = outcomes::store::funding_streams::insert(
            &mut conn,
            "Test grant",
            "Home Office",
            "2024-25",
            460_000,
        )
        .unwrap();
        outcomes::store::funding_streams::allocate(
            &mut conn,
            stream,
            outcomes::domain::ids::ProgrammeId(mentoring),
            460_000,
        )
        .unwrap();
    }
    let html = session
        .get("/dashboard?period=2024-25")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(">Cost per named participant</a>"), "{html}");
    assert!(html.contains(">Cost per attendance</a>"));
    assert!(!html.contains(">Cost per participant<"));
    let row = &html[html.find(">Mentoring</a>").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains(">£2,300.00</td>"), "{row}");
    assert!(row.contains(">£200.00</td>"), "{row}");
    assert!(!row.contains("209.09"), "{row}");
    // Each with its definition beside the table.
    assert!(html.contains("attendances are not people"));
    // Sorting by the new column works like every other.
    let html = session
        .get("/dashboard?period=2024-25&sort=-cost_attendance")
        .await
        .text()
        .await
        .unwrap();
    assert!(order(&html, [">Mentoring</a>", ">Boxing</a>"]));
}

/// Issue 19: four programmes of two providers with reoffending rates whose order by the
/// rate differs from their order by the 95% interval, all in 2024-25 (data as of
/// 2026-10-31: every follow-up has ended). Wilson intervals (z = 1.959964), by hand:
/// - Alpha (North Trust, mentoring): 0 of 10, 0.0% (0.0% to 27.8%; 0.277533)
/// - Gamma (North Trust, workshop): 3 of 10, 30.0% (10.8% to 60.3%; 0.107791, 0.603222)
/// - Beta (South Trust, Immediate Justice): 5 of 40, 12.5% (5.5% to 26.1%; 0.054595, 0.261121)
/// - Delta (South Trust, Immediate Justice): 10 of 40, 25.0% (14.2% to 40.2%; 0.141871,
///   0.401940)
///
/// Gamma also has two group sessions (headcounts 15 and 25: 40) and a group survey of
/// "Feels safe (1-5)": 4 of 10 positive (4 or better) at baseline, 8 of 10 at exit, a
/// change of +40.0 points.
struct Comparison {
    app: TestApp,
    /// Programme ids: Alpha, Beta, Gamma, Delta.
    ids: [i64; 4],
    /// Provider ids: North Trust, South Trust.
    providers: [i64; 2],
}

fn people(prefix: &str, n: usize) -> String {
    let mut csv = "reference,police_id,date_of_birth,gender,ethnicity,district\n".to_string();
    for i in 1..=n {
        csv.push_str(&format!(
            "{prefix}{i:02},ID{prefix}{i:02},2007-01-01,male,white,District A\n"
        ));
    }
    csv
}

fn referrals(prefix: &str, programme: &str, n: usize) -> String {
    let mut csv = "referral_ref,participant_ref,programme,referred_on,source,reason,decision,decided_on,closure,closed_on,required_hours\n".to_string();
    for i in 1..=n {
        csv.push_str(&format!(
            "R{prefix}{i:02},{prefix}{i:02},{programme},2024-06-01,police,,accepted,2024-06-02,,,\n"
        ));
    }
    csv
}

/// One proven reoffence three months after referral for the first `k` people.
fn reoffences(prefix: &str, k: usize) -> String {
    (1..=k)
        .map(|i| format!("ID{prefix}{i:02},2024-09-01,shoplifting,2024-10-01\n"))
        .collect()
}

async fn comparison_app() -> (Comparison, crate::helpers::TestSession) {
    use crate::imports::run;
    use outcomes::domain::ids::OrganisationId;
    let app = spawn_app().await;
    let north = app.provider("North Trust");
    let south = app.provider("South Trust");
    let header = "name,kind,delivery,min_age,max_age,starts_on,ends_on,description\n";
    {
        let mut conn = app.db();
        let (n, s) = (Some(OrganisationId(north)), Some(OrganisationId(south)));
        run(&mut conn, n, ImportKind::Programmes, &format!("{header}Alpha,mentoring,individual,10,25,2023-04-01,,\nGamma,workshop,mixed,10,25,2023-04-01,,\n")).unwrap();
        run(&mut conn, s, ImportKind::Programmes, &format!("{header}Beta,immediate_justice,individual,10,25,2023-04-01,,\nDelta,immediate_justice,individual,10,25,2023-04-01,,\n")).unwrap();
        run(
            &mut conn,
            None,
            ImportKind::Measures,
            "name,min,max,higher_is_better\nFeels safe (1-5),1,5,true\n",
        )
        .unwrap();
        for (org, prefix, programme, n_people) in [
            (n, "A", "Alpha", 10),
            (n, "G", "Gamma", 10),
            (s, "B", "Beta", 40),
            (s, "D", "Delta", 40),
        ] {
            run(
                &mut conn,
                org,
                ImportKind::Participants,
                &people(prefix, n_people),
            )
            .unwrap();
            run(
                &mut conn,
                org,
                ImportKind::Referrals,
                &referrals(prefix, programme, n_people),
            )
            .unwrap();
        }
        run(&mut conn, n, ImportKind::Sessions, "session_ref,programme,date,kind,duration_minutes,headcount,district,venue\nG1,Gamma,2024-07-01,group,60,15,District A,School\nG2,Gamma,2024-08-01,group,60,25,District A,School\n").unwrap();
        let offences = format!(
            "police_id,offence_date,offence_group,proven_on\n{}{}{}",
            reoffences("G", 3),
            reoffences("B", 5),
            reoffences("D", 10)
        );
        run(&mut conn, None, ImportKind::Offences, &offences).unwrap();
    }
    let id = |name: &str| outcomes::store::programmes::by_name(&mut app.db(), name).unwrap()[0].id;
    let ids = [id("Alpha"), id("Beta"), id("Gamma"), id("Delta")];
    {
        use outcomes::domain::enums::Timepoint;
        use outcomes::store::group_surveys::{insert, NewSurvey};
        let mut conn = app.db();
        let measure = outcomes::store::measures::all(&mut conn).unwrap()[0].id;
        for (timepoint, recorded_on, counts) in [
            (Timepoint::Baseline, (2024, 7, 1), vec![(2, 6), (4, 4)]),
            (Timepoint::Exit, (2024, 8, 1), vec![(2, 2), (5, 8)]),
        ] {
            let survey = NewSurvey {
                programme_id: ids[2],
                session_id: None,
                measure_id: measure,
                timepoint,
                recorded_on: chrono::NaiveDate::from_ymd_opt(
                    recorded_on.0,
                    recorded_on.1,
                    recorded_on.2,
                )
                .unwrap(),
                counts,
            };
            insert(&mut conn, OrganisationId(north), &survey).unwrap();
        }
    }
    let opcc = app.org("OPCC", OrganisationKind::Commissioner);
    let session = app.session_for(&app.create_user(Role::Commissioner, opcc));
    let ids = ids.map(|p| p.0);
    (
        Comparison {
            app,
            ids,
            providers: [north, south],
        },
        session,
    )
}

/// The dashboard's row of `programme` (from its heading to the end of the row).
fn dashboard_row<'a>(html: &'a str, programme: &str) -> &'a str {
    let row = &html[html.find(&format!(">{programme}</a></th>")).unwrap()..];
    &row[..row.find("</tr>").unwrap()]
}

/// The programmes in the order of the dashboard's main table.
fn table_order(html: &str) -> Vec<String> {
    let table = &html[html.find("id=\"dashboard\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    table
        .split("</a></th>")
        .filter_map(|s| s.rsplit('>').next())
        .filter(|s| ["Alpha", "Beta", "Gamma", "Delta"].contains(s))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn the_dashboard_shows_n_the_caution_flag_and_the_interval_beside_each_rate() {
    let (_c, session) = comparison_app().await;
    let res = session.get("/dashboard?period=2024-25").await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    let caution = "<strong class=\"govuk-tag govuk-tag--yellow\">Fewer than 30: interpret with caution</strong>";
    for (programme, rate, n, flagged) in [
        ("Alpha", "0.0% (0.0% to 27.8%)", "10", true),
        ("Gamma", "30.0% (10.8% to 60.3%)", "10", true),
        ("Beta", "12.5% (5.5% to 26.1%)", "40", false),
        ("Delta", "25.0% (14.2% to 40.2%)", "40", false),
    ] {
        let row = dashboard_row(&html, programme);
        assert!(row.contains(&format!(">{rate}</td>")), "{programme}: {row}");
        let n_cell = if flagged {
            format!(">{n} {caution}</td>")
        } else {
            format!(">{n}</td>")
        };
        assert!(row.contains(&n_cell), "{programme}: {row}");
        // Every follow-up of 2024-25 has ended by 2026-10-31 (2025-03-31 + 18 months).
        assert!(!row.contains("Follow-up incomplete"), "{row}");
    }
    assert!(html.contains(
        "Differences between programmes are not evidence of effect: the people referred to each differ."
    ));
    // The chart of the rates, with the same values in a table beside it.
    assert!(html.contains("<img src=\"data:image/svg+xml;base64,"));
    let rates = &html[html
        .find("id=\"dashboard-rates\"")
        .expect("the chart's table")..];
    let rates = &rates[..rates.find("</table>").unwrap()];
    let beta = &rates[rates.find(">Beta</th>").unwrap()..];
    let beta = &beta[..beta.find("</tr>").unwrap()];
    for cell in [">40</td>", ">12.5%</td>", ">5.5%</td>", ">26.1%</td>"] {
        assert!(beta.contains(cell), "{beta}");
    }
}

#[tokio::test]
async fn sorting_by_reoffending_ranks_by_the_interval_not_the_rate() {
    let (_c, session) = comparison_app().await;
    let page = |q: &'static str| {
        let s = &session;
        async move {
            s.get(&format!("/dashboard?period=2024-25{q}"))
                .await
                .text()
                .await
                .unwrap()
        }
    };
    // Lowest first by the upper ends: Beta 26.1%, Alpha 27.8%, Delta 40.2%, Gamma 60.3%
    // (by the rate it would be Alpha 0.0% first).
    let html = page("&sort=reoffending").await;
    assert_eq!(table_order(&html), ["Beta", "Alpha", "Delta", "Gamma"]);
    assert!(html.contains("id=\"dashboard-sort-note\""));
    // Highest first by the lower ends: Delta 14.2%, Gamma 10.8%, Beta 5.5%, Alpha 0.0%
    // (by the rate, Gamma's 30.0% would come first).
    let html = page("&sort=-reoffending").await;
    assert_eq!(table_order(&html), ["Delta", "Gamma", "Beta", "Alpha"]);
    // Other columns sort on their figure; the note is only for the reoffending rate.
    let html = page("&sort=-measurable").await;
    assert_eq!(&table_order(&html)[..2], ["Beta", "Delta"]);
    assert!(!html.contains("id=\"dashboard-sort-note\""));
}

#[tokio::test]
async fn workshop_programmes_show_their_reach_in_sessions_headcount_and_survey_change() {
    let (_c, session) = comparison_app().await;
    let html = session
        .get("/dashboard?period=2024-25")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(">Sessions delivered</a>")
            && html.contains(">Headcount (group sessions)</a>")
    );
    let gamma = dashboard_row(&html, "Gamma");
    let cells: Vec<&str> = gamma
        .split("govuk-table__cell--numeric\">")
        .skip(1)
        .map(|c| &c[..c.find("</td>").unwrap()])
        .collect();
    // Referrals, acceptance, completion, attendance, reoffending, n, sessions, headcount.
    assert_eq!(cells[0], "10");
    assert_eq!(cells[6], "2");
    assert_eq!(cells[7], "40");
    // 8 of 10 positive at exit, 4 of 10 at baseline: +40.0 points.
    assert!(
        gamma.contains("data-survey>Feels safe (1-5): +40.0 pp</td>"),
        "{gamma}"
    );
    let alpha = dashboard_row(&html, "Alpha");
    assert!(alpha.contains("data-survey>–</td>"), "{alpha}");
}

#[tokio::test]
async fn the_dashboard_filters_by_provider_and_kind_and_keeps_the_filters_when_sorting() {
    let (c, session) = comparison_app().await;
    let south = c.providers[1];
    let html = session
        .get(&format!("/dashboard?period=2024-25&provider={south}&kind="))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(table_order(&html), ["Beta", "Delta"]);
    assert!(html.contains(&format!(
        "<option value=\"{south}\" selected>South Trust</option>"
    )));
    assert!(html.contains(&format!(
        "sort&#x3D;reoffending&amp;provider&#x3D;{south}\""
    )));
    let html = session
        .get("/dashboard?period=2024-25&kind=workshop")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(table_order(&html), ["Gamma"]);
    assert!(html.contains("<option value=\"workshop\" selected>Workshop</option>"));
    // The view is audited with its filters.
    let (events, _) = outcomes::store::audit::list(
        &mut c.app.db(),
        &outcomes::store::audit::Filter {
            action: Some(outcomes::domain::enums::AuditAction::ReportView),
            ..Default::default()
        },
        1,
        10,
    )
    .unwrap();
    let detail = format!("format=html period=2024-25 sort=programme programmes=2 provider={south}");
    assert!(events.iter().any(|e| e.detail == detail), "{events:?}");
}

#[tokio::test]
async fn compare_these_two_leads_to_the_first_programmes_report_compared_with_the_second() {
    let (c, session) = comparison_app().await;
    let [alpha, beta, ..] = c.ids;
    let html = session
        .get("/dashboard?period=2024-25")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"compare\"") && html.contains(">Compare these two</button>"));
    assert!(html.contains(&format!(
        "<option value=\"{beta}\">Beta (South Trust)</option>"
    )));
    let res = session
        .get(&format!(
            "/dashboard?period=2024-25&first={alpha}&second={beta}"
        ))
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        format!("/programmes/{alpha}/report?period=2024-25&compare=programme:{beta}")
    );
    // The same programme twice, or none, is an error on the form.
    let res = session
        .get(&format!(
            "/dashboard?period=2024-25&first={alpha}&second={alpha}"
        ))
        .await;
    assert_eq!(res.status().as_u16(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("govuk-error-summary") && html.contains("href=\"#second\""));
    assert!(
        html.contains("id=\"dashboard\""),
        "the table is still shown"
    );
    let res = session
        .get(&format!("/dashboard?period=2024-25&first={alpha}&second="))
        .await;
    assert_eq!(res.status().as_u16(), 422);
    // A programme the reader may not see does not exist for them.
    let res = session
        .get(&format!(
            "/dashboard?period=2024-25&first={alpha}&second=999999"
        ))
        .await;
    assert_eq!(res.status().as_u16(), 422);
}

#[tokio::test]
async fn a_year_whose_follow_up_is_incomplete_is_marked() {
    let (_c, session) = comparison_app().await;
    // 2025-26 ends on 2026-03-31; 18 months later is after the data as of (2026-10-31).
    let html = session
        .get("/dashboard?period=2025-26")
        .await
        .text()
        .await
        .unwrap();
    let alpha = dashboard_row(&html, "Alpha");
    assert!(alpha.contains("Follow-up incomplete"), "{alpha}");
}

/// Item 5: a provider's report shows each programme's own key figures before the pooled
/// ones, in every format; hidden figures are hidden as in the programme's own report.
#[tokio::test]
async fn a_provider_report_shows_its_programmes_side_by_side_before_the_pooled_figures() {
    let (c, _) = comparison_app().await;
    let north = c.providers[0];
    let manager = c.app.create_user(Role::ProviderManager, north);
    let token = c.app.bearer(&manager);
    let json: Value = c
        .app
        .get_with_token(
            &format!("/api/v1/reports/providers/{north}?period=2024-25"),
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    let rows = json["programmes"]
        .as_array()
        .expect("programmes side by side");
    assert_eq!(rows.len(), 2);
    let (alpha, gamma) = (&rows[0], &rows[1]);
    assert_eq!(alpha["programme"], "Alpha");
    assert_eq!(alpha["provider"], "North Trust");
    assert_eq!(alpha["referrals_received"], 10);
    assert_eq!(alpha["measurable"], 10);
    assert_eq!(alpha["reoffending_rate"], 0.0);
    assert!((alpha["reoffending_rate_ci"][1].as_f64().unwrap() - 0.277533).abs() < 1e-6);
    assert_eq!(gamma["programme"], "Gamma");
    assert_eq!(gamma["measurable"], 10);
    assert!((gamma["reoffending_rate"].as_f64().unwrap() - 0.3).abs() < 1e-12);
    assert!((gamma["reoffending_rate_ci"][0].as_f64().unwrap() - 0.107791).abs() < 1e-6);
    assert!((gamma["reoffending_rate_ci"][1].as_f64().unwrap() - 0.603222).abs() < 1e-6);
    assert_eq!(gamma["sessions_delivered"], 2);
    assert_eq!(gamma["anonymous_headcount"], 40);
    // Pooled: 3 reoffenders of 20 measurable.
    let all = &json["reoffending"]["groups"]["all"];
    assert_eq!(all["measurable"], 20);
    assert!((all["reoffending_rate"].as_f64().unwrap() - 0.15).abs() < 1e-12);
    // A programme's report has no such rows.
    let own: Value = c
        .app
        .get_with_token(
            &format!("/api/v1/reports/programmes/{}?period=2024-25", c.ids[0]),
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(own.get("programmes").is_none());
    // The page: the table comes before the pooled engagement figures.
    let session = c.app.session_for(&manager);
    let html = session
        .get(&format!("/providers/{north}/report?period=2024-25"))
        .await
        .text()
        .await
        .unwrap();
    let side = html.find("Programmes side by side").expect("the section");
    assert!(side < html.find("id=\"table-engagement_funnel\"").unwrap());
    assert!(
        html.contains("data-pointer=\"/programmes/1/reoffending_rate\"")
            || html.contains(">30.0%</td>")
    );
    let csv = session
        .get(&format!(
            "/providers/{north}/report?period=2024-25&format=csv"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.lines()
            .any(|l| l.starts_with("programmes,measurable,Gamma,10")),
        "{csv}"
    );
    // Published: Gamma's 3 reoffenders are under the threshold (5), so its own published
    // report hides its rate; the row hides it with the same symbol.
    let published: Value = c
        .app
        .get_with_token(
            &format!("/api/v1/reports/providers/{north}?period=2024-25&published=true"),
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    let own: Value = c
        .app
        .get_with_token(
            &format!(
                "/api/v1/reports/programmes/{}?period=2024-25&published=true",
                c.ids[2]
            ),
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    let row = &published["programmes"][1];
    for (key, pointer) in outcomes::evaluation::report::SIDE_BY_SIDE {
        assert_eq!(row[key], *own.pointer(pointer).unwrap(), "{key}");
    }
}

#[tokio::test]
async fn a_funding_stream_report_compares_the_two_models_it_funds() {
    let (c, commissioner) = comparison_app().await;
    let stream = c.app.add_funding_stream("Immediate Justice grant");
    for p in [c.ids[1], c.ids[3]] {
        outcomes::store::funding_streams::allocate(
            &mut c.app.db(),
            outcomes::domain::ids::FundingStreamId(stream),
            outcomes::domain::ids::ProgrammeId(p),
            1_000_000,
        )
        .unwrap();
    }
    let html = commissioner
        .get(&format!("/funding-streams/{stream}/report?period=2024-25"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Programmes side by side"));
    let side = &html[html
        .find("id=\"table-programmes_reoffending\"")
        .expect("the reoffending table")..];
    let table = &side[..side.find("</table>").unwrap()];
    for (programme, rate) in [("Beta", "12.5%"), ("Delta", "25.0%")] {
        let row = &table[table
            .find(&format!(">{programme}<"))
            .unwrap_or_else(|| panic!("{programme}: {table}"))..];
        let row = &row[..row.find("</tr>").unwrap()];
        assert!(row.contains(&format!(">{rate}</td>")), "{row}");
        assert!(row.contains(">40</td>"), "{row}");
    }
    assert!(!table.contains(">Alpha<"));
}
