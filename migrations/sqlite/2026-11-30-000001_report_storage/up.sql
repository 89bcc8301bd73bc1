-- Storage for reports over years of data (issue 7; docs/performance.md): a report reads
-- a programme-year's attendance, each referral's first attended date and the cohort's
-- offences from indexes alone, instead of looking up rows at random places in the file.
--
-- attendance.session_date is its session's date, kept equal to it by the database: the
-- foreign key to sessions (id, programme_id, date) refuses any other date, and a change
-- to a session's date cascades to its attendance.

CREATE UNIQUE INDEX sessions_id_programme_date_key ON sessions (id, programme_id, date);

-- SQLite cannot change a table's foreign keys in place: the table is rebuilt.
CREATE TABLE attendance_new (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL,
    referral_id INTEGER NOT NULL,
    programme_id INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('attended', 'did_not_attend', 'cancelled')),
    hours REAL CHECK (hours >= 0),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    session_date TEXT NOT NULL,
    UNIQUE (session_id, referral_id),
    FOREIGN KEY (session_id, programme_id, session_date)
        REFERENCES sessions (id, programme_id, date) ON UPDATE CASCADE,
    FOREIGN KEY (referral_id, programme_id) REFERENCES referrals (id, programme_id),
    CHECK (status = 'attended' OR hours IS NULL OR hours = 0)
) STRICT;
INSERT INTO attendance_new
    (id, session_id, referral_id, programme_id, status, hours, created_at, updated_at, session_date)
SELECT a.id, a.session_id, a.referral_id, a.programme_id, a.status, a.hours,
       a.created_at, a.updated_at, s.date
FROM attendance a JOIN sessions s ON s.id = a.session_id;
DROP TABLE attendance;
ALTER TABLE attendance_new RENAME TO attendance;

-- A referral's attendance (the register of a referral, and its first attended date).
CREATE INDEX attendance_referral_idx ON attendance (referral_id, status, session_date);
-- A programme's attendance in a period, with everything a report reads.
CREATE INDEX attendance_programme_date_idx
    ON attendance (programme_id, session_date, referral_id, session_id, status, hours);

-- A programme's sessions in a period, and the outcome records of referrals, with
-- everything a report reads.
DROP INDEX sessions_programme_date_idx;
CREATE INDEX sessions_programme_date_idx ON sessions (programme_id, date, headcount);
CREATE INDEX outcome_records_referral_idx
    ON outcome_records (referral_id, measure_id, timepoint, recorded_on, value);

-- A cohort's offences, with everything a report reads.
DROP INDEX offence_records_person_date_idx;
CREATE INDEX offence_records_person_date_idx
    ON offence_records (person_key, offence_date, offence_group, proven_on);
