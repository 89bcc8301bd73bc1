//! Quarterly returns: a provider manager submits a quarter, a commissioner approves it or
//! returns it with a comment, an admin unlocks it with a reason. While approved, every
//! record dated in the quarter is locked on the API, on the pages and in imports; records
//! of other quarters stay editable; every step is in the audit trail.

use serde_json::{json, Value};

use crate::casework::{accepted_referral, call, messages, session, world, World};
use crate::helpers::TestSession;
use outcomes::domain::enums::{OrganisationKind, Role};

/// The people of a returns test: the provider's manager, a commissioner, an admin.
pub struct People {
    pub manager: String,
    pub commissioner: String,
    pub admin: String,
    pub manager_page: TestSession,
    pub commissioner_page: TestSession,
}

pub fn people(w: &World) -> People {
    let opcc = w.app.org("OPCC", OrganisationKind::Commissioner);
    let manager = w.app.create_user(Role::ProviderManager, w.provider);
    let commissioner = w.app.create_user(Role::Commissioner, opcc);
    People {
        manager: w.app.bearer(&manager),
        commissioner: w.app.bearer(&commissioner),
        admin: w.admin_token.clone(),
        manager_page: w.app.session_for(&manager),
        commissioner_page: w.app.session_for(&commissioner),
    }
}

async fn submit(w: &World, token: &str, quarter: &str) -> (u16, Value) {
    let path = format!("/api/v1/programmes/{}/returns", w.mentoring);
    call(
        &w.app,
        "POST",
        token,
        &path,
        Some(json!({"quarter": quarter})),
    )
    .await
}

pub async fn act(w: &World, token: &str, id: i64, action: &str, body: Value) -> (u16, Value) {
    let path = format!("/api/v1/returns/{id}/{action}");
    call(&w.app, "POST", token, &path, Some(body)).await
}

/// Submits and approves 2025-26-Q1 (April to June 2025) of the Mentoring programme.
pub async fn approve_q1(w: &World, p: &People) -> i64 {
    let (status, r) = submit(w, &p.manager, "2025-26-Q1").await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["status"], "submitted");
    let id = r["id"].as_i64().unwrap();
    let (status, r) = act(w, &p.commissioner, id, "approve", json!({})).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["status"], "approved");
    assert_eq!(r["locked"], true);
    id
}

/// The locked-quarter problem: 409, naming the field and the quarter.
pub fn assert_locked(status: u16, problem: &Value, field: &str) {
    assert_eq!(status, 409, "{problem}");
    let m = messages(problem, field);
    assert_eq!(m.len(), 1, "{problem}");
    assert!(
        m[0].contains("(Q1 2025-26)") && m[0].contains("locked"),
        "{problem}"
    );
}

