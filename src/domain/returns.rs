//! Quarterly returns (docs/casework.md, "Quarterly returns"): which status a return may
//! move to, which quarters a provider may submit, and the lock an approved return puts
//! on the records dated in its quarter. No I/O: the store loads the approved quarters,
//! this module answers whether a date is locked.

use std::collections::HashSet;

use chrono::NaiveDate;

use super::enums::ReturnStatus;
use super::ids::ProgrammeId;
use super::period::{Period, Quarter};

/// Why a change of status is refused, in words for the field it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReturnError {
    #[error("the {} return is already submitted and waiting for a decision", .0.long_name())]
    AlreadySubmitted(Quarter),
    #[error("the {} return is already approved; an admin can unlock it", .0.long_name())]
    AlreadyApproved(Quarter),
    #[error("only a submitted return can be approved or returned; the {q} return is {s}", q = .0.long_name(), s = .1)]
    NotSubmitted(Quarter, ReturnStatus),
    #[error("only an approved return can be unlocked; the {q} return is {s}", q = .0.long_name(), s = .1)]
    NotApproved(Quarter, ReturnStatus),
    #[error("only a submitted return can be withdrawn; the {q} return is {s}", q = .0.long_name(), s = .1)]
    NotWithdrawable(Quarter, ReturnStatus),
}

/// The status after a provider submits, given the current one (`None`: never submitted).
/// A return that was returned, unlocked or withdrawn may be submitted again.
pub fn submit(
    quarter: Quarter,
    current: Option<ReturnStatus>,
) -> Result<ReturnStatus, ReturnError> {
    match current {
        None
        | Some(ReturnStatus::Returned)
        | Some(ReturnStatus::Unlocked)
        | Some(ReturnStatus::Withdrawn) => Ok(ReturnStatus::Submitted),
        Some(ReturnStatus::Submitted) => Err(ReturnError::AlreadySubmitted(quarter)),
        Some(ReturnStatus::Approved) => Err(ReturnError::AlreadyApproved(quarter)),
    }
}

/// The status after a commissioner's decision (`approve`, or return to the provider).
pub fn decide(
    quarter: Quarter,
    current: ReturnStatus,
    approve: bool,
) -> Result<ReturnStatus, ReturnError> {
    match current {
        ReturnStatus::Submitted if approve => Ok(ReturnStatus::Approved),
        ReturnStatus::Submitted => Ok(ReturnStatus::Returned),
        other => Err(ReturnError::NotSubmitted(quarter, other)),
    }
}

/// The status after a provider withdraws a submitted return, before a decision.
pub fn withdraw(quarter: Quarter, current: ReturnStatus) -> Result<ReturnStatus, ReturnError> {
    match current {
        ReturnStatus::Submitted => Ok(ReturnStatus::Withdrawn),
        other => Err(ReturnError::NotWithdrawable(quarter, other)),
    }
}

/// Whether a return may be submitted again from `status` (`None`: never submitted).
pub fn may_submit(status: Option<ReturnStatus>) -> bool {
    matches!(
        status,
        None | Some(ReturnStatus::Returned)
            | Some(ReturnStatus::Unlocked)
            | Some(ReturnStatus::Withdrawn)
    )
}

/// The first day a quarter's return can be submitted or approved: the day after it ends,
/// so that a return cannot lock records of days still to come.
pub fn open_from(quarter: Quarter) -> NaiveDate {
    quarter.last_day().succ_opt().unwrap_or(NaiveDate::MAX)
}

/// "1 January 2027": a date as the messages and the pages write it.
fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// Why a quarter cannot be approved yet (one submitted before the rule existed).
pub fn decidable(quarter: Quarter, today: NaiveDate) -> Result<(), String> {
    if today < open_from(quarter) {
        return Err(format!(
            "The {} quarter has not ended; its return can be approved from {}",
            quarter.long_name(),
            long_date(open_from(quarter))
        ));
    }
    Ok(())
}

