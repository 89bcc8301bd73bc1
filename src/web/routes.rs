//! The route registry: every route of the application, each with its access rule.
//!
//! `all()` is the one list. `configure` registers exactly these routes with actix, and the
//! `auth::authenticate` middleware looks up each request's rule here (by method and route
//! pattern) before any handler runs; a matched route that is not in the list is refused.
//! The access test in `tests/api/access.rs` enumerates this list × every role × own and
//! other organisation, so a new route is tested the day it is added.
//!
//! To add a route, add one `RouteSpec` to `all()`:
//!
//! ```text
//! RouteSpec::new(Method::GET, "/api/v1/referrals/{id}", Access::Roles(RECORD_ROLES), |r| r.to(api::referrals::get))
//!     .target(Target::Referral),
//! ```
//!
//! `target` says what `{id}` names, so that the access test can try an id of the actor's
//! own organisation and one of another (add the entity to `Target` and to the test's
//! fixture when you add a new kind of record).

use std::collections::BTreeMap;

use actix_web::http::Method;
use actix_web::{web, Route};

use super::{api, assets, health, pages};
use crate::domain::access::{
    Access, ADMIN_ONLY, AGGREGATE_ROLES, COMMISSIONING_ROLES, IMPORT_HISTORY_ROLES,
    OFFENCE_IMPORT_ROLES, RECORD_ROLES, REPORT_ROLES, RETURN_DECISION_ROLES, RETURN_SUBMIT_ROLES,
    UNDO_IMPORT_ROLES,
};

/// What the `{id}` in a route's path names, for the access test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// The path has no record id.
    None,
    /// A participant: owned by an organisation, scoped by the store.
    Participant,
    /// A user (admin pages only).
    User,
    /// An API token (admin pages only).
    ApiToken,
    /// A programme: its provider's staff see their own; commissioners, analysts and
    /// admins see every programme's figures.
    Programme,
    /// A provider organisation, for its figures (as for programmes).
    Provider,
    /// A funding stream: not owned by a provider; aggregate readers only.
    FundingStream,
    /// A referral: participant-level, its provider's own.
    Referral,
    /// A session: participant-level (its register names referrals), its provider's own.
    Session,
    /// A quarterly return: its programme's provider's own; commissioners, analysts and
    /// admins see every programme's.
    QuarterlyReturn,
    /// An outcome record: participant-level, its referral's provider's own.
    OutcomeRecord,
    /// A group survey: of a session, its provider's own.
    GroupSurvey,
    /// An import batch of a provider's records (undo: its provider's manager, admins).
    ImportBatch,
    /// A refused upload's error report: its organisation's (it may quote cell values).
    FailedUpload,
}

impl Target {
    /// Whether the record belongs to an organisation and is hidden from other
    /// organisations' provider staff (404).
    pub fn is_organisation_owned(self) -> bool {
        matches!(
            self,
            Target::Participant
                | Target::Programme
                | Target::Provider
                | Target::Referral
                | Target::Session
                | Target::QuarterlyReturn
                | Target::OutcomeRecord
                | Target::GroupSurvey
                | Target::ImportBatch
                | Target::FailedUpload
        )
    }

    /// Whether the record is a participant-level row, which commissioners and analysts
    /// never see. Programme and provider figures are aggregate: they see every one.
    pub fn is_participant_level(self) -> bool {
        matches!(
            self,
            Target::Participant
                | Target::Referral
                | Target::Session
                | Target::OutcomeRecord
                | Target::GroupSurvey
        )
    }

    /// Whether every role sees only its own organisation's (admins aside), although
    /// commissioners and analysts may reach the route: a refused upload's error report
    /// may quote a provider's cell values, but commissioners and analysts have reports of
    /// their own uploads.
    pub fn is_private_to_organisation(self) -> bool {
        matches!(self, Target::FailedUpload)
    }
}

/// One route: method, path pattern, access rule, what `{id}` names, and the handler.
#[derive(Clone)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub target: Target,
    handler: fn(Route) -> Route,
}

impl std::fmt::Debug for RouteSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({:?})", self.method, self.path, self.access)
    }
}

impl RouteSpec {
    pub fn new(
        method: Method,
        path: &'static str,
        access: Access,
        handler: fn(Route) -> Route,
    ) -> Self {
        RouteSpec {
            method,
            path,
            access,
            target: Target::None,
            handler,
        }
    }

    pub fn target(mut self, target: Target) -> Self {
        self.target = target;
        self
    }

    /// Whether the route answers problem JSON (under `/api`) rather than pages.
    pub fn is_api(&self) -> bool {
        self.path.starts_with("/api/")
    }
}

