//! Report parameters: an arbitrary query string, as the report routes receive it
//! (`web::Query<ReportQuery>` decodes with serde_urlencoded), then validated into a
//! report request.
//!
//! Invariants beyond "no panic":
//! - a refused query names at least one field, and only fields the query has;
//! - an accepted query's parameters are in range (follow-up 3, 6, 12 or 24; waiting at
//!   most 24), and the query string that asks for it again (the links to its downloads)
//!   decodes and validates to the same request.
#![no_main]

use libfuzzer_sys::fuzz_target;
use outcomes::domain::ids::ProgrammeId;
use outcomes::reports::ReportRequest;
use outcomes::store::report_rows::ReportScope;
use outcomes::web::errors::AppError;
use outcomes::web::report_query::{query_string, ReportQuery};

const FIELDS: &[&str] = &["period", "follow_up", "waiting", "index"];

fn request(query: &ReportQuery) -> Result<ReportRequest, AppError> {
    query.request(ReportScope::Programme(ProgrammeId(1)), "P".into(), 5)
}

fn same(a: &ReportRequest, b: &ReportRequest) -> bool {
    a.period == b.period
        && a.follow_up_months == b.follow_up_months
        && a.waiting_months == b.waiting_months
        && a.index == b.index
        && a.published == b.published
        && a.price_year == b.price_year
        && a.threshold == b.threshold
}

fuzz_target!(|data: &[u8]| {
    let Ok(query) = serde_urlencoded::from_bytes::<ReportQuery>(data) else {
        return;
    };
    match request(&query) {
        Ok(req) => {
            assert!([3, 6, 12, 24].contains(&req.follow_up_months));
            assert!(req.waiting_months <= 24);
            let again = query_string(&req, req.published);
            let decoded: ReportQuery = serde_urlencoded::from_str(&again)
                .unwrap_or_else(|e| panic!("{again:?} does not decode: {e}"));
            let req2 = request(&decoded).unwrap_or_else(|e| panic!("{again:?} refused: {e:?}"));
            assert!(same(&req, &req2), "{again:?} asks for another report");
        }
        Err(AppError::Validation(errors)) => {
            assert!(!errors.is_empty(), "refused without a reason");
            for e in &errors {
                assert!(FIELDS.contains(&e.field.as_str()), "field {:?}", e.field);
                assert!(!e.message.is_empty());
            }
        }
        Err(other) => panic!("unexpected error {other:?}"),
    }
});
