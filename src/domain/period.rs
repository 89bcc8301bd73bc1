//! Reporting periods (DESIGN.md section 3, narrowed by issue 21): a financial year
//! `2025-26`, a quarter `2025-26-Q3`, or a range of whole calendar months `FROM..TO`
//! (starting on the 1st of a month and ending on the last day of a month).
//!
//! Every period resolves to an inclusive pair of dates. Parsing errors say what was typed
//! and what is expected, because commissioners type these by hand. A range that does not
//! cover whole months (one day, one week, half a month) is refused: reports for such
//! periods describe so few people that they single them out (see `docs/security.md`).

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::calendar::financial_year_start_year;

/// A financial year, named by the calendar year it starts in (2025 for `2025-26`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FinancialYear(i32);

impl FinancialYear {
    pub fn starting(year: i32) -> Self {
        FinancialYear(year)
    }

    pub fn containing(date: NaiveDate) -> Self {
        FinancialYear(financial_year_start_year(date))
    }

    pub fn start_year(self) -> i32 {
        self.0
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0, 4, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn last_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0 + 1, 3, 31).unwrap_or(NaiveDate::MAX)
    }

    /// The year before.
    pub fn previous(self) -> Self {
        FinancialYear(self.0 - 1)
    }

    pub fn quarter(self, q: u8) -> Quarter {
        Quarter { year: self, q }
    }
}

impl fmt::Display for FinancialYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.0, (self.0 + 1).rem_euclid(100))
    }
}

impl FromStr for FinancialYear {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let bad = || PeriodError::FinancialYear(s.to_string());
        let (start, end) = s.split_once('-').ok_or_else(bad)?;
        let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(start, 4) || !digits(end, 2) {
            return Err(bad());
        }
        let start: i32 = start.parse().map_err(|_| bad())?;
        let end: i32 = end.parse().map_err(|_| bad())?;
        if !(1900..=9998).contains(&start) {
            return Err(bad());
        }
        if (start + 1) % 100 != end {
            return Err(PeriodError::YearsNotConsecutive(s.to_string()));
        }
        Ok(FinancialYear(start))
    }
}

/// A quarter of a financial year: Q1 April–June … Q4 January–March.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quarter {
    year: FinancialYear,
    q: u8,
}

impl Quarter {
    pub fn new(year: FinancialYear, q: u8) -> Result<Self, PeriodError> {
        if (1..=4).contains(&q) {
            Ok(Quarter { year, q })
        } else {
            Err(PeriodError::Quarter(format!("{year}-Q{q}")))
        }
    }

    pub fn containing(date: NaiveDate) -> Self {
        let year = FinancialYear::containing(date);
        let q = match date.month() {
            4..=6 => 1,
            7..=9 => 2,
            10..=12 => 3,
            _ => 4,
        };
        Quarter { year, q }
    }

    pub fn year(self) -> FinancialYear {
        self.year
    }

    pub fn number(self) -> u8 {
        self.q
    }

    pub fn first_day(self) -> NaiveDate {
        let (y, m) = match self.q {
            1 => (self.year.0, 4),
            2 => (self.year.0, 7),
            3 => (self.year.0, 10),
            _ => (self.year.0 + 1, 1),
        };
        NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn last_day(self) -> NaiveDate {
        let (y, m, d) = match self.q {
            1 => (self.year.0, 6, 30),
            2 => (self.year.0, 9, 30),
            3 => (self.year.0, 12, 31),
            _ => (self.year.0 + 1, 3, 31),
        };
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MAX)
    }

    /// How people read the quarter: "October to December 2026 (Q3 2026-27)".
    pub fn long_name(self) -> String {
        let (from, to) = match self.q {
            1 => ("April", "June"),
            2 => ("July", "September"),
            3 => ("October", "December"),
            _ => ("January", "March"),
        };
        format!(
            "{from} to {to} {} (Q{} {})",
            self.first_day().year(),
            self.q,
            self.year
        )
    }

    /// The quarters of the financial year, in order.
    pub fn all_of(year: FinancialYear) -> [Quarter; 4] {
        [1, 2, 3, 4].map(|q| Quarter { year, q })
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-Q{}", self.year, self.q)
    }
}

