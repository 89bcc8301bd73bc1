//! CSV import parsing: the first byte picks the kind of file, the rest is the file.
//! `outcomes::imports::check` is the parser and validator that `import` runs before it
//! touches the database.
//!
//! Invariants beyond "no panic":
//! - with an organisation and an extract date given, the only outcomes are the number of
//!   valid rows or `Invalid` (never `Refused`, I/O or store errors);
//! - a file that passes has at most as many rows as it has lines;
//! - an invalid file lists at least one error, at most `MAX_LISTED_ERRORS`, counts at least
//!   as many as it lists, and every error names a line within the file and says what is
//!   expected;
//! - a police identifier is never echoed: an error on `police_id` shows `(withheld)`;
//! - checking is deterministic (the same bytes give the same answer twice).
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use outcomes::domain::enums::ImportKind;
use outcomes::domain::ids::OrganisationId;
use outcomes::domain::person_key::PersonKeySecret;
use outcomes::imports::{check, ImportContext, ImportError, MAX_LISTED_ERRORS, WITHHELD};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let kind = ImportKind::ALL[selector as usize % ImportKind::ALL.len()];
    let secret = PersonKeySecret::new(b"fuzz secret".to_vec());
    let ctx = ImportContext {
        organisation: Some(OrganisationId(1)),
        user: None,
        secret: &secret,
        today: NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
        extract_date: NaiveDate::from_ymd_opt(2026, 6, 1),
        confirm_shrink: false,
    };
    let lines = file.iter().filter(|&&b| b == b'\n' || b == b'\r').count() as u64 + 1;
    let first = check(&ctx, kind, file);
    match &first {
        Ok(rows) => assert!(*rows <= lines, "{kind}: {rows} rows from {lines} lines"),
        Err(ImportError::Invalid { errors, total }) => {
            assert!(!errors.is_empty(), "{kind}: invalid without an error");
            assert!(errors.len() <= MAX_LISTED_ERRORS);
            assert!(*total >= errors.len(), "{kind}: {total} < {}", errors.len());
            for e in errors {
                assert!(e.line <= lines + 1, "{kind}: line {} of {lines}", e.line);
                assert!(!e.expected.is_empty(), "{kind}: error without a message");
                if e.column == "police_id" {
                    assert!(
                        e.value == WITHHELD || e.value.is_empty(),
                        "{kind}: a police identifier echoed"
                    );
                }
            }
        }
        Err(other) => panic!("{kind}: unexpected error {other}"),
    }
    let again = check(&ctx, kind, file);
    assert_eq!(
        format!("{first:?}"),
        format!("{again:?}"),
        "{kind}: not deterministic"
    );
});
