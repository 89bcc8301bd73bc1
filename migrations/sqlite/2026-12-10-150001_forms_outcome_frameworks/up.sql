-- Outcome frameworks (issue 15): the measures a programme records, chosen at set-up, in
-- the order its outcome form asks them. A programme with none accepts any measure (as
-- before this table existed).
CREATE TABLE programme_measures (
    programme_id INTEGER NOT NULL REFERENCES programmes (id) ON DELETE CASCADE,
    measure_id INTEGER NOT NULL REFERENCES outcome_measures (id),
    position INTEGER NOT NULL CHECK (position >= 0),
    PRIMARY KEY (programme_id, measure_id)
) STRICT;
