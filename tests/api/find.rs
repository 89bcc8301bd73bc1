//! Finding people (issue 15): the participant and referral list filters of the API and
//! the pages, on a hand-built fixture whose expected records are written out by hand; a
//! caseworker of another provider finds none of them. And the people of a one-to-one
//! session, chosen on its page, are its register.

use chrono::NaiveDate;
use outcomes::domain::enums::{Closure, Decision, Ethnicity, Gender, ReferralSource, Role};
use outcomes::domain::ids::{OrganisationId, ParticipantId, ProgrammeId};
use outcomes::store::participants::{self, ParticipantFields};
use outcomes::store::referrals::{self, ReferralFields};
use serde_json::Value;

use crate::helpers::{spawn_app, TestApp};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn person(app: &TestApp, org: i64, reference: &str, born: Option<&str>, district: &str) -> i64 {
    participants::insert(
        &mut app.db(),
        OrganisationId(org),
        &ParticipantFields {
            reference: reference.into(),
            person_key: None,
            date_of_birth: born.map(day),
            gender: Gender::NotKnown,
            ethnicity: Ethnicity::NotStated,
            district: Some(district.into()),
        },
    )
    .unwrap()
    .0
}

/// A referral referred on `on`: "pending", "open", or closed as "completed"/"withdrawn".
fn referral(
    app: &TestApp,
    org: i64,
    reference: &str,
    participant: i64,
    programme: i64,
    on: &str,
    status: &str,
) -> i64 {
    let (decision, decided_on, closure, closed_on) = match status {
        "pending" => (Decision::Pending, None, Closure::Open, None),
        "open" => (Decision::Accepted, Some(day(on)), Closure::Open, None),
        "completed" => (
            Decision::Accepted,
            Some(day(on)),
            Closure::Completed,
            Some(day(on)),
        ),
        "withdrawn" => (
            Decision::Accepted,
            Some(day(on)),
            Closure::Withdrawn,
            Some(day(on)),
        ),
        other => panic!("no fixture status {other}"),
    };
    referrals::insert(
        &mut app.db(),
        OrganisationId(org),
        &ReferralFields {
            reference: reference.into(),
            participant_id: ParticipantId(participant),
            programme_id: ProgrammeId(programme),
            referred_on: day(on),
            source: ReferralSource::Police,
            reason: String::new(),
            decision,
            decided_on,
            closure,
            closed_on,
            required_hours: None,
        },
    )
    .unwrap()
    .0
}

struct Fixture {
    app: TestApp,
    a: i64,
    b: i64,
    /// Provider A's participants.
    upper: i64,
    lower: i64,
    tester: i64,
    aux: i64,
    other: i64,
    /// Provider B's participant whose reference also starts with "UX-TEST".
    b_person: i64,
    p1: i64,
    p2: i64,
    pb: i64,
    /// Provider A's referrals.
    r1: i64,
    r2: i64,
    r3: i64,
    r4: i64,
    r5: i64,
}

async fn fixture() -> Fixture {
    let app = spawn_app().await;
    let a = app.provider("Provider A");
    let b = app.provider("Provider B");
    let upper = person(&app, a, "UX-TEST-001", Some("2008-05-14"), "Leeds");
    let lower = person(&app, a, "ux-test-002", Some("2009-01-02"), "Bradford");
    let tester = person(&app, a, "UX-TESTER-9", None, "leeds");
    let aux = person(&app, a, "AUX-TEST-1", Some("2008-05-14"), "Leeds");
    let other = person(&app, a, "OTHER-1", Some("2008-05-14"), "Wakefield");
    let b_person = person(&app, b, "UX-TEST-B1", Some("2008-05-14"), "Leeds");
    let p1 = app.add_programme(a, "Mentoring A");
    let p2 = app.add_programme(a, "Diversion A");
    let pb = app.add_programme(b, "Mentoring B");
    let r1 = referral(&app, a, "WD-1", upper, p1, "2025-05-01", "withdrawn");
    let r2 = referral(&app, a, "DONE-2", lower, p1, "2025-05-02", "completed");
    let r3 = referral(&app, a, "wd-3", tester, p1, "2025-06-01", "withdrawn");
    let r4 = referral(&app, a, "WD-4", other, p2, "2025-06-02", "withdrawn");
    let r5 = referral(&app, a, "OPEN-5", aux, p1, "2025-06-03", "open");
    referral(&app, b, "WD-B", b_person, pb, "2025-06-04", "withdrawn");
    Fixture {
        app,
        a,
        b,
        upper,
        lower,
        tester,
        aux,
        other,
        b_person,
        p1,
        p2,
        pb,
        r1,
        r2,
        r3,
        r4,
        r5,
    }
}

