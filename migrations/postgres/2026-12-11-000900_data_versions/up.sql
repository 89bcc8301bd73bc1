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

INSERT INTO data_versions (scope, version) SELECT 'programme:' || id, 1 FROM programmes;
INSERT INTO data_versions (scope, version) VALUES ('extract', 1), ('comparisons', 1), ('measures', 1);

-- Bumps each scope once, in a fixed order (two writers lock the same rows in the same
-- order, so they queue rather than deadlock).
CREATE FUNCTION bump_data_versions(scopes TEXT[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO data_versions (scope, version)
    SELECT DISTINCT s, 1::BIGINT FROM unnest(scopes) AS s WHERE s IS NOT NULL ORDER BY 1
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1
$$;
-- Statement-level triggers with transition tables: an import of two million rows bumps
-- each programme once, not two million times.

CREATE FUNCTION referrals_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM new_rows r) AS x (s)));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM new_rows r UNION SELECT 'programme:' || r.programme_id FROM old_rows r) AS x (s)));
    ELSE
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM old_rows r) AS x (s)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER referrals_versions_insert AFTER INSERT ON referrals REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referrals_versions();
CREATE TRIGGER referrals_versions_update AFTER UPDATE ON referrals REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referrals_versions();
CREATE TRIGGER referrals_versions_delete AFTER DELETE ON referrals REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION referrals_versions();

CREATE FUNCTION sessions_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM new_rows r) AS x (s)));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM new_rows r UNION SELECT 'programme:' || r.programme_id FROM old_rows r) AS x (s)));
    ELSE
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM old_rows r) AS x (s)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER sessions_versions_insert AFTER INSERT ON sessions REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sessions_versions();
CREATE TRIGGER sessions_versions_update AFTER UPDATE ON sessions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sessions_versions();
CREATE TRIGGER sessions_versions_delete AFTER DELETE ON sessions REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sessions_versions();

CREATE FUNCTION attendance_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM new_rows r) AS x (s)));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM new_rows r UNION SELECT 'programme:' || r.programme_id FROM old_rows r) AS x (s)));
    ELSE
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM old_rows r) AS x (s)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER attendance_versions_insert AFTER INSERT ON attendance REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION attendance_versions();
CREATE TRIGGER attendance_versions_update AFTER UPDATE ON attendance REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION attendance_versions();
CREATE TRIGGER attendance_versions_delete AFTER DELETE ON attendance REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION attendance_versions();

CREATE FUNCTION group_surveys_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM new_rows r) AS x (s)));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM new_rows r UNION SELECT 'programme:' || r.programme_id FROM old_rows r) AS x (s)));
    ELSE
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM old_rows r) AS x (s)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER group_surveys_versions_insert AFTER INSERT ON group_surveys REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION group_surveys_versions();
CREATE TRIGGER group_surveys_versions_update AFTER UPDATE ON group_surveys REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION group_surveys_versions();
CREATE TRIGGER group_surveys_versions_delete AFTER DELETE ON group_surveys REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION group_surveys_versions();

CREATE FUNCTION targets_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM new_rows r) AS x (s)));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM new_rows r UNION SELECT 'programme:' || r.programme_id FROM old_rows r) AS x (s)));
    ELSE
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM old_rows r) AS x (s)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER targets_versions_insert AFTER INSERT ON targets REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION targets_versions();
CREATE TRIGGER targets_versions_update AFTER UPDATE ON targets REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION targets_versions();
CREATE TRIGGER targets_versions_delete AFTER DELETE ON targets REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION targets_versions();

CREATE FUNCTION allocations_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM new_rows r) AS x (s)));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM new_rows r UNION SELECT 'programme:' || r.programme_id FROM old_rows r) AS x (s)));
    ELSE
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM old_rows r) AS x (s)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER allocations_versions_insert AFTER INSERT ON allocations REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION allocations_versions();
CREATE TRIGGER allocations_versions_update AFTER UPDATE ON allocations REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION allocations_versions();
CREATE TRIGGER allocations_versions_delete AFTER DELETE ON allocations REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION allocations_versions();

CREATE FUNCTION quarterly_returns_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM new_rows r) AS x (s)));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM new_rows r UNION SELECT 'programme:' || r.programme_id FROM old_rows r) AS x (s)));
    ELSE
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM old_rows r) AS x (s)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER quarterly_returns_versions_insert AFTER INSERT ON quarterly_returns REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION quarterly_returns_versions();
CREATE TRIGGER quarterly_returns_versions_update AFTER UPDATE ON quarterly_returns REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION quarterly_returns_versions();
CREATE TRIGGER quarterly_returns_versions_delete AFTER DELETE ON quarterly_returns REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION quarterly_returns_versions();

