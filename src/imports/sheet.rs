//! Spreadsheet files (XLSX, ODS, and old XLS) read into the rows and cells the CSV path
//! reads, so every check is the same whatever the file: the sheet named like the kind
//! (any case), or else the first sheet; row numbers are the spreadsheet's own; Excel
//! dates become `YYYY-MM-DD`, whole numbers lose their `.0`, and errors say which sheet,
//! row and column letter (see `RowError`).

use std::io::Cursor;

use calamine::{open_workbook_auto_from_rs, Data, Reader};

use super::csvfile::RowError;

/// Whether the bytes are a workbook rather than text: a ZIP archive (XLSX, ODS) or an OLE
/// compound file (XLS). No CSV starts with these bytes.
pub fn is_spreadsheet(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

/// One sheet read as text rows: the header (row `header_row`) and the data rows with
/// their 1-based row numbers. Cell `i` of a record is column `i` of the sheet (A = 0).
pub struct Sheet {
    pub name: String,
    pub header: csv::StringRecord,
    pub header_row: u64,
    pub rows: Vec<(u64, csv::StringRecord)>,
}

/// The letter of a 0-based column: 0 → A, 25 → Z, 26 → AA.
pub fn column_letter(mut i: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn file_error(expected: String) -> Box<RowError> {
    Box::new(RowError {
        line: 0,
        column: String::new(),
        value: String::new(),
        expected,
        sheet: None,
        letter: None,
    })
}

/// Reads the sheet for `kind` (its import name, e.g. `referrals`).
pub fn read(bytes: &[u8], kind: &str) -> Result<Sheet, Box<RowError>> {
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| {
        file_error(format!(
            "a readable XLSX, ODS or XLS workbook, or a CSV file (this file could not be read as a workbook: {e})"
        ))
    })?;
    let names = book.sheet_names();
    let wanted = kind.replace('-', " ");
    let name = names
        .iter()
        .find(|n| {
            let n = n.trim().replace(['-', '_'], " ");
            n.eq_ignore_ascii_case(&wanted)
        })
        .or(names.first())
        .cloned()
        .ok_or_else(|| file_error("a workbook with at least one sheet".into()))?;
    let range = book
        .worksheet_range(&name)
        .map_err(|e| file_error(format!("a readable sheet '{name}' ({e})")))?;
    let Some((first_row, first_col)) = range.start() else {
        return Err(Box::new(RowError {
            line: 1,
            expected: "a header row naming the columns (the sheet is empty)".into(),
            sheet: Some(name),
            ..*file_error(String::new())
        }));
    };
    let mut rows = range.rows().enumerate().map(|(i, cells)| {
        let mut record = csv::StringRecord::new();
        for _ in 0..first_col {
            record.push_field("");
        }
        for cell in cells {
            record.push_field(&text(cell));
        }
        (first_row as u64 + i as u64 + 1, record)
    });
    let (header_row, mut header) = rows.next().unwrap_or((1, csv::StringRecord::new()));
    // Formatting can stretch a sheet past its last named column.
    while !header.is_empty()
        && header
            .get(header.len() - 1)
            .is_some_and(|c| c.trim().is_empty())
    {
        header.truncate(header.len() - 1);
    }
    Ok(Sheet {
        name,
        header,
        header_row,
        rows: rows.collect(),
    })
}

/// A cell as the text a CSV file would hold.
fn text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(n) => n.to_string(),
        // Rust writes 12.0 as "12" and 0.1 as "0.1".
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.date().to_string(),
            Some(t) => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => dt.as_f64().to_string(),
        },
        Data::DateTimeIso(s) => s
            .strip_suffix("T00:00:00")
            .map(str::to_string)
            .unwrap_or_else(|| s.clone()),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_run_past_z() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(3), "D");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn cells_read_as_their_csv_text() {
        assert_eq!(text(&Data::Float(12.0)), "12");
        assert_eq!(text(&Data::Float(1.5)), "1.5");
        assert_eq!(text(&Data::Int(7)), "7");
        assert_eq!(text(&Data::String(" 00123 ".into())), " 00123 ");
        // 45748 is 2025-04-01 in Excel's 1900 date system.
        let dt =
            calamine::ExcelDateTime::new(45748.0, calamine::ExcelDateTimeType::DateTime, false);
        assert_eq!(text(&Data::DateTime(dt)), "2025-04-01");
        assert_eq!(
            text(&Data::DateTimeIso("2025-04-01T00:00:00".into())),
            "2025-04-01"
        );
        assert!(is_spreadsheet(b"PK\x03\x04rest"));
        assert!(!is_spreadsheet(b"reference,date\n"));
    }
}
