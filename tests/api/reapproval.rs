//! Re-approval (issue 14): after an admin unlocks an approved return and records of the
//! quarter change, the return submitted again shows what changed since the approval —
//! which records, which figures moved — before the commissioner decides again.

use serde_json::{json, Value};

use crate::casework::{accepted_referral, call, post, world};
use crate::returns::{act, approve_q1, people};

#[tokio::test]
async fn a_return_submitted_again_after_an_unlock_shows_the_records_and_figures_changed_since_approval(
) {
    let w = world().await;
    let p = people(&w);
    let q1 = accepted_referral(&w, w.mentoring, None).await; // referred 2025-05-01
    let id = approve_q1(&w, &p).await;
    let path = format!("/api/v1/returns/{id}/changes");
    let (s, c) = call(&w.app, "GET", &p.commissioner, &path, None).await;
    assert_eq!(s, 200, "{c}");
    assert!(c["approved_at"].is_string(), "{c}");
    assert_eq!(c["figures_kept"], true, "{c}");
    assert_eq!(
        (&c["figures"], &c["records"]),
        (&json!([]), &json!([])),
        "{c}"
    );

    let (s, b) = act(
        &w,
        &p.admin,
        id,
        "unlock",
        json!({"reason": "late closures"}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    // In Q1: the referral closed as completed, and a new (pending) referral.
    let (s, b) = post(
        &w,
        &format!("/api/v1/referrals/{q1}/closure"),
        json!({"closure": "completed", "closed_on": "2025-06-20"}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let (s, new) = post(
        &w,
        "/api/v1/referrals",
        json!({"participant_id": w.participant, "programme_id": w.mentoring,
               "referred_on": "2025-06-10", "source": "school"}),
    )
    .await;
    assert_eq!(s, 201, "{new}");
    let new = new["id"].as_i64().unwrap();
    // In Q2: not the quarter's.
    let (s, b) = post(
        &w,
        "/api/v1/referrals",
        json!({"participant_id": w.participant, "programme_id": w.mentoring,
               "referred_on": "2025-07-10", "source": "school"}),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = call(
        &w.app,
        "POST",
        &p.manager,
        &format!("/api/v1/programmes/{}/returns", w.mentoring),
        Some(json!({"quarter": "2025-26-Q1"})),
    )
    .await;
    assert_eq!(s, 200, "{b}");

    let (s, c) = call(&w.app, "GET", &p.commissioner, &path, None).await;
    assert_eq!(s, 200, "{c}");
    // By hand. Approved: 1 referral received, accepted, open. Now: 2 received (one
    // pending), the first completed: completion rate 1 of 1; acceptance rate still 1 of 1.
    let moved: Vec<(String, Value, Value)> = c["figures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["figure"].as_str().unwrap().to_string(),
                f["approved"].clone(),
                f["now"].clone(),
            )
        })
        .collect();
    let mut want = vec![
        ("completed".to_string(), json!(0), json!(1)),
        ("completion_rate".to_string(), Value::Null, json!(1.0)),
        ("referrals_pending".to_string(), json!(0), json!(1)),
        ("referrals_received".to_string(), json!(1), json!(2)),
    ];
    let mut got = moved.clone();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    want.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(got.len(), want.len(), "{c}");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.0, w.0, "{c}");
        assert_eq!(g.1.as_f64(), w.1.as_f64(), "{c}");
        assert_eq!(g.2.as_f64(), w.2.as_f64(), "{c}");
    }
    let records: Vec<(String, i64)> = c["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap().to_string(),
                r["id"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(records.contains(&("referral".into(), q1)), "{c}");
    assert!(records.contains(&("referral".into(), new)), "{c}");
    assert!(
        records.iter().all(|(_, r)| *r == q1 || *r == new),
        "only the quarter's records: {c}"
    );

    // The page: the decision first shows what changed.
    let res = p
        .commissioner_page
        .get(&format!("/returns/{id}/decision"))
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        format!("/returns/{id}/changes")
    );
    let html = p
        .commissioner_page
        .get(&format!("/returns/{id}/changes"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("referrals received"), "{html}");
    assert!(html.contains(&format!("referral {q1}")), "{html}");
    assert!(
        html.contains(&format!("/returns/{id}/decision?changes_seen=yes")),
        "{html}"
    );
    let res = p
        .commissioner_page
        .get(&format!("/returns/{id}/decision?changes_seen=yes"))
        .await;
    assert_eq!(res.status().as_u16(), 200);

    // Approved again: nothing changed since this approval.
    let (s, b) = act(&w, &p.commissioner, id, "approve", json!({})).await;
    assert_eq!(s, 200, "{b}");
    let (_, c) = call(&w.app, "GET", &p.commissioner, &path, None).await;
    assert_eq!(
        (&c["figures"], &c["records"]),
        (&json!([]), &json!([])),
        "{c}"
    );
}
