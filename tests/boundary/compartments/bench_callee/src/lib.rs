//! Callee of the compartment-call benchmark: trivial exports, so the measurement is the call path.
#![no_std]

use rtos_sys::ReadOnly;

/// Returns a constant.
#[no_mangle]
pub extern "C" fn nop() -> u32 {
    1
}

/// Reads the first word of two buffers granted read-only (typed: base and length of each).
#[no_mangle]
pub extern "C" fn first2(a: ReadOnly<'_>, b: ReadOnly<'_>) -> u32 {
    // SAFETY: both are buffers granted (read-only) for this call by the typed stub.
    unsafe { (a.base() as *const u32).read_volatile().wrapping_add((b.base() as *const u32).read_volatile()) }
}

/// The same through the untyped path (base addresses only), the baseline of the typed stubs.
#[no_mangle]
pub extern "C" fn first2_untyped(a: u32, b: u32) -> u32 {
    // SAFETY: both addresses are buffers granted (read-only) for this call.
    unsafe { (a as *const u32).read_volatile().wrapping_add((b as *const u32).read_volatile()) }
}

/// Combines four arguments.
#[no_mangle]
pub extern "C" fn sum4(a: u32, b: u32, c: u32, d: u32) -> u32 {
    a.wrapping_add(b).wrapping_add(c).wrapping_add(d)
}
