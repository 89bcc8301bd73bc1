//! The integration tests: one binary, one `spawn_app()` per test on a fresh database.
//! Set `TEST_DATABASE_URL=postgres://...` to run the same suite on PostgreSQL.

mod access;
mod audit;
mod auth;
mod backup;
mod casework;
mod casework_pages;
mod cli;
mod comparison_reports;
mod comparisons;
mod concurrency;
mod correction_pages;
mod corrections;
mod dashboard;
mod demo;
mod disclosure_audit;
mod extracts;
mod hardening;
mod health;
mod helpers;
mod imports;
mod instances;
mod layers;
mod locked;
mod merge;
mod migrations;
mod pages;
mod reapproval;
mod report_agreement;
mod report_formats;
mod report_pdf;
mod reports;
mod returns;
mod scoping;
mod sheets;
mod units;
