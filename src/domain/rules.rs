//! The casework rules, each written once: the field parsers and the record rules that
//! forms, the JSON API, CSV imports and corrections all apply.
//!
//! Every rule is a pure function returning `Result<_, RuleError>`. A `RuleError` renders
//! in two wordings: `sentence(label)`, the GOV.UK sentence a caseworker reads beside the
//! field ("Enter the date of the referral"), and `expected()`, the end of an import
//! row's message ("line 3, column date: '06/11/2026' — a real date as YYYY-MM-DD …").
//! `validation::Input` (pages, API, edits) and `imports::csvfile::Row` (imports) are thin
//! collectors over these functions, the way `lifecycle` is shared.

use chrono::NaiveDate;

use super::enums::{AttendanceStatus, ProgrammeKind, Vocabulary};

/// What is wrong with one value, independent of where it came from.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleError {
    /// Nothing was given where something is required.
    Missing {
        date: bool,
    },
    TooLong {
        max: usize,
    },
    NotADate,
    InFuture {
        today: NaiveDate,
    },
    /// A date that must be before today (a date of birth).
    NotInPast {
        today: NaiveDate,
    },
    /// Not a word of a closed vocabulary.
    UnknownWord {
        what: &'static str,
        value: String,
        expected: String,
        empty: bool,
    },
    NotWholeInRange {
        min: i64,
        max: i64,
    },
    NotNumberInRange {
        min: f64,
        max: f64,
    },
    NotANumber,
    /// Immediate Justice referrals need 5 to 20 reparation hours.
    ImmediateJusticeHours,
    /// Attendance hours outside 0 to 24.
    AttendanceHours {
        referral: String,
    },
    /// Hours credited to a referral that did not attend.
    HoursWithoutAttendance {
        referral: String,
    },
    /// A referral on the register of another programme's session.
    OtherProgramme {
        referral: String,
        theirs: String,
        ours: String,
    },
    /// A session dated before the referral was made.
    SessionBeforeReferral {
        referral: String,
        referred_on: NaiveDate,
        session: NaiveDate,
    },
    /// A value outside a measure's range.
    OutOfRange {
        min: f64,
        max: f64,
        measure: String,
    },
    /// A date before the referral it belongs to.
    BeforeReferral {
        date: NaiveDate,
        referred_on: NaiveDate,
    },
}

impl RuleError {
    /// The caseworker's sentence, `label` naming the field ("the date of the session").
    pub fn sentence(&self, label: &str) -> String {
        match self {
            RuleError::Missing { .. } => format!("Enter {label}"),
            RuleError::TooLong { max } => format!("Must be {max} characters or fewer"),
            RuleError::NotADate => format!("{} must be a real date, like 2025-04-01", capitalise(label)),
            RuleError::InFuture { today } => {
                format!("{} must be today or in the past (today is {today})", capitalise(label))
            }
            RuleError::NotInPast { today } => {
                format!("{} must be in the past (today is {today})", capitalise(label))
            }
            RuleError::UnknownWord { what, value, expected, empty } => {
                if *empty {
                    format!("Select the {what}")
                } else {
                    format!("'{value}' is not a valid {what}; choose one of: {expected}")
                }
            }
            RuleError::NotWholeInRange { min, max } => {
                format!("Enter a whole number from {min} to {max}")
            }
            RuleError::NotNumberInRange { min, max } => format!("Enter a number from {min} to {max}"),
            RuleError::NotANumber => {
                format!("{} must be a number, like 3 or 2.5", capitalise(label))
            }
            RuleError::ImmediateJusticeHours => {
                "Enter the reparation hours required, from 5 to 20 for Immediate Justice".into()
            }
            RuleError::AttendanceHours { referral } => {
                format!("Enter hours for referral {referral} from 0 to 24")
            }
            RuleError::HoursWithoutAttendance { referral } => {
                format!("Hours can only be credited to referral {referral} when they attended")
            }
            RuleError::OtherProgramme { referral, theirs, ours } => format!(
                "Referral {referral} is to the programme '{theirs}', not this session's programme '{ours}'"
            ),
            RuleError::SessionBeforeReferral { referral, referred_on, session } => {
                format!("Referral {referral} was made on {referred_on}, after this session ({session})")
            }
            RuleError::OutOfRange { min, max, measure } => {
                format!("Enter a value from {min} to {max} (the range of '{measure}')")
            }
            RuleError::BeforeReferral { date, referred_on } => {
                format!("The date {date} is before the referral date {referred_on}")
            }
        }
    }

