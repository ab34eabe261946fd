//! Futex: waiters are released most urgent first and in arrival order within a priority; wake
//! counts; wake-all; timeouts expire after exactly the requested ticks; a changed value does not
//! block; raising a waiter's priority while it waits moves it ahead.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use kernel_tests::{check_eq, pass, Trace};
use rtos::{sys, Error, ThreadId};

rtos::firmware!(board_mps2_an505::Mps2An505);

static GATE: AtomicU32 = AtomicU32::new(0);
static ORDER: Trace<8> = Trace::new();
static SECOND: AtomicU32 = AtomicU32::new(0);
static SECOND_WOKEN: AtomicU32 = AtomicU32::new(0);
static IDS: [AtomicU32; 5] = [const { AtomicU32::new(0) }; 5];

/// Waiter `n` arrives at tick n+1 (so arrival order is w0..w4), waits on GATE, records itself,
/// then waits on SECOND for the priority-change phase.
fn waiter(n: usize) {
    IDS[n].store(sys::current().to_raw(), Ordering::Release);
    sys::sleep(n as u32 + 1);
    while GATE.load(Ordering::Acquire) == 0 {
        let _ = sys::futex_wait(&GATE, 0, None);
    }
    ORDER.push(b'0' + n as u8);
    if n == 0 || n == 2 {
        let _ = sys::futex_wait(&SECOND, 0, None);
        SECOND_WOKEN.store(n as u32 + 1, Ordering::Release);
    }
}

fn driver(_: usize) {
    static WORD: AtomicU32 = AtomicU32::new(7);
    // Value mismatch: no blocking.
    check_eq(sys::futex_wait(&WORD, 8, None), Err(Error::WouldBlock), "wait on a changed value");
    // Timeouts: exact in ticks; 0 polls.
    check_eq(sys::futex_wait(&WORD, 7, Some(0)), Err(Error::TimedOut), "poll");
    let t0 = sys::ticks();
    check_eq(sys::futex_wait(&WORD, 7, Some(12)), Err(Error::TimedOut), "timed wait");
    check_eq(sys::ticks().wrapping_sub(t0), 12, "ticks until the timeout");

    // All five waiters are blocked by now (they arrived at ticks 1..5).
    GATE.store(1, Ordering::Release);
    for _ in 0..5 {
        // Each woken waiter is more urgent than the driver and records itself before we continue.
        check_eq(sys::futex_wake(&GATE, 1), 1, "one waiter woken");
    }
    // Priorities 2,5,2,5,3 arriving in order 0..4: 5s first (1 then 3), then 4, then the 2s (0, 2).
    ORDER.check(b"13402", "wake order");
    check_eq(sys::futex_wake(&GATE, u32::MAX), 0, "nobody left to wake");

    // w0 and w2 now wait on SECOND, w0 first. Raise w2 above w0: it must be released first.
    sys::sleep(2);
    let w2 = ThreadId::from_raw(IDS[2].load(Ordering::Acquire));
    sys::set_priority(w2, 4).unwrap();
    check_eq(sys::priority(w2), Ok(4), "priority of a waiting thread");
    SECOND.store(1, Ordering::Release);
    check_eq(sys::futex_wake(&SECOND, 1), 1, "woke one");
    check_eq(SECOND_WOKEN.load(Ordering::Acquire), 3, "the raised waiter (w2) went first");
    check_eq(sys::futex_wake(&SECOND, 1), 1, "woke the other");
    check_eq(SECOND_WOKEN.load(Ordering::Acquire), 1, "then w0");

    // Wake-all and counts with fresh waiters: spawn three that block on WORD2.
    static WORD2: AtomicU32 = AtomicU32::new(0);
    static DONE: AtomicU32 = AtomicU32::new(0);
    static mut STACKS: [[u8; 512]; 3] = [[0; 512]; 3];
    fn blocker(_: usize) {
        let _ = sys::futex_wait(&WORD2, 0, None);
        DONE.fetch_add(1, Ordering::AcqRel);
    }
    for i in 0..3 {
        // SAFETY: each stack is handed out once.
        let stack = unsafe { &mut (*core::ptr::addr_of_mut!(STACKS))[i] };
        sys::spawn("blocker", 3, stack, blocker, 0).unwrap();
    }
    check_eq(sys::futex_wake(&WORD2, 2), 2, "wake count 2");
    check_eq(DONE.load(Ordering::Acquire), 2, "two released");
    check_eq(sys::futex_wake(&WORD2, u32::MAX), 1, "wake-all releases the rest");
    check_eq(DONE.load(Ordering::Acquire), 3, "all released");
    pass();
}
