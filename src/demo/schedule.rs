//! Sessions a programme runs on a calendar, whoever comes: Immediate Justice reparation
//! groups on Saturdays, youth bus and night-time outreach evenings with anonymous
//! headcounts, and "I Can, I Will" school workshops with their pre/post group surveys.
//! Named referrals later attend the reparation and outreach sessions, so their dates and
//! ids are kept (a few hundred thousand at the national scale); workshops are written and
//! forgotten.

use chrono::{Datelike, Duration, NaiveDate};

use super::catalogue::{self, Plan, ProgrammeSpec, Schedule, PROGRAMMES};
use super::random::{self, DemoRng, Stream};
use super::rows::{commit, Ids, Rows};
use super::{DemoCounts, DemoError, Progress, World};
use crate::db::DbConn;
use crate::domain::enums::Timepoint;
use crate::domain::ids::{MeasureId, SessionId};
use crate::store::group_surveys::{GroupSurvey, GroupSurveyFields};
use crate::store::sessions::{Session, SessionFields};

/// Rows per transaction.
const FLUSH: usize = 50_000;

/// A programme's shared sessions by parallel group, each in date order.
pub(super) struct Slots {
    groups: Vec<Vec<(NaiveDate, SessionId)>>,
}

impl Slots {
    pub fn groups(&self) -> usize {
        self.groups.len()
    }

    /// The sessions of group `g` after `date`.
    pub fn after(&self, g: usize, date: NaiveDate) -> &[(NaiveDate, SessionId)] {
        let sessions = &self.groups[g % self.groups.len()];
        let start = sessions.partition_point(|(d, _)| *d <= date);
        &sessions[start..]
    }
}

/// Creates every programme's scheduled sessions; the result is aligned with `PROGRAMMES`.
pub(super) fn create_all(
    conn: &mut DbConn,
    world: &World,
    ids: &mut Ids,
    counts: &mut DemoCounts,
    progress: &mut dyn Progress,
) -> Result<Vec<Option<Slots>>, DemoError> {
    let days = (world.as_of - world.window_start).num_days().max(0) as u64;
    let scheduled = PROGRAMMES.iter().filter(|p| p.schedule.is_some()).count() as u64;
    progress.phase("scheduled sessions", days * scheduled);
    let mut out = Vec::new();
    for (index, spec) in PROGRAMMES.iter().enumerate() {
        out.push(match spec.schedule {
            Some(schedule) => {
                let mut run = Run::new(world, index, spec, schedule);
                Some(run.create(conn, ids, counts, progress)?)
            }
            None => None,
        });
    }
    Ok(out)
}

struct Run<'a> {
    world: &'a World,
    index: usize,
    spec: &'static ProgrammeSpec,
    schedule: Schedule,
    rng: DemoRng,
    /// Per school, its district (workshops only).
    schools: Vec<&'static str>,
}

impl<'a> Run<'a> {
    fn new(
        world: &'a World,
        index: usize,
        spec: &'static ProgrammeSpec,
        schedule: Schedule,
    ) -> Self {
        let mut rng = random::stream(world.seed, Stream::Schedule, index as u64);
        // 37 schools at the small scale (seed 000, 4.3).
        let schools = match spec.plan {
            Plan::Schools => (0..world.scaled(37.0))
                .map(|_| random::pick(&mut rng, catalogue::DISTRICTS))
                .collect(),
            _ => Vec::new(),
        };
        Run {
            world,
            index,
            spec,
            schedule,
            rng,
            schools,
        }
    }

    fn create(
        &mut self,
        conn: &mut DbConn,
        ids: &mut Ids,
        counts: &mut DemoCounts,
        progress: &mut dyn Progress,
    ) -> Result<Slots, DemoError> {
        let per_day = self.schedule.groups * self.world.multiplier;
        let named = (per_day.ceil() as usize).max(1);
        let mut slots = Slots {
            groups: vec![Vec::new(); named],
        };
        let mut rows = Rows::default();
        let first = self.world.first_day(self.spec);
        let mut day = self.world.window_start;
        while day <= self.world.as_of {
            if day >= first && self.runs_on(day) {
                let n = per_day.floor() as usize
                    + usize::from(random::chance(&mut self.rng, per_day.fract()));
                for g in 0..n {
                    let id = self.session(ids, day, g, &mut rows);
                    if self.spec.plan != Plan::Schools {
                        slots.groups[g % named].push((day, id));
                    }
                }
            }
            if rows.len() >= FLUSH {
                commit(conn, &mut rows, self.world.offence_batch, counts)?;
            }
            progress.advance(1);
            day += Duration::days(1);
        }
        commit(conn, &mut rows, self.world.offence_batch, counts)?;
        Ok(slots)
    }