    /// What an import row is told is expected instead of its value.
    pub fn expected(&self) -> String {
        match self {
            RuleError::Missing { date: true } => "a date is required, as YYYY-MM-DD".into(),
            RuleError::Missing { date: false } => "a value is required".into(),
            RuleError::TooLong { max } => format!("at most {max} characters"),
            RuleError::NotADate => "a real date as YYYY-MM-DD or DD/MM/YYYY, e.g. 2025-04-01".into(),
            RuleError::InFuture { today } => format!("a date no later than today ({today})"),
            RuleError::NotInPast { today } => format!("a date before today ({today})"),
            RuleError::UnknownWord { expected, .. } => format!("one of: {expected}"),
            RuleError::NotWholeInRange { min, max } => {
                format!("a whole number from {min} to {max}")
            }
            RuleError::NotNumberInRange { min, max } => format!("a number from {min} to {max}"),
            RuleError::NotANumber => "a number, e.g. 3 or 2.5".into(),
            RuleError::ImmediateJusticeHours => "between 5 and 20 hours for Immediate Justice".into(),
            RuleError::AttendanceHours { .. } => "a number from 0 to 24".into(),
            RuleError::HoursWithoutAttendance { .. } => {
                "empty or 0 unless the status is attended".into()
            }
            RuleError::OtherProgramme { theirs, ours, .. } => format!(
                "a referral to the session's programme '{ours}' (this referral is to '{theirs}')"
            ),
            RuleError::SessionBeforeReferral { referred_on, session, .. } => format!(
                "a session on or after the referral date {referred_on} (the session was on {session})"
            ),
            RuleError::OutOfRange { min, max, measure } => {
                format!("a value from {min} to {max} (the range of '{measure}')")
            }
            RuleError::BeforeReferral { referred_on, .. } => {
                format!("a date on or after the referral date {referred_on}")
            }
        }
    }
}

/// Upper-cases the first letter.
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

// --- field parsers ----------------------------------------------------------------------

/// Text of at most `max` characters; `Ok(None)` when empty.
pub fn text(v: &str, max: usize) -> Result<Option<String>, RuleError> {
    if v.chars().count() > max {
        return Err(RuleError::TooLong { max });
    }
    Ok((!v.is_empty()).then(|| v.to_string()))
}

/// A date as YYYY-MM-DD, no later than `latest` when given; `Ok(None)` when empty.
pub fn date(v: &str, latest: Option<NaiveDate>) -> Result<Option<NaiveDate>, RuleError> {
    if v.is_empty() {
        return Ok(None);
    }
    let d = super::period::parse_date(v)
        .ok()
        .or_else(|| day_month_year(v))
        .ok_or(RuleError::NotADate)?;
    match latest {
        Some(today) if d > today => Err(RuleError::InFuture { today }),
        _ => Ok(Some(d)),
    }
}

/// A date written the British way, `DD/MM/YYYY` (a day or month of one digit too), as
/// spreadsheets save dates typed as text. The year must have four digits, so it cannot
/// be mistaken for ISO; `MM/DD` is never guessed (a month above 12 is not a date).
fn day_month_year(v: &str) -> Option<NaiveDate> {
    let mut parts = v.trim().split('/');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |p: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
    };
    if parts.next().is_some() || !digits(d, 1..=2) || !digits(m, 1..=2) || !digits(y, 4..=4) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// A word of a closed vocabulary (empty is an unknown word, marked empty).
/// Read forgivingly: any case, surrounding spaces, and the value's label (see
/// [`Vocabulary`]).
pub fn word<T: Vocabulary>(v: &str) -> Result<T, RuleError> {
    T::parse_loose(v).map_err(|e| RuleError::UnknownWord {
        what: e.what,
        value: v.to_string(),
        expected: e.expected,
        empty: v.is_empty(),
    })
}

