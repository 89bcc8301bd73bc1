-- Uploads that fit Excel users (issue 17; docs/data-formats.md, "Preview, confirm and undo").
-- What each import batch did to each record, so that the batch can be undone exactly:
-- the record's fields before (NULL when the batch added it) and after (NULL when the batch
-- removed it, as an attendance mark), as JSON in the store's field names.
CREATE TABLE import_changes (
    id INTEGER PRIMARY KEY,
    import_batch_id INTEGER NOT NULL REFERENCES import_batches (id),
    entity TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    old_fields TEXT,
    new_fields TEXT,
    CHECK (old_fields IS NOT NULL OR new_fields IS NOT NULL)
) STRICT;
CREATE INDEX import_changes_batch_idx ON import_changes (import_batch_id);
-- An undone batch: who undid it and when (the batch stays in the history as "reverted").
ALTER TABLE import_batches ADD COLUMN reverted_at TEXT;
ALTER TABLE import_batches ADD COLUMN reverted_by INTEGER REFERENCES users (id);
-- Uploads refused for errors, with their error report (as JSON), for the upload history.
CREATE TABLE failed_uploads (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER REFERENCES organisations (id),
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    error_count INTEGER NOT NULL CHECK (error_count >= 0),
    errors TEXT NOT NULL,
    created_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX failed_uploads_org_idx ON failed_uploads (organisation_id, created_at);
-- A file previewed on the upload page and held until it is confirmed (or expires), tied
-- to the sign-in session that uploaded it. `id_hash` is the SHA-256 of the random id the
-- preview form posts back (the id itself is never stored).
CREATE TABLE pending_uploads (
    id INTEGER PRIMARY KEY,
    id_hash TEXT NOT NULL UNIQUE,
    login_session_id INTEGER NOT NULL REFERENCES login_sessions (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    organisation_id INTEGER REFERENCES organisations (id),
    content BLOB NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;
CREATE INDEX pending_uploads_session_idx ON pending_uploads (login_session_id);
