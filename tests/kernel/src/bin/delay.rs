//! Delays: `sleep(n)` blocks exactly n ticks; `delay_until` keeps a fixed period without drift,
//! including across the 32-bit tick wrap; `sleep_until` a past tick returns at once; the 64-bit
//! monotonic clock keeps counting past 2^32. A busy low-priority thread runs meanwhile.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use kernel_tests::{check, check_eq, pass};
use rtos::{println, sys};

rtos::firmware!(board_mps2_an505::Mps2An505);

static BUSY: AtomicU32 = AtomicU32::new(0);

fn busy_loop(_: usize) {
    loop {
        BUSY.fetch_add(1, Ordering::Relaxed);
    }
}

fn sleeper(_: usize) {
    let boot = sys::now();
    check_eq(boot >> 8, 0xFFFF_FF38u64 >> 8, "the tick counter starts where the manifest says");
    check_eq(sys::tick_hz(), 1000, "tick rate");

    for n in [1u32, 2, 3, 7, 20] {
        let t0 = sys::ticks();
        sys::sleep(n);
        check_eq(sys::ticks().wrapping_sub(t0), n, "ticks slept");
    }
    sys::sleep_ms(15);

    // A 25-tick period, started late in a tick period's work: no drift, and it crosses the wrap.
    let mut wake = sys::ticks();
    let start = wake;
    let mut wrapped = false;
    for k in 1..=10u32 {
        kernel_tests::busy(2000); // work inside the period
        let waited = sys::delay_until(&mut wake, 25);
        check(waited, "delay_until waited (the period was not over)");
        check_eq(sys::ticks(), start.wrapping_add(25 * k), "periodic wake tick");
        wrapped |= sys::ticks() < start;
    }
    check(wrapped, "the periods crossed the 32-bit wrap");
    let now = sys::now();
    println!("64-bit now = {:#x}", now);
    check(now > 0xFFFF_FFFF, "the 64-bit clock continued past 2^32");
    check_eq(now as u32, sys::ticks(), "32-bit ticks are the low half of the 64-bit clock");

    // A period that is already over does not block.
    let mut late = sys::ticks().wrapping_sub(100);
    check_eq(sys::delay_until(&mut late, 10), false, "delay_until when late");
    let t0 = sys::ticks();
    sys::sleep_until(t0.wrapping_sub(1));
    sys::sleep_until(t0);
    check_eq(sys::ticks(), t0, "sleep_until a past or current tick returns at once");
    sys::sleep_until(t0.wrapping_add(4));
    check_eq(sys::ticks(), t0.wrapping_add(4), "sleep_until a future tick");
    check(BUSY.load(Ordering::Relaxed) > 0, "the busy thread ran while the sleeper slept");
    pass();
}
