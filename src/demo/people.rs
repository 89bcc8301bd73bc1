//! Named participants and their referrals, each taken through its lifecycle: a decision,
//! a course of appointments (own one-to-one sessions, or places at the programme's
//! scheduled sessions) with attendance, a closure, outcome measures at baseline, review
//! and exit, and the person's offences for the police extract.
//!
//! Lifecycle dates go through `domain::lifecycle` with the as-of date as "today", so the
//! demo obeys the same rules as a caseworker (decided on or after referral, closed on or
//! after the decision, only accepted referrals closed, nothing in the future); courses
//! still running on the as-of date stay open.

use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;

use super::catalogue::{MeasureDef, Movement, Plan, ProgrammeSpec, PROGRAMMES};
use super::offending::{self, Person};
use super::random::{self, DemoRng, Stream};
use super::rows::{commit, Ids, Rows};
use super::schedule::Slots;
use super::{DemoCounts, DemoError, Progress, World};
use crate::db::DbConn;
use crate::domain::calendar::add_months;
use crate::domain::enums::{AttendanceStatus, Closure, Decision, Gender, SessionKind, Timepoint};
use crate::domain::ids::{MeasureId, OrganisationId, ProgrammeId, ReferralId, SessionId};
use crate::domain::lifecycle::{Change, ReferralState};
use crate::store::outcomes::OutcomeFields;
use crate::store::participants::{Participant, ParticipantFields};
use crate::store::referrals::{Referral, ReferralFields};
use crate::store::sessions::{AttendanceFields, Session, SessionFields};

/// Referrals per chunk: one transaction each, and the most held in memory at once.
const CHUNK: u64 = 5_000;

/// Reparation hours set by the police decision (5 to 20, seed 004, 9.13).
const REQUIRED_HOURS: &[(f64, f64)] = &[
    (5.0, 0.3),
    (6.0, 0.1),
    (8.0, 0.15),
    (10.0, 0.2),
    (12.0, 0.08),
    (15.0, 0.1),
    (20.0, 0.07),
];

pub(super) fn create_all(
    conn: &mut DbConn,
    world: &World,
    slots: &[Option<Slots>],
    ids: &mut Ids,
    counts: &mut DemoCounts,
    progress: &mut dyn Progress,
) -> Result<(), DemoError> {
    let planned: Vec<u64> = PROGRAMMES.iter().map(|s| planned(world, s)).collect();
    progress.phase("participants and referrals", planned.iter().sum());
    for (index, spec) in PROGRAMMES.iter().enumerate() {
        let ctx = Ctx::new(world, index, spec, slots[index].as_ref());
        for chunk in 0..planned[index].div_ceil(CHUNK) {
            let stream = ((index as u64) << 32) | chunk;
            let mut rng = random::stream(world.seed, Stream::People, stream);
            let range = chunk * CHUNK..((chunk + 1) * CHUNK).min(planned[index]);
            let n = range.end - range.start;
            let mut rows = Rows::default();
            for i in range {
                ctx.person(&mut rng, ids, i, &mut rows)?;
            }
            commit(conn, &mut rows, world.offence_batch, counts)?;
            progress.advance(n);
        }
    }
    Ok(())
}

/// How many referrals a programme gets between its first day and the as-of date.
pub(super) fn planned(world: &World, spec: &ProgrammeSpec) -> u64 {
    let first = world.first_day(spec);
    if first > world.as_of {
        return 0;
    }
    let days = (world.as_of - first).num_days() + 1;
    match spec.plan {
        Plan::Schools => 0,
        Plan::Cohort {
            size, every_days, ..
        } => ((days - 1) / every_days + 1) as u64 * world.scaled(f64::from(size)),
        _ => (spec.per_year * world.multiplier * days as f64 / 365.25).round() as u64,
    }
}