impl Fixture {
    fn token(&self, org: i64) -> String {
        let user = self.app.create_user(Role::Caseworker, org);
        self.app.bearer(&user)
    }
}

/// The ids of a list answer, in order, and its count.
async fn ids(app: &TestApp, token: &str, path: &str) -> (Vec<i64>, i64) {
    let res = app.get_with_token(path, token).await;
    assert_eq!(res.status().as_u16(), 200, "{path}");
    let body: Value = res.json().await.unwrap();
    let ids = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    (ids, body["count"].as_i64().unwrap())
}

#[tokio::test]
async fn participants_are_found_by_the_start_of_their_reference_in_any_case() {
    let f = fixture().await;
    let t = f.token(f.a);
    // By reference, byte order: "UX-TEST-001" < "UX-TESTER-9" < "ux-test-002"; "AUX-TEST-1"
    // contains the text but does not start with it.
    let want = vec![f.upper, f.tester, f.lower];
    assert_eq!(
        ids(&f.app, &t, "/api/v1/participants?q=ux-test").await,
        (want.clone(), 3)
    );
    assert_eq!(
        ids(&f.app, &t, "/api/v1/participants?q=UX-TEST").await,
        (want, 3)
    );
    assert_eq!(
        ids(&f.app, &t, "/api/v1/participants?q=ux-test-00").await,
        (vec![f.upper, f.lower], 2)
    );
    assert_eq!(
        ids(&f.app, &t, "/api/v1/participants?q=ux-test-001").await,
        (vec![f.upper], 1)
    );
    assert_eq!(
        ids(&f.app, &t, "/api/v1/participants?q=nobody").await,
        (vec![], 0)
    );
    // By date of birth, district (any case), and together.
    assert_eq!(
        ids(&f.app, &t, "/api/v1/participants?date_of_birth=2008-05-14").await,
        (vec![f.aux, f.other, f.upper], 3)
    );
    assert_eq!(
        ids(
            &f.app,
            &t,
            "/api/v1/participants?q=ux&date_of_birth=2008-05-14"
        )
        .await,
        (vec![f.upper], 1)
    );
    assert_eq!(
        ids(&f.app, &t, "/api/v1/participants?district=LEEDS").await,
        (vec![f.aux, f.upper, f.tester], 3)
    );
    // By programme and status of their referrals.
    assert_eq!(
        ids(
            &f.app,
            &t,
            &format!("/api/v1/participants?programme={}&status=withdrawn", f.p1)
        )
        .await,
        (vec![f.upper, f.tester], 2)
    );
    assert_eq!(
        ids(&f.app, &t, "/api/v1/participants?status=withdrawn").await,
        (vec![f.other, f.upper, f.tester], 3)
    );
    // Pages of `limit`.
    assert_eq!(
        ids(&f.app, &t, "/api/v1/participants?q=ux-test&limit=2&page=2").await,
        (vec![f.lower], 3)
    );
    // Bad filters are refused naming the field.
    for (query, field) in [
        ("date_of_birth=14/05/2008x", "date_of_birth"),
        ("status=lost", "status"),
        ("programme=abc", "programme"),
        ("page=0", "page"),
    ] {
        let res = f
            .app
            .get_with_token(&format!("/api/v1/participants?{query}"), &t)
            .await;
        assert_eq!(res.status().as_u16(), 422, "{query}");
        assert!(res.text().await.unwrap().contains(field), "{query}");
    }
}

