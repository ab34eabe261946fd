//! Demo compartment `sensor`: produces samples — and has a bug that makes it fault.
#![no_std]

use core::sync::atomic::{AtomicU32, Ordering};
use rtos_sys::StoreOnly;

static READINGS: AtomicU32 = AtomicU32::new(0);

/// Returns a fake temperature reading in tenths of a degree.
#[no_mangle]
pub extern "C" fn sample(seq: u32) -> u32 {
    READINGS.fetch_add(1, Ordering::Relaxed);
    215 + (seq * 7) % 13
}

/// Fills a buffer the caller lent it (only as a store-only capability: the parameter's type says
/// so, and callers' typed stubs take nothing else) with a block of readings; returns the count.
#[no_mangle]
pub extern "C" fn read_block(mut buf: StoreOnly<'_>) -> u32 {
    // SAFETY: `app` lends the buffer through its typed stub, so the kernel checked and mapped it
    // for this call; the slice is not kept beyond it.
    let Some(block) = (unsafe { buf.granules_mut() }) else { return 0 };
    let mut n = 0;
    for word in block.iter_mut().flat_map(|g| g.words_mut().iter_mut()) {
        *word = 200 + n;
        n += 1;
    }
    n
}

/// A buggy parser: follows a corrupted pointer. The fault is contained to this call.
#[no_mangle]
pub extern "C" fn parse(corrupt: u32) -> u32 {
    // SAFETY: deliberately wrong — the demo shows the MPU stopping it.
    unsafe { (corrupt as *const u32).read_volatile() }
}
