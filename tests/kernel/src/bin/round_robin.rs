//! Round-robin fairness: three busy threads of equal priority each get about a third of the CPU
//! and take turns every tick; a lower-priority thread never runs while they are ready.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel_tests::{check, check_eq, pass};
use rtos::{println, sys};

rtos::firmware!(board_mps2_an505::Mps2An505);

static COUNTS: [AtomicU32; 3] = [const { AtomicU32::new(0) }; 3];
/// Which spinner ran last, and how often the running spinner changed.
static LAST: AtomicU32 = AtomicU32::new(u32::MAX);
static TURNS: AtomicU32 = AtomicU32::new(0);
static STARVED_RAN: AtomicBool = AtomicBool::new(false);

const WINDOW: u32 = 300;

fn spinner(me: usize) {
    loop {
        COUNTS[me].fetch_add(1, Ordering::Relaxed);
        if LAST.swap(me as u32, Ordering::Relaxed) != me as u32 {
            TURNS.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn starved(_: usize) {
    STARVED_RAN.store(true, Ordering::Release);
}

fn monitor(_: usize) {
    sys::sleep(WINDOW);
    let c: [u32; 3] = core::array::from_fn(|i| COUNTS[i].load(Ordering::Relaxed));
    let turns = TURNS.load(Ordering::Relaxed);
    println!("counts {:?}, turns {} in {} ticks", c, turns, WINDOW);
    let total: u32 = c.iter().sum();
    for (i, &n) in c.iter().enumerate() {
        // Each gets a third, within 5% of the total (slices are whole ticks).
        let share = n as u64 * 1000 / total as u64;
        println!("spin{} share {}.{}%", i, share / 10, share % 10);
        check((283..=383).contains(&share), "each spinner gets about a third of the CPU");
    }
    // One switch per tick among the spinners (the monitor's own wake-up adds none: the preempted
    // spinner resumes). Allow a couple of ticks of start-up slack.
    check(turns + 3 >= WINDOW && turns <= WINDOW + 1, "spinners alternate every tick");
    check_eq(STARVED_RAN.load(Ordering::Acquire), false, "lower priority ran while equals were busy");
    pass();
}
