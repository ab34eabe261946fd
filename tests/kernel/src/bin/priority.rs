//! Priority changes: lowering the running thread below a ready one switches at once; raising a
//! ready thread above the running one switches at once; equal priority does not preempt.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use kernel_tests::{check_eq, pass, Trace};
use rtos::{sys, Error, ThreadId};

rtos::firmware!(board_mps2_an505::Mps2An505);

static TRACE: Trace<16> = Trace::new();
static B_ID: AtomicU32 = AtomicU32::new(0);

fn a(_: usize) {
    let me = sys::current();
    TRACE.push(b'1');
    // Lower ourselves below `b` (3): b runs before this call returns.
    sys::set_priority(me, 2).unwrap();
    TRACE.push(b'3');
    // b lowered itself to 1 and we run again. Raise b to our level: no preemption (equal).
    let b = ThreadId::from_raw(B_ID.load(Ordering::Acquire));
    sys::set_priority(b, 2).unwrap();
    TRACE.push(b'4');
    // Raise b above us: it runs at once.
    sys::set_priority(b, 6).unwrap();
    TRACE.push(b'6');
    TRACE.check(b"123456", "switch order");
    check_eq(sys::set_priority(me, 40), Err(Error::BadPriority), "priority 40");
    check_eq(sys::priority(me), Ok(2), "own priority");
    pass();
}

fn b(_: usize) {
    B_ID.store(sys::current().to_raw(), Ordering::Release);
    TRACE.push(b'2');
    sys::set_priority(sys::current(), 1).unwrap();
    TRACE.push(b'5');
}
