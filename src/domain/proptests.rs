//! Property tests of the domain's parsers (issue 8): what is written back parses to the
//! same value, what cannot be parsed is an error and never a panic, and the rules of
//! DESIGN.md sections 3 and 5 (month-end clamping, police identifier normalisation) hold
//! for every input, not only the examples beside each module. The fuzz targets in fuzz/
//! explore the same parsers from arbitrary bytes.

use chrono::{Datelike, Days, NaiveDate};
use proptest::prelude::*;

use super::calendar::add_months;
use super::enums::*;
use super::period::{parse_date, FinancialYear, Period, PeriodError, Quarter};
use super::person_key::{normalise_police_id, PersonKeySecret};
use super::validation::Input;

fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Any date with a four-digit year (what YYYY-MM-DD can write).
fn date() -> impl Strategy<Value = NaiveDate> {
    let first = NaiveDate::from_ymd_opt(1000, 1, 1).unwrap();
    let last = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();
    let span = (last - first).num_days() as u64;
    (0..=span).prop_map(move |n| first + Days::new(n))
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    next.map(|n| n.pred_opt().unwrap().day()).unwrap_or(31)
}

/// Months since year 0, for checking month arithmetic.
fn month_index(d: NaiveDate) -> i64 {
    d.year() as i64 * 12 + d.month0() as i64
}