/// Every route of the application.
pub fn all() -> Vec<RouteSpec> {
    use Access::{Public, Roles, SignInStep, SignedIn};
    use Method as M;
    let mut routes = vec![
        // Infrastructure
        RouteSpec::new(M::GET, "/health", Public, |r| r.to(health::health)),
        RouteSpec::new(M::GET, "/assets/{path:.*}", Public, |r| r.to(assets::asset)),
        // Pages
        RouteSpec::new(M::GET, "/", Public, |r| r.to(pages::home::home)),
        RouteSpec::new(M::GET, "/login", Public, |r| r.to(pages::login::show)),
        RouteSpec::new(M::POST, "/login", Public, |r| r.to(pages::login::submit)),
        RouteSpec::new(M::POST, "/logout", SignInStep, |r| {
            r.to(pages::login::logout)
        }),
        // The steps of sign-in after the password, and the user's own account.
        RouteSpec::new(M::GET, "/login/two-factor", SignInStep, |r| {
            r.to(pages::account::code_form)
        }),
        RouteSpec::new(M::POST, "/login/two-factor", SignInStep, |r| {
            r.to(pages::account::code_submit)
        }),
        RouteSpec::new(M::GET, "/account/two-factor", SignInStep, |r| {
            r.to(pages::account::enrol_form)
        }),
        RouteSpec::new(M::POST, "/account/two-factor", SignInStep, |r| {
            r.to(pages::account::enrol_submit)
        }),
        RouteSpec::new(M::GET, "/account/password", SignInStep, |r| {
            r.to(pages::account::password_form)
        }),
        RouteSpec::new(M::POST, "/account/password", SignInStep, |r| {
            r.to(pages::account::password_submit)
        }),
        RouteSpec::new(M::GET, "/account", SignedIn, |r| r.to(pages::account::show)),
        RouteSpec::new(M::POST, "/account/sessions/end", SignedIn, |r| {
            r.to(pages::account::end_session)
        }),
        RouteSpec::new(M::POST, "/account/tokens/revoke", SignedIn, |r| {
            r.to(pages::account::revoke_token)
        }),
        RouteSpec::new(
            M::GET,
            "/admin/users/{id}/reset-two-factor",
            Roles(ADMIN_ONLY),
            |r| r.to(pages::admin::reset_two_factor_confirm),
        )
        .target(Target::User),
        RouteSpec::new(
            M::POST,
            "/admin/users/{id}/reset-two-factor",
            Roles(ADMIN_ONLY),
            |r| r.to(pages::admin::reset_two_factor),
        )
        .target(Target::User),
        RouteSpec::new(M::GET, "/admin/users", Roles(ADMIN_ONLY), |r| {
            r.to(pages::admin::users)
        }),
        RouteSpec::new(M::POST, "/admin/users", Roles(ADMIN_ONLY), |r| {
            r.to(pages::admin::add_user)
        }),
        RouteSpec::new(
            M::GET,
            "/admin/users/{id}/deactivate",
            Roles(ADMIN_ONLY),
            |r| r.to(pages::admin::deactivate_confirm),
        )
        .target(Target::User),
        RouteSpec::new(
            M::POST,
            "/admin/users/{id}/deactivate",
            Roles(ADMIN_ONLY),
            |r| r.to(pages::admin::deactivate),
        )
        .target(Target::User),
        RouteSpec::new(
            M::POST,
            "/admin/users/{id}/reactivate",
            Roles(ADMIN_ONLY),
            |r| r.to(pages::admin::reactivate),
        )
        .target(Target::User),
        RouteSpec::new(
            M::GET,
            "/admin/users/{id}/reset-password",
            Roles(ADMIN_ONLY),
            |r| r.to(pages::admin::reset_password_confirm),
        )
        .target(Target::User),
        RouteSpec::new(
            M::POST,
            "/admin/users/{id}/reset-password",
            Roles(ADMIN_ONLY),
            |r| r.to(pages::admin::reset_password),
        )
        .target(Target::User),
        RouteSpec::new(
            M::POST,
            "/admin/users/{id}/unlock",
            Roles(ADMIN_ONLY),
            |r| r.to(pages::admin::unlock),
        )
        .target(Target::User),
        RouteSpec::new(
            M::GET,
            "/admin/tokens/{id}/revoke",
            Roles(ADMIN_ONLY),
            |r| r.to(pages::admin::revoke_token_confirm),
        )
        .target(Target::ApiToken),
        RouteSpec::new(
            M::POST,
            "/admin/tokens/{id}/revoke",
            Roles(ADMIN_ONLY),
            |r| r.to(pages::admin::revoke_token),
        )
        .target(Target::ApiToken),
        RouteSpec::new(M::GET, "/admin/audit", Roles(ADMIN_ONLY), |r| {
            r.to(pages::audit::list)
        }),
        // Casework pages
        RouteSpec::new(M::GET, "/participants", Roles(RECORD_ROLES), |r| {
            r.to(pages::casework::participants)
        }),
        RouteSpec::new(M::GET, "/participants/new", Roles(RECORD_ROLES), |r| {
            r.to(pages::casework::new_participant)
        }),
        RouteSpec::new(M::POST, "/participants/new", Roles(RECORD_ROLES), |r| {
            r.to(pages::casework::create_participant)
        }),
        RouteSpec::new(M::GET, "/participants/{id}", Roles(RECORD_ROLES), |r| {
            r.to(pages::casework::participant)
        })
        .target(Target::Participant),
        RouteSpec::new(
            M::GET,
            "/participants/{id}/merge",
            Roles(RECORD_ROLES),
            |r| r.to(pages::merge::choose),
        )
        .target(Target::Participant),
        RouteSpec::new(
            M::POST,
            "/participants/{id}/merge",
            Roles(RECORD_ROLES),
            |r| r.to(pages::merge::chosen),
        )
        .target(Target::Participant),
        RouteSpec::new(
            M::GET,
            "/participants/{id}/merge/confirm",
            Roles(RECORD_ROLES),
            |r| r.to(pages::merge::confirm),
        )
        .target(Target::Participant),
        RouteSpec::new(
            M::POST,
            "/participants/{id}/merge/confirm",
            Roles(RECORD_ROLES),
            |r| r.to(pages::merge::confirmed),
        )
        .target(Target::Participant),
        RouteSpec::new(M::GET, "/referrals/new", Roles(RECORD_ROLES), |r| {
            r.to(pages::casework::new_referral)
        }),
        RouteSpec::new(M::POST, "/referrals/new", Roles(RECORD_ROLES), |r| {
            r.to(pages::casework::create_referral)
        }),
        RouteSpec::new(M::GET, "/referrals/{id}", Roles(RECORD_ROLES), |r| {
            r.to(pages::casework::referral)
        })
        .target(Target::Referral),
        RouteSpec::new(
            M::GET,
            "/referrals/{id}/decision",
            Roles(RECORD_ROLES),
            |r| r.to(pages::casework::decision_form),
        )
        .target(Target::Referral),
        RouteSpec::new(
            M::POST,
            "/referrals/{id}/decision",
            Roles(RECORD_ROLES),
            |r| r.to(pages::casework::save_decision),
        )
        .target(Target::Referral),
        RouteSpec::new(
            M::GET,
            "/referrals/{id}/closure",
            Roles(RECORD_ROLES),
            |r| r.to(pages::casework::closure_form),
        )
        .target(Target::Referral),
        RouteSpec::new(
            M::POST,
            "/referrals/{id}/closure",
            Roles(RECORD_ROLES),
            |r| r.to(pages::casework::save_closure),
        )
        .target(Target::Referral),
        RouteSpec::new(
            M::GET,
            "/referrals/{id}/outcomes",
            Roles(RECORD_ROLES),
            |r| r.to(pages::casework::outcome),
        )
        .target(Target::Referral),
        RouteSpec::new(
            M::POST,
            "/referrals/{id}/outcomes",
            Roles(RECORD_ROLES),
            |r| r.to(pages::casework::save_outcome),
        )
        .target(Target::Referral),
        RouteSpec::new(M::GET, "/programmes", SignedIn, |r| {
            r.to(pages::casework::programmes)
        }),
        RouteSpec::new(M::GET, "/programmes/{id}", SignedIn, |r| {
            r.to(pages::casework::programme)
        })
        .target(Target::Programme),
        RouteSpec::new(M::GET, "/dashboard", Roles(AGGREGATE_ROLES), |r| {
            r.to(pages::dashboard::dashboard)
        }),
        RouteSpec::new(
            M::GET,
            "/programmes/{id}/report",
            Roles(REPORT_ROLES),
            |r| r.to(pages::reports::report),
        )
        .target(Target::Programme),
        RouteSpec::new(M::GET, "/reports", Roles(REPORT_ROLES), |r| {
            r.to(pages::reports::index)
        }),
        RouteSpec::new(M::GET, "/providers/{id}/report", Roles(REPORT_ROLES), |r| {
            r.to(pages::reports::report)
        })
        .target(Target::Provider),
        RouteSpec::new(
            M::GET,
            "/funding-streams/{id}/report",
            Roles(AGGREGATE_ROLES),
            |r| r.to(pages::reports::report),
        )
        .target(Target::FundingStream),
        RouteSpec::new(
            M::GET,
            "/programmes/{id}/sessions/new",
            Roles(RECORD_ROLES),
            |r| r.to(pages::casework::new_session),
        )
        .target(Target::Programme),
        RouteSpec::new(
            M::POST,
            "/programmes/{id}/sessions/new",
            Roles(RECORD_ROLES),
            |r| r.to(pages::casework::create_session),
        )
        .target(Target::Programme),
        RouteSpec::new(M::GET, "/sessions/{id}", Roles(RECORD_ROLES), |r| {
            r.to(pages::casework::session)
        })
        .target(Target::Session),
        // Quarterly returns
        RouteSpec::new(M::GET, "/programmes/{id}/returns", SignedIn, |r| {
            r.to(pages::returns::list)
        })
        .target(Target::Programme),
        RouteSpec::new(
            M::GET,
            "/programmes/{id}/returns/new",
            Roles(RETURN_SUBMIT_ROLES),
            |r| r.to(pages::returns::new_return),
        )
        .target(Target::Programme),
        RouteSpec::new(
            M::POST,
            "/programmes/{id}/returns/new",
            Roles(RETURN_SUBMIT_ROLES),
            |r| r.to(pages::returns::submit),
        )
        .target(Target::Programme),
        RouteSpec::new(
            M::GET,
            "/returns/{id}/decision",
            Roles(RETURN_DECISION_ROLES),
            |r| r.to(pages::returns::decision),
        )
        .target(Target::QuarterlyReturn),
        RouteSpec::new(
            M::POST,
            "/returns/{id}/decision",
            Roles(RETURN_DECISION_ROLES),
            |r| r.to(pages::returns::save_decision),
        )
        .target(Target::QuarterlyReturn),
        RouteSpec::new(M::GET, "/returns/{id}/changes", SignedIn, |r| {
            r.to(pages::returns::changes)
        })
        .target(Target::QuarterlyReturn),
        RouteSpec::new(M::GET, "/returns/{id}/unlock", Roles(ADMIN_ONLY), |r| {
            r.to(pages::returns::unlock)
        })
        .target(Target::QuarterlyReturn),
        RouteSpec::new(M::POST, "/returns/{id}/unlock", Roles(ADMIN_ONLY), |r| {
            r.to(pages::returns::save_unlock)
        })
        .target(Target::QuarterlyReturn),
        RouteSpec::new(
            M::POST,
            "/sessions/{id}/register",
            Roles(RECORD_ROLES),
            |r| r.to(pages::casework::save_register),
        )
        .target(Target::Session),
        RouteSpec::new(M::GET, "/sessions/{id}/survey", Roles(RECORD_ROLES), |r| {
            r.to(pages::casework::survey)
        })
        .target(Target::Session),
        RouteSpec::new(M::POST, "/sessions/{id}/survey", Roles(RECORD_ROLES), |r| {
            r.to(pages::casework::save_survey)
        })
        .target(Target::Session),
        RouteSpec::new(M::GET, "/uploads", Roles(IMPORT_HISTORY_ROLES), |r| {
            r.to(pages::files::show)
        }),
        RouteSpec::new(M::POST, "/uploads", Roles(IMPORT_HISTORY_ROLES), |r| {
            r.to(pages::files::upload)
        }),
        RouteSpec::new(
            M::POST,
            "/uploads/confirm",
            Roles(IMPORT_HISTORY_ROLES),
            |r| r.to(pages::uploads::confirm),
        ),
        RouteSpec::new(
            M::GET,
            "/uploads/{id}/undo",
            Roles(UNDO_IMPORT_ROLES),
            |r| r.to(pages::uploads::undo_page),
        )
        .target(Target::ImportBatch),
        RouteSpec::new(
            M::POST,
            "/uploads/{id}/undo",
            Roles(UNDO_IMPORT_ROLES),
            |r| r.to(pages::uploads::undo),
        )
        .target(Target::ImportBatch),
        RouteSpec::new(
            M::GET,
            "/uploads/failed/{id}",
            Roles(IMPORT_HISTORY_ROLES),
            |r| r.to(pages::uploads::failed),
        )
        .target(Target::FailedUpload),
        RouteSpec::new(
            M::GET,
            "/uploads/guide/{kind}",
            Roles(IMPORT_HISTORY_ROLES),
            |r| r.to(pages::uploads::guide),
        ),
        RouteSpec::new(
            M::POST,
            "/uploads/offences/restore",
            Roles(OFFENCE_IMPORT_ROLES),
            |r| r.to(pages::files::restore),
        ),
        RouteSpec::new(M::GET, "/exports/{kind}", Roles(RECORD_ROLES), |r| {
            r.to(pages::files::export)
        }),
        RouteSpec::new(
            M::GET,
            "/uploads/templates/{kind}",
            Roles(IMPORT_HISTORY_ROLES),
            |r| r.to(pages::files::template),
        ),
        // Commissioning set-up pages
        RouteSpec::new(M::GET, "/setup", Roles(COMMISSIONING_ROLES), |r| {
            r.to(pages::setup::overview)
        }),
        RouteSpec::new(
            M::GET,
            "/setup/providers",
            Roles(COMMISSIONING_ROLES),
            |r| r.to(pages::setup::new_provider),
        ),
        RouteSpec::new(
            M::POST,
            "/setup/providers",
            Roles(COMMISSIONING_ROLES),
            |r| r.to(pages::setup::create_provider),
        ),
        RouteSpec::new(
            M::GET,
            "/setup/programmes",
            Roles(COMMISSIONING_ROLES),
            |r| r.to(pages::setup::new_programme),
        ),
        RouteSpec::new(
            M::POST,
            "/setup/programmes",
            Roles(COMMISSIONING_ROLES),
            |r| r.to(pages::setup::create_programme),
        ),
        RouteSpec::new(
            M::GET,
            "/setup/funding-streams",
            Roles(COMMISSIONING_ROLES),
            |r| r.to(pages::setup::new_funding_stream),
        ),
        RouteSpec::new(
            M::POST,
            "/setup/funding-streams",
            Roles(COMMISSIONING_ROLES),
            |r| r.to(pages::setup::create_funding_stream),
        ),
        RouteSpec::new(M::GET, "/setup/measures", Roles(COMMISSIONING_ROLES), |r| {
            r.to(pages::setup::new_measure)
        }),
        RouteSpec::new(
            M::POST,
            "/setup/measures",
            Roles(COMMISSIONING_ROLES),
            |r| r.to(pages::setup::create_measure),
        ),
        RouteSpec::new(
            M::GET,
            "/programmes/{id}/targets/new",
            Roles(COMMISSIONING_ROLES),
            |r| r.to(pages::setup::new_target),
        )
        .target(Target::Programme),
        RouteSpec::new(
            M::POST,
            "/programmes/{id}/targets/new",
            Roles(COMMISSIONING_ROLES),
            |r| r.to(pages::setup::create_target),
        )
        .target(Target::Programme),
        RouteSpec::new(
            M::GET,
            "/funding-streams/{id}/allocations/new",
            Roles(COMMISSIONING_ROLES),
            |r| r.to(pages::setup::new_allocation),
        )
        .target(Target::FundingStream),
        RouteSpec::new(
            M::POST,
            "/funding-streams/{id}/allocations/new",
            Roles(COMMISSIONING_ROLES),
            |r| r.to(pages::setup::create_allocation),
        )
        .target(Target::FundingStream),
        // JSON API
        RouteSpec::new(M::GET, "/api/v1/me", SignedIn, |r| r.to(api::me)),
        RouteSpec::new(M::GET, "/api/v1/organisations", SignedIn, |r| {
            r.to(api::organisations)
        }),
        RouteSpec::new(M::GET, "/api/v1/participants", Roles(RECORD_ROLES), |r| {
            r.to(api::participants)
        }),
        RouteSpec::new(
            M::GET,
            "/api/v1/participants/{id}",
            Roles(RECORD_ROLES),
            |r| r.to(api::participant),
        )
        .target(Target::Participant),
        RouteSpec::new(M::POST, "/api/v1/participants", Roles(RECORD_ROLES), |r| {
            r.to(api::register_participant)
        }),
        RouteSpec::new(M::GET, "/api/v1/referrals", Roles(RECORD_ROLES), |r| {
            r.to(api::records::referrals)
        }),
        RouteSpec::new(M::POST, "/api/v1/referrals", Roles(RECORD_ROLES), |r| {
            r.to(api::records::create_referral)
        }),
        RouteSpec::new(M::GET, "/api/v1/referrals/{id}", Roles(RECORD_ROLES), |r| {
            r.to(api::records::referral)
        })
        .target(Target::Referral),
        RouteSpec::new(
            M::POST,
            "/api/v1/referrals/{id}/decision",
            Roles(RECORD_ROLES),
            |r| r.to(api::records::decide),
        )
        .target(Target::Referral),
        RouteSpec::new(
            M::POST,
            "/api/v1/referrals/{id}/closure",
            Roles(RECORD_ROLES),
            |r| r.to(api::records::close),
        )
        .target(Target::Referral),
        RouteSpec::new(M::GET, "/api/v1/sessions", Roles(RECORD_ROLES), |r| {
            r.to(api::records::sessions)
        }),
        RouteSpec::new(M::POST, "/api/v1/sessions", Roles(RECORD_ROLES), |r| {
            r.to(api::records::create_session)
        }),
        RouteSpec::new(M::GET, "/api/v1/sessions/{id}", Roles(RECORD_ROLES), |r| {
            r.to(api::records::session)
        })
        .target(Target::Session),
        RouteSpec::new(
            M::PUT,
            "/api/v1/sessions/{id}/attendance",
            Roles(RECORD_ROLES),
            |r| r.to(api::records::put_attendance),
        )
        .target(Target::Session),
        RouteSpec::new(M::GET, "/api/v1/outcomes", Roles(RECORD_ROLES), |r| {
            r.to(api::records::outcomes)
        }),
        RouteSpec::new(M::POST, "/api/v1/outcomes", Roles(RECORD_ROLES), |r| {
            r.to(api::records::record_outcome)
        }),
        RouteSpec::new(M::GET, "/api/v1/group-surveys", Roles(RECORD_ROLES), |r| {
            r.to(api::records::surveys)
        }),
        RouteSpec::new(M::POST, "/api/v1/group-surveys", Roles(RECORD_ROLES), |r| {
            r.to(api::records::record_survey)
        }),
        // Corrections (docs/casework.md, "Correcting the record")
        RouteSpec::new(
            M::PATCH,
            "/api/v1/participants/{id}",
            Roles(RECORD_ROLES),
            |r| r.to(api::corrections::patch_participant),
        )
        .target(Target::Participant),
        RouteSpec::new(
            M::DELETE,
            "/api/v1/participants/{id}",
            Roles(RECORD_ROLES),
            |r| r.to(api::corrections::void_participant),
        )
        .target(Target::Participant),
        RouteSpec::new(
            M::POST,
            "/api/v1/participants/{id}/restore",
            Roles(RECORD_ROLES),
            |r| r.to(api::corrections::restore_participant),
        )
        .target(Target::Participant),
        RouteSpec::new(
            M::GET,
            "/api/v1/participants/{id}/history",
            Roles(RECORD_ROLES),
            |r| r.to(api::corrections::participant_history),
        )
        .target(Target::Participant),
        RouteSpec::new(
            M::POST,
            "/api/v1/participants/{id}/merge",
            Roles(RECORD_ROLES),
            |r| r.to(api::merge::merge_participant),
        )
        .target(Target::Participant),
        RouteSpec::new(
            M::PATCH,
            "/api/v1/referrals/{id}",
            Roles(RECORD_ROLES),
            |r| r.to(api::corrections::patch_referral),
        )
        .target(Target::Referral),
        RouteSpec::new(
            M::DELETE,
            "/api/v1/referrals/{id}",
            Roles(RECORD_ROLES),
            |r| r.to(api::corrections::void_referral),
        )
        .target(Target::Referral),
        RouteSpec::new(
            M::POST,
            "/api/v1/referrals/{id}/restore",
            Roles(RECORD_ROLES),
            |r| r.to(api::corrections::restore_referral),
        )
        .target(Target::Referral),
        RouteSpec::new(
            M::GET,
            "/api/v1/referrals/{id}/history",
            Roles(RECORD_ROLES),
            |r| r.to(api::corrections::referral_history),
        )
        .target(Target::Referral),
        RouteSpec::new(
            M::PATCH,
            "/api/v1/sessions/{id}",
            Roles(RECORD_ROLES),
            |r| r.to(api::corrections::patch_session),
        )
        .target(Target::Session),
        RouteSpec::new(
            M::DELETE,
            "/api/v1/sessions/{id}",
            Roles(RECORD_ROLES),
            |r| r.to(api::corrections::void_session),
        )
        .target(Target::Session),
        RouteSpec::new(
            M::POST,
            "/api/v1/sessions/{id}/restore",
            Roles(RECORD_ROLES),
            |r| r.to(api::corrections::restore_session),
        )
        .target(Target::Session),
        RouteSpec::new(
            M::GET,
            "/api/v1/sessions/{id}/history",
            Roles(RECORD_ROLES),
            |r| r.to(api::corrections::session_history),
        )
        .target(Target::Session),
        RouteSpec::new(
            M::PATCH,
            "/api/v1/outcomes/{id}",
            Roles(RECORD_ROLES),
            |r| r.to(api::corrections::patch_outcome),
        )
        .target(Target::OutcomeRecord),
        RouteSpec::new(
            M::DELETE,
            "/api/v1/outcomes/{id}",
            Roles(RECORD_ROLES),
            |r| r.to(api::corrections::void_outcome),
        )
        .target(Target::OutcomeRecord),
        RouteSpec::new(
            M::POST,
            "/api/v1/outcomes/{id}/restore",
            Roles(RECORD_ROLES),
            |r| r.to(api::corrections::restore_outcome),
        )
        .target(Target::OutcomeRecord),
        RouteSpec::new(
            M::GET,
            "/api/v1/outcomes/{id}/history",
            Roles(RECORD_ROLES),
            |r| r.to(api::corrections::outcome_history),
        )
        .target(Target::OutcomeRecord),
        RouteSpec::new(
            M::PATCH,
            "/api/v1/group-surveys/{id}",
            Roles(RECORD_ROLES),
            |r| r.to(api::corrections::patch_survey),
        )
        .target(Target::GroupSurvey),
        RouteSpec::new(
            M::DELETE,
            "/api/v1/group-surveys/{id}",
            Roles(RECORD_ROLES),
            |r| r.to(api::corrections::void_survey),
        )
        .target(Target::GroupSurvey),
        RouteSpec::new(
            M::POST,
            "/api/v1/group-surveys/{id}/restore",
            Roles(RECORD_ROLES),
            |r| r.to(api::corrections::restore_survey),
        )
        .target(Target::GroupSurvey),
        RouteSpec::new(
            M::GET,
            "/api/v1/group-surveys/{id}/history",
            Roles(RECORD_ROLES),
            |r| r.to(api::corrections::survey_history),
        )
        .target(Target::GroupSurvey),
        RouteSpec::new(M::GET, "/api/v1/programmes", SignedIn, |r| {
            r.to(api::setup::programmes)
        }),
        RouteSpec::new(
            M::POST,
            "/api/v1/programmes",
            Roles(COMMISSIONING_ROLES),
            |r| r.to(api::setup::create_programme),
        ),
        RouteSpec::new(M::GET, "/api/v1/programmes/{id}", SignedIn, |r| {
            r.to(api::setup::programme)
        })
        .target(Target::Programme),
        RouteSpec::new(
            M::POST,
            "/api/v1/programmes/{id}/targets",
            Roles(COMMISSIONING_ROLES),
            |r| r.to(api::setup::add_target),
        )
        .target(Target::Programme),
        RouteSpec::new(M::GET, "/api/v1/returns/{id}/changes", SignedIn, |r| {
            r.to(api::returns::changes)
        })
        .target(Target::QuarterlyReturn),
        RouteSpec::new(M::GET, "/api/v1/programmes/{id}/returns", SignedIn, |r| {
            r.to(api::returns::list)
        })
        .target(Target::Programme),
        RouteSpec::new(
            M::POST,
            "/api/v1/programmes/{id}/returns",
            Roles(RETURN_SUBMIT_ROLES),
            |r| r.to(api::returns::submit),
        )
        .target(Target::Programme),
        RouteSpec::new(
            M::POST,
            "/api/v1/returns/{id}/approve",
            Roles(RETURN_DECISION_ROLES),
            |r| r.to(api::returns::approve),
        )
        .target(Target::QuarterlyReturn),
        RouteSpec::new(
            M::POST,
            "/api/v1/returns/{id}/return",
            Roles(RETURN_DECISION_ROLES),
            |r| r.to(api::returns::send_back),
        )
        .target(Target::QuarterlyReturn),
        RouteSpec::new(
            M::POST,
            "/api/v1/returns/{id}/unlock",
            Roles(ADMIN_ONLY),
            |r| r.to(api::returns::unlock),
        )
        .target(Target::QuarterlyReturn),
        RouteSpec::new(
            M::POST,
            "/api/v1/providers",
            Roles(COMMISSIONING_ROLES),
            |r| r.to(api::setup::add_provider),
        ),
        RouteSpec::new(
            M::GET,
            "/api/v1/funding-streams",
            Roles(AGGREGATE_ROLES),
            |r| r.to(api::setup::funding_streams),
        ),
        RouteSpec::new(
            M::POST,
            "/api/v1/funding-streams",
            Roles(COMMISSIONING_ROLES),
            |r| r.to(api::setup::add_funding_stream),
        ),
        RouteSpec::new(
            M::POST,
            "/api/v1/funding-streams/{id}/allocations",
            Roles(COMMISSIONING_ROLES),
            |r| r.to(api::setup::allocate),
        )
        .target(Target::FundingStream),
        RouteSpec::new(M::GET, "/api/v1/measures", SignedIn, |r| {
            r.to(api::setup::measures)
        }),
        RouteSpec::new(
            M::POST,
            "/api/v1/measures",
            Roles(COMMISSIONING_ROLES),
            |r| r.to(api::setup::add_measure),
        ),
        // The offence route comes before `{kind}`, so that it matches first.
        RouteSpec::new(
            M::POST,
            "/api/v1/imports/offences",
            Roles(OFFENCE_IMPORT_ROLES),
            |r| r.to(api::files::import_offences),
        ),
        RouteSpec::new(
            M::POST,
            "/api/v1/imports/offences/restore",
            Roles(OFFENCE_IMPORT_ROLES),
            |r| r.to(api::files::restore_offences),
        ),
        RouteSpec::new(
            M::POST,
            "/api/v1/imports/comparison-group",
            Roles(OFFENCE_IMPORT_ROLES),
            |r| r.to(api::files::import_comparison_group),
        ),
        RouteSpec::new(
            M::GET,
            "/api/v1/comparison-groups",
            Roles(REPORT_ROLES),
            |r| r.to(api::files::comparison_groups),
        ),
        // Commissioning set-up files: the roles of their write routes (`import_roles`).
        RouteSpec::new(
            M::POST,
            "/api/v1/imports/programmes",
            Roles(COMMISSIONING_ROLES),
            |r| r.to(api::files::import_programmes),
        ),
        RouteSpec::new(
            M::POST,
            "/api/v1/imports/measures",
            Roles(COMMISSIONING_ROLES),
            |r| r.to(api::files::import_measures),
        ),
        RouteSpec::new(
            M::POST,
            "/api/v1/imports/{kind}",
            Roles(RECORD_ROLES),
            |r| r.to(api::files::import),
        ),
        RouteSpec::new(
            M::GET,
            "/api/v1/imports",
            Roles(IMPORT_HISTORY_ROLES),
            |r| r.to(api::files::batches),
        ),
        RouteSpec::new(M::GET, "/api/v1/exports/{kind}", Roles(RECORD_ROLES), |r| {
            r.to(api::files::export)
        }),
        RouteSpec::new(M::GET, "/api/openapi.json", SignedIn, |r| {
            r.to(api::openapi::openapi_json)
        }),
        RouteSpec::new(M::GET, "/api/docs", SignedIn, |r| {
            r.to(api::openapi::docs_root)
        }),
        RouteSpec::new(M::GET, "/api/docs/{file:.*}", SignedIn, |r| {
            r.to(api::openapi::docs)
        }),
        RouteSpec::new(
            M::GET,
            "/api/v1/reports/programmes/{id}",
            Roles(REPORT_ROLES),
            |r| r.to(api::reports::programme),
        )
        .target(Target::Programme),
        RouteSpec::new(
            M::GET,
            "/api/v1/reports/providers/{id}",
            Roles(REPORT_ROLES),
            |r| r.to(api::reports::provider),
        )
        .target(Target::Provider),
        RouteSpec::new(
            M::GET,
            "/api/v1/reports/funding-streams/{id}",
            Roles(AGGREGATE_ROLES),
            |r| r.to(api::reports::funding_stream),
        )
        .target(Target::FundingStream),
    ];
    routes.extend(correction_pages());
    routes
}

