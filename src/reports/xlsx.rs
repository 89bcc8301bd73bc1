//! The report as an Excel workbook (rust_xlsxwriter): a Summary sheet, one sheet per
//! section with each table as an Excel table and the section's charts drawn natively
//! from those cells, and a Provenance sheet. Numbers are written as numbers with a number
//! format (rates as percentages of the exact fraction); a hidden figure is the text of
//! its symbol and a null one "–", so a chart drawn from the cells has no bar for either.

use rust_xlsxwriter::{
    Chart, ChartType, Format, FormatBorder, Table, TableColumn, TableStyle, Workbook, Worksheet,
    XlsxError,
};

use super::view::{Cell, ChartKind, NumberFormat, ReportView, Section};

/// Sheet names (at most 31 characters) by section.
pub fn sheet_name(section: &Section) -> String {
    let name = match section.id.as_str() {
        "before_after" => "Before and after".to_string(),
        "provenance" => "Provenance".to_string(),
        "comparison" => "Comparison".to_string(),
        _ => section.title.clone(),
    };
    name.chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect()
}

/// The Excel number format of a kind of figure.
pub fn number_format(kind: NumberFormat) -> &'static str {
    match kind {
        NumberFormat::Count => "#,##0",
        NumberFormat::Rate => "0.0%",
        NumberFormat::Money => "\"£\"#,##0.00",
        NumberFormat::Decimal => "0.00",
        NumberFormat::Change => "+0.00;-0.00;0.00",
        NumberFormat::Measure => "#,##0.0",
        NumberFormat::PValue => "0.000",
        NumberFormat::Points => "+0.0%;-0.0%;0.0%",
        NumberFormat::PercentagePoints => "+0.0\" pp\";-0.0\" pp\";0.0\" pp\"",
        NumberFormat::Text => "@",
    }
}

/// The workbook of a report's view.
pub fn render(view: &ReportView) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let heading = Format::new().set_bold().set_font_size(16);
    let wrap = Format::new().set_text_wrap();
    {
        let ws = wb.add_worksheet();
        ws.set_name("Summary")?;
        ws.set_column_width(0, 110)?;
        ws.write_string_with_format(0, 0, &view.title, &heading)?;
        // The title block, as on the first page of the PDF.
        let mut block = vec![("Publisher", view.publisher.as_str())];
        if let Some(p) = &view.provider {
            block.push(("Provider", p.as_str()));
        }
        block.extend([
            ("Period", view.period_text.as_str()),
            ("Date of issue", view.issued.as_str()),
            ("Version", view.version.as_str()),
            ("Classification", view.classification.as_str()),
        ]);
        let mut row = 1;
        for (key, value) in block {
            ws.write_string_with_format(row, 0, format!("{key}: {value}"), &wrap)?;
            row += 1;
        }
        ws.write_string_with_format(row, 0, &view.mode_text, &wrap)?;
        row += 2;
        ws.write_string_with_format(row, 0, "Key figures", &bold)?;
        for k in &view.key_figures {
            row += 1;
            ws.write_string_with_format(row, 0, format!("{}: {}", k.text, k.label), &wrap)?;
        }
        row += 2;
        ws.write_string_with_format(row, 0, "Summary", &bold)?;
        row += 1;
        for s in &view.summary {
            ws.write_string_with_format(row, 0, s, &wrap)?;
            row += 1;
        }
        row += 1;
        ws.write_string_with_format(row, 0, "Caveats", &bold)?;
        for c in &view.caveats {
            row += 1;
            ws.write_string_with_format(row, 0, c, &wrap)?;
        }
        row += 2;
        ws.write_string_with_format(row, 0, "Glossary", &bold)?;
        for g in &view.glossary {
            row += 1;
            ws.write_string_with_format(row, 0, format!("{}: {}", g.term, g.definition), &wrap)?;
        }
        row += 2;
        ws.write_string_with_format(row, 0, "Contents", &bold)?;
        for s in &view.sections {
            row += 1;
            ws.write_string(row, 0, format!("{}: sheet \"{}\"", s.title, sheet_name(s)))?;
        }
    }
    for section in &view.sections {
        let ws = wb.add_worksheet();
        section_sheet(ws, section, &bold, &heading, &wrap)?;
    }
    wb.save_to_buffer()
}

