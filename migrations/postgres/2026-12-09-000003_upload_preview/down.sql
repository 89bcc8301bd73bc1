DROP TABLE pending_uploads;
DROP TABLE failed_uploads;
ALTER TABLE import_batches DROP COLUMN reverted_by;
ALTER TABLE import_batches DROP COLUMN reverted_at;
DROP TABLE import_changes;
