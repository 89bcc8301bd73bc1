//! Builders of the records a test needs.

use super::{TestApp, TestUser};
use outcomes::domain::credentials::{Email, NewPassword};
use outcomes::domain::enums::{OrganisationKind, Role};
use outcomes::domain::ids::{OrganisationId, UserId};
use rand::Rng;

impl TestApp {
    /// An organisation, by name (created once).
    pub fn org(&self, name: &str, kind: OrganisationKind) -> i64 {
        let mut conn = self.db();
        match outcomes::store::organisations::find_by_name(&mut conn, name).unwrap() {
            Some(o) => o.id.0,
            None => {
                outcomes::store::organisations::create(&mut conn, name, kind)
                    .unwrap()
                    .id
                    .0
            }
        }
    }

    /// A provider organisation, by name.
    pub fn provider(&self, name: &str) -> i64 {
        self.org(name, OrganisationKind::Provider)
    }

    /// A new active user with a random email and a 16-character password.
    /// A user with `role` in the organisation — or, when the role does not fit that
    /// organisation's kind (users must: `OrganisationKind::roles`), in a test organisation
    /// of a kind it fits ("Test commissioner" or "Test VRU"), so that tests written before
    /// the rule, which only need an admin or an analyst, keep working.
    pub fn create_user(&self, role: Role, organisation_id: i64) -> TestUser {
        let kind = {
            use diesel::prelude::*;
            use outcomes::db::schema::organisations::dsl as o;
            let kind: String = o::organisations
                .filter(o::id.eq(organisation_id))
                .select(o::kind)
                .first(&mut self.db())
                .unwrap();
            kind.parse::<OrganisationKind>().unwrap()
        };
        let organisation_id = if kind.roles().contains(&role) {
            organisation_id
        } else if OrganisationKind::Commissioner.roles().contains(&role) {
            self.org("Test commissioner", OrganisationKind::Commissioner)
        } else if OrganisationKind::Vru.roles().contains(&role) {
            self.org("Test VRU", OrganisationKind::Vru)
        } else {
            panic!("a {role} must be made in a provider")
        };
        let n: u32 = rand::thread_rng().gen();
        let email = format!("{}-{n:08x}@example.org", role.as_str());
        let password = format!("pw-{n:08x}-long");
        let mut conn = self.db();
        let parsed = Email::parse(&email).unwrap();
        let user = outcomes::store::users::create(
            &mut conn,
            outcomes::store::users::NewUser {
                email: &parsed,
                display_name: "",
                role,
                organisation_id: OrganisationId(organisation_id),
                password_hash: NewPassword::parse(&password).unwrap().hash().unwrap(),
            },
            None,
        )
        .unwrap();
        TestUser {
            id: user.id.0,
            email,
            password,
            role,
            organisation_id,
        }
    }

    /// A new API token for the user.
    pub fn bearer(&self, user: &TestUser) -> String {
        let mut conn = self.db();
        outcomes::store::tokens::create(&mut conn, UserId(user.id), "test", None)
            .unwrap()
            .1
    }

    /// A participant of an organisation; returns its id.
    /// A programme of `organisation_id`, through the store.
    pub fn add_programme(&self, organisation_id: i64, name: &str) -> i64 {
        use outcomes::domain::enums::{Delivery, ProgrammeKind};
        use outcomes::store::programmes::{insert, ProgrammeFields};
        let fields = ProgrammeFields {
            name: name.to_string(),
            kind: ProgrammeKind::Mentoring,
            delivery: Delivery::Individual,
            min_age: Some(10),
            max_age: Some(18),
            starts_on: chrono::NaiveDate::from_ymd_opt(2024, 4, 1).unwrap(),
            ends_on: None,
            description: String::new(),
        };
        insert(
            &mut self.db(),
            outcomes::domain::ids::OrganisationId(organisation_id),
            &fields,
        )
        .unwrap()
        .0
    }

    /// A funding stream of 2025-26, through the store.
    pub fn add_funding_stream(&self, name: &str) -> i64 {
        outcomes::store::funding_streams::insert(
            &mut self.db(),
            name,
            "Home Office",
            "2025-26",
            10_000_000,
        )
        .unwrap()
        .0
    }

    /// A referral (accepted, open, referred 2025-05-01) of a participant to a programme
    /// and a session of that programme, through the store; returns their ids.
    pub fn add_referral_and_session(
        &self,
        organisation_id: i64,
        participant_id: i64,
        programme_id: i64,
    ) -> (i64, i64) {
        use outcomes::domain::enums::{Closure, Decision, ReferralSource, SessionKind};
        use outcomes::domain::ids::{OrganisationId, ParticipantId, ProgrammeId};
        use outcomes::store::referrals::{insert, ReferralFields};
        use outcomes::store::sessions::{self, SessionFields};
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let mut conn = self.db();
        let n: u32 = rand::thread_rng().gen();
        let referral = insert(
            &mut conn,
            OrganisationId(organisation_id),
            &ReferralFields {
                reference: format!("R{n:08x}"),
                participant_id: ParticipantId(participant_id),
                programme_id: ProgrammeId(programme_id),
                referred_on: d("2025-05-01"),
                source: ReferralSource::Police,
                reason: String::new(),
                decision: Decision::Accepted,
                decided_on: Some(d("2025-05-02")),
                closure: Closure::Open,
                closed_on: None,
                required_hours: None,
            },
        )
        .unwrap();
        let session = sessions::insert(
            &mut conn,
            OrganisationId(organisation_id),
            &SessionFields {
                reference: Some(format!("S{n:08x}")),
                programme_id: ProgrammeId(programme_id),
                date: d("2025-06-01"),
                kind: SessionKind::OneToOne,
                duration_minutes: Some(60),
                headcount: 0,
                district: None,
                venue: None,
            },
        )
        .unwrap();
        (referral.0, session.0)
    }

    /// A submitted quarterly return of a programme, through the store; returns its id.
    pub fn add_return(&self, programme_id: i64, quarter: &str, submitted_by: i64) -> i64 {
        let quarter = outcomes::domain::returns::parse_quarter(quarter).unwrap();
        outcomes::store::quarterly_returns::insert_submitted(
            &mut self.db(),
            outcomes::domain::ids::ProgrammeId(programme_id),
            quarter,
            "",
            outcomes::domain::ids::UserId(submitted_by),
        )
        .unwrap()
        .0
    }

    pub fn add_participant(&self, organisation_id: i64, reference: &str) -> i64 {
        use diesel::prelude::*;
        use outcomes::db::schema::participants::dsl as p;
        let mut conn = self.db();
        let now = chrono::Utc::now().naive_utc();
        diesel::insert_into(p::participants)
            .values((
                p::organisation_id.eq(organisation_id),
                p::reference.eq(reference),
                p::gender.eq("not_known"),
                p::ethnicity.eq("not_stated"),
                p::created_at.eq(now),
                p::updated_at.eq(now),
            ))
            .execute(&mut conn)
            .unwrap();
        p::participants
            .filter(p::organisation_id.eq(organisation_id))
            .filter(p::reference.eq(reference))
            .select(p::id)
            .first(&mut conn)
            .unwrap()
    }
}
