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
    let mut inputs = Dict::new();
    inputs.insert(Str::from("data"), Value::Str(Str::from(json)));
    let path = VirtualPath::new("/report.typ").map_err(|e| format!("{e:?}"))?;
    let id = RootedPath::new(VirtualRoot::Project, path).intern();
    let world = ReportWorld {
        library: LazyHash::new(Library::builder().with_inputs(inputs).build()),
        main: Source::new(id, TEMPLATE.to_string()),
    };
    let document: PagedDocument = typst::compile(&world)
        .output
        .map_err(|errors| describe(&errors))?;
    typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default()).map_err(|e| describe(&e))
}
