//! Image for the wall-clock and caller-identity cases: `clockprobe` drives them through
//! `timekeeper` (the one compartment with `may_set_clock`) and the C compartment `ctime`. A
//! privileged kernel thread, `kclock`, first checks what kernel threads get.
#![no_std]
#![no_main]

use rtos::{println, sys, Error};

rtos::firmware!(board_mps2_an505::Mps2An505);

/// Prints `kernel: <what> -> <observed>` and whether it is what was expected.
fn report(what: &str, expected: Result<u32, Error>, observed: Result<u32, Error>) {
    let ok = match (expected, observed) {
        (Ok(u32::MAX), Ok(_)) => true,
        (e, o) => e == o,
    };
    println!("kernel: {} -> {:?}{}", what, observed.map(|_| ()), if ok { "" } else { "  FAIL" });
}

/// Runs first (most urgent) and does not set the clock: the probe's "before set" cases follow.
fn kclock(_: usize) {
    report("caller", Err(Error::NotPermitted), sys::caller());
    report("wall clock before set", Err(Error::ClockNotSet), sys::wall_clock().map(|t| t as u32));
    let cap = sys::clock_cap();
    report("clock capability", Ok(u32::MAX), cap.map(|c| c.0));
    if let Ok(cap) = cap {
        // A valid capability and a time out of range: refused for the time, so the capability
        // was accepted.
        report("set to u64::MAX", Err(Error::InvalidArgument), sys::wall_clock_set(cap, u64::MAX).map(|()| 0));
        report("same capability again", Ok(cap.0), sys::clock_cap().map(|c| c.0));
    }
}
