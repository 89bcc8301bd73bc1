//! What the demo is modelled on: the organisations, programmes, measures and funding of
//! the seed documents (`../shared/seeds/`, a Derbyshire OPCC's scrutiny papers), with the
//! mixes and rates used to generate people. Organisation names are public bodies named
//! in those papers; no person is named anywhere. Rates are per year at the `small` scale
//! and are multiplied by the scale.

use crate::domain::enums::{
    Delivery, Ethnicity, OffenceGroup, OrganisationKind, ProgrammeKind, ReferralSource,
};

pub const COMMISSIONER: &str = "Office of the Police and Crime Commissioner";
pub const VRU: &str = "Violence Reduction Unit";

/// Every organisation of the demo, in creation order.
pub const ORGANISATIONS: &[(&str, OrganisationKind)] = &[
    (COMMISSIONER, OrganisationKind::Commissioner),
    (VRU, OrganisationKind::Vru),
    ("Remedi", OrganisationKind::Provider),
    ("Redsnapper", OrganisationKind::Provider),
    ("Safe and Sound", OrganisationKind::Provider),
    (
        "Chesterfield FC Community Trust",
        OrganisationKind::Provider,
    ),
    ("Supporting Communities", OrganisationKind::Provider),
    ("Leaving Care Service", OrganisationKind::Provider),
    (
        "Integrated Offender Management Team",
        OrganisationKind::Provider,
    ),
];

/// The districts of the seed documents (Derby and the Derbyshire districts), weighted
/// roughly by population and by where serious violence concentrates (seed 003).
pub const DISTRICTS: &[(&str, f64)] = &[
    ("Derby", 0.33),
    ("Chesterfield", 0.13),
    ("Amber Valley", 0.12),
    ("Erewash", 0.11),
    ("North East Derbyshire", 0.08),
    ("Bolsover", 0.07),
    ("South Derbyshire", 0.07),
    ("High Peak", 0.05),
    ("Derbyshire Dales", 0.04),
];

/// ONS 2021 high-level groups, roughly Derby and Derbyshire's mix.
pub const ETHNICITIES: &[(Ethnicity, f64)] = &[
    (Ethnicity::White, 0.84),
    (Ethnicity::Asian, 0.07),
    (Ethnicity::Mixed, 0.03),
    (Ethnicity::Black, 0.025),
    (Ethnicity::Other, 0.01),
    (Ethnicity::NotStated, 0.025),
];

