//! The closed vocabularies of DESIGN.md sections 2 and 5, as enums.
//!
//! Each enum is stored and exchanged as its snake_case name (the same word in the
//! database, in CSV files and in JSON), and `FromStr` errors list every accepted value so
//! that an import or form error can tell the user what is expected. The conversion to and
//! from those words lives here and nowhere else.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A value that is not one of an enum's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a valid {what}; expected one of: {expected}")]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
    pub expected: String,
}

/// A closed vocabulary read forgivingly from what people type (imports and forms).
pub trait Vocabulary: Sized + Copy + 'static {
    fn parse_loose(s: &str) -> Result<Self, UnknownValue>;
    /// Every value, in the order of the design document.
    fn all() -> &'static [Self];
    /// The word used in the database, CSV and JSON.
    fn word(self) -> &'static str;
    /// How people read the value (pages, reports, spreadsheets' drop-downs).
    fn label(self) -> String;
}

/// The label of a word: `explicit`, or the word with spaces and a capital first letter.
fn word_label(word: &str, explicit: Option<&str>) -> String {
    if let Some(label) = explicit {
        return label.to_string();
    }
    let words = word.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

/// What two spellings of a value share: lower case, with runs of spaces, hyphens and
/// underscores as one underscore, trimmed.
fn loose_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for part in s
        .trim()
        .to_lowercase()
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .filter(|p| !p.is_empty())
    {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(part);
    }
    out
}

macro_rules! explicit_label {
    () => {
        None
    };
    ($label:literal) => {
        Some($label)
    };
}

macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $word:literal $(as $label:literal)?),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in the order of the design document.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// What the value is called in messages.
            pub const WHAT: &'static str = $what;

            /// The word used in the database, CSV and JSON.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }

            /// The accepted words, comma separated, for error messages.
            pub fn expected() -> String {
                [$($word),+].join(", ")
            }

            /// How people read the value: its explicit label, or its word with spaces for
            /// underscores and a capital first letter (`one_to_one` → "One to one").
            pub fn display_label(self) -> String {
                match self { $($name::$variant => word_label($word, explicit_label!($($label)?))),+ }
            }

            /// The value for a word or a label, whatever its case and surrounding spaces,
            /// with spaces or hyphens for underscores ("One to one", "youth justice",
            /// "Out-of-court resolution hub"): how imports and forms read what people type.
            pub fn parse_loose(s: &str) -> Result<Self, UnknownValue> {
                let wanted = loose_key(s);
                for v in Self::ALL {
                    if loose_key(v.as_str()) == wanted || loose_key(&v.display_label()) == wanted {
                        return Ok(*v);
                    }
                }
                Err(UnknownValue {
                    what: $what,
                    value: s.trim().to_string(),
                    expected: Self::expected(),
                })
            }
        }

        impl Vocabulary for $name {
            fn parse_loose(s: &str) -> Result<Self, UnknownValue> {
                $name::parse_loose(s)
            }
            fn all() -> &'static [Self] {
                Self::ALL
            }
            fn word(self) -> &'static str {
                self.as_str()
            }
            fn label(self) -> String {
                self.display_label()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let word = String::deserialize(d)?;
                word.parse().map_err(serde::de::Error::custom)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($word),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim() {
                    $($word => Ok($name::$variant),)+
                    other => Err(UnknownValue {
                        what: $what,
                        value: other.to_string(),
                        expected: Self::expected(),
                    }),
                }
            }
        }
    };
}

word_enum!(
    /// What an organisation is.
    OrganisationKind, "organisation kind" {
        Provider => "provider",
        Commissioner => "commissioner",
        Vru => "vru" as "Violence reduction unit",
    }
);

word_enum!(
    /// A user's role (DESIGN.md section 1).
    Role, "role" {
        Caseworker => "caseworker",
        ProviderManager => "provider_manager",
        Commissioner => "commissioner",
        Analyst => "analyst",
        Admin => "admin",
    }
);

word_enum!(
    ProgrammeKind, "programme kind" {
        Mentoring => "mentoring",
        Workshop => "workshop",
        ImmediateJustice => "immediate_justice" as "Immediate Justice",
        Outreach => "outreach",
        Diversion => "diversion",
        Perpetrator => "perpetrator",
        Other => "other",
    }
);

word_enum!(
    Delivery, "delivery" {
        Individual => "individual",
        Group => "group",
        Mixed => "mixed",
    }
);

word_enum!(
    ReferralSource, "referral source" {
        Police => "police",
        YouthJustice => "youth_justice",
        School => "school",
        SocialCare => "social_care",
        Probation => "probation",
        Health => "health",
        OocrHub => "oocr_hub" as "Out-of-court resolution hub",
        SelfReferral => "self" as "Self-referral",
        Other => "other",
    }
);