pub async fn upload(w: &World, token: &str, kind: &str, csv: &str) -> (u16, Value) {
    let res = w
        .app
        .client
        .post(format!(
            "{}/api/v1/imports/{kind}?file_name={kind}.csv",
            w.app.address
        ))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_string())
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn an_approved_quarter_locks_its_records_on_the_api_the_pages_and_imports() {
    let w = world().await;
    let p = people(&w);
    let q1_referral = accepted_referral(&w, w.mentoring, None).await;
    let q1_session = session(&w, w.mentoring).await;
    approve_q1(&w, &p).await;

    // API: a referral, a closure, a session, a register, an outcome and a survey dated
    // in Q1 are refused.
    let (s, b) = call(
        &w.app,
        "POST",
        &w.token,
        "/api/v1/referrals",
        Some(json!({
        "participant_id": w.participant, "programme_id": w.mentoring,
        "referred_on": "2025-06-15", "source": "police"})),
    )
    .await;
    assert_locked(s, &b, "referred_on");
    let (s, b) = call(
        &w.app,
        "POST",
        &w.token,
        &format!("/api/v1/referrals/{q1_referral}/closure"),
        Some(json!({"closure": "completed", "closed_on": "2025-06-20"})),
    )
    .await;
    assert_locked(s, &b, "closed_on");
    let (s, b) = call(
        &w.app,
        "POST",
        &w.token,
        "/api/v1/sessions",
        Some(json!({
        "programme_id": w.mentoring, "date": "2025-05-20", "kind": "group"})),
    )
    .await;
    assert_locked(s, &b, "date");
    let register =
        json!({"attendance": [{"referral_id": q1_referral, "status": "attended", "hours": 1}]});
    let (s, b) = call(
        &w.app,
        "PUT",
        &w.token,
        &format!("/api/v1/sessions/{q1_session}/attendance"),
        Some(register),
    )
    .await;
    assert_locked(s, &b, "date");
    let (s, b) = call(
        &w.app,
        "POST",
        &w.token,
        "/api/v1/outcomes",
        Some(json!({
        "referral_id": q1_referral, "measure_id": w.measure, "timepoint": "baseline",
        "recorded_on": "2025-06-12", "value": 3})),
    )
    .await;
    assert_locked(s, &b, "recorded_on");
    let (s, b) = call(
        &w.app,
        "POST",
        &w.token,
        "/api/v1/group-surveys",
        Some(json!({
        "session_id": q1_session, "measure_id": w.measure, "timepoint": "baseline",
        "counts": {"3": 5}})),
    )
    .await;
    assert_locked(s, &b, "recorded_on");

    // Records dated in another quarter are still editable, including the Q1 referral's
    // closure dated in Q2 and its outcome recorded in Q2.
    let (s, q2) = call(
        &w.app,
        "POST",
        &w.token,
        "/api/v1/referrals",
        Some(json!({
        "participant_id": w.participant, "programme_id": w.mentoring,
        "referred_on": "2025-07-03", "source": "school"})),
    )
    .await;
    assert_eq!(s, 201, "{q2}");
    let (s, b) = call(
        &w.app,
        "POST",
        &w.token,
        "/api/v1/sessions",
        Some(json!({
        "programme_id": w.mentoring, "date": "2025-07-10", "kind": "group"})),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let q2_session = b["id"].as_i64().unwrap();
    let (s, b) = call(
        &w.app,
        "PUT",
        &w.token,
        &format!("/api/v1/sessions/{q2_session}/attendance"),
        Some(
            json!({"attendance": [{"referral_id": q1_referral, "status": "attended", "hours": 1}]}),
        ),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = call(
        &w.app,
        "POST",
        &w.token,
        "/api/v1/outcomes",
        Some(json!({
        "referral_id": q1_referral, "measure_id": w.measure, "timepoint": "exit",
        "recorded_on": "2025-07-12", "value": 4})),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = call(
        &w.app,
        "POST",
        &w.token,
        &format!("/api/v1/referrals/{q1_referral}/closure"),
        Some(json!({"closure": "completed", "closed_on": "2025-07-20"})),
    )
    .await;
    assert_eq!(s, 200, "{b}");

    // Pages: the same refusal as a GOV.UK error summary.
    let page = w
        .app
        .session_for(&w.app.create_user(Role::Caseworker, w.provider));
    let res = page
        .post_form(
            &format!("/programmes/{}/sessions/new", w.mentoring),
            &[
                ("date-day", "21"),
                ("date-month", "5"),
                ("date-year", "2025"),
                ("kind", "group"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 409);
    let html = res.text().await.unwrap();
    assert!(html.contains("govuk-error-summary"), "{html}");
    assert!(
        html.contains("April to June 2025 (Q1 2025-26), whose quarterly return is approved"),
        "{html}"
    );
    let status_field = format!("status_{q1_referral}");
    let res = page
        .post_form(
            &format!("/sessions/{q1_session}/register"),
            &[(status_field.as_str(), "did_not_attend")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 409);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("whose quarterly return is approved"));

    // Imports: all or nothing, the error naming the line; an unchanged Q1 row is fine.
    let referrals_before = w.app.column("id", "referrals").len();
    let csv = "referral_ref,participant_ref,programme,referred_on,source\n\
               NEW-Q2,P1,Mentoring,2025-07-05,police\n\
               NEW-Q1,P1,Mentoring,2025-06-05,police\n";
    let (s, b) = upload(&w, &w.token, "referrals", csv).await;
    assert_eq!(s, 422, "{b}");
    let errors = b["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{b}");
    assert_eq!(errors[0]["line"], 3);
    assert_eq!(errors[0]["field"], "referred_on");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("(Q1 2025-26)"),
        "{b}"
    );
    assert!(
        errors[0]["message"].as_str().unwrap().contains("approved"),
        "{b}"
    );
    assert_eq!(
        w.app.column("id", "referrals").len(),
        referrals_before,
        "nothing imported"
    );
    let csv = format!(
        "session_ref,referral_ref,status,hours\nS-{q1_session},R-{q1_referral},cancelled,\n"
    );
    let (s, b) = upload(&w, &w.token, "attendance", &csv).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["errors"][0]["line"], 2);
    assert_eq!(b["errors"][0]["field"], "session_ref");
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("(Q1 2025-26)"),
        "{b}"
    );
    let csv = format!(
        "referral_ref,measure,timepoint,recorded_on,value\n\
                       R-{q1_referral},Feels safe,review,2025-07-01,2\n\
                       R-{q1_referral},Feels safe,review,2025-06-01,2\n"
    );
    let (s, b) = upload(&w, &w.token, "outcomes", &csv).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["errors"][0]["line"], 3);
    assert_eq!(b["errors"][0]["field"], "recorded_on");
    let csv = "session_ref,programme,date,kind\nNEW-S,Mentoring,2025-04-30,group\n";
    let (s, b) = upload(&w, &w.token, "sessions", csv).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["errors"][0]["line"], 2);
    assert_eq!(b["errors"][0]["field"], "date");
    let csv = format!(
        "session_ref,programme,date,kind,duration_minutes,headcount\n\
                       S-{q1_session},Mentoring,2025-06-01,group,,0\n"
    );
    let (s, b) = upload(&w, &w.token, "sessions", &csv).await;
    assert_eq!(
        s, 200,
        "an unchanged row of a locked quarter changes nothing: {b}"
    );
    assert_eq!(b["unchanged"], 1, "{b}");

    // The manager's own pages show the status.
    let html = p
        .manager_page
        .get(&format!("/programmes/{}/returns", w.mentoring))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-quarter=\"2025-26-Q1\""), "{html}");
    assert!(html.contains("govuk-tag--green\">Approved"), "{html}");
}

