-- Correcting the record (issue 14; docs/casework.md): a voided casework record is kept,
-- marked with who voided it, when and why, and left out of every list, export and figure.
-- A merged participant points at the participant it was merged into.
ALTER TABLE participants ADD COLUMN voided_at TEXT;
ALTER TABLE participants ADD COLUMN voided_by INTEGER;
ALTER TABLE participants ADD COLUMN voided_reason TEXT;
ALTER TABLE referrals ADD COLUMN voided_at TEXT;
ALTER TABLE referrals ADD COLUMN voided_by INTEGER;
ALTER TABLE referrals ADD COLUMN voided_reason TEXT;
ALTER TABLE sessions ADD COLUMN voided_at TEXT;
ALTER TABLE sessions ADD COLUMN voided_by INTEGER;
ALTER TABLE sessions ADD COLUMN voided_reason TEXT;
ALTER TABLE outcome_records ADD COLUMN voided_at TEXT;
ALTER TABLE outcome_records ADD COLUMN voided_by INTEGER;
ALTER TABLE outcome_records ADD COLUMN voided_reason TEXT;
ALTER TABLE group_surveys ADD COLUMN voided_at TEXT;
ALTER TABLE group_surveys ADD COLUMN voided_by INTEGER;
ALTER TABLE group_surveys ADD COLUMN voided_reason TEXT;
ALTER TABLE participants ADD COLUMN merged_into INTEGER;
