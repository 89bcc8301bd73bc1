//! Engagement figures (DESIGN.md section 4.1): referrals and their decisions and closures,
//! sessions, attendance, anonymous headcounts and hours.
//!
//! Referral figures count referrals whose `referred_on` is in the period; session and
//! attendance figures count sessions dated in the period. "Engaged" and the days to the
//! first session look at attendance at any date, through `ReferralRow::first_attended_on`.
//! See `docs/methodology.md#engagement`.

use serde::Serialize;

use super::rows::{AttendanceRow, ReferralRow, SessionRow};
use super::stats::{median, ratio};
use super::DateRange;
use crate::domain::enums::{AttendanceStatus, Closure, Decision};

/// The engagement figures of one scope and period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Engagement {
    pub referrals_received: u64,
    pub referrals_accepted: u64,
    pub referrals_declined: u64,
    pub referrals_pending: u64,
    pub acceptance_rate: Option<f64>,
    pub engaged: u64,
    pub completed: u64,
    pub withdrawn: u64,
    pub disengaged: u64,
    pub completion_rate: Option<f64>,
    pub median_days_to_first_session: Option<f64>,
    pub sessions_delivered: u64,
    pub attendance_rate: Option<f64>,
    pub participants_reached: u64,
    pub anonymous_headcount: u64,
    pub mean_group_headcount: Option<f64>,
    /// The different schools or venues of the period's group sessions (those with a
    /// headcount), where recorded; `None` when no group session records one.
    pub group_venues: Option<u64>,
    pub hours_delivered: f64,
    pub hours_required: f64,
}

/// An accepted referral with at least one attended session at any date.
pub(crate) fn is_engaged(referral: &ReferralRow) -> bool {
    referral.decision == Decision::Accepted && referral.first_attended_on.is_some()
}

/// An accepted referral closed as completed.
pub(crate) fn is_completed(referral: &ReferralRow) -> bool {
    referral.decision == Decision::Accepted && referral.closure == Some(Closure::Completed)
}

/// Every figure of section 4.1.
/// Definition: `docs/methodology.md#engagement`.
pub fn engagement(
    period: DateRange,
    referrals: &[ReferralRow],
    sessions: &[SessionRow],
    attendance: &[AttendanceRow],
) -> Engagement {
    let in_period: Vec<&ReferralRow> = referrals
        .iter()
        .filter(|r| period.contains(r.referred_on))
        .collect();
    let decided = |d: Decision| in_period.iter().filter(|r| r.decision == d).count() as u64;
    let accepted: Vec<&&ReferralRow> = in_period
        .iter()
        .filter(|r| r.decision == Decision::Accepted)
        .collect();
    let closed = |c: Closure| accepted.iter().filter(|r| r.closure == Some(c)).count() as u64;

    let (referrals_accepted, referrals_declined) =
        (decided(Decision::Accepted), decided(Decision::Declined));
    let (completed, withdrawn, disengaged) = (
        closed(Closure::Completed),
        closed(Closure::Withdrawn),
        closed(Closure::Disengaged),
    );
    let sessions_in_period: Vec<&SessionRow> = sessions
        .iter()
        .filter(|s| period.contains(s.date))
        .collect();
    let anonymous_headcount: u64 = sessions_in_period
        .iter()
        .map(|s| s.headcount.max(0) as u64)
        .sum();
    let sessions_with_headcount = sessions_in_period
        .iter()
        .filter(|s| s.headcount > 0)
        .count();
    let venues: std::collections::BTreeSet<String> = sessions_in_period
        .iter()
        .filter(|s| s.headcount > 0)
        .filter_map(|s| s.venue.as_deref())
        .map(|v| {
            v.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        })
        .filter(|v| !v.is_empty())
        .collect();
    let attended = AttendanceTally::of(period, attendance);

    Engagement {
        referrals_received: in_period.len() as u64,
        referrals_accepted,
        referrals_declined,
        referrals_pending: decided(Decision::Pending),
        acceptance_rate: ratio(
            referrals_accepted as f64,
            (referrals_accepted + referrals_declined) as f64,
        ),
        engaged: in_period.iter().filter(|r| is_engaged(r)).count() as u64,
        completed,
        withdrawn,
        disengaged,
        completion_rate: ratio(
            completed as f64,
            (completed + withdrawn + disengaged) as f64,
        ),
        median_days_to_first_session: median_days_to_first_session(&in_period),
        sessions_delivered: sessions_in_period.len() as u64,
        attendance_rate: ratio(
            attended.attended as f64,
            (attended.attended + attended.did_not_attend) as f64,
        ),
        participants_reached: attended.participants,
        anonymous_headcount,
        mean_group_headcount: ratio(anonymous_headcount as f64, sessions_with_headcount as f64),
        group_venues: (!venues.is_empty()).then_some(venues.len() as u64),
        hours_delivered: attended.hours,
        // A fold from +0.0: an empty f64 `sum()` is −0.0, which would print as "-0.0".
        hours_required: accepted
            .iter()
            .filter_map(|r| r.required_hours)
            .fold(0.0, |a, b| a + b),
    }
}

