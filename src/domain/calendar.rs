//! Calendar arithmetic used by periods and by the reoffending windows.
//!
//! DESIGN.md section 3: "N months after date d" means calendar months, clamped to the
//! month's end (2025-01-31 + 1 month = 2025-02-28). Everything here is pure.

use chrono::{Datelike, Months, NaiveDate};

/// `date` moved by `months` calendar months (negative moves back), clamped to the end of
/// the target month.
pub fn add_months(date: NaiveDate, months: i32) -> NaiveDate {
    let shifted = if months >= 0 {
        date.checked_add_months(Months::new(months as u32))
    } else {
        date.checked_sub_months(Months::new(months.unsigned_abs()))
    };
    // chrono clamps to the month's end already; out-of-range dates cannot come from
    // validated input (years 1..9999), so saturate rather than panic.
    shifted.unwrap_or(if months >= 0 {
        NaiveDate::MAX
    } else {
        NaiveDate::MIN
    })
}

/// The calendar year in which the financial year containing `date` starts
/// (financial years run 1 April to 31 March).
pub fn financial_year_start_year(date: NaiveDate) -> i32 {
    if date.month() >= 4 {
        date.year()
    } else {
        date.year() - 1
    }
}

/// Whole years of age on `on` for someone born on `born` (a birthday on 29 February
/// counts as passed on 1 March in non-leap years).
pub fn age_on(born: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn adding_a_month_to_the_31st_of_january_clamps_to_the_end_of_february() {
        assert_eq!(add_months(d("2025-01-31"), 1), d("2025-02-28"));
        assert_eq!(add_months(d("2024-01-31"), 1), d("2024-02-29"));
    }

    #[test]
    fn adding_twelve_months_to_a_leap_day_lands_on_the_28th_of_february() {
        assert_eq!(add_months(d("2024-02-29"), 12), d("2025-02-28"));
        assert_eq!(add_months(d("2024-02-29"), 48), d("2028-02-29"));
    }

    #[test]
    fn months_on_the_30th_and_31st_clamp_only_when_the_target_month_is_shorter() {
        assert_eq!(add_months(d("2025-03-31"), 1), d("2025-04-30"));
        assert_eq!(add_months(d("2025-03-30"), 1), d("2025-04-30"));
        assert_eq!(add_months(d("2025-03-29"), 11), d("2026-02-28"));
        assert_eq!(add_months(d("2025-05-31"), 18), d("2026-11-30"));
        assert_eq!(add_months(d("2025-08-31"), 6), d("2026-02-28"));
    }

    #[test]
    fn negative_months_move_back_and_clamp() {
        assert_eq!(add_months(d("2025-03-31"), -1), d("2025-02-28"));
        assert_eq!(add_months(d("2025-03-31"), -13), d("2024-02-29"));
        assert_eq!(add_months(d("2025-06-15"), -12), d("2024-06-15"));
    }

    #[test]
    fn zero_months_is_the_same_day() {
        assert_eq!(add_months(d("2025-01-31"), 0), d("2025-01-31"));
    }

    #[test]
    fn the_financial_year_starts_in_april() {
        assert_eq!(financial_year_start_year(d("2025-04-01")), 2025);
        assert_eq!(financial_year_start_year(d("2026-03-31")), 2025);
        assert_eq!(financial_year_start_year(d("2026-01-01")), 2025);
    }

    #[test]
    fn age_counts_whole_years_and_leap_day_birthdays_pass_on_the_first_of_march() {
        assert_eq!(age_on(d("2010-06-15"), d("2025-06-14")), 14);
        assert_eq!(age_on(d("2010-06-15"), d("2025-06-15")), 15);
        assert_eq!(age_on(d("2008-02-29"), d("2025-02-28")), 16);
        assert_eq!(age_on(d("2008-02-29"), d("2025-03-01")), 17);
    }
}
