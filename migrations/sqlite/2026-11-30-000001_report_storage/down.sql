DROP INDEX offence_records_person_date_idx;
CREATE INDEX offence_records_person_date_idx ON offence_records (person_key, offence_date);
DROP INDEX outcome_records_referral_idx;
DROP INDEX sessions_programme_date_idx;
CREATE INDEX sessions_programme_date_idx ON sessions (programme_id, date);

CREATE TABLE attendance_old (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL,
    referral_id INTEGER NOT NULL,
    programme_id INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('attended', 'did_not_attend', 'cancelled')),
    hours REAL CHECK (hours >= 0),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (session_id, referral_id),
    FOREIGN KEY (session_id, programme_id) REFERENCES sessions (id, programme_id),
    FOREIGN KEY (referral_id, programme_id) REFERENCES referrals (id, programme_id),
    CHECK (status = 'attended' OR hours IS NULL OR hours = 0)
) STRICT;
INSERT INTO attendance_old
    (id, session_id, referral_id, programme_id, status, hours, created_at, updated_at)
SELECT id, session_id, referral_id, programme_id, status, hours, created_at, updated_at
FROM attendance;
DROP TABLE attendance;
ALTER TABLE attendance_old RENAME TO attendance;
CREATE INDEX attendance_referral_idx ON attendance (referral_id);

DROP INDEX sessions_id_programme_date_key;