/// A measure: name, min, max, higher is better.
pub type MeasureDef = (&'static str, f64, f64, bool);

pub const UNDERSTANDS_HARM: MeasureDef = (
    "Understands the harm caused to victims (1-5)",
    1.0,
    5.0,
    true,
);
pub const SAFE_COMMUNITY: MeasureDef = ("Feels safe in the community (1-5)", 1.0, 5.0, true);
pub const SAFE_HOME: MeasureDef = ("Feels safe at home (1-5)", 1.0, 5.0, true);
pub const ANGER: MeasureDef = ("Difficulty managing anger (1-5)", 1.0, 5.0, false);
pub const EET: MeasureDef = (
    "In education, training or employment (0 = no, 1 = yes)",
    0.0,
    1.0,
    true,
);
pub const WELLBEING: MeasureDef = (
    "Short Warwick-Edinburgh Mental Wellbeing Scale (7-35)",
    7.0,
    35.0,
    true,
);
pub const ACCOMMODATION: MeasureDef =
    ("In settled accommodation (0 = no, 1 = yes)", 0.0, 1.0, true);
pub const SUBSTANCE: MeasureDef = ("Drug or alcohol misuse (1-5)", 1.0, 5.0, false);
pub const CONFIDENT_TO_INTERVENE: MeasureDef =
    ("Confident to intervene safely (1-5)", 1.0, 5.0, true);
pub const KNOWS_WHO_TO_TELL: MeasureDef = ("Knows who to turn to for help (1-5)", 1.0, 5.0, true);

pub const MEASURES: &[MeasureDef] = &[
    UNDERSTANDS_HARM,
    SAFE_COMMUNITY,
    SAFE_HOME,
    ANGER,
    EET,
    WELLBEING,
    ACCOMMODATION,
    SUBSTANCE,
    CONFIDENT_TO_INTERVENE,
    KNOWS_WHO_TO_TELL,
];

/// A programme's outcome framework (issue 15): the measures its participants are scored
/// on, then the measures its kind of work usually adds (not all of which the demo scores:
/// a framework is what may be recorded). School workshops get the group survey measures
/// `schedule` records.
pub fn framework(spec: &ProgrammeSpec) -> Vec<MeasureDef> {
    let mut defs: Vec<MeasureDef> = spec.measures.iter().map(|(d, _)| *d).collect();
    let extra: &[MeasureDef] = match (spec.plan, spec.kind) {
        (Plan::Schools, _) | (_, ProgrammeKind::Workshop) => {
            &[CONFIDENT_TO_INTERVENE, KNOWS_WHO_TO_TELL]
        }
        (_, ProgrammeKind::ImmediateJustice) => &[ANGER],
        (_, ProgrammeKind::Mentoring) => &[EET, WELLBEING, ACCOMMODATION],
        (_, ProgrammeKind::Perpetrator) => &[EET, ANGER],
        _ => &[SAFE_COMMUNITY, KNOWS_WHO_TO_TELL],
    };
    for d in extra {
        if !defs.iter().any(|x| x.0 == d.0) {
            defs.push(*d);
        }
    }
    defs
}

/// How a measure moves for one programme's participants.
#[derive(Debug, Clone, Copy)]
pub enum Movement {
    /// A scale: baseline ~ Normal(mean, sd), exit = baseline + Normal(change, sd), rounded
    /// and clamped to the measure's range.
    Scale { mean: f64, sd: f64, change: f64 },
    /// A yes/no measure: share of yes at baseline and at exit.
    Binary { before: f64, after: f64 },
}

/// How a programme's named participants are seen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Plan {
    /// Immediate Justice: a one-to-one ASB awareness workshop, then group reparation
    /// sessions (2 hours each) until `required_hours` (5–20) are done (seed 004, 9.13).
    WorkshopAndReparation,
    /// Immediate Justice, tailored workshop only (seed 004, 9.16): one online workshop.
    WorkshopOnly,
    /// One-to-one appointments every `every` days (give or take a third), `min..=max` of
    /// them for a completed course.
    Weekly {
        min: u32,
        max: u32,
        every: i64,
        minutes: i32,
    },
    /// Like `Weekly`, but referrals arrive in cohorts of `size` every `every_days`
    /// (Leaving Care Wellbeing Worker: three cohorts of 15 so far, seed 000, 4.4).
    Cohort {
        size: u32,
        every_days: i64,
        weeks: u32,
    },
    /// A few named young people attend some of the scheduled outreach sessions.
    Outreach,
    /// School workshops with anonymous headcounts and group surveys; no named referrals.
    Schools,
}

/// Shared sessions a programme runs on a calendar, whoever comes.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub kind: crate::domain::enums::SessionKind,
    /// chrono weekdays, Monday = 0.
    pub weekdays: &'static [u32],
    pub minutes: i32,
    /// Parallel groups (venues) per session day at the small scale.
    pub groups: f64,
    /// Mean and sd of the anonymous headcount; (0, 0) for named-only sessions.
    pub headcount: (f64, f64),
    pub venues: &'static [(&'static str, &'static str)],
}

/// Offending of a programme's cohort, for the police extract.
#[derive(Debug, Clone, Copy)]
pub struct Offending {
    /// Mean number of proven and unproven offences in `prior_days` before referral.
    pub prior_mean: f64,
    pub prior_days: i64,
    /// Immediate Justice and out-of-court resolutions follow an offence on or just
    /// before the referral (the police decision day).
    pub index_offence: bool,
    /// Share with a proven reoffence within 12 months of referral (IJ: 31%, "69% have not
    /// reoffended", seed 004, 9.14).
    pub reoffend: f64,
    pub groups: &'static [(OffenceGroup, f64)],
}

