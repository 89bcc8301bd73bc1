//! Benchmark of the reoffending computation over 1,000,000 synthetic cohort members.
//!
//! The data come from a small deterministic generator (a linear congruential generator
//! with a fixed seed), so every run measures the same work. Beside the engine, the same
//! run times two baselines: sorting a copy of the referral rows by cohort key, and one
//! offence lookup per member (the least any cohort computation has to do). The ratios
//! engine / baseline are printed first, so a slowdown shows up as a change in numbers that
//! depend little on the machine.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use criterion::Criterion;
use outcomes::domain::enums::{Closure, Decision, OffenceGroup, ReferralSource};
use outcomes::evaluation::cost::CostTables;
use outcomes::evaluation::reoffending::{reoffending, IndexDate, ReoffendingParams};
use outcomes::evaluation::rows::{OffenceRow, ReferralRow};
use outcomes::evaluation::DateRange;

const MEMBERS: usize = 1_000_000;

/// A fixed-seed linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn date(start: NaiveDate, days: u64) -> NaiveDate {
    start.checked_add_days(Days::new(days)).unwrap_or(start)
}

/// One referral per member in 2024-25 (5% without a person key, 80% accepted, 60% of
/// those completed), and 0 to 4 offences for 40% of members between two years before and
/// two years after the year.
fn generate() -> (Vec<ReferralRow>, HashMap<String, Vec<OffenceRow>>) {
    let mut rng = Lcg(20_251_122);
    let year_start = NaiveDate::from_ymd_opt(2024, 4, 1).unwrap_or_default();
    let history_start = NaiveDate::from_ymd_opt(2022, 4, 1).unwrap_or_default();
    let mut referrals = Vec::with_capacity(MEMBERS);
    let mut offences: HashMap<String, Vec<OffenceRow>> = HashMap::with_capacity(MEMBERS / 2);
    for i in 0..MEMBERS as i64 {
        let referred_on = date(year_start, rng.below(365));
        let key = (rng.below(20) != 0).then(|| format!("pk{i:08}"));
        let accepted = rng.below(5) != 0;
        let completed = accepted && rng.below(5) < 3;
        referrals.push(ReferralRow {
            referral_id: i,
            participant_id: i,
            programme_id: 1,
            referred_on,
            source: ReferralSource::Police,
            decision: if accepted {
                Decision::Accepted
            } else {
                Decision::Declined
            },
            decided_on: None,
            closure: accepted.then_some(if completed {
                Closure::Completed
            } else {
                Closure::Open
            }),
            closed_on: completed.then(|| date(referred_on, 60)),
            required_hours: None,
            first_attended_on: accepted.then(|| date(referred_on, 7)),
            person_key: key.clone(),
            not_linked: None,
            date_of_birth: None,
            gender: None,
            ethnicity: None,
            district: None,
        });
        if let Some(key) = key {
            if rng.below(10) < 4 {
                let rows = (0..1 + rng.below(4))
                    .map(|_| {
                        let offence_date = date(history_start, rng.below(365 * 5));
                        let group = OffenceGroup::ALL[rng.below(18) as usize];
                        let proven_on =
                            (rng.below(4) != 0).then(|| date(offence_date, rng.below(300)));
                        OffenceRow {
                            person_key: key.clone(),
                            offence_date,
                            offence_group: group,
                            proven_on,
                        }
                    })
                    .collect();
                offences.insert(key, rows);
            }
        }
    }
    (referrals, offences)
}

fn median_time(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn main() {
    let (referrals, offences) = generate();
    let period = DateRange::new(
        NaiveDate::from_ymd_opt(2024, 4, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(2025, 3, 31).unwrap_or_default(),
    )
    .expect("a forward period");
    let as_of = NaiveDate::from_ymd_opt(2026, 10, 31);
    let params = ReoffendingParams::new(12, 6, IndexDate::Referral, as_of).expect("valid");
    let costs = CostTables::embedded()
        .and_then(|t| t.at_price_year("2024-25"))
        .expect("embedded cost tables");

    let engine = || {
        let (section, members) = reoffending(period, &referrals, &params, &offences, Some(&costs));
        black_box((section, members.len()));
    };
    let baseline = || {
        let mut copy: Vec<&ReferralRow> = referrals.iter().collect();
        copy.sort_unstable_by_key(|r| {
            (
                r.participant_id,
                r.programme_id,
                r.referred_on,
                r.referral_id,
            )
        });
        black_box(copy.len());
    };

    // The least work that touches every member's offences: one lookup per member.
    let lookups = || {
        let found: usize = referrals
            .iter()
            .filter_map(|r| r.person_key.as_deref())
            .map(|k| offences.get(k).map_or(0, Vec::len))
            .sum();
        black_box(found);
    };

    let engine_time = median_time(5, engine);
    let sort_time = median_time(5, baseline);
    let lookup_time = median_time(5, lookups);
    println!(
        "reoffending over {MEMBERS} members: {engine_time:?}\n\
         baseline sort by cohort key: {sort_time:?} (ratio {:.1})\n\
         baseline one offence lookup per member: {lookup_time:?} (ratio {:.1})",
        engine_time.as_secs_f64() / sort_time.as_secs_f64(),
        engine_time.as_secs_f64() / lookup_time.as_secs_f64()
    );

    let mut c = Criterion::default().configure_from_args().sample_size(10);
    c.bench_function("reoffending_1m_members", |b| b.iter(engine));
    c.bench_function("baseline_sort_1m_referrals", |b| b.iter(baseline));
    c.bench_function("baseline_lookup_1m_members", |b| b.iter(lookups));
    c.final_summary();
}
