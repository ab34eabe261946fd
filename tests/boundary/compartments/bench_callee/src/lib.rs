//! Callee of the compartment-call benchmark: trivial exports, so the measurement is the call path.
#![no_std]

// Links the compartment runtime (panic handler, trampolines) although no API is used.
use rtos_sys as _;

/// Returns a constant.
#[no_mangle]
pub extern "C" fn nop() -> u32 {
    1
}

/// Combines four arguments.
#[no_mangle]
pub extern "C" fn sum4(a: u32, b: u32, c: u32, d: u32) -> u32 {
    a.wrapping_add(b).wrapping_add(c).wrapping_add(d)
}
