//! Preemption: waking a more urgent thread switches to it before the waker's next instruction;
//! a more urgent thread whose sleep expires preempts a busy lower-priority thread on that tick.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel_tests::{check_eq, pass, Trace};
use rtos::sys;

rtos::firmware!(board_mps2_an505::Mps2An505);

static WORD: AtomicU32 = AtomicU32::new(0);
static TRACE: Trace<16> = Trace::new();
static SLEEP_START: AtomicU32 = AtomicU32::new(0);
static HIGH_WOKE_AT: AtomicU32 = AtomicU32::new(0);
static LOW_SPINNING: AtomicBool = AtomicBool::new(false);

fn high(_: usize) {
    // Phase 1: wait for `low` to wake us.
    while WORD.load(Ordering::Acquire) == 0 {
        let _ = sys::futex_wait(&WORD, 0, None);
    }
    TRACE.push(b'H');
    // Phase 2: sleep while `low` spins without ever entering the kernel.
    SLEEP_START.store(sys::ticks(), Ordering::Release);
    sys::sleep(5);
    HIGH_WOKE_AT.store(sys::ticks(), Ordering::Release);
    check_eq(LOW_SPINNING.load(Ordering::Acquire), true, "low was spinning when high woke");
    TRACE.push(b'T');
}

fn low(_: usize) {
    TRACE.push(b'W');
    WORD.store(1, Ordering::Release);
    sys::futex_wake(&WORD, 1);
    // `high` ran (and pushed 'H') before this line.
    TRACE.push(b'A');
    LOW_SPINNING.store(true, Ordering::Release);
    while HIGH_WOKE_AT.load(Ordering::Acquire) == 0 {
        core::hint::spin_loop();
    }
    LOW_SPINNING.store(false, Ordering::Release);
    TRACE.push(b'L');
    TRACE.check(b"WHATL", "event order");
    let slept = HIGH_WOKE_AT.load(Ordering::Acquire) - SLEEP_START.load(Ordering::Acquire);
    check_eq(slept, 5, "ticks high slept while low was busy");
    pass();
}
