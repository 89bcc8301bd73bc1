//! `Day`: a date column read as fast as each backend allows, for the queries that read
//! hundreds of thousands of dates (a report's rows, `store::report_rows`).
//!
//! SQLite stores dates as `YYYY-MM-DD` text, and diesel reads them with chrono's general
//! `parse_from_str`, which interprets its format string for every value: at national
//! scale a report spent a tenth of its time there (docs/performance.md). `Day` reads the
//! fixed shape directly and falls back to chrono for anything else. PostgreSQL sends
//! dates as binary day numbers; `Day` uses diesel's own conversion there.

use chrono::NaiveDate;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::pg::Pg;
use diesel::sql_types::Date;
use diesel::sqlite::Sqlite;

use super::{MultiBackend, MultiRawValue};

/// A date read from a `Date` column (`Option<Day>` from a nullable one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, FromSqlRow)]
pub struct Day(pub NaiveDate);

/// `YYYY-MM-DD` with a four-digit year, or `None`.
fn parse_ymd(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        b[range].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

impl FromSql<Date, Sqlite> for Day {
    fn from_sql(
        mut value: <Sqlite as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        let text = value.read_text();
        match parse_ymd(text) {
            Some(d) => Ok(Day(d)),
            None => Ok(Day(NaiveDate::parse_from_str(text, "%Y-%m-%d")?)),
        }
    }
}

impl FromSql<Date, Pg> for Day {
    fn from_sql(
        value: <Pg as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        <NaiveDate as FromSql<Date, Pg>>::from_sql(value).map(Day)
    }
}

impl FromSql<Date, MultiBackend> for Day {
    fn from_sql(value: MultiRawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Self, Date>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Days;

    #[test]
    fn the_fixed_shape_reads_as_chrono_reads_it() {
        let mut d = NaiveDate::from_ymd_opt(1000, 1, 1).unwrap();
        let end = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();
        while d <= end {
            assert_eq!(parse_ymd(&d.to_string()), Some(d));
            d = d + Days::new(13);
        }
        for bad in [
            "2025-02-29",
            "2025-13-01",
            "2025-1-01",
            "20250101xx",
            "2025/01/01",
            "+025-01-01",
            "2025-0a-01",
            "",
        ] {
            assert_eq!(parse_ymd(bad), None, "{bad}");
        }
    }
}
