//! Shared helpers for the kernel's firmware tests.
//!
//! A test image prints what it observes, checks it with [`check`]/[`check_eq`] and ends with
//! [`pass`]. The harness (`cargo xtask test kernel`) treats exit code 0 as a pass and also matches
//! the `expect` strings of the image's manifest against the console output.
#![no_std]

use core::fmt::Debug;
use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use rtos::{println, sys};

/// Fails the test (exit code 1) unless `cond` holds.
pub fn check(cond: bool, what: &str) {
    if !cond {
        println!("FAIL: {}", what);
        sys::shutdown(1);
    }
}

/// Fails the test unless `left == right`, printing both.
pub fn check_eq<T: PartialEq + Debug>(left: T, right: T, what: &str) {
    if left != right {
        println!("FAIL: {}: got {:?}, expected {:?}", what, left, right);
        sys::shutdown(1);
    }
    println!("ok: {} = {:?}", what, left);
}

/// Ends the test successfully.
pub fn pass() -> ! {
    println!("PASS");
    sys::shutdown(0)
}

/// An append-only log of one-byte events, written by several threads.
pub struct Trace<const N: usize> {
    events: [AtomicU8; N],
    len: AtomicUsize,
}

impl<const N: usize> Trace<N> {
    /// An empty trace.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Trace { events: [const { AtomicU8::new(0) }; N], len: AtomicUsize::new(0) }
    }

    /// Appends an event (ignored when full; `check_trace` then fails on length).
    pub fn push(&self, event: u8) {
        let i = self.len.fetch_add(1, Ordering::AcqRel);
        if i < N {
            self.events[i].store(event, Ordering::Release);
        }
    }

    /// Fails the test unless the trace equals `expected`.
    pub fn check(&self, expected: &[u8], what: &str) {
        let len = self.len.load(Ordering::Acquire).min(N);
        let mut got = [0u8; N];
        for (i, slot) in got.iter_mut().enumerate().take(len) {
            *slot = self.events[i].load(Ordering::Acquire);
        }
        let got = &got[..len];
        let shown = core::str::from_utf8(got).unwrap_or("<non-ascii>");
        let want = core::str::from_utf8(expected).unwrap_or("<non-ascii>");
        check_eq(shown, want, what);
    }
}

/// Spins for about `n` loop iterations without entering the kernel.
pub fn busy(n: u32) {
    for i in 0..n {
        core::hint::black_box(i);
    }
}