struct Ctx<'a> {
    world: &'a World,
    index: usize,
    spec: &'static ProgrammeSpec,
    slots: Option<&'a Slots>,
    organisation: OrganisationId,
    programme: ProgrammeId,
    first: NaiveDate,
    ages: Vec<((i32, i32), f64)>,
    measures: Vec<(MeasureId, MeasureDef, Movement)>,
}

/// One booked appointment of a referral.
struct Appointment {
    date: NaiveDate,
    at: At,
    status: AttendanceStatus,
    hours: Option<f64>,
}

enum At {
    /// A session of its own (one-to-one work, a workshop).
    Own { kind: SessionKind, minutes: i32 },
    /// A place at a scheduled session.
    Shared(SessionId),
}

#[derive(Default)]
struct Course {
    appointments: Vec<Appointment>,
    /// When the course closes, if it reaches its end.
    ends_on: Option<NaiveDate>,
}

impl Course {
    fn book(&mut self, rng: &mut DemoRng, date: NaiveDate, at: At, dna: f64) -> AttendanceStatus {
        let status = status(rng, dna, 0.05);
        self.appointments.push(Appointment {
            date,
            at,
            status,
            hours: None,
        });
        status
    }

    fn last_date(&self, or: NaiveDate) -> NaiveDate {
        self.appointments.last().map_or(or, |a| a.date)
    }

    fn end_after_last(&mut self, rng: &mut DemoRng, or: NaiveDate, days: (i64, i64)) {
        self.ends_on =
            Some(self.last_date(or) + Duration::days(random::between(rng, days.0, days.1)));
    }
}

fn status(rng: &mut DemoRng, dna: f64, cancelled: f64) -> AttendanceStatus {
    let x = rng.gen::<f64>();
    if x < dna {
        AttendanceStatus::DidNotAttend
    } else if x < dna + cancelled {
        AttendanceStatus::Cancelled
    } else {
        AttendanceStatus::Attended
    }
}

impl<'a> Ctx<'a> {
    fn new(
        world: &'a World,
        index: usize,
        spec: &'static ProgrammeSpec,
        slots: Option<&'a Slots>,
    ) -> Self {
        Ctx {
            world,
            index,
            spec,
            slots,
            organisation: world.organisations[spec.organisation],
            programme: world.programmes[index],
            first: world.first_day(spec),
            ages: spec
                .age_bands
                .iter()
                .map(|(lo, hi, w)| ((*lo, *hi), *w))
                .collect(),
            measures: spec
                .measures
                .iter()
                .map(|(def, movement)| (world.measures[def.0], *def, *movement))
                .collect(),
        }
    }

    fn person(
        &self,
        rng: &mut DemoRng,
        ids: &mut Ids,
        i: u64,
        rows: &mut Rows,
    ) -> Result<(), DemoError> {
        let referred_on = self.referred_on(rng, i);
        let (participant, key) = self.participant(rng, ids, i, referred_on)?;
        let district = participant.fields.district.clone();
        let required_hours = (self.spec.plan == Plan::WorkshopAndReparation)
            .then(|| random::pick(rng, REQUIRED_HOURS));
        let mut state = self.decide(rng, referred_on)?;
        let mut course = Course::default();
        if let (Decision::Accepted, Some(decided_on)) = (state.decision, state.decided_on) {
            let intent = random::pick(
                rng,
                &[
                    (Closure::Completed, self.spec.closure[0]),
                    (Closure::Withdrawn, self.spec.closure[1]),
                    (Closure::Disengaged, self.spec.closure[2]),
                ],
            );
            course = self.course(rng, decided_on, intent, required_hours.unwrap_or(0.0));
            state = self.close(state, &mut course, intent)?;
        }
        let referral = ids.referral();
        rows.referrals.push(Referral {
            id: referral,
            organisation_id: self.organisation,
            fields: ReferralFields {
                reference: format!("{}-R{:07}", self.spec.code, i + 1),
                participant_id: participant.id,
                programme_id: self.programme,
                referred_on,
                source: random::pick(rng, self.spec.sources),
                reason: self.reason(rng),
                decision: state.decision,
                decided_on: state.decided_on,
                closure: state.closure,
                closed_on: state.closed_on,
                required_hours,
            },
        });
        let (birth_month, gender) = (
            participant.fields.date_of_birth.and_then(|d| d.with_day(1)),
            participant.fields.gender,
        );
        rows.participants.push(participant);
        self.attendance(ids, referral, &course, district, rows);
        self.outcomes(rng, referral, &course, &state, rows);
        if let Some(key) = key {
            let person = Person {
                key: &key,
                referred_on,
                decision: state.decision,
                closure: state.closure,
                birth_month,
                gender: Some(gender),
            };
            offending::history(
                rng,
                &self.spec.offending,
                &person,
                self.world.as_of,
                &mut rows.offences,
            );
        }
        Ok(())
    }

