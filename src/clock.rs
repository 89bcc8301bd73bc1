//! Today's date for the service. In production it is the system's date (UTC). A test or
//! training environment can set `OUTCOMES_CLOCK_FILE` to a file holding a date
//! (`2027-01-02`): the service reads it whenever it asks for today, so a browser journey
//! can move the service past the end of a quarter without waiting (docs/testing.md,
//! "Moving the clock"). A file that is missing, empty or not a date means the system's
//! date.

use std::path::PathBuf;

use chrono::NaiveDate;

#[derive(Debug, Clone, Default)]
pub enum Clock {
    #[default]
    System,
    /// The date written in this file, when it holds one.
    File(PathBuf),
}

impl Clock {
    pub fn new(file: Option<PathBuf>) -> Self {
        file.map_or(Clock::System, Clock::File)
    }

    /// Today's date.
    pub fn today(&self) -> NaiveDate {
        let system = || chrono::Utc::now().date_naive();
        match self {
            Clock::System => system(),
            Clock::File(path) => std::fs::read_to_string(path)
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or_else(system),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_file_sets_today_and_anything_else_means_the_system_date() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clock");
        let clock = Clock::new(Some(path.clone()));
        let system = chrono::Utc::now().date_naive();
        assert_eq!(clock.today(), system);
        std::fs::write(&path, "2027-01-02\n").unwrap();
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2027, 1, 2).unwrap());
        std::fs::write(&path, "not a date").unwrap();
        assert_eq!(clock.today(), system);
        assert_eq!(Clock::new(None).today(), system);
    }
}
