//! Tidy CSV of a report: `section,metric,group,value,suppressed`, one row per figure of
//! the report's tables (the same cells as every other format). `value` is the exact
//! number as in the JSON (rates are fractions), empty for null; in published mode a
//! hidden figure has its symbol ("<5", "[c]") in `value` and `true` in `suppressed`; a
//! figure withheld by the unit rules (`"[m]"` in JSON) has its words, like "fewer than 10
//! people: not reported", in `value` and `true` in `suppressed`.
//! Text that comes from data (measure names, districts) is neutralised against formula
//! injection with [`crate::exports::neutralise`]; numbers are written as numbers.

use super::view::{Cell, ReportView};
use crate::exports::neutralise;

pub const HEADER: [&str; 5] = ["section", "metric", "group", "value", "suppressed"];

/// The CSV of a report's view.
pub fn render(view: &ReportView) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER)?;
    for (section, cell) in view.figures() {
        w.write_record([
            neutralise(&section.id),
            neutralise(&cell.metric),
            neutralise(&cell.group),
            value(cell),
            cell.symbol.is_some().to_string(),
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

fn value(cell: &Cell) -> String {
    match (&cell.symbol, cell.value) {
        // Withheld by the unit rules: the words, as every other format shows them.
        (Some(symbol), _) if symbol == crate::evaluation::units::WITHHELD_SYMBOL => {
            neutralise(&cell.text)
        }
        (Some(symbol), _) => symbol.clone(),
        (None, Some(x)) => number(x),
        (None, None) if cell.kind == super::view::NumberFormat::Text => neutralise(&cell.text),
        (None, None) => String::new(),
    }
}

/// The shortest text that reads back as the same f64 (integers without ".0").
fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_back_exactly() {
        assert_eq!(number(12.0), "12");
        assert_eq!(number(0.75), "0.75");
        assert_eq!(number(1.0 / 3.0).parse::<f64>().unwrap(), 1.0 / 3.0);
        assert_eq!(number(-0.5), "-0.5");
    }
}
