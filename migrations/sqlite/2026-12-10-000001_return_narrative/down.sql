DROP INDEX quarterly_returns_status_idx;
DELETE FROM quarterly_returns WHERE status = 'withdrawn';
CREATE TABLE quarterly_returns_old (
    id INTEGER PRIMARY KEY,
    programme_id INTEGER NOT NULL REFERENCES programmes (id),
    quarter TEXT NOT NULL CHECK (length(quarter) = 10),
    status TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'returned', 'unlocked')),
    comment TEXT NOT NULL DEFAULT '',
    submitted_by INTEGER REFERENCES users (id),
    submitted_at TEXT,
    decided_by INTEGER REFERENCES users (id),
    decided_at TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (programme_id, quarter)
) STRICT;
INSERT INTO quarterly_returns_old SELECT id, programme_id, quarter, status, comment,
    submitted_by, submitted_at, decided_by, decided_at, updated_at FROM quarterly_returns;
DROP TABLE quarterly_returns;
ALTER TABLE quarterly_returns_old RENAME TO quarterly_returns;