fn section_sheet(
    ws: &mut Worksheet,
    section: &Section,
    bold: &Format,
    heading: &Format,
    wrap: &Format,
) -> Result<(), XlsxError> {
    let name = sheet_name(section);
    ws.set_name(&name)?;
    ws.set_column_width(0, 40)?;
    // The row labels stay in view while the figures scroll sideways.
    ws.set_freeze_panes(0, 1)?;
    ws.write_string_with_format(0, 0, &section.title, heading)?;
    let mut row = 1;
    if let Some(label) = &section.label {
        ws.write_string_with_format(row, 0, label.to_uppercase(), bold)?;
        row += 1;
    }
    if let Some(w) = &section.warning {
        ws.write_string_with_format(row, 0, format!("Warning: {w}"), bold)?;
        row += 1;
    }
    for p in &section.paragraphs {
        ws.write_string_with_format(row, 0, p, wrap)?;
        row += 1;
    }
    row += 1;
    let mut placed = Vec::new();
    for table in &section.tables {
        ws.write_string_with_format(row, 0, &table.caption, bold)?;
        row += 1;
        let first = row;
        let columns: Vec<TableColumn> = table
            .head
            .iter()
            .map(|h| {
                TableColumn::new().set_header(h).set_header_format(
                    Format::new()
                        .set_bold()
                        .set_border_bottom(FormatBorder::Thin),
                )
            })
            .collect();
        for (i, r) in table.rows.iter().enumerate() {
            let at = first + 1 + i as u32;
            ws.write_string(at, 0, &r.label)?;
            for (j, c) in r.cells.iter().enumerate() {
                write_cell(ws, at, 1 + j as u16, c)?;
            }
        }
        let last_row = first + table.rows.len().max(1) as u32;
        let last_col = (table.head.len() - 1) as u16;
        let xl = Table::new()
            .set_name(format!("t_{}", table.id))
            .set_style(TableStyle::Medium2)
            .set_columns(&columns);
        ws.add_table(first, 0, last_row, last_col, &xl)?;
        for col in 1..=last_col {
            ws.set_column_width(col, 14)?;
        }
        placed.push((first, last_col));
        row = last_row + 3;
    }
    for chart in &section.charts {
        let Some(&(first, last_col)) = placed.get(chart.table) else {
            continue;
        };
        let table = &section.tables[chart.table];
        let rows = table.rows.len() as u32;
        let (cat_first, cat_last) = (first + 1, first + rows.max(1));
        let mut c = match chart.kind {
            ChartKind::Bar => Chart::new(ChartType::Bar),
            ChartKind::Line => Chart::new(ChartType::Line),
            ChartKind::Interval => Chart::new(ChartType::Column),
        };
        let drawn: &[usize] = match chart.kind {
            // Excel has no interval chart: the rates, with the interval in the table.
            ChartKind::Interval => &chart.columns[..1],
            _ => &chart.columns,
        };
        for col in drawn {
            let col = 1 + *col as u16;
            c.add_series()
                .set_name((name.as_str(), first, col))
                .set_categories((name.as_str(), cat_first, 0, cat_last, 0))
                .set_values((name.as_str(), cat_first, col, cat_last, col));
        }
        c.title().set_name(&chart.title);
        if drawn.len() == 1 {
            c.legend().set_hidden();
        }
        if chart.kind == ChartKind::Interval {
            c.y_axis().set_num_format("0%").set_min(0.0).set_max(1.0);
        }
        if chart.kind == ChartKind::Bar {
            c.y_axis().set_reverse();
        }
        ws.insert_chart(first, last_col + 2, &c)?;
        let withheld: Vec<&str> = table
            .rows
            .iter()
            .flat_map(|r| drawn.iter().filter_map(|c| r.cells[*c].symbol.as_deref()))
            .collect();
        if !withheld.is_empty() {
            // The chart has no bar or point for a withheld figure: say so beside it.
            let mut symbols: Vec<&str> = withheld.clone();
            symbols.sort_unstable();
            symbols.dedup();
            ws.write_string_with_format(
                first.saturating_sub(1),
                last_col + 2,
                format!(
                    "{}: withheld figures ({}) are not drawn; the table gives every value.",
                    chart.title,
                    symbols.join(", ")
                ),
                wrap,
            )?;
        }
    }
    Ok(())
}

fn write_cell(ws: &mut Worksheet, row: u32, col: u16, c: &Cell) -> Result<(), XlsxError> {
    let right = Format::new().set_align(rust_xlsxwriter::FormatAlign::Right);
    match c.value {
        Some(x) if c.symbol.is_none() => {
            let f = Format::new().set_num_format(number_format(c.kind));
            ws.write_number_with_format(row, col, x, &f)?;
        }
        _ if c.numeric => {
            ws.write_string_with_format(row, col, &c.text, &right)?;
        }
        _ => {
            ws.write_string(row, col, &c.text)?;
        }
    }
    Ok(())
}
