//! The test kit of Berth's end-to-end tests and benches: what each of them
//! needs before and after it drives the real Docker engine, written once.
//!
//! - [`require_testbed`]: the Docker engine answers, the local registry
//!   (`127.0.0.1:5000`, .ci/setup-testbed) answers and `docker compose` v2 is
//!   installed — else the test fails saying what to install or run; it never
//!   skips, so a missing test-bed cannot pass for a green run.
//! - [`TempHome`]: a fresh Berth home in the temp folder, removed when the
//!   test passes and kept (and named) when it fails, to look at.
//! - [`AppCleanup`]: whatever an app leaves on the engine (containers,
//!   networks, volumes carrying its compose project label) goes when the
//!   guard drops, even on a panic, so one failure does not cascade;
//!   [`labelled`] and [`docker_ok`] ask the engine what is left.
//! - Fixtures: the engine's sample apps ([`engine_app`]), the repository's
//!   test store ([`test_store`]), writing a compose file into a home
//!   ([`write_compose`]), the plainest [`install_request`], and [`http_get`]
//!   for an app's page; [`connect_engine`] fails saying how to get Docker;
//!   the shared compose [`corpus`] and its [`compose_files`].
//! - [`Daemon`]: `berth serve` for a home, stopped on drop. The binary's path
//!   is an argument because only the CLI's own tests and benches know it
//!   (`env!("CARGO_BIN_EXE_berth")`).
//!
//! Used by the engine's tests `catalog`, `conformance`, `crash`,
//! `lifecycle`, `limits`, `metrics`, `registry`, `rewrite` and `update`, its
//! benches `compose`, `lifecycle` and `update` and its `operation` example,
//! and by the CLI's tests (through `tests/common`) and its `daemon` bench.
//!
//! ```no_run
//! use berth_testkit::{require_testbed, AppCleanup, Daemon, TempHome, BOX_11};
//!
//! require_testbed();
//! let home = TempHome::new("example");
//! let _cleanup = AppCleanup::new("greet42");
//! let compose = format!("services:\n  web:\n    image: {BOX_11}\n");
//! let file = berth_testkit::write_compose(&home, "greet42", &compose);
//! let _daemon = Daemon::start("target/debug/berth".as_ref(), &home, &[]);
//! # let _ = file;
//! ```

mod cleanup;
mod daemon;
mod engine;
mod fixtures;
mod home;
mod testbed;

pub use cleanup::{docker_ok, labelled, AppCleanup};
pub use daemon::{berth_ok, Daemon};
pub use engine::{connect_engine, install_request};
pub use fixtures::{compose_files, corpus, engine_app, http_get, test_store, write_compose};
pub use home::TempHome;
pub use testbed::{require_compose, require_engine, require_registry, require_testbed};

/// The local test registry .ci/setup-testbed runs.
pub const REGISTRY: &str = "127.0.0.1:5000";
/// The test images .ci/setup-testbed pushes to [`REGISTRY`].
pub const BOX_10: &str = "127.0.0.1:5000/berth-test/box:1.0";
pub const BOX_11: &str = "127.0.0.1:5000/berth-test/box:1.1";
pub const BOX_20: &str = "127.0.0.1:5000/berth-test/box:2.0";
