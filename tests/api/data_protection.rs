//! Data protection (issue 18, first part): the public privacy notice, accessibility
//! statement and cookies page; each programme's lawful basis and police linkage; a
//! person's objection to linkage counted as "not linked: objection" (figures derived by
//! hand from the fixture of `reports.rs`); and who looked at whom.

use outcomes::domain::enums::{ImportKind, OrganisationKind, Role};
use outcomes::reports::{render, Format};
use serde_json::Value;

use crate::helpers::spawn_app;
use crate::imports::{fresh_db, run};
use crate::reports::{fixture_report, load_fixture};

fn close(a: &Value, b: f64) -> bool {
    (a.as_f64().unwrap() - b).abs() < 1e-9
}

#[tokio::test]
async fn the_privacy_accessibility_and_cookies_pages_answer_without_signing_in() {
    let app = spawn_app().await;
    for (path, heading) in [
        ("/privacy", "Privacy notice"),
        ("/accessibility", "Accessibility statement for"),
        ("/cookies", "Cookies"),
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status().as_u16(), 200, "{path}");
        let html = res.text().await.unwrap();
        assert!(html.contains(heading), "{path}");
        // Linked from every page's footer.
        for link in ["/privacy", "/accessibility", "/cookies"] {
            assert!(html.contains(&format!("href=\"{link}\"")), "{path}: {link}");
        }
    }
    let cookies = app.get("/cookies").await.text().await.unwrap();
    assert!(cookies.contains("outcomes_session"));
    assert!(cookies.contains("outcomes_csrf"));
    let accessibility = app.get("/accessibility").await.text().await.unwrap();
    assert!(accessibility.contains("WCAG 2.0, 2.1 and 2.2 level A and AA"));
}