#[tokio::test]
async fn an_admin_unlock_with_a_reason_reopens_the_quarter_and_every_step_is_audited() {
    let w = world().await;
    let p = people(&w);
    let q1_referral = accepted_referral(&w, w.mentoring, None).await;
    let id = approve_q1(&w, &p).await;
    let close = json!({"closure": "completed", "closed_on": "2025-06-20"});
    let path = format!("/api/v1/referrals/{q1_referral}/closure");
    let (s, b) = call(&w.app, "POST", &w.token, &path, Some(close.clone())).await;
    assert_locked(s, &b, "closed_on");

    // Unlocking needs a reason, and the admin role.
    let (s, b) = act(&w, &p.admin, id, "unlock", json!({"reason": "  "})).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        messages(&b, "reason"),
        ["Enter the reason for unlocking the return"]
    );
    let (s, _) = act(&w, &p.commissioner, id, "unlock", json!({"reason": "x"})).await;
    assert_eq!(s, 403);
    let (s, b) = act(
        &w,
        &p.admin,
        id,
        "unlock",
        json!({"reason": "Late closures to record"}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "unlocked");
    assert_eq!(b["comment"], "Late closures to record");
    assert_eq!(b["locked"], false);

    // Edits are allowed again, until it is submitted and approved again.
    let (s, b) = call(&w.app, "POST", &w.token, &path, Some(close)).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = submit(&w, &p.manager, "2025-26-Q1").await;
    assert_eq!(s, 200, "a second submission is not a new return: {b}");
    assert_eq!(b["id"], id);
    assert_eq!(b["comment"], "", "the last decision is cleared");
    let (s, _) = act(&w, &p.commissioner, id, "approve", json!({})).await;
    assert_eq!(s, 200);
    let (s, b) = call(
        &w.app,
        "POST",
        &w.token,
        "/api/v1/sessions",
        Some(json!({
        "programme_id": w.mentoring, "date": "2025-05-20", "kind": "group"})),
    )
    .await;
    assert_locked(s, &b, "date");

    // The audit trail: submit, approve, unlock (with its reason), submit, approve.
    let actions: Vec<(String, String, String)> = w
        .app
        .column("action", "audit_events")
        .into_iter()
        .zip(w.app.column("entity", "audit_events"))
        .zip(w.app.column("detail", "audit_events"))
        .filter(|((_, e), _)| e == "quarterly_return")
        .map(|((a, e), d)| (a, e, d))
        .collect();
    let names: Vec<&str> = actions.iter().map(|(a, _, _)| a.as_str()).collect();
    assert_eq!(names, ["submit", "approve", "unlock", "submit", "approve"]);
    assert!(actions[2].2.contains("quarter=2025-26-Q1"), "{actions:?}");
    assert!(
        actions[2].2.contains("reason=\"Late closures to record\""),
        "{actions:?}"
    );
    let v = outcomes::store::audit::verify(&mut w.app.db()).unwrap();
    assert_eq!(v.problem, None);
}

