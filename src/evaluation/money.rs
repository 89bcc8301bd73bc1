//! Money and targets (DESIGN.md section 4.4): cost per participant and per completion
//! from allocated funding, and each contracted target's achievement, pro-rata expectation
//! at the report date and RAG status.
//!
//! Funding is summed in whole pence so that totals are exact; figures are shown in pounds.
//! See `docs/methodology.md#money-and-targets`.

use chrono::NaiveDate;
use serde::Serialize;

use super::engagement::Engagement;
use super::rows::{AllocationRow, TargetRow};
use super::stats::ratio;
use super::DateRange;

/// Funding and unit costs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Money {
    /// The funding of the report's period: each allocation belongs to a financial year and
    /// counts in proportion to the days of that year inside the period (all of it for a
    /// whole year, about a quarter of it for a quarter).
    pub allocated_gbp: f64,
    /// The whole financial years' allocations the period lies in.
    pub allocated_year_gbp: f64,
    /// allocated_gbp / allocated_year_gbp: the share of the years' funding that is the
    /// period's (1 for a whole financial year); `None` without funding.
    pub allocation_share: Option<f64>,
    /// Allocated funding / (participants_reached + anonymous_headcount) (DESIGN.md 4.4):
    /// people and attendances added together, kept for the API and the dashboard; reports
    /// show the two figures below instead.
    pub cost_per_participant: Option<f64>,
    /// Allocated funding / participants_reached: per named person who attended.
    pub cost_per_named_participant: Option<f64>,
    /// Attended marks of named participants plus the headcounts of group sessions, in
    /// the period: attendances, not people.
    pub attendances: u64,
    /// Allocated funding / attendances.
    pub cost_per_attendance: Option<f64>,
    /// Allocated funding / completed.
    pub cost_per_completion: Option<f64>,
}

/// The share of financial year `fy` that lies inside `from..=to`, by days.
pub fn share_of_year(fy: &str, from: NaiveDate, to: NaiveDate) -> Result<f64, BadFinancialYear> {
    let (start, end) = financial_year_bounds(fy)?;
    let days = (end - start).num_days() + 1;
    let (a, b) = (from.max(start), to.min(end));
    let inside = if b < a { 0 } else { (b - a).num_days() + 1 };
    Ok(inside as f64 / days as f64)
}

/// Definition: `docs/methodology.md#money-and-targets`.
pub fn money(
    allocations: &[AllocationRow],
    engagement: &Engagement,
    named_attendances: u64,
    period: DateRange,
) -> Result<Money, BadFinancialYear> {
    let pence: i64 = allocations.iter().map(|a| a.amount_pence).sum();
    let year = pence as f64 / 100.0;
    let mut pounds = 0.0;
    for a in allocations {
        pounds += a.amount_pence as f64 / 100.0
            * share_of_year(&a.financial_year, period.from, period.to)?;
    }
    // Whole years keep their exact pence.
    if (pounds - year).abs() < 0.005 {
        pounds = year;
    }
    let attendances = named_attendances + engagement.anonymous_headcount;
    Ok(Money {
        allocated_gbp: pounds,
        allocated_year_gbp: year,
        allocation_share: ratio(pounds, year),
        cost_per_participant: ratio(
            pounds,
            (engagement.participants_reached + engagement.anonymous_headcount) as f64,
        ),
        cost_per_named_participant: ratio(pounds, engagement.participants_reached as f64),
        attendances,
        cost_per_attendance: ratio(pounds, attendances as f64),
        cost_per_completion: ratio(pounds, engagement.completed as f64),
    })
}

/// Red, amber or green against the pro-rata expectation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rag {
    Green,
    Amber,
    Red,
}

/// Green at or above 90% of the pro-rata expectation, amber at or above 70%, red below.
pub fn rag(achieved: f64, expected: f64) -> Option<Rag> {
    let share = ratio(achieved, expected)?;
    Some(if share >= 0.9 {
        Rag::Green
    } else if share >= 0.7 {
        Rag::Amber
    } else {
        Rag::Red
    })
}

