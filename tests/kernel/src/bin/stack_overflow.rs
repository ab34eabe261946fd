//! Stack overflow: unbounded recursion in `victim` hits its stack limit (PSPLIM). The kernel
//! reports the fault naming the thread and its stack, ends the thread, and `neighbour` — whose
//! stack lies right next to the victim's — continues with its data intact.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use kernel_tests::{check_eq, pass};
use rtos::{println, sys, Error, ThreadId};

rtos::firmware!(board_mps2_an505::Mps2An505);

static VICTIM: AtomicU32 = AtomicU32::new(0);
static DEPTH: AtomicU32 = AtomicU32::new(0);

#[inline(never)]
#[allow(unconditional_recursion)] // the point of the test
fn recurse(n: u32) -> u32 {
    let mut frame = [n; 16];
    DEPTH.store(n, Ordering::Relaxed);
    core::hint::black_box(&mut frame);
    recurse(n + 1).wrapping_add(frame[3])
}

fn victim(_: usize) {
    VICTIM.store(sys::current().to_raw(), Ordering::Release);
    recurse(0);
}

fn neighbour(_: usize) {
    // A canary on our own stack, checked after the victim died.
    let canary = core::hint::black_box([0x5A5A_5A5Au32; 8]);
    sys::sleep(2);
    println!("victim reached depth {}", DEPTH.load(Ordering::Relaxed));
    let victim = ThreadId::from_raw(VICTIM.load(Ordering::Acquire));
    check_eq(sys::priority(victim), Err(Error::NoSuchThread), "the victim is gone");
    check_eq(canary, [0x5A5A_5A5Au32; 8], "the neighbour's stack is intact");
    sys::sleep(3);
    pass();
}
