//! How counts, money and dates are written for people, the same on every page and in every
//! report format: `8,364`, `£85,000.00`, `14 May 2025`, `14 May 2025 at 09:30 UTC`. Rates
//! and the other report figures are formatted by `reports::view::format_value`, which
//! writes its counts and money with these.

use chrono::{NaiveDate, NaiveDateTime};

/// A whole number with thousands separators: 8364 → "8,364", -1200 → "-1,200".
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An amount held in pence, in pounds with pence: 8_500_000 → "£85,000.00".
pub fn money_pence(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    format!(
        "{sign}£{}.{:02}",
        count((pence / 100).abs()),
        (pence % 100).abs()
    )
}

/// A date as people write it: "14 May 2025".
pub fn date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// A moment (UTC): "14 May 2025 at 09:30 UTC".
pub fn moment(t: NaiveDateTime) -> String {
    format!("{} at {} UTC", date(t.date()), t.format("%H:%M"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(8364), "8,364");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(-1200), "-1,200");
    }

    #[test]
    fn money_is_pounds_and_pence_with_separators() {
        assert_eq!(money_pence(8_500_000), "£85,000.00");
        assert_eq!(money_pence(5), "£0.05");
        assert_eq!(money_pence(123_456_789), "£1,234,567.89");
        assert_eq!(money_pence(-150), "-£1.50");
    }

    #[test]
    fn dates_and_moments_read_as_people_write_them() {
        let d = NaiveDate::from_ymd_opt(2025, 5, 4).unwrap();
        assert_eq!(date(d), "4 May 2025");
        assert_eq!(
            moment(d.and_hms_opt(9, 30, 59).unwrap()),
            "4 May 2025 at 09:30 UTC"
        );
    }
}