/// The status after an admin unlocks an approved return.
pub fn unlock(quarter: Quarter, current: ReturnStatus) -> Result<ReturnStatus, ReturnError> {
    match current {
        ReturnStatus::Approved => Ok(ReturnStatus::Unlocked),
        other => Err(ReturnError::NotApproved(quarter, other)),
    }
}

/// Parses a quarter typed as `2025-26-Q3`.
pub fn parse_quarter(s: &str) -> Option<Quarter> {
    match s.trim().parse::<Period>() {
        Ok(Period::Quarter(q)) => Some(q),
        _ => None,
    }
}

/// Why a quarter cannot be submitted for a programme.
pub fn submittable(
    quarter: Quarter,
    today: NaiveDate,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
) -> Result<(), String> {
    if quarter.last_day() < starts_on || ends_on.is_some_and(|e| e < quarter.first_day()) {
        return Err(format!(
            "The programme did not run in {}; choose a quarter between its start and end dates",
            quarter.long_name()
        ));
    }
    if today < open_from(quarter) {
        return Err(format!(
            "The {} quarter has not ended; its return can be submitted from {}",
            quarter.long_name(),
            long_date(open_from(quarter))
        ));
    }
    Ok(())
}

/// The quarters of a programme's returns by `today`, newest first: from the one its start
/// date falls in to the current one (or the one its end date falls in). The current
/// quarter is listed (it can be submitted from the day after it ends: `open_from`).
pub fn quarters_to_return(
    today: NaiveDate,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
) -> Vec<Quarter> {
    let last = ends_on.map_or(today, |e| e.min(today));
    if last < starts_on {
        return Vec::new();
    }
    let mut quarters = Period::Range {
        from: starts_on,
        to: last,
    }
    .quarters();
    quarters.reverse();
    quarters
}

/// The quarters whose returns are approved, by programme: records dated in them are
/// locked.
#[derive(Debug, Clone, Default)]
pub struct Locks {
    approved: HashSet<(ProgrammeId, Quarter)>,
}

impl Locks {
    pub fn new(approved: impl IntoIterator<Item = (ProgrammeId, Quarter)>) -> Self {
        Locks {
            approved: approved.into_iter().collect(),
        }
    }

    /// The approved quarter `date` falls in, for `programme`, if any.
    pub fn locked(&self, programme: ProgrammeId, date: NaiveDate) -> Option<Quarter> {
        let q = Quarter::containing(date);
        self.approved.contains(&(programme, q)).then_some(q)
    }

    /// The first of `dates` (field, date) that is locked, with its quarter.
    pub fn first_locked<'a>(
        &self,
        programme: ProgrammeId,
        dates: impl IntoIterator<Item = (&'a str, NaiveDate)>,
    ) -> Option<(&'a str, NaiveDate, Quarter)> {
        dates
            .into_iter()
            .find_map(|(field, d)| self.locked(programme, d).map(|q| (field, d, q)))
    }

    pub fn is_empty(&self) -> bool {
        self.approved.is_empty()
    }
}