fn with_inner_spaces(s: &str, at: &[usize]) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if at.contains(&i) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_financial_year_is_written_as_it_parses(start in 1900i32..=9998) {
        let p = Period::FinancialYear(FinancialYear::starting(start));
        prop_assert_eq!(p.to_string().parse::<Period>(), Ok(p));
        prop_assert_eq!(p.from(), NaiveDate::from_ymd_opt(start, 4, 1).unwrap());
        prop_assert_eq!(p.to(), NaiveDate::from_ymd_opt(start + 1, 3, 31).unwrap());
        prop_assert_eq!(p.quarters().len(), 4);
    }

    #[test]
    fn years_that_do_not_follow_each_other_are_refused(start in 1900i32..=9998, end in 0i32..100) {
        prop_assume!((start + 1) % 100 != end);
        let text = format!("{start}-{end:02}");
        prop_assert_eq!(text.parse::<Period>(), Err(PeriodError::YearsNotConsecutive(text.clone())));
    }

    #[test]
    fn a_quarter_is_written_as_it_parses_in_either_case(start in 1900i32..=9998, q in 1u8..=4) {
        let quarter = Quarter::new(FinancialYear::starting(start), q).unwrap();
        let p = Period::Quarter(quarter);
        let text = p.to_string();
        prop_assert_eq!(text.parse::<Period>(), Ok(p));
        prop_assert_eq!(text.to_lowercase().parse::<Period>(), Ok(p));
        let year = Period::FinancialYear(quarter.year());
        prop_assert!(year.contains(p.from()) && year.contains(p.to()));
        prop_assert_eq!(p.quarters(), vec![quarter]);
    }

    #[test]
    fn only_quarters_1_to_4_exist(start in 1900i32..=9998, q in prop_oneof![Just(0u8), 5u8..=9]) {
        let text = format!("{}-Q{q}", FinancialYear::starting(start));
        prop_assert_eq!(text.parse::<Period>(), Err(PeriodError::Quarter(text.clone())));
    }

    #[test]
    fn a_date_range_is_written_as_it_parses_and_may_be_spaced(a in date(), b in date()) {
        let (from, to) = (a.min(b), a.max(b));
        // Whole months: the 1st of the first, the last day of the second (issue 21).
        let from = from.with_day(1).unwrap();
        let to = to.with_day(days_in_month(to.year(), to.month())).unwrap();
        let p = Period::Range { from, to };
        prop_assert_eq!(p.to_string().parse::<Period>(), Ok(p));
        prop_assert_eq!(format!(" {from} .. {to} ").parse::<Period>(), Ok(p));
        if from != to {
            prop_assert_eq!(
                format!("{to}..{from}").parse::<Period>(),
                Err(PeriodError::EndsBeforeStart { from: to, to: from })
            );
        }
    }

    #[test]
    fn a_range_not_of_whole_months_is_refused_naming_the_accepted_forms(a in date(), b in date()) {
        let (from, to) = (a.min(b), a.max(b));
        prop_assume!(from.day() != 1 || to.day() != days_in_month(to.year(), to.month()));
        let err = format!("{from}..{to}").parse::<Period>().unwrap_err();
        prop_assert_eq!(&err, &PeriodError::NotWholeMonths { from, to });
        prop_assert!(err.to_string().contains("a financial year like 2025-26"));
    }

    #[test]
    fn any_text_is_a_period_or_an_error_that_says_what_was_typed(s in "\\PC{0,24}") {
        match s.parse::<Period>() {
            Ok(p) => prop_assert_eq!(p.to_string().parse::<Period>(), Ok(p)),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn period_shaped_text_never_panics(s in "[0-9]{4}[-/][0-9Qq]{2}([-.][0-9A-Za-zé]{1,3})?(\\.\\.[0-9-]{10})?") {
        if let Ok(p) = s.parse::<Period>() {
            prop_assert_eq!(p.to_string().parse::<Period>(), Ok(p));
        }
    }

    #[test]
    fn a_date_is_written_as_it_parses(d in date()) {
        prop_assert_eq!(parse_date(&d.to_string()), Ok(d));
        prop_assert_eq!(parse_date(&format!("  {d}\t")), Ok(d));
    }

    #[test]
    fn only_real_calendar_dates_parse(y in 1000i32..=9999, m in 0u32..=13, day in 0u32..=32) {
        let text = format!("{y:04}-{m:02}-{day:02}");
        let real = NaiveDate::from_ymd_opt(y, m, day);
        prop_assert_eq!(parse_date(&text).ok(), real);
    }

    #[test]
    fn form_dates_go_through_the_same_parser_and_refuse_the_future(d in date(), ahead in 1u64..400) {
        let mut input = Input::from_pairs([("on".to_string(), format!(" {d} "))]);
        prop_assert_eq!(input.date("on", "the date", None), Some(d));
        prop_assert_eq!(input.date("on", "the date", Some(d)), Some(d));
        prop_assert!(input.errors.is_empty());
        // Only a later date that YYYY-MM-DD can write (year 9999 at most) can be typed.
        if let Some(later) = d.checked_add_days(Days::new(ahead)).filter(|l| l.year() <= 9999) {
            let mut input = Input::from_pairs([("on".to_string(), later.to_string())]);
            prop_assert_eq!(input.date("on", "the date", Some(d)), None);
            prop_assert!(input.errors[0].message.starts_with("The date must be today or in the past"));
        }
    }

    #[test]
    fn a_form_date_that_is_not_a_date_is_a_field_error(s in "\\PC{1,12}") {
        prop_assume!(parse_date(&s).is_err() && !s.trim().is_empty());
        let mut input = Input::from_pairs([("on".to_string(), s)]);
        prop_assert_eq!(input.opt_date("on", "the date", None), None);
        prop_assert_eq!(input.errors.len(), 1);
        prop_assert_eq!(&input.errors[0].message, "The date must be a real date, like 2025-04-01");
    }

    #[test]
    fn add_months_lands_in_the_right_month_clamped_to_its_end(d in date(), n in -240i32..=240) {
        let moved = add_months(d, n);
        prop_assert_eq!(month_index(moved), month_index(d) + n as i64);
        prop_assert_eq!(moved.day(), d.day().min(days_in_month(moved.year(), moved.month())));
    }

    #[test]
    fn add_months_keeps_order_and_undoes_itself_before_the_29th(a in date(), b in date(), n in -240i32..=240) {
        let (early, late) = (a.min(b), a.max(b));
        prop_assert!(add_months(early, n) <= add_months(late, n));
        prop_assert_eq!(add_months(a, 0), a);
        if a.day() <= 28 {
            prop_assert_eq!(add_months(add_months(a, n), -n), a);
        }
    }

    #[test]
    fn police_identifier_normalisation_is_idempotent(s in "\\PC{0,30}") {
        if let Ok(n) = normalise_police_id(&s) {
            prop_assert_eq!(normalise_police_id(&n), Ok(n.clone()));
            prop_assert!(n.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '/' || c == '-'));
        }
    }

    #[test]
    fn person_keys_ignore_case_and_spaces(
        id in "[A-Za-z0-9/-]{1,40}",
        lower in any::<bool>(),
        spaces in proptest::collection::vec(0usize..40, 0..4),
    ) {
        let secret = PersonKeySecret::new(b"proptest secret".to_vec());
        let keyer = super::person_key::Keyer::new(&secret);
        let canonical = id.to_ascii_uppercase();
        let cased = if lower { id.to_ascii_lowercase() } else { id.clone() };
        let typed = format!(" \t{}  ", with_inner_spaces(&cased, &spaces));
        prop_assert_eq!(normalise_police_id(&typed), Ok(canonical.clone()));
        prop_assert_eq!(keyer.key(&typed), keyer.key(&canonical));
    }

    #[test]
    fn a_refused_police_identifier_is_never_echoed(s in "[A-Za-z0-9]{3,10}[*#!.@][A-Za-z0-9]{0,10}") {
        let err = normalise_police_id(&s).unwrap_err();
        prop_assert!(!err.to_string().contains(&s));
        prop_assert!(!err.to_string().to_uppercase().contains(&s.to_uppercase()));
    }
}