    fn reason(&self, rng: &mut DemoRng) -> String {
        let reasons = self.spec.reasons;
        let i = random::between(rng, 0, reasons.len() as i64 - 1) as usize;
        reasons.get(i).copied().unwrap_or_default().to_string()
    }

    fn referred_on(&self, rng: &mut DemoRng, i: u64) -> NaiveDate {
        match self.spec.plan {
            Plan::Cohort {
                size, every_days, ..
            } => {
                let cohort = i / self.world.scaled(f64::from(size));
                let start = self.first + Duration::days(cohort as i64 * every_days);
                (start - Duration::days(random::between(rng, 0, 21))).max(self.first)
            }
            _ => random::date_between(rng, self.first, self.world.as_of),
        }
    }

    fn participant(
        &self,
        rng: &mut DemoRng,
        ids: &mut Ids,
        i: u64,
        referred_on: NaiveDate,
    ) -> Result<(Participant, Option<String>), DemoError> {
        let (lo, hi) = random::pick(rng, &self.ages);
        let (min_age, max_age) = self.spec.ages;
        let age = random::between(rng, i64::from(lo), i64::from(hi)) as i32;
        let age = age.max(min_age).min(max_age.unwrap_or(i32::MAX));
        // Born `age` years and up to 364 days before the referral: exactly `age` on it.
        let born =
            add_months(referred_on, -12 * age) - Duration::days(random::between(rng, 0, 364));
        let male = self.spec.male * 0.98;
        let gender = random::pick(
            rng,
            &[
                (Gender::Male, male),
                (Gender::Female, 0.98 - male),
                (Gender::Other, 0.01),
                (Gender::NotKnown, 0.01),
            ],
        );
        let key = if random::chance(rng, self.spec.keyed) {
            // A synthetic police identifier, keyed at once and never stored.
            let police_id = format!("DEMO{:02}{:09}", self.index, i);
            let key = crate::domain::person_key::person_key(&self.world.secret, &police_id)
                .map_err(|e| DemoError::Generator(e.to_string()))?;
            Some(key.into_string())
        } else {
            None
        };
        let participant = Participant {
            id: ids.participant(),
            organisation_id: self.organisation,
            fields: ParticipantFields {
                reference: format!("{}-{:07}", self.spec.code, i + 1),
                person_key: key.clone(),
                date_of_birth: Some(born),
                gender,
                ethnicity: random::pick(rng, super::catalogue::ETHNICITIES),
                district: Some(random::pick(rng, self.spec.districts).to_string()),
            },
        };
        Ok((participant, key))
    }

