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

/// Funding and unit costs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Money {
    pub allocated_gbp: f64,
    /// Allocated funding / (participants_reached + anonymous_headcount).
    pub cost_per_participant: Option<f64>,
    /// Allocated funding / completed.
    pub cost_per_completion: Option<f64>,
}

/// Definition: `docs/methodology.md#money-and-targets`.
pub fn money(allocations: &[AllocationRow], engagement: &Engagement) -> Money {
    let pence: i64 = allocations.iter().map(|a| a.amount_pence).sum();
    let pounds = pence as f64 / 100.0;
    Money {
        allocated_gbp: pounds,
        cost_per_participant: ratio(
            pounds,
            (engagement.participants_reached + engagement.anonymous_headcount) as f64,
        ),
        cost_per_completion: ratio(pounds, engagement.completed as f64),
    }
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
    /// Share of the financial year elapsed at the report date (0 to 1).
    pub year_elapsed: f64,
    /// What should have been achieved by the report date: target × year_elapsed for
    /// counts; the target itself for rates, which do not accumulate.
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

/// Every target's status at `report_date`.
/// Definition: `docs/methodology.md#money-and-targets`.
pub fn targets(
    rows: &[TargetRow],
    engagement: &Engagement,
    report_date: NaiveDate,
) -> Result<Vec<TargetStatus>, BadFinancialYear> {
    rows.iter()
        .map(|t| {
            let elapsed = year_elapsed(&t.financial_year, report_date)?;
            let is_rate = t.metric.ends_with("_rate");
            let expected = if is_rate { t.value } else { t.value * elapsed };
            let got = achieved(engagement, &t.metric);
            Ok(TargetStatus {
                metric: t.metric.clone(),
                financial_year: t.financial_year.clone(),
                target: t.value,
                achieved: got,
                percent_of_target: got.and_then(|a| ratio(a, t.value)),
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
    use crate::evaluation::Period;

    fn figures(completed: u64, reached: u64, headcount: u64) -> Engagement {
        let mut e = engagement(
            Period::new(d("2025-04-01"), d("2026-03-31")).unwrap(),
            &[],
            &[],
            &[],
        );
        e.completed = completed;
        e.participants_reached = reached;
        e.anonymous_headcount = headcount;
        e
    }

    #[test]
    fn costs_per_participant_and_completion_divide_the_allocated_funding() {
        let allocations = [
            AllocationRow {
                funding_stream_id: 1,
                amount_pence: 5_000_000,
            },
            AllocationRow {
                funding_stream_id: 2,
                amount_pence: 2_500_050,
            },
        ];
        let m = money(&allocations, &figures(40, 150, 350));
        // £50,000.00 + £25,000.50 = £75,000.50
        assert_eq!(m.allocated_gbp, 75_000.5);
        // 75,000.50 / (150 + 350) = 150.001
        assert!((m.cost_per_participant.unwrap() - 150.001).abs() < 1e-9);
        // 75,000.50 / 40 = 1,875.0125
        assert!((m.cost_per_completion.unwrap() - 1_875.012_5).abs() < 1e-9);
        let none = money(&allocations, &figures(0, 0, 0));
        assert_eq!(
            (none.cost_per_participant, none.cost_per_completion),
            (None, None)
        );
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
        let out = targets(&rows, &e, d("2025-09-30")).unwrap();
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
