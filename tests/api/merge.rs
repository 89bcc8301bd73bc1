//! Merging two participants of one organisation who are the same person (issue 14): the
//! referrals move to the kept record, the person is counted once, the merge is in both
//! records' history and can be undone; another provider can do nothing; two different
//! police identifiers, and a referral dated in an approved quarter, are refused.

use serde_json::{json, Value};

use crate::casework::{call, get, messages, post, world, world_on, World};
use crate::helpers::spawn_app_small;
use crate::returns::{approve_q1, people};
use outcomes::domain::enums::Role;

/// Registers a participant (with a police identifier when given); its id.
async fn participant(w: &World, reference: &str, police_id: Option<&str>) -> i64 {
    let mut body = json!({"reference": reference, "gender": "male", "allow_duplicate": true});
    if let Some(id) = police_id {
        body["police_id"] = json!(id);
    }
    let (status, p) = post(w, "/api/v1/participants", body).await;
    assert_eq!(status, 201, "{p}");
    p["id"].as_i64().unwrap()
}

async fn referral(w: &World, participant: i64, referred_on: &str) -> i64 {
    let (status, r) = post(
        w,
        "/api/v1/referrals",
        json!({"participant_id": participant, "programme_id": w.mentoring,
               "referred_on": referred_on, "source": "police"}),
    )
    .await;
    assert_eq!(status, 201, "{r}");
    r["id"].as_i64().unwrap()
}

async fn merge(w: &World, token: &str, id: i64, body: Value) -> (u16, Value) {
    call(
        &w.app,
        "POST",
        token,
        &format!("/api/v1/participants/{id}/merge"),
        Some(body),
    )
    .await
}

async fn history(w: &World, id: i64) -> Value {
    let (status, h) = get(w, &format!("/api/v1/participants/{id}/history")).await;
    assert_eq!(status, 200, "{h}");
    h
}

