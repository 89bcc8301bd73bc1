//! Reading an import file: the header, the rows with their line numbers, and typed field
//! parsers that turn a bad cell into an error naming the line, the column, the value and
//! what is expected (DESIGN.md section 5).

use std::collections::HashMap;
use std::io::Read;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::rules::{self, RuleError};

/// One problem in an import file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// 1-based line number in the file (the header is line 1); 0 for file-level problems.
    pub line: u64,
    /// The column, or "" for a problem with the whole row or file.
    pub column: String,
    /// The value found (withheld for police identifiers).
    pub value: String,
    /// What is expected instead.
    pub expected: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column.is_empty()) {
            (0, _) => write!(f, "{}", self.expected),
            (line, true) => write!(f, "line {line}: {}", self.expected),
            (line, false) => write!(
                f,
                "line {line}, column {}: '{}' — {}",
                self.column, self.value, self.expected
            ),
        }
    }
}

/// Columns a kind of file may have.
pub struct Columns {
    pub required: &'static [&'static str],
    pub optional: &'static [&'static str],
}

/// The header of a file: which column is where.
pub struct Header {
    index: HashMap<String, usize>,
}

impl Header {
    /// Checks the header row against the kind's columns: every required column present,
    /// no unknown or repeated column.
    pub fn parse(record: &csv::StringRecord, columns: &Columns) -> Result<Self, Vec<RowError>> {
        let mut index = HashMap::new();
        let mut errors = Vec::new();
        let file_error = |expected: String| RowError {
            line: 1,
            column: String::new(),
            value: String::new(),
            expected,
        };
        for (i, name) in record.iter().enumerate() {
            // A spreadsheet may save a byte-order mark before the first name.
            let name = name.trim().trim_start_matches('\u{feff}');
            if !columns.required.contains(&name) && !columns.optional.contains(&name) {
                let mut all: Vec<&str> = columns.required.to_vec();
                all.extend(columns.optional);
                errors.push(file_error(format!(
                    "unknown column '{name}'; the columns are: {}",
                    all.join(", ")
                )));
            } else if index.insert(name.to_string(), i).is_some() {
                errors.push(file_error(format!("the column '{name}' appears twice")));
            }
        }
        for name in columns.required {
            if !index.contains_key(*name) {
                errors.push(file_error(format!(
                    "the required column '{name}' is missing"
                )));
            }
        }
        if errors.is_empty() {
            Ok(Header { index })
        } else {
            Err(errors)
        }
    }
}

/// One data row being parsed; collects every field error of the row.
pub struct Row<'a> {
    pub line: u64,
    record: &'a csv::StringRecord,
    header: &'a Header,
    pub errors: Vec<RowError>,
}

impl<'a> Row<'a> {
    pub fn new(line: u64, record: &'a csv::StringRecord, header: &'a Header) -> Self {
        Row {
            line,
            record,
            header,
            errors: Vec::new(),
        }
    }

