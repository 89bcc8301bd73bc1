//! Issue 19: a report's comparison as every format shows it (HTML, CSV, XLSX; PDF in
//! `report_pdf` and `report_agreement`), checked against figures worked out by hand from
//! known counts, and the "Compare with" choice of the report page.
//!
//! The comparison below is 28 reoffenders of 100 measurable people against 33 of 100.
//! Hand values (Python 3 with SciPy 1.17):
//! - Wilson 95% intervals: 28/100 → (0.201397, 0.374880); 33/100 → (0.245631, 0.426947).
//! - Difference −0.05, Newcombe hybrid score interval (−0.174808, 0.076966).
//! - Pooled z = −0.05 / √(0.305 · 0.695 · 2/100) = −0.767914, two-sided p = 0.442538
//!   (`2 * scipy.stats.norm.sf(0.767914)`).
//! - Fisher: `scipy.stats.fisher_exact([[28, 72], [33, 67]])` p = 0.539189.
//! - 28 treatment reoffenders (< 30), so the verdict is inconclusive.

use outcomes::domain::enums::Role;
use outcomes::evaluation::matching::{BalanceRow, Matching, Variable};
use outcomes::evaluation::reoffending::{compare, ComparisonCohort, ComparisonMethod};
use outcomes::evaluation::report::Report;
use outcomes::reports::view::view;
use outcomes::reports::{csv as report_csv, html, xlsx};
use outcomes::store::report_rows::ReportScope;

use crate::helpers::spawn_app;
use crate::imports::fresh_db;
use crate::report_agreement::xlsx_cells;
use crate::reports::{fixture_report, load_fixture};

/// The fixture's report with the comparison of the module's counts put in its place.
fn compared(method: ComparisonMethod) -> Report {
    let mut db = fresh_db();
    let scope = load_fixture(&mut db.conn);
    let mut report = fixture_report(&mut db.conn, scope, false);
    let mut c = compare(
        100,
        28,
        &ComparisonCohort {
            method,
            label: "Diversion".into(),
            measurable: 100,
            reoffenders: 33,
        },
    );
    if method == ComparisonMethod::Matched {
        c.comparison_label = "similar people who did not take part".into();
        c.fisher_p_value = None;
        // Half the treated are 14-15 against a quarter of the pool; after weighting the
        // comparison has half too. Standardised difference before:
        // (0.5 − 0.25) / √((0.5·0.5 + 0.25·0.75) / 2) = 0.534522; after: 0.
        c.matching = Some(Matching {
            treated_unmatched: 7,
            pool_size: 400,
            pool_used: 350,
            effective_comparison_size: Some(212.5),
            variables: vec![Variable::AgeBand, Variable::Gender],
            variables_left_out: vec![Variable::PriorProvenOffences, Variable::FinancialYear],
            strata_matched: 9,
            balance: vec![BalanceRow {
                variable: Variable::AgeBand,
                category: "14-15".into(),
                treated_share: 0.5,
                pool_share: 0.25,
                comparison_share: Some(0.5),
                standardised_difference_before: Some(0.534_522_483_824_848_8),
                standardised_difference_after: Some(0.0),
            }],
        });
    }
    report.body.reoffending.comparison = Some(c);
    report
}

/// The text of the `<td>` whose `data-pointer` is `pointer`.
fn td<'a>(page: &'a str, pointer: &str) -> &'a str {
    let at = page
        .find(&format!("data-pointer=\"{pointer}\""))
        .unwrap_or_else(|| panic!("no cell {pointer}"));
    let rest = &page[at..];
    &rest[rest.find('>').unwrap() + 1..rest.find("</td>").unwrap()]
}

