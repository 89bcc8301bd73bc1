DROP TABLE report_archive;
DROP TABLE erasures;
DROP TABLE evaluation_holds;
DROP TABLE retention_periods;