CREATE FUNCTION programme_measures_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM new_rows r) AS x (s)));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM new_rows r UNION SELECT 'programme:' || r.programme_id FROM old_rows r) AS x (s)));
    ELSE
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.programme_id FROM old_rows r) AS x (s)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER programme_measures_versions_insert AFTER INSERT ON programme_measures REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION programme_measures_versions();
CREATE TRIGGER programme_measures_versions_update AFTER UPDATE ON programme_measures REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION programme_measures_versions();
CREATE TRIGGER programme_measures_versions_delete AFTER DELETE ON programme_measures REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION programme_measures_versions();

CREATE FUNCTION programmes_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.id FROM new_rows r) AS x (s)));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.id FROM new_rows r UNION SELECT 'programme:' || r.id FROM old_rows r) AS x (s)));
    ELSE
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || r.id FROM old_rows r) AS x (s)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER programmes_versions_insert AFTER INSERT ON programmes REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION programmes_versions();
CREATE TRIGGER programmes_versions_update AFTER UPDATE ON programmes REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION programmes_versions();
CREATE TRIGGER programmes_versions_delete AFTER DELETE ON programmes REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION programmes_versions();

CREATE FUNCTION outcome_records_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || f.programme_id FROM new_rows r JOIN referrals f ON f.id = r.referral_id) AS x (s)));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || f.programme_id FROM new_rows r JOIN referrals f ON f.id = r.referral_id UNION SELECT 'programme:' || f.programme_id FROM old_rows r JOIN referrals f ON f.id = r.referral_id) AS x (s)));
    ELSE
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || f.programme_id FROM old_rows r JOIN referrals f ON f.id = r.referral_id) AS x (s)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER outcome_records_versions_insert AFTER INSERT ON outcome_records REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION outcome_records_versions();
CREATE TRIGGER outcome_records_versions_update AFTER UPDATE ON outcome_records REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION outcome_records_versions();
CREATE TRIGGER outcome_records_versions_delete AFTER DELETE ON outcome_records REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION outcome_records_versions();

CREATE FUNCTION group_survey_counts_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || g.programme_id FROM new_rows r JOIN group_surveys g ON g.id = r.group_survey_id) AS x (s)));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || g.programme_id FROM new_rows r JOIN group_surveys g ON g.id = r.group_survey_id UNION SELECT 'programme:' || g.programme_id FROM old_rows r JOIN group_surveys g ON g.id = r.group_survey_id) AS x (s)));
    ELSE
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || g.programme_id FROM old_rows r JOIN group_surveys g ON g.id = r.group_survey_id) AS x (s)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER group_survey_counts_versions_insert AFTER INSERT ON group_survey_counts REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION group_survey_counts_versions();
CREATE TRIGGER group_survey_counts_versions_update AFTER UPDATE ON group_survey_counts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION group_survey_counts_versions();
CREATE TRIGGER group_survey_counts_versions_delete AFTER DELETE ON group_survey_counts REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION group_survey_counts_versions();

CREATE FUNCTION participants_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || f.programme_id FROM new_rows r JOIN referrals f ON f.participant_id = r.id) AS x (s)));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || f.programme_id FROM new_rows r JOIN referrals f ON f.participant_id = r.id UNION SELECT 'programme:' || f.programme_id FROM old_rows r JOIN referrals f ON f.participant_id = r.id) AS x (s)));
    ELSE
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || f.programme_id FROM old_rows r JOIN referrals f ON f.participant_id = r.id) AS x (s)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER participants_versions_insert AFTER INSERT ON participants REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION participants_versions();
CREATE TRIGGER participants_versions_update AFTER UPDATE ON participants REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION participants_versions();
CREATE TRIGGER participants_versions_delete AFTER DELETE ON participants REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION participants_versions();

CREATE FUNCTION organisations_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || p.id FROM new_rows r JOIN programmes p ON p.organisation_id = r.id) AS x (s)));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || p.id FROM new_rows r JOIN programmes p ON p.organisation_id = r.id UNION SELECT 'programme:' || p.id FROM old_rows r JOIN programmes p ON p.organisation_id = r.id) AS x (s)));
    ELSE
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || p.id FROM old_rows r JOIN programmes p ON p.organisation_id = r.id) AS x (s)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER organisations_versions_insert AFTER INSERT ON organisations REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION organisations_versions();
CREATE TRIGGER organisations_versions_update AFTER UPDATE ON organisations REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION organisations_versions();
CREATE TRIGGER organisations_versions_delete AFTER DELETE ON organisations REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION organisations_versions();

