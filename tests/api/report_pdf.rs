//! The PDF as a document (issue 22): every demo programme's PDF, internal and published,
//! renders in poppler without a warning, sets no text under 8 pt, and has no word of text
//! overlapping another (so no table header runs into the next), read back with
//! `pdftoppm` and `pdftotext -bbox-layout`.
#![cfg(feature = "pdf")]

use std::process::Command;

use outcomes::reports::view::view;

use crate::report_agreement::{demo_reports_of, seeded};

/// A word's box on a page.
#[derive(Debug, Clone)]
struct Word {
    page: usize,
    text: String,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

fn attr(tag: &str, name: &str) -> f64 {
    let key = format!("{name}=\"");
    let at = tag.find(&key).unwrap() + key.len();
    tag[at..at + tag[at..].find('"').unwrap()].parse().unwrap()
}

/// Every word of the PDF with its box, from `pdftotext -bbox-layout`.
fn words(pdf: &std::path::Path) -> Vec<Word> {
    let out = Command::new("pdftotext")
        .arg("-bbox-layout")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    assert!(out.status.success());
    let html = String::from_utf8(out.stdout).unwrap();
    let mut page = 0;
    let mut out = Vec::new();
    for part in html.split('<').skip(1) {
        if part.starts_with("page ") {
            page += 1;
        } else if let Some(tag) = part.strip_prefix("word ") {
            let (tag, text) = tag.split_once('>').unwrap();
            out.push(Word {
                page,
                text: text.to_string(),
                x0: attr(tag, "xMin"),
                y0: attr(tag, "yMin"),
                x1: attr(tag, "xMax"),
                y1: attr(tag, "yMax"),
            });
        }
    }
    out
}

/// `pdfinfo` of a PDF (with `-meta`: its XMP metadata).
fn pdfinfo(pdf: &std::path::Path, meta: bool) -> String {
    let mut c = Command::new("pdfinfo");
    if meta {
        c.arg("-meta");
    }
    let out = c.arg(pdf).output().expect("pdfinfo runs");
    assert!(out.status.success());
    // No warning either ("Suspects object is wrong type", issue 22).
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "pdfinfo warns");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The PDF/UA-oriented check: tagged, titled, in British English, declaring PDF/UA-1
/// (which typst only writes when the document passed its PDF/UA-1 checks).
fn accessible(pdf: &std::path::Path, title: &str, name: &str) {
    let info = pdfinfo(pdf, false);
    let field = |key: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(str::trim)
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(field("Title:"), title, "{name}: {info}");
    assert_eq!(field("Tagged:"), "yes", "{name}: {info}");
    assert!(title.contains(name.split(" (").next().unwrap()), "{title}");
    let meta = pdfinfo(pdf, true);
    assert!(
        meta.contains("<pdfuaid:part>1</pdfuaid:part>") || meta.contains("pdfuaid:part=\"1\""),
        "{name}: no PDF/UA-1 in {meta}"
    );
    assert!(meta.contains("en-GB"), "{name}: no language in {meta}");
}

#[test]
fn every_demo_pdf_renders_without_warnings_no_text_under_8pt_and_no_overlap() {
    let mut db = seeded();
    let dir = tempfile::tempdir().unwrap();
    let mut pdfs = 0;
    for published in [false, true] {
        for report in demo_reports_of(&mut db.conn, published) {
            let name = format!(
                "{} ({})",
                report.body.programme,
                if published { "published" } else { "internal" }
            );
            let v = view(&report);
            let bytes = outcomes::reports::pdf::render(&v).unwrap();
            let path = dir.path().join(format!("r{pdfs}.pdf"));
            std::fs::write(&path, &bytes).unwrap();
            pdfs += 1;
            accessible(&path, &v.document_title, &name);
            // poppler renders it without a word on standard error.
            let out = Command::new("pdftoppm")
                .args(["-r", "30", "-png"])
                .arg(&path)
                .arg(dir.path().join("page"))
                .output()
                .expect("pdftoppm runs (apt-get install poppler-utils)");
            assert!(out.status.success(), "{name}");
            assert_eq!(
                String::from_utf8_lossy(&out.stderr),
                "",
                "{name}: poppler warns"
            );
            let words = words(&path);
            assert!(words.len() > 200, "{name}: {} words", words.len());
            // pdftotext's word box is 0.9386 × the font size for Liberation Sans
            // (measured: 8 pt text is 7.51 pt tall, 10 pt 9.38, 20 pt 18.77).
            for w in &words {
                let size = (w.y1 - w.y0) / 0.9386;
                assert!(
                    size >= 7.95,
                    "{name}: '{}' on page {} is set in {size:.1} pt",
                    w.text,
                    w.page
                );
            }
            // No two words overlap (a header running into the next, text on text).
            for (i, a) in words.iter().enumerate() {
                for b in &words[i + 1..] {
                    if a.page != b.page {
                        continue;
                    }
                    let dx = a.x1.min(b.x1) - a.x0.max(b.x0);
                    let dy = a.y1.min(b.y1) - a.y0.max(b.y0);
                    assert!(
                        dx <= 0.5 || dy <= 0.5,
                        "{name}: '{}' overlaps '{}' on page {}",
                        a.text,
                        b.text,
                        a.page
                    );
                }
            }
        }
    }
    assert_eq!(pdfs, 16);
}