/// One target's position.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetStatus {
    pub metric: String,
    pub financial_year: String,
    pub target: f64,
    /// The report's figure of that name; `None` for a metric the engine does not know.
    pub achieved: Option<f64>,
    /// achieved / target.
    pub percent_of_target: Option<f64>,
    /// The date the target is pro-rated to: the end of the report's period when it has
    /// ended by the report date, the report date otherwise.
    pub pro_rata_to: NaiveDate,
    /// Share of the financial year inside the report's period up to `pro_rata_to` (0 to 1):
    /// 1 for a whole year that has ended, about 0.25 for a quarter that has ended.
    pub year_elapsed: f64,
    /// What should have been achieved in the period by `pro_rata_to`: target ×
    /// year_elapsed for counts; the target itself for rates, which do not accumulate.
    pub pro_rata_expected: f64,
    pub percent_of_pro_rata: Option<f64>,
    pub rag: Option<Rag>,
}

/// Why a target could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a financial year like 2025-26")]
pub struct BadFinancialYear(pub String);

/// The first and last day of financial year `2025-26`.
pub fn financial_year_bounds(fy: &str) -> Result<(NaiveDate, NaiveDate), BadFinancialYear> {
    let bad = || BadFinancialYear(fy.to_string());
    let (start, end) = fy.split_once('-').ok_or_else(bad)?;
    let start_year: i32 = start.parse().map_err(|_| bad())?;
    let end_short: i32 = end.parse().map_err(|_| bad())?;
    if start.len() != 4 || end.len() != 2 || (start_year + 1) % 100 != end_short {
        return Err(bad());
    }
    let from = NaiveDate::from_ymd_opt(start_year, 4, 1).ok_or_else(bad)?;
    let to = NaiveDate::from_ymd_opt(start_year + 1, 3, 31).ok_or_else(bad)?;
    Ok((from, to))
}

/// Days of the financial year up to and including `report_date`, as a share of its days.
pub fn year_elapsed(fy: &str, report_date: NaiveDate) -> Result<f64, BadFinancialYear> {
    let (from, to) = financial_year_bounds(fy)?;
    let days = (to - from).num_days() + 1;
    let elapsed = ((report_date - from).num_days() + 1).clamp(0, days);
    Ok(elapsed as f64 / days as f64)
}

/// The engagement figure called `metric`, if there is one.
fn achieved(engagement: &Engagement, metric: &str) -> Option<f64> {
    serde_json::to_value(engagement).ok()?.get(metric)?.as_f64()
}