#[test]
fn a_programme_comparison_shows_both_rates_the_difference_and_the_statement_in_every_format() {
    let report = compared(ComparisonMethod::Programme);
    let v = view(&report);
    let s = v.sections.iter().find(|s| s.id == "comparison").unwrap();
    assert_eq!(s.title, "Compared with Diversion");
    let every_100 = "For every 100 people who took part, 28 reoffended within a year; for \
                     every 100 people in Diversion, 33 did.";
    assert!(
        s.paragraphs.iter().any(|p| p == every_100),
        "{:?}",
        s.paragraphs
    );
    assert!(v.summary.iter().any(|p| p == every_100), "{:?}", v.summary);
    let statement = "More people would be needed to determine the direction of the difference.";
    assert!(s.paragraphs.iter().any(|p| p == statement));
    assert_eq!(s.charts.len(), 1);
    assert!(s.charts[0].svg.contains("Diversion"));
    assert!(
        s.charts[0]
            .desc
            .contains("Diversion 33.0% (24.6% to 42.7%)"),
        "{}",
        s.charts[0].desc
    );

    let page = html::render_document(&v).unwrap();
    let base = "/reoffending/comparison/";
    for (m, want) in [
        ("treatment_measurable", "100"),
        ("treatment_reoffenders", "28"),
        ("treatment_rate", "28.0%"),
        ("treatment_rate_ci/0", "20.1%"),
        ("treatment_rate_ci/1", "37.5%"),
        ("comparison_measurable", "100"),
        ("comparison_reoffenders", "33"),
        ("comparison_rate", "33.0%"),
        ("comparison_rate_ci/0", "24.6%"),
        ("comparison_rate_ci/1", "42.7%"),
        ("difference", "-5.0 pp"),
        ("difference_ci/0", "-17.5 pp"),
        ("difference_ci/1", "+7.7 pp"),
        ("z", "-0.77"),
        ("p_value", "0.443"),
        ("fisher_p_value", "0.539"),
        ("verdict", "Inconclusive"),
    ] {
        assert_eq!(td(&page, &format!("{base}{m}")), want, "{m}");
    }
    assert!(page.contains(every_100));
    assert!(page.contains(statement));
    assert!(page.contains("alt=\"Reoffending rate with its 95% confidence interval"));

    let csv = String::from_utf8(report_csv::render(&v).unwrap()).unwrap();
    let row = |metric: &str, group: &str| -> f64 {
        let prefix = format!("comparison,{metric},{group},");
        let line = csv
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no CSV row {prefix}"));
        line[prefix.len()..]
            .split(',')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
    assert_eq!(row("treatment_rate", "treatment"), 0.28);
    assert_eq!(row("comparison_rate", "comparison"), 0.33);
    assert!(close(row("treatment_rate_ci_low", "treatment"), 0.201397));
    assert!(close(
        row("comparison_rate_ci_high", "comparison"),
        0.426947
    ));
    assert!(close(row("difference", ""), -0.05));
    assert!(close(row("difference_ci_low", ""), -0.174808));
    assert!(close(row("difference_ci_high", ""), 0.076966));
    assert!(close(row("z", ""), -0.767914));
    assert!(close(row("p_value", ""), 0.442538));
    assert!(close(row("fisher_p_value", ""), 0.539189));
    assert!(csv.contains("comparison,verdict,,Inconclusive,false"));

    let cells = xlsx_cells(&xlsx::render(&v).unwrap());
    let sheet = cells["Comparison"].as_array().expect("a Comparison sheet");
    let find = |label: &str| {
        sheet
            .iter()
            .find(|r| r[0][0] == label)
            .unwrap_or_else(|| panic!("no row {label}"))
            .as_array()
            .unwrap()
            .clone()
    };
    let diversion = find("Diversion");
    assert_eq!(diversion[1][0], 100);
    assert_eq!(diversion[2][0], 33);
    assert_eq!(diversion[3][0], 0.33);
    assert_eq!(diversion[3][1], "0.0%");
    assert!(close(diversion[5][0].as_f64().unwrap(), 0.426947));
    let difference = find("Difference in reoffending rate (this programme minus the comparison)");
    assert!(close(difference[1][0].as_f64().unwrap(), -0.05));
    assert_eq!(difference[1][1], "+0.0%;-0.0%;0.0%");
    assert!(sheet.iter().any(|r| r[0][0] == every_100));
}

#[test]
fn the_sentence_says_the_follow_up_and_a_matched_comparison_shows_its_balance() {
    let mut report = compared(ComparisonMethod::Matched);
    report.body.reoffending.follow_up_months = 6;
    let v = view(&report);
    let s = v.sections.iter().find(|s| s.id == "comparison").unwrap();
    assert_eq!(
        s.title,
        "Compared with similar people who did not take part"
    );
    assert!(s.paragraphs.iter().any(|p| p
        == "For every 100 people who took part, 28 reoffended within 6 months; for every 100 \
            similar people who did not, 33 did."));
    assert!(s
        .paragraphs
        .iter()
        .any(|p| p.starts_with("Only the variables above are balanced. Unobserved differences")));
    assert!(v.caveats.iter().any(
        |c| c.starts_with("The matched comparison balances only age at the index date and gender.")
    ));
    let ids: Vec<&str> = s.tables.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "comparison_rates",
            "comparison_difference",
            "comparison_matching",
            "comparison_balance"
        ]
    );
    // No Fisher's test for a weighted comparison.
    assert!(!s.tables[1].rows.iter().any(|r| r.label.contains("Fisher")));
    let page = html::render_document(&v).unwrap();
    let m = "/reoffending/comparison/matching/";
    for (p, want) in [
        ("/reoffending/comparison/treatment_measurable", "100"),
        ("/reoffending/comparison/p_value", "0.443"),
        ("treated_unmatched", "7"),
        ("pool_size", "400"),
        ("pool_used", "350"),
        ("effective_comparison_size", "212.5"),
        ("strata_matched", "9"),
        ("balance/0/treated_share", "50.0%"),
        ("balance/0/pool_share", "25.0%"),
        ("balance/0/comparison_share", "50.0%"),
        ("balance/0/standardised_difference_before", "+0.53"),
        ("balance/0/standardised_difference_after", "0.00"),
    ] {
        let pointer = if p.starts_with('/') {
            p.to_string()
        } else {
            format!("{m}{p}")
        };
        assert_eq!(td(&page, &pointer), want, "{pointer}");
    }
    assert!(page.contains("<th scope=\"row\" class=\"govuk-table__header\">Age: 14-15</th>"));
    assert!(page.contains("Age at the index date and gender"));
    assert!(page
        .contains("Proven offences in the 24 months before and financial year of the index date"));
    assert!(!page.contains("fisher_p_value"));
    let csv = String::from_utf8(report_csv::render(&v).unwrap()).unwrap();
    assert!(
        csv.contains(
            "comparison,standardised_difference_before,age_band:14-15,0.5345224838248488,false"
        ),
        "{csv}"
    );
    assert!(csv.contains("comparison,pool_size,,400,false"));
}

