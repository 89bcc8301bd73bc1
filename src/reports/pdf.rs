//! The report as PDF, typeset with typst (cargo feature `pdf`). The template
//! `templates/pdf/report.typ` is compiled into the binary and reads the report's view as
//! one JSON input (`sys.inputs.data`), so data is never turned into markup. Fonts are
//! embedded (Liberation Sans, SIL OFL 1.1, `assets/fonts/`); the template has no access to
//! files, packages or the system's fonts. Charts are the same SVG as on the page.

use std::sync::OnceLock;

use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Dict, Str, Value};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

use super::view::ReportView;

const TEMPLATE: &str = include_str!("../../templates/pdf/report.typ");

const FONT_FILES: [&[u8]; 3] = [
    include_bytes!("../../assets/fonts/LiberationSans-Regular.ttf"),
    include_bytes!("../../assets/fonts/LiberationSans-Bold.ttf"),
    include_bytes!("../../assets/fonts/LiberationSans-Italic.ttf"),
];

/// The embedded fonts and their book, parsed once.
fn fonts() -> &'static (LazyHash<FontBook>, Vec<Font>) {
    static FONTS: OnceLock<(LazyHash<FontBook>, Vec<Font>)> = OnceLock::new();
    FONTS.get_or_init(|| {
        let fonts: Vec<Font> = FONT_FILES
            .iter()
            .flat_map(|data| Font::iter(Bytes::new(*data)))
            .collect();
        let book = FontBook::from_infos(fonts.iter().map(|f| f.info().clone()));
        (LazyHash::new(book), fonts)
    })
}

/// A world with one source file (the template) and nothing else.
struct ReportWorld {
    library: LazyHash<Library>,
    main: Source,
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &fonts().0
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            Ok(Bytes::from_string(self.main.text().to_string()))
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        fonts().1.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        // Reports state their own dates; the template never asks for today.
        None
    }
}

fn describe(errors: &[SourceDiagnostic]) -> String {
    errors
        .iter()
        .map(|e| e.message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The PDF of a report's view.
pub fn render(view: &ReportView) -> Result<Vec<u8>, String> {
    let json = serde_json::to_string(view).map_err(|e| e.to_string())?;
    compile(TEMPLATE, "/report.typ", json)
}

/// The subject access export of one participant (`casework::subject_access`), typeset by
/// `templates/pdf/subject_access.typ` from the export's JSON.
pub fn render_subject_access(json: String) -> Result<Vec<u8>, String> {
    // The words of the export's closed vocabularies, with their labels, so that the PDF
    // reads "Out-of-court resolution hub" where the JSON keeps `oocr_hub`.
    let mut value: serde_json::Value = serde_json::from_str(&json).map_err(|e| e.to_string())?;
    if let Some(object) = value.as_object_mut() {
        object.insert("labels".into(), vocabulary_labels());
    }
    let json = value.to_string();
    compile(
        include_str!("../../templates/pdf/subject_access.typ"),
        "/subject_access.typ",
        json,
    )
}

/// Each vocabulary of the subject access export: its words and their labels.
fn vocabulary_labels() -> serde_json::Value {
    use crate::domain::enums::{
        AttendanceStatus, AuditAction, Closure, Decision, Ethnicity, Gender, OffenceGroup,
        ReferralSource, SessionKind, Timepoint, Vocabulary,
    };
    fn of<T: Vocabulary>() -> serde_json::Value {
        T::all()
            .iter()
            .map(|v| (v.word().to_string(), serde_json::Value::String(v.label())))
            .collect::<serde_json::Map<_, _>>()
            .into()
    }
    serde_json::json!({
        "gender": of::<Gender>(),
        "ethnicity": of::<Ethnicity>(),
        "source": of::<ReferralSource>(),
        "decision": of::<Decision>(),
        "closure": of::<Closure>(),
        "session_kind": of::<SessionKind>(),
        "status": of::<AttendanceStatus>(),
        "timepoint": of::<Timepoint>(),
        "offence_group": of::<OffenceGroup>(),
        "action": of::<AuditAction>(),
    })
}

/// Typesets `template` (named `name`) with `json` as its one input, `sys.inputs.data`.
fn compile(template: &str, name: &str, json: String) -> Result<Vec<u8>, String> {
    let mut inputs = Dict::new();
    inputs.insert(Str::from("data"), Value::Str(Str::from(json)));
    let path = VirtualPath::new(name).map_err(|e| format!("{e:?}"))?;
    let id = RootedPath::new(VirtualRoot::Project, path).intern();
    let world = ReportWorld {
        library: LazyHash::new(Library::builder().with_inputs(inputs).build()),
        main: Source::new(id, template.to_string()),
    };
    let document: PagedDocument = typst::compile(&world)
        .output
        .map_err(|errors| describe(&errors))?;
    // PDF/UA-1 (tagged, titled, in en-GB, every image with its alternative text): typst
    // checks the document against it and refuses what does not conform. Should a report
    // ever fail that check, it is still written as a tagged PDF (typst's default) rather
    // than not at all; the tests require every demo report to conform.
    let ua = typst_pdf::PdfOptions {
        standards: typst_pdf::PdfStandards::new(&[typst_pdf::PdfStandard::Ua_1])
            .map_err(|e| format!("{e:?}"))?,
        ..typst_pdf::PdfOptions::default()
    };
    typst_pdf::pdf(&document, &ua)
        .or_else(|errors| {
            tracing::warn!(reason = %describe(&errors), "report PDF written without PDF/UA-1");
            typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default()).map_err(|e| describe(&e))
        })
        .map(without_suspects)
}

/// The catalog's `/MarkInfo` as typst writes it, and the same without `/Suspects false`.
const MARK_INFO: &[u8] = b"/MarkInfo<</Marked true/Suspects false>>";
const MARK_INFO_PLAIN: &[u8] = b"/MarkInfo<</Marked true>>               ";

/// Drops `/Suspects false` from the catalog's mark information. It is valid PDF and the
/// default value, but poppler up to at least 22.12 reports "Syntax Error: Suspects object
/// is wrong type (boolean)" for it (`pdfinfo`, issue 22). Spaces take its place, so every
/// byte offset of the cross-reference table stays right; without the exact text, the PDF
/// is left as it is.
fn without_suspects(mut pdf: Vec<u8>) -> Vec<u8> {
    let found: Vec<usize> = pdf
        .windows(MARK_INFO.len())
        .enumerate()
        .filter(|(_, w)| *w == MARK_INFO)
        .map(|(i, _)| i)
        .collect();
    if let [at] = found[..] {
        pdf[at..at + MARK_INFO.len()].copy_from_slice(MARK_INFO_PLAIN);
    }
    pdf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mark_information_loses_only_suspects_and_keeps_its_length() {
        assert_eq!(MARK_INFO.len(), MARK_INFO_PLAIN.len());
        let pdf = b"1 0 obj<</Type/Catalog/MarkInfo<</Marked true/Suspects false>>/Lang(en-GB)>>"
            .to_vec();
        let out = without_suspects(pdf.clone());
        assert_eq!(out.len(), pdf.len());
        assert_eq!(
            out,
            b"1 0 obj<</Type/Catalog/MarkInfo<</Marked true>>               /Lang(en-GB)>>"
                .to_vec()
        );
        // Twice (not the catalog as typst writes it): left alone.
        let twice = [&pdf[..], &pdf[..]].concat();
        assert_eq!(without_suspects(twice.clone()), twice);
    }
}
