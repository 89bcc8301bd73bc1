//! Correcting the record on the pages (issue 14): pre-filled change pages with a reason,
//! the same rules as the API in the error summary, reopening a referral, voiding and
//! restoring, the History section, a locked quarter, and another provider's caseworker.

use serde_json::{json, Value};

use crate::casework::{accepted_referral, call, get, session, world, World};
use crate::helpers::TestSession;
use outcomes::domain::enums::Role;

/// The page text with handlebars' HTML escapes undone, for comparing messages.
fn text(html: &str) -> String {
    html.replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&#x3D;", "=")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

fn caseworker(w: &World) -> TestSession {
    let user = w.app.create_user(Role::Caseworker, w.provider);
    w.app.session_for(&user)
}

async fn submit(s: &TestSession, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
    let res = s.post_form(path, fields).await;
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, location, text(&res.text().await.unwrap()))
}

async fn page(s: &TestSession, path: &str) -> (u16, String) {
    let res = s.get(path).await;
    let status = res.status().as_u16();
    (status, text(&res.text().await.unwrap()))
}

/// The History section of a record page: the text after its heading.
fn history_of(page: &str) -> &str {
    let at = page
        .find("id=\"history\"")
        .expect("the page has a History section");
    &page[at..]
}

fn shows_error(page: &str, field: &str, message: &str) {
    assert!(
        page.contains("govuk-error-summary"),
        "no error summary:\n{page}"
    );
    assert!(
        page.contains(&format!("href=\"#{field}\"")),
        "no link to #{field}:\n{page}"
    );
    assert!(
        page.contains(message),
        "'{message}' is not on the page:\n{page}"
    );
    assert!(
        page.contains("<title>Error: "),
        "the title starts with Error:"
    );
}

async fn last_history(w: &World, path: &str) -> Value {
    let (status, h) = get(w, &format!("{path}/history")).await;
    assert_eq!(status, 200, "{h}");
    h["entries"].as_array().unwrap().last().unwrap().clone()
}