/// A word, or `default` when empty.
pub fn word_or<T: Vocabulary>(v: &str, default: T) -> Result<T, RuleError> {
    if v.is_empty() {
        Ok(default)
    } else {
        word(v)
    }
}

/// A whole number within `min..=max`; `Ok(None)` when empty.
pub fn whole(v: &str, min: i64, max: i64) -> Result<Option<i64>, RuleError> {
    if v.is_empty() {
        return Ok(None);
    }
    match v.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(RuleError::NotWholeInRange { min, max }),
    }
}

/// A number within `min..=max`; `Ok(None)` when empty.
pub fn number_in(v: &str, min: f64, max: f64) -> Result<Option<f64>, RuleError> {
    if v.is_empty() {
        return Ok(None);
    }
    match v.parse::<f64>() {
        Ok(n) if n.is_finite() && n >= min && n <= max => Ok(Some(n)),
        _ => Err(RuleError::NotNumberInRange { min, max }),
    }
}

/// Any finite number (required).
pub fn number(v: &str) -> Result<f64, RuleError> {
    match v.parse::<f64>() {
        Ok(n) if n.is_finite() => Ok(n),
        _ if v.is_empty() => Err(RuleError::Missing { date: false }),
        _ => Err(RuleError::NotANumber),
    }
}

// --- record rules -----------------------------------------------------------------------

/// Reparation hours required by a referral: 5 to 20 for Immediate Justice (and given,
/// when `must_give`: pages, API and corrections; older import files may leave it empty),
/// 0 to 1000 otherwise.
pub fn required_hours(
    kind: ProgrammeKind,
    hours: Option<f64>,
    must_give: bool,
) -> Result<Option<f64>, RuleError> {
    if kind != ProgrammeKind::ImmediateJustice {
        return match hours {
            Some(h) if !(0.0..=1000.0).contains(&h) => Err(RuleError::NotNumberInRange {
                min: 0.0,
                max: 1000.0,
            }),
            h => Ok(h),
        };
    }
    match hours {
        Some(h) if (5.0..=20.0).contains(&h) => Ok(Some(h)),
        None if !must_give => Ok(None),
        _ => Err(RuleError::ImmediateJusticeHours),
    }
}

/// The hours of a register line as typed: empty, or 0 to 24.
pub fn attendance_hours(v: &str, referral: &str) -> Result<Option<f64>, RuleError> {
    number_in(v, 0.0, 24.0).map_err(|_| RuleError::AttendanceHours {
        referral: referral.to_string(),
    })
}

/// One side of a register line: a programme (id and name) and a date.
#[derive(Debug, Clone, Copy)]
pub struct Dated<'a> {
    pub programme: i64,
    pub programme_name: &'a str,
    pub date: NaiveDate,
}

/// Whether a referral may be on a session's register: the session's own programme, on or
/// after the referral date. `referral` is how the referral is named in a message.
pub fn attendance_belongs(session: Dated, referral: Dated, name: &str) -> Result<(), RuleError> {
    if session.programme != referral.programme {
        return Err(RuleError::OtherProgramme {
            referral: name.to_string(),
            theirs: referral.programme_name.to_string(),
            ours: session.programme_name.to_string(),
        });
    }
    if session.date < referral.date {
        return Err(RuleError::SessionBeforeReferral {
            referral: name.to_string(),
            referred_on: referral.date,
            session: session.date,
        });
    }
    Ok(())
}

/// Hours are credited only to attendance.
pub fn attendance_mark(
    status: AttendanceStatus,
    hours: Option<f64>,
    name: &str,
) -> Result<(), RuleError> {
    if status != AttendanceStatus::Attended && hours.is_some_and(|h| h > 0.0) {
        return Err(RuleError::HoursWithoutAttendance {
            referral: name.to_string(),
        });
    }
    Ok(())
}

/// A value within a measure's range.
pub fn in_measure_range(value: f64, min: f64, max: f64, measure: &str) -> Result<(), RuleError> {
    if value < min || value > max {
        return Err(RuleError::OutOfRange {
            min,
            max,
            measure: measure.to_string(),
        });
    }
    Ok(())
}

