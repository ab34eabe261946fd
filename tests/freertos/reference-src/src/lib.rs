//! Intentionally empty: see Cargo.toml (this crate only pins the reference kernel source).