/// The message of a refused change, the same on pages, in problem JSON and in imports.
pub fn locked_message(date: NaiveDate, quarter: Quarter) -> String {
    format!(
        "The date {date} is in {}, whose quarterly return is approved, so records dated in it are locked; an admin can unlock the return",
        quarter.long_name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn q(s: &str) -> Quarter {
        parse_quarter(s).unwrap()
    }

    #[test]
    fn a_return_is_submitted_again_only_after_it_was_returned_or_unlocked() {
        let q3 = q("2025-26-Q3");
        assert_eq!(submit(q3, None), Ok(ReturnStatus::Submitted));
        assert_eq!(
            submit(q3, Some(ReturnStatus::Returned)),
            Ok(ReturnStatus::Submitted)
        );
        assert_eq!(
            submit(q3, Some(ReturnStatus::Unlocked)),
            Ok(ReturnStatus::Submitted)
        );
        assert_eq!(
            submit(q3, Some(ReturnStatus::Submitted)),
            Err(ReturnError::AlreadySubmitted(q3))
        );
        assert_eq!(
            submit(q3, Some(ReturnStatus::Approved)),
            Err(ReturnError::AlreadyApproved(q3))
        );
    }

    #[test]
    fn only_a_submitted_return_is_decided_and_only_an_approved_one_unlocked() {
        let q3 = q("2025-26-Q3");
        assert_eq!(
            decide(q3, ReturnStatus::Submitted, true),
            Ok(ReturnStatus::Approved)
        );
        assert_eq!(
            decide(q3, ReturnStatus::Submitted, false),
            Ok(ReturnStatus::Returned)
        );
        assert!(decide(q3, ReturnStatus::Returned, true).is_err());
        assert_eq!(
            unlock(q3, ReturnStatus::Approved),
            Ok(ReturnStatus::Unlocked)
        );
        assert_eq!(
            unlock(q3, ReturnStatus::Submitted).unwrap_err().to_string(),
            "only an approved return can be unlocked; the October to December 2025 (Q3 2025-26) return is submitted"
        );
        assert_eq!(
            withdraw(q3, ReturnStatus::Submitted),
            Ok(ReturnStatus::Withdrawn)
        );
        assert!(withdraw(q3, ReturnStatus::Approved).is_err());
        assert!(withdraw(q3, ReturnStatus::Returned).is_err());
        assert_eq!(
            submit(q3, Some(ReturnStatus::Withdrawn)),
            Ok(ReturnStatus::Submitted)
        );
    }

    #[test]
    fn a_quarter_can_be_submitted_once_it_has_ended_and_while_the_programme_ran() {
        let start = d("2025-04-01");
        assert!(submittable(q("2025-26-Q3"), d("2026-01-01"), start, None).is_ok());
        assert_eq!(
            submittable(q("2025-26-Q3"), d("2025-12-31"), start, None).unwrap_err(),
            "The October to December 2025 (Q3 2025-26) quarter has not ended; its return can be submitted from 1 January 2026"
        );
        assert!(submittable(q("2025-26-Q3"), d("2025-10-01"), start, None).is_err());
        assert!(decidable(q("2025-26-Q3"), d("2025-12-31")).is_err());
        assert!(decidable(q("2025-26-Q3"), d("2026-01-01")).is_ok());
        assert!(submittable(q("2024-25-Q4"), d("2025-10-01"), start, None)
            .unwrap_err()
            .contains("did not run"));
        assert!(submittable(
            q("2025-26-Q3"),
            d("2026-01-01"),
            start,
            Some(d("2025-09-30"))
        )
        .is_err());
    }

    #[test]
    fn the_quarters_to_return_run_from_the_start_to_today_newest_first() {
        let names: Vec<String> = quarters_to_return(d("2025-11-05"), d("2025-05-20"), None)
            .iter()
            .map(|q| q.to_string())
            .collect();
        assert_eq!(names, ["2025-26-Q3", "2025-26-Q2", "2025-26-Q1"]);
        assert!(quarters_to_return(d("2025-01-01"), d("2025-05-20"), None).is_empty());
    }

    #[test]
    fn a_date_is_locked_when_its_quarter_is_approved_for_that_programme() {
        let locks = Locks::new([(ProgrammeId(1), q("2025-26-Q3"))]);
        assert_eq!(
            locks.locked(ProgrammeId(1), d("2025-10-01")),
            Some(q("2025-26-Q3"))
        );
        assert_eq!(locks.locked(ProgrammeId(1), d("2025-09-30")), None);
        assert_eq!(locks.locked(ProgrammeId(2), d("2025-10-01")), None);
        assert_eq!(
            locks.first_locked(
                ProgrammeId(1),
                [("date", d("2026-01-01")), ("closed_on", d("2025-12-31"))]
            ),
            Some(("closed_on", d("2025-12-31"), q("2025-26-Q3")))
        );
    }
}
