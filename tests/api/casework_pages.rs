//! Casework on the pages: the same rules as the API, shown in the GOV.UK error summary;
//! a whole register in one submit; uploads; the duplicate warning; other providers.

use serde_json::json;

use crate::casework::{accepted_referral, call, future_date, post, session, world, World};
use crate::helpers::{dump_database, TestSession};
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

/// Posts a form and returns the status and the page's text.
async fn submit(s: &TestSession, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let res = s.post_form(path, fields).await;
    let status = res.status().as_u16();
    (status, text(&res.text().await.unwrap()))
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

#[tokio::test]
async fn casework_pages_show_every_validation_rule_in_the_error_summary() {
    let w = world().await;
    let s = caseworker(&w);
    let (status, page) = submit(
        &s,
        "/participants/new",
        &[("reference", "P9"), ("gender", "unknown")],
    )
    .await;
    assert_eq!(status, 422);
    shows_error(&page, "gender", "'unknown' is not a valid gender");
    assert!(page.contains("value=\"P9\""), "what was typed is kept");

    let (participant, ij) = (w.participant.to_string(), w.ij.to_string());
    let (status, page) = submit(
        &s,
        "/referrals/new",
        &[
            ("participant_id", &participant),
            ("programme_id", &ij),
            ("referred_on-day", "1"),
            ("referred_on-month", "5"),
            ("referred_on-year", "2025"),
            ("source", "police"),
            ("required_hours", "25"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    shows_error(
        &page,
        "required_hours",
        "from 5 to 20 for Immediate Justice",
    );

    let (_, r) = post(
        &w,
        "/api/v1/referrals",
        json!({"participant_id": w.participant,
        "programme_id": w.mentoring, "referred_on": "2025-05-01", "source": "school"}),
    )
    .await;
    let pending = r["id"].as_i64().unwrap();
    let (status, page) = submit(
        &s,
        &format!("/referrals/{pending}/closure"),
        &[
            ("closure", "completed"),
            ("closed_on-day", "1"),
            ("closed_on-month", "6"),
            ("closed_on-year", "2025"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    shows_error(
        &page,
        "closure",
        "A referral can only be closed after it has been accepted (it is pending)",
    );
    let (status, page) = submit(
        &s,
        &format!("/referrals/{pending}/decision"),
        &[
            ("decision", "accepted"),
            ("decided_on-day", "30"),
            ("decided_on-month", "4"),
            ("decided_on-year", "2025"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    shows_error(
        &page,
        "decided_on-day",
        "The date 2025-04-30 is before the referral date 2025-05-01",
    );

    let accepted = accepted_referral(&w, w.mentoring, None).await;
    let future: Vec<String> = future_date().split('-').map(String::from).collect();
    let (status, page) = submit(
        &s,
        &format!("/referrals/{accepted}/closure"),
        &[
            ("closure", "withdrawn"),
            ("closed_on-day", &future[2]),
            ("closed_on-month", &future[1]),
            ("closed_on-year", &future[0]),
        ],
    )
    .await;
    assert_eq!(status, 422);
    shows_error(&page, "closed_on-day", "is in the future");

    let ij_session = session(&w, w.ij).await;
    let (status, page) = submit(
        &s,
        &format!("/sessions/{ij_session}/register"),
        &[
            (&format!("status_{accepted}"), "attended"),
            (&format!("hours_{accepted}"), "2"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("govuk-error-summary"), "{page}");
    assert!(page.contains(&format!("Referral R-{accepted} is to the programme 'Mentoring', not this session's programme 'Immediate Justice'")), "{page}");

    let value = format!("value_{}", w.measure);
    let (status, page) = submit(
        &s,
        &format!("/referrals/{accepted}/outcomes"),
        &[
            ("timepoint", "baseline"),
            ("recorded_on-day", "3"),
            ("recorded_on-month", "5"),
            ("recorded_on-year", "2025"),
            (&value, "7"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    shows_error(
        &page,
        &value,
        "Enter a value from 1 to 5 (the range of 'Feels safe')",
    );

    // A valid decision: POST/redirect/GET with a success banner.
    let (status, _) = submit(
        &s,
        &format!("/referrals/{pending}/decision"),
        &[
            ("decision", "declined"),
            ("decided_on-day", "5"),
            ("decided_on-month", "May"),
            ("decided_on-year", "2025"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let page = text(
        &s.get(&format!("/referrals/{pending}"))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(
        page.contains("govuk-notification-banner--success") && page.contains("Decision recorded"),
        "{page}"
    );
    assert!(page.contains("Declined"));
}

#[tokio::test]
async fn casework_a_register_of_30_and_a_headcount_is_recorded_in_one_page_submit() {
    let w = world().await;
    let s = caseworker(&w);
    let mut referrals = Vec::new();
    for i in 0..30 {
        let (_, p) = post(
            &w,
            "/api/v1/participants",
            json!({"reference": format!("Q{i}")}),
        )
        .await;
        let (_, r) = post(
            &w,
            "/api/v1/referrals",
            json!({"participant_id": p["id"],
            "programme_id": w.mentoring, "referred_on": "2025-05-01", "source": "school"}),
        )
        .await;
        let id = r["id"].as_i64().unwrap();
        post(
            &w,
            &format!("/api/v1/referrals/{id}/decision"),
            json!({"decision": "accepted", "decided_on": "2025-05-01"}),
        )
        .await;
        referrals.push(id);
    }
    // The session is recorded on its page too.
    let (status, _) = submit(
        &s,
        &format!("/programmes/{}/sessions/new", w.mentoring),
        &[
            ("date-day", "1"),
            ("date-month", "6"),
            ("date-year", "2025"),
            ("kind", "group"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (_, list) = call(&w.app, "GET", &w.token, "/api/v1/sessions", None).await;
    let sid = list["items"][0]["id"].as_i64().unwrap();
    let page = s
        .get(&format!("/sessions/{sid}"))
        .await
        .text()
        .await
        .unwrap();
    for id in &referrals {
        assert!(
            page.contains(&format!("name=\"status_{id}\"")),
            "referral {id} is on the register"
        );
    }
    let mut fields: Vec<(String, String)> = Vec::new();
    for (i, id) in referrals.iter().enumerate() {
        let status = ["attended", "did_not_attend", "cancelled"][i % 3];
        fields.push((format!("status_{id}"), status.into()));
        fields.push((
            format!("hours_{id}"),
            if i % 3 == 0 {
                "2".into()
            } else {
                String::new()
            },
        ));
    }
    fields.push(("headcount".into(), "14".into()));
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, _) = submit(&s, &format!("/sessions/{sid}/register"), &borrowed).await;
    assert_eq!(status, 303);
    let page = text(
        &s.get(&format!("/sessions/{sid}"))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(
        page.contains("Register saved: 30 on the register (10 attended), 14 unnamed attendees"),
        "{page}"
    );
    for (i, id) in referrals.iter().enumerate() {
        let page = text(
            &s.get(&format!("/referrals/{id}"))
                .await
                .text()
                .await
                .unwrap(),
        );
        let want = ["Attended", "Did not attend", "Cancelled"][i % 3];
        assert!(
            page.contains(&format!("S-{sid}")) && page.contains(want),
            "referral {id}: {page}"
        );
        if i % 3 == 0 {
            assert!(page.contains("Hours delivered"));
        }
    }
}

const BAD_REFERRALS: &str = "\
referral_ref,participant_ref,programme,referred_on,source
R1,P1,Mentoring,2025-05-01,police
R2,P1,Mentoring,2025-05-02,police
R3,P1,Mentoring,2025-05-03,police
R4,P1,Mentoring,2025-13-01,police
";

/// Uploads on the page and confirms the preview (when there is something to confirm).
async fn upload_page(s: &TestSession, _address: &str, kind: &str, csv: &str) -> (u16, String) {
    let form = s.upload_form().text("kind", kind.to_string()).part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
            .file_name("referrals.csv")
            .mime_str("text/csv")
            .unwrap(),
    );
    let (status, page, _) = s.upload_and_confirm(form).await;
    (status, text(&page))
}

#[tokio::test]
async fn casework_upload_page_with_a_bad_5th_line_imports_nothing_then_the_fixed_file_imports_once()
{
    let w = world().await;
    let s = caseworker(&w);
    let (status, page) = upload_page(&s, &w.app.address, "referrals", BAD_REFERRALS).await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("line 5, column referred_on: '2025-13-01'"),
        "{page}"
    );
    let (_, l) = call(&w.app, "GET", &w.token, "/api/v1/referrals", None).await;
    assert_eq!(l["count"], 0);
    let fixed = BAD_REFERRALS.replace("2025-13-01", "2025-05-04");
    let (status, _) = upload_page(&s, &w.app.address, "referrals", &fixed).await;
    assert_eq!(status, 303);
    let page = text(&s.get("/uploads").await.text().await.unwrap());
    assert!(
        page.contains("referrals.csv imported: 4 added, 0 updated, 0 unchanged"),
        "{page}"
    );
    // The same file again: the preview says it changes nothing, and offers no import.
    let (status, page) = upload_page(&s, &w.app.address, "referrals", &fixed).await;
    assert_eq!(status, 200);
    assert!(page.contains("This file changes nothing"), "{page}");
    assert!(!page.contains("Confirm and import"), "{page}");
    let (_, l) = call(&w.app, "GET", &w.token, "/api/v1/referrals", None).await;
    assert_eq!(l["count"], 4);
    // Without the token in the form, a multipart upload is refused.
    let res = s
        .client
        .post(format!("{}/uploads", w.app.address))
        .multipart(reqwest::multipart::Form::new().text("kind", "referrals"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    // The download is the import format, neutralised against formulas.
    post(
        &w,
        "/api/v1/participants",
        json!({"reference": "=HYPERLINK(1)"}),
    )
    .await;
    let csv = s.get("/exports/participants").await.text().await.unwrap();
    assert!(csv.contains("'=HYPERLINK(1)"), "{csv}");
}

#[tokio::test]
async fn casework_registering_on_the_page_keeps_no_clear_police_identifier_and_warns_of_duplicates()
{
    let logs = crate::helpers::capture_logs();
    let w = world().await;
    let s = caseworker(&w);
    let (status, _) = submit(
        &s,
        "/participants/new",
        &[
            ("reference", "W1"),
            ("police_id", "PAGEID 901"),
            ("gender", "male"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (status, page) = submit(
        &s,
        "/participants/new",
        &[
            ("reference", "W2"),
            ("police_id", "pageid901"),
            ("gender", "male"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("already registered") && page.contains("Use the existing record W1"),
        "{page}"
    );
    assert!(
        !page.to_uppercase().contains("PAGEID"),
        "the identifier is not shown again"
    );
    let (status, _) = submit(
        &s,
        "/participants/new",
        &[
            ("reference", "W2"),
            ("police_id", "pageid901"),
            ("gender", "male"),
            ("allow_duplicate", "yes"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (status, page) = submit(
        &s,
        "/participants/new",
        &[("reference", "W3"), ("police_id", "PAGE!ID902")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(!page.to_uppercase().contains("PAGE!ID902"));
    let dump = dump_database(&mut w.app.db()).to_uppercase();
    let captured = logs.text().to_uppercase();
    for clear in ["PAGEID901", "PAGEID 901", "PAGE!ID902"] {
        assert!(!dump.contains(clear), "{clear} is in the database");
        assert!(!captured.contains(clear), "{clear} is in the logs");
    }
    let page = text(
        &s.get("/participants?reference=W2")
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(
        page.contains(">1 participant<") && page.contains(">W2<"),
        "{page}"
    );
}

#[tokio::test]
async fn casework_pages_of_another_provider_are_not_found_and_its_records_are_not_listed() {
    let w = world().await;
    let referral = accepted_referral(&w, w.mentoring, None).await;
    let sid = session(&w, w.mentoring).await;
    let b = w.app.provider("Provider B");
    let other = w.app.session_for(&w.app.create_user(Role::Caseworker, b));
    for path in [
        format!("/referrals/{referral}"),
        format!("/sessions/{sid}"),
        format!("/participants/{}", w.participant),
        format!("/programmes/{}", w.mentoring),
        format!("/referrals/{referral}/closure"),
    ] {
        assert_eq!(other.get(&path).await.status().as_u16(), 404, "{path}");
    }
    let (status, _) = submit(
        &other,
        &format!("/sessions/{sid}/register"),
        &[(&format!("status_{referral}"), "attended")],
    )
    .await;
    assert_eq!(status, 404);
    for path in [
        "/",
        "/participants",
        "/programmes",
        "/uploads",
        "/referrals/new",
    ] {
        let page = other.get(path).await.text().await.unwrap();
        assert!(
            !page.contains(&format!(">R-{referral}<"))
                && !page.contains(">P1<")
                && !page.contains(">Immediate Justice<"),
            "{path}: {page}"
        );
    }
    let page = text(&other.get("/participants").await.text().await.unwrap());
    assert!(page.contains("No participants yet"), "{page}");
    // A's own home shows its programmes and open referrals.
    let own = caseworker(&w);
    let home = own.get("/").await.text().await.unwrap();
    assert!(
        home.contains("Your casework")
            && home.contains(&format!("R-{referral}"))
            && home.contains("Immediate Justice"),
        "{home}"
    );
}
