//! Run-time thread creation: a more urgent new thread runs before `spawn` returns, a less urgent
//! one only when the creator blocks; arguments arrive; returning from the entry ends the thread and
//! its handle goes stale; `kill` ends a blocked thread; bad priorities, small stacks and a full
//! thread table are refused with errors.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use kernel_tests::{check, check_eq, pass, Trace};
use rtos::kernel::MAX_THREADS;
use rtos::{sys, Error};

rtos::firmware!(board_mps2_an505::Mps2An505);

static TRACE: Trace<16> = Trace::new();
static ARG_SEEN: AtomicU32 = AtomicU32::new(0);
static FOREVER: AtomicU32 = AtomicU32::new(0);

const SMALL: usize = 256;
static mut STACKS: [[u8; SMALL]; MAX_THREADS + 8] = [[0; SMALL]; MAX_THREADS + 8];
static NEXT_STACK: AtomicU32 = AtomicU32::new(0);

fn stack() -> &'static mut [u8] {
    let i = NEXT_STACK.fetch_add(1, Ordering::AcqRel) as usize;
    // SAFETY: every index is handed out once.
    unsafe { &mut (*core::ptr::addr_of_mut!(STACKS))[i] }
}

fn urgent(arg: usize) {
    ARG_SEEN.store(arg as u32, Ordering::Release);
    TRACE.push(b'U');
}

fn lazy(_: usize) {
    TRACE.push(b'L');
}

fn sleeper(_: usize) {
    let _ = sys::futex_wait(&FOREVER, 0, None);
    TRACE.push(b'X'); // never reached: killed while blocked
}

fn creator(_: usize) {
    TRACE.push(b'a');
    let u = sys::spawn("urgent", 5, stack(), urgent, 0xC0FFEE).unwrap();
    TRACE.push(b'b');
    let l = sys::spawn("lazy", 1, stack(), lazy, 0).unwrap();
    TRACE.push(b'c');
    sys::sleep(1);
    TRACE.push(b'd');
    TRACE.check(b"aUbcLd", "creation order");
    check_eq(ARG_SEEN.load(Ordering::Acquire), 0xC0FFEE, "argument delivered");
    check_eq(sys::priority(u), Err(Error::NoSuchThread), "handle of an exited thread is stale");
    check_eq(sys::priority(l), Err(Error::NoSuchThread), "second exited handle");

    // Kill a blocked thread; it must not run again and its handle goes stale.
    let s = sys::spawn("sleeper", 4, stack(), sleeper, 0).unwrap();
    check_eq(sys::priority(s), Ok(4), "new thread's priority");
    check_eq(sys::kill(s), Ok(()), "kill a blocked thread");
    check_eq(sys::kill(s), Err(Error::NoSuchThread), "kill twice");
    check_eq(sys::futex_wake(&FOREVER, u32::MAX), 0, "a killed waiter is no longer queued");

    // Refusals.
    check_eq(sys::spawn("bad", 32, stack(), lazy, 0).map(|_| ()), Err(Error::BadPriority), "priority 32");
    static mut TINY: [u8; 128] = [0; 128];
    // SAFETY: handed out once.
    let tiny = unsafe { &mut *core::ptr::addr_of_mut!(TINY) };
    check_eq(sys::spawn("tiny", 2, tiny, lazy, 0).map(|_| ()), Err(Error::BadStack), "128-byte stack");

    // Fill the thread table: idle + creator are live, so MAX_THREADS - 2 more fit.
    let mut made = 0;
    let err = loop {
        match sys::spawn("filler", 0, stack(), lazy, 0) {
            Ok(_) => made += 1,
            Err(e) => break e,
        }
        check(made <= MAX_THREADS, "thread table has a limit");
    };
    check_eq(err, Error::NoFreeThreadSlot, "error when the table is full");
    check_eq(made, MAX_THREADS - 2, "threads that fit");
    pass();
}
