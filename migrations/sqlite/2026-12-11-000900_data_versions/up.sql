-- Data versions for the report cache (issue 20; docs/reports.md "The report cache").
--
-- Every write that can change a report's figures bumps, in its own transaction, the
-- version of each programme it touches ('programme:ID'), or of what every report may read
-- ('extract' for the police offence extract, erasures included; 'comparisons' for the
-- imported comparison groups; 'measures' for the outcome measures). A cached report is
-- keyed by the versions of everything in its scope, read with one indexed query, so a
-- write through any instance, path or tool changes the key of every report it affects.
-- The triggers are generated (the same list for both backends): one per table and event.
-- Offence rows themselves carry none: an extract is imported, restored or erased with a
-- write to import_batches or erasures in the same transaction, and a row trigger on
-- twelve million rows would cost the import more than it saves.

CREATE TABLE data_versions (
    scope TEXT PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL
);

INSERT INTO data_versions (scope, version) SELECT 'programme:' || id, 1 FROM programmes WHERE true;
INSERT INTO data_versions (scope, version) VALUES ('extract', 1), ('comparisons', 1), ('measures', 1);

CREATE TRIGGER referrals_versions_insert AFTER INSERT ON referrals BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || NEW.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER referrals_versions_update AFTER UPDATE ON referrals BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || NEW.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || OLD.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER referrals_versions_delete AFTER DELETE ON referrals BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || OLD.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER sessions_versions_insert AFTER INSERT ON sessions BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || NEW.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER sessions_versions_update AFTER UPDATE ON sessions BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || NEW.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || OLD.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER sessions_versions_delete AFTER DELETE ON sessions BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || OLD.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER attendance_versions_insert AFTER INSERT ON attendance BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || NEW.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER attendance_versions_update AFTER UPDATE ON attendance BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || NEW.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || OLD.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER attendance_versions_delete AFTER DELETE ON attendance BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || OLD.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER group_surveys_versions_insert AFTER INSERT ON group_surveys BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || NEW.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER group_surveys_versions_update AFTER UPDATE ON group_surveys BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || NEW.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || OLD.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER group_surveys_versions_delete AFTER DELETE ON group_surveys BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || OLD.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER targets_versions_insert AFTER INSERT ON targets BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || NEW.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER targets_versions_update AFTER UPDATE ON targets BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || NEW.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || OLD.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER targets_versions_delete AFTER DELETE ON targets BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || OLD.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER allocations_versions_insert AFTER INSERT ON allocations BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || NEW.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER allocations_versions_update AFTER UPDATE ON allocations BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || NEW.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || OLD.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER allocations_versions_delete AFTER DELETE ON allocations BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || OLD.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER quarterly_returns_versions_insert AFTER INSERT ON quarterly_returns BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || NEW.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER quarterly_returns_versions_update AFTER UPDATE ON quarterly_returns BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || NEW.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || OLD.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER quarterly_returns_versions_delete AFTER DELETE ON quarterly_returns BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || OLD.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER programme_measures_versions_insert AFTER INSERT ON programme_measures BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || NEW.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER programme_measures_versions_update AFTER UPDATE ON programme_measures BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || NEW.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || OLD.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER programme_measures_versions_delete AFTER DELETE ON programme_measures BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || OLD.programme_id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER programmes_versions_insert AFTER INSERT ON programmes BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || NEW.id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER programmes_versions_update AFTER UPDATE ON programmes BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || NEW.id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || OLD.id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER programmes_versions_delete AFTER DELETE ON programmes BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || OLD.id AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER outcome_records_versions_insert AFTER INSERT ON outcome_records BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || f.programme_id AS s FROM referrals f WHERE f.id = NEW.referral_id) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER outcome_records_versions_update AFTER UPDATE ON outcome_records BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || f.programme_id AS s FROM referrals f WHERE f.id = NEW.referral_id) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || f.programme_id AS s FROM referrals f WHERE f.id = OLD.referral_id) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER outcome_records_versions_delete AFTER DELETE ON outcome_records BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || f.programme_id AS s FROM referrals f WHERE f.id = OLD.referral_id) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER group_survey_counts_versions_insert AFTER INSERT ON group_survey_counts BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || g.programme_id AS s FROM group_surveys g WHERE g.id = NEW.group_survey_id) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER group_survey_counts_versions_update AFTER UPDATE ON group_survey_counts BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || g.programme_id AS s FROM group_surveys g WHERE g.id = NEW.group_survey_id) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || g.programme_id AS s FROM group_surveys g WHERE g.id = OLD.group_survey_id) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER group_survey_counts_versions_delete AFTER DELETE ON group_survey_counts BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || g.programme_id AS s FROM group_surveys g WHERE g.id = OLD.group_survey_id) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER participants_versions_insert AFTER INSERT ON participants BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || f.programme_id AS s FROM referrals f WHERE f.participant_id = NEW.id) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER participants_versions_update AFTER UPDATE ON participants BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || f.programme_id AS s FROM referrals f WHERE f.participant_id = NEW.id) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || f.programme_id AS s FROM referrals f WHERE f.participant_id = OLD.id) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER participants_versions_delete AFTER DELETE ON participants BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || f.programme_id AS s FROM referrals f WHERE f.participant_id = OLD.id) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER organisations_versions_insert AFTER INSERT ON organisations BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || p.id AS s FROM programmes p WHERE p.organisation_id = NEW.id) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER organisations_versions_update AFTER UPDATE ON organisations BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || p.id AS s FROM programmes p WHERE p.organisation_id = NEW.id) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || p.id AS s FROM programmes p WHERE p.organisation_id = OLD.id) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER organisations_versions_delete AFTER DELETE ON organisations BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || p.id AS s FROM programmes p WHERE p.organisation_id = OLD.id) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER funding_streams_versions_insert AFTER INSERT ON funding_streams BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || a.programme_id AS s FROM allocations a WHERE a.funding_stream_id = NEW.id) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER funding_streams_versions_update AFTER UPDATE ON funding_streams BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || a.programme_id AS s FROM allocations a WHERE a.funding_stream_id = NEW.id) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || a.programme_id AS s FROM allocations a WHERE a.funding_stream_id = OLD.id) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER funding_streams_versions_delete AFTER DELETE ON funding_streams BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'programme:' || a.programme_id AS s FROM allocations a WHERE a.funding_stream_id = OLD.id) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER outcome_measures_versions_insert AFTER INSERT ON outcome_measures BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'measures' AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER outcome_measures_versions_update AFTER UPDATE ON outcome_measures BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'measures' AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'measures' AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER outcome_measures_versions_delete AFTER DELETE ON outcome_measures BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'measures' AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER import_batches_versions_insert AFTER INSERT ON import_batches BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'extract' AS s WHERE NEW.kind = 'offences') AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER import_batches_versions_update AFTER UPDATE ON import_batches BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'extract' AS s WHERE NEW.kind = 'offences') AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'extract' AS s WHERE OLD.kind = 'offences') AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER import_batches_versions_delete AFTER DELETE ON import_batches BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'extract' AS s WHERE OLD.kind = 'offences') AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER erasures_versions_insert AFTER INSERT ON erasures BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'extract' AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER erasures_versions_update AFTER UPDATE ON erasures BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'extract' AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'extract' AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER erasures_versions_delete AFTER DELETE ON erasures BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'extract' AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER comparison_groups_versions_insert AFTER INSERT ON comparison_groups BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'comparisons' AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER comparison_groups_versions_update AFTER UPDATE ON comparison_groups BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'comparisons' AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'comparisons' AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER comparison_groups_versions_delete AFTER DELETE ON comparison_groups BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'comparisons' AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER comparison_members_versions_insert AFTER INSERT ON comparison_members BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'comparisons' AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER comparison_members_versions_update AFTER UPDATE ON comparison_members BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'comparisons' AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'comparisons' AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
CREATE TRIGGER comparison_members_versions_delete AFTER DELETE ON comparison_members BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1 FROM (SELECT 'comparisons' AS s) AS x WHERE s IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
END;