CREATE FUNCTION funding_streams_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || a.programme_id FROM new_rows r JOIN allocations a ON a.funding_stream_id = r.id) AS x (s)));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || a.programme_id FROM new_rows r JOIN allocations a ON a.funding_stream_id = r.id UNION SELECT 'programme:' || a.programme_id FROM old_rows r JOIN allocations a ON a.funding_stream_id = r.id) AS x (s)));
    ELSE
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'programme:' || a.programme_id FROM old_rows r JOIN allocations a ON a.funding_stream_id = r.id) AS x (s)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER funding_streams_versions_insert AFTER INSERT ON funding_streams REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION funding_streams_versions();
CREATE TRIGGER funding_streams_versions_update AFTER UPDATE ON funding_streams REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION funding_streams_versions();
CREATE TRIGGER funding_streams_versions_delete AFTER DELETE ON funding_streams REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION funding_streams_versions();

CREATE FUNCTION outcome_measures_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'measures' FROM new_rows r) AS x (s)));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'measures' FROM new_rows r UNION SELECT 'measures' FROM old_rows r) AS x (s)));
    ELSE
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'measures' FROM old_rows r) AS x (s)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER outcome_measures_versions_insert AFTER INSERT ON outcome_measures REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION outcome_measures_versions();
CREATE TRIGGER outcome_measures_versions_update AFTER UPDATE ON outcome_measures REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION outcome_measures_versions();
CREATE TRIGGER outcome_measures_versions_delete AFTER DELETE ON outcome_measures REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION outcome_measures_versions();

CREATE FUNCTION import_batches_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'extract' FROM new_rows r WHERE r.kind = 'offences') AS x (s)));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'extract' FROM new_rows r WHERE r.kind = 'offences' UNION SELECT 'extract' FROM old_rows r WHERE r.kind = 'offences') AS x (s)));
    ELSE
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'extract' FROM old_rows r WHERE r.kind = 'offences') AS x (s)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER import_batches_versions_insert AFTER INSERT ON import_batches REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION import_batches_versions();
CREATE TRIGGER import_batches_versions_update AFTER UPDATE ON import_batches REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION import_batches_versions();
CREATE TRIGGER import_batches_versions_delete AFTER DELETE ON import_batches REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION import_batches_versions();

CREATE FUNCTION erasures_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'extract' FROM new_rows r) AS x (s)));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'extract' FROM new_rows r UNION SELECT 'extract' FROM old_rows r) AS x (s)));
    ELSE
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'extract' FROM old_rows r) AS x (s)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER erasures_versions_insert AFTER INSERT ON erasures REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION erasures_versions();
CREATE TRIGGER erasures_versions_update AFTER UPDATE ON erasures REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION erasures_versions();
CREATE TRIGGER erasures_versions_delete AFTER DELETE ON erasures REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION erasures_versions();

CREATE FUNCTION comparison_groups_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'comparisons' FROM new_rows r) AS x (s)));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'comparisons' FROM new_rows r UNION SELECT 'comparisons' FROM old_rows r) AS x (s)));
    ELSE
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'comparisons' FROM old_rows r) AS x (s)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER comparison_groups_versions_insert AFTER INSERT ON comparison_groups REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION comparison_groups_versions();
CREATE TRIGGER comparison_groups_versions_update AFTER UPDATE ON comparison_groups REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION comparison_groups_versions();
CREATE TRIGGER comparison_groups_versions_delete AFTER DELETE ON comparison_groups REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION comparison_groups_versions();

CREATE FUNCTION comparison_members_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'comparisons' FROM new_rows r) AS x (s)));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'comparisons' FROM new_rows r UNION SELECT 'comparisons' FROM old_rows r) AS x (s)));
    ELSE
        PERFORM bump_data_versions(ARRAY(SELECT DISTINCT s FROM (SELECT 'comparisons' FROM old_rows r) AS x (s)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER comparison_members_versions_insert AFTER INSERT ON comparison_members REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION comparison_members_versions();
CREATE TRIGGER comparison_members_versions_update AFTER UPDATE ON comparison_members REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION comparison_members_versions();
CREATE TRIGGER comparison_members_versions_delete AFTER DELETE ON comparison_members REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION comparison_members_versions();

