//! Idle accounting: `idle_cycles()` grows while the only thread sleeps, stays put while it
//! computes (tick interrupts included: handler time is busy time), never exceeds the elapsed
//! cycles, and elapsed minus idle cycles around a loop of known length plus a sleep is the loop's
//! instruction count (plus the kernel's own small share), under `-icount shift=0`.
#![no_std]
#![no_main]

use kernel_tests::{check, check_eq, pass};
use rtos::{println, sys};

rtos::firmware!(board_mps2_an505::Mps2An505);

/// Iterations of the two-instruction calibration loop.
const LOOPS: u32 = 1_000_000;

/// Runs `n` iterations of `subs; bne` (two instructions each).
fn two_instruction_loop(mut n: u32) {
    // SAFETY: register-only arithmetic and a local branch; no memory or stack access.
    unsafe { core::arch::asm!("1:", "subs {0}, {0}, #1", "bne 1b", inout(reg) n, options(nomem, nostack)) };
    let _ = n;
}

/// Instructions (virtual ns under `-icount shift=0`) in `cycles` of the cycle clock.
fn instructions(cycles: u64) -> u64 {
    cycles * 1_000_000_000 / u64::from(sys::clock_hz())
}

fn measurer(_: usize) {
    // Sleeping: the idle thread runs and counts.
    let (c0, i0) = (sys::cycles(), sys::idle_cycles());
    sys::sleep(10);
    let (c1, i1) = (sys::cycles(), sys::idle_cycles());
    println!("sleep 10 ticks: elapsed {} cycles, idle {} cycles", c1 - c0, i1 - i0);
    check(i1 > i0, "idle cycles grew while the only thread slept");
    check(i1 - i0 <= c1 - c0, "idle cycles do not exceed the elapsed cycles");

    // Computing across several ticks: the idle thread never runs.
    let i0 = sys::idle_cycles();
    let t0 = sys::ticks();
    two_instruction_loop(3 * LOOPS);
    check(sys::ticks() != t0, "tick interrupts happened during the loop");
    check_eq(sys::idle_cycles(), i0, "idle cycles while the thread computed");

    // Busy = elapsed - idle over a loop and a sleep: the loop's 2 * LOOPS instructions plus the
    // system calls and the tick handlers (a few hundred instructions each).
    let (c0, i0) = (sys::cycles(), sys::idle_cycles());
    two_instruction_loop(LOOPS);
    sys::sleep(5);
    let (c1, i1) = (sys::cycles(), sys::idle_cycles());
    let busy = instructions((c1 - c0) - (i1 - i0));
    println!("busy over a {}-instruction loop and a 5-tick sleep: {} instructions", 2 * LOOPS, busy);
    let expected = 2 * u64::from(LOOPS);
    check(busy >= expected, "busy time covers the loop");
    check(busy < expected + expected / 50, "busy time is the loop's within 2%");
    pass();
}