/// Every target's status in `period`, pro-rated to the period's end or, while it runs,
/// to `report_date`. Definition: `docs/methodology.md#money-and-targets`.
pub fn targets(
    rows: &[TargetRow],
    engagement: &Engagement,
    period: DateRange,
    report_date: NaiveDate,
) -> Result<Vec<TargetStatus>, BadFinancialYear> {
    let to = period.to.min(report_date);
    rows.iter()
        .map(|t| {
            let elapsed = share_of_year(&t.financial_year, period.from, to)?;
            let is_rate = t.metric.ends_with("_rate");
            let expected = if is_rate { t.value } else { t.value * elapsed };
            let got = achieved(engagement, &t.metric);
            Ok(TargetStatus {
                metric: t.metric.clone(),
                financial_year: t.financial_year.clone(),
                target: t.value,
                achieved: got,
                percent_of_target: got.and_then(|a| ratio(a, t.value)),
                pro_rata_to: to,
                year_elapsed: elapsed,
                pro_rata_expected: expected,
                percent_of_pro_rata: got.and_then(|a| ratio(a, expected)),
                rag: got.and_then(|a| rag(a, expected)),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluation::engagement::engagement;
    use crate::evaluation::engagement::tests::d;

    fn figures(completed: u64, reached: u64, headcount: u64) -> Engagement {
        let mut e = engagement(
            DateRange::new(d("2025-04-01"), d("2026-03-31")).unwrap(),
            &[],
            &[],
            &[],
        );
        e.completed = completed;
        e.participants_reached = reached;
        e.anonymous_headcount = headcount;
        e
    }

    fn allocation(stream: i64, pence: i64, fy: &str) -> AllocationRow {
        AllocationRow {
            funding_stream_id: stream,
            amount_pence: pence,
            financial_year: fy.into(),
        }
    }

    fn year_2025() -> DateRange {
        DateRange::new(d("2025-04-01"), d("2026-03-31")).unwrap()
    }

    #[test]
    fn costs_per_named_participant_attendance_and_completion_divide_the_funding() {
        let allocations = [
            allocation(1, 5_000_000, "2025-26"),
            allocation(2, 2_500_050, "2025-26"),
        ];
        let m = money(&allocations, &figures(40, 150, 350), 600, year_2025()).unwrap();
        // £50,000.00 + £25,000.50 = £75,000.50, all of it in a whole year.
        assert_eq!(m.allocated_gbp, 75_000.5);
        assert_eq!(m.allocated_year_gbp, 75_000.5);
        assert_eq!(m.allocation_share, Some(1.0));
        // DESIGN.md 4.4's combined figure: 75,000.50 / (150 + 350) = 150.001
        assert!((m.cost_per_participant.unwrap() - 150.001).abs() < 1e-9);
        // 75,000.50 / 150 named people = 500.00333...
        assert!((m.cost_per_named_participant.unwrap() - 500.003_333_333).abs() < 1e-6);
        // 600 named attendances + 350 headcount = 950; 75,000.50 / 950 = 78.947894...
        assert_eq!(m.attendances, 950);
        assert!((m.cost_per_attendance.unwrap() - 78.947_894_737).abs() < 1e-6);
        // 75,000.50 / 40 = 1,875.0125
        assert!((m.cost_per_completion.unwrap() - 1_875.012_5).abs() < 1e-9);
        let none = money(&allocations, &figures(0, 0, 0), 0, year_2025()).unwrap();
        assert_eq!(
            (
                none.cost_per_participant,
                none.cost_per_named_participant,
                none.cost_per_attendance,
                none.cost_per_completion
            ),
            (None, None, None, None)
        );
    }

    #[test]
    fn a_quarter_has_its_days_share_of_the_years_allocation() {
        // 2025-26 Q1: 1 April to 30 June 2025, 91 of the year's 365 days.
        let q1 = DateRange::new(d("2025-04-01"), d("2025-06-30")).unwrap();
        let allocations = [allocation(1, 3_650_000, "2025-26")];
        let m = money(&allocations, &figures(5, 20, 0), 40, q1).unwrap();
        // £36,500 × 91 / 365 = £9,100.00
        assert!((m.allocated_gbp - 9_100.0).abs() < 1e-9);
        assert_eq!(m.allocated_year_gbp, 36_500.0);
        assert!((m.allocation_share.unwrap() - 91.0 / 365.0).abs() < 1e-12);
        // £9,100 / 20 named people = £455; / 40 attendances = £227.50; / 5 = £1,820.
        assert!((m.cost_per_named_participant.unwrap() - 455.0).abs() < 1e-9);
        assert!((m.cost_per_attendance.unwrap() - 227.5).abs() < 1e-9);
        assert!((m.cost_per_completion.unwrap() - 1_820.0).abs() < 1e-9);
        // A period across two years takes its days of each: 1 Jan to 30 Jun 2025 is 90
        // of 2024-25's 365 days and 91 of 2025-26's 365.
        let across = DateRange::new(d("2025-01-01"), d("2025-06-30")).unwrap();
        let two = [
            allocation(1, 3_650_000, "2024-25"),
            allocation(2, 7_300_000, "2025-26"),
        ];
        let m = money(&two, &figures(0, 0, 0), 0, across).unwrap();
        // 36,500 × 90/365 + 73,000 × 91/365 = 9,000 + 18,200 = 27,200
        assert!((m.allocated_gbp - 27_200.0).abs() < 1e-9);
        assert_eq!(m.allocated_year_gbp, 109_500.0);
    }

    #[test]
    fn targets_are_pro_rated_to_the_periods_end_once_it_has_ended() {
        let rows = [TargetRow {
            metric: "completed".into(),
            value: 60.0,
            financial_year: "2025-26".into(),
        }];
        let e = figures(15, 0, 0);
        // The whole year, reported long after it ended: all of the target is expected.
        let out = targets(&rows, &e, year_2025(), d("2026-12-06")).unwrap();
        assert_eq!(out[0].pro_rata_to, d("2026-03-31"));
        assert_eq!(out[0].year_elapsed, 1.0);
        assert_eq!(out[0].pro_rata_expected, 60.0);
        // Q1, ended: 91/365 of it. 60 × 91/365 = 14.9589; 15 / 14.9589 = 1.0027 → green.
        let q1 = DateRange::new(d("2025-04-01"), d("2025-06-30")).unwrap();
        let out = targets(&rows, &e, q1, d("2025-12-01")).unwrap();
        assert_eq!(out[0].pro_rata_to, d("2025-06-30"));
        assert!((out[0].pro_rata_expected - 14.958_904_11).abs() < 1e-6);
        assert_eq!(out[0].rag, Some(Rag::Green));
        // Q1 while it runs, on 15 May 2025: 45 days. 60 × 45/365 = 7.397.
        let out = targets(&rows, &e, q1, d("2025-05-15")).unwrap();
        assert_eq!(out[0].pro_rata_to, d("2025-05-15"));
        assert!((out[0].pro_rata_expected - 7.397_260_27).abs() < 1e-6);
    }

    #[test]
    fn a_target_is_compared_with_its_pro_rata_expectation() {
        let rows = [
            TargetRow {
                metric: "completed".into(),
                value: 60.0,
                financial_year: "2025-26".into(),
            },
            TargetRow {
                metric: "participants_reached".into(),
                value: 200.0,
                financial_year: "2025-26".into(),
            },
            TargetRow {
                metric: "anonymous_headcount".into(),
                value: 1000.0,
                financial_year: "2025-26".into(),
            },
            TargetRow {
                metric: "completion_rate".into(),
                value: 0.8,
                financial_year: "2025-26".into(),
            },
            TargetRow {
                metric: "smiles".into(),
                value: 3.0,
                financial_year: "2025-26".into(),
            },
        ];
        let mut e = figures(27, 90, 300);
        e.completion_rate = Some(0.75);
        // 2025-04-01 .. 2025-09-30 is 183 of the year's 365 days.
        let out = targets(&rows, &e, year_2025(), d("2025-09-30")).unwrap();
        let elapsed = 183.0 / 365.0;
        assert_eq!(out[0].year_elapsed, elapsed);
        // completed: expected 60 × 183/365 = 30.0822; 27 / 30.0822 = 0.8975 → amber.
        assert!((out[0].pro_rata_expected - 30.082_191_78).abs() < 1e-6);
        assert_eq!(out[0].percent_of_target, Some(27.0 / 60.0));
        assert_eq!(out[0].rag, Some(Rag::Amber));
        // participants_reached: expected 100.27; 90 / 100.27 = 0.8976 → amber.
        assert_eq!(out[1].rag, Some(Rag::Amber));
        // anonymous_headcount: expected 501.37; 300 / 501.37 = 0.598 → red.
        assert_eq!(out[2].rag, Some(Rag::Red));
        // completion_rate is not pro-rated: 0.75 / 0.8 = 0.9375 → green.
        assert_eq!(out[3].pro_rata_expected, 0.8);
        assert_eq!(out[3].rag, Some(Rag::Green));
        // An unknown metric is listed without an achievement.
        assert_eq!((out[4].achieved, out[4].rag), (None, None));
    }

    #[test]
    fn rag_thresholds_are_inclusive() {
        assert_eq!(rag(90.0, 100.0), Some(Rag::Green));
        assert_eq!(rag(89.99, 100.0), Some(Rag::Amber));
        assert_eq!(rag(70.0, 100.0), Some(Rag::Amber));
        assert_eq!(rag(69.99, 100.0), Some(Rag::Red));
        assert_eq!(rag(5.0, 0.0), None);
    }

    #[test]
    fn before_the_year_starts_nothing_is_expected_yet() {
        assert_eq!(year_elapsed("2025-26", d("2025-03-31")).unwrap(), 0.0);
        assert_eq!(year_elapsed("2025-26", d("2026-03-31")).unwrap(), 1.0);
        assert_eq!(year_elapsed("2025-26", d("2027-01-01")).unwrap(), 1.0);
        assert!(year_elapsed("2025-27", d("2025-05-01")).is_err());
    }
}
