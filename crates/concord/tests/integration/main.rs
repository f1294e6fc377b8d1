//! The integration tests: each spawns the real server on port 0 with a fresh store.