#[tokio::test]
async fn a_return_sent_back_with_a_comment_reopens_the_quarter_for_a_new_submission() {
    let w = world().await;
    let p = people(&w);
    let (s, r) = submit(&w, &p.manager, "2025-26-Q1").await;
    assert_eq!(s, 201, "{r}");
    let id = r["id"].as_i64().unwrap();
    let (s, b) = act(&w, &p.commissioner, id, "return", json!({})).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        messages(&b, "comment"),
        ["Enter a comment saying what the provider needs to change"]
    );
    let (s, b) = act(
        &w,
        &p.commissioner,
        id,
        "return",
        json!({"comment": "Sessions of June are missing"}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "returned");
    assert_eq!(b["comment"], "Sessions of June are missing");
    // Returned: the quarter is open.
    let (s, b) = call(
        &w.app,
        "POST",
        &w.token,
        "/api/v1/sessions",
        Some(json!({
        "programme_id": w.mentoring, "date": "2025-06-20", "kind": "group"})),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    // A returned return cannot be approved; it is submitted again first.
    let (s, b) = act(&w, &p.commissioner, id, "approve", json!({})).await;
    assert_eq!(s, 422, "{b}");
    assert!(messages(&b, "decision")[0].contains("is returned"), "{b}");
    // The manager sees the comment and a button to submit again.
    let html = p
        .manager_page
        .get(&format!("/programmes/{}/returns", w.mentoring))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Sessions of June are missing"), "{html}");
    assert!(html.contains("Submit again"), "{html}");
    // Through the page this time: the commissioner decides on the question page.
    let res = p
        .manager_page
        .post_form(
            &format!("/programmes/{}/returns/new", w.mentoring),
            &[("quarter", "2025-26-Q1"), ("declaration", "yes")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let html = p
        .commissioner_page
        .get(&format!("/programmes/{}/returns", w.mentoring))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("/returns/{id}/decision")), "{html}");
    let res = p
        .commissioner_page
        .post_form(
            &format!("/returns/{id}/decision"),
            &[("decision", "returned")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("govuk-error-summary")
            && html.contains("Enter a comment saying what the provider needs to change")
    );
    let res = p
        .commissioner_page
        .post_form(
            &format!("/returns/{id}/decision"),
            &[("decision", "approved")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, list) = call(
        &w.app,
        "GET",
        &p.manager,
        &format!("/api/v1/programmes/{}/returns", w.mentoring),
        None,
    )
    .await;
    assert_eq!(list["count"], 1);
    assert_eq!(list["items"][0]["status"], "approved");
}

#[tokio::test]
async fn submitting_names_the_problem_with_the_quarter() {
    let w = world().await;
    let p = people(&w);
    let today = chrono::Utc::now().date_naive();
    let next = outcomes::domain::period::Quarter::containing(today + chrono::Days::new(100));
    let current = outcomes::domain::period::Quarter::containing(today);
    // The day after the current quarter's last day, written by hand from its code.
    let (year, q): (i32, u8) = {
        let code = current.to_string();
        (code[..4].parse().unwrap(), code[9..].parse().unwrap())
    };
    let opens = match q {
        1 => format!("1 July {year}"),
        2 => format!("1 October {year}"),
        3 => format!("1 January {}", year + 1),
        _ => format!("1 April {}", year + 1),
    };
    let (next, current) = (next.to_string(), current.to_string());
    let not_ended = format!("quarter has not ended; its return can be submitted from {opens}");
    for (quarter, expected) in [
        ("", "Enter the quarter, like 2025-26-Q3"),
        ("2025-26-Q5", "'2025-26-Q5' is not a quarter"),
        (next.as_str(), "quarter has not ended"),
        (current.as_str(), not_ended.as_str()),
        (
            "2023-24-Q4",
            "The programme did not run in January to March 2024 (Q4 2023-24)",
        ),
    ] {
        let (s, b) = submit(&w, &p.manager, quarter).await;
        assert_eq!(s, 422, "{quarter}: {b}");
        let m = messages(&b, "quarter");
        assert!(m.len() == 1 && m[0].contains(expected), "{quarter}: {b}");
    }
    let (s, _) = submit(&w, &p.manager, "2025-26-Q2").await;
    assert_eq!(s, 201);
    let (s, b) = submit(&w, &p.manager, "2025-26-Q2").await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        messages(&b, "quarter"),
        ["The July to September 2025 (Q2 2025-26) return is already submitted and waiting for a decision"]
    );
    let (_, list) = call(
        &w.app,
        "GET",
        &p.manager,
        &format!("/api/v1/programmes/{}/returns", w.mentoring),
        None,
    )
    .await;
    let id = list["items"][0]["id"].as_i64().unwrap();
    let (s, b) = act(
        &w,
        &p.admin,
        id,
        "unlock",
        json!({"reason": "Not approved yet"}),
    )
    .await;
    assert_eq!(s, 422, "{b}");
    assert!(
        messages(&b, "reason")[0].contains("Only an approved return can be unlocked"),
        "{b}"
    );
    let (s, _) = act(&w, &p.commissioner, id, "approve", json!({})).await;
    assert_eq!(s, 200);
    let (s, b) = submit(&w, &p.manager, "2025-26-Q2").await;
    assert_eq!(s, 422, "{b}");
    assert!(
        messages(&b, "quarter")[0].contains("already approved; an admin can unlock it"),
        "{b}"
    );
}

#[tokio::test]
async fn only_the_programmes_provider_manager_submits_and_other_providers_see_nothing() {
    let w = world().await;
    let p = people(&w);
    let other = w.app.provider("Provider B");
    let other_manager = w
        .app
        .bearer(&w.app.create_user(Role::ProviderManager, other));
    let returns = format!("/api/v1/programmes/{}/returns", w.mentoring);
    // Caseworkers and commissioners may not submit.
    let (s, _) = submit(&w, &w.token, "2025-26-Q1").await;
    assert_eq!(s, 403);
    let (s, _) = submit(&w, &p.commissioner, "2025-26-Q1").await;
    assert_eq!(s, 403);
    // Another provider's manager: the programme does not exist for them.
    let (s, b) = submit(&w, &other_manager, "2025-26-Q1").await;
    assert_eq!(s, 404, "{b}");
    let (s, _) = call(&w.app, "GET", &other_manager, &returns, None).await;
    assert_eq!(s, 404);
    let (s, r) = submit(&w, &p.manager, "2025-26-Q1").await;
    assert_eq!(s, 201);
    let id = r["id"].as_i64().unwrap();
    // Provider staff do not decide, not even on their own return.
    let (s, _) = act(&w, &p.manager, id, "approve", json!({})).await;
    assert_eq!(s, 403);
    // The caseworker sees their programme's returns; the other provider's pages 404.
    let (s, list) = call(&w.app, "GET", &w.token, &returns, None).await;
    assert_eq!((s, list["count"].as_i64()), (200, Some(1)));
    let other_page = w
        .app
        .session_for(&w.app.create_user(Role::ProviderManager, other));
    let res = other_page
        .get(&format!("/programmes/{}/returns", w.mentoring))
        .await;
    assert_eq!(res.status().as_u16(), 404);
    let res = other_page
        .post_form(
            &format!("/programmes/{}/returns/new", w.mentoring),
            &[("quarter", "2025-26-Q2")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 404);
}

#[tokio::test]
async fn the_dashboard_shows_each_programmes_return_for_the_latest_quarter_of_the_period() {
    let w = world().await;
    let p = people(&w);
    approve_q1(&w, &p).await;
    let html = p
        .commissioner_page
        .get("/dashboard?period=2025-04-01..2025-06-30")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-return=\"2025-26-Q1\""), "{html}");
    assert!(html.contains("govuk-tag--green\">Approved"), "{html}");
    assert!(
        html.contains("govuk-tag--grey\">Not submitted"),
        "the other programme: {html}"
    );
    let html = p
        .commissioner_page
        .get("/dashboard?period=2025-26")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-return=\"2025-26-Q4\""), "{html}");
    assert!(!html.contains("govuk-tag--green\">Approved"), "{html}");
}