/// The pages that correct the record (`pages::corrections`): for each kind of casework
/// record a change page, void, restore and history; and a referral's reopen and
/// change-decision pages. Record roles only; the record is looked up in the actor's scope.
fn correction_pages() -> Vec<RouteSpec> {
    use pages::corrections as c;
    use Access::Roles;
    use Method as M;
    macro_rules! kind {
        ($k:expr, $target:expr, $change:literal, $void:literal, $restore:literal, $history:literal) => {
            [
                RouteSpec::new(M::GET, $change, Roles(RECORD_ROLES), |r| {
                    r.to(c::change_page::<{ $k }>)
                }),
                RouteSpec::new(M::POST, $change, Roles(RECORD_ROLES), |r| {
                    r.to(c::save_change::<{ $k }>)
                }),
                RouteSpec::new(M::GET, $void, Roles(RECORD_ROLES), |r| {
                    r.to(c::void_page::<{ $k }>)
                }),
                RouteSpec::new(M::POST, $void, Roles(RECORD_ROLES), |r| {
                    r.to(c::save_void::<{ $k }>)
                }),
                RouteSpec::new(M::GET, $restore, Roles(RECORD_ROLES), |r| {
                    r.to(c::restore_page::<{ $k }>)
                }),
                RouteSpec::new(M::POST, $restore, Roles(RECORD_ROLES), |r| {
                    r.to(c::save_restore::<{ $k }>)
                }),
                RouteSpec::new(M::GET, $history, Roles(RECORD_ROLES), |r| {
                    r.to(c::history::<{ $k }>)
                }),
            ]
            .map(|spec| spec.target($target))
        };
    }
    let mut routes = Vec::new();
    routes.extend(kind!(
        c::PARTICIPANT,
        Target::Participant,
        "/participants/{id}/change",
        "/participants/{id}/void",
        "/participants/{id}/restore",
        "/participants/{id}/history"
    ));
    routes.extend(kind!(
        c::REFERRAL,
        Target::Referral,
        "/referrals/{id}/change",
        "/referrals/{id}/void",
        "/referrals/{id}/restore",
        "/referrals/{id}/history"
    ));
    routes.extend(kind!(
        c::SESSION,
        Target::Session,
        "/sessions/{id}/change",
        "/sessions/{id}/void",
        "/sessions/{id}/restore",
        "/sessions/{id}/history"
    ));
    routes.extend(kind!(
        c::OUTCOME,
        Target::OutcomeRecord,
        "/outcomes/{id}/change",
        "/outcomes/{id}/void",
        "/outcomes/{id}/restore",
        "/outcomes/{id}/history"
    ));
    routes.extend(kind!(
        c::SURVEY,
        Target::GroupSurvey,
        "/group-surveys/{id}/change",
        "/group-surveys/{id}/void",
        "/group-surveys/{id}/restore",
        "/group-surveys/{id}/history"
    ));
    routes.extend([
        RouteSpec::new(M::GET, "/referrals/{id}/reopen", Roles(RECORD_ROLES), |r| {
            r.to(c::reopen)
        })
        .target(Target::Referral),
        RouteSpec::new(
            M::POST,
            "/referrals/{id}/reopen",
            Roles(RECORD_ROLES),
            |r| r.to(c::save_reopen),
        )
        .target(Target::Referral),
        RouteSpec::new(
            M::GET,
            "/referrals/{id}/change-decision",
            Roles(RECORD_ROLES),
            |r| r.to(c::change_decision),
        )
        .target(Target::Referral),
        RouteSpec::new(
            M::POST,
            "/referrals/{id}/change-decision",
            Roles(RECORD_ROLES),
            |r| r.to(c::save_decision_change),
        )
        .target(Target::Referral),
    ]);
    routes
}