/// The reoffending figures of all referred people of Mentoring in 2025-26, and the
/// referrals received.
async fn figures(w: &World) -> (Value, Value) {
    let (status, body) = call(
        &w.app,
        "GET",
        &w.admin_token,
        &format!("/api/v1/reports/programmes/{}?period=2025-26", w.mentoring),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (
        body["reoffending"]["groups"]["all"].clone(),
        body["engagement"]["referrals_received"].clone(),
    )
}

#[tokio::test]
async fn merging_two_records_of_one_person_counts_them_once_in_the_reoffending_cohort_and_can_be_undone(
) {
    let w = world_on(spawn_app_small().await).await;
    let first = participant(&w, "DUP-1", Some("XY-1001")).await;
    let second = participant(&w, "DUP-2", Some(" xy-1001")).await;
    let r1 = referral(&w, first, "2025-05-01").await;
    let r2 = referral(&w, second, "2025-06-01").await;
    // One proven offence of that person, after both referral dates.
    let res = w
        .app
        .client
        .post(format!(
            "{}/api/v1/imports/offences?extract_date=2026-12-01&file_name=extract.csv",
            w.app.address
        ))
        .bearer_auth(&w.admin_token)
        .header("content-type", "text/csv")
        .body("police_id,offence_date,offence_group,proven_on\nXY-1001,2025-09-01,violence_with_injury,2025-10-01\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "{}", res.text().await.unwrap());

    // Before: two records of one person are two cohort members. By hand: each is
    // measurable (referred 2025-05-01 and 2025-06-01; + 12 months follow-up + 6 months
    // waiting = 2026-11-01 and 2026-12-01, on or before the extract date 2026-12-01), and
    // the offence of 2025-09-01, proven 2025-10-01, is within both follow-ups.
    let (all, received) = figures(&w).await;
    assert_eq!(
        (
            &all["cohort"],
            &all["measurable"],
            &all["reoffenders"],
            &all["reoffences"]
        ),
        (&json!(2), &json!(2), &json!(2), &json!(2)),
        "{all}"
    );
    assert_eq!(received, 2);

    // Merge the first into the second.
    let (status, body) = merge(&w, &w.token, first, json!({"into": second})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        messages(&body, "reason"),
        ["Enter the reason for the correction"]
    );
    let (status, body) = merge(
        &w,
        &w.token,
        first,
        json!({"into": second, "reason": "registered twice"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["merged"], first);
    assert_eq!(body["kept"], second);
    assert_eq!(body["referrals"], json!([format!("referral {r1} R-{r1}")]));
    assert_eq!(
        body["person_key_moved"], false,
        "the kept record had the key"
    );

    // After: one person, counted once at the earliest referral (2025-05-01): one
    // measurable member, one reoffender, one proven reoffence; both referrals received.
    let (all, received) = figures(&w).await;
    assert_eq!(
        (
            &all["cohort"],
            &all["measurable"],
            &all["reoffenders"],
            &all["reoffences"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(1)),
        "{all}"
    );
    assert_eq!(all["reoffending_rate"], 1.0);
    assert_eq!(received, 2);

    // The kept record holds both referrals; the merged one is out of every list.
    let (status, r) = get(&w, &format!("/api/v1/referrals/{r1}")).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["participant_id"], second);
    let (status, _) = get(&w, &format!("/api/v1/participants/{first}")).await;
    assert_eq!(status, 404);
    let (_, list) = get(&w, "/api/v1/participants?reference=DUP-1").await;
    assert_eq!(list["count"], 0, "{list}");
    let export = w
        .app
        .client
        .get(format!("{}/api/v1/exports/participants", w.app.address))
        .bearer_auth(&w.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        export.contains("DUP-2") && !export.contains("DUP-1"),
        "{export}"
    );

    // Both histories show the merge with its reason, from the audit trail.
    let h = history(&w, first).await;
    assert_eq!(h["merged_into"], second, "{h}");
    let entry = h["entries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(entry["action"], "merge");
    assert_eq!(entry["reason"], "registered twice");
    assert_eq!(entry["via"], "api");
    assert_eq!(entry["changes"]["merged_into"]["new"], second);
    let h = history(&w, second).await;
    let entry = h["entries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(entry["action"], "merge");
    assert_eq!(entry["fields"], json!(["referrals"]));
    let (_, h) = get(&w, &format!("/api/v1/referrals/{r1}/history")).await;
    let entry = h["entries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(entry["action"], "merge");
    assert_eq!(
        entry["changes"]["participant_id"],
        json!({"old": first, "new": second})
    );

    // Merging a merged record again is 404, as for a voided one.
    let (status, _) = merge(&w, &w.token, first, json!({"into": second, "reason": "x"})).await;
    assert_eq!(status, 404);

    // Undo: restoring the merged record moves its referral back.
    let (status, body) = call(
        &w.app,
        "POST",
        &w.token,
        &format!("/api/v1/participants/{first}/restore"),
        Some(json!({"reason": "two brothers, not one person"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["also"], json!([format!("referral {r1} R-{r1}")]));
    let (_, r) = get(&w, &format!("/api/v1/referrals/{r1}")).await;
    assert_eq!(r["participant_id"], first);
    let (_, r) = get(&w, &format!("/api/v1/referrals/{r2}")).await;
    assert_eq!(r["participant_id"], second);
    let (all, _) = figures(&w).await;
    assert_eq!(all["cohort"], 2, "{all}");
    let h = history(&w, first).await;
    assert_eq!(h["merged_into"], Value::Null);
    assert_eq!(h["voided"], Value::Null);
    let entry = h["entries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(entry["action"], "unmerge");
    assert_eq!(entry["reason"], "two brothers, not one person");
}

#[tokio::test]
async fn another_providers_caseworker_cannot_merge_and_nothing_changes() {
    let w = world().await;
    let first = participant(&w, "DUP-1", Some("XY-1001")).await;
    let second = participant(&w, "DUP-2", None).await;
    let r1 = referral(&w, first, "2025-05-01").await;
    let b = w.app.provider("Provider B");
    let other = w.app.create_user(Role::Caseworker, b);
    let other_token = w.app.bearer(&other);
    let (status, body) = merge(
        &w,
        &other_token,
        first,
        json!({"into": second, "reason": "mine now"}),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    // Their own record into ours: ours is not theirs to name.
    let (status, theirs) = call(
        &w.app,
        "POST",
        &other_token,
        "/api/v1/participants",
        Some(json!({"reference": "B-1"})),
    )
    .await;
    assert_eq!(status, 201, "{theirs}");
    let theirs = theirs["id"].as_i64().unwrap();
    let (status, body) = merge(
        &w,
        &other_token,
        theirs,
        json!({"into": first, "reason": "same person"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        messages(&body, "into"),
        ["Choose one of your organisation's participants to keep"]
    );
    // Nor ours into theirs.
    let (status, body) = merge(
        &w,
        &w.token,
        first,
        json!({"into": theirs, "reason": "same person"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    // Nothing changed.
    let (status, r) = get(&w, &format!("/api/v1/referrals/{r1}")).await;
    assert_eq!(status, 200);
    assert_eq!(r["participant_id"], first);
    let (status, _) = get(&w, &format!("/api/v1/participants/{first}")).await;
    assert_eq!(status, 200);
    let h = history(&w, first).await;
    assert!(
        h["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["action"] != "merge"),
        "{h}"
    );
}

#[tokio::test]
async fn person_keys_reconcile_and_two_different_ones_are_refused() {
    let w = world().await;
    let keyed = participant(&w, "K-1", Some("XY-1001")).await;
    let other_key = participant(&w, "K-2", Some("XY-2002")).await;
    let unkeyed = participant(&w, "U-1", None).await;
    let (status, body) = merge(
        &w,
        &w.token,
        keyed,
        json!({"into": other_key, "reason": "same"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        messages(&body, "into")[0].contains("different police identifiers"),
        "{body}"
    );
    let (status, body) = merge(
        &w,
        &w.token,
        keyed,
        json!({"into": keyed, "reason": "same"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(messages(&body, "into")[0].contains("itself"), "{body}");
    let (status, body) = merge(&w, &w.token, keyed, json!({"into": "x", "reason": "same"})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        messages(&body, "into"),
        ["Enter the id of the participant to keep"]
    );

    // Only the merged record has a key: the kept one takes it.
    let (status, body) = merge(
        &w,
        &w.token,
        keyed,
        json!({"into": unkeyed, "reason": "registered twice"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["person_key_moved"], true);
    let (_, p) = get(&w, &format!("/api/v1/participants/{unkeyed}")).await;
    assert_eq!(p["has_person_key"], true, "{p}");
    let h = history(&w, unkeyed).await;
    let entry = h["entries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(entry["fields"], json!(["referrals", "person_key"]));
    assert_eq!(entry["changes"]["person_key"], "changed");
    // Registering the identifier again finds the kept record, not the merged one.
    let (status, body) = post(
        &w,
        "/api/v1/participants",
        json!({"reference": "K-3", "police_id": "XY-1001"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("U-1"), "{body}");
    assert!(!body.to_string().contains("K-1"), "{body}");

    // Undoing the merge takes the key back.
    let (status, body) = call(
        &w.app,
        "POST",
        &w.token,
        &format!("/api/v1/participants/{keyed}/restore"),
        Some(json!({"reason": "wrong record"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, p) = get(&w, &format!("/api/v1/participants/{unkeyed}")).await;
    assert_eq!(p["has_person_key"], false, "{p}");
    let (_, p) = get(&w, &format!("/api/v1/participants/{keyed}")).await;
    assert_eq!(p["has_person_key"], true, "{p}");
}

#[tokio::test]
async fn a_merge_moving_a_referral_dated_in_an_approved_quarter_is_refused() {
    let w = world().await;
    let p = people(&w);
    let first = participant(&w, "DUP-1", None).await;
    let second = participant(&w, "DUP-2", None).await;
    let q1 = referral(&w, first, "2025-05-01").await;
    approve_q1(&w, &p).await;
    let (status, body) = merge(
        &w,
        &w.token,
        first,
        json!({"into": second, "reason": "registered twice"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let m = messages(&body, "into");
    assert!(
        m[0].contains(&format!("R-{q1}")) && m[0].contains("(Q1 2025-26)"),
        "{body}"
    );
    let (_, r) = get(&w, &format!("/api/v1/referrals/{q1}")).await;
    assert_eq!(r["participant_id"], first, "nothing moved");
    // The other way round moves nothing dated in Q1: allowed.
    let (status, body) = merge(
        &w,
        &w.token,
        second,
        json!({"into": first, "reason": "registered twice"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["referrals"], json!([]));
}

#[tokio::test]
async fn a_caseworker_merges_two_records_on_the_pages_after_seeing_both() {
    let w = world().await;
    let first = participant(&w, "DUP-1", Some("XY-1001")).await;
    let second = participant(&w, "DUP-2", None).await;
    let r1 = referral(&w, first, "2025-05-01").await;
    let page = w
        .app
        .session_for(&w.app.create_user(Role::Caseworker, w.provider));
    let html = page
        .get(&format!("/participants/{first}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("href=\"/participants/{first}/merge\"")),
        "{html}"
    );
    let res = page.get(&format!("/participants/{first}/merge")).await;
    assert_eq!(res.status().as_u16(), 200);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Case reference of the record to keep"));
    // An unknown reference is named beside the field.
    let res = page
        .post_form(
            &format!("/participants/{first}/merge"),
            &[("kept_reference", "NOPE")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("There is no participant with the case reference &#x27;NOPE&#x27;")
            || html.contains("There is no participant with the case reference 'NOPE'"),
        "{html}"
    );
    let res = page
        .post_form(
            &format!("/participants/{first}/merge"),
            &[("kept_reference", "DUP-2")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let confirm = res.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(
        confirm,
        format!("/participants/{first}/merge/confirm?into={second}")
    );
    let html = page.get(&confirm).await.text().await.unwrap();
    assert!(html.contains("Merge DUP-1 into DUP-2"), "{html}");
    assert!(html.contains(&format!("R-{r1}")), "{html}");
    assert!(html.contains("takes the police identifier key"), "{html}");
    // Without a reason: the same page, the error beside the field.
    let action = format!("/participants/{first}/merge/confirm");
    let into = second.to_string();
    let res = page.post_form(&action, &[("into", into.as_str())]).await;
    assert_eq!(res.status().as_u16(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("govuk-error-summary"), "{html}");
    assert!(
        html.contains("Enter the reason for the correction"),
        "{html}"
    );
    let res = page
        .post_form(
            &action,
            &[("into", into.as_str()), ("reason", "registered twice")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        format!("/participants/{second}")
    );
    let html = page
        .get(&format!("/participants/{second}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("DUP-1 merged into DUP-2: 1 referral moved"),
        "{html}"
    );
    assert!(html.contains(&format!("R-{r1}")), "{html}");
    let h = history(&w, second).await;
    let entry = h["entries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(entry["action"], "merge");
    assert_eq!(entry["via"], "page");
}