/// A reporting period, always resolvable to inclusive dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    FinancialYear(FinancialYear),
    Quarter(Quarter),
    Range { from: NaiveDate, to: NaiveDate },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("'{0}' is not a period; {ACCEPTED}")]
    Unrecognised(String),
    #[error("'{0}' is not a financial year; expected the start year and the next year's last two digits, like 2025-26")]
    FinancialYear(String),
    #[error("'{0}' is not a financial year: the second year must follow the first, like 2025-26")]
    YearsNotConsecutive(String),
    #[error("'{0}' is not a quarter; expected Q1 (April to June) to Q4 (January to March), like 2025-26-Q3")]
    Quarter(String),
    #[error("'{0}' is not a date; expected YYYY-MM-DD, like 2025-04-01")]
    Date(String),
    #[error("the period starts on {from} but ends earlier, on {to}")]
    EndsBeforeStart { from: NaiveDate, to: NaiveDate },
    #[error("'{from}..{to}' is not a report period: a range must cover whole calendar months, from the 1st of a month to the last day of a month; {ACCEPTED}")]
    NotWholeMonths { from: NaiveDate, to: NaiveDate },
}

/// The forms of period a report accepts, as error messages name them.
pub const ACCEPTED: &str = "expected a financial year like 2025-26, a quarter like 2025-26-Q3, \
or whole calendar months like 2025-04-01..2025-09-30 (from the 1st of a month to the last day of a month)";

/// Whether `date` is the last day of its month.
fn is_month_end(date: NaiveDate) -> bool {
    date.succ_opt().is_none_or(|next| next.day() == 1)
}

/// Parses an ISO date strictly (`YYYY-MM-DD`, real calendar dates only): four digits,
/// two and two, so no sign, no padding and no fifth year digit.
pub fn parse_date(s: &str) -> Result<NaiveDate, PeriodError> {
    let t = s.trim();
    let shaped = t.len() == 10
        && t.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        return Err(PeriodError::Date(t.to_string()));
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| PeriodError::Date(t.to_string()))
}

impl Period {
    pub fn from(&self) -> NaiveDate {
        match self {
            Period::FinancialYear(y) => y.first_day(),
            Period::Quarter(q) => q.first_day(),
            Period::Range { from, .. } => *from,
        }
    }

    pub fn to(&self) -> NaiveDate {
        match self {
            Period::FinancialYear(y) => y.last_day(),
            Period::Quarter(q) => q.last_day(),
            Period::Range { to, .. } => *to,
        }
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from() <= date && date <= self.to()
    }

    /// The financial years the period covers exactly, when it is one financial year or a
    /// run of consecutive ones (`2023-04-01..2025-03-31` is 2023-24 and 2024-25); `None`
    /// for a quarter or a range of months that is not whole financial years.
    pub fn financial_years(&self) -> Option<Vec<FinancialYear>> {
        whole_financial_years(self.from(), self.to())
    }

    /// The quarters that overlap the period, in order (for quarterly trends).
    pub fn quarters(&self) -> Vec<Quarter> {
        let mut out = Vec::new();
        let mut q = Quarter::containing(self.from());
        while q.first_day() <= self.to() {
            out.push(q);
            q = Quarter::containing(q.last_day().succ_opt().unwrap_or(NaiveDate::MAX));
            if q.first_day() == NaiveDate::MAX {
                break;
            }
        }
        out
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::FinancialYear(y) => y.fmt(f),
            Period::Quarter(q) => q.fmt(f),
            Period::Range { from, to } => write!(f, "{from}..{to}"),
        }
    }
}

impl FromStr for Period {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Some((from, to)) = s.split_once("..") {
            let from = parse_date(from)?;
            let to = parse_date(to)?;
            if to < from {
                return Err(PeriodError::EndsBeforeStart { from, to });
            }
            if from.day() != 1 || !is_month_end(to) {
                return Err(PeriodError::NotWholeMonths { from, to });
            }
            return Ok(Period::Range { from, to });
        }
        match s.len() {
            7 => Ok(Period::FinancialYear(s.parse()?)),
            // `get`, not indexing: the text may have a character of several bytes there.
            10 => match (s.get(..7), s.get(7..9), s.get(9..)) {
                (Some(year), Some(sep), Some(q)) if sep.eq_ignore_ascii_case("-Q") => {
                    let year: FinancialYear = year.parse()?;
                    let q = q
                        .parse::<u8>()
                        .map_err(|_| PeriodError::Quarter(s.to_string()))?;
                    Quarter::new(year, q)
                        .map(Period::Quarter)
                        .map_err(|_| PeriodError::Quarter(s.to_string()))
                }
                _ => Err(PeriodError::Unrecognised(s.to_string())),
            },
            _ => Err(PeriodError::Unrecognised(s.to_string())),
        }
    }
}

