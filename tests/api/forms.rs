//! Issue 15's forms: dates typed as day, month and year (GOV.UK date input), the police
//! identifier asked again after an error, outcome frameworks (a programme's measures, all
//! recorded in one submit; others refused), and group surveys over a measure's whole
//! range, listed on the session page with a warning above the headcount.

use serde_json::json;

use crate::casework::{accepted_referral, call, get, post, session, world, World};
use crate::helpers::TestSession;
use outcomes::domain::enums::Role;

/// The page text with handlebars' HTML escapes undone.
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
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location, text(&res.text().await.unwrap()))
}

async fn page(s: &TestSession, path: &str) -> String {
    let res = s.get(path).await;
    assert_eq!(res.status().as_u16(), 200, "GET {path}");
    text(&res.text().await.unwrap())
}

/// The `<input …>` tag of the field `name` on a page.
fn input_tag<'a>(page: &'a str, name: &str) -> &'a str {
    let at = page
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no field {name}:\n{page}"));
    let start = page[..at].rfind("<input").unwrap();
    let end = at + page[at..].find('>').unwrap();
    &page[start..=end]
}

async fn participant_dob(w: &World, reference: &str) -> serde_json::Value {
    let (_, list) = get(w, "/api/v1/participants?limit=1000").await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["reference"] == reference)
        .unwrap_or_else(|| panic!("{reference} is registered: {list}"))["date_of_birth"]
        .clone()
}