    /// The trimmed cell, or "" when the column is absent or empty.
    pub fn raw(&self, column: &str) -> &'a str {
        self.header
            .index
            .get(column)
            .and_then(|&i| self.record.get(i))
            .map(|cell| crate::exports::unneutralise(cell.trim()))
            .unwrap_or("")
    }

    pub fn error(&mut self, column: &str, value: &str, expected: impl Into<String>) {
        self.errors.push(RowError {
            line: self.line,
            column: column.to_string(),
            value: value.to_string(),
            expected: expected.into(),
        });
    }

    /// Records a rule's error on `column` in the import wording, showing the cell.
    pub fn rule<T>(&mut self, column: &str, r: Result<T, RuleError>) -> Option<T> {
        match r {
            Ok(t) => Some(t),
            Err(e) => {
                let v = self.raw(column);
                let shown = match e {
                    RuleError::TooLong { .. } => {
                        format!("{}…", v.chars().take(20).collect::<String>())
                    }
                    _ => v.to_string(),
                };
                self.error(column, &shown, e.expected());
                None
            }
        }
    }

    /// A required text cell of at most `max` characters.
    pub fn text(&mut self, column: &str, max: usize) -> Option<String> {
        let r = rules::text(self.raw(column), max)
            .and_then(|t| t.ok_or(RuleError::Missing { date: false }));
        self.rule(column, r)
    }

    /// An optional text cell of at most `max` characters.
    pub fn opt_text(&mut self, column: &str, max: usize) -> Option<String> {
        let r = rules::text(self.raw(column), max);
        self.rule(column, r).flatten()
    }

    /// A required ISO date.
    pub fn date(&mut self, column: &str) -> Option<NaiveDate> {
        self.date_until(column, None)
    }

    /// An optional ISO date.
    pub fn opt_date(&mut self, column: &str) -> Option<NaiveDate> {
        self.opt_date_until(column, None)
    }

    /// A required ISO date, no later than `latest` when given.
    pub fn date_until(&mut self, column: &str, latest: Option<NaiveDate>) -> Option<NaiveDate> {
        let r = rules::date(self.raw(column), latest)
            .and_then(|d| d.ok_or(RuleError::Missing { date: true }));
        self.rule(column, r)
    }

    /// An optional ISO date, no later than `latest` when given.
    pub fn opt_date_until(&mut self, column: &str, latest: Option<NaiveDate>) -> Option<NaiveDate> {
        let r = rules::date(self.raw(column), latest);
        self.rule(column, r).flatten()
    }

    /// A required word of a closed vocabulary.
    pub fn word<T>(&mut self, column: &str) -> Option<T>
    where
        T: FromStr<Err = crate::domain::enums::UnknownValue>,
    {
        let r = rules::word(self.raw(column));
        self.rule(column, r)
    }

    /// An optional word; empty gives `default`.
    pub fn word_or<T>(&mut self, column: &str, default: T) -> Option<T>
    where
        T: FromStr<Err = crate::domain::enums::UnknownValue>,
    {
        if self.raw(column).is_empty() {
            Some(default)
        } else {
            self.word(column)
        }
    }

    /// An optional whole number within `min..=max`.
    pub fn opt_int(&mut self, column: &str, min: i64, max: i64) -> Option<Option<i64>> {
        let r = rules::whole(self.raw(column), min, max);
        self.rule(column, r)
    }

    /// An optional number within `min..=max`.
    pub fn opt_number(&mut self, column: &str, min: f64, max: f64) -> Option<Option<f64>> {
        let r = rules::number_in(self.raw(column), min, max);
        self.rule(column, r)
    }

    /// A required number (any finite value).
    pub fn number(&mut self, column: &str) -> Option<f64> {
        let r = rules::number(self.raw(column)).map_err(|_| RuleError::NotANumber);
        self.rule(column, r)
    }

    /// A required true/false cell (also yes/no, 1/0).
    pub fn boolean(&mut self, column: &str) -> Option<bool> {
        let v = self.raw(column);
        match v.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Some(true),
            "false" | "no" | "0" => Some(false),
            _ => {
                self.error(column, v, "true or false");
                None
            }
        }
    }
}

/// A CSV reader with the contract's settings: comma-separated, header row, rows of any
/// length checked by us (so a short row gets our message, not the parser's).
pub fn reader<R: Read>(input: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::None)
        .from_reader(input)
}

/// The error for a row the CSV parser could not read at all (bad quoting, not UTF-8).
pub fn unreadable(e: &csv::Error) -> RowError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    let expected = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => {
            "the file must be UTF-8 text (save as 'CSV UTF-8')".to_string()
        }
        _ => "a readable CSV row (check quotes and commas)".to_string(),
    };
    RowError {
        line,
        column: String::new(),
        value: String::new(),
        expected,
    }
}

/// Whether a record is entirely empty (a trailing blank line from a spreadsheet).
pub fn is_blank(record: &csv::StringRecord) -> bool {
    record.iter().all(|c| c.trim().is_empty())
}