/// The registry indexed by path pattern, then method, built once.
fn index() -> &'static BTreeMap<&'static str, Vec<(Method, Access)>> {
    static INDEX: std::sync::OnceLock<BTreeMap<&'static str, Vec<(Method, Access)>>> =
        std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        let mut map: BTreeMap<&'static str, Vec<(Method, Access)>> = BTreeMap::new();
        for spec in all() {
            map.entry(spec.path)
                .or_default()
                .push((spec.method, spec.access));
        }
        map
    })
}

/// What the registry says about a matched route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleLookup {
    Found(Access),
    /// The pattern is registered, but not for this method (actix answers 405).
    OtherMethods,
    /// The pattern is not in the registry: refused.
    Unregistered,
}

/// The rule for a request, by method and the route pattern actix matched. HEAD is
/// answered by GET routes, so it follows GET's rule.
pub fn rule_for(method: &Method, pattern: &str) -> RuleLookup {
    let Some(routes) = index().get(pattern) else {
        return RuleLookup::Unregistered;
    };
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    routes
        .iter()
        .find(|(m, _)| m == method)
        .map(|(_, access)| RuleLookup::Found(*access))
        .unwrap_or(RuleLookup::OtherMethods)
}

/// Registers every route of `all()`: one actix resource per path, one route per method.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let mut by_path: Vec<(&'static str, Vec<RouteSpec>)> = Vec::new();
    for spec in all() {
        match by_path.iter_mut().find(|(p, _)| *p == spec.path) {
            Some((_, specs)) => specs.push(spec),
            None => by_path.push((spec.path, vec![spec])),
        }
    }
    for (path, specs) in by_path {
        let mut resource = web::resource(path);
        if path.starts_with("/api/v1/imports/") {
            // Only the import uploads take large bodies: the extractor reads them in the
            // handler, after the middleware checked the credential and the role.
            resource = resource.app_data(web::PayloadConfig::new(
                super::pages::files::MAX_UPLOAD_BYTES,
            ));
        }
        for spec in specs {
            resource = resource.route((spec.handler)(web::method(spec.method.clone())));
        }
        cfg.service(resource);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn no_route_is_declared_twice() {
        let mut seen = HashSet::new();
        for spec in all() {
            assert!(
                seen.insert((spec.method.clone(), spec.path)),
                "{spec:?} is declared twice"
            );
        }
    }

    #[test]
    fn every_path_with_an_id_says_what_the_id_names() {
        for spec in all() {
            assert_eq!(
                spec.path.contains("{id}"),
                spec.target != Target::None,
                "{spec:?}"
            );
        }
    }

    #[test]
    fn the_lookup_finds_each_rule_and_refuses_unknown_patterns() {
        assert_eq!(
            rule_for(&Method::GET, "/admin/users"),
            RuleLookup::Found(Access::Roles(ADMIN_ONLY))
        );
        assert_eq!(
            rule_for(&Method::HEAD, "/health"),
            RuleLookup::Found(Access::Public)
        );
        assert_eq!(
            rule_for(&Method::DELETE, "/login"),
            RuleLookup::OtherMethods
        );
        assert_eq!(
            rule_for(&Method::GET, "/not/registered"),
            RuleLookup::Unregistered
        );
    }
}