#[tokio::test]
async fn an_admin_sets_the_privacy_notice_and_it_lists_each_programme_s_lawful_basis() {
    let app = spawn_app().await;
    let provider = app.provider("Provider A");
    let commissioner_org = app.org("OPCC", OrganisationKind::Commissioner);
    let admin = app.create_user(Role::Admin, commissioner_org);
    let commissioner = app.create_user(Role::Commissioner, commissioner_org);
    let session = app.session_for(&commissioner);
    // Set up through the form: consent, not linked.
    let res = session
        .post_form(
            "/setup/programmes",
            &[
                ("organisation_id", &provider.to_string()),
                ("name", "Consent mentoring"),
                ("kind", "mentoring"),
                ("delivery", "individual"),
                ("starts_on-day", "1"),
                ("starts_on-month", "April"),
                ("starts_on-year", "2025"),
                ("lawful_basis", "consent"),
                ("police_linkage", "no"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let programme_page = crate::helpers::location(&res);
    // And one through the API with the defaults.
    let token = app.bearer(&commissioner);
    let res = app
        .client
        .post(format!("{}/api/v1/programmes", app.address))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "organisation_id": provider, "name": "Default mentoring", "kind": "mentoring",
            "delivery": "individual", "starts_on": "2025-04-01"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["lawful_basis"], "public_task");
    assert_eq!(body["police_linkage"], true);
    assert_eq!(body["offence_data_condition"], "statutory_purposes");

    let page = session.get(&programme_page).await.text().await.unwrap();
    assert!(page.contains("Consent (UK GDPR Article 6(1)(a))"), "{page}");
    assert!(page.contains("No: nobody is linked to police data"));

    // The admin shortens the consent programme's retention: the notice says so beside
    // it, and the default programme keeps the default.
    let admin_session = app.session_for(&admin);
    let res = admin_session
        .post_form(&format!("{programme_page}/retention"), &[("months", "24")])
        .await;
    assert_eq!(res.status().as_u16(), 303, "{}", res.text().await.unwrap());

    let notice = app.get("/privacy").await.text().await.unwrap();
    assert!(notice.contains("Consent mentoring"));
    let row = |name: &str| {
        let at = notice.find(name).unwrap();
        notice[at..at + notice[at..].find("</tr>").unwrap()].to_string()
    };
    assert!(
        row("Consent mentoring").contains("<td class=\"govuk-table__cell\">2 years</td>"),
        "{}",
        row("Consent mentoring")
    );
    assert!(
        row("Default mentoring").contains("<td class=\"govuk-table__cell\">6 years</td>"),
        "{}",
        row("Default mentoring")
    );
    assert!(notice.contains("Public task (UK GDPR Article 6(1)(e))"));
    assert!(notice.contains("The Office of the Police and Crime Commissioner, which commissions"));
    assert!(!notice.contains("href=\"/admin/privacy\""));

    let notice = admin_session.get("/privacy").await.text().await.unwrap();
    assert!(notice.contains("href=\"/admin/privacy\""));
    let form = admin_session.get("/admin/privacy").await;
    assert_eq!(form.status().as_u16(), 200);
    let res = admin_session
        .post_form(
            "/admin/privacy",
            &[("controller", "Example OPCC, 1 High Street, Exampleton")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let notice = app.get("/privacy").await.text().await.unwrap();
    assert!(notice.contains("Example OPCC, 1 High Street, Exampleton"));
    // The other parts keep their defaults.
    assert!(notice.contains("6 years unless the programme sets another"));
    // Only admins set it.
    let res = session.get("/admin/privacy").await;
    assert_eq!(res.status().as_u16(), 403);
}

/// The referrals file of `reports.rs` again, with R2 marked as objecting to linkage.
const OBJECTION: &str = "\
referral_ref,participant_ref,programme,referred_on,source,reason,decision,decided_on,closure,closed_on,required_hours,linkage_objection
R2,P2,Mentoring,2024-06-30,school,,accepted,2024-07-01,open,,,yes
";

#[test]
fn an_objection_to_linkage_is_counted_as_not_linked_and_left_out_of_the_rate() {
    let mut db = fresh_db();
    let scope = load_fixture(&mut db.conn);
    let before = fixture_report(&mut db.conn, scope, false).to_json();
    // With no objection, nobody is "not linked".
    assert_eq!(
        before["reoffending"]["groups"]["all"]["not_linked_objection"],
        0
    );
    assert_eq!(
        before["reoffending"]["groups"]["all"]["not_linked_programme"],
        0
    );
    let org = outcomes::store::organisations::list(&mut db.conn)
        .unwrap()
        .into_iter()
        .find(|o| o.name == "Provider A")
        .unwrap()
        .id;
    run(&mut db.conn, Some(org), ImportKind::Referrals, OBJECTION).unwrap();
    let report = fixture_report(&mut db.conn, scope, false);
    let json = report.to_json();
    let r = &json["reoffending"];
    let all = &r["groups"]["all"];
    // The cohort is still P1 (R1), P2 (R2), P3, P4 (R5), P5 (R6): P2 objected, P3 has
    // no key. Measurable: K1, K4, K5. Reoffenders: K1 (2025-05-10) and K4 (2025-08-31);
    // K2's robbery (2024-12-01) is no longer looked at.
    assert_eq!(all["cohort"], 5);
    assert_eq!(all["not_linked_objection"], 1);
    assert_eq!(all["not_linked_programme"], 0);
    assert_eq!(all["unmatched"], 1);
    assert_eq!(all["awaiting_follow_up"], 0);
    assert_eq!(all["measurable"], 3);
    assert_eq!(all["reoffenders"], 2);
    assert_eq!(all["reoffences"], 2);
    assert!(close(&all["reoffending_rate"], 2.0 / 3.0));
    // Wilson 95% for 2/3, by the formula in Python: (0.2076596008, 0.9385080553).
    assert!((all["reoffending_rate_ci"][0].as_f64().unwrap() - 0.207_659_600_8).abs() < 1e-9);
    assert!((all["reoffending_rate_ci"][1].as_f64().unwrap() - 0.938_508_055_3).abs() < 1e-9);
    // Days to first: 365 (K1) and 365 (K4).
    assert!(close(&all["mean_days_to_first_reoffence"], 365.0));
    // Engaged: R1 and R2 (R2 objected); completed: R1.
    let engaged = &r["groups"]["engaged"];
    assert_eq!(engaged["cohort"], 2);
    assert_eq!(engaged["not_linked_objection"], 1);
    assert_eq!(engaged["measurable"], 1);
    assert_eq!(engaged["reoffenders"], 1);
    assert_eq!(r["groups"]["completed"]["not_linked_objection"], 0);
    // Before: K1 2023-06-01 and K4 2024-01-15; after: K1 and K4 once each.
    assert_eq!(r["before_after"]["offences_before"], 2);
    assert_eq!(r["before_after"]["offences_after"], 2);

    // Shown in every format where the other "not linked" counts are.
    let html = String::from_utf8(render(&report, Format::Html).unwrap()).unwrap();
    assert!(html.contains("Not linked: objection"), "HTML column");
    assert!(
        html.contains("Not linked: 1 person objected to being linked to police records"),
        "HTML summary"
    );
    let csv = String::from_utf8(render(&report, Format::Csv).unwrap()).unwrap();
    assert!(csv.contains("not_linked_objection") || csv.contains("Not linked: objection"));
    let xlsx = render(&report, Format::Xlsx).unwrap();
    assert!(xlsx.starts_with(b"PK"));

    // The programme stops linking: every member is "not linked: programme does not link",
    // before the objection and the missing key are looked at.
    let programmes = "\
name,kind,delivery,min_age,max_age,starts_on,ends_on,description,police_linkage
Mentoring,mentoring,individual,10,18,2023-04-01,,Synthetic fixture,no
";
    run(&mut db.conn, Some(org), ImportKind::Programmes, programmes).unwrap();
    let json = fixture_report(&mut db.conn, scope, false).to_json();
    let all = &json["reoffending"]["groups"]["all"];
    assert_eq!(all["cohort"], 5);
    assert_eq!(all["not_linked_programme"], 5);
    assert_eq!(all["not_linked_objection"], 0);
    assert_eq!(all["unmatched"], 0);
    assert_eq!(all["measurable"], 0);
    assert_eq!(all["reoffenders"], 0);
}

#[tokio::test]
async fn a_referral_records_an_objection_through_the_api_and_its_correction() {
    let app = spawn_app().await;
    let provider = app.provider("Provider A");
    let caseworker = app.create_user(Role::Caseworker, provider);
    let programme = app.add_programme(provider, "Mentoring");
    let participant = app.add_participant(provider, "P-OBJ-1");
    let token = app.bearer(&caseworker);
    let res = app
        .client
        .post(format!("{}/api/v1/referrals", app.address))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "participant_id": participant, "programme_id": programme,
            "referred_on": "2025-05-01", "source": "police", "linkage_objection": true
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_i64().unwrap();
    let detail: Value = app
        .get_with_token(&format!("/api/v1/referrals/{id}"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["linkage_objection"], true);
    // Withdrawn by a correction, with a reason.
    let res = app
        .client
        .patch(format!("{}/api/v1/referrals/{id}", app.address))
        .bearer_auth(&token)
        .json(&serde_json::json!({"reason": "Recorded in error", "linkage_objection": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "{}", res.text().await.unwrap());
    let detail: Value = app
        .get_with_token(&format!("/api/v1/referrals/{id}"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["linkage_objection"], false);
    let history: Value = app
        .get_with_token(&format!("/api/v1/referrals/{id}/history"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        history.to_string().contains("linkage_objection"),
        "{history}"
    );
    // Recorded again on the referral's correction page, with a reason.
    let session = app.session_for(&caseworker);
    let path = format!("/referrals/{id}/change?field=linkage_objection");
    let page = session.get(&path).await.text().await.unwrap();
    assert!(page.contains("Did the person object"), "{page}");
    let res = session
        .post_form(
            &path,
            &[
                ("linkage_objection", "yes"),
                ("reason", "Told us at the review"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let page = session
        .get(&format!("/referrals/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Yes: not linked to police data"), "{page}");
}

#[tokio::test]
async fn a_caseworker_s_view_of_a_participant_appears_in_its_access_history() {
    let app = spawn_app().await;
    let provider = app.provider("Provider A");
    let other = app.provider("Provider B");
    let caseworker = app.create_user(Role::Caseworker, provider);
    let manager = app.create_user(Role::ProviderManager, provider);
    let other_manager = app.create_user(Role::ProviderManager, other);
    let commissioner_org = app.org("OPCC", OrganisationKind::Commissioner);
    let admin = app.create_user(Role::Admin, commissioner_org);
    app.execute(&format!(
        "UPDATE users SET display_name = 'Casey Worker' WHERE id = {}",
        caseworker.id
    ));
    let programme = app.add_programme(provider, "Mentoring");
    let participant = app.add_participant(provider, "P-SEEN-1");
    let (referral, _) = app.add_referral_and_session(provider, participant, programme);
    let unseen = app.add_participant(provider, "P-UNSEEN-1");

    let cw = app.session_for(&caseworker);
    let page = cw.get(&format!("/participants/{participant}")).await;
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    // A caseworker does not see who looked.
    assert!(!page.contains("Who has looked at this record"));
    assert_eq!(
        cw.get(&format!("/referrals/{referral}"))
            .await
            .status()
            .as_u16(),
        200
    );
    let token = app.bearer(&caseworker);
    let res = app
        .get_with_token(&format!("/api/v1/participants/{participant}"), &token)
        .await;
    assert_eq!(res.status().as_u16(), 200);

    let page = app
        .session_for(&manager)
        .get(&format!("/participants/{participant}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Who has looked at this record"), "{page}");
    let table = &page[page.find("access-history").unwrap()..];
    // Newest first: the manager's own view, then the caseworker's API read, referral page
    // and participant page.
    let rows: Vec<&str> = table
        .split("<tr class=\"govuk-table__row\">")
        .skip(2)
        .collect();
    assert_eq!(rows.len(), 4, "{table}");
    assert!(rows[0].contains("Provider manager") && rows[0].contains("Participant page"));
    assert!(rows[1].contains("Casey Worker") && rows[1].contains("Participant (API)"));
    assert!(rows[2].contains("Casey Worker") && rows[2].contains("Referral page"));
    assert!(rows[3].contains("Casey Worker") && rows[3].contains("Caseworker"));
    assert!(rows[3].contains("Participant page"));

    // Admins see it too; another organisation's manager gets 404, and that is not a view.
    let page = app
        .session_for(&admin)
        .get(&format!("/participants/{participant}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Casey Worker"));
    let res = app
        .session_for(&other_manager)
        .get(&format!("/participants/{participant}"))
        .await;
    assert_eq!(res.status().as_u16(), 404);
    // Another participant's history is its own.
    let page = app
        .session_for(&manager)
        .get(&format!("/participants/{unseen}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Casey Worker"));

    // Both chains verify, and the log holds no participant id or reference in clear.
    let mut conn = app.db();
    let audit = outcomes::store::audit::verify(&mut conn).unwrap();
    assert_eq!(audit.problem, None);
    let log = outcomes::store::access_log::verify(&mut conn).unwrap();
    assert_eq!(log.problem, None);
    // 4 views of P-SEEN-1 as above, the admin's, the manager's of P-UNSEEN-1.
    assert_eq!(log.events, 6);
    let subjects = app.column("subject", "access_log");
    assert!(subjects.iter().all(|s| s.len() == 64 && s != "P-SEEN-1"));
}
