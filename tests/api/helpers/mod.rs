//! Test helpers, gathered by what they are for:
//! - `app`: `spawn_app()`, the real application on a free port, on a fresh SQLite file, or
//!   on a fresh PostgreSQL schema when `TEST_DATABASE_URL` is set;
//! - `world`: builders of the records a test needs (organisations, users, programmes,
//!   referrals, sessions, returns, participants);
//! - `browser`: signing in as a browser does, and the signed-in session's requests;
//! - `db`: reading and writing the app's database directly;
//! - `logs`: what the service logs.

mod app;
mod browser;
mod db;
mod logs;
mod world;

pub use app::*;
pub use browser::*;
pub use db::*;
pub use logs::*;
