-- The previous offence extract stays restorable until the next import (issue 21): its
-- records are kept in offence_records_previous (made by the import that replaces it, by
-- renaming the old table), and its batch is marked here.
ALTER TABLE import_batches ADD COLUMN restorable INTEGER NOT NULL DEFAULT 0 CHECK (restorable IN (0, 1));
