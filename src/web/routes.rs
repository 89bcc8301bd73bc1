//! The route registry: every route of the application, each with its access rule.
//!
//! `all()` is the one list. `configure` registers exactly these routes with actix, and the
//! `auth::authenticate` middleware looks up each request's rule here (by method and route
//! pattern) before any handler runs; a matched route that is not in the list is refused.
//! The access test in `tests/api/access.rs` enumerates this list × every role × own and
//! other organisation, so a new route is tested the day it is added.
//!
//! To add a route, add one line to the table in `all()`:
//!
//! ```text
//! GET "/api/v1/referrals/{id}" => api::records::referral, Roles(RECORD_ROLES), Referral;
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
    /// An entry of the report archive (admin pages only).
    ReportArchiveEntry,
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

/// The route table, one line per route:
/// `METHOD "path" => handler, access[, Target];` (the target when the path has `{id}`).
macro_rules! routes {
    ($($method:ident $path:literal => $handler:path, $access:expr $(, $target:ident)?;)*) => {
        vec![$(
            RouteSpec::new(Method::$method, $path, $access, |r| r.to($handler))
                $(.target(Target::$target))?
        ),*]
    };
}

/// Every route of the application.
pub fn all() -> Vec<RouteSpec> {
    use Access::{Public, Roles, SignInStep, SignedIn};
    let mut routes = routes![
        // Infrastructure
        GET "/health" => health::health, Public;
        GET "/assets/{path:.*}" => assets::asset, Public;
        // Pages
        GET "/" => pages::home::home, Public;
        // Data protection (issue 18): public pages, and the notice's settings.
        GET "/privacy" => pages::privacy::privacy, Public;
        GET "/accessibility" => pages::privacy::accessibility, Public;
        GET "/cookies" => pages::privacy::cookies, Public;
        GET "/admin/privacy" => pages::privacy::settings, Roles(ADMIN_ONLY);
        POST "/admin/privacy" => pages::privacy::save_settings, Roles(ADMIN_ONLY);
        GET "/login" => pages::login::show, Public;
        POST "/login" => pages::login::submit, Public;
        POST "/logout" => pages::login::logout, SignInStep;
        GET "/logout" => pages::post_only, SignInStep;
        // The steps of sign-in after the password, and the user's own account.
        GET "/login/two-factor" => pages::account::code_form, SignInStep;
        POST "/login/two-factor" => pages::account::code_submit, SignInStep;
        GET "/account/two-factor" => pages::account::enrol_form, SignInStep;
        POST "/account/two-factor" => pages::account::enrol_submit, SignInStep;
        GET "/account/password" => pages::account::password_form, SignInStep;
        POST "/account/password" => pages::account::password_submit, SignInStep;
        GET "/account" => pages::account::show, SignedIn;
        POST "/account/sessions/end" => pages::account::end_session, SignedIn;
        GET "/account/sessions/end" => pages::post_only, SignedIn;
        POST "/account/tokens/revoke" => pages::account::revoke_token, SignedIn;
        GET "/account/tokens/revoke" => pages::post_only, SignedIn;
        GET "/admin/users/{id}/reset-two-factor" => pages::admin::reset_two_factor_confirm, Roles(ADMIN_ONLY), User;
        POST "/admin/users/{id}/reset-two-factor" => pages::admin::reset_two_factor, Roles(ADMIN_ONLY), User;
        GET "/admin/users" => pages::admin::users, Roles(ADMIN_ONLY);
        POST "/admin/users" => pages::admin::add_user, Roles(ADMIN_ONLY);
        GET "/admin/users/{id}/deactivate" => pages::admin::deactivate_confirm, Roles(ADMIN_ONLY), User;
        POST "/admin/users/{id}/deactivate" => pages::admin::deactivate, Roles(ADMIN_ONLY), User;
        POST "/admin/users/{id}/reactivate" => pages::admin::reactivate, Roles(ADMIN_ONLY), User;
        GET "/admin/users/{id}/reactivate" => pages::post_only, Roles(ADMIN_ONLY), User;
        GET "/admin/users/{id}/reset-password" => pages::admin::reset_password_confirm, Roles(ADMIN_ONLY), User;
        POST "/admin/users/{id}/reset-password" => pages::admin::reset_password, Roles(ADMIN_ONLY), User;
        POST "/admin/users/{id}/unlock" => pages::admin::unlock, Roles(ADMIN_ONLY), User;
        GET "/admin/users/{id}/unlock" => pages::post_only, Roles(ADMIN_ONLY), User;
        GET "/admin/tokens/{id}/revoke" => pages::admin::revoke_token_confirm, Roles(ADMIN_ONLY), ApiToken;
        POST "/admin/tokens/{id}/revoke" => pages::admin::revoke_token, Roles(ADMIN_ONLY), ApiToken;
        GET "/admin/audit" => pages::audit::list, Roles(ADMIN_ONLY);
        // Casework pages
        GET "/participants" => pages::find::participants, Roles(RECORD_ROLES);
        GET "/participants/new" => pages::casework::new_participant, Roles(RECORD_ROLES);
        POST "/participants/new" => pages::casework::create_participant, Roles(RECORD_ROLES);
        GET "/participants/{id}" => pages::casework::participant, Roles(RECORD_ROLES), Participant;
        GET "/participants/{id}/merge" => pages::merge::choose, Roles(RECORD_ROLES), Participant;
        POST "/participants/{id}/merge" => pages::merge::chosen, Roles(RECORD_ROLES), Participant;
        GET "/participants/{id}/merge/confirm" => pages::merge::confirm, Roles(RECORD_ROLES), Participant;
        POST "/participants/{id}/merge/confirm" => pages::merge::confirmed, Roles(RECORD_ROLES), Participant;
        GET "/referrals" => pages::find::referrals, Roles(RECORD_ROLES);
        GET "/referrals/new" => pages::casework::new_referral, Roles(RECORD_ROLES);
        POST "/referrals/new" => pages::casework::create_referral, Roles(RECORD_ROLES);
        GET "/referrals/{id}" => pages::casework::referral, Roles(RECORD_ROLES), Referral;
        GET "/referrals/{id}/decision" => pages::casework::decision_form, Roles(RECORD_ROLES), Referral;
        POST "/referrals/{id}/decision" => pages::casework::save_decision, Roles(RECORD_ROLES), Referral;
        GET "/referrals/{id}/closure" => pages::casework::closure_form, Roles(RECORD_ROLES), Referral;
        POST "/referrals/{id}/closure" => pages::casework::save_closure, Roles(RECORD_ROLES), Referral;
        GET "/referrals/{id}/outcomes" => pages::casework::outcome, Roles(RECORD_ROLES), Referral;
        POST "/referrals/{id}/outcomes" => pages::casework::save_outcome, Roles(RECORD_ROLES), Referral;
        GET "/programmes" => pages::casework::programmes, SignedIn;
        GET "/programmes/{id}" => pages::casework::programme, SignedIn, Programme;
        GET "/dashboard" => pages::dashboard::dashboard, Roles(AGGREGATE_ROLES);
        GET "/programmes/{id}/report" => pages::reports::report, Roles(REPORT_ROLES), Programme;
        GET "/reports" => pages::reports::index, Roles(REPORT_ROLES);
        GET "/providers/{id}/report" => pages::reports::report, Roles(REPORT_ROLES), Provider;
        GET "/funding-streams/{id}/report" => pages::reports::report, Roles(AGGREGATE_ROLES), FundingStream;
        GET "/programmes/{id}/sessions/new" => pages::casework::new_session, Roles(RECORD_ROLES), Programme;
        POST "/programmes/{id}/sessions/new" => pages::casework::create_session, Roles(RECORD_ROLES), Programme;
        GET "/sessions/{id}" => pages::casework::session, Roles(RECORD_ROLES), Session;
        // Quarterly returns
        GET "/programmes/{id}/returns" => pages::returns::list, SignedIn, Programme;
        GET "/programmes/{id}/returns/new" => pages::returns::new_return, Roles(RETURN_SUBMIT_ROLES), Programme;
        POST "/programmes/{id}/returns/new" => pages::returns::submit, Roles(RETURN_SUBMIT_ROLES), Programme;
        GET "/returns/{id}/decision" => pages::returns::decision, Roles(RETURN_DECISION_ROLES), QuarterlyReturn;
        POST "/returns/{id}/decision" => pages::returns::save_decision, Roles(RETURN_DECISION_ROLES), QuarterlyReturn;
        GET "/returns/{id}/changes" => pages::returns::changes, SignedIn, QuarterlyReturn;
        GET "/returns/{id}/unlock" => pages::returns::unlock, Roles(ADMIN_ONLY), QuarterlyReturn;
        POST "/returns/{id}/unlock" => pages::returns::save_unlock, Roles(ADMIN_ONLY), QuarterlyReturn;
        GET "/returns/{id}/withdraw" => pages::returns::withdraw, Roles(RETURN_SUBMIT_ROLES), QuarterlyReturn;
        POST "/returns/{id}/withdraw" => pages::returns::save_withdraw, Roles(RETURN_SUBMIT_ROLES), QuarterlyReturn;
        POST "/sessions/{id}/register" => pages::casework::save_register, Roles(RECORD_ROLES), Session;
        GET "/sessions/{id}/register" => pages::casework::session, Roles(RECORD_ROLES), Session;
        POST "/sessions/{id}/participants" => pages::find::add_session_participants, Roles(RECORD_ROLES), Session;
        POST "/sessions/{id}/participants/remove" => pages::find::remove_session_participant, Roles(RECORD_ROLES), Session;
        GET "/sessions/{id}/survey" => pages::casework::survey, Roles(RECORD_ROLES), Session;
        POST "/sessions/{id}/survey" => pages::casework::save_survey, Roles(RECORD_ROLES), Session;
        GET "/uploads" => pages::files::show, Roles(IMPORT_HISTORY_ROLES);
        POST "/uploads" => pages::files::upload, Roles(IMPORT_HISTORY_ROLES);
        POST "/uploads/confirm" => pages::uploads::confirm, Roles(IMPORT_HISTORY_ROLES);
        GET "/uploads/confirm" => pages::post_only, Roles(IMPORT_HISTORY_ROLES);
        GET "/uploads/{id}/undo" => pages::uploads::undo_page, Roles(UNDO_IMPORT_ROLES), ImportBatch;
        POST "/uploads/{id}/undo" => pages::uploads::undo, Roles(UNDO_IMPORT_ROLES), ImportBatch;
        GET "/uploads/failed/{id}" => pages::uploads::failed, Roles(IMPORT_HISTORY_ROLES), FailedUpload;
        GET "/uploads/guide/{kind}" => pages::uploads::guide, Roles(IMPORT_HISTORY_ROLES);
        POST "/uploads/offences/restore" => pages::files::restore, Roles(OFFENCE_IMPORT_ROLES);
        GET "/uploads/offences/restore" => pages::post_only, Roles(OFFENCE_IMPORT_ROLES);
        GET "/exports/{kind}" => pages::files::export, Roles(RECORD_ROLES);
        GET "/uploads/templates/{kind}" => pages::files::template, Roles(IMPORT_HISTORY_ROLES);
        // Commissioning set-up pages
        GET "/setup" => pages::setup::overview, Roles(COMMISSIONING_ROLES);
        GET "/setup/providers" => pages::setup::new_provider, Roles(COMMISSIONING_ROLES);
        POST "/setup/providers" => pages::setup::create_provider, Roles(COMMISSIONING_ROLES);
        GET "/setup/programmes" => pages::setup::new_programme, Roles(COMMISSIONING_ROLES);
        POST "/setup/programmes" => pages::setup::create_programme, Roles(COMMISSIONING_ROLES);
        GET "/setup/funding-streams" => pages::setup::new_funding_stream, Roles(COMMISSIONING_ROLES);
        POST "/setup/funding-streams" => pages::setup::create_funding_stream, Roles(COMMISSIONING_ROLES);
        GET "/setup/measures" => pages::setup::new_measure, Roles(COMMISSIONING_ROLES);
        POST "/setup/measures" => pages::setup::create_measure, Roles(COMMISSIONING_ROLES);
        GET "/programmes/{id}/targets/new" => pages::setup::new_target, Roles(COMMISSIONING_ROLES), Programme;
        POST "/programmes/{id}/targets/new" => pages::setup::create_target, Roles(COMMISSIONING_ROLES), Programme;
        GET "/funding-streams/{id}/allocations/new" => pages::setup::new_allocation, Roles(COMMISSIONING_ROLES), FundingStream;
        POST "/funding-streams/{id}/allocations/new" => pages::setup::create_allocation, Roles(COMMISSIONING_ROLES), FundingStream;
        // JSON API
        GET "/api/v1/me" => api::me, SignedIn;
        GET "/api/v1/organisations" => api::organisations, SignedIn;
        GET "/api/v1/participants" => api::participants, Roles(RECORD_ROLES);
        GET "/api/v1/participants/{id}" => api::participant, Roles(RECORD_ROLES), Participant;
        POST "/api/v1/participants" => api::register_participant, Roles(RECORD_ROLES);
        GET "/api/v1/referrals" => api::records::referrals, Roles(RECORD_ROLES);
        POST "/api/v1/referrals" => api::records::create_referral, Roles(RECORD_ROLES);
        GET "/api/v1/referrals/{id}" => api::records::referral, Roles(RECORD_ROLES), Referral;
        POST "/api/v1/referrals/{id}/decision" => api::records::decide, Roles(RECORD_ROLES), Referral;
        POST "/api/v1/referrals/{id}/closure" => api::records::close, Roles(RECORD_ROLES), Referral;
        GET "/api/v1/sessions" => api::records::sessions, Roles(RECORD_ROLES);
        POST "/api/v1/sessions" => api::records::create_session, Roles(RECORD_ROLES);
        GET "/api/v1/sessions/{id}" => api::records::session, Roles(RECORD_ROLES), Session;
        PUT "/api/v1/sessions/{id}/attendance" => api::records::put_attendance, Roles(RECORD_ROLES), Session;
        GET "/api/v1/outcomes" => api::records::outcomes, Roles(RECORD_ROLES);
        POST "/api/v1/outcomes" => api::records::record_outcome, Roles(RECORD_ROLES);
        GET "/api/v1/group-surveys" => api::records::surveys, Roles(RECORD_ROLES);
        POST "/api/v1/group-surveys" => api::records::record_survey, Roles(RECORD_ROLES);
        // Corrections (docs/casework.md, "Correcting the record")
        PATCH "/api/v1/participants/{id}" => api::corrections::patch_participant, Roles(RECORD_ROLES), Participant;
        DELETE "/api/v1/participants/{id}" => api::corrections::void_participant, Roles(RECORD_ROLES), Participant;
        POST "/api/v1/participants/{id}/restore" => api::corrections::restore_participant, Roles(RECORD_ROLES), Participant;
        GET "/api/v1/participants/{id}/history" => api::corrections::participant_history, Roles(RECORD_ROLES), Participant;
        POST "/api/v1/participants/{id}/merge" => api::merge::merge_participant, Roles(RECORD_ROLES), Participant;
        PATCH "/api/v1/referrals/{id}" => api::corrections::patch_referral, Roles(RECORD_ROLES), Referral;
        DELETE "/api/v1/referrals/{id}" => api::corrections::void_referral, Roles(RECORD_ROLES), Referral;
        POST "/api/v1/referrals/{id}/restore" => api::corrections::restore_referral, Roles(RECORD_ROLES), Referral;
        GET "/api/v1/referrals/{id}/history" => api::corrections::referral_history, Roles(RECORD_ROLES), Referral;
        PATCH "/api/v1/sessions/{id}" => api::corrections::patch_session, Roles(RECORD_ROLES), Session;
        DELETE "/api/v1/sessions/{id}" => api::corrections::void_session, Roles(RECORD_ROLES), Session;
        POST "/api/v1/sessions/{id}/restore" => api::corrections::restore_session, Roles(RECORD_ROLES), Session;
        GET "/api/v1/sessions/{id}/history" => api::corrections::session_history, Roles(RECORD_ROLES), Session;
        PATCH "/api/v1/outcomes/{id}" => api::corrections::patch_outcome, Roles(RECORD_ROLES), OutcomeRecord;
        DELETE "/api/v1/outcomes/{id}" => api::corrections::void_outcome, Roles(RECORD_ROLES), OutcomeRecord;
        POST "/api/v1/outcomes/{id}/restore" => api::corrections::restore_outcome, Roles(RECORD_ROLES), OutcomeRecord;
        GET "/api/v1/outcomes/{id}/history" => api::corrections::outcome_history, Roles(RECORD_ROLES), OutcomeRecord;
        PATCH "/api/v1/group-surveys/{id}" => api::corrections::patch_survey, Roles(RECORD_ROLES), GroupSurvey;
        DELETE "/api/v1/group-surveys/{id}" => api::corrections::void_survey, Roles(RECORD_ROLES), GroupSurvey;
        POST "/api/v1/group-surveys/{id}/restore" => api::corrections::restore_survey, Roles(RECORD_ROLES), GroupSurvey;
        GET "/api/v1/group-surveys/{id}/history" => api::corrections::survey_history, Roles(RECORD_ROLES), GroupSurvey;
        GET "/api/v1/programmes" => api::setup::programmes, SignedIn;
        POST "/api/v1/programmes" => api::setup::create_programme, Roles(COMMISSIONING_ROLES);
        GET "/api/v1/programmes/{id}" => api::setup::programme, SignedIn, Programme;
        POST "/api/v1/programmes/{id}/targets" => api::setup::add_target, Roles(COMMISSIONING_ROLES), Programme;
        GET "/api/v1/returns/{id}/changes" => api::returns::changes, SignedIn, QuarterlyReturn;
        GET "/api/v1/programmes/{id}/returns" => api::returns::list, SignedIn, Programme;
        POST "/api/v1/programmes/{id}/returns" => api::returns::submit, Roles(RETURN_SUBMIT_ROLES), Programme;
        POST "/api/v1/returns/{id}/approve" => api::returns::approve, Roles(RETURN_DECISION_ROLES), QuarterlyReturn;
        POST "/api/v1/returns/{id}/return" => api::returns::send_back, Roles(RETURN_DECISION_ROLES), QuarterlyReturn;
        POST "/api/v1/returns/{id}/unlock" => api::returns::unlock, Roles(ADMIN_ONLY), QuarterlyReturn;
        POST "/api/v1/returns/{id}/withdraw" => api::returns::withdraw, Roles(RETURN_SUBMIT_ROLES), QuarterlyReturn;
        POST "/api/v1/providers" => api::setup::add_provider, Roles(COMMISSIONING_ROLES);
        GET "/api/v1/funding-streams" => api::setup::funding_streams, Roles(AGGREGATE_ROLES);
        POST "/api/v1/funding-streams" => api::setup::add_funding_stream, Roles(COMMISSIONING_ROLES);
        POST "/api/v1/funding-streams/{id}/allocations" => api::setup::allocate, Roles(COMMISSIONING_ROLES), FundingStream;
        GET "/api/v1/measures" => api::setup::measures, SignedIn;
        POST "/api/v1/measures" => api::setup::add_measure, Roles(COMMISSIONING_ROLES);
        // The offence route comes before `{kind}`, so that it matches first.
        POST "/api/v1/imports/offences" => api::files::import_offences, Roles(OFFENCE_IMPORT_ROLES);
        POST "/api/v1/imports/offences/restore" => api::files::restore_offences, Roles(OFFENCE_IMPORT_ROLES);
        POST "/api/v1/imports/comparison-group" => api::files::import_comparison_group, Roles(OFFENCE_IMPORT_ROLES);
        GET "/api/v1/comparison-groups" => api::files::comparison_groups, Roles(REPORT_ROLES);
        // Commissioning set-up files: the roles of their write routes (`import_roles`).
        POST "/api/v1/imports/programmes" => api::files::import_programmes, Roles(COMMISSIONING_ROLES);
        POST "/api/v1/imports/measures" => api::files::import_measures, Roles(COMMISSIONING_ROLES);
        POST "/api/v1/imports/{kind}" => api::files::import, Roles(RECORD_ROLES);
        GET "/api/v1/imports" => api::files::batches, Roles(IMPORT_HISTORY_ROLES);
        GET "/api/v1/exports/{kind}" => api::files::export, Roles(RECORD_ROLES);
        GET "/api/openapi.json" => api::openapi::openapi_json, SignedIn;
        GET "/api/docs" => api::openapi::docs_root, SignedIn;
        GET "/api/docs/{file:.*}" => api::openapi::docs, SignedIn;
        GET "/api/v1/reports/programmes/{id}" => api::reports::programme, Roles(REPORT_ROLES), Programme;
        GET "/api/v1/reports/providers/{id}" => api::reports::provider, Roles(REPORT_ROLES), Provider;
        GET "/api/v1/reports/funding-streams/{id}" => api::reports::funding_stream, Roles(AGGREGATE_ROLES), FundingStream;
    ];
    routes.extend(correction_pages());
    routes.extend(data_protection_pages());
    routes
}