word_enum!(
    /// The decision on a referral.
    Decision, "decision" {
        Pending => "pending",
        Accepted => "accepted",
        Declined => "declined",
    }
);

word_enum!(
    /// The closure of an accepted referral.
    Closure, "closure" {
        Open => "open",
        Completed => "completed",
        Withdrawn => "withdrawn",
        Disengaged => "disengaged",
    }
);

word_enum!(
    SessionKind, "session kind" {
        OneToOne => "one_to_one" as "One-to-one",
        Group => "group",
        Workshop => "workshop",
        Reparation => "reparation",
        Outreach => "outreach",
    }
);

word_enum!(
    AttendanceStatus, "attendance status" {
        Attended => "attended",
        DidNotAttend => "did_not_attend",
        Cancelled => "cancelled",
    }
);

word_enum!(
    Timepoint, "timepoint" {
        Baseline => "baseline",
        Review => "review",
        Exit => "exit",
        FollowUp => "follow_up" as "Follow-up",
    }
);

word_enum!(
    Gender, "gender" {
        Female => "female",
        Male => "male",
        Other => "other",
        NotKnown => "not_known",
    }
);

word_enum!(
    /// ONS 2021 high-level ethnic group.
    Ethnicity, "ethnicity" {
        Asian => "asian",
        Black => "black",
        Mixed => "mixed" as "Mixed or multiple ethnic groups",
        White => "white",
        Other => "other" as "Other ethnic group",
        NotStated => "not_stated",
    }
);

word_enum!(
    /// Home Office offence groups used by the cost-of-crime table.
    OffenceGroup, "offence group" {
        Homicide => "homicide",
        ViolenceWithInjury => "violence_with_injury",
        ViolenceWithoutInjury => "violence_without_injury",
        Rape => "rape",
        OtherSexualOffences => "other_sexual_offences",
        Robbery => "robbery",
        DomesticBurglary => "domestic_burglary",
        NonDomesticBurglary => "non_domestic_burglary",
        VehicleOffences => "vehicle_offences",
        TheftFromPerson => "theft_from_person",
        Shoplifting => "shoplifting",
        OtherTheft => "other_theft",
        CriminalDamageArson => "criminal_damage_arson" as "Criminal damage and arson",
        CriminalDamageOther => "criminal_damage_other",
        PossessionOfWeapons => "possession_of_weapons",
        PublicOrder => "public_order",
        DrugOffences => "drug_offences",
        Miscellaneous => "miscellaneous",
    }
);

word_enum!(
    /// What kind of file an import batch was.
    ImportKind, "import kind" {
        Programmes => "programmes",
        Measures => "measures",
        Participants => "participants",
        Referrals => "referrals",
        Sessions => "sessions",
        Attendance => "attendance",
        Outcomes => "outcomes",
        Offences => "offences",
        // Stored as `comparison`; the command line and the API call it `comparison-group`
        // (see `ImportKind::from_name`).
        Comparison => "comparison",
    }
);

impl ImportKind {
    /// The kind as the command line and the API name it: its word, or `comparison-group`
    /// for [`ImportKind::Comparison`].
    pub fn from_name(name: &str) -> Result<Self, UnknownValue> {
        match name.trim() {
            "comparison-group" => Ok(ImportKind::Comparison),
            other => other.parse(),
        }
    }

    /// How pages name the kind of file.
    pub fn label(self) -> &'static str {
        match self {
            ImportKind::Programmes => "Programmes",
            ImportKind::Measures => "Outcome measures",
            ImportKind::Participants => "Participants",
            ImportKind::Referrals => "Referrals",
            ImportKind::Sessions => "Sessions",
            ImportKind::Attendance => "Attendance",
            ImportKind::Outcomes => "Outcome records",
            ImportKind::Offences => "Police offence extract",
            ImportKind::Comparison => "Comparison group",
        }
    }

    /// The name the command line and the API use.
    pub fn name(self) -> &'static str {
        match self {
            ImportKind::Comparison => "comparison-group",
            other => other.as_str(),
        }
    }
}

word_enum!(
    /// What an audit event records.
    AuditAction, "audit action" {
        Create => "create",
        Update => "update",
        Delete => "delete",
        SignIn => "sign_in",
        SignInFailed => "sign_in_failed",
        SignOut => "sign_out",
        Lock => "lock",
        Unlock => "unlock",
        Export => "export",
        Import => "import",
        ReportDownload => "report_download",
        ReportView => "report_view",
        Submit => "submit",
        Approve => "approve",
        Return => "return",
        Restore => "restore",
        AuditRekey => "audit_rekey",
        Void => "void",
        Merge => "merge",
        Unmerge => "unmerge",
        Erase => "erase",
        Revert => "revert",
        Withdraw => "withdraw",
    }
);

