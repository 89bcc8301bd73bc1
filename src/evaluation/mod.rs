//! The evaluation engine: pure metric computations over plain rows (DESIGN.md section 4).
//!
//! Nothing here knows about the database, HTTP or templates. The store fills the row types
//! of [`rows`]; [`report::assemble`] turns them and [`report::ReportParams`] into a
//! [`report::Report`] whose JSON is the contract of DESIGN.md section 5. Each metric
//! function links to its definition in `docs/methodology.md`, and the methodology names
//! the function, so the two can be read side by side.

pub mod breakdowns;
pub mod canonical;
pub mod cost;
pub mod disclosure;
pub mod engagement;
pub mod matching;
pub mod money;
pub mod outcomes;
pub mod reoffending;
pub mod report;
pub mod rows;
#[cfg(test)]
mod scope_counting;
pub mod stats;
pub mod units;

use chrono::NaiveDate;
use serde::Serialize;

/// The version of `docs/methodology.md` this code implements; reports carry it.
pub const METHODOLOGY_VERSION: &str = "1.1.0";

/// An inclusive date range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// A period whose end precedes its start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the period ends ({to}) before it starts ({from})")]
pub struct BackwardsPeriod {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DateRange {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, BackwardsPeriod> {
        if to < from {
            Err(BackwardsPeriod { from, to })
        } else {
            Ok(Self { from, to })
        }
    }

    /// Whether `date` falls in the period, both ends included.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from <= date && date <= self.to
    }
}
