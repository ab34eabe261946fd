//! Thread control: suspend/resume (another thread, a waiting thread, the caller itself), abort of
//! a sleep and of a futex wait (the call returns `Interrupted`), thread states, stale handles.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use kernel_tests::{check, check_eq, pass};
use rtos::sys::ThreadState;
use rtos::{sys, Error, ThreadId};

rtos::firmware!(board_mps2_an505::Mps2An505);

static IDS: [AtomicU32; 4] = [const { AtomicU32::new(0) }; 4];
static WORD: AtomicU32 = AtomicU32::new(0);
/// Result of the sleeper's sleep and of the waiter's futex wait (1: not yet returned).
static SLEPT: AtomicI32 = AtomicI32::new(1);
static WAITED: AtomicI32 = AtomicI32::new(1);
/// Ticks the sleeper's 100-tick sleep lasted.
static SLEPT_TICKS: AtomicU32 = AtomicU32::new(0);
/// Counts while the spinner runs.
static SPINS: AtomicU32 = AtomicU32::new(0);

fn id(n: usize) -> ThreadId {
    ThreadId::from_raw(IDS[n].load(Ordering::Acquire))
}

fn code(r: Result<(), Error>) -> i32 {
    r.map_or_else(Error::code, |()| 0)
}

/// Priority 4: sleeps 100 ticks (aborted), then waits for good.
fn sleeper(_: usize) {
    IDS[0].store(sys::current().to_raw(), Ordering::Release);
    let t0 = sys::ticks();
    SLEPT.store(code(sys::sleep_checked(100)), Ordering::Release);
    SLEPT_TICKS.store(sys::ticks().wrapping_sub(t0), Ordering::Release);
    let _ = sys::futex_wait(&WORD, 0, None);
}

/// Priority 4: waits on WORD forever (ended by its suspension).
fn waiter(_: usize) {
    IDS[1].store(sys::current().to_raw(), Ordering::Release);
    WAITED.store(code(sys::futex_wait(&WORD, 0, None)), Ordering::Release);
    let _ = sys::futex_wait(&WORD, 0, None);
}

/// Priority 2: counts as long as it gets the CPU.
fn spinner(_: usize) {
    IDS[2].store(sys::current().to_raw(), Ordering::Release);
    loop {
        SPINS.fetch_add(1, Ordering::Relaxed);
    }
}

/// Priority 1: resumes the driver once it suspended itself (it only runs then).
fn resumer(_: usize) {
    IDS[3].store(sys::current().to_raw(), Ordering::Release);
    loop {
        let d = ThreadId::from_raw(DRIVER.load(Ordering::Acquire));
        if sys::thread_state(d) == Ok(ThreadState::Suspended) {
            check_eq(sys::resume(d), Ok(true), "the resumer resumes the suspended driver");
        }
        sys::yield_now();
    }
}

static DRIVER: AtomicU32 = AtomicU32::new(0);

/// Priority 3.
fn driver(_: usize) {
    DRIVER.store(sys::current().to_raw(), Ordering::Release);
    sys::sleep(2);
    check_eq(sys::thread_state(sys::current()), Ok(ThreadState::Running), "own state");
    check_eq(sys::thread_state(id(0)), Ok(ThreadState::Blocked), "sleeper state");
    check_eq(sys::thread_state(id(1)), Ok(ThreadState::Blocked), "waiter state");
    check_eq(sys::thread_state(id(2)), Ok(ThreadState::Ready), "spinner state (preempted)");

    // Abort a sleep: the more urgent sleeper runs at once and sees Interrupted.
    check_eq(sys::abort_wait(id(0)), Ok(true), "abort the sleep");
    check_eq(SLEPT.load(Ordering::Acquire), Error::Interrupted.code(), "the sleep returned");
    check(SLEPT_TICKS.load(Ordering::Acquire) < 100, "the sleep ended early");
    check_eq(sys::abort_wait(id(2)), Ok(false), "nothing to abort in a ready thread");

    // Suspend a futex waiter: a wake finds nobody; the wait ends with Interrupted at resume.
    check_eq(sys::suspend(id(1)), Ok(()), "suspend the waiter");
    check_eq(sys::thread_state(id(1)), Ok(ThreadState::Suspended), "waiter suspended");
    check_eq(sys::suspend(id(1)), Ok(()), "suspending twice is harmless");
    check_eq(sys::abort_wait(id(1)), Ok(false), "a suspended thread has no wait to abort");
    check_eq(sys::futex_wake(&WORD, u32::MAX), 1, "only the sleeper's wait is woken");
    check_eq(WAITED.load(Ordering::Acquire), 1, "the suspended waiter has not run");
    check_eq(sys::resume(id(1)), Ok(true), "resume the waiter");
    check_eq(WAITED.load(Ordering::Acquire), Error::Interrupted.code(), "its wait returned Interrupted");
    check_eq(sys::resume(id(1)), Ok(false), "not suspended any more");

    // A suspended ready thread gets no CPU, even when everything else sleeps.
    check_eq(sys::suspend(id(2)), Ok(()), "suspend the spinner");
    let before = SPINS.load(Ordering::Relaxed);
    sys::sleep(5);
    check_eq(SPINS.load(Ordering::Relaxed), before, "the suspended spinner did not run");
    check_eq(sys::resume(id(2)), Ok(true), "resume the spinner");
    sys::sleep(2);
    check(SPINS.load(Ordering::Relaxed) > before, "the resumed spinner runs again");

    // Suspend the caller: it stops until the resumer (priority 1) resumes it, then returns Ok.
    check_eq(sys::suspend(id(2)), Ok(()), "park the spinner again so the resumer runs");
    check_eq(sys::suspend(sys::current()), Ok(()), "self-suspension returned after the resume");
    check_eq(sys::thread_state(sys::current()), Ok(ThreadState::Running), "running again");

    // Stale handles are refused.
    sys::kill(id(2)).unwrap();
    check_eq(sys::suspend(id(2)), Err(Error::NoSuchThread), "suspend a dead thread");
    check_eq(sys::resume(id(2)), Err(Error::NoSuchThread), "resume a dead thread");
    check_eq(sys::abort_wait(id(2)), Err(Error::NoSuchThread), "abort a dead thread's wait");
    check_eq(sys::thread_state(id(2)), Err(Error::NoSuchThread), "state of a dead thread");
    pass();
}