/// The financial years `from..=to` covers exactly (1 April of the first to 31 March of
/// the last), or `None`.
pub fn whole_financial_years(from: NaiveDate, to: NaiveDate) -> Option<Vec<FinancialYear>> {
    let first = FinancialYear::containing(from);
    let last = FinancialYear::containing(to);
    if from != first.first_day() || to != last.last_day() || last < first {
        return None;
    }
    Some(
        (first.start_year()..=last.start_year())
            .map(FinancialYear::starting)
            .collect(),
    )
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn a_financial_year_runs_from_april_to_march() {
        let p: Period = "2025-26".parse().unwrap();
        assert_eq!((p.from(), p.to()), (d("2025-04-01"), d("2026-03-31")));
        assert_eq!(p.to_string(), "2025-26");
    }

    #[test]
    fn a_quarter_is_read_as_its_months_and_calendar_year_then_its_code() {
        let q = |s: &str| match s.parse::<Period>().unwrap() {
            Period::Quarter(q) => q,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            q("2026-27-Q3").long_name(),
            "October to December 2026 (Q3 2026-27)"
        );
        assert_eq!(
            q("2026-27-Q4").long_name(),
            "January to March 2027 (Q4 2026-27)"
        );
        assert_eq!(
            q("2025-26-Q1").long_name(),
            "April to June 2025 (Q1 2025-26)"
        );
        assert_eq!(
            q("2025-26-Q2").long_name(),
            "July to September 2025 (Q2 2025-26)"
        );
    }

    #[test]
    fn the_year_that_crosses_a_century_is_written_99_00() {
        let p: Period = "2099-00".parse().unwrap();
        assert_eq!(p.to(), d("2100-03-31"));
        assert_eq!(p.to_string(), "2099-00");
    }

    #[test]
    fn quarters_follow_the_financial_year() {
        let cases = [
            ("2025-26-Q1", "2025-04-01", "2025-06-30"),
            ("2025-26-Q2", "2025-07-01", "2025-09-30"),
            ("2025-26-Q3", "2025-10-01", "2025-12-31"),
            ("2025-26-Q4", "2026-01-01", "2026-03-31"),
        ];
        for (text, from, to) in cases {
            let p: Period = text.parse().unwrap();
            assert_eq!((p.from(), p.to()), (d(from), d(to)), "{text}");
            assert_eq!(p.to_string(), text);
        }
        assert_eq!(
            "2025-26-q3".parse::<Period>().unwrap().to_string(),
            "2025-26-Q3"
        );
    }

    #[test]
    fn a_date_range_is_inclusive_and_may_end_on_a_leap_day() {
        let p: Period = "2024-02-01..2024-02-29".parse().unwrap();
        assert!(p.contains(d("2024-02-29")));
        assert!(p.contains(d("2024-02-01")));
        assert!(!p.contains(d("2024-03-01")));
        assert_eq!(
            "2023-02-01..2023-02-29".parse::<Period>().unwrap_err(),
            PeriodError::Date("2023-02-29".into())
        );
    }

    #[test]
    fn a_range_must_cover_whole_months() {
        // Finding 1 of issue 21: a one-day report is one person's record.
        for text in [
            "2024-04-03..2024-04-03",
            "2024-04-01..2024-04-07",
            "2024-04-01..2024-04-15",
            "2024-04-16..2024-05-31",
            "2024-04-01..2024-02-28",
            "2024-02-01..2024-02-28",
        ] {
            let err = text.parse::<Period>().unwrap_err();
            assert!(
                matches!(
                    err,
                    PeriodError::NotWholeMonths { .. } | PeriodError::EndsBeforeStart { .. }
                ),
                "{text}: {err}"
            );
        }
        let err = "2024-04-03..2024-04-03".parse::<Period>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "'2024-04-03..2024-04-03' is not a report period: a range must cover whole calendar \
             months, from the 1st of a month to the last day of a month; expected a financial \
             year like 2025-26, a quarter like 2025-26-Q3, or whole calendar months like \
             2025-04-01..2025-09-30 (from the 1st of a month to the last day of a month)"
        );
        for text in [
            "2024-04-01..2024-04-30",
            "2024-05-01..2024-07-31",
            "2023-04-01..2025-03-31",
            "2024-12-01..2025-01-31",
        ] {
            assert!(text.parse::<Period>().is_ok(), "{text}");
        }
    }

    #[test]
    fn whole_financial_years_are_one_year_or_a_run() {
        let years = |t: &str| {
            t.parse::<Period>()
                .unwrap()
                .financial_years()
                .map(|ys| ys.iter().map(|y| y.to_string()).collect::<Vec<_>>())
        };
        assert_eq!(years("2024-25"), Some(vec!["2024-25".to_string()]));
        assert_eq!(
            years("2023-04-01..2025-03-31"),
            Some(vec!["2023-24".to_string(), "2024-25".to_string()])
        );
        assert_eq!(
            years("2024-04-01..2025-03-31"),
            Some(vec!["2024-25".to_string()])
        );
        assert_eq!(years("2024-25-Q1"), None);
        assert_eq!(years("2024-04-01..2024-04-30"), None);
        assert_eq!(years("2024-05-01..2025-04-30"), None);
    }

    #[test]
    fn the_29th_of_february_is_a_date_only_in_leap_years() {
        assert!("2024-02-01..2024-02-29".parse::<Period>().is_ok());
        assert_eq!(
            "2025-02-29..2025-12-31".parse::<Period>().unwrap_err(),
            PeriodError::Date("2025-02-29".into())
        );
    }

    #[test]
    fn errors_say_what_was_typed_and_what_is_expected() {
        let err = "2025/26".parse::<Period>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "'2025/26' is not a financial year; expected the start year and the next year's last two digits, like 2025-26"
        );
        assert_eq!(
            "2025-27".parse::<Period>().unwrap_err(),
            PeriodError::YearsNotConsecutive("2025-27".into())
        );
        assert_eq!(
            "2025-26-Q5".parse::<Period>().unwrap_err(),
            PeriodError::Quarter("2025-26-Q5".into())
        );
        assert!(matches!(
            "last year".parse::<Period>().unwrap_err(),
            PeriodError::Unrecognised(_)
        ));
        assert_eq!(
            "2025-05-01..2025-04-01"
                .parse::<Period>()
                .unwrap_err()
                .to_string(),
            "the period starts on 2025-05-01 but ends earlier, on 2025-04-01"
        );
        assert_eq!(
            "2025-04-31..2025-05-31".parse::<Period>().unwrap_err(),
            PeriodError::Date("2025-04-31".into())
        );
    }

    #[test]
    fn found_by_fuzzing_signs_and_multibyte_characters_are_errors_not_dates_or_panics() {
        // A sign made chrono read a five-character year; a sign passed as a digit.
        assert_eq!(
            parse_date("-021-05-01"),
            Err(PeriodError::Date("-021-05-01".into()))
        );
        assert!(parse_date("+202-04-01").is_err());
        assert!("-021-05-01..4050-04-01".parse::<Period>().is_err());
        assert_eq!(
            "2005-+6".parse::<Period>(),
            Err(PeriodError::FinancialYear("2005-+6".into()))
        );
        // A two-byte character across byte 7 of a ten-byte text panicked on slicing.
        assert!(matches!(
            "2025-2éQ1".parse::<Period>(),
            Err(PeriodError::Unrecognised(_))
        ));
        assert!("2025-26-Qé".parse::<Period>().is_err());
    }

    #[test]
    fn the_quarter_containing_a_date() {
        assert_eq!(
            Quarter::containing(d("2026-03-31")).to_string(),
            "2025-26-Q4"
        );
        assert_eq!(
            Quarter::containing(d("2025-04-01")).to_string(),
            "2025-26-Q1"
        );
        assert_eq!(
            Quarter::containing(d("2025-12-31")).to_string(),
            "2025-26-Q3"
        );
    }

    #[test]
    fn a_year_has_four_quarters_and_a_range_lists_the_quarters_it_touches() {
        let y: Period = "2025-26".parse().unwrap();
        let names: Vec<String> = y.quarters().iter().map(|q| q.to_string()).collect();
        assert_eq!(
            names,
            ["2025-26-Q1", "2025-26-Q2", "2025-26-Q3", "2025-26-Q4"]
        );
        let r: Period = "2025-06-01..2025-07-31".parse().unwrap();
        assert_eq!(r.quarters().len(), 2);
    }
}