    fn runs_on(&self, day: NaiveDate) -> bool {
        let weekday = day.weekday().num_days_from_monday();
        // Schools are closed in August.
        let term = self.spec.plan != Plan::Schools || day.month() != 8;
        term && self.schedule.weekdays.contains(&weekday)
    }

    fn session(
        &mut self,
        ids: &mut Ids,
        day: NaiveDate,
        group: usize,
        rows: &mut Rows,
    ) -> SessionId {
        let id = ids.session();
        let (district, venue) = if self.schools.is_empty() {
            let venues = self.schedule.venues;
            let (d, v) = venues[group % venues.len()];
            (d.to_string(), v.to_string())
        } else {
            let school = random::between(&mut self.rng, 0, self.schools.len() as i64 - 1) as usize;
            (
                self.schools[school].to_string(),
                format!("School {:03}", school + 1),
            )
        };
        let (mean, sd) = self.schedule.headcount;
        let headcount = if mean > 0.0 {
            random::normal(&mut self.rng, mean, sd)
                .round()
                .clamp(3.0, mean * 2.5) as i32
        } else {
            0
        };
        let organisation = self.world.organisations[self.spec.organisation];
        let programme_id = self.world.programmes[self.index];
        rows.sessions.push(Session {
            id,
            organisation_id: organisation,
            fields: SessionFields {
                reference: Some(format!("{}-S{:08}", self.spec.code, id.0)),
                programme_id,
                date: day,
                kind: self.schedule.kind,
                duration_minutes: Some(self.schedule.minutes),
                headcount,
                district: Some(district),
                venue: Some(venue),
            },
        });
        if self.spec.plan == Plan::Schools && random::chance(&mut self.rng, 0.7) {
            self.surveys(ids, id, day, headcount, rows);
        }
        id
    }

    /// Pre and post surveys of one workshop: most pupils answer, and answers move up.
    fn surveys(
        &mut self,
        ids: &mut Ids,
        session: SessionId,
        day: NaiveDate,
        headcount: i32,
        rows: &mut Rows,
    ) {
        const SURVEYS: [(catalogue::MeasureDef, [f64; 5], [f64; 5]); 2] = [
            (
                catalogue::CONFIDENT_TO_INTERVENE,
                [0.10, 0.22, 0.33, 0.25, 0.10],
                [0.03, 0.08, 0.22, 0.40, 0.27],
            ),
            (
                catalogue::KNOWS_WHO_TO_TELL,
                [0.06, 0.14, 0.30, 0.32, 0.18],
                [0.02, 0.05, 0.18, 0.40, 0.35],
            ),
        ];
        let organisation = self.world.organisations[self.spec.organisation];
        for (measure, before, after) in SURVEYS {
            let measure_id: MeasureId = self.world.measures[measure.0];
            for (timepoint, shares) in [(Timepoint::Baseline, before), (Timepoint::Exit, after)] {
                let respondents = (headcount - random::between(&mut self.rng, 0, 3) as i32).max(1);
                let mut tally = [0i32; 5];
                for _ in 0..respondents {
                    let value = random::pick(
                        &mut self.rng,
                        &[
                            (0, shares[0]),
                            (1, shares[1]),
                            (2, shares[2]),
                            (3, shares[3]),
                            (4, shares[4]),
                        ],
                    );
                    tally[value] += 1;
                }
                rows.group_surveys.push(GroupSurvey {
                    id: ids.group_survey(),
                    organisation_id: organisation,
                    fields: GroupSurveyFields {
                        programme_id: self.world.programmes[self.index],
                        session_id: Some(session),
                        measure_id,
                        timepoint,
                        recorded_on: day,
                        respondents,
                        counts: (1..=5).zip(tally).collect(),
                    },
                });
            }
        }
    }
}