/// What the tests need of a `word_enum!`.
trait Word:
    std::str::FromStr<Err = UnknownValue>
    + Copy
    + PartialEq
    + std::fmt::Debug
    + serde::Serialize
    + serde::de::DeserializeOwned
    + 'static
{
    const WHAT: &'static str;
    fn all() -> &'static [Self];
    fn word(self) -> &'static str;
}

macro_rules! words {
    ($($name:ident),+ $(,)?) => {
        $(impl Word for $name {
            const WHAT: &'static str = $name::WHAT;
            fn all() -> &'static [Self] {
                $name::ALL
            }
            fn word(self) -> &'static str {
                self.as_str()
            }
        })+

        /// Runs `check::<T>(arg)` for every vocabulary.
        macro_rules! for_every_vocabulary {
            ($check:ident, $arg:expr) => {{
                $($check::<$name>($arg)?;)+
            }};
        }
    };
}

words!(
    OrganisationKind,
    Role,
    ProgrammeKind,
    Delivery,
    ReferralSource,
    Decision,
    Closure,
    SessionKind,
    AttendanceStatus,
    Timepoint,
    Gender,
    Ethnicity,
    OffenceGroup,
    ImportKind,
    AuditAction,
    ReferralStatus,
);

/// Every word parses to its value, also spaced (`pick` chooses one and the spacing), and
/// round-trips through JSON.
fn word_round_trips<T: Word>((pick, pad): (usize, &str)) -> Result<(), TestCaseError> {
    let value = T::all()[pick % T::all().len()];
    prop_assert_eq!(value.word().parse::<T>(), Ok(value));
    prop_assert_eq!(
        format!("{pad}{}{pad}", value.word()).parse::<T>(),
        Ok(value)
    );
    let json = serde_json::to_string(&value).unwrap();
    prop_assert_eq!(json.clone(), format!("\"{}\"", value.word()));
    prop_assert_eq!(serde_json::from_str::<T>(&json).unwrap(), value);
    Ok(())
}

/// Any other word is refused with a message naming the value and every accepted word.
fn unknown_word_is_refused<T: Word>(word: &str) -> Result<(), TestCaseError> {
    let known = T::all().iter().find(|v| v.word() == word.trim());
    match (word.parse::<T>(), known) {
        (Ok(v), Some(k)) => prop_assert_eq!(v, *k),
        (Ok(v), None) => prop_assert!(false, "{:?} parsed as {:?}", word, v),
        (Err(e), Some(_)) => prop_assert!(false, "{:?} refused: {}", word, e),
        (Err(e), None) => {
            prop_assert_eq!(e.what, T::WHAT);
            prop_assert_eq!(e.value.as_str(), word.trim());
            let message = e.to_string();
            for v in T::all() {
                prop_assert!(message.contains(v.word()), "{} lacks {}", message, v.word());
            }
        }
    }
    // Words are exact: the upper-case spelling of a word is not the word.
    if known.is_some() {
        prop_assert!(word.to_uppercase().parse::<T>().is_err());
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_vocabulary_word_round_trips(pick in 0usize..64, pad in "[ \t]{0,3}") {
        for_every_vocabulary!(word_round_trips, (pick, pad.as_str()));
    }

    #[test]
    fn every_vocabulary_refuses_other_words_naming_the_expected_ones(word in "\\PC{0,20}|[a-z_]{1,24}") {
        for_every_vocabulary!(unknown_word_is_refused, &word);
    }
}
