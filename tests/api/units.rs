//! Issue 21: nobody can single out a person. Reports accept only financial years,
//! quarters and whole calendar months, and police-derived figures come from units (one
//! programme's cohort in one financial year) of at least the minimum cohort, on the small
//! demo, through the API, the pages, the downloads, the dashboard and the CLI.

use chrono::NaiveDate;
use outcomes::demo::{self, DemoOptions, Scale, Silent};
use outcomes::domain::enums::Role;
use outcomes::domain::person_key::PersonKeySecret;
use serde_json::Value;

use crate::helpers::{spawn_app, TestApp};

/// The app's person-key secret (`hmac_key` of `test_settings`), so that a police
/// identifier typed into the app matches the demo's keys.
fn app_secret() -> PersonKeySecret {
    PersonKeySecret::new(vec![0x22; 32])
}

/// The small demo (seed 1, data as of 2026-11-01) in the app's own database.
fn seed_demo(app: &TestApp) {
    let options = DemoOptions {
        scale: Scale::Small,
        seed: 1,
        as_of: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
    };
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    demo::seed(&mut app.db(), &options, &app_secret(), today, &mut Silent).unwrap();
}

/// A programme of the demo and its provider.
fn programme(app: &TestApp, name: &str) -> (i64, i64) {
    let p = outcomes::store::programmes::by_name(&mut app.db(), name).unwrap();
    (p[0].id.0, p[0].organisation_id.0)
}

const FINER: [&str; 3] = [
    "2024-04-03..2024-04-03", // one day (finding 1)
    "2024-04-01..2024-04-07", // one week
    "2024-04-01..2024-04-15", // half a month
];