    /// Accepted or declined a few days after referral; pending if that day has not come.
    fn decide(
        &self,
        rng: &mut DemoRng,
        referred_on: NaiveDate,
    ) -> Result<ReferralState, DemoError> {
        let (lo, hi) = self.spec.decision_days;
        let on = referred_on + Duration::days(random::between(rng, lo, hi));
        let state = ReferralState::new(referred_on);
        // A few referrals wait for a decision far longer than they should.
        if on > self.world.as_of || random::chance(rng, 0.005) {
            return Ok(state);
        }
        let decision = if random::chance(rng, self.spec.accept) {
            Decision::Accepted
        } else {
            Decision::Declined
        };
        state
            .transition(Change::Decide { decision, on }, self.world.as_of)
            .map_err(|e| DemoError::Generator(e.to_string()))
    }

    /// Closes the referral as `intent` when its course ended by the as-of date; otherwise
    /// it stays open and keeps only the appointments up to the as-of date.
    fn close(
        &self,
        state: ReferralState,
        course: &mut Course,
        intent: Closure,
    ) -> Result<ReferralState, DemoError> {
        let as_of = self.world.as_of;
        let finished = course.appointments.iter().all(|a| a.date <= as_of);
        course.appointments.retain(|a| a.date <= as_of);
        match course.ends_on.filter(|end| finished && *end <= as_of) {
            Some(on) => state
                .transition(
                    Change::Close {
                        closure: intent,
                        on,
                    },
                    as_of,
                )
                .map_err(|e| DemoError::Generator(e.to_string())),
            None => Ok(state),
        }
    }

    fn course(&self, rng: &mut DemoRng, decided: NaiveDate, intent: Closure, hours: f64) -> Course {
        match self.spec.plan {
            Plan::WorkshopAndReparation => self.reparation(rng, decided, intent, hours),
            Plan::WorkshopOnly => self.workshop_only(rng, decided, intent),
            Plan::Weekly {
                min,
                max,
                every,
                minutes,
            } => {
                let n = random::between(rng, i64::from(min), i64::from(max));
                self.weekly(rng, decided, intent, (n, every), minutes)
            }
            Plan::Cohort { weeks, .. } => {
                let n = i64::from(weeks) + random::between(rng, -3, 3);
                self.weekly(rng, decided, intent, (n, 7), 60)
            }
            Plan::Outreach => self.outreach(rng, decided, intent),
            Plan::Schools => Course::default(),
        }
    }

