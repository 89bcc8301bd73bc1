-- A report reads a programme-year from indexes alone (docs/performance.md, "Issue 20:
-- the national demo's slowest programme"); see the SQLite migration of the same name.
DROP INDEX sessions_programme_date_idx;
CREATE INDEX sessions_programme_date_idx ON sessions (programme_id, date)
    INCLUDE (headcount, voided_at, venue);
CREATE INDEX sessions_voided_idx ON sessions (programme_id) WHERE voided_at IS NOT NULL;
CREATE INDEX referrals_voided_idx ON referrals (programme_id) WHERE voided_at IS NOT NULL;
DROP INDEX outcome_records_referral_idx;
CREATE INDEX outcome_records_referral_idx ON outcome_records (referral_id)
    INCLUDE (id, measure_id, timepoint, recorded_on, value, voided_at);
