//! Outcomes: intervention outcome tracking and evaluation for a Police and Crime
//! Commissioner's office and its Violence Reduction Unit.
//!
//! Data flows one way: `web` or `cli` → `store` → `db`, and `store` → `evaluation` →
//! `reports`. `domain` and `evaluation` do no I/O. See docs/architecture.md.

pub mod backup;
pub mod casework;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod evaluation;
pub mod exports;
pub mod format;
pub mod imports;
pub mod reports;
pub mod secrets;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod templates;
pub mod web;
