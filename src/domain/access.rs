//! Who is acting and what they may see: the `Actor` (from a session or an API token), the
//! access rule every route declares, and the `Scope` that every store query on
//! provider-owned records takes.
//!
//! The rules of DESIGN.md section 1: provider staff see only their own organisation's
//! records; commissioners and analysts see aggregate figures across providers but no
//! participant-level rows; admins see everything.

use serde::Serialize;

use super::enums::{ImportKind, OrganisationKind, Role};
use super::ids::{OrganisationId, UserId};

/// The signed-in user a request acts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub user_id: UserId,
    pub role: Role,
    pub organisation_id: OrganisationId,
    pub organisation_kind: OrganisationKind,
    /// For the page header only; never logged.
    pub display_name: String,
    pub organisation_name: String,
}

impl Actor {
    pub fn scope(&self) -> Scope {
        Scope::for_role(self.role, self.organisation_id)
    }
}

/// What the store may return to an actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Provider staff: their own organisation's records and figures only.
    Organisation(OrganisationId),
    /// Commissioners and analysts: aggregate figures of every organisation, no
    /// participant-level rows.
    Aggregate,
    /// Admins: everything.
    All,
}

/// Which organisations' rows a query may return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    Of(OrganisationId),
    All,
    None,
}

impl Scope {
    pub fn for_role(role: Role, organisation: OrganisationId) -> Scope {
        match role {
            Role::Caseworker | Role::ProviderManager => Scope::Organisation(organisation),
            Role::Commissioner | Role::Analyst => Scope::Aggregate,
            Role::Admin => Scope::All,
        }
    }

    /// Participant-level records (participants, referrals, sessions, attendance, outcome
    /// records, group surveys, provider imports): own organisation, everything for admins,
    /// nothing for aggregate readers.
    pub fn records(&self) -> Rows {
        match self {
            Scope::Organisation(o) => Rows::Of(*o),
            Scope::All => Rows::All,
            Scope::Aggregate => Rows::None,
        }
    }

    /// Aggregate figures and organisation-level facts (organisations, programmes, reports):
    /// own organisation for provider staff, everything for the others.
    pub fn aggregates(&self) -> Rows {
        match self {
            Scope::Organisation(o) => Rows::Of(*o),
            Scope::Aggregate | Scope::All => Rows::All,
        }
    }
}

impl Rows {
    pub fn includes(&self, organisation: OrganisationId) -> bool {
        match self {
            Rows::Of(o) => *o == organisation,
            Rows::All => true,
            Rows::None => false,
        }
    }
}

/// The access rule of a route. Every route declares one (see `web::routes::ROUTES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in, active user.
    SignedIn,
    /// Signed-in users with one of these roles.
    Roles(&'static [Role]),
    /// Any signed-in user, including one whose sign-in is not finished (the second
    /// factor, its enrolment or a new password is still to come): the pages of those
    /// steps, and sign-out. Every other rule sees such a session as signed out.
    SignInStep,
}

/// Roles that work with participant-level records (admins see everything).
pub const RECORD_ROLES: &[Role] = &[Role::Caseworker, Role::ProviderManager, Role::Admin];
/// Administration: users, tokens, the audit trail.
pub const ADMIN_ONLY: &[Role] = &[Role::Admin];
/// Who may read a programme's or provider's evaluation report: its provider's manager,
/// and the commissioners, analysts and admins who see every programme.
pub const REPORT_ROLES: &[Role] = &[
    Role::ProviderManager,
    Role::Commissioner,
    Role::Analyst,
    Role::Admin,
];
/// Commissioning set-up: providers, programmes, funding streams, allocations, targets
/// and outcome measures.
pub const COMMISSIONING_ROLES: &[Role] = &[Role::Commissioner, Role::Admin];
/// Who may import police offence extracts.
pub const OFFENCE_IMPORT_ROLES: &[Role] = &[Role::Analyst, Role::Admin];
/// Who may see the upload page and the import history: provider staff (their own),
/// commissioners (set-up files), analysts (extracts), admins.
pub const IMPORT_HISTORY_ROLES: &[Role] = &[
    Role::Caseworker,
    Role::ProviderManager,
    Role::Commissioner,
    Role::Analyst,
    Role::Admin,
];

/// Who may import each kind of file, on every path (CLI aside, which is the operator's):
/// the same roles as the kind's write route. Programmes and outcome measures are
/// commissioning set-up (measures are shared by every provider); offence extracts are
/// police data; the rest are a provider's own casework records.
pub fn import_roles(kind: ImportKind) -> &'static [Role] {
    match kind {
        ImportKind::Programmes | ImportKind::Measures => COMMISSIONING_ROLES,
        ImportKind::Offences | ImportKind::Comparison => OFFENCE_IMPORT_ROLES,
        ImportKind::Participants
        | ImportKind::Referrals
        | ImportKind::Sessions
        | ImportKind::Attendance
        | ImportKind::Outcomes => RECORD_ROLES,
    }
}
/// Who may undo an upload: provider managers their organisation's, admins any.
pub const UNDO_IMPORT_ROLES: &[Role] = &[Role::ProviderManager, Role::Admin];
/// Who may submit a programme's quarterly return: its provider's manager, and admins.
pub const RETURN_SUBMIT_ROLES: &[Role] = &[Role::ProviderManager, Role::Admin];
/// Who may approve a quarterly return or return it to the provider with a comment.
pub const RETURN_DECISION_ROLES: &[Role] = &[Role::Commissioner, Role::Admin];
/// Who may read figures across providers (a funding stream spans several).
pub const AGGREGATE_ROLES: &[Role] = &[Role::Commissioner, Role::Analyst, Role::Admin];

/// The outcome of checking a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Not signed in.
    SignIn,
    /// Signed in with the wrong role.
    Deny,
}

impl Access {
    pub fn decide(&self, role: Option<Role>) -> Verdict {
        match (self, role) {
            (Access::Public, _) => Verdict::Allow,
            (_, None) => Verdict::SignIn,
            (Access::SignedIn | Access::SignInStep, Some(_)) => Verdict::Allow,
            (Access::Roles(roles), Some(r)) if roles.contains(&r) => Verdict::Allow,
            (Access::Roles(_), Some(_)) => Verdict::Deny,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_gets_the_scope_of_design_section_1() {
        let org = OrganisationId(7);
        assert_eq!(
            Scope::for_role(Role::Caseworker, org).records(),
            Rows::Of(org)
        );
        assert_eq!(
            Scope::for_role(Role::ProviderManager, org).aggregates(),
            Rows::Of(org)
        );
        assert_eq!(
            Scope::for_role(Role::Commissioner, org).records(),
            Rows::None
        );
        assert_eq!(Scope::for_role(Role::Analyst, org).aggregates(), Rows::All);
        assert_eq!(Scope::for_role(Role::Admin, org).records(), Rows::All);
    }

    #[test]
    fn rules_distinguish_signed_out_from_wrong_role() {
        assert_eq!(Access::Public.decide(None), Verdict::Allow);
        assert_eq!(Access::SignedIn.decide(None), Verdict::SignIn);
        assert_eq!(
            Access::Roles(ADMIN_ONLY).decide(Some(Role::Caseworker)),
            Verdict::Deny
        );
        assert_eq!(
            Access::Roles(RECORD_ROLES).decide(Some(Role::Caseworker)),
            Verdict::Allow
        );
    }
}
