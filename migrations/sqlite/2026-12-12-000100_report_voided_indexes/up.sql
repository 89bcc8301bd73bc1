-- A report reads a programme-year from indexes alone (docs/performance.md, "Issue 20:
-- the national demo's slowest programme"). Two reads still went to the tables:
--
-- * the period's sessions need their venue and whether they are voided, which the index
--   on (programme_id, date, headcount) did not hold: one table row per session;
-- * voided sessions and referrals are "few, looked up once", but found by reading every
--   session and referral of the programme to test voided_at: at national scale, the
--   IOM Fixed Cohort's 9.3 million sessions for a handful of voided ones (20 s).
--
-- Now the sessions index holds what the report reads, voided records have partial
-- indexes of their own (as small as the voided records are few), and the outcome
-- records' index holds voided_at too.
DROP INDEX sessions_programme_date_idx;
CREATE INDEX sessions_programme_date_idx
    ON sessions (programme_id, date, headcount, voided_at, venue);
CREATE INDEX sessions_voided_idx ON sessions (programme_id) WHERE voided_at IS NOT NULL;
CREATE INDEX referrals_voided_idx ON referrals (programme_id) WHERE voided_at IS NOT NULL;
DROP INDEX outcome_records_referral_idx;
CREATE INDEX outcome_records_referral_idx
    ON outcome_records (referral_id, measure_id, timepoint, recorded_on, value, voided_at);
