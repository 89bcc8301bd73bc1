//! A date typed the GOV.UK way, as day, month and year in three boxes
//! (design-system.service.gov.uk/components/date-input), read the way people type it.
//!
//! Accepted: a day of 1 or 2 digits (`5`, `05`); a month as 1 or 2 digits or its name,
//! in any case, whole or cut to at least three letters, with or without a full stop
//! (`May`, `may`, `Sept`, `sep.`, `september`); a year of exactly 4 digits. A 2-digit
//! year is refused rather than guessed: `08` could be 2008 or 1908 for a date of birth.
//! A refusal says which boxes are wrong, so a page highlights only those, and words the
//! message in the GOV.UK pattern ("Date of birth must include a month").
//! Pages use this; the JSON API and CSV files keep ISO dates (`rules::date`).

use chrono::{Datelike, NaiveDate};

/// One box of the date input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Day,
    Month,
    Year,
}

impl Part {
    pub const ALL: [Part; 3] = [Part::Day, Part::Month, Part::Year];

    /// The box's name suffix and word: `day`, `month`, `year`.
    pub fn word(self) -> &'static str {
        match self {
            Part::Day => "day",
            Part::Month => "month",
            Part::Year => "year",
        }
    }
}

/// Why three boxes are not a date. `parts()` are the boxes to highlight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateInputError {
    /// Nothing in any box.
    Empty,
    /// These boxes are empty (the others are not).
    Incomplete(Vec<Part>),
    /// The year is a number but not of 4 digits.
    YearDigits,
    /// These boxes hold something that cannot be part of a real date (a 13th month,
    /// 31 April: the day), or letters where a number belongs.
    NotReal(Vec<Part>),
}

impl DateInputError {
    /// The boxes to highlight.
    pub fn parts(&self) -> Vec<Part> {
        match self {
            DateInputError::Empty => Part::ALL.to_vec(),
            DateInputError::Incomplete(p) | DateInputError::NotReal(p) => p.clone(),
            DateInputError::YearDigits => vec![Part::Year],
        }
    }

    /// The GOV.UK message; `label` names the date ("the date of birth").
    pub fn sentence(&self, label: &str) -> String {
        let subject = subject(label);
        match self {
            DateInputError::Empty => format!("Enter {}", label.trim()),
            DateInputError::Incomplete(parts) => {
                let words: Vec<&str> = parts.iter().map(|p| p.word()).collect();
                let list = match words.as_slice() {
                    [one] => format!("a {one}"),
                    [a, b] => format!("a {a} and {b}"),
                    _ => words.join(", "),
                };
                format!("{subject} must include {list}")
            }
            DateInputError::YearDigits => {
                format!("{subject} must include a year of 4 numbers, like 2008")
            }
            DateInputError::NotReal(_) => format!("{subject} must be a real date"),
        }
    }
}

/// "the date of birth" → "Date of birth": the GOV.UK messages start with the field's name.
pub fn subject(label: &str) -> String {
    let label = label.trim();
    let rest = label
        .strip_prefix("the ")
        .or_else(|| label.strip_prefix("The "))
        .unwrap_or(label);
    super::rules::capitalise(rest)
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn digits(v: &str, most: usize) -> Option<u32> {
    (!v.is_empty() && v.len() <= most && v.bytes().all(|b| b.is_ascii_digit()))
        .then(|| v.parse().ok())
        .flatten()
}

/// A month as a number (1-12) or a name cut to at least three letters (or `sept`).
fn month(v: &str) -> Option<u32> {
    if let Some(n) = digits(v, 2) {
        return (1..=12).contains(&n).then_some(n);
    }
    let name = v.strip_suffix('.').unwrap_or(v).to_lowercase();
    if name == "sept" {
        return Some(9);
    }
    if name.chars().count() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| m.starts_with(&name))
        .map(|i| i as u32 + 1)
}

/// Reads three boxes as a date (each trimmed).
pub fn parse(day: &str, month_box: &str, year: &str) -> Result<NaiveDate, DateInputError> {
    let (d, m, y) = (day.trim(), month_box.trim(), year.trim());
    let missing: Vec<Part> = Part::ALL
        .into_iter()
        .zip([d, m, y])
        .filter(|(_, v)| v.is_empty())
        .map(|(p, _)| p)
        .collect();
    if missing.len() == 3 {
        return Err(DateInputError::Empty);
    }
    if !missing.is_empty() {
        return Err(DateInputError::Incomplete(missing));
    }
    let day_n = digits(d, 2).filter(|n| (1..=31).contains(n));
    let month_n = month(m);
    let year_all_digits = y.bytes().all(|b| b.is_ascii_digit());
    let year_n = (year_all_digits && y.len() == 4)
        .then(|| y.parse::<i32>().ok())
        .flatten();
    let mut wrong = Vec::new();
    if day_n.is_none() {
        wrong.push(Part::Day);
    }
    if month_n.is_none() {
        wrong.push(Part::Month);
    }
    if !year_all_digits {
        wrong.push(Part::Year);
    }
    if !wrong.is_empty() {
        return Err(DateInputError::NotReal(wrong));
    }
    let (Some(day_n), Some(month_n), Some(year_n)) = (day_n, month_n, year_n) else {
        return Err(DateInputError::YearDigits);
    };
    NaiveDate::from_ymd_opt(year_n, month_n, day_n)
        .ok_or_else(|| DateInputError::NotReal(vec![Part::Day]))
}

