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

/// Where a workbook's sheet for `kind` starts: its name, header row and header, read by
/// streaming an XLSX sheet up to its first row; `None` when the workbook is not XLSX (ODS
/// and XLS are read whole by `read`).
pub fn xlsx_header<RS: std::io::Read + std::io::Seek>(
    rs: RS,
    kind: &str,
) -> Result<Option<(String, u64, csv::StringRecord)>, Box<RowError>> {
    let mut header = None;
    let found = stream_xlsx(rs, kind, |row, record| {
        header = Some((row, record.clone()));
        Ok(false)
    })?;
    let Some(name) = found else { return Ok(None) };
    let Some((row, mut header)) = header else {
        return Err(Box::new(RowError {
            line: 1,
            expected: "a header row naming the columns (the sheet is empty)".into(),
            sheet: Some(name),
            ..*file_error(String::new())
        }));
    };
    while !header.is_empty()
        && header
            .get(header.len() - 1)
            .is_some_and(|c| c.trim().is_empty())
    {
        header.truncate(header.len() - 1);
    }
    Ok(Some((name, row, header)))
}

/// Streams an XLSX sheet for `kind` as CSV text into `out`, one row at a time (memory
/// bounded by the shared-string table, not the sheet): the header row first, then every
/// row under it, a missing row as an empty line, so CSV line L is the sheet's row
/// `header_row + L - 1`. A line break inside a cell becomes a space. `None`: not XLSX.
pub fn xlsx_to_csv<RS: std::io::Read + std::io::Seek, W: std::io::Write>(
    rs: RS,
    kind: &str,
    out: W,
) -> Result<Option<String>, Box<RowError>> {
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(out);
    let mut last: Option<u64> = None;
    let io = |e: csv::Error| file_error(format!("the converted sheet could not be written ({e})"));
    let mut failed = None;
    let found = stream_xlsx(rs, kind, |row, record| {
        if let Some(before) = last {
            for _ in before + 1..row {
                if let Err(e) = w.write_record(None::<&[u8]>) {
                    failed = Some(io(e));
                    return Ok(false);
                }
            }
        }
        last = Some(row);
        let flat: Vec<String> = record
            .iter()
            .map(|c| c.replace(['\r', '\n'], " "))
            .collect();
        if let Err(e) = w.write_record(&flat) {
            failed = Some(io(e));
            return Ok(false);
        }
        Ok(true)
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    w.flush()
        .map_err(|e| file_error(format!("the converted sheet could not be written ({e})")))?;
    Ok(found)
}

/// Calls `row(number, cells)` for each row of the XLSX sheet for `kind` that has a cell,
/// in order, until it returns `false`; the sheet's name, or `None` when the workbook is
/// not XLSX.
fn stream_xlsx<RS: std::io::Read + std::io::Seek>(
    rs: RS,
    kind: &str,
    mut row: impl FnMut(u64, &csv::StringRecord) -> Result<bool, Box<RowError>>,
) -> Result<Option<String>, Box<RowError>> {
    let Ok(mut book) = calamine::Xlsx::new(rs) else {
        return Ok(None);
    };
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
    let unreadable =
        |e: calamine::XlsxError| file_error(format!("a readable sheet '{name}' ({e})"));
    let mut cells = book.worksheet_cells_reader(&name).map_err(unreadable)?;
    let mut current: Option<(u32, csv::StringRecord)> = None;
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        let (r, c) = cell.get_position();
        let value = text(&Data::from(cell.get_value().clone()));
        if current.as_ref().is_some_and(|(at, _)| *at != r) {
            if let Some((at, record)) = current.take() {
                if !csvfile_is_blank(&record) && !row(at as u64 + 1, &record)? {
                    return Ok(Some(name));
                }
            }
        }
        let (_, record) = current.get_or_insert_with(|| (r, csv::StringRecord::new()));
        while record.len() < c as usize {
            record.push_field("");
        }
        record.push_field(&value);
    }
    if let Some((at, record)) = current {
        if !csvfile_is_blank(&record) {
            row(at as u64 + 1, &record)?;
        }
    }
    Ok(Some(name))
}

fn csvfile_is_blank(record: &csv::StringRecord) -> bool {
    record.iter().all(|c| c.trim().is_empty())
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