pub struct ProgrammeSpec {
    /// Prefix of case references (e.g. `IJ-0000123`) and of synthetic police identifiers.
    pub code: &'static str,
    pub organisation: &'static str,
    pub name: &'static str,
    pub kind: ProgrammeKind,
    pub delivery: Delivery,
    pub ages: (i32, Option<i32>),
    /// The programme's start; referrals are only generated inside the demo window.
    pub starts_on: (i32, u32, u32),
    pub description: &'static str,
    pub per_year: f64,
    /// Age bands at referral with weights.
    pub age_bands: &'static [(i32, i32, f64)],
    pub male: f64,
    pub sources: &'static [(ReferralSource, f64)],
    pub reasons: &'static [&'static str],
    pub districts: &'static [(&'static str, f64)],
    pub accept: f64,
    pub decision_days: (i64, i64),
    /// Weights of completed, withdrawn, disengaged among accepted referrals.
    pub closure: [f64; 3],
    /// Share with a police identifier (and so a person key).
    pub keyed: f64,
    pub plan: Plan,
    pub schedule: Option<Schedule>,
    pub measures: &'static [(MeasureDef, Movement)],
    pub offending: Offending,
    /// (funding stream, pounds per year at the small scale).
    pub funding: &'static [(&'static str, i64)],
    /// Contracted targets beyond referrals and completions: (metric, value per year).
    pub extra_targets: &'static [(&'static str, f64)],
}

/// Funding streams, one per financial year: name (the year is appended), funder, pounds.
pub const STREAMS: &[(&str, &str, i64)] = &[
    ("Serious Violence Duty grant", "Home Office", 420_000),
    ("Immediate Justice grant", "Home Office", 260_000),
    ("OPCC community safety fund", COMMISSIONER, 120_000),
];
const SVD: &str = "Serious Violence Duty grant";
const IJG: &str = "Immediate Justice grant";
const CSF: &str = "OPCC community safety fund";

// Offence group mixes. Police recorded crime in England and Wales, tilted per cohort.
const ASB_GROUPS: &[(OffenceGroup, f64)] = &[
    (OffenceGroup::PublicOrder, 0.24),
    (OffenceGroup::CriminalDamageOther, 0.18),
    (OffenceGroup::ViolenceWithoutInjury, 0.16),
    (OffenceGroup::Shoplifting, 0.14),
    (OffenceGroup::DrugOffences, 0.08),
    (OffenceGroup::OtherTheft, 0.07),
    (OffenceGroup::ViolenceWithInjury, 0.05),
    (OffenceGroup::VehicleOffences, 0.03),
    (OffenceGroup::CriminalDamageArson, 0.02),
    (OffenceGroup::Miscellaneous, 0.03),
];
const VIOLENCE_GROUPS: &[(OffenceGroup, f64)] = &[
    (OffenceGroup::ViolenceWithoutInjury, 0.25),
    (OffenceGroup::ViolenceWithInjury, 0.18),
    (OffenceGroup::PossessionOfWeapons, 0.12),
    (OffenceGroup::Robbery, 0.08),
    (OffenceGroup::PublicOrder, 0.1),
    (OffenceGroup::CriminalDamageOther, 0.08),
    (OffenceGroup::DrugOffences, 0.08),
    (OffenceGroup::OtherSexualOffences, 0.03),
    (OffenceGroup::Shoplifting, 0.05),
    (OffenceGroup::TheftFromPerson, 0.03),
];
const ACQUISITIVE_GROUPS: &[(OffenceGroup, f64)] = &[
    (OffenceGroup::Shoplifting, 0.22),
    (OffenceGroup::DomesticBurglary, 0.12),
    (OffenceGroup::NonDomesticBurglary, 0.08),
    (OffenceGroup::Robbery, 0.08),
    (OffenceGroup::VehicleOffences, 0.1),
    (OffenceGroup::OtherTheft, 0.1),
    (OffenceGroup::TheftFromPerson, 0.04),
    (OffenceGroup::DrugOffences, 0.12),
    (OffenceGroup::ViolenceWithoutInjury, 0.07),
    (OffenceGroup::CriminalDamageOther, 0.04),
    (OffenceGroup::Miscellaneous, 0.03),
];
/// Offences of people in no programme: the whole extract's mix.
pub const ALL_GROUPS: &[(OffenceGroup, f64)] = &[
    (OffenceGroup::ViolenceWithoutInjury, 0.2),
    (OffenceGroup::ViolenceWithInjury, 0.1),
    (OffenceGroup::PublicOrder, 0.1),
    (OffenceGroup::Shoplifting, 0.1),
    (OffenceGroup::CriminalDamageOther, 0.09),
    (OffenceGroup::OtherTheft, 0.09),
    (OffenceGroup::DrugOffences, 0.07),
    (OffenceGroup::VehicleOffences, 0.05),
    (OffenceGroup::Miscellaneous, 0.05),
    (OffenceGroup::DomesticBurglary, 0.03),
    (OffenceGroup::PossessionOfWeapons, 0.03),
    (OffenceGroup::NonDomesticBurglary, 0.02),
    (OffenceGroup::Robbery, 0.02),
    (OffenceGroup::OtherSexualOffences, 0.02),
    (OffenceGroup::TheftFromPerson, 0.015),
    (OffenceGroup::Rape, 0.01),
    (OffenceGroup::CriminalDamageArson, 0.01),
    (OffenceGroup::Homicide, 0.0002),
];