fn median_days_to_first_session(in_period: &[&ReferralRow]) -> Option<f64> {
    let mut days: Vec<f64> = in_period
        .iter()
        .filter(|r| is_engaged(r))
        .filter_map(|r| {
            r.first_attended_on
                .map(|d| (d - r.referred_on).num_days() as f64)
        })
        .collect();
    median(&mut days)
}

/// Attended marks of named participants at sessions in the period (attendances, not
/// people: one person at three sessions is three).
pub(crate) fn named_attendances(period: DateRange, attendance: &[AttendanceRow]) -> u64 {
    AttendanceTally::of(period, attendance).attended
}

/// Attendance in the period, by status.
struct AttendanceTally {
    attended: u64,
    did_not_attend: u64,
    participants: u64,
    hours: f64,
}

impl AttendanceTally {
    fn of(period: DateRange, attendance: &[AttendanceRow]) -> Self {
        let mut tally = Self {
            attended: 0,
            did_not_attend: 0,
            participants: 0,
            hours: 0.0,
        };
        let mut reached = std::collections::HashSet::new();
        for a in attendance
            .iter()
            .filter(|a| period.contains(a.session_date))
        {
            match a.status {
                AttendanceStatus::Attended => {
                    tally.attended += 1;
                    tally.hours += a.hours.unwrap_or(0.0);
                    reached.insert(a.participant_id);
                }
                AttendanceStatus::DidNotAttend => tally.did_not_attend += 1,
                AttendanceStatus::Cancelled => {}
            }
        }
        tally.participants = reached.len() as u64;
        tally
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::enums::ReferralSource;
    use chrono::NaiveDate;

    pub(crate) fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    pub(crate) fn referral(id: i64, participant: i64, referred_on: &str) -> ReferralRow {
        ReferralRow {
            referral_id: id,
            participant_id: participant,
            programme_id: 1,
            referred_on: d(referred_on),
            source: ReferralSource::Police,
            decision: Decision::Pending,
            decided_on: None,
            closure: None,
            closed_on: None,
            required_hours: None,
            first_attended_on: None,
            person_key: None,
            not_linked: None,
            date_of_birth: None,
            gender: None,
            ethnicity: None,
            district: None,
        }
    }

    pub(crate) fn accepted(mut r: ReferralRow, closure: Closure) -> ReferralRow {
        r.decision = Decision::Accepted;
        r.closure = Some(closure);
        r
    }

    fn session(id: i64, date: &str, headcount: i64) -> SessionRow {
        SessionRow {
            session_id: id,
            programme_id: 1,
            date: d(date),
            headcount,
            venue: None,
        }
    }

    fn attendance(
        session: i64,
        referral: i64,
        participant: i64,
        date: &str,
        status: AttendanceStatus,
        hours: Option<f64>,
    ) -> AttendanceRow {
        AttendanceRow {
            session_id: session,
            referral_id: referral,
            participant_id: participant,
            session_date: d(date),
            status,
            hours,
        }
    }

    fn year() -> DateRange {
        DateRange::new(d("2025-04-01"), d("2026-03-31")).unwrap()
    }

    #[test]
    fn every_engagement_figure_follows_its_definition() {
        let mut r1 = accepted(referral(1, 101, "2025-04-10"), Closure::Completed);
        r1.first_attended_on = Some(d("2025-04-20")); // 10 days
        r1.required_hours = Some(10.0);
        let mut r2 = accepted(referral(2, 102, "2025-05-01"), Closure::Withdrawn);
        r2.first_attended_on = Some(d("2025-05-31")); // 30 days
        r2.required_hours = Some(5.0);
        let mut r3 = accepted(referral(3, 103, "2025-06-01"), Closure::Open);
        // Engaged by a session before the period started counts (any date): 2 days.
        r3.first_attended_on = Some(d("2025-06-03"));
        let r4 = accepted(referral(4, 104, "2025-07-01"), Closure::Disengaged); // never attended
        let mut r5 = referral(5, 105, "2025-08-01");
        r5.decision = Decision::Declined;
        let r6 = referral(6, 106, "2025-09-01"); // pending
        let mut r7 = accepted(referral(7, 107, "2026-01-01"), Closure::Completed);
        r7.first_attended_on = Some(d("2026-01-05")); // 4 days
                                                      // Outside the period: ignored entirely.
        let mut r8 = accepted(referral(8, 108, "2025-03-31"), Closure::Completed);
        r8.first_attended_on = Some(d("2025-04-02"));
        let referrals = [r1, r2, r3, r4, r5, r6, r7, r8];

        let sessions = [
            session(1, "2025-04-20", 0),
            session(2, "2025-05-31", 12),
            session(3, "2025-06-03", 30),
            session(4, "2026-04-01", 50), // after the period
        ];
        use AttendanceStatus::*;
        let attendance = [
            attendance(1, 1, 101, "2025-04-20", Attended, Some(2.5)),
            attendance(2, 2, 102, "2025-05-31", Attended, Some(3.0)),
            attendance(2, 1, 101, "2025-05-31", Attended, None),
            attendance(3, 3, 103, "2025-06-03", Attended, Some(1.0)),
            attendance(3, 4, 104, "2025-06-03", DidNotAttend, None),
            attendance(3, 7, 107, "2025-06-03", Cancelled, Some(9.0)),
            attendance(4, 7, 107, "2026-04-01", Attended, Some(4.0)), // after the period
        ];

        let e = engagement(year(), &referrals, &sessions, &attendance);
        // r1..r7 are in the period.
        assert_eq!(e.referrals_received, 7);
        assert_eq!(e.referrals_accepted, 5); // r1 r2 r3 r4 r7
        assert_eq!(e.referrals_declined, 1);
        assert_eq!(e.referrals_pending, 1);
        assert_eq!(e.acceptance_rate, Some(5.0 / 6.0));
        assert_eq!(e.engaged, 4); // r1 r2 r3 r7
        assert_eq!((e.completed, e.withdrawn, e.disengaged), (2, 1, 1));
        assert_eq!(e.completion_rate, Some(2.0 / 4.0));
        // Days 10, 30, 2, 4 → sorted 2, 4, 10, 30 → (4 + 10) / 2 = 7.
        assert_eq!(e.median_days_to_first_session, Some(7.0));
        assert_eq!(e.sessions_delivered, 3);
        // Attended 4, did not attend 1, cancelled excluded: 4 / 5.
        assert_eq!(e.attendance_rate, Some(0.8));
        assert_eq!(e.participants_reached, 3); // 101, 102, 103
        assert_eq!(e.anonymous_headcount, 42); // 0 + 12 + 30
        assert_eq!(e.mean_group_headcount, Some(21.0)); // 42 / 2 sessions with a headcount
        assert_eq!(e.hours_delivered, 6.5); // 2.5 + 3.0 + 1.0, cancelled not counted
        assert_eq!(e.hours_required, 15.0); // 10 + 5
    }

    #[test]
    fn rates_of_an_empty_period_are_null() {
        let e = engagement(year(), &[], &[], &[]);
        assert_eq!(e.referrals_received, 0);
        assert_eq!(e.acceptance_rate, None);
        assert_eq!(e.completion_rate, None);
        assert_eq!(e.attendance_rate, None);
        assert_eq!(e.mean_group_headcount, None);
        assert_eq!(e.median_days_to_first_session, None);
        assert_eq!(e.group_venues, None);
    }

    #[test]
    fn group_venues_are_the_different_places_of_sessions_with_a_headcount() {
        let at = |id: i64, date: &str, headcount: i64, venue: Option<&str>| SessionRow {
            venue: venue.map(str::to_string),
            ..session(id, date, headcount)
        };
        let sessions = [
            at(1, "2025-04-20", 25, Some("School 001")),
            // The same place written differently is one venue.
            at(2, "2025-05-20", 20, Some("  school  001 ")),
            at(3, "2025-06-20", 30, Some("School 002")),
            // Not recorded: not counted (and does not make the count unknown).
            at(4, "2025-07-20", 18, None),
            // A one-to-one session (no headcount) is not a group's venue.
            at(5, "2025-08-20", 0, Some("Office")),
            // After the period.
            at(6, "2026-04-20", 22, Some("School 003")),
        ];
        let e = engagement(year(), &[], &sessions, &[]);
        assert_eq!(e.group_venues, Some(2));
        // Group sessions without a recorded venue: unknown, not zero.
        let e = engagement(year(), &[], &[at(1, "2025-04-20", 25, None)], &[]);
        assert_eq!(e.group_venues, None);
    }
}
