//! The demo's police offence extract: the offending histories of referred people (offences
//! before referral, the index offence of Immediate Justice, proven reoffending at the
//! programme's rate, unproven offences) and of people in no programme, who make up most
//! of a real extract. Identifiers are synthetic (`DEMO…` for participants, `DEMN…` for
//! the rest), keyed with the service's HMAC secret and never stored.

use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;

use super::catalogue::{Offending, ALL_GROUPS};
use super::random::{self, DemoRng, Stream};
use super::rows::{commit, Rows};
use super::{DemoCounts, DemoError, Progress, World};
use crate::db::DbConn;
use crate::domain::enums::{Closure, Decision, Gender};
use crate::store::offences::NewOffence;

/// Share of offences that end in a charge, caution or other positive outcome.
const PROVEN: f64 = 0.8;

/// One referred person's offences, as a police extract as of `as_of` would show them.
pub(super) struct Person<'a> {
    pub key: &'a str,
    pub referred_on: NaiveDate,
    pub decision: Decision,
    pub closure: Closure,
    /// As the police know them: month of birth (its 1st) and gender.
    pub birth_month: Option<NaiveDate>,
    pub gender: Option<Gender>,
}

pub(super) fn history(
    rng: &mut DemoRng,
    offending: &Offending,
    person: &Person,
    as_of: NaiveDate,
    out: &mut Vec<NewOffence>,
) {
    let day = |d: i64| person.referred_on + Duration::days(d);
    let mut add = |rng: &mut DemoRng, on: NaiveDate, proven: Option<NaiveDate>| {
        if on <= as_of {
            out.push(NewOffence {
                person_key: person.key.to_string(),
                offence_date: on,
                offence_group: random::pick(rng, offending.groups),
                // Not yet proven when the extract was taken.
                proven_on: proven.filter(|p| *p <= as_of),
                birth_month: person.birth_month,
                gender: person.gender,
            });
        }
    };
    for _ in 0..random::poisson(rng, offending.prior_mean) {
        let on = day(-random::between(rng, 1, offending.prior_days));
        let proven = proven_after(rng, on, PROVEN + 0.05);
        add(rng, on, proven);
    }
    if offending.index_offence {
        // The police decision that makes the referral is the proving event.
        let back = if random::chance(rng, 0.5) {
            0
        } else {
            random::between(rng, 1, 10)
        };
        add(rng, day(-back), Some(person.referred_on));
    }
    if random::chance(rng, offending.reoffend * engagement_factor(person)) {
        // Earlier in the year is likelier: u^1.3 bunches the first reoffence early.
        let mut on = day(1 + (364.0 * rng.gen::<f64>().powf(1.3)) as i64);
        let proven = Some(on + Duration::days(random::days_to_proven(rng)));
        add(rng, on, proven);
        let mut extra = 0;
        while extra < 8 && random::chance(rng, 0.45) {
            on += Duration::days(random::between(rng, 1, 120));
            let proven = proven_after(rng, on, 0.75);
            add(rng, on, proven);
            extra += 1;
        }
    } else if random::chance(rng, 0.15) {
        // Arrested or reported, never proven.
        let on = day(random::between(rng, 1, 365));
        add(rng, on, None);
    }
    if random::chance(rng, 0.2) {
        let on = day(random::between(rng, 366, 900));
        let proven = proven_after(rng, on, PROVEN);
        add(rng, on, proven);
    }
}

/// Completing a programme goes with less reoffending, disengaging with more.
fn engagement_factor(person: &Person) -> f64 {
    match (person.decision, person.closure) {
        (Decision::Accepted, Closure::Completed) => 0.8,
        (Decision::Accepted, Closure::Disengaged) => 1.4,
        _ => 1.1,
    }
}

fn proven_after(rng: &mut DemoRng, on: NaiveDate, share: f64) -> Option<NaiveDate> {
    random::chance(rng, share).then(|| on + Duration::days(random::days_to_proven(rng)))
}

/// People per chunk of the noise.
const NOISE_CHUNK: u64 = 20_000;

/// Offences of `total / 2.5` people who are in no programme, over the demo window and the
/// two years before it.
pub(super) fn create_noise(
    conn: &mut DbConn,
    world: &World,
    total: u64,
    counts: &mut DemoCounts,
    progress: &mut dyn Progress,
) -> Result<(), DemoError> {
    let people = (total as f64 / 2.5) as u64;
    progress.phase("police extract", people);
    let from = world.window_start - Duration::days(730);
    let mut rows = Rows::default();
    for chunk in 0..people.div_ceil(NOISE_CHUNK) {
        let mut rng = random::stream(world.seed, Stream::Noise, chunk);
        let range = chunk * NOISE_CHUNK..((chunk + 1) * NOISE_CHUNK).min(people);
        let n = range.end - range.start;
        let mut attributes = random::stream(world.seed, Stream::NoiseAttributes, chunk);
        for person in range {
            let key =
                crate::domain::person_key::person_key(&world.secret, &format!("DEMN{person:09}"))
                    .map_err(|e| DemoError::Generator(e.to_string()))?;
            // Ages 10 to 39 at the end of the window, as a police extract of young people
            // and adults would hold them; a few without a recorded gender.
            let birth_month = NaiveDate::from_ymd_opt(
                world.as_of.year() - random::between(&mut attributes, 10, 39) as i32,
                random::between(&mut attributes, 1, 12) as u32,
                1,
            );
            let gender = random::pick(
                &mut attributes,
                &[
                    (Some(Gender::Male), 0.7),
                    (Some(Gender::Female), 0.27),
                    (Some(Gender::NotKnown), 0.02),
                    (None, 0.01),
                ],
            );
            for _ in 0..1 + random::poisson(&mut rng, 1.5) {
                let on = random::date_between(&mut rng, from, world.as_of);
                rows.offences.push(NewOffence {
                    person_key: key.as_str().to_string(),
                    offence_date: on,
                    offence_group: random::pick(&mut rng, ALL_GROUPS),
                    proven_on: proven_after(&mut rng, on, PROVEN).filter(|p| *p <= world.as_of),
                    birth_month,
                    gender,
                });
            }
        }
        commit(conn, &mut rows, world.offence_batch, counts)?;
        progress.advance(n);
    }
    Ok(())
}
