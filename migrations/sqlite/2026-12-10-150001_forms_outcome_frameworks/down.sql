DROP TABLE programme_measures;
