DROP INDEX outcome_records_referral_idx;
CREATE INDEX outcome_records_referral_idx
    ON outcome_records (referral_id, measure_id, timepoint, recorded_on, value);
DROP INDEX referrals_voided_idx;
DROP INDEX sessions_voided_idx;
DROP INDEX sessions_programme_date_idx;
CREATE INDEX sessions_programme_date_idx ON sessions (programme_id, date, headcount);
