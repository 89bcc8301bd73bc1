//! The referral lifecycle (DESIGN.md section 2): a decision pending → accepted | declined,
//! then for accepted referrals a closure open → completed | withdrawn | disengaged.
//!
//! `transition` is the only place that decides whether a change is allowed; the store
//! applies what it returns, and the database checks the same rules again.

use chrono::NaiveDate;

use super::enums::{Closure, Decision};

/// The lifecycle state of a referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferralState {
    pub referred_on: NaiveDate,
    pub decision: Decision,
    pub decided_on: Option<NaiveDate>,
    pub closure: Closure,
    pub closed_on: Option<NaiveDate>,
}

/// A change a caseworker asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Decide { decision: Decision, on: NaiveDate },
    Close { closure: Closure, on: NaiveDate },
}

/// Why a change is not allowed, in words for the caseworker. `field` names the form field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error("a referral can only be closed after it has been accepted (it is {0})")]
    CloseBeforeAccepted(Decision),
    #[error("the referral has already been decided ({0}); it cannot be decided again")]
    AlreadyDecided(Decision),
    #[error("choose accepted or declined")]
    DecisionPending,
    #[error("the referral is already closed ({0})")]
    AlreadyClosed(Closure),
    #[error("choose completed, withdrawn or disengaged")]
    ClosureOpen,
    #[error("the date {date} is before the referral date {referred_on}")]
    BeforeReferral {
        date: NaiveDate,
        referred_on: NaiveDate,
    },
    #[error("the closure date {date} is before the decision date {decided_on}")]
    BeforeDecision {
        date: NaiveDate,
        decided_on: NaiveDate,
    },
    #[error("the date {date} is in the future (today is {today})")]
    InFuture { date: NaiveDate, today: NaiveDate },
}

impl LifecycleError {
    /// The field the message belongs to.
    pub fn field(&self) -> &'static str {
        match self {
            LifecycleError::CloseBeforeAccepted(_)
            | LifecycleError::AlreadyClosed(_)
            | LifecycleError::ClosureOpen => "closure",
            LifecycleError::AlreadyDecided(_) | LifecycleError::DecisionPending => "decision",
            LifecycleError::BeforeReferral { .. }
            | LifecycleError::BeforeDecision { .. }
            | LifecycleError::InFuture { .. } => "date",
        }
    }
}

impl ReferralState {
    /// A new referral: pending and open.
    pub fn new(referred_on: NaiveDate) -> Self {
        ReferralState {
            referred_on,
            decision: Decision::Pending,
            decided_on: None,
            closure: Closure::Open,
            closed_on: None,
        }
    }

    /// The state after `change`, or why it is refused. `today` bounds dates: decisions
    /// and closures cannot be recorded for the future.
    pub fn transition(self, change: Change, today: NaiveDate) -> Result<Self, LifecycleError> {
        let check_date = |date: NaiveDate| -> Result<(), LifecycleError> {
            if date < self.referred_on {
                return Err(LifecycleError::BeforeReferral {
                    date,
                    referred_on: self.referred_on,
                });
            }
            if date > today {
                return Err(LifecycleError::InFuture { date, today });
            }
            Ok(())
        };
        match change {
            Change::Decide { decision, on } => {
                if decision == Decision::Pending {
                    return Err(LifecycleError::DecisionPending);
                }
                if self.decision != Decision::Pending {
                    return Err(LifecycleError::AlreadyDecided(self.decision));
                }
                check_date(on)?;
                Ok(ReferralState {
                    decision,
                    decided_on: Some(on),
                    ..self
                })
            }
            Change::Close { closure, on } => {
                if closure == Closure::Open {
                    return Err(LifecycleError::ClosureOpen);
                }
                if self.decision != Decision::Accepted {
                    return Err(LifecycleError::CloseBeforeAccepted(self.decision));
                }
                if self.closure != Closure::Open {
                    return Err(LifecycleError::AlreadyClosed(self.closure));
                }
                check_date(on)?;
                if let Some(decided_on) = self.decided_on.filter(|d| on < *d) {
                    return Err(LifecycleError::BeforeDecision {
                        date: on,
                        decided_on,
                    });
                }
                Ok(ReferralState {
                    closure,
                    closed_on: Some(on),
                    ..self
                })
            }
        }
    }