/// A date (of an outcome record) on or after the referral date.
pub fn not_before_referral(date: NaiveDate, referred_on: NaiveDate) -> Result<(), RuleError> {
    if date < referred_on {
        return Err(RuleError::BeforeReferral { date, referred_on });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn british_dates_are_read_and_never_taken_for_american_ones() {
        assert_eq!(date("01/04/2025", None), Ok(Some(d("2025-04-01"))));
        assert_eq!(date(" 1/4/2025 ", None), Ok(Some(d("2025-04-01"))));
        assert_eq!(date("31/12/2024", None), Ok(Some(d("2024-12-31"))));
        // A month above 12 is refused, not read as MM/DD.
        assert_eq!(date("04/13/2025", None), Err(RuleError::NotADate));
        assert_eq!(date("31/04/2025", None), Err(RuleError::NotADate));
        assert_eq!(date("01/04/25", None), Err(RuleError::NotADate));
        assert_eq!(date("2025/04/01", None), Err(RuleError::NotADate));
        assert_eq!(date("01/04/2025/1", None), Err(RuleError::NotADate));
        let today = d("2025-04-01");
        assert!(matches!(
            date("02/04/2025", Some(today)),
            Err(RuleError::InFuture { .. })
        ));
    }

    #[test]
    fn one_error_reads_as_a_sentence_and_as_an_import_expectation() {
        let e = date("2025-13-01", None).unwrap_err();
        assert_eq!(
            e.sentence("the date of the session"),
            "The date of the session must be a real date, like 2025-04-01"
        );
        assert_eq!(
            e.expected(),
            "a real date as YYYY-MM-DD or DD/MM/YYYY, e.g. 2025-04-01"
        );
        let e = date("2025-12-02", Some(d("2025-12-01"))).unwrap_err();
        assert_eq!(e.expected(), "a date no later than today (2025-12-01)");
    }

    #[test]
    fn immediate_justice_hours_are_5_to_20_and_required_except_in_old_imports() {
        let ij = ProgrammeKind::ImmediateJustice;
        assert_eq!(required_hours(ij, Some(5.0), true), Ok(Some(5.0)));
        assert_eq!(required_hours(ij, Some(20.0), true), Ok(Some(20.0)));
        assert_eq!(
            required_hours(ij, Some(4.5), false),
            Err(RuleError::ImmediateJusticeHours)
        );
        assert_eq!(
            required_hours(ij, Some(21.0), true),
            Err(RuleError::ImmediateJusticeHours)
        );
        assert_eq!(
            required_hours(ij, None, true),
            Err(RuleError::ImmediateJusticeHours)
        );
        assert_eq!(required_hours(ij, None, false), Ok(None));
    }

    #[test]
    fn a_register_line_belongs_to_the_sessions_programme_on_or_after_the_referral() {
        let s = Dated {
            programme: 1,
            programme_name: "A",
            date: d("2025-05-01"),
        };
        let same_day = Dated {
            programme: 1,
            programme_name: "A",
            date: d("2025-05-01"),
        };
        let later = Dated {
            programme: 1,
            programme_name: "A",
            date: d("2025-05-02"),
        };
        let other = Dated {
            programme: 2,
            programme_name: "B",
            date: d("2025-04-01"),
        };
        assert!(attendance_belongs(s, same_day, "R1").is_ok());
        assert!(matches!(
            attendance_belongs(s, later, "R1"),
            Err(RuleError::SessionBeforeReferral { .. })
        ));
        let e = attendance_belongs(s, other, "R1").unwrap_err();
        assert_eq!(
            e.expected(),
            "a referral to the session's programme 'A' (this referral is to 'B')"
        );
        assert!(attendance_mark(AttendanceStatus::Cancelled, Some(1.0), "R1").is_err());
        assert!(attendance_mark(AttendanceStatus::Cancelled, Some(0.0), "R1").is_ok());
    }

    #[test]
    fn measure_values_stay_within_the_range() {
        assert!(in_measure_range(1.0, 1.0, 5.0, "m").is_ok());
        assert!(in_measure_range(5.0, 1.0, 5.0, "m").is_ok());
        assert_eq!(
            in_measure_range(0.0, 1.0, 5.0, "m")
                .unwrap_err()
                .sentence("x"),
            "Enter a value from 1 to 5 (the range of 'm')"
        );
    }
}
