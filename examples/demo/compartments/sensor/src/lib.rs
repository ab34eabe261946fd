//! Demo compartment `sensor`: produces samples — and has a bug that makes it fault.
#![no_std]

use core::sync::atomic::{AtomicU32, Ordering};
// Links the compartment runtime (panic handler, trampolines) although no API is used.
use rtos_sys as _;

static READINGS: AtomicU32 = AtomicU32::new(0);

/// Returns a fake temperature reading in tenths of a degree.
#[no_mangle]
pub extern "C" fn sample(seq: u32) -> u32 {
    READINGS.fetch_add(1, Ordering::Relaxed);
    215 + (seq * 7) % 13
}

/// Fills a buffer the caller lent it (as a store-only capability) with a block of readings.
#[no_mangle]
pub extern "C" fn read_block(buf: u32, len: u32) -> u32 {
    for i in 0..len / 4 {
        // SAFETY: inside the buffer granted for this call.
        unsafe { ((buf + 4 * i) as *mut u32).write_volatile(200 + i) };
    }
    len / 4
}

/// A buggy parser: follows a corrupted pointer. The fault is contained to this call.
#[no_mangle]
pub extern "C" fn parse(corrupt: u32) -> u32 {
    // SAFETY: deliberately wrong — the demo shows the MPU stopping it.
    unsafe { (corrupt as *const u32).read_volatile() }
}