#[tokio::test]
async fn a_caseworker_corrects_a_date_of_birth_a_referral_date_a_session_date_and_a_register_mark_on_the_pages(
) {
    let w = world().await;
    let s = caseworker(&w);
    let p = w.participant;

    // The participant page links each field to its question page, pre-filled.
    let (status, body) = page(&s, &format!("/participants/{p}")).await;
    assert_eq!(status, 200);
    assert!(
        body.contains(&format!(
            "href=\"/participants/{p}/change?field=date_of_birth\""
        )),
        "{body}"
    );
    let (status, body) = page(&s, &format!("/participants/{p}/change?field=date_of_birth")).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("id=\"date_of_birth-day\" name=\"date_of_birth-day\" type=\"text\" inputmode=\"numeric\" value=\"1\"")
            && body.contains("name=\"date_of_birth-month\" type=\"text\" value=\"5\"")
            && body.contains("name=\"date_of_birth-year\" type=\"text\" inputmode=\"numeric\" value=\"2009\""),
        "pre-filled, day, month and year: {body}"
    );
    assert!(!body.contains("name=\"gender\""), "one question: {body}");

    // Without a reason, and with a date that does not exist: nothing is written.
    let path = format!("/participants/{p}/change?field=date_of_birth");
    let (status, _, body) = submit(
        &s,
        &path,
        &[
            ("date_of_birth-day", "1"),
            ("date_of_birth-month", "June"),
            ("date_of_birth-year", "2009"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    shows_error(&body, "reason", "Enter the reason for the correction");
    assert!(
        body.contains("name=\"date_of_birth-month\" type=\"text\" value=\"June\""),
        "what was typed is kept: {body}"
    );
    let (status, _, body) = submit(
        &s,
        &path,
        &[
            ("date_of_birth-day", "1"),
            ("date_of_birth-month", "13"),
            ("date_of_birth-year", "2009"),
            ("reason", "typed the wrong month"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("href=\"#date_of_birth-month\""), "{body}");
    assert!(body.contains("Date of birth must be a real date"), "{body}");
    let (_, api) = get(&w, &format!("/api/v1/participants/{p}")).await;
    assert_eq!(api["date_of_birth"], "2009-05-01", "nothing was written");

    let (status, location, _) = submit(
        &s,
        &path,
        &[
            ("date_of_birth-day", "1"),
            ("date_of_birth-month", "6"),
            ("date_of_birth-year", "2009"),
            ("reason", "typed the wrong month"),
        ],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, format!("/participants/{p}").as_str())
    );
    let (_, body) = page(&s, &format!("/participants/{p}")).await;
    assert!(
        body.contains("govuk-notification-banner--success")
            && body.contains("Date of birth changed"),
        "{body}"
    );
    assert!(body.contains("1 June 2009"), "{body}");
    let history = history_of(&body);
    assert!(
        history.contains("Date of birth: changed"),
        "a personal field shows no values: {history}"
    );
    assert!(!history.contains("2009-05-01"), "{history}");
    assert!(
        history.contains("typed the wrong month") && history.contains(">Page<"),
        "{history}"
    );
    let (_, api) = get(&w, &format!("/api/v1/participants/{p}")).await;
    assert_eq!(api["date_of_birth"], "2009-06-01");
    assert_eq!(api["gender"], "female", "a field not asked is kept");
    let entry = last_history(&w, &format!("/api/v1/participants/{p}")).await;
    assert_eq!(
        (&entry["via"], &entry["reason"]),
        (&json!("page"), &json!("typed the wrong month"))
    );

    // A referral date (referred 2025-05-01, accepted 2025-05-02): the rule that a
    // decision is not before the referral holds on the page as through the API.
    let r = accepted_referral(&w, w.mentoring, None).await;
    let path = format!("/referrals/{r}/change?field=referred_on");
    let (status, body) = page(&s, &path).await;
    assert_eq!(status, 200);
    assert!(
        body.contains(
            "name=\"referred_on-year\" type=\"text\" inputmode=\"numeric\" value=\"2025\""
        ),
        "{body}"
    );
    let (status, _, body) = submit(
        &s,
        &path,
        &[
            ("referred_on-day", "3"),
            ("referred_on-month", "5"),
            ("referred_on-year", "2025"),
            ("reason", "date from the police form"),
        ],
    )
    .await;
    assert_eq!(
        status, 422,
        "the decision would be before the referral: {body}"
    );
    assert!(body.contains("govuk-error-summary"), "{body}");
    let (status, location, _) = submit(
        &s,
        &path,
        &[
            ("referred_on-day", "20"),
            ("referred_on-month", "Apr"),
            ("referred_on-year", "2025"),
            ("reason", "date from the police form"),
        ],
    )
    .await;
    assert_eq!((status, location), (303, format!("/referrals/{r}")));
    let (_, body) = page(&s, &format!("/referrals/{r}")).await;
    assert!(body.contains("Date of the referral changed"), "{body}");
    let history = history_of(&body);
    assert!(
        history.contains("Referred on: 2025-05-01 → 2025-04-20")
            && history.contains("date from the police form"),
        "{history}"
    );

    // A session date.
    let sid = session(&w, w.mentoring).await;
    let path = format!("/sessions/{sid}/change?field=date");
    let (status, body) = page(&s, &path).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("name=\"date-month\" type=\"text\" value=\"6\""),
        "{body}"
    );
    let (status, location, _) = submit(
        &s,
        &path,
        &[
            ("date-day", "2"),
            ("date-month", "6"),
            ("date-year", "2025"),
            ("reason", "wrong day"),
        ],
    )
    .await;
    assert_eq!((status, location), (303, format!("/sessions/{sid}")));
    let (_, api) = get(&w, &format!("/api/v1/sessions/{sid}")).await;
    assert_eq!(api["date"], "2025-06-02");

    // A register mark: recorded, then corrected with a reason.
    let (status_field, hours_field) = (format!("status_{r}"), format!("hours_{r}"));
    let register = format!("/sessions/{sid}/register");
    let (status, _, _) = submit(
        &s,
        &register,
        &[(&status_field, "attended"), (&hours_field, "1")],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _, _) = submit(
        &s,
        &register,
        &[
            (&status_field, "did_not_attend"),
            (&hours_field, ""),
            ("reason", "marked the wrong person"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (_, body) = page(&s, &format!("/sessions/{sid}")).await;
    let history = history_of(&body);
    assert!(
        history.contains("Date: 2025-06-01 → 2025-06-02") && history.contains("wrong day"),
        "{history}"
    );
    assert!(
        history.contains(&format!(
            "Attendance R-{r}: attended, 1 hour → did not attend"
        )) && history.contains("marked the wrong person"),
        "{history}"
    );
    let (_, api) = get(&w, &format!("/api/v1/sessions/{sid}")).await;
    assert_eq!(api["register"][0]["status"], "did_not_attend");
}

#[tokio::test]
async fn a_withdrawn_referral_is_reopened_on_its_page_and_closed_as_completed() {
    let w = world().await;
    let s = caseworker(&w);
    let r = accepted_referral(&w, w.mentoring, None).await;
    let (status, _, _) = submit(
        &s,
        &format!("/referrals/{r}/closure"),
        &[
            ("closure", "withdrawn"),
            ("closed_on-day", "1"),
            ("closed_on-month", "6"),
            ("closed_on-year", "2025"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (_, body) = page(&s, &format!("/referrals/{r}")).await;
    assert!(
        body.contains(&format!("href=\"/referrals/{r}/reopen\"")),
        "{body}"
    );

    let (status, body) = page(&s, &format!("/referrals/{r}/reopen")).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("It was closed as withdrawn on 1 June 2025"),
        "{body}"
    );
    let (status, _, body) = submit(&s, &format!("/referrals/{r}/reopen"), &[]).await;
    assert_eq!(status, 422);
    shows_error(&body, "reason", "Enter the reason for the correction");
    let (_, api) = get(&w, &format!("/api/v1/referrals/{r}")).await;
    assert_eq!(api["closure"], "withdrawn", "nothing was written");

    let (status, location, _) = submit(
        &s,
        &format!("/referrals/{r}/reopen"),
        &[("reason", "closed the wrong referral")],
    )
    .await;
    assert_eq!((status, location), (303, format!("/referrals/{r}")));
    let (_, body) = page(&s, &format!("/referrals/{r}")).await;
    assert!(
        body.contains("Referral reopened") && body.contains(">Open</strong>"),
        "{body}"
    );
    let (status, _, _) = submit(
        &s,
        &format!("/referrals/{r}/closure"),
        &[
            ("closure", "completed"),
            ("closed_on-day", "1"),
            ("closed_on-month", "7"),
            ("closed_on-year", "2025"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (_, body) = page(&s, &format!("/referrals/{r}")).await;
    assert!(body.contains(">Completed</strong>"), "{body}");
    let history = history_of(&body);
    assert!(
        history.contains("Closure: withdrawn → open")
            && history.contains("Closed on: 2025-06-01 → none")
            && history.contains("closed the wrong referral"),
        "{history}"
    );

    // Changing the decision: the corrected lifecycle must be valid as a whole (a closed
    // referral cannot become declined), the message in the error summary.
    let (status, body) = page(&s, &format!("/referrals/{r}/change-decision")).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("name=\"decided_on-day\" type=\"text\" inputmode=\"numeric\" value=\"2\""),
        "{body}"
    );
    let (status, _, body) = submit(
        &s,
        &format!("/referrals/{r}/change-decision"),
        &[
            ("decision", "declined"),
            ("decided_on-day", "2"),
            ("decided_on-month", "5"),
            ("decided_on-year", "2025"),
            ("reason", "try"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("govuk-error-summary"), "{body}");
    let (_, api) = get(&w, &format!("/api/v1/referrals/{r}")).await;
    assert_eq!(api["decision"], "accepted");
}

#[tokio::test]
async fn a_participant_is_voided_with_its_referral_on_the_pages_and_restored_from_its_history() {
    let w = world().await;
    let s = caseworker(&w);
    let r = accepted_referral(&w, w.mentoring, None).await;
    let p = w.participant;
    let (status, body) = page(&s, &format!("/participants/{p}/void")).await;
    assert_eq!(status, 200);
    assert!(
        body.contains(&format!("R-{r}")) && body.contains("name=\"confirm\""),
        "{body}"
    );

    let (status, _, body) = submit(
        &s,
        &format!("/participants/{p}/void"),
        &[("reason", "registered by mistake")],
    )
    .await;
    assert_eq!(status, 422);
    shows_error(&body, "confirm", "Confirm to void them too");
    let (status, _) = get(&w, &format!("/api/v1/referrals/{r}")).await;
    assert_eq!(status, 200, "nothing was voided");

    let (status, location, _) = submit(
        &s,
        &format!("/participants/{p}/void"),
        &[("reason", "registered by mistake"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(
        (status, location),
        (303, format!("/participants/{p}/history"))
    );
    assert_eq!(page(&s, &format!("/participants/{p}")).await.0, 404);
    assert_eq!(page(&s, &format!("/referrals/{r}")).await.0, 404);
    let (status, body) = page(&s, &format!("/participants/{p}/history")).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("Participant voided with 1 other record")
            && body.contains("registered by mistake")
            && body.contains(&format!("href=\"/participants/{p}/restore\"")),
        "{body}"
    );

    let (status, _, body) = submit(&s, &format!("/participants/{p}/restore"), &[]).await;
    assert_eq!(status, 422);
    shows_error(&body, "reason", "Enter the reason for the correction");
    let (status, location, _) = submit(
        &s,
        &format!("/participants/{p}/restore"),
        &[("reason", "it was a real registration")],
    )
    .await;
    assert_eq!((status, location), (303, format!("/participants/{p}")));
    let (status, body) = page(&s, &format!("/participants/{p}")).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("Participant restored with 1 other record"),
        "{body}"
    );
    let history = history_of(&body);
    assert!(
        history.contains("Voided")
            && history.contains("Restored")
            && history.contains("it was a real registration"),
        "{history}"
    );
    assert_eq!(page(&s, &format!("/referrals/{r}")).await.0, 200);
}

#[tokio::test]
async fn a_change_on_a_page_to_a_record_in_an_approved_quarter_shows_the_refusal() {
    let w = world().await;
    let s = caseworker(&w);
    let sid = session(&w, w.mentoring).await; // 2025-06-01: 2025-26-Q1
    let manager = w.app.create_user(Role::ProviderManager, w.provider);
    let ret = w.app.add_return(w.mentoring, "2025-26-Q1", manager.id);
    let (status, body) = call(
        &w.app,
        "POST",
        &w.admin_token,
        &format!("/api/v1/returns/{ret}/approve"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = submit(
        &s,
        &format!("/sessions/{sid}/change?field=venue"),
        &[("venue", "Town hall"), ("reason", "the venue moved")],
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("govuk-error-summary"), "{body}");
    assert!(
        body.contains(
            "The date 2025-06-01 is in April to June 2025 (Q1 2025-26), whose quarterly return is approved, so records dated in it are locked; an admin can unlock the return"
        ),
        "{body}"
    );
    let (_, api) = get(&w, &format!("/api/v1/sessions/{sid}")).await;
    assert_eq!(api["venue"], Value::Null, "nothing was written");
}

#[tokio::test]
async fn another_providers_caseworker_gets_404_on_the_correction_pages_and_changes_nothing() {
    let w = world().await;
    let r = accepted_referral(&w, w.mentoring, None).await;
    let sid = session(&w, w.mentoring).await;
    let p = w.participant;
    let b = w.app.provider("Provider B");
    let other = w.app.session_for(&w.app.create_user(Role::Caseworker, b));
    for path in [
        format!("/participants/{p}/change?field=date_of_birth"),
        format!("/participants/{p}/void"),
        format!("/participants/{p}/restore"),
        format!("/participants/{p}/history"),
        format!("/referrals/{r}/change?field=referred_on"),
        format!("/referrals/{r}/reopen"),
        format!("/referrals/{r}/change-decision"),
        format!("/sessions/{sid}/change?field=date"),
        format!("/sessions/{sid}/history"),
    ] {
        assert_eq!(other.get(&path).await.status().as_u16(), 404, "{path}");
    }
    for (path, fields) in [
        (
            format!("/participants/{p}/change?field=date_of_birth"),
            vec![
                ("date_of_birth-day", "1"),
                ("date_of_birth-month", "1"),
                ("date_of_birth-year", "2001"),
                ("reason", "x"),
            ],
        ),
        (
            format!("/participants/{p}/void"),
            vec![("reason", "x"), ("confirm", "yes")],
        ),
        (
            format!("/referrals/{r}/change?field=referred_on"),
            vec![
                ("referred_on-day", "1"),
                ("referred_on-month", "4"),
                ("referred_on-year", "2025"),
                ("reason", "x"),
            ],
        ),
        (
            format!("/sessions/{sid}/change?field=date"),
            vec![
                ("date-day", "5"),
                ("date-month", "5"),
                ("date-year", "2025"),
                ("reason", "x"),
            ],
        ),
    ] {
        let (status, _, _) = submit(&other, &path, &fields).await;
        assert_eq!(status, 404, "{path}");
    }
    let (_, api) = get(&w, &format!("/api/v1/participants/{p}")).await;
    assert_eq!(api["date_of_birth"], "2009-05-01");
    let (_, api) = get(&w, &format!("/api/v1/referrals/{r}")).await;
    assert_eq!(api["referred_on"], "2025-05-01");
    let (_, api) = get(&w, &format!("/api/v1/sessions/{sid}")).await;
    assert_eq!(api["date"], "2025-06-01");
}