    /// Validates a whole state given at once (as in an import row), by replaying it from
    /// a new referral, so the same rules apply as for step-by-step changes.
    pub fn validate(self, today: NaiveDate) -> Result<Self, LifecycleError> {
        let mut state = ReferralState::new(self.referred_on);
        match (self.decision, self.decided_on) {
            (Decision::Pending, _) => {}
            (decision, Some(on)) => {
                state = state.transition(Change::Decide { decision, on }, today)?
            }
            (decision, None) => {
                // A decision without a date is taken as decided on the referral date.
                state = state.transition(
                    Change::Decide {
                        decision,
                        on: self.referred_on,
                    },
                    today,
                )?
            }
        }
        if self.closure != Closure::Open {
            let on = self.closed_on.ok_or(LifecycleError::ClosureOpen)?;
            state = state.transition(
                Change::Close {
                    closure: self.closure,
                    on,
                },
                today,
            )?;
        }
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    const TODAY: &str = "2025-12-01";

    fn accepted() -> ReferralState {
        ReferralState::new(d("2025-05-01"))
            .transition(
                Change::Decide {
                    decision: Decision::Accepted,
                    on: d("2025-05-03"),
                },
                d(TODAY),
            )
            .unwrap()
    }

    #[test]
    fn an_accepted_referral_can_be_completed() {
        let done = accepted()
            .transition(
                Change::Close {
                    closure: Closure::Completed,
                    on: d("2025-08-01"),
                },
                d(TODAY),
            )
            .unwrap();
        assert_eq!(done.closure, Closure::Completed);
        assert_eq!(done.closed_on, Some(d("2025-08-01")));
    }

    #[test]
    fn a_referral_cannot_be_completed_before_it_is_accepted() {
        for decision in [Decision::Pending, Decision::Declined] {
            let mut s = ReferralState::new(d("2025-05-01"));
            s.decision = decision;
            let err = s
                .transition(
                    Change::Close {
                        closure: Closure::Completed,
                        on: d("2025-06-01"),
                    },
                    d(TODAY),
                )
                .unwrap_err();
            assert_eq!(err, LifecycleError::CloseBeforeAccepted(decision));
            assert_eq!(err.field(), "closure");
        }
    }

    #[test]
    fn no_date_may_precede_the_referral() {
        let err = ReferralState::new(d("2025-05-01"))
            .transition(
                Change::Decide {
                    decision: Decision::Declined,
                    on: d("2025-04-30"),
                },
                d(TODAY),
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the date 2025-04-30 is before the referral date 2025-05-01"
        );
    }

    #[test]
    fn closure_dates_cannot_be_in_the_future_or_before_the_decision() {
        let future = accepted()
            .transition(
                Change::Close {
                    closure: Closure::Withdrawn,
                    on: d("2025-12-02"),
                },
                d(TODAY),
            )
            .unwrap_err();
        assert!(matches!(future, LifecycleError::InFuture { .. }));
        let early = accepted()
            .transition(
                Change::Close {
                    closure: Closure::Withdrawn,
                    on: d("2025-05-02"),
                },
                d(TODAY),
            )
            .unwrap_err();
        assert!(matches!(early, LifecycleError::BeforeDecision { .. }));
    }

    #[test]
    fn decisions_and_closures_happen_once() {
        let err = accepted()
            .transition(
                Change::Decide {
                    decision: Decision::Declined,
                    on: d("2025-06-01"),
                },
                d(TODAY),
            )
            .unwrap_err();
        assert_eq!(err, LifecycleError::AlreadyDecided(Decision::Accepted));
        let closed = accepted()
            .transition(
                Change::Close {
                    closure: Closure::Disengaged,
                    on: d("2025-06-01"),
                },
                d(TODAY),
            )
            .unwrap();
        assert_eq!(
            closed
                .transition(
                    Change::Close {
                        closure: Closure::Completed,
                        on: d("2025-07-01"),
                    },
                    d(TODAY)
                )
                .unwrap_err(),
            LifecycleError::AlreadyClosed(Closure::Disengaged)
        );
    }

    #[test]
    fn a_whole_state_is_checked_by_replaying_it() {
        let bad = ReferralState {
            referred_on: d("2025-05-01"),
            decision: Decision::Pending,
            decided_on: None,
            closure: Closure::Completed,
            closed_on: Some(d("2025-06-01")),
        };
        assert_eq!(
            bad.validate(d(TODAY)).unwrap_err(),
            LifecycleError::CloseBeforeAccepted(Decision::Pending)
        );
        let good = ReferralState {
            decision: Decision::Accepted,
            decided_on: Some(d("2025-05-02")),
            ..bad
        };
        assert_eq!(good.validate(d(TODAY)).unwrap(), good);
    }
}
