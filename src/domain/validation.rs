//! Field-by-field validation of what a person typed into a form or sent as JSON.
//!
//! Forms and the JSON API share one shape: a flat map of field name → text (`Input`).
//! Each `Input` parser turns a bad value into a `FieldError` in the words a caseworker
//! reads beside the field and in the error summary, and keeps going, so that every
//! problem is reported at once. Nothing here does I/O.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::date_input::{self, subject, DateInputError, Part};
use super::rules::{self, RuleError};

/// One field's problem, as shown beside the field and in the error summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field (form input name, JSON property or CSV column).
    pub field: String,
    /// What is wrong and what is expected.
    pub message: String,
    /// The 1-based line of an imported file, when the error comes from an import.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
            line: None,
        }
    }
}

/// The submitted fields, trimmed, and the errors found so far.
#[derive(Debug, Clone, Default)]
pub struct Input {
    values: BTreeMap<String, String>,
    pub errors: Vec<FieldError>,
}

impl Input {
    /// From form pairs (`csrf_token` and other extra fields are simply ignored).
    pub fn from_pairs<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Self {
        Input {
            values: pairs
                .into_iter()
                .map(|(k, v)| (k, v.trim().to_string()))
                .collect(),
            errors: Vec::new(),
        }
    }

    /// From a JSON object: strings, numbers and booleans become text; `null` is absent.
    /// Anything else (not an object, nested values) is refused with the reason.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, String> {
        let object = value
            .as_object()
            .ok_or_else(|| "the body must be a JSON object".to_string())?;
        let mut pairs = Vec::new();
        for (k, v) in object {
            let text = match v {
                serde_json::Value::Null => continue,
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                _ => continue,
            };
            pairs.push((k.clone(), text));
        }
        Ok(Input::from_pairs(pairs))
    }

    /// A JSON merge patch (RFC 7396): as `from_json`, except that `null` is kept as an
    /// empty value, which clears the field when the patch is laid `over` the record.
    pub fn from_merge_patch(value: &serde_json::Value) -> Result<Self, String> {
        let object = value
            .as_object()
            .ok_or_else(|| "the body must be a JSON object (a merge patch)".to_string())?;
        let nulls: Vec<(String, String)> = object
            .iter()
            .filter(|(_, v)| v.is_null())
            .map(|(k, _)| (k.clone(), String::new()))
            .collect();
        let mut input = Input::from_json(value)?;
        input.values.extend(nulls);
        Ok(input)
    }

    /// These fields laid over a record's `current` ones: a field given here replaces the
    /// current value (empty clears it); a field not given keeps it.
    pub fn over(self, current: Vec<(String, String)>) -> Input {
        let mut values: BTreeMap<String, String> = current.into_iter().collect();
        values.extend(self.values);
        Input {
            values,
            errors: self.errors,
        }
    }

    /// The trimmed value, or "" when absent.
    pub fn raw(&self, field: &str) -> &str {
        self.values.get(field).map(String::as_str).unwrap_or("")
    }

    /// Whether the field was sent at all (even empty).
    pub fn has(&self, field: &str) -> bool {
        self.values.contains_key(field)
    }

    /// Every (name, value) pair, for fields named by pattern (register lines).
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    pub fn has_error(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }

    /// Records a rule's error on `field` in the caseworker's wording.
    pub fn rule<T>(&mut self, field: &str, label: &str, r: Result<T, RuleError>) -> Option<T> {
        match r {
            Ok(t) => Some(t),
            Err(e) => {
                self.error(field, e.sentence(label));
                None
            }
        }
    }

    /// Required text of at most `max` characters; `missing` is the message when empty.
    pub fn text(&mut self, field: &str, max: usize, missing: &str) -> Option<String> {
        if self.raw(field).is_empty() {
            self.error(field, missing);
            return None;
        }
        self.opt_text(field, max)
    }

    /// Optional text of at most `max` characters (`None` when empty or too long).
    pub fn opt_text(&mut self, field: &str, max: usize) -> Option<String> {
        let r = rules::text(self.raw(field), max);
        self.rule(field, field, r).flatten()
    }

    /// The three boxes of a page's date input for `field` (`field-day`, `field-month`,
    /// `field-year`), when the form sent them; `None` for an ISO value (the API, CSV).
    fn date_boxes(&self, field: &str) -> Option<[String; 3]> {
        let names = Part::ALL.map(|p| format!("{field}-{}", p.word()));
        names
            .iter()
            .any(|n| self.values.contains_key(n))
            .then(|| names.map(|n| self.raw(&n).to_string()))
    }

    /// A date from the page's three boxes or an ISO value: `Some(None)` when empty and
    /// not `required`, `None` on error. `latest`: the latest date allowed; `past`: the
    /// date must be before `latest` (a date of birth), not on it.
    fn typed_date(
        &mut self,
        field: &str,
        label: &str,
        latest: Option<NaiveDate>,
        required: bool,
        past: bool,
    ) -> Option<Option<NaiveDate>> {
        let Some([d, m, y]) = self.date_boxes(field) else {
            let r = if past {
                rules::date(self.raw(field), None)
            } else {
                rules::date(self.raw(field), latest)
            };
            let r = r.and_then(|d| match d {
                None if required => Err(RuleError::Missing { date: true }),
                Some(d) if past && latest.is_some_and(|t| d >= t) => Err(RuleError::NotInPast {
                    today: latest.unwrap_or(d),
                }),
                d => Ok(d),
            });
            return self.rule(field, label, r);
        };
        match date_input::parse(&d, &m, &y) {
            Err(DateInputError::Empty) if !required => Some(None),
            Err(e) => {
                self.error(field, e.sentence(label));
                None
            }
            Ok(date) => match latest {
                Some(t) if past && date >= t => {
                    self.error(field, format!("{} must be in the past", subject(label)));
                    None
                }
                Some(t) if date > t => {
                    self.error(
                        field,
                        format!("{} must be today or in the past", subject(label)),
                    );
                    None
                }
                _ => Some(Some(date)),
            },
        }
    }

    /// A required date (the page's three boxes, or YYYY-MM-DD), no later than `latest`
    /// when given.
    pub fn date(
        &mut self,
        field: &str,
        label: &str,
        latest: Option<NaiveDate>,
    ) -> Option<NaiveDate> {
        self.typed_date(field, label, latest, true, false).flatten()
    }

    /// An optional date (the page's three boxes, or YYYY-MM-DD), no later than `latest`
    /// when given.
    pub fn opt_date(
        &mut self,
        field: &str,
        label: &str,
        latest: Option<NaiveDate>,
    ) -> Option<NaiveDate> {
        self.typed_date(field, label, latest, false, false)
            .flatten()
    }

    /// An optional date of birth: before `today`.
    pub fn opt_birth_date(
        &mut self,
        field: &str,
        label: &str,
        today: NaiveDate,
    ) -> Option<NaiveDate> {
        self.typed_date(field, label, Some(today), false, true)
            .flatten()
    }

    /// A required word of a closed vocabulary.
    pub fn word<T>(&mut self, field: &str) -> Option<T>
    where
        T: crate::domain::enums::Vocabulary,
    {
        let r = rules::word(self.raw(field));
        self.rule(field, field, r)
    }

    /// An optional word; empty gives `default`.
    pub fn word_or<T>(&mut self, field: &str, default: T) -> Option<T>
    where
        T: crate::domain::enums::Vocabulary,
    {
        let r = rules::word_or(self.raw(field), default);
        self.rule(field, field, r)
    }

    /// An optional whole number within `min..=max`: `Some(None)` when empty, `None` on error.
    pub fn opt_int(&mut self, field: &str, min: i64, max: i64) -> Option<Option<i64>> {
        let r = rules::whole(self.raw(field), min, max);
        self.rule(field, field, r)
    }

    /// An optional number within `min..=max`: `Some(None)` when empty, `None` on error.
    pub fn opt_number(&mut self, field: &str, min: f64, max: f64) -> Option<Option<f64>> {
        let r = rules::number_in(self.raw(field), min, max);
        self.rule(field, field, r)
    }

    /// A required number (any finite value).
    pub fn number(&mut self, field: &str, label: &str) -> Option<f64> {
        let r = rules::number(self.raw(field));
        self.rule(field, label, r)
    }

    /// A required id of a record (a positive whole number).
    pub fn id(&mut self, field: &str, missing: &str) -> Option<i64> {
        match self.raw(field).parse::<i64>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                self.error(field, missing);
                None
            }
        }
    }

    /// A yes/no flag: true for true, yes, 1 or on.
    pub fn flag(&self, field: &str) -> bool {
        matches!(
            self.raw(field).to_ascii_lowercase().as_str(),
            "true" | "yes" | "1" | "on"
        )
    }

    /// The errors, when there are any.
    pub fn finish(&mut self) -> Result<(), Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(std::mem::take(&mut self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::enums::Gender;

    fn input(pairs: &[(&str, &str)]) -> Input {
        Input::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn every_problem_is_collected_with_its_field() {
        let mut i = input(&[("gender", "unknown"), ("on", "2025-13-01")]);
        let today = NaiveDate::from_ymd_opt(2025, 12, 1);
        assert_eq!(i.word::<Gender>("gender"), None);
        assert_eq!(i.date("on", "the date", today), None);
        assert_eq!(i.text("reference", 64, "Enter a reference"), None);
        let errors = i.finish().unwrap_err();
        assert_eq!(errors.len(), 3);
        assert_eq!(errors[0].field, "gender");
        assert!(errors[0].message.contains("female, male, other, not_known"));
        assert_eq!(
            errors[1].message,
            "The date must be a real date, like 2025-04-01"
        );
    }

    #[test]
    fn json_scalars_become_text() {
        let i = Input::from_json(&serde_json::json!({"a": 5, "b": true, "c": null, "d": " x "}))
            .unwrap();
        assert_eq!(
            (i.raw("a"), i.raw("b"), i.raw("c"), i.raw("d")),
            ("5", "true", "", "x")
        );
        assert!(Input::from_json(&serde_json::json!([1])).is_err());
    }

    #[test]
    fn future_dates_are_refused_when_a_latest_date_is_given() {
        let mut i = input(&[("on", "2025-12-02")]);
        assert_eq!(
            i.date(
                "on",
                "the closure date",
                NaiveDate::from_ymd_opt(2025, 12, 1)
            ),
            None
        );
        assert!(i.errors[0]
            .message
            .starts_with("The closure date must be today or in the past"));
    }

    #[test]
    fn a_page_date_is_read_from_its_three_boxes_before_any_iso_value() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        // A correction page lays the boxes over the record's ISO value: the boxes win.
        let mut i = input(&[
            ("dob", "2001-01-01"),
            ("dob-day", "14"),
            ("dob-month", "May"),
            ("dob-year", "2008"),
        ]);
        assert_eq!(
            i.opt_birth_date("dob", "the date of birth", today),
            NaiveDate::from_ymd_opt(2008, 5, 14)
        );
        // Empty boxes clear an optional date and are missing for a required one.
        let mut i = input(&[("on-day", ""), ("on-month", ""), ("on-year", "")]);
        assert_eq!(i.opt_date("on", "the date", None), None);
        assert!(i.errors.is_empty());
        assert_eq!(i.date("on", "the date of the session", None), None);
        assert_eq!(i.errors[0].message, "Enter the date of the session");
    }

    #[test]
    fn page_date_errors_use_the_govuk_wording() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let cases = [
            (("14", "", "2008"), "Date of birth must include a month"),
            (("14", "13", "2008"), "Date of birth must be a real date"),
            (("7", "12", "2026"), "Date of birth must be in the past"),
            (("8", "12", "2026"), "Date of birth must be in the past"),
        ];
        for ((d, m, y), want) in cases {
            let mut i = input(&[("dob-day", d), ("dob-month", m), ("dob-year", y)]);
            assert_eq!(i.opt_birth_date("dob", "the date of birth", today), None);
            assert_eq!(i.errors[0].field, "dob");
            assert_eq!(i.errors[0].message, want);
        }
        let mut i = input(&[("on-day", "8"), ("on-month", "12"), ("on-year", "2026")]);
        assert_eq!(i.date("on", "the date of the referral", Some(today)), None);
        assert_eq!(
            i.errors[0].message,
            "Date of the referral must be today or in the past"
        );
        // The API's ISO date of birth: today is refused as well.
        let mut i = input(&[("dob", "2026-12-07")]);
        assert_eq!(i.opt_birth_date("dob", "the date of birth", today), None);
        assert!(i.errors[0]
            .message
            .starts_with("The date of birth must be in the past"));
    }
}
