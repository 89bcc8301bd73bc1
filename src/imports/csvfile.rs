//! Reading an import file: the header, the rows with their line numbers, and typed field
//! parsers that turn a bad cell into an error naming the line, the column, the value and
//! what is expected (DESIGN.md section 5).

use std::collections::HashMap;
use std::io::Read;

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
    /// Spreadsheets: the sheet read (the line is then its row number).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// Spreadsheets: the column's letter (A, B, …, AA).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub letter: Option<String>,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let (Some(sheet), true) = (&self.sheet, self.line > 0) {
            let line = self.line;
            return match (&self.letter, self.column.is_empty()) {
                (_, true) => write!(f, "Sheet {sheet}, row {line}: {}", self.expected),
                (Some(letter), false) => write!(
                    f,
                    "Sheet {sheet}, row {line}, column {letter} ({}): '{}' — {}",
                    self.column, self.value, self.expected
                ),
                (None, false) => write!(
                    f,
                    "Sheet {sheet}, row {line}, column {}: '{}' — {}",
                    self.column, self.value, self.expected
                ),
            };
        }
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
    /// The 0-based position of a column in the file.
    pub fn position(&self, column: &str) -> Option<usize> {
        self.index.get(column).copied()
    }

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
            sheet: None,
            letter: None,
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
            sheet: None,
            letter: None,
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
        T: crate::domain::enums::Vocabulary,
    {
        let r = rules::word(self.raw(column));
        self.rule(column, r)
    }

    /// An optional word; empty gives `default`.
    pub fn word_or<T>(&mut self, column: &str, default: T) -> Option<T>
    where
        T: crate::domain::enums::Vocabulary,
    {
        let r = rules::word_or(self.raw(column), default);
        self.rule(column, r)
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
pub fn reader<R: Read>(input: R) -> csv::Reader<LineEndings<R>> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::None)
        .from_reader(LineEndings::new(input))
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
        sheet: None,
        letter: None,
    }
}

/// The bytes of a CSV file as the parser should see them: without a UTF-8 byte-order
/// mark, and with every line ending (CRLF as Excel on Windows saves, LF, or a lone CR)
/// as LF, so that line numbers are the same whatever saved the file. Streams: holds one
/// buffer, never the whole file.
pub struct LineEndings<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    /// The last byte given out was a CR turned into LF: an LF right after it is dropped.
    after_cr: bool,
    started: bool,
}

impl<R: Read> LineEndings<R> {
    pub fn new(inner: R) -> Self {
        LineEndings {
            inner,
            buf: Vec::new(),
            pos: 0,
            after_cr: false,
            started: false,
        }
    }

    fn refill(&mut self) -> std::io::Result<bool> {
        let mut raw = vec![0u8; 64 * 1024];
        let mut n = self.inner.read(&mut raw)?;
        if !self.started {
            self.started = true;
            // Read at least the three bytes of a byte-order mark, when there are three.
            while n < 3 {
                let more = self.inner.read(&mut raw[n..])?;
                if more == 0 {
                    break;
                }
                n += more;
            }
            if raw[..n].starts_with(b"\xEF\xBB\xBF") {
                raw.drain(..3);
                n -= 3;
            }
        }
        if n == 0 {
            return Ok(false);
        }
        self.buf.clear();
        self.pos = 0;
        for &b in &raw[..n] {
            if std::mem::take(&mut self.after_cr) && b == b'\n' {
                continue;
            }
            if b == b'\r' {
                self.buf.push(b'\n');
                self.after_cr = true;
            } else {
                self.buf.push(b);
            }
        }
        Ok(true)
    }
}

impl<R: Read> Read for LineEndings<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.buf.len() {
            if !self.refill()? {
                return Ok(0);
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Whether a record is entirely empty (a trailing blank line from a spreadsheet).
pub fn is_blank(record: &csv::StringRecord) -> bool {
    record.iter().all(|c| c.trim().is_empty())
}