/// The three boxes of an ISO date, as a page pre-fills them (`5`, `6`, `2011`).
pub fn boxes(d: NaiveDate) -> [String; 3] {
    [
        d.day().to_string(),
        d.month().to_string(),
        d.year().to_string(),
    ]
}

/// A hint's example: "For example, 27 3 2011".
pub fn example(d: NaiveDate) -> String {
    let [day, month, year] = boxes(d);
    format!("For example, {day} {month} {year}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use DateInputError::*;
    use Part::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn what_people_type_is_read_as_the_date_they_mean() {
        let table: &[((&str, &str, &str), NaiveDate)] = &[
            (("14", "5", "2008"), date(2008, 5, 14)),
            (("14", "05", "2008"), date(2008, 5, 14)),
            (("5", "5", "2008"), date(2008, 5, 5)),
            (("05", "05", "2008"), date(2008, 5, 5)),
            ((" 5 ", " May ", " 2008 "), date(2008, 5, 5)),
            (("5", "may", "2008"), date(2008, 5, 5)),
            (("5", "MAY", "2008"), date(2008, 5, 5)),
            (("1", "Sept", "2010"), date(2010, 9, 1)),
            (("1", "sep", "2010"), date(2010, 9, 1)),
            (("1", "Sep.", "2010"), date(2010, 9, 1)),
            (("1", "september", "2010"), date(2010, 9, 1)),
            (("1", "Jan", "2010"), date(2010, 1, 1)),
            (("31", "December", "1999"), date(1999, 12, 31)),
            (("29", "2", "2024"), date(2024, 2, 29)),
            (("30", "june", "2026"), date(2026, 6, 30)),
        ];
        for ((d, m, y), want) in table {
            assert_eq!(parse(d, m, y), Ok(*want), "{d}/{m}/{y}");
        }
    }

    #[test]
    fn a_refusal_names_the_wrong_boxes() {
        let table: &[((&str, &str, &str), DateInputError)] = &[
            (("", "", ""), Empty),
            ((" ", "", " "), Empty),
            (("14", "", "2008"), Incomplete(vec![Month])),
            (("", "", "2008"), Incomplete(vec![Day, Month])),
            (("14", "5", ""), Incomplete(vec![Year])),
            (("", "5", ""), Incomplete(vec![Day, Year])),
            (("14", "13", "2008"), NotReal(vec![Month])),
            (("14", "0", "2008"), NotReal(vec![Month])),
            (("32", "5", "2008"), NotReal(vec![Day])),
            (("0", "5", "2008"), NotReal(vec![Day])),
            (("31", "4", "2008"), NotReal(vec![Day])),
            (("29", "2", "2023"), NotReal(vec![Day])),
            (("x", "ma", "2008"), NotReal(vec![Day, Month])),
            (("14", "Mai", "2008"), NotReal(vec![Month])),
            (("14", "5", "20o8"), NotReal(vec![Year])),
            (("14", "5", "-208"), NotReal(vec![Year])),
            (("1.5", "5", "2008"), NotReal(vec![Day])),
            (("14", "5", "08"), YearDigits),
            (("14", "5", "20081"), YearDigits),
            (("14/05/2008", "", ""), Incomplete(vec![Month, Year])),
        ];
        for ((d, m, y), want) in table {
            assert_eq!(parse(d, m, y).as_ref(), Err(want), "{d}/{m}/{y}");
        }
    }

    #[test]
    fn messages_follow_the_govuk_pattern() {
        let label = "the date of birth";
        assert_eq!(Empty.sentence(label), "Enter the date of birth");
        assert_eq!(
            Incomplete(vec![Month]).sentence(label),
            "Date of birth must include a month"
        );
        assert_eq!(
            Incomplete(vec![Day, Year]).sentence(label),
            "Date of birth must include a day and year"
        );
        assert_eq!(
            NotReal(vec![Month]).sentence(label),
            "Date of birth must be a real date"
        );
        assert_eq!(
            YearDigits.sentence("Start date"),
            "Start date must include a year of 4 numbers, like 2008"
        );
        assert_eq!(YearDigits.parts(), vec![Year]);
        assert_eq!(Empty.parts(), vec![Day, Month, Year]);
    }

    #[test]
    fn boxes_and_examples_are_written_without_leading_zeros() {
        assert_eq!(boxes(date(2011, 6, 5)), ["5", "6", "2011"]);
        assert_eq!(example(date(2012, 12, 7)), "For example, 7 12 2012");
        let [d, m, y] = boxes(date(2011, 6, 5));
        assert_eq!(parse(&d, &m, &y), Ok(date(2011, 6, 5)));
    }
}
