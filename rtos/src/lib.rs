//! A small preemptive kernel for Cortex-M33, the foundation of a compartmentalised RTOS.
//!
//! Layout:
//! - [`kernel`]: architecture-independent core (threads, ready queues, futex, timeouts). Host-tested.
//! - [`time`]: tick arithmetic (32-bit wrap, periodic delays).
//! - [`image`]: what a firmware manifest compiles into (threads, stacks, kernel configuration).
//! - [`sys`]: the system-call interface threads use (numbers and, on the target, the SVC stubs).
//! - `arch`: the ARMv8-M port (exception handlers, context switch, faults) — target only.
//!
//! The kernel knows nothing of boards beyond the [`Board`] trait, and nothing of FreeRTOS.
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]

pub mod error;
pub mod image;
pub mod kernel;
pub mod sys;
pub mod syscall;
pub mod time;

#[cfg(all(target_arch = "arm", target_os = "none"))]
pub mod arch;

pub use error::Error;
pub use image::Board;
pub use kernel::ThreadId;