#[tokio::test]
async fn referrals_are_filtered_by_status_programme_dates_and_reference() {
    let f = fixture().await;
    let t = f.token(f.a);
    // Newest referral first.
    assert_eq!(
        ids(
            &f.app,
            &t,
            &format!("/api/v1/referrals?status=withdrawn&programme={}", f.p1)
        )
        .await,
        (vec![f.r3, f.r1], 2)
    );
    assert_eq!(
        ids(&f.app, &t, "/api/v1/referrals?status=withdrawn").await,
        (vec![f.r4, f.r3, f.r1], 3)
    );
    assert_eq!(
        ids(&f.app, &t, &format!("/api/v1/referrals?programme={}", f.p2)).await,
        (vec![f.r4], 1)
    );
    assert_eq!(
        ids(&f.app, &t, "/api/v1/referrals?status=open").await,
        (vec![f.r5], 1)
    );
    assert_eq!(
        ids(&f.app, &t, "/api/v1/referrals?status=completed").await,
        (vec![f.r2], 1)
    );
    assert_eq!(
        ids(
            &f.app,
            &t,
            "/api/v1/referrals?referred_from=2025-05-02&referred_to=2025-06-01"
        )
        .await,
        (vec![f.r3, f.r2], 2)
    );
    assert_eq!(
        ids(&f.app, &t, "/api/v1/referrals?reference=wd-").await,
        (vec![f.r4, f.r3, f.r1], 3)
    );
    let res = f
        .app
        .get_with_token("/api/v1/referrals?referred_from=2025-13-01", &t)
        .await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap().contains("referred_from"));
}

#[tokio::test]
async fn a_caseworker_of_another_provider_finds_none_of_them() {
    let f = fixture().await;
    let t = f.token(f.b);
    assert_eq!(
        ids(&f.app, &t, "/api/v1/participants?q=ux-test").await,
        (vec![f.b_person], 1)
    );
    assert_eq!(
        ids(
            &f.app,
            &t,
            &format!("/api/v1/participants?programme={}&status=withdrawn", f.p1)
        )
        .await,
        (vec![], 0)
    );
    assert_eq!(
        ids(
            &f.app,
            &t,
            &format!("/api/v1/referrals?status=withdrawn&programme={}", f.p1)
        )
        .await,
        (vec![], 0)
    );
    let (all, _) = ids(&f.app, &t, "/api/v1/referrals?status=withdrawn").await;
    assert_eq!(all.len(), 1, "only their own");
    assert!(![f.r1, f.r3, f.r4].contains(&all[0]));
    // The pages too.
    let user = f.app.create_user(Role::Caseworker, f.b);
    let s = f.app.session_for(&user);
    let html = s.get("/participants?q=ux-test").await.text().await.unwrap();
    assert!(html.contains(">UX-TEST-B1<"));
    assert!(!html.contains(">UX-TEST-001<") && !html.contains(">ux-test-002<"));
    let html = s
        .get(&format!("/referrals?status=withdrawn&programme={}", f.pb))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("WD-B") && html.contains("UX-TEST-B1"));
    assert!(!html.contains("WD-1") && !html.contains("wd-3"));
    // Choosing the participant of a referral offers only their own.
    let html = s
        .get("/referrals/new?search=yes&participant=ux")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(">UX-TEST-B1<") && !html.contains(">UX-TEST-001<"));
    let res = s
        .get(&format!("/referrals/new?participant_id={}", f.upper))
        .await;
    assert_eq!(res.status().as_u16(), 404, "another provider's participant");
}

