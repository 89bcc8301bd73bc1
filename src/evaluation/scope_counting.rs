//! Once or twice: how a provider's or a funding stream's report counts a person referred
//! to two of its programmes (docs/methodology.md#people-in-two-programmes). Hand-computed
//! figures for a small scope; the rules are those of DESIGN.md section 4 (reach counts
//! participant records, the cohort one member per participant and programme).

use chrono::{DateTime, TimeZone, Utc};

use super::cost::CostTables;
use super::engagement::tests::{accepted, d, referral};
use super::reoffending::{offences_by_person, IndexDate};
use super::report::{assemble, ReportInputs, ReportParams};
use super::rows::{AttendanceRow, OffenceRow, SessionRow};
use super::DateRange;
use crate::domain::enums::{AttendanceStatus, Closure, OffenceGroup};

fn params() -> ReportParams {
    ReportParams {
        scope_name: "Provider A".into(),
        period: DateRange::new(d("2024-04-01"), d("2025-03-31")).unwrap(),
        follow_up_months: 12,
        waiting_months: 6,
        index: IndexDate::Referral,
        threshold: 5,
        price_year: "2024-25".into(),
        published: false,
        positive_threshold: 4.0,
        report_date: d("2026-11-01"),
        // Hand-computed figures of three people: the unit rules (issue 21) are tested in
        // report.rs and units.rs.
        minimum_cohort: 1,
        aggregate: false,
    }
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()
}

/// Participant 7 (person k7) is referred to programmes 1 and 2 of one provider and
/// attends both; participant 8 (k8) to programme 1 only. With `other_provider`,
/// participant 9 — another provider's record of the same person k7 — is referred to
/// programme 3 of that provider (a funding stream funding all three). k7 reoffends once.
fn inputs(other_provider: bool) -> ReportInputs {
    let mut refs = vec![
        (1, 7, 1, "2024-05-01", "k7"),
        (2, 7, 2, "2024-06-01", "k7"),
        (3, 8, 1, "2024-05-15", "k8"),
    ];
    if other_provider {
        refs.push((4, 9, 3, "2024-07-01", "k7"));
    }
    let mut referrals = Vec::new();
    let mut sessions = Vec::new();
    let mut attendance = Vec::new();
    for (id, participant, programme, on, key) in refs {
        let mut r = accepted(referral(id, participant, on), Closure::Completed);
        r.programme_id = programme;
        r.person_key = Some(key.to_string());
        r.first_attended_on = Some(d(on) + chrono::Duration::days(7));
        sessions.push(SessionRow {
            session_id: id,
            programme_id: programme,
            date: d(on) + chrono::Duration::days(7),
            headcount: 0,
            venue: None,
        });
        attendance.push(AttendanceRow {
            session_id: id,
            referral_id: id,
            participant_id: participant,
            session_date: d(on) + chrono::Duration::days(7),
            status: AttendanceStatus::Attended,
            hours: Some(1.0),
        });
        referrals.push(r);
    }
    ReportInputs {
        referrals,
        sessions,
        attendance,
        offences: offences_by_person([OffenceRow {
            person_key: "k7".into(),
            offence_date: d("2024-12-01"),
            offence_group: OffenceGroup::Robbery,
            proven_on: Some(d("2025-01-10")),
        }]),
        data_as_of: Some(d("2026-10-31")),
        ..ReportInputs::default()
    }
}

#[test]
fn a_provider_counts_a_person_in_two_programmes_once_in_reach_and_twice_in_the_cohort() {
    let costs = CostTables::embedded().unwrap();
    let report = assemble(&inputs(false), &params(), &costs, at()).unwrap();
    let b = &report.body;
    // Referrals 1, 2 and 3.
    assert_eq!(b.engagement.referrals_received, 3);
    // Reach counts people: participants 7 and 8, 7 once although at two programmes.
    assert_eq!(b.engagement.participants_reached, 2);
    // The cohort is one member per participant and programme: (7, 1), (7, 2), (8, 1).
    let all = &b.reoffending.groups.all;
    assert_eq!(all.cohort, 3);
    assert_eq!(all.measurable, 3);
    // k7's one offence counts for both of k7's members: 2 reoffenders of 3.
    assert_eq!(all.reoffenders, 2);
    assert!((all.reoffending_rate.unwrap() - 2.0 / 3.0).abs() < 1e-12);
}

#[test]
fn a_funding_stream_counts_two_providers_records_of_one_person_twice() {
    let costs = CostTables::embedded().unwrap();
    let report = assemble(&inputs(true), &params(), &costs, at()).unwrap();
    let b = &report.body;
    assert_eq!(b.engagement.referrals_received, 4);
    // Participants 7, 8 and 9: 9 is the same person as 7 to the police (k7), but another
    // provider's record, and providers never share names: reach counts records.
    assert_eq!(b.engagement.participants_reached, 3);
    // Members (7, 1), (7, 2), (8, 1), (9, 3); k7 reoffends in 3 of them.
    let all = &b.reoffending.groups.all;
    assert_eq!((all.cohort, all.measurable, all.reoffenders), (4, 4, 3));
}
