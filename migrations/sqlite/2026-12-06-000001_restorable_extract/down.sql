DROP TABLE IF EXISTS offence_records_previous;
ALTER TABLE import_batches DROP COLUMN restorable;