/// Every police-derived figure of a report's JSON either withheld ("[m]") or about at
/// least `minimum` people; the problems found, as text.
fn small_police_figures(json: &Value, minimum: u64) -> Vec<String> {
    let mut out = Vec::new();
    let about = |v: &Value| v.as_u64();
    for group in ["all", "engaged", "completed"] {
        let g = &json["reoffending"]["groups"][group];
        match about(&g["measurable"]) {
            Some(n) if n > 0 && n < minimum => out.push(format!("{group}: measurable {n}")),
            None if g["measurable"] != "[m]" => {
                out.push(format!("{group}: measurable {}", g["measurable"]))
            }
            _ => {}
        }
    }
    let ba = &json["reoffending"]["before_after"];
    if let Some(n) = about(&ba["members"]) {
        if n > 0 && n < minimum {
            out.push(format!("before/after of {n} people: {ba}"));
        }
    }
    for (dimension, rows) in json["breakdowns"].as_object().unwrap() {
        for row in rows.as_array().unwrap() {
            if let Some(n) = about(&row["measurable"]) {
                if n > 0 && n < minimum {
                    out.push(format!("{dimension} {}: measurable {n}", row["category"]));
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn finding_1_a_one_day_week_or_mid_month_report_is_refused_on_api_pages_downloads_and_dashboard(
) {
    let app = spawn_app().await;
    seed_demo(&app);
    let (ij, _) = programme(&app, "Immediate Justice");
    let analyst = app.create_user(Role::Analyst, 1);
    let token = app.bearer(&analyst);
    let session = app.session_for(&analyst);
    for period in FINER {
        let res = app
            .get_with_token(
                &format!("/api/v1/reports/programmes/{ij}?period={period}"),
                &token,
            )
            .await;
        assert_eq!(res.status().as_u16(), 422, "API {period}");
        let problem: Value = res.json().await.unwrap();
        let text = problem.to_string();
        for form in ["2025-26", "2025-26-Q3", "whole calendar months"] {
            assert!(text.contains(form), "{period}: {text}");
        }
        for format in ["html", "csv", "xlsx", "pdf", "json"] {
            let res = session
                .get(&format!(
                    "/programmes/{ij}/report?period={period}&format={format}"
                ))
                .await;
            assert_eq!(res.status().as_u16(), 422, "page {format} {period}");
        }
        let res = session.get(&format!("/dashboard?period={period}")).await;
        assert_eq!(res.status().as_u16(), 422, "dashboard {period}");
        let page = res.text().await.unwrap();
        assert!(page.contains("govuk-error-summary"), "{period}");
        assert!(page.contains("whole calendar months"), "{period}");
    }
}

#[tokio::test]
async fn an_analyst_gets_no_figure_about_fewer_than_the_minimum_for_a_month_quarter_or_year() {
    let app = spawn_app().await;
    seed_demo(&app);
    let (ij, _) = programme(&app, "Immediate Justice");
    let token = app.bearer(&app.create_user(Role::Analyst, 1));
    for period in ["2024-04-01..2024-04-30", "2024-25-Q1"] {
        let json: Value = app
            .get_with_token(
                &format!("/api/v1/reports/programmes/{ij}?period={period}"),
                &token,
            )
            .await
            .json()
            .await
            .unwrap();
        // Police-derived figures: whole financial years only.
        let all = &json["reoffending"]["groups"]["all"];
        assert_eq!(all["reoffending_rate"], "[m]", "{period}");
        assert_eq!(all["reoffenders"], "[m]", "{period}");
        assert_eq!(
            json["reoffending"]["before_after"]["offences_before"],
            "[m]"
        );
        assert_eq!(json["units"]["whole_financial_years"], false);
        // Engagement counts stay exact for the aggregate roles.
        assert!(json["engagement"]["referrals_received"].as_u64().unwrap() > 0);
        // Breakdown cells and outcome measures are for whole years only.
        for row in json["breakdowns"]["district"].as_array().unwrap() {
            assert_eq!(row["referrals"], "[m]", "{period}");
            assert_eq!(row["measurable"], "[m]", "{period}");
        }
        for m in json["outcomes"].as_array().unwrap() {
            assert_eq!(m["pairs"], "[m]", "{period}");
        }
    }
    // A whole year: figures about at least 10 people, breakdown cells at least 5.
    let json: Value = app
        .get_with_token(
            &format!("/api/v1/reports/programmes/{ij}?period=2024-25"),
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(json["reoffending"]["groups"]["all"]["measurable"]
        .as_u64()
        .is_some_and(|n| n >= 10));
    assert_eq!(small_police_figures(&json, 10), Vec::<String>::new());
    for (dimension, rows) in json["breakdowns"].as_object().unwrap() {
        for row in rows.as_array().unwrap() {
            for column in ["referrals", "engaged", "completed"] {
                if let Some(n) = row[column].as_u64() {
                    assert!(n == 0 || n >= 5, "{dimension} {row}");
                }
            }
        }
    }
    for m in json["outcomes"].as_array().unwrap() {
        if let Some(n) = m["pairs"].as_u64() {
            assert!(n == 0 || n >= 5, "{m}");
        }
    }
}

#[tokio::test]
async fn finding_2_a_provider_manager_cannot_test_a_police_identifier_with_a_back_dated_referral() {
    let app = spawn_app().await;
    seed_demo(&app);
    let (programme, org) = programme(&app, "Immediate Justice");
    let manager = app.create_user(Role::ProviderManager, org);
    let token = app.bearer(&manager);
    // A typed police identifier of the demo's people (keyed with the same secret).
    let res = app
        .client
        .post(format!("{}/api/v1/participants", app.address))
        .bearer_auth(&token)
        .json(
            &serde_json::json!({"reference": "ORACLE-1", "police_id": "DEMO00000000001",
            "allow_duplicate": true}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201, "{}", res.text().await.unwrap());
    let participant: Value = res.json().await.unwrap();
    // Back-dated into the last complete quarter (submitted, not approved: unlocked).
    let res = app
        .client
        .post(format!("{}/api/v1/referrals", app.address))
        .bearer_auth(&token)
        .json(&serde_json::json!({"participant_id": participant["id"],
            "programme_id": programme, "referred_on": "2026-07-06", "source": "self",
            "required_hours": 10}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201, "{}", res.text().await.unwrap());
    let session = app.session_for(&manager);
    let settings = "follow_up=3&waiting=0";
    for period in [
        "2026-07-06..2026-07-06",
        "2026-07-06..2026-07-12",
        "2026-07-01..2026-07-15",
    ] {
        let api = app
            .get_with_token(
                &format!("/api/v1/reports/programmes/{programme}?period={period}&{settings}"),
                &token,
            )
            .await;
        assert_eq!(api.status().as_u16(), 422, "{period}");
        let page = session
            .get(&format!(
                "/programmes/{programme}/report?period={period}&{settings}&format=json"
            ))
            .await;
        assert_eq!(page.status().as_u16(), 422, "{period}");
    }
    for period in ["2026-07-01..2026-07-31", "2026-27-Q2", "2026-27", "2025-26"] {
        for path in [
            format!("/api/v1/reports/programmes/{programme}?period={period}&{settings}"),
            format!("/api/v1/reports/providers/{org}?period={period}&{settings}"),
        ] {
            let res = app.get_with_token(&path, &token).await;
            assert_eq!(res.status().as_u16(), 200, "{path}");
            let json: Value = res.json().await.unwrap();
            assert_eq!(
                small_police_figures(&json, 10),
                Vec::<String>::new(),
                "{path}"
            );
            if !period.starts_with("20") || period.len() != 7 {
                assert_eq!(json["reoffending"]["before_after"]["members"], "[m]");
            }
        }
        let csv = session
            .get(&format!(
                "/programmes/{programme}/report?period={period}&{settings}&format=csv"
            ))
            .await
            .text()
            .await
            .unwrap();
        if period.len() != 7 {
            assert!(
                csv.contains("whole financial years only: not reported"),
                "{period}: {csv}"
            );
        }
    }
}

#[tokio::test]
async fn the_cli_refuses_a_period_that_is_not_whole_months_naming_the_accepted_forms() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::helpers::fresh_database(&dir);
    let url = if url.starts_with("sqlite") {
        format!("sqlite://{}", dir.path().join("o.db").display())
    } else {
        url
    };
    for period in FINER {
        let out = crate::cli::outcomes(
            &[
                "report",
                "--programme",
                "Immediate Justice",
                "--period",
                period,
            ],
            &url,
            dir.path(),
        );
        assert!(!out.status.success(), "{period}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains("whole calendar months"), "{stderr}");
        assert!(stderr.contains("2025-26-Q3"), "{stderr}");
    }
}
