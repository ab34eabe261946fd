//! Compartment `timekeeper`: the only compartment of the `clock` image whose manifest has
//! `may_set_clock = true`. It sets the wall clock with its own clock capability, lends the
//! capability to whoever asks, and reports who called it — directly, and after a nested call into
//! the C compartment `ctime`.
//!
//! Exports return a value, or a negative error code as `u32`.
#![no_std]

use rtos_sys::Error;

rtos_sys::imports!();

fn ret(r: Result<u32, Error>) -> u32 {
    r.unwrap_or_else(|e| e.code() as u32)
}

/// Lends its clock capability: returns the handle's value.
#[no_mangle]
pub extern "C" fn tk_cap() -> u32 {
    ret(rtos_sys::clock_cap().map(|c| c.0))
}

/// Sets the wall clock to `lo | hi << 32` microseconds since the Unix epoch with its own
/// capability; returns 0.
#[no_mangle]
pub extern "C" fn tk_set(lo: u32, hi: u32) -> u32 {
    ret(rtos_sys::clock_cap().and_then(|cap| rtos_sys::wall_clock_set(cap, (hi as u64) << 32 | lo as u64)).map(|()| 0))
}

/// Who called this export (`CALLER`).
#[no_mangle]
pub extern "C" fn tk_caller() -> u32 {
    ret(rtos_sys::caller())
}

/// Calls `ctime.ct_caller` (which sees this compartment as its caller), then asks who called
/// this export again: `inner << 16 | after`, each 16 bits (`0xFFFF` for an error).
#[no_mangle]
pub extern "C" fn tk_nested() -> u32 {
    let inner = ctime::ct_caller().ok().filter(|&v| v < 0xFFFF).unwrap_or(0xFFFF);
    let after = rtos_sys::caller().ok().filter(|&v| v < 0xFFFF).unwrap_or(0xFFFF);
    inner << 16 | after
}
