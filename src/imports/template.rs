//! Templates of the import files: what each column holds, as an XLSX workbook to fill in
//! (header row, frozen header, widths, drop-downs of the labels the import accepts, date
//! formats, and a sheet "How to fill this in") or as a CSV header line.

use rust_xlsxwriter::{DataValidation, Format, Formula, Workbook, XlsxError};

use crate::domain::enums::{
    AttendanceStatus, Closure, Decision, Delivery, Ethnicity, Gender, ImportKind, LawfulBasis,
    OffenceDataCondition, OffenceGroup, ProgrammeKind, ReferralSource, SessionKind, Timepoint,
};

/// What a column holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Holds {
    Text,
    Date,
    Number,
    /// true or false (also yes/no).
    Boolean,
    /// A closed vocabulary: the labels people read (the import accepts them, and the words).
    Choice(Vec<String>),
}

/// One column of a kind of file.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: &'static str,
    pub required: bool,
    pub holds: Holds,
    /// Accepted values, in words.
    pub accepted: String,
    pub example: &'static str,
}

fn labels<T: Copy>(all: &[T], label: impl Fn(T) -> String) -> Holds {
    Holds::Choice(all.iter().map(|v| label(*v)).collect())
}

fn col(
    name: &'static str,
    required: bool,
    holds: Holds,
    accepted: &str,
    example: &'static str,
) -> Column {
    let accepted = match &holds {
        Holds::Choice(values) => format!("one of: {}{accepted}", values.join(", ")),
        _ => accepted.to_string(),
    };
    Column {
        name,
        required,
        holds,
        accepted,
        example,
    }
}

const DATE: &str = "a date (an Excel date, YYYY-MM-DD or DD/MM/YYYY)";

