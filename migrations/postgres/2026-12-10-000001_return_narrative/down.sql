DROP INDEX quarterly_returns_status_idx;
DELETE FROM quarterly_returns WHERE status = 'withdrawn';
ALTER TABLE quarterly_returns DROP CONSTRAINT quarterly_returns_status_check;
ALTER TABLE quarterly_returns ADD CONSTRAINT quarterly_returns_status_check
    CHECK (status IN ('submitted', 'approved', 'returned', 'unlocked'));
ALTER TABLE quarterly_returns DROP COLUMN narrative;