word_enum!(
    /// Where a programme's quarterly return stands (docs/casework.md, "Quarterly returns").
    ReturnStatus, "return status" {
        Submitted => "submitted",
        Approved => "approved",
        Returned => "returned",
        Unlocked => "unlocked",
        Withdrawn => "withdrawn",
    }
);

word_enum!(
    /// A programme's lawful basis for processing participants' personal data (UK GDPR
    /// Article 6(1)); see docs/data-protection.md, "Lawful basis".
    LawfulBasis, "lawful basis" {
        PublicTask => "public_task" as "Public task (UK GDPR Article 6(1)(e))",
        LegitimateInterests => "legitimate_interests" as "Legitimate interests (UK GDPR Article 6(1)(f))",
        Consent => "consent" as "Consent (UK GDPR Article 6(1)(a))",
        LegalObligation => "legal_obligation" as "Legal obligation (UK GDPR Article 6(1)(c))",
    }
);

word_enum!(
    /// The condition for processing police-derived (criminal offence) data (UK GDPR
    /// Article 10 and Data Protection Act 2018 Schedule 1), when a programme links
    /// participants to police data.
    OffenceDataCondition, "offence data condition" {
        StatutoryPurposes => "statutory_purposes" as "Statutory and government purposes (DPA 2018 Schedule 1 paragraph 6)",
        PreventingUnlawfulActs => "preventing_unlawful_acts" as "Preventing or detecting unlawful acts (DPA 2018 Schedule 1 paragraph 10)",
        Consent => "consent" as "Consent (DPA 2018 Schedule 1 paragraph 29)",
        OfficialAuthority => "official_authority" as "Under the control of official authority (UK GDPR Article 10)",
    }
);

word_enum!(
    /// What was looked at, in the access log (who looked at whom).
    AccessPage, "page" {
        ParticipantPage => "participant_page" as "Participant page",
        ReferralPage => "referral_page" as "Referral page",
        ApiParticipant => "api_participant" as "Participant (API)",
        ApiReferral => "api_referral" as "Referral (API)",
        ApiParticipantHistory => "api_participant_history" as "Participant history (API)",
        ApiReferralHistory => "api_referral_history" as "Referral history (API)",
    }
);

word_enum!(
    /// Where a referral stands, for filtering lists: `open` is accepted and not closed.
    ReferralStatus, "referral status" {
        Pending => "pending",
        Declined => "declined",
        Open => "open",
        Completed => "completed",
        Withdrawn => "withdrawn",
        Disengaged => "disengaged",
    }
);

word_enum!(
    /// Why a participant was erased (docs/erasure-and-retention.md): the person asked
    /// (right to erasure), or their programme's retention period ended.
    ErasureReason, "erasure reason" {
        Request => "request" as "Right to erasure (the person asked)",
        Retention => "retention" as "Retention period ended",
    }
);

impl OrganisationKind {
    /// The roles a user of an organisation of this kind may have: a provider's staff are
    /// caseworkers or provider managers; the commissioner's are commissioners or admins;
    /// the VRU's are analysts (docs/security.md, "Roles and organisations").
    pub fn roles(self) -> &'static [Role] {
        match self {
            OrganisationKind::Provider => &[Role::Caseworker, Role::ProviderManager],
            OrganisationKind::Commissioner => &[Role::Commissioner, Role::Admin],
            OrganisationKind::Vru => &[Role::Analyst],
        }
    }
}

/// Whether `role` may belong to an organisation of `kind`; the error names the roles
/// allowed there.
pub fn check_role_fits(role: Role, kind: OrganisationKind) -> Result<(), String> {
    if kind.roles().contains(&role) {
        return Ok(());
    }
    let allowed: Vec<&str> = kind.roles().iter().map(|r| r.as_str()).collect();
    Err(format!(
        "a {role} cannot belong to a {kind} organisation: the roles allowed there are {}",
        allowed.join(" or ")
    ))
}