/// The columns of a kind, in the order of the template.
pub fn columns(kind: ImportKind) -> Vec<Column> {
    use Holds::*;
    let reference = "text, at most 64 characters, unique in the file";
    match kind {
        ImportKind::Programmes => vec![
            col(
                "name",
                true,
                Text,
                "text, at most 200 characters",
                "Youth Bus",
            ),
            col(
                "kind",
                true,
                labels(ProgrammeKind::ALL, |v| v.display_label()),
                "",
                "Outreach",
            ),
            col(
                "delivery",
                true,
                labels(Delivery::ALL, |v| v.display_label()),
                "",
                "Group",
            ),
            col("starts_on", true, Date, DATE, "2025-04-01"),
            col("min_age", false, Number, "a whole number, 0 to 120", "10"),
            col("max_age", false, Number, "a whole number, 0 to 120", "18"),
            col("ends_on", false, Date, DATE, ""),
            col(
                "description",
                false,
                Text,
                "text, at most 2000 characters",
                "Detached youth work",
            ),
            col(
                "lawful_basis",
                false,
                labels(LawfulBasis::ALL, |v| v.display_label()),
                "; empty keeps what is recorded (public task for a new programme)",
                "",
            ),
            col(
                "offence_data_condition",
                false,
                labels(OffenceDataCondition::ALL, |v| v.display_label()),
                "; empty keeps what is recorded (statutory and government purposes for a new programme)",
                "",
            ),
            col(
                "police_linkage",
                false,
                Choice(vec!["yes".into(), "no".into()]),
                " (whether participants' police identifiers may be linked to police data); empty keeps what is recorded (yes for a new programme)",
                "",
            ),
        ],
        ImportKind::Measures => vec![
            col(
                "name",
                true,
                Text,
                "text, at most 200 characters",
                "Feels safe",
            ),
            col("min", true, Number, "a number", "1"),
            col("max", true, Number, "a number", "5"),
            col(
                "higher_is_better",
                true,
                Boolean,
                "true or false (yes or no)",
                "true",
            ),
        ],
        ImportKind::Participants => vec![
            col("reference", true, Text, reference, "P0001"),
            col(
                "police_id",
                false,
                Text,
                "the police identifier; never stored in clear",
                "",
            ),
            col(
                "person_key",
                false,
                Text,
                "a person key from another import instead of a police identifier",
                "",
            ),
            col("date_of_birth", false, Date, DATE, "2009-05-01"),
            col(
                "gender",
                false,
                labels(Gender::ALL, |v| v.display_label()),
                "; empty is Not known",
                "Female",
            ),
            col(
                "ethnicity",
                false,
                labels(Ethnicity::ALL, |v| v.display_label()),
                "; empty is Not stated",
                "White",
            ),
            col(
                "district",
                false,
                Text,
                "text, at most 100 characters",
                "District A",
            ),
        ],
        ImportKind::Referrals => vec![
            col("referral_ref", true, Text, reference, "R0001"),
            col(
                "participant_ref",
                true,
                Text,
                "the reference of a participant of your organisation",
                "P0001",
            ),
            col(
                "programme",
                true,
                Text,
                "the name of one of your organisation's programmes",
                "Mentoring",
            ),
            col("referred_on", true, Date, DATE, "2025-05-01"),
            col(
                "source",
                true,
                labels(ReferralSource::ALL, |v| v.display_label()),
                "",
                "Police",
            ),
            col("reason", false, Text, "text, at most 500 characters", ""),
            col(
                "decision",
                false,
                labels(Decision::ALL, |v| v.display_label()),
                "; empty is Pending",
                "Accepted",
            ),
            col("decided_on", false, Date, DATE, "2025-05-03"),
            col(
                "closure",
                false,
                labels(Closure::ALL, |v| v.display_label()),
                "; empty is Open",
                "Open",
            ),
            col("closed_on", false, Date, DATE, ""),
            col(
                "required_hours",
                false,
                Number,
                "a number of hours (Immediate Justice: 5 to 20)",
                "",
            ),
            col(
                "linkage_objection",
                false,
                Choice(vec!["yes".into(), "no".into()]),
                " (yes: the person objected to being linked to police data); empty keeps what is recorded, no for a new referral",
                "",
            ),
        ],
        ImportKind::Sessions => vec![
            col("session_ref", true, Text, reference, "S0001"),
            col(
                "programme",
                true,
                Text,
                "the name of one of your organisation's programmes",
                "Mentoring",
            ),
            col("date", true, Date, DATE, "2025-06-01"),
            col(
                "kind",
                true,
                labels(SessionKind::ALL, |v| v.display_label()),
                "",
                "One to one",
            ),
            col(
                "duration_minutes",
                false,
                Number,
                "a whole number of minutes, 0 to 1440",
                "60",
            ),
            col(
                "headcount",
                false,
                Number,
                "a whole number of unnamed attendees",
                "",
            ),
            col("district", false, Text, "text, at most 100 characters", ""),
            col("venue", false, Text, "text, at most 200 characters", ""),
        ],
        ImportKind::Attendance => vec![
            col(
                "session_ref",
                true,
                Text,
                "the reference of a session",
                "S0001",
            ),
            col(
                "referral_ref",
                true,
                Text,
                "the reference of a referral",
                "R0001",
            ),
            col(
                "status",
                true,
                labels(AttendanceStatus::ALL, |v| v.display_label()),
                "; empty removes the mark",
                "Attended",
            ),
            col("hours", false, Number, "hours attended", "1.5"),
        ],
        ImportKind::Outcomes => vec![
            col(
                "referral_ref",
                true,
                Text,
                "the reference of a referral",
                "R0001",
            ),
            col(
                "measure",
                true,
                Text,
                "the name of an outcome measure",
                "Feels safe",
            ),
            col(
                "timepoint",
                true,
                labels(Timepoint::ALL, |v| v.display_label()),
                "",
                "Baseline",
            ),
            col("recorded_on", true, Date, DATE, "2025-05-10"),
            col(
                "value",
                true,
                Number,
                "a number within the measure's range",
                "3",
            ),
        ],
        ImportKind::Offences => vec![
            col(
                "police_id",
                true,
                Text,
                "the police identifier; never stored in clear",
                "AB 123456",
            ),
            col("offence_date", true, Date, DATE, "2025-02-01"),
            col(
                "offence_group",
                true,
                labels(OffenceGroup::ALL, |v| v.display_label()),
                "",
                "Shoplifting",
            ),
            col("proven_on", false, Date, DATE, ""),
            col(
                "date_of_birth",
                false,
                Date,
                "a date; only its year and month are kept",
                "",
            ),
            col(
                "gender",
                false,
                labels(Gender::ALL, |v| v.display_label()),
                "",
                "",
            ),
        ],
        ImportKind::Comparison => vec![
            col(
                "police_id",
                true,
                Text,
                "the police identifier; never stored in clear",
                "AB 123456",
            ),
            col("index_date", true, Date, DATE, "2025-01-15"),
        ],
    }
}

/// The sheet a kind's template fills (the import reads the sheet named like the kind).
pub fn sheet_name(kind: ImportKind) -> String {
    let name = kind.name().replace('-', " ");
    let mut chars = name.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

/// The CSV template: the header line.
pub fn csv(kind: ImportKind) -> Vec<u8> {
    let names: Vec<&str> = columns(kind).iter().map(|c| c.name).collect();
    format!("{}\r\n", names.join(",")).into_bytes()
}

/// Rows of the template that carry drop-downs and date formats.
const ROWS: u32 = 5000;

/// The organisation's names that a template offers as drop-downs.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// The organisation's programmes (the `programme` column of referrals and sessions).
    pub programmes: Vec<String>,
    /// The outcome measures (the `measure` column of outcomes).
    pub measures: Vec<String>,
}

/// The columns of a kind, with the `programme` and `measure` columns as drop-downs of
/// `names` when there are any.
pub fn columns_with(kind: ImportKind, names: &Names) -> Vec<Column> {
    let mut columns = columns(kind);
    for c in &mut columns {
        let list = match c.name {
            "programme" => &names.programmes,
            "measure" => &names.measures,
            _ => continue,
        };
        if !list.is_empty() {
            let accepted = format!("one of: {}", list.join(", "));
            c.holds = Holds::Choice(list.clone());
            c.accepted = accepted;
        }
    }
    columns
}

