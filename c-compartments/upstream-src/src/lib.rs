//! Never built: this crate only pins the upstream C packages (see Cargo.toml).
#![no_std]