#[test]
fn a_comparison_left_out_says_why() {
    let mut report = compared(ComparisonMethod::Programme);
    report.body.reoffending.comparison = None;
    let why = "The comparison with Diversion is left out: the comparison cohort has fewer than \
               10 measurable people.";
    report.body.reoffending.comparison_left_out = Some(why.into());
    let v = view(&report);
    let s = v.sections.iter().find(|s| s.id == "comparison").unwrap();
    assert_eq!(s.paragraphs, [why]);
    assert!(s.tables.is_empty());
    assert!(html::render_document(&v).unwrap().contains(why));
    // No comparison asked for: no section.
    report.body.reoffending.comparison_left_out = None;
    assert!(!view(&report).sections.iter().any(|s| s.id == "comparison"));
}

/// The report page offers "Compare with": the other programmes the viewer can see, the
/// comparison groups once there are any, and a matched comparison; the choice is kept in
/// the download links, and a comparison that cannot be had is a field error.
#[tokio::test]
async fn the_report_page_offers_a_comparison_and_keeps_it_in_the_downloads() {
    let app = spawn_app().await;
    let (programme, org) = {
        let mut conn = app.db();
        let ReportScope::Programme(p) = load_fixture(&mut conn) else {
            unreachable!()
        };
        let org = outcomes::store::organisations::find_by_name(&mut conn, "Provider A")
            .unwrap()
            .unwrap()
            .id;
        (p.0, org.0)
    };
    let other = app.add_programme(org, "Diversion");
    let elsewhere = app.provider("Provider B");
    let hidden = app.add_programme(elsewhere, "Not yours");
    let session = app.session_for(&app.create_user(Role::ProviderManager, org));
    let path = format!("/programmes/{programme}/report?period=2024-25");
    let html = session.get(&path).await.text().await.unwrap();
    assert!(html.contains(
        "<label class=\"govuk-label govuk-label--s\" for=\"compare\">Compare with</label>"
    ));
    assert!(html.contains(&format!(
        "<option value=\"programme:{other}\">Diversion</option>"
    )));
    assert!(!html.contains(&format!("programme:{hidden}")));
    assert!(!html.contains(&format!("value=\"programme:{programme}\"")));
    assert!(html.contains("<option value=\"matched\">"));
    assert!(!html.contains("A comparison group"));
    // Diversion has no one measurable: the comparison is asked for, and left out.
    let res = session
        .get(&format!("{path}&compare=programme:{other}"))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!(
        "<option value=\"programme:{other}\" selected>Diversion</option>"
    )));
    assert!(
        html.contains("The comparison with Diversion is left out"),
        "{html}"
    );
    assert!(html.contains(&format!(
        "compare&#x3D;programme%3A{other}&amp;format&#x3D;pdf"
    )));
    // A programme of another provider, and nonsense: errors in the summary.
    for bad in [format!("programme:{hidden}"), "everyone".to_string()] {
        let res = session.get(&format!("{path}&compare={bad}")).await;
        assert_eq!(res.status().as_u16(), 422, "{bad}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains("govuk-error-summary") && html.contains("href=\"#compare\""),
            "{bad}"
        );
        assert!(html.contains("id=\"compare-error\""), "{bad}");
    }
    // Once a group is imported, it is offered.
    let vru = app.org("VRU", outcomes::domain::enums::OrganisationKind::Vru);
    let analyst = app.create_user(Role::Analyst, vru);
    let res = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/imports/comparison-group?name=Police%20matched",
            app.address
        ))
        .bearer_auth(app.bearer(&analyst))
        .header("content-type", "text/csv")
        .body("police_id,index_date\nAB1,2024-06-01\nAB2,2024-07-01\n")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    let html = session.get(&path).await.text().await.unwrap();
    assert!(html.contains("<optgroup label=\"A comparison group\">"));
    assert!(
        html.contains("Police matched (2 people)</option>"),
        "{html}"
    );
    // An analyst sees every programme; two of one name are told apart by their provider.
    let twin = app.add_programme(elsewhere, "Diversion");
    let html = app
        .session_for(&analyst)
        .get(&path)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!(
        "<option value=\"programme:{other}\">Diversion (Provider A)</option>"
    )));
    assert!(html.contains(&format!(
        "<option value=\"programme:{twin}\">Diversion (Provider B)</option>"
    )));
    assert!(html.contains(&format!(
        "<option value=\"programme:{hidden}\">Not yours</option>"
    )));
}