#[tokio::test]
async fn forms_a_date_of_birth_is_typed_as_day_month_and_year_with_govuk_errors() {
    let w = world().await;
    let s = caseworker(&w);

    // The empty form: three boxes in a fieldset, and a plausible example (14 years ago).
    let form = page(&s, "/participants/new").await;
    for part in ["day", "month", "year"] {
        assert!(
            form.contains(&format!("name=\"date_of_birth-{part}\"")),
            "the {part} box:\n{form}"
        );
    }
    assert!(form.contains("govuk-date-input"), "{form}");
    let example_year = chrono::Datelike::year(&chrono::Utc::now().date_naive()) - 14;
    assert!(
        form.contains(&format!(" {example_year}</div>")),
        "the hint's example is 14 years ago ({example_year}):\n{form}"
    );

    // A month left out: only the month is highlighted, the summary links to it, and the
    // police identifier typed is not shown again: the page says so.
    let (status, _, error) = submit(
        &s,
        "/participants/new",
        &[
            ("reference", "DATE-1"),
            ("police_id", "01/234567X"),
            ("date_of_birth-day", "14"),
            ("date_of_birth-month", ""),
            ("date_of_birth-year", "2008"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{error}");
    assert!(
        error.contains("Date of birth must include a month"),
        "{error}"
    );
    assert!(error.contains("href=\"#date_of_birth-month\""), "{error}");
    assert!(input_tag(&error, "date_of_birth-month").contains("govuk-input--error"));
    assert!(!input_tag(&error, "date_of_birth-day").contains("govuk-input--error"));
    assert!(!input_tag(&error, "date_of_birth-year").contains("govuk-input--error"));
    assert!(input_tag(&error, "date_of_birth-day").contains("value=\"14\""));
    assert!(
        error.contains(
            "For privacy we did not keep the police identifier you entered. Enter it again."
        ),
        "{error}"
    );
    assert!(!error.contains("234567"), "the identifier is not echoed");

    // A 13th month is not a real date; a date of birth today is not in the past.
    let today = chrono::Utc::now().date_naive();
    let day = today.format("%-d").to_string();
    let month = today.format("%-m").to_string();
    let year = today.format("%Y").to_string();
    for ((d, m, y), message, wrong) in [
        (
            ("14", "13", "2008"),
            "Date of birth must be a real date",
            "month",
        ),
        (
            (&*day, &*month, &*year),
            "Date of birth must be in the past",
            "day",
        ),
    ] {
        let (status, _, error) = submit(
            &s,
            "/participants/new",
            &[
                ("reference", "DATE-1"),
                ("date_of_birth-day", d),
                ("date_of_birth-month", m),
                ("date_of_birth-year", y),
            ],
        )
        .await;
        assert_eq!(status, 422);
        assert!(error.contains(message), "{message}:\n{error}");
        assert!(
            error.contains(&format!("href=\"#date_of_birth-{wrong}\"")),
            "{error}"
        );
    }

    // What people type: a month's name, a day without its zero.
    let (status, _, body) = submit(
        &s,
        "/participants/new",
        &[
            ("reference", "DATE-1"),
            ("date_of_birth-day", "4"),
            ("date_of_birth-month", "Sept"),
            ("date_of_birth-year", "2008"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(participant_dob(&w, "DATE-1").await, json!("2008-09-04"));

    // The correction page pre-fills the boxes from the record and takes them back.
    let change = format!("/participants/{}/change?field=date_of_birth", w.participant);
    let form = page(&s, &change).await;
    assert!(
        input_tag(&form, "date_of_birth-day").contains("value=\"1\""),
        "{form}"
    );
    assert!(input_tag(&form, "date_of_birth-month").contains("value=\"5\""));
    assert!(input_tag(&form, "date_of_birth-year").contains("value=\"2009\""));
    let (status, _, body) = submit(
        &s,
        &change,
        &[
            ("date_of_birth-day", "01"),
            ("date_of_birth-month", "june"),
            ("date_of_birth-year", "2009"),
            ("reason", "Typed the wrong month"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(participant_dob(&w, "P1").await, json!("2009-06-01"));

    // The JSON API keeps ISO dates.
    let (status, body) = post(
        &w,
        "/api/v1/participants",
        json!({"reference": "DATE-2", "date_of_birth": "2010-02-03"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["date_of_birth"], "2010-02-03");
}

/// Two more measures beside the world's "Feels safe" (1-5): "Anger" (1-5, lower is
/// better) and "Wellbeing" (7-35); returns their ids.
async fn measures(w: &World) -> (i64, i64) {
    let mut ids = Vec::new();
    for body in [
        json!({"name": "Anger", "min": 1, "max": 5, "higher_is_better": false}),
        json!({"name": "Wellbeing (7-35)", "min": 7, "max": 35, "higher_is_better": true}),
    ] {
        let (status, m) = call(
            &w.app,
            "POST",
            &w.admin_token,
            "/api/v1/measures",
            Some(body),
        )
        .await;
        assert_eq!(status, 201, "{m}");
        ids.push(m["id"].as_i64().unwrap());
    }
    (ids[0], ids[1])
}

/// A programme of the world's provider with this outcome framework.
async fn framed_programme(w: &World, name: &str, measure_ids: &str) -> (u16, serde_json::Value) {
    call(
        &w.app,
        "POST",
        &w.admin_token,
        "/api/v1/programmes",
        Some(
            json!({"organisation_id": w.provider, "name": name, "kind": "mentoring",
                    "delivery": "mixed", "starts_on": "2024-04-01", "measure_ids": measure_ids}),
        ),
    )
    .await
}

async fn outcomes_of(w: &World, referral: i64) -> i64 {
    let (_, list) = get(w, &format!("/api/v1/outcomes?referral_id={referral}")).await;
    list["count"].as_i64().unwrap()
}

#[tokio::test]
async fn forms_a_programme_records_its_framework_in_one_submit_and_refuses_other_measures() {
    let w = world().await;
    let s = caseworker(&w);
    let (anger, wellbeing) = measures(&w).await;
    let safe = w.measure;

    let (status, body) = framed_programme(&w, "Framed", "999").await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("measure_ids"), "{body}");
    let (status, body) = framed_programme(&w, "Framed", &format!("{wellbeing}, {safe}")).await;
    assert_eq!(status, 201, "{body}");
    let framed = body["id"].as_i64().unwrap();
    let (_, detail) = get(&w, &format!("/api/v1/programmes/{framed}")).await;
    let names: Vec<&str> = detail["measures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Wellbeing (7-35)", "Feels safe"],
        "in the order chosen"
    );

    // Through the API, a measure outside the framework is refused, naming the framework.
    let referral = accepted_referral(&w, framed, None).await;
    let (status, body) = post(
        &w,
        "/api/v1/outcomes",
        json!({"referral_id": referral, "measure_id": anger, "timepoint": "baseline",
               "recorded_on": "2025-05-03", "value": 2}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let said = body.to_string();
    assert!(
        said.contains("'Anger' is not in this programme's outcome framework"),
        "{said}"
    );
    assert!(
        said.contains("'Feels safe'") && said.contains("'Wellbeing (7-35)'"),
        "{said}"
    );
    let (status, body) = post(
        &w,
        "/api/v1/outcomes",
        json!({"referral_id": referral, "measure_id": safe, "timepoint": "review",
               "recorded_on": "2025-05-03", "value": 2}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    // A programme without a framework accepts any measure (as before frameworks).
    let open = accepted_referral(&w, w.mentoring, None).await;
    let (status, body) = post(
        &w,
        "/api/v1/outcomes",
        json!({"referral_id": open, "measure_id": anger, "timepoint": "baseline",
               "recorded_on": "2025-05-03", "value": 2}),
    )
    .await;
    assert_eq!(status, 201, "{body}");

    // The page asks exactly the framework's measures, each with its range and direction,
    // names without their range repeated.
    let path = format!("/referrals/{referral}/outcomes");
    let form = page(&s, &path).await;
    assert!(
        form.contains(&format!("name=\"value_{wellbeing}\"")),
        "{form}"
    );
    assert!(form.contains(&format!("name=\"value_{safe}\"")));
    assert!(
        !form.contains(&format!("name=\"value_{anger}\"")),
        "not in the framework"
    );
    assert!(form.contains("1 to 5, higher is better"), "{form}");
    assert!(form.contains("7 to 35, higher is better"), "{form}");
    assert!(
        !form.contains("Wellbeing (7-35)"),
        "the name does not repeat its range"
    );

    assert_eq!(outcomes_of(&w, referral).await, 1);
    // All or nothing: one value out of range, the other is not recorded either.
    let (vw, vs) = (format!("value_{wellbeing}"), format!("value_{safe}"));
    let (status, _, error) = submit(
        &s,
        &path,
        &[
            ("timepoint", "baseline"),
            ("recorded_on-day", "3"),
            ("recorded_on-month", "5"),
            ("recorded_on-year", "2025"),
            (&vw, "20"),
            (&vs, "9"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        error.contains("Enter a value from 1 to 5 (the range of 'Feels safe')"),
        "{error}"
    );
    assert!(error.contains(&format!("href=\"#{vs}\"")), "{error}");
    assert_eq!(outcomes_of(&w, referral).await, 1, "nothing was recorded");
    // Nothing typed at all.
    let (status, _, error) = submit(
        &s,
        &path,
        &[
            ("timepoint", "baseline"),
            ("recorded_on-day", "3"),
            ("recorded_on-month", "5"),
            ("recorded_on-year", "2025"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        error.contains("Enter a value for at least one measure"),
        "{error}"
    );
    // Both in one submit.
    let (status, _, body) = submit(
        &s,
        &path,
        &[
            ("timepoint", "baseline"),
            ("recorded_on-day", "3"),
            ("recorded_on-month", "May"),
            ("recorded_on-year", "2025"),
            (&vw, "20"),
            (&vs, "4"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    let (_, list) = get(&w, &format!("/api/v1/outcomes?referral_id={referral}")).await;
    assert_eq!(list["count"], 3, "{list}");
    let baseline: Vec<(i64, f64)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["timepoint"] == "baseline")
        .map(|o| {
            (
                o["measure_id"].as_i64().unwrap(),
                o["value"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(baseline.len(), 2, "{list}");
    assert!(baseline.contains(&(wellbeing, 20.0)) && baseline.contains(&(safe, 4.0)));
}

#[tokio::test]
async fn forms_a_survey_asks_the_measure_first_then_a_box_for_each_value_of_its_range() {
    let w = world().await;
    let s = caseworker(&w);
    let (_, wellbeing) = measures(&w).await;
    let (status, body) = framed_programme(&w, "Schools", &wellbeing.to_string()).await;
    assert_eq!(status, 201, "{body}");
    let schools = body["id"].as_i64().unwrap();
    let sid = session(&w, schools).await;

    // Step one: the measure, from the framework; choosing it reloads as step two.
    let path = format!("/sessions/{sid}/survey");
    let first = page(&s, &path).await;
    assert!(
        first.contains("Wellbeing (7 to 35, higher is better)"),
        "{first}"
    );
    assert!(!first.contains("Feels safe"), "not in the framework");
    let (status, location, _) = submit(&s, &path, &[("measure_id", &wellbeing.to_string())]).await;
    assert_eq!(status, 303);
    assert_eq!(
        location,
        format!("/sessions/{sid}/survey?measure_id={wellbeing}")
    );
    let (status, _, error) = submit(&s, &path, &[("measure_id", "")]).await;
    assert_eq!(status, 422);
    assert!(
        error.contains("Select the measure the survey asked"),
        "{error}"
    );

    // Step two: 29 boxes, 7 to 35.
    let second = page(&s, &location).await;
    let boxes: Vec<&str> = second
        .match_indices("name=\"count_")
        .map(|(i, _)| &second[i..i + 14])
        .collect();
    assert_eq!(boxes.len(), 29, "{boxes:?}");
    assert!(second.contains("name=\"count_7\"") && second.contains("name=\"count_35\""));
    assert!(!second.contains("name=\"count_6\"") && !second.contains("name=\"count_36\""));

    let m = wellbeing.to_string();
    let (status, _, body) = submit(
        &s,
        &path,
        &[
            ("measure_id", &m),
            ("step", "counts"),
            ("timepoint", "baseline"),
            ("count_7", "2"),
            ("count_35", "3"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    // The session page lists it: respondents, mean (7×2 + 35×3) / 5 = 23.8, the answers,
    // and a warning: 5 respondents, but nobody was at the session.
    let session_page = page(&s, &format!("/sessions/{sid}")).await;
    assert!(session_page.contains(">23.8<"), "{session_page}");
    assert!(session_page.contains("7: 2, 35: 3"), "{session_page}");
    assert!(
        session_page.contains("govuk-warning-text"),
        "{session_page}"
    );
    assert!(
        session_page.contains("5 respondents is more than the 0 people at the session"),
        "{session_page}"
    );
    assert!(session_page.contains("/group-surveys/"), "a Change link");

    // A 1-5 measure (the world's programmes have no framework: any measure) has 5 boxes.
    let other = session(&w, w.mentoring).await;
    let small = page(
        &s,
        &format!("/sessions/{other}/survey?measure_id={}", w.measure),
    )
    .await;
    assert_eq!(small.matches("name=\"count_").count(), 5, "{small}");

    // The API refuses a measure outside the session's programme's framework.
    let (status, body) = post(
        &w,
        "/api/v1/group-surveys",
        json!({"session_id": sid, "measure_id": w.measure, "timepoint": "baseline",
               "counts": {"3": 4}}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("outcome framework"), "{body}");
}
