DROP TABLE access_log;
DROP TABLE service_settings;
ALTER TABLE referrals DROP COLUMN linkage_objection;
ALTER TABLE programmes DROP COLUMN police_linkage;
ALTER TABLE programmes DROP COLUMN offence_data_condition;
ALTER TABLE programmes DROP COLUMN lawful_basis;
