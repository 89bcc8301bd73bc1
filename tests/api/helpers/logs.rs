//! What the service logs.

/// Everything the service logs (at debug level), from the moment this is first called;
/// the buffer is shared by every test of the binary.
#[derive(Clone, Default)]
pub struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLogs {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the service's own subscriber (`telemetry::init_with`: its filter and its
/// redaction) at debug level, writing to a buffer (once per test binary).
pub fn capture_logs() -> CapturedLogs {
    static LOGS: std::sync::OnceLock<CapturedLogs> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = CapturedLogs::default();
        let writer = logs.clone();
        let _ = outcomes::telemetry::init_with(
            "debug",
            outcomes::telemetry::LogFormat::Text,
            move || writer.clone(),
        );
        logs
    })
    .clone()
}
