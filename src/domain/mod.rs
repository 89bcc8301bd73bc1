//! Domain types and rules, with no I/O: ids, the closed vocabularies, periods and
//! calendar arithmetic, the referral lifecycle and person keys. Everything that comes in
//! from a form, a CSV file or the command line is parsed into these types once, at the edge.

pub mod access;
pub mod calendar;
pub mod credentials;
pub mod date_input;
pub mod enums;
pub mod ids;
pub mod lifecycle;
pub mod period;
pub mod person_key;
pub mod retention;
pub mod returns;
pub mod rules;
pub mod two_factor;
pub mod validation;

#[cfg(test)]
mod proptests;
