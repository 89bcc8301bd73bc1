//! Retention and evaluation holds as rules over dates, with no I/O
//! (docs/erasure-and-retention.md).
//!
//! **Last activity** of a participant: the latest of the dates the provider recorded about
//! them — each referral's `referred_on`, `decided_on` and `closed_on`, the date of every
//! session they have an attendance line at (whatever its status), and every outcome
//! record's `recorded_on` — over records that are not voided. A participant with none of
//! these (no referral yet, or only voided records) counts from the day they were
//! registered. Corrections, views and exports are not activity: they would keep a record
//! alive by looking at it.
//!
//! **Retention end** = last activity + the retention period (calendar months, clamped to
//! the month's end, DESIGN.md section 3). From that day on the participant is due for
//! erasure. The period is the longest of the programmes the participant was referred to
//! (a participant is erased whole, so the programme that keeps data longest wins); with no
//! referral, the default.
//!
//! **Evaluation hold**: a referral is still awaiting follow-up while its referral date
//! plus the default follow-up and waiting periods (12 + 6 months) is after the data's
//! "as of" date (the current offence extract's, or today without one). While a programme
//! is under a hold (to its end date inclusive), a participant with such a referral to it
//! cannot be erased, unless an admin overrides the hold with a reason.

use chrono::NaiveDate;

use super::calendar::add_months;

/// The retention period of a programme without its own: six years.
pub const DEFAULT_RETENTION_MONTHS: i32 = 72;

/// Follow-up plus waiting period of the default report parameters (12 + 6 months):
/// how long after the referral date a referral's reoffending is still to be measured.
pub const HOLD_FOLLOW_UP_MONTHS: i32 = 18;

/// The latest of `dates`, or `registered_on` when there is none.
pub fn last_activity(
    registered_on: NaiveDate,
    dates: impl IntoIterator<Item = NaiveDate>,
) -> NaiveDate {
    dates.into_iter().max().unwrap_or(registered_on)
}

/// The day retention ends: `last_activity` + `months` calendar months.
pub fn retention_end(last_activity: NaiveDate, months: i32) -> NaiveDate {
    add_months(last_activity, months)
}

/// Whether a participant whose retention ends on `end` is due for erasure on `today`.
pub fn is_due(end: NaiveDate, today: NaiveDate) -> bool {
    end <= today
}

/// The retention period of a participant referred to programmes with `periods` (each
/// programme's own, or the default): the longest, or the default with none.
pub fn period_of(periods: impl IntoIterator<Item = i32>) -> i32 {
    periods
        .into_iter()
        .max()
        .unwrap_or(DEFAULT_RETENTION_MONTHS)
}

/// Whether a referral made on `referred_on` still awaits its reoffending follow-up with
/// data as of `data_as_of`.
pub fn awaits_follow_up(referred_on: NaiveDate, data_as_of: NaiveDate) -> bool {
    add_months(referred_on, HOLD_FOLLOW_UP_MONTHS) > data_as_of
}

/// Whether a hold ending on `ends_on` is in force on `today`.
pub fn hold_in_force(ends_on: NaiveDate, today: NaiveDate) -> bool {
    today <= ends_on
}

/// A retention period in words: "6 years", "18 months", "1 year".
pub fn describe_months(months: i32) -> String {
    match (months % 12, months / 12) {
        (0, 1) => "1 year".into(),
        (0, y) => format!("{y} years"),
        _ if months == 1 => "1 month".into(),
        _ => format!("{months} months"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn last_activity_is_the_latest_date_or_the_registration_without_any() {
        assert_eq!(
            last_activity(d("2026-01-01"), [d("2020-03-01"), d("2021-07-31")]),
            d("2021-07-31")
        );
        assert_eq!(last_activity(d("2026-01-01"), []), d("2026-01-01"));
    }

    #[test]
    fn retention_ends_whole_calendar_months_later_clamped_to_the_month_end() {
        // Six years after 29 February 2020 is 28 February 2026 (no 29th that year).
        assert_eq!(retention_end(d("2020-02-29"), 72), d("2026-02-28"));
        assert_eq!(retention_end(d("2024-05-31"), 12), d("2025-05-31"));
        assert!(is_due(d("2025-05-31"), d("2025-05-31")));
        assert!(!is_due(d("2025-05-31"), d("2025-05-30")));
    }

    #[test]
    fn the_longest_programme_period_wins_and_none_gives_the_default() {
        assert_eq!(period_of([12, 84, 72]), 84);
        assert_eq!(period_of([]), 72);
    }

    #[test]
    fn a_referral_awaits_follow_up_until_eighteen_months_have_passed() {
        assert!(awaits_follow_up(d("2025-01-15"), d("2026-07-14")));
        assert!(!awaits_follow_up(d("2025-01-15"), d("2026-07-15")));
        assert!(hold_in_force(d("2026-12-31"), d("2026-12-31")));
        assert!(!hold_in_force(d("2026-12-31"), d("2027-01-01")));
    }

    #[test]
    fn periods_read_as_years_when_whole() {
        assert_eq!(describe_months(72), "6 years");
        assert_eq!(describe_months(12), "1 year");
        assert_eq!(describe_months(18), "18 months");
        assert_eq!(describe_months(1), "1 month");
    }
}
