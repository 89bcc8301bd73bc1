-- The matched comparison (issue "Compared with what?"): an offence extract may carry the
-- month of birth (stored as its 1st day; never the day) and gender of each person.
-- The previous extract's table gets the same columns, so that it can still be restored;
-- it is made empty if there is none (a restore is refused then: no batch is restorable).
ALTER TABLE offence_records ADD COLUMN birth_month TEXT;
ALTER TABLE offence_records ADD COLUMN gender TEXT CHECK (gender IS NULL OR gender IN ('female', 'male', 'other', 'not_known'));
CREATE TABLE IF NOT EXISTS offence_records_previous (
    id INTEGER NOT NULL PRIMARY KEY,
    import_batch_id INTEGER NOT NULL REFERENCES import_batches (id),
    person_key TEXT NOT NULL,
    offence_date TEXT NOT NULL,
    offence_group TEXT NOT NULL,
    proven_on TEXT
) STRICT;
ALTER TABLE offence_records_previous ADD COLUMN birth_month TEXT;
ALTER TABLE offence_records_previous ADD COLUMN gender TEXT;
