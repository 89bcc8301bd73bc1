ALTER TABLE offence_records DROP COLUMN gender;
ALTER TABLE offence_records DROP COLUMN birth_month;
ALTER TABLE offence_records_previous DROP COLUMN gender;
ALTER TABLE offence_records_previous DROP COLUMN birth_month;
