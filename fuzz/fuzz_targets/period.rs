//! Period and date parsing (what commissioners type by hand, and every report's `period`).
//!
//! Invariants beyond "no panic":
//! - a period that parses is written back in its one canonical form: the text typed, trimmed
//!   (each side of a range trimmed), up to the case of the `Q`;
//! - that form parses to the same period, and the period's dates are in order, contained
//!   in it, and covered by its quarters;
//! - a date that parses is written back exactly as typed (trimmed);
//! - every error says something.
#![no_main]

use libfuzzer_sys::fuzz_target;
use outcomes::domain::period::{parse_date, Period};

fn canonical(s: &str) -> String {
    let s = s.trim();
    match s.split_once("..") {
        Some((from, to)) => format!("{}..{}", from.trim(), to.trim()),
        None => s.to_ascii_uppercase(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    match parse_date(s) {
        Ok(d) => assert_eq!(d.to_string(), s.trim(), "date {s:?}"),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    match s.parse::<Period>() {
        Ok(p) => {
            let shown = p.to_string();
            assert_eq!(shown, canonical(s), "period {s:?}");
            assert_eq!(shown.parse::<Period>(), Ok(p), "round trip of {shown:?}");
            assert!(p.from() <= p.to(), "{shown}: ends before it starts");
            assert!(p.contains(p.from()) && p.contains(p.to()));
            let quarters = p.quarters();
            let (first, last) = (quarters.first().unwrap(), quarters.last().unwrap());
            assert!(
                first.first_day() <= p.from() && p.to() <= last.last_day(),
                "{shown}"
            );
            assert!(
                quarters.windows(2).all(|w| w[0] < w[1]),
                "{shown}: quarters out of order"
            );
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