/// Issue 15: a quarter can be submitted only once it has ended (the service's clock moved
/// with its test hook, never by waiting); the check-your-answers page lists the quarter's
/// figures and needs the declaration; the narrative reaches the commissioner; a submitted
/// return can be withdrawn and submitted again; the commissioner's home lists it.
#[tokio::test]
async fn a_quarter_is_submitted_after_it_ends_with_its_figures_narrative_and_declaration() {
    let clock = tempfile::NamedTempFile::new().unwrap();
    let path = clock.path().to_path_buf();
    std::fs::write(&path, "2025-12-31").unwrap();
    let app = crate::helpers::spawn_app_with(|s| s.clock_file = Some(path.clone())).await;
    let w = crate::casework::world_on(app).await;
    let p = people(&w);
    // A referral of the Mentoring programme in Q3 2025-26 (October to December 2025),
    // accepted, with one attended session: received 1, accepted 1, engaged 1.
    let post = |path: &'static str, body: Value| {
        let (app, token) = (&w.app, w.token.clone());
        async move { call(app, "POST", &token, path, Some(body)).await }
    };
    let (status, r) = post(
        "/api/v1/referrals",
        json!({"participant_id": w.participant, "programme_id": w.mentoring,
               "referred_on": "2025-10-06", "source": "police"}),
    )
    .await;
    assert_eq!(status, 201, "{r}");
    let referral = r["id"].as_i64().unwrap();
    let (status, r) = call(
        &w.app,
        "POST",
        &w.token,
        &format!("/api/v1/referrals/{referral}/decision"),
        Some(json!({"decision": "accepted", "decided_on": "2025-10-07"})),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    let (status, s) = post(
        "/api/v1/sessions",
        json!({"programme_id": w.mentoring, "date": "2025-10-20", "kind": "one_to_one"}),
    )
    .await;
    assert_eq!(status, 201, "{s}");
    let (status, b) = call(
        &w.app,
        "PUT",
        &w.token,
        &format!("/api/v1/sessions/{}/attendance", s["id"]),
        Some(json!({"attendance": [{"referral_id": referral, "status": "attended", "hours": 1}]})),
    )
    .await;
    assert!(status < 300, "{b}");

    // On 31 December 2025 the quarter is still running: 422 naming the first day it can be.
    let (status, b) = submit(&w, &p.manager, "2025-26-Q3").await;
    assert_eq!(status, 422, "{b}");
    assert_eq!(
        messages(&b, "quarter"),
        ["The October to December 2025 (Q3 2025-26) quarter has not ended; its return can be submitted from 1 January 2026"]
    );
    let returns = format!("/programmes/{}/returns", w.mentoring);
    let html = p.manager_page.get(&returns).await.text().await.unwrap();
    assert!(
        html.contains("October to December 2025 (Q3 2025-26)"),
        "{html}"
    );
    assert!(
        html.contains("Can be submitted from 1 January 2026"),
        "{html}"
    );
    let check = format!("{returns}/new?quarter=2025-26-Q3");
    let html = p.manager_page.get(&check).await.text().await.unwrap();
    assert!(html.contains("id=\"refused\""), "{html}");
    assert!(!html.contains("Accept and submit"), "{html}");

    // On 1 January 2026 it has ended: the check page shows its figures.
    std::fs::write(&path, "2026-01-01").unwrap();
    let html = p.manager_page.get(&check).await.text().await.unwrap();
    assert!(
        html.contains("Check the return for October to December 2025 (Q3 2025-26)"),
        "{html}"
    );
    let figure = |html: &str, label: &str| -> String {
        let at = html
            .find(&format!(">{label}</dt>"))
            .unwrap_or_else(|| panic!("{label}: {html}"));
        let rest = &html[at..];
        let start = rest.find("summary-list__value\">").unwrap() + "summary-list__value\">".len();
        rest[start..start + rest[start..].find('<').unwrap()].to_string()
    };
    assert_eq!(figure(&html, "Referrals received"), "1");
    assert_eq!(
        figure(&html, "Referrals engaged (attended at least once)"),
        "1"
    );
    assert_eq!(figure(&html, "Sessions delivered"), "1");
    assert_eq!(figure(&html, "Attendance rate"), "100.0%");
    // Mentoring: no reparation hours asked of it.
    assert!(!html.contains("Reparation hours required"), "{html}");
    // Without the declaration: 422, nothing submitted.
    let narrative = "Referrals picked up after half term.";
    let res = p
        .manager_page
        .post_form(
            &format!("{returns}/new"),
            &[("quarter", "2025-26-Q3"), ("narrative", narrative)],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("Confirm that the figures"), "{html}");
    assert!(
        html.contains(narrative),
        "the narrative typed is kept: {html}"
    );
    let (_, list) = call(
        &w.app,
        "GET",
        &p.manager,
        &format!("/api/v1/programmes/{}/returns", w.mentoring),
        None,
    )
    .await;
    assert_eq!(list["count"], 0, "{list}");
    let res = p
        .manager_page
        .post_form(
            &format!("{returns}/new"),
            &[
                ("quarter", "2025-26-Q3"),
                ("narrative", narrative),
                ("declaration", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, list) = call(
        &w.app,
        "GET",
        &p.manager,
        &format!("/api/v1/programmes/{}/returns", w.mentoring),
        None,
    )
    .await;
    let r = &list["items"][0];
    assert_eq!(
        (r["status"].as_str(), r["narrative"].as_str()),
        (Some("submitted"), Some(narrative)),
        "{list}"
    );
    assert_eq!(r["quarter_name"], "October to December 2025 (Q3 2025-26)");
    let id = r["id"].as_i64().unwrap();

    // The commissioner's home lists it; the decision page shows the narrative.
    let home = p.commissioner_page.get("/").await.text().await.unwrap();
    assert!(home.contains(&format!("/returns/{id}/decision")), "{home}");
    assert!(
        home.contains("October to December 2025 (Q3 2025-26)"),
        "{home}"
    );
    let decide = p
        .commissioner_page
        .get(&format!("/returns/{id}/decision"))
        .await
        .text()
        .await
        .unwrap();
    assert!(decide.contains(narrative), "{decide}");

    // Withdrawn before a decision: not on the commissioner's home, submitted again later.
    let (status, b) = act(&w, &p.commissioner, id, "withdraw", json!({})).await;
    assert_eq!(status, 403, "only the provider withdraws: {b}");
    let (status, b) = act(&w, &p.manager, id, "withdraw", json!({})).await;
    assert_eq!(
        (status, b["status"].as_str()),
        (200, Some("withdrawn")),
        "{b}"
    );
    let (status, b) = act(&w, &p.manager, id, "withdraw", json!({})).await;
    assert_eq!(status, 422, "{b}");
    let home = p.commissioner_page.get("/").await.text().await.unwrap();
    assert!(!home.contains(&format!("/returns/{id}/decision")), "{home}");
    assert!(
        home.contains("No returns are waiting for a decision"),
        "{home}"
    );
    let (status, b) = submit(&w, &p.manager, "2025-26-Q3").await;
    assert_eq!(
        (status, b["status"].as_str()),
        (200, Some("submitted")),
        "{b}"
    );
    let events: Vec<String> = w
        .app
        .column("action", "audit_events")
        .into_iter()
        .zip(w.app.column("entity", "audit_events"))
        .filter(|(_, e)| e == "quarterly_return")
        .map(|(a, _)| a)
        .collect();
    assert_eq!(events, ["submit", "withdraw", "submit"], "{events:?}");
}
