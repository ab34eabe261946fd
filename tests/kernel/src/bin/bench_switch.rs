//! Context-switch benchmark. Run under QEMU with `-icount shift=0`, where every guest instruction
//! advances virtual time by 1 ns, so `cycles` of the 20 MHz tick clock convert to instructions.
//!
//! Prints `BENCH <name>: <value> <unit>` lines:
//! - `calibration-loop`: instructions per iteration of a 2-instruction loop (checks the method).
//! - `syscall-yield-noswitch`: a yield with nobody else ready (system call, no switch).
//! - `context-switch-yield`: one yield that switches to another thread (system call + switch).
//! - `context-switch-futex-wake`: half of a futex round trip (wake → switch → wait → switch back),
//!   i.e. one blocking/waking system call plus one switch.
//! - `futex-wake-nowaiter`: a futex wake system call that finds no waiter.
//!
//! Values include the few instructions of the measuring loop itself.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use rtos::{println, sys};

rtos::firmware!(board_mps2_an505::Mps2An505);

const N: u32 = 4000;

/// Instructions per iteration, in tenths.
fn per_iter_tenths(cycles: u64, iters: u32) -> u64 {
    // Under -icount shift=0 one instruction takes 1 ns of virtual time.
    let ns_per_cycle_x1000 = 1_000_000_000_000u64 / sys::clock_hz() as u64;
    cycles * ns_per_cycle_x1000 / 100 / iters as u64
}

fn report(name: &str, cycles: u64, iters: u32) {
    let t = per_iter_tenths(cycles, iters);
    println!("BENCH {}: {}.{} instructions", name, t / 10, t % 10);
}

fn measure(f: impl FnOnce()) -> u64 {
    let t0 = sys::cycles();
    f();
    sys::cycles() - t0
}

static WORD: AtomicU32 = AtomicU32::new(0);

fn yielder(_: usize) {
    loop {
        sys::yield_now();
    }
}

fn waiter(_: usize) {
    loop {
        let _ = sys::futex_wait(&WORD, 0, None);
        WORD.store(0, Ordering::Relaxed);
    }
}

static mut STACK_A: [u8; 1024] = [0; 1024];
static mut STACK_B: [u8; 1024] = [0; 1024];

fn bench(_: usize) {
    const LOOP: u32 = 1_000_000;
    let c = measure(|| {
        // SAFETY: a pure register loop of exactly two instructions per iteration.
        unsafe { core::arch::asm!("1:", "subs {0}, #1", "bne 1b", inout(reg) LOOP => _, options(nomem, nostack)) };
    });
    report("calibration-loop", c, LOOP);

    let c = measure(|| (0..N).for_each(|_| sys::yield_now()));
    report("syscall-yield-noswitch", c, N);

    let c = measure(|| {
        (0..N).for_each(|_| {
            sys::futex_wake(&WORD, 1);
        })
    });
    report("futex-wake-nowaiter", c, N);

    // Yield ping-pong with an equal-priority partner: each iteration is two switching yields.
    // SAFETY: each stack is handed out once.
    let partner = sys::spawn("yielder", 2, unsafe { &mut *core::ptr::addr_of_mut!(STACK_A) }, yielder, 0).unwrap();
    let c = measure(|| (0..N).for_each(|_| sys::yield_now()));
    report("context-switch-yield", c, 2 * N);
    sys::kill(partner).unwrap();

    // Futex ping-pong with a more urgent waiter: wake switches to it, its wait switches back.
    // SAFETY: as above.
    let w = sys::spawn("waiter", 3, unsafe { &mut *core::ptr::addr_of_mut!(STACK_B) }, waiter, 0).unwrap();
    let c = measure(|| {
        (0..N).for_each(|_| {
            WORD.store(1, Ordering::Relaxed);
            sys::futex_wake(&WORD, 1);
        })
    });
    report("context-switch-futex-wake", c, 2 * N);
    sys::kill(w).unwrap();
    println!("bench done");
    sys::shutdown(0);
}
