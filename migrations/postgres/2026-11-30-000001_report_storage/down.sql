DROP INDEX offence_records_person_date_idx;
CREATE INDEX offence_records_person_date_idx ON offence_records (person_key, offence_date);
DROP INDEX outcome_records_referral_idx;
DROP INDEX sessions_programme_date_idx;
CREATE INDEX sessions_programme_date_idx ON sessions (programme_id, date);

DROP INDEX attendance_programme_date_idx;
DROP INDEX attendance_referral_idx;
CREATE INDEX attendance_referral_idx ON attendance (referral_id);
ALTER TABLE attendance DROP CONSTRAINT attendance_session_id_programme_id_session_date_fkey;
ALTER TABLE attendance ADD CONSTRAINT attendance_session_id_programme_id_fkey
    FOREIGN KEY (session_id, programme_id) REFERENCES sessions (id, programme_id);
ALTER TABLE attendance DROP COLUMN session_date;

ALTER TABLE sessions DROP CONSTRAINT sessions_id_programme_id_date_key;