/// The XLSX template.
pub fn xlsx(kind: ImportKind) -> Result<Vec<u8>, XlsxError> {
    xlsx_with(kind, &Names::default())
}

/// The XLSX template with the organisation's programme and measure names as drop-downs.
pub fn xlsx_with(kind: ImportKind, names: &Names) -> Result<Vec<u8>, XlsxError> {
    let columns = columns_with(kind, names);
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let text = Format::new().set_num_format("@");
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name(kind))?;
    // Lists for drop-downs live on a hidden sheet: a list written inline is limited to
    // 255 characters.
    let mut lists: Vec<(usize, Vec<String>)> = Vec::new();
    for (i, c) in columns.iter().enumerate() {
        let i16 = i as u16;
        sheet.write_string_with_format(0, i16, c.name, &bold)?;
        let width = c.name.len().max(c.example.len()).max(14) as f64 + 2.0;
        match &c.holds {
            Holds::Date => {
                sheet.set_column_width(i16, width.max(14.0))?;
                sheet.set_column_format(i16, &date)?;
            }
            Holds::Choice(values) => {
                let widest = values.iter().map(|v| v.len()).max().unwrap_or(0) as f64 + 4.0;
                sheet.set_column_width(i16, width.max(widest))?;
                lists.push((i, values.clone()));
            }
            Holds::Text => {
                sheet.set_column_width(i16, width)?;
                // References like 00123 stay as typed.
                sheet.set_column_format(i16, &text)?;
            }
            _ => {
                sheet.set_column_width(i16, width)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    for (n, (i, values)) in lists.iter().enumerate() {
        let letter = super::sheet::column_letter(n);
        let range = format!("=Lists!${letter}$1:${letter}${}", values.len());
        let c = &columns[*i];
        let validation = DataValidation::new()
            .allow_list_formula(Formula::new(range))
            .set_input_title(c.name)?
            .set_input_message(format!(
                "Pick from the list ({})",
                if c.required { "required" } else { "optional" }
            ))?
            .set_error_title("Not in the list")?
            .set_error_message(
                format!("The {} must be {}", c.name, c.accepted)
                    .chars()
                    .take(250)
                    .collect::<String>(),
            )?;
        sheet.add_data_validation(1, *i as u16, ROWS, *i as u16, &validation)?;
    }

    let guide = book.add_worksheet();
    guide.set_name("How to fill this in")?;
    for (j, head) in [
        "column",
        "required or optional",
        "accepted values",
        "example",
    ]
    .iter()
    .enumerate()
    {
        guide.write_string_with_format(0, j as u16, *head, &bold)?;
    }
    for (i, c) in columns.iter().enumerate() {
        let r = i as u32 + 1;
        guide.write_string(r, 0, c.name)?;
        guide.write_string(r, 1, if c.required { "required" } else { "optional" })?;
        guide.write_string(r, 2, &c.accepted)?;
        guide.write_string(r, 3, c.example)?;
    }
    let last = columns.len() as u32 + 2;
    guide.write_string(
        last,
        0,
        "Fill in one row per record on the first sheet, under the header. Leave optional \
         columns empty when you do not know. A file with any error changes nothing: the \
         upload lists every error with its row and column.",
    )?;
    guide.set_column_width(0, 20)?;
    guide.set_column_width(1, 22)?;
    guide.set_column_width(2, 80)?;
    guide.set_column_width(3, 24)?;
    guide.set_freeze_panes(1, 0)?;

    let hidden = book.add_worksheet();
    hidden.set_name("Lists")?;
    for (n, (_, values)) in lists.iter().enumerate() {
        for (r, v) in values.iter().enumerate() {
            hidden.write_string(r as u32, n as u16, v)?;
        }
    }
    hidden.set_hidden(true);
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_has_exactly_the_columns_the_import_reads() {
        for kind in ImportKind::ALL {
            let cols = columns(*kind);
            let (required, optional) = super::super::columns_of(*kind);
            let mut want: Vec<(&str, bool)> = required.iter().map(|c| (*c, true)).collect();
            want.extend(optional.iter().map(|c| (*c, false)));
            want.sort();
            let mut got: Vec<(&str, bool)> = cols.iter().map(|c| (c.name, c.required)).collect();
            got.sort();
            assert_eq!(got, want, "{kind}");
            // Every label offered in a drop-down is accepted by the import.
            assert!(xlsx(*kind).is_ok());
        }
    }

    #[test]
    fn sheet_names_are_the_kinds() {
        assert_eq!(sheet_name(ImportKind::Referrals), "Referrals");
        assert_eq!(sheet_name(ImportKind::Comparison), "Comparison group");
        assert_eq!(
            String::from_utf8(csv(ImportKind::Sessions)).unwrap(),
            "session_ref,programme,date,kind,duration_minutes,headcount,district,venue\r\n"
        );
    }
}