#[tokio::test]
async fn the_pages_filter_say_when_nothing_matches_and_show_the_participant_of_each_referral() {
    let f = fixture().await;
    let user = f.app.create_user(Role::Caseworker, f.a);
    let s = f.app.session_for(&user);
    let html = s.get("/participants?q=ux-test").await.text().await.unwrap();
    assert!(html.contains("3 participants"), "{html}");
    assert!(html.contains(">ux-test-002<") && !html.contains("AUX-TEST-1"));
    let html = s
        .get("/participants?date_of_birth-day=14&date_of_birth-month=May&date_of_birth-year=2008&q=ux")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("1 participant<"), "{html}");
    assert!(html.contains(">UX-TEST-001<") && !html.contains(">OTHER-1<"));
    let html = s.get("/participants?q=nobody").await.text().await.unwrap();
    assert!(html.contains("No participants match your search"));
    let html = s
        .get("/participants?date_of_birth-day=31&date_of_birth-month=2&date_of_birth-year=2008")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Date of birth must be a real date"));
    let html = s
        .get("/participants?date_of_birth-day=31&date_of_birth-year=2008")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Date of birth must include a month"));
    let html = s
        .get(&format!("/referrals?status=withdrawn&programme={}", f.p1))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("2 referrals"), "{html}");
    for text in ["WD-1", "wd-3", "UX-TEST-001", "UX-TESTER-9", "Withdrawn"] {
        assert!(html.contains(text), "{text}");
    }
    assert!(!html.contains("WD-4") && !html.contains("OPEN-5"));
    let html = s
        .get("/referrals?reference=zzz")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("No referrals match your search"));
}

#[tokio::test]
async fn a_one_to_one_session_registers_the_people_chosen_on_its_page() {
    let f = fixture().await;
    let user = f.app.create_user(Role::Caseworker, f.a);
    let s = f.app.session_for(&user);
    // Two more open referrals to the programme; the session is one-to-one.
    let (open_a, session) = f.app.add_referral_and_session(f.a, f.lower, f.p1);
    let open_b = referral(&f.app, f.a, "OPEN-6", f.other, f.p1, "2025-05-03", "open");
    let page = s
        .get(&format!("/sessions/{session}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Who the session is for"));
    assert!(
        !page.contains(&format!("name=\"status_{open_a}\"")),
        "nobody on the register before they are chosen"
    );
    // Found by the start of the participant's reference; chosen; on the register with it.
    let page = s
        .get(&format!("/sessions/{session}?find=other"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("OTHER-1 (referral OPEN-6)"), "{page}");
    let res = s
        .post_form(
            &format!("/sessions/{session}/participants"),
            &[("referral_id", &open_b.to_string()), ("find", "other")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let page = s
        .get(&format!("/sessions/{session}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("name=\"status_{open_b}\"")));
    assert!(!page.contains(&format!("name=\"status_{open_a}\"")));
    assert!(!page.contains(&format!("name=\"status_{}\"", f.r5)));
    assert!(
        page.contains("OTHER-1"),
        "the participant beside the referral"
    );
    // Another provider's referral, or one of another programme, is refused; nothing changes.
    let res = s
        .post_form(
            &format!("/sessions/{session}/participants"),
            &[("referral_id", &f.r4.to_string())],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Select an accepted referral to this session"));
    // Taken off again.
    let res = s
        .post_form(
            &format!("/sessions/{session}/participants/remove"),
            &[("referral_id", &open_b.to_string())],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let page = s
        .get(&format!("/sessions/{session}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains(&format!("name=\"status_{open_b}\"")));
    // A caseworker of provider B cannot add to A's session.
    let other = f.app.create_user(Role::Caseworker, f.b);
    let res = f
        .app
        .session_for(&other)
        .post_form(
            &format!("/sessions/{session}/participants"),
            &[("referral_id", &open_b.to_string())],
        )
        .await;
    assert_eq!(res.status().as_u16(), 404);
    let _ = (f.p2, f.r2, f.pb);
}
