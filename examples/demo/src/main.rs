//! Demo image: two busy threads share the CPU by time slicing, a consumer preempts them whenever
//! the producer hands it work through a futex, and a thread is created at run time. Alongside, an
//! unprivileged thread in compartment `app` calls compartment `sensor` (see `compartments/`),
//! lends it a store-only buffer, and survives `sensor` faulting.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use rtos::{println, sys};

rtos::firmware!(board_mps2_an505::Mps2An505);

/// Items produced and not yet consumed (the futex word).
static PENDING: AtomicU32 = AtomicU32::new(0);
/// Iterations of each spinner.
static SPINS: [AtomicU32; 2] = [AtomicU32::new(0), AtomicU32::new(0)];
/// Times each spinner noticed it had been switched out and back in.
static RESUMES: [AtomicU32; 2] = [AtomicU32::new(0), AtomicU32::new(0)];

const ROUNDS: u32 = 8;

fn producer(_: usize) {
    let mut wake = sys::ticks();
    for round in 1..=ROUNDS {
        sys::delay_until(&mut wake, 50);
        PENDING.fetch_add(1, Ordering::Release);
        println!("[{:>4}] producer: item {} ready, waking consumer", sys::ticks(), round);
        sys::futex_wake(&PENDING, 1);
        println!("[{:>4}] producer: back after the consumer ran", sys::ticks());
        if round == ROUNDS / 2 {
            static mut LATE_STACK: [u8; 1024] = [0; 1024];
            // SAFETY: this branch runs once, so the stack is handed out exactly once.
            let stack = unsafe { &mut *core::ptr::addr_of_mut!(LATE_STACK) };
            match sys::spawn("late", 2, stack, late, round as usize) {
                Ok(id) => {
                    println!("[{:>4}] producer: created thread 'late' ({:#x}) at run time", sys::ticks(), id.to_raw())
                }
                Err(e) => println!("producer: spawn failed: {}", e),
            }
        }
    }
    sys::sleep(20);
    let (a, b) = (SPINS[0].load(Ordering::Relaxed), SPINS[1].load(Ordering::Relaxed));
    let (ra, rb) = (RESUMES[0].load(Ordering::Relaxed), RESUMES[1].load(Ordering::Relaxed));
    println!(
        "[{:>4}] spin-a: {} iterations, resumed {} times; spin-b: {} iterations, resumed {} times",
        sys::ticks(),
        a,
        ra,
        b,
        rb
    );
    println!("demo finished");
    sys::shutdown(0);
}

fn consumer(_: usize) {
    let mut consumed = 0;
    loop {
        while PENDING.load(Ordering::Acquire) == 0 {
            let _ = sys::futex_wait(&PENDING, 0, None);
        }
        PENDING.fetch_sub(1, Ordering::AcqRel);
        consumed += 1;
        println!("[{:>4}] consumer: took item {} (preempted the producer)", sys::ticks(), consumed);
    }
}

fn spinner(which: usize) {
    let mut last = sys::ticks();
    loop {
        SPINS[which].fetch_add(1, Ordering::Relaxed);
        let now = sys::ticks();
        if now.wrapping_sub(last) > 1 {
            RESUMES[which].fetch_add(1, Ordering::Relaxed);
        }
        last = now;
    }
}

fn late(arg: usize) {
    println!("[{:>4}] late: hello from a thread created at run time (arg {})", sys::ticks(), arg);
    sys::sleep(30);
    println!("[{:>4}] late: exiting", sys::ticks());
}
