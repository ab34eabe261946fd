//! Compartment `gamma`: the end of a nested call chain, and a bystander thread that must keep
//! running while another compartment misbehaves.
#![no_std]

use core::sync::atomic::{AtomicBool, Ordering};
use rtos_sys::println;

static MARKED: AtomicBool = AtomicBool::new(false);

/// Doubles its argument (called by `beta`, nested inside `alpha` → `beta`).
#[no_mangle]
pub extern "C" fn double(x: u32) -> u32 {
    x.wrapping_mul(2)
}

/// Sums the words of a buffer granted to it (passed on by `beta`).
#[no_mangle]
pub extern "C" fn sum_ro(ptr: u32, len: u32) -> u32 {
    (0..len / 4).fold(0u32, |acc, i| {
        // SAFETY: reads inside the buffer granted for this call.
        acc.wrapping_add(unsafe { ((ptr + 4 * i) as *const u32).read_volatile() })
    })
}

/// Called by `alpha` just before it calls `beta.spin`.
#[no_mangle]
pub extern "C" fn mark() -> u32 {
    MARKED.store(true, Ordering::Release);
    0
}

/// The bystander thread: once `alpha` is stuck in `beta.spin`, it checks that it still gets the
/// CPU (same priority, time slicing), then ends the test.
#[no_mangle]
pub extern "C" fn gamma_main(_arg: usize) {
    while !MARKED.load(Ordering::Acquire) {
        rtos_sys::sleep(1);
    }
    let t0 = rtos_sys::ticks();
    let mut rounds = 0u32;
    while rtos_sys::ticks().wrapping_sub(t0) < 100 {
        rounds += 1;
    }
    println!("bystander: still running while beta spins ({} rounds in 100 ticks)", rounds);
    println!("PASS");
    rtos_sys::shutdown(0);
}
