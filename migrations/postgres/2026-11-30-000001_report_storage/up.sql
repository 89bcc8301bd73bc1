-- Storage for reports over years of data (issue 7; docs/performance.md): a report reads
-- a programme-year's attendance, each referral's first attended date and the cohort's
-- offences from indexes alone, instead of looking up rows at random places.
--
-- attendance.session_date is its session's date, kept equal to it by the database: the
-- foreign key to sessions (id, programme_id, date) refuses any other date, and a change
-- to a session's date cascades to its attendance.

ALTER TABLE sessions ADD CONSTRAINT sessions_id_programme_id_date_key UNIQUE (id, programme_id, date);

ALTER TABLE attendance ADD COLUMN session_date DATE;
UPDATE attendance a SET session_date = s.date FROM sessions s WHERE s.id = a.session_id;
ALTER TABLE attendance ALTER COLUMN session_date SET NOT NULL;
ALTER TABLE attendance DROP CONSTRAINT attendance_session_id_programme_id_fkey;
ALTER TABLE attendance ADD CONSTRAINT attendance_session_id_programme_id_session_date_fkey
    FOREIGN KEY (session_id, programme_id, session_date)
    REFERENCES sessions (id, programme_id, date) ON UPDATE CASCADE;

-- A referral's attendance (the register of a referral, and its first attended date).
DROP INDEX attendance_referral_idx;
CREATE INDEX attendance_referral_idx ON attendance (referral_id, status, session_date);
-- A programme's attendance in a period, with everything a report reads.
CREATE INDEX attendance_programme_date_idx ON attendance (programme_id, session_date)
    INCLUDE (referral_id, session_id, status, hours);

-- A programme's sessions in a period, and the outcome records of referrals, with
-- everything a report reads.
DROP INDEX sessions_programme_date_idx;
CREATE INDEX sessions_programme_date_idx ON sessions (programme_id, date) INCLUDE (headcount);
CREATE INDEX outcome_records_referral_idx ON outcome_records (referral_id)
    INCLUDE (id, measure_id, timepoint, recorded_on, value);

-- A cohort's offences, with everything a report reads.
DROP INDEX offence_records_person_date_idx;
CREATE INDEX offence_records_person_date_idx ON offence_records (person_key, offence_date)
    INCLUDE (offence_group, proven_on);