const YOUNG: &[(i32, i32, f64)] = &[(10, 13, 0.25), (14, 15, 0.4), (16, 18, 0.35)];
const NO_OFFENDING: Offending = Offending {
    prior_mean: 0.3,
    prior_days: 730,
    index_offence: false,
    reoffend: 0.06,
    groups: ASB_GROUPS,
};

pub const PROGRAMMES: &[ProgrammeSpec] = &[
    ProgrammeSpec {
        code: "IJ",
        organisation: "Remedi",
        name: "Immediate Justice",
        kind: ProgrammeKind::ImmediateJustice,
        delivery: Delivery::Mixed,
        ages: (10, None),
        starts_on: (2023, 4, 1),
        description: "A one-hour ASB awareness workshop plus 5 to 20 hours of reparative work, \
                      set by the severity of the offence or incident.",
        per_year: 230.0,
        age_bands: &[(10, 17, 0.35), (18, 24, 0.3), (25, 59, 0.35)],
        male: 0.74,
        sources: &[
            (ReferralSource::Police, 0.85),
            (ReferralSource::OocrHub, 0.15),
        ],
        reasons: &[
            "Anti-social behaviour",
            "Criminal damage",
            "Public order offence",
            "Low-level theft",
        ],
        districts: DISTRICTS,
        accept: 0.93,
        decision_days: (0, 7),
        closure: [0.84, 0.05, 0.11],
        keyed: 0.98,
        plan: Plan::WorkshopAndReparation,
        schedule: Some(Schedule {
            kind: crate::domain::enums::SessionKind::Reparation,
            weekdays: &[5],
            minutes: 120,
            groups: 2.0,
            headcount: (0.0, 0.0),
            venues: &[
                ("Derby", "Community garden project"),
                ("Chesterfield", "Canal clean-up project"),
                ("Amber Valley", "Community centre"),
                ("Erewash", "Parks volunteering"),
            ],
        }),
        measures: &[(
            UNDERSTANDS_HARM,
            Movement::Scale {
                mean: 2.6,
                sd: 0.9,
                change: 1.2,
            },
        )],
        offending: Offending {
            prior_mean: 0.9,
            prior_days: 730,
            index_offence: true,
            reoffend: 0.345,
            groups: ASB_GROUPS,
        },
        funding: &[(IJG, 180_000)],
        extra_targets: &[("completion_rate", 0.8)],
    },
    ProgrammeSpec {
        code: "IJT",
        organisation: "Redsnapper",
        name: "Immediate Justice (tailored workshop only)",
        kind: ProgrammeKind::ImmediateJustice,
        delivery: Delivery::Individual,
        ages: (10, None),
        starts_on: (2024, 10, 1),
        description: "An online workshop tailored to the offence, without reparative work.",
        per_year: 130.0,
        age_bands: &[(10, 17, 0.3), (18, 24, 0.3), (25, 64, 0.4)],
        male: 0.7,
        sources: &[
            (ReferralSource::Police, 0.7),
            (ReferralSource::OocrHub, 0.3),
        ],
        reasons: &[
            "Shop theft",
            "Possession of cannabis",
            "Online harms",
            "Hate-motivated incident",
        ],
        districts: DISTRICTS,
        accept: 0.95,
        decision_days: (0, 5),
        closure: [0.86, 0.04, 0.1],
        keyed: 0.98,
        plan: Plan::WorkshopOnly,
        schedule: None,
        measures: &[(
            UNDERSTANDS_HARM,
            Movement::Scale {
                mean: 2.7,
                sd: 0.9,
                change: 0.8,
            },
        )],
        offending: Offending {
            prior_mean: 0.8,
            prior_days: 730,
            index_offence: true,
            reoffend: 0.34,
            groups: ASB_GROUPS,
        },
        funding: &[(IJG, 45_000)],
        extra_targets: &[("completion_rate", 0.85)],
    },
    ProgrammeSpec {
        code: "SVM",
        organisation: "Remedi",
        name: "Serious Violence Mentoring",
        kind: ProgrammeKind::Mentoring,
        delivery: Delivery::Individual,
        ages: (10, Some(18)),
        starts_on: (2024, 4, 1),
        description: "Restorative mentoring for children and young people aged 10-18 at risk \
                      of or involved in serious violence, across the city and county.",
        per_year: 80.0,
        age_bands: YOUNG,
        male: 0.72,
        sources: &[
            (ReferralSource::YouthJustice, 0.35),
            (ReferralSource::Police, 0.2),
            (ReferralSource::School, 0.2),
            (ReferralSource::SocialCare, 0.15),
            (ReferralSource::Health, 0.05),
            (ReferralSource::SelfReferral, 0.05),
        ],
        reasons: &[
            "At risk of serious violence",
            "Carrying a knife",
            "Involved in violence",
            "Exploitation concerns",
        ],
        districts: DISTRICTS,
        accept: 0.88,
        decision_days: (2, 21),
        closure: [0.64, 0.14, 0.22],
        keyed: 0.7,
        plan: Plan::Weekly {
            min: 12,
            max: 30,
            every: 7,
            minutes: 60,
        },
        schedule: None,
        measures: &[
            (
                SAFE_COMMUNITY,
                Movement::Scale {
                    mean: 2.5,
                    sd: 1.0,
                    change: 1.0,
                },
            ),
            (
                SAFE_HOME,
                Movement::Scale {
                    mean: 3.1,
                    sd: 1.0,
                    change: 0.6,
                },
            ),
            (
                ANGER,
                Movement::Scale {
                    mean: 3.6,
                    sd: 0.9,
                    change: -0.9,
                },
            ),
        ],
        offending: Offending {
            prior_mean: 1.2,
            prior_days: 730,
            index_offence: false,
            reoffend: 0.22,
            groups: VIOLENCE_GROUPS,
        },
        funding: &[(SVD, 85_000)],
        extra_targets: &[("completion_rate", 0.7)],
    },
    ProgrammeSpec {
        code: "ICIW",
        organisation: "Safe and Sound",
        name: "I Can, I Will",
        kind: ProgrammeKind::Workshop,
        delivery: Delivery::Group,
        ages: (10, Some(16)),
        starts_on: (2024, 4, 1),
        description: "Active-bystander workshops in schools: what serious violence is, how to \
                      be an active bystander and who to turn to for help.",
        per_year: 0.0,
        age_bands: YOUNG,
        male: 0.5,
        sources: &[(ReferralSource::School, 1.0)],
        reasons: &[],
        districts: DISTRICTS,
        accept: 1.0,
        decision_days: (0, 0),
        closure: [1.0, 0.0, 0.0],
        keyed: 0.0,
        plan: Plan::Schools,
        schedule: Some(Schedule {
            kind: crate::domain::enums::SessionKind::Workshop,
            weekdays: &[0, 1, 2, 3, 4],
            minutes: 90,
            // About 100 workshops a year (139 in 37 schools by the end of 2025, seed 000).
            groups: 0.4,
            headcount: (25.0, 3.0),
            venues: &[],
        }),
        measures: &[],
        offending: NO_OFFENDING,
        funding: &[(SVD, 60_000)],
        extra_targets: &[
            ("sessions_delivered", 100.0),
            ("anonymous_headcount", 2400.0),
        ],
    },
    ProgrammeSpec {
        code: "NTE",
        organisation: "Chesterfield FC Community Trust",
        name: "Night-time Economy Youth Outreach",
        kind: ProgrammeKind::Outreach,
        delivery: Delivery::Group,
        ages: (11, Some(24)),
        starts_on: (2024, 9, 1),
        description: "Outreach in Chesterfield town centre each Thursday and Saturday evening, \
                      with diversionary sessions at the Youth Hub.",
        per_year: 22.0,
        age_bands: &[(11, 15, 0.45), (16, 17, 0.35), (18, 24, 0.2)],
        male: 0.62,
        sources: &[
            (ReferralSource::SelfReferral, 0.5),
            (ReferralSource::Police, 0.3),
            (ReferralSource::Other, 0.2),
        ],
        reasons: &["Met during outreach", "Referred to the Youth Hub"],
        districts: &[
            ("Chesterfield", 0.8),
            ("North East Derbyshire", 0.12),
            ("Bolsover", 0.08),
        ],
        accept: 0.95,
        decision_days: (0, 3),
        closure: [0.6, 0.15, 0.25],
        keyed: 0.35,
        plan: Plan::Outreach,
        schedule: Some(Schedule {
            kind: crate::domain::enums::SessionKind::Outreach,
            weekdays: &[3, 5],
            minutes: 240,
            groups: 1.0,
            headcount: (55.0, 12.0),
            venues: &[("Chesterfield", "Town centre outreach")],
        }),
        measures: &[],
        offending: Offending {
            prior_mean: 0.6,
            prior_days: 730,
            index_offence: false,
            reoffend: 0.15,
            groups: ASB_GROUPS,
        },
        funding: &[(SVD, 40_000)],
        extra_targets: &[
            ("sessions_delivered", 100.0),
            ("anonymous_headcount", 5000.0),
        ],
    },
    ProgrammeSpec {
        code: "BUS",
        organisation: "Supporting Communities",
        name: "Youth Bus",
        kind: ProgrammeKind::Outreach,
        delivery: Delivery::Group,
        ages: (10, Some(19)),
        starts_on: (2024, 4, 1),
        description: "Evening youth bus sessions in Derby and Chesterfield: a safe space, youth \
                      workers and virtual-reality resources on violence and ASB.",
        per_year: 18.0,
        age_bands: &[(10, 13, 0.35), (14, 17, 0.55), (18, 19, 0.1)],
        male: 0.58,
        sources: &[
            (ReferralSource::SelfReferral, 0.6),
            (ReferralSource::Police, 0.2),
            (ReferralSource::Other, 0.2),
        ],
        reasons: &["Youth bus engagement"],
        districts: &[("Derby", 0.55), ("Chesterfield", 0.45)],
        accept: 0.95,
        decision_days: (0, 7),
        closure: [0.55, 0.2, 0.25],
        keyed: 0.3,
        plan: Plan::Outreach,
        schedule: Some(Schedule {
            kind: crate::domain::enums::SessionKind::Outreach,
            weekdays: &[4],
            minutes: 180,
            groups: 2.0,
            // 773 attendances over 30 sessions, a mean of 25 (seed 000, 4.18).
            headcount: (25.0, 7.0),
            venues: &[("Chesterfield", "Town centre"), ("Derby", "Normanton")],
        }),
        measures: &[],
        offending: Offending {
            prior_mean: 0.4,
            prior_days: 730,
            index_offence: false,
            reoffend: 0.12,
            groups: ASB_GROUPS,
        },
        funding: &[(SVD, 35_000), (CSF, 15_000)],
        extra_targets: &[
            ("sessions_delivered", 100.0),
            ("anonymous_headcount", 2500.0),
        ],
    },
    ProgrammeSpec {
        code: "LCW",
        organisation: "Leaving Care Service",
        name: "Leaving Care Wellbeing Worker",
        kind: ProgrammeKind::Mentoring,
        delivery: Delivery::Individual,
        ages: (18, Some(21)),
        starts_on: (2024, 6, 1),
        description: "Therapeutically informed support for care leavers from age 18, in cohorts.",
        per_year: 0.0,
        age_bands: &[(18, 19, 0.7), (20, 21, 0.3)],
        male: 0.5,
        sources: &[(ReferralSource::SocialCare, 1.0)],
        reasons: &["Care leaver"],
        districts: DISTRICTS,
        accept: 0.96,
        decision_days: (0, 14),
        closure: [0.75, 0.1, 0.15],
        keyed: 0.6,
        plan: Plan::Cohort {
            size: 15,
            every_days: 240,
            weeks: 26,
        },
        schedule: None,
        measures: &[
            (
                EET,
                Movement::Binary {
                    before: 0.35,
                    after: 0.62,
                },
            ),
            (
                WELLBEING,
                Movement::Scale {
                    mean: 19.0,
                    sd: 4.0,
                    change: 3.5,
                },
            ),
        ],
        // "Only one recorded case of further offending" among 45 (seed 000, 4.4).
        offending: Offending {
            prior_mean: 0.4,
            prior_days: 730,
            index_offence: false,
            reoffend: 0.04,
            groups: ASB_GROUPS,
        },
        funding: &[(SVD, 38_000)],
        extra_targets: &[],
    },
    ProgrammeSpec {
        code: "IOM",
        organisation: "Integrated Offender Management Team",
        name: "IOM Fixed Cohort",
        kind: ProgrammeKind::Perpetrator,
        delivery: Delivery::Individual,
        ages: (18, None),
        starts_on: (2023, 4, 1),
        description: "Integrated Offender Management of the adults who pose the greatest risk \
                      of further serious acquisitive offending.",
        per_year: 150.0,
        age_bands: &[(18, 24, 0.15), (25, 39, 0.55), (40, 59, 0.3)],
        male: 0.9,
        sources: &[
            (ReferralSource::Probation, 0.7),
            (ReferralSource::Police, 0.3),
        ],
        reasons: &[
            "Serious acquisitive crime",
            "Robbery",
            "Burglary",
            "Drug supply",
        ],
        districts: DISTRICTS,
        accept: 0.97,
        decision_days: (0, 14),
        closure: [0.5, 0.3, 0.2],
        keyed: 1.0,
        // Twice-weekly contact (offender manager and partner agencies) for 6 to 12 months.
        plan: Plan::Weekly {
            min: 50,
            max: 100,
            every: 3,
            minutes: 45,
        },
        schedule: None,
        measures: &[
            (
                ACCOMMODATION,
                Movement::Binary {
                    before: 0.45,
                    after: 0.7,
                },
            ),
            (
                SUBSTANCE,
                Movement::Scale {
                    mean: 3.8,
                    sd: 0.9,
                    change: -0.8,
                },
            ),
        ],
        // 553 offences in the six months before, 134 after, for 230 people (seed 004, 6.10).
        offending: Offending {
            prior_mean: 4.0,
            prior_days: 365,
            index_offence: false,
            reoffend: 0.45,
            groups: ACQUISITIVE_GROUPS,
        },
        funding: &[(CSF, 50_000)],
        extra_targets: &[],
    },
];
