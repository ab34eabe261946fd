//! Fault containment at thread level: a load from unmapped memory (BusFault) and an undefined
//! instruction (UsageFault) each end only the faulting thread; the report names it.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use kernel_tests::{check_eq, pass};
use rtos::{sys, Error, ThreadId};

rtos::firmware!(board_mps2_an505::Mps2An505);

static IDS: [AtomicU32; 2] = [const { AtomicU32::new(0) }; 2];

fn wild_load(_: usize) {
    IDS[0].store(sys::current().to_raw(), Ordering::Release);
    // SAFETY: deliberately invalid: nothing is mapped at 0xF000_0000 on this board; the load
    // faults and the kernel ends this thread.
    let v = unsafe { (0xF000_0000 as *const u32).read_volatile() };
    core::hint::black_box(v);
}

fn bad_insn(_: usize) {
    IDS[1].store(sys::current().to_raw(), Ordering::Release);
    // SAFETY: deliberately executes a permanently undefined instruction to raise a UsageFault.
    unsafe { core::arch::asm!("udf #0") };
}

fn survivor(_: usize) {
    sys::sleep(1);
    for id in &IDS {
        let id = ThreadId::from_raw(id.load(Ordering::Acquire));
        check_eq(sys::priority(id), Err(Error::NoSuchThread), "the faulting thread is gone");
    }
    pass();
}