/// Erasure, subject access, retention periods and evaluation holds
/// (`pages::erasure`; docs/erasure-and-retention.md).
fn data_protection_pages() -> Vec<RouteSpec> {
    use crate::casework::erasure::ERASE_ROLES;
    use crate::casework::holds::HOLD_ROLES;
    use crate::casework::subject_access::EXPORT_ROLES;
    use pages::erasure as e;
    use Access::Roles;
    routes![
        GET "/participants/{id}/erase" => e::confirm, Roles(ERASE_ROLES), Participant;
        POST "/participants/{id}/erase" => e::erase, Roles(ERASE_ROLES), Participant;
        GET "/participants/{id}/export" => e::export, Roles(EXPORT_ROLES), Participant;
        GET "/programmes/{id}/evaluation-hold" => e::hold_page, Roles(HOLD_ROLES), Programme;
        POST "/programmes/{id}/evaluation-hold" => e::save_hold, Roles(HOLD_ROLES), Programme;
        GET "/programmes/{id}/retention" => e::retention_page, Roles(ADMIN_ONLY), Programme;
        POST "/programmes/{id}/retention" => e::save_retention, Roles(ADMIN_ONLY), Programme;
        GET "/admin/report-archive" => e::archive_list, Roles(ADMIN_ONLY);
        GET "/admin/report-archive/{id}" => e::archive_show, Roles(ADMIN_ONLY), ReportArchiveEntry;
        POST "/api/v1/participants/{id}/erase" => api::erasure::erase, Roles(ERASE_ROLES), Participant;
        GET "/api/v1/participants/{id}/export" => api::erasure::export, Roles(EXPORT_ROLES), Participant;
        PUT "/api/v1/programmes/{id}/evaluation-hold" => api::erasure::set_hold, Roles(HOLD_ROLES), Programme;
        DELETE "/api/v1/programmes/{id}/evaluation-hold" => api::erasure::lift_hold, Roles(HOLD_ROLES), Programme;
    ]
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
