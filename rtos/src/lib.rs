//! A small preemptive kernel for Cortex-M33, the foundation of a compartmentalised RTOS.
//!
//! Layout:
//! - [`kernel`]: architecture-independent core (threads, ready queues, futex, timeouts). Host-tested.
//! - [`time`]: tick arithmetic (32-bit wrap, periodic delays), from `rtos-sys`.
//! - [`image`]: what a firmware manifest compiles into (threads, stacks, kernel configuration).
//! - [`sys`]: the system-call ABI threads and compartments use (crate `rtos-sys`).
//! - [`compartment`]: cross-compartment calls: per-thread call stacks, stack windows, MPU views.
//! - [`sealing`]: sealed handles: keys owned by compartments, opaque handles only a key opens.
//! - [`heap`]: per-compartment heap arenas with quotas; [`services`] ties them to allocation
//!   capabilities (sealed handles naming a quota).
//! - [`clock`]: the wall clock (an offset from the monotonic clock) and the clock capabilities
//!   that allow setting it.
//! - [`irq`]: device interrupt lines owned by driver compartments (wait, acknowledge).
//! - `arch`: the ARMv8-M port (exception handlers, context switch, faults) — target only.
//!
//! The kernel knows nothing of boards beyond the [`Board`] trait, and nothing of FreeRTOS.
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]

pub mod clock;
pub mod compartment;
pub mod heap;
pub mod image;
pub mod irq;
pub mod kernel;
pub mod sealing;
pub mod services;
pub mod syscall;

/// The system-call ABI and thread-side API (the `rtos-sys` crate).
pub use rtos_sys as sys;

#[cfg(all(target_arch = "arm", target_os = "none"))]
pub mod arch;

pub use image::Board;
pub use rtos_sys::{print, println, time, Error, ThreadId};