impl Role {
    /// How the role is named on pages.
    pub fn label(self) -> &'static str {
        match self {
            Role::Caseworker => "Caseworker",
            Role::ProviderManager => "Provider manager",
            Role::Commissioner => "Commissioner",
            Role::Analyst => "Analyst",
            Role::Admin => "Admin",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_fit_their_organisation_kind_and_the_refusal_names_the_allowed_ones() {
        use OrganisationKind::*;
        assert!(check_role_fits(Role::Caseworker, Provider).is_ok());
        assert!(check_role_fits(Role::ProviderManager, Provider).is_ok());
        assert!(check_role_fits(Role::Commissioner, Commissioner).is_ok());
        assert!(check_role_fits(Role::Admin, Commissioner).is_ok());
        assert!(check_role_fits(Role::Analyst, Vru).is_ok());
        let e = check_role_fits(Role::Commissioner, Provider).unwrap_err();
        assert!(e.contains("caseworker or provider_manager"), "{e}");
        assert!(check_role_fits(Role::Admin, Provider).is_err());
        assert!(check_role_fits(Role::Caseworker, Commissioner).is_err());
        assert!(check_role_fits(Role::Analyst, Commissioner).is_err());
        assert!(check_role_fits(Role::Commissioner, Vru).is_err());
        // Every role fits exactly one kind.
        for role in Role::ALL {
            let kinds = OrganisationKind::ALL
                .iter()
                .filter(|k| k.roles().contains(role))
                .count();
            assert_eq!(kinds, 1, "{role}");
        }
    }

    #[test]
    fn every_word_round_trips() {
        for g in OffenceGroup::ALL {
            assert_eq!(g.as_str().parse::<OffenceGroup>().unwrap(), *g);
        }
        for r in ReferralSource::ALL {
            assert_eq!(r.as_str().parse::<ReferralSource>().unwrap(), *r);
        }
        assert_eq!(OffenceGroup::ALL.len(), 18);
    }

    #[test]
    fn an_unknown_gender_names_the_value_and_what_is_expected() {
        let err = "f".parse::<Gender>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "'f' is not a valid gender; expected one of: female, male, other, not_known"
        );
    }

    #[test]
    fn words_and_labels_are_read_whatever_their_case_and_spacing() {
        assert_eq!(
            SessionKind::parse_loose("Outreach"),
            Ok(SessionKind::Outreach)
        );
        assert_eq!(
            SessionKind::parse_loose(" One to one "),
            Ok(SessionKind::OneToOne)
        );
        assert_eq!(
            SessionKind::parse_loose("ONE_TO_ONE"),
            Ok(SessionKind::OneToOne)
        );
        assert_eq!(
            SessionKind::parse_loose("one-to-one"),
            Ok(SessionKind::OneToOne)
        );
        assert_eq!(
            ReferralSource::parse_loose("Out-of-court resolution hub"),
            Ok(ReferralSource::OocrHub)
        );
        assert_eq!(
            ReferralSource::parse_loose("OOCR hub"),
            Ok(ReferralSource::OocrHub)
        );
        assert_eq!(
            ReferralSource::parse_loose("Self-referral"),
            Ok(ReferralSource::SelfReferral)
        );
        assert_eq!(
            ReferralSource::parse_loose("Youth Justice"),
            Ok(ReferralSource::YouthJustice)
        );
        assert_eq!(
            AttendanceStatus::parse_loose("Did not attend"),
            Ok(AttendanceStatus::DidNotAttend)
        );
        let e = SessionKind::parse_loose("youth bus").unwrap_err();
        assert_eq!(e.value, "youth bus");
        assert!(e.expected.contains("one_to_one"));
        // The strict parser (database, JSON) is unchanged.
        assert!("Outreach".parse::<SessionKind>().is_err());
        // Labels are unique within each vocabulary, so a label names one value.
        fn unique<T: Copy>(all: &[T], label: impl Fn(T) -> String) {
            let mut seen: Vec<String> = all.iter().map(|v| loose_key(&label(*v))).collect();
            seen.sort();
            let n = seen.len();
            seen.dedup();
            assert_eq!(seen.len(), n);
        }
        unique(ReferralSource::ALL, |v| v.display_label());
        unique(SessionKind::ALL, |v| v.display_label());
        unique(OffenceGroup::ALL, |v| v.display_label());
        assert_eq!(SessionKind::OneToOne.display_label(), "One-to-one");
        // "one to one" (the old label) is still read: hyphens and spaces are the same.
        assert_eq!(
            SessionKind::parse_loose("one to one"),
            Ok(SessionKind::OneToOne)
        );
        assert_eq!(
            ProgrammeKind::ImmediateJustice.display_label(),
            "Immediate Justice"
        );
        assert_eq!(
            ReferralSource::OocrHub.display_label(),
            "Out-of-court resolution hub"
        );
    }

    #[test]
    fn self_referral_is_spelled_self_on_the_wire() {
        assert_eq!(ReferralSource::SelfReferral.as_str(), "self");
        assert_eq!(
            serde_json::to_string(&ReferralSource::SelfReferral).unwrap(),
            "\"self\""
        );
        assert_eq!(
            serde_json::to_string(&Decision::Accepted).unwrap(),
            "\"accepted\""
        );
    }
}
