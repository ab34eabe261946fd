//! `time_slice_ticks = 0`: an equal-priority thread runs only when the running one yields.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, Ordering};
use kernel_tests::{check_eq, pass};
use rtos::sys;

rtos::firmware!(board_mps2_an505::Mps2An505);

static SECOND_RAN: AtomicBool = AtomicBool::new(false);

fn first(_: usize) {
    let start = sys::ticks();
    // Busy for 50 ticks: without slicing `second` must not run meanwhile.
    while sys::ticks().wrapping_sub(start) < 50 {}
    check_eq(SECOND_RAN.load(Ordering::Acquire), false, "second ran before first yielded");
    sys::yield_now();
    check_eq(SECOND_RAN.load(Ordering::Acquire), true, "second ran after first yielded");
    pass();
}

fn second(_: usize) {
    SECOND_RAN.store(true, Ordering::Release);
}