    fn venue(&self) -> &'static str {
        match self.spec.plan {
            Plan::WorkshopOnly => "Online",
            Plan::WorkshopAndReparation => "Caseworker office",
            _ => "Community venue",
        }
    }

    /// Books a workshop until it is attended, at most three times; the attended date.
    fn workshop(
        &self,
        rng: &mut DemoRng,
        course: &mut Course,
        mut date: NaiveDate,
        never: bool,
    ) -> Option<NaiveDate> {
        let minutes = if self.spec.plan == Plan::WorkshopOnly {
            90
        } else {
            60
        };
        for _ in 0..3 {
            let dna = if never { 1.0 } else { 0.09 };
            let at = At::Own {
                kind: SessionKind::Workshop,
                minutes,
            };
            if course.book(rng, date, at, dna) == AttendanceStatus::Attended {
                return Some(date);
            }
            date += Duration::days(random::between(rng, 5, 10));
        }
        None
    }

    /// Immediate Justice: the workshop, then 2-hour reparation sessions until the
    /// required hours are done (a share of them for those who drop out).
    fn reparation(
        &self,
        rng: &mut DemoRng,
        decided: NaiveDate,
        intent: Closure,
        hours: f64,
    ) -> Course {
        let mut course = Course::default();
        if intent == Closure::Withdrawn && random::chance(rng, 0.5) {
            course.end_after_last(rng, decided, (7, 45));
            return course;
        }
        let never = intent == Closure::Disengaged && random::chance(rng, 0.35);
        let start = decided + Duration::days(random::between(rng, 2, 14));
        let Some(workshop) = self.workshop(rng, &mut course, start, never) else {
            course.end_after_last(rng, decided, (14, 30));
            return course;
        };
        let target = match intent {
            Closure::Disengaged => (hours * rng.gen::<f64>() * 0.6).floor(),
            Closure::Withdrawn => (hours * rng.gen::<f64>() * 0.4).floor(),
            _ => hours,
        };
        let Some(slots) = self.slots else {
            return course;
        };
        let group = random::between(rng, 0, slots.groups() as i64 - 1) as usize;
        let mut done = 0.0;
        for &(date, session) in slots.after(group, workshop) {
            if done >= target || course.appointments.len() >= 40 {
                break;
            }
            // Not booked every week.
            if random::chance(rng, 0.2) {
                continue;
            }
            if course.book(rng, date, At::Shared(session), 0.13) == AttendanceStatus::Attended {
                let credited = (hours - done).min(2.0);
                done += credited;
                if let Some(last) = course.appointments.last_mut() {
                    last.hours = Some(credited);
                }
            }
        }
        if done >= target {
            course.end_after_last(rng, decided, (0, 7));
        }
        course
    }

    fn workshop_only(&self, rng: &mut DemoRng, decided: NaiveDate, intent: Closure) -> Course {
        let mut course = Course::default();
        let start = decided + Duration::days(random::between(rng, 1, 21));
        match intent {
            Closure::Completed => {
                if self.workshop(rng, &mut course, start, false).is_some() {
                    course.end_after_last(rng, decided, (0, 3));
                }
            }
            Closure::Disengaged => {
                let tries = random::between(rng, 1, 2) as usize;
                let _ = self.workshop(rng, &mut course, start, true);
                course.appointments.truncate(tries);
                course.end_after_last(rng, decided, (14, 30));
            }
            _ => course.end_after_last(rng, decided, (3, 30)),
        }
        course
    }

    /// `n` one-to-one appointments about `every` days apart; dropping out cuts the course
    /// short.
    fn weekly(
        &self,
        rng: &mut DemoRng,
        decided: NaiveDate,
        intent: Closure,
        (n, every): (i64, i64),
        minutes: i32,
    ) -> Course {
        let mut course = Course::default();
        let n = match intent {
            Closure::Withdrawn => random::between(rng, 1, (n / 2).max(1)),
            Closure::Disengaged => random::between(rng, 0, n / 2),
            _ => n,
        };
        let mut date = decided + Duration::days(random::between(rng, 3, 21));
        let (dna, extra_dna) = if intent == Closure::Disengaged {
            (0.3, 3)
        } else {
            (0.14, 0)
        };
        for _ in 0..n + extra_dna {
            let at = At::Own {
                kind: SessionKind::OneToOne,
                minutes,
            };
            let dna = if course.appointments.len() as i64 >= n {
                1.0
            } else {
                dna
            };
            course.book(rng, date, at, dna);
            let jitter = (every / 3).max(1);
            date += Duration::days((every + random::between(rng, -jitter, jitter)).max(1));
        }
        course.end_after_last(rng, decided, (0, 14));
        course
    }

    /// A few evenings at the programme's scheduled outreach sessions.
    fn outreach(&self, rng: &mut DemoRng, decided: NaiveDate, intent: Closure) -> Course {
        let mut course = Course::default();
        let Some(slots) = self.slots else {
            return course;
        };
        let wanted = match intent {
            Closure::Withdrawn => random::between(rng, 0, 2),
            Closure::Disengaged => random::between(rng, 1, 3),
            _ => random::between(rng, 3, 15),
        } as usize;
        let group = random::between(rng, 0, slots.groups() as i64 - 1) as usize;
        for &(date, session) in slots.after(group, decided) {
            if course.appointments.len() >= wanted {
                break;
            }
            if random::chance(rng, 0.5) {
                course.book(rng, date, At::Shared(session), 0.1);
            }
        }
        if course.appointments.len() >= wanted {
            course.end_after_last(rng, decided, (0, 14));
        }
        course
    }

    /// Sessions of the referral's own appointments, and its attendance lines.
    fn attendance(
        &self,
        ids: &mut Ids,
        referral: ReferralId,
        course: &Course,
        district: Option<String>,
        rows: &mut Rows,
    ) {
        for a in &course.appointments {
            let session = match a.at {
                At::Shared(id) => id,
                At::Own { kind, minutes } => {
                    let id = ids.session();
                    rows.sessions.push(Session {
                        id,
                        organisation_id: self.organisation,
                        fields: SessionFields {
                            reference: Some(format!("{}-S{:08}", self.spec.code, id.0)),
                            programme_id: self.programme,
                            date: a.date,
                            kind,
                            duration_minutes: Some(minutes),
                            headcount: 0,
                            district: district.clone(),
                            venue: Some(self.venue().to_string()),
                        },
                    });
                    id
                }
            };
            rows.attendance.push(AttendanceFields {
                session_id: session,
                referral_id: referral,
                programme_id: self.programme,
                session_date: a.date,
                status: a.status,
                hours: a.hours,
            });
        }
    }

    /// Baseline at the first attended appointment, a review midway through long courses,
    /// and an exit at closure (nearly always for completions, sometimes otherwise).
    fn outcomes(
        &self,
        rng: &mut DemoRng,
        referral: ReferralId,
        course: &Course,
        state: &ReferralState,
        rows: &mut Rows,
    ) {
        let attended: Vec<NaiveDate> = course
            .appointments
            .iter()
            .filter(|a| a.status == AttendanceStatus::Attended)
            .map(|a| a.date)
            .collect();
        let Some(&first) = attended.first() else {
            return;
        };
        let exit_on = match (state.closure, state.closed_on) {
            (Closure::Completed, Some(on)) if random::chance(rng, 0.95) => Some((on, 1.0)),
            (Closure::Withdrawn | Closure::Disengaged, Some(on)) if random::chance(rng, 0.25) => {
                Some((on, 0.3))
            }
            _ => None,
        };
        for (measure_id, def, movement) in &self.measures {
            let baseline = baseline(rng, *movement, def);
            let mut record = |timepoint, recorded_on, value| {
                rows.outcomes.push(OutcomeFields {
                    referral_id: referral,
                    measure_id: *measure_id,
                    timepoint,
                    recorded_on,
                    value,
                })
            };
            record(Timepoint::Baseline, first, baseline);
            if attended.len() >= 8 {
                let value = later(rng, *movement, def, baseline, 0.5);
                record(Timepoint::Review, attended[attended.len() / 2], value);
            }
            if let Some((on, progress)) = exit_on {
                let value = later(rng, *movement, def, baseline, progress);
                record(Timepoint::Exit, on, value);
            }
        }
    }
}

fn baseline(rng: &mut DemoRng, movement: Movement, def: &MeasureDef) -> f64 {
    match movement {
        Movement::Scale { mean, sd, .. } => {
            random::normal(rng, mean, sd).round().clamp(def.1, def.2)
        }
        Movement::Binary { before, .. } => f64::from(u8::from(random::chance(rng, before))),
    }
}

/// A later value, `progress` of the way from the baseline mix to the exit mix.
fn later(
    rng: &mut DemoRng,
    movement: Movement,
    def: &MeasureDef,
    baseline: f64,
    progress: f64,
) -> f64 {
    match movement {
        Movement::Scale { change, .. } => (baseline + random::normal(rng, change * progress, 0.8))
            .round()
            .clamp(def.1, def.2),
        Movement::Binary { before, after } => {
            // Most who were "yes" stay "yes"; enough "no"s turn to "yes" for the mix to
            // move from `before` to the target share.
            let target = before + (after - before) * progress;
            let p = if baseline >= 1.0 {
                0.9
            } else {
                ((target - 0.9 * before) / (1.0 - before)).clamp(0.0, 1.0)
            };
            f64::from(u8::from(random::chance(rng, p)))
        }
    }
}
