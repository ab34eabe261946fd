//! The case table shared by the boundary-test compartments: each case compares an expected with
//! an observed outcome, prints one `| case | expected | observed | ok |` row and counts failures;
//! [`finish`] ends the run. Every compartment links its own copy (its failure count included).
#![no_std]

use core::sync::atomic::{AtomicU32, Ordering};
use rtos_sys::{println, Error};

static FAILURES: AtomicU32 = AtomicU32::new(0);

/// An expected outcome meaning "any success".
pub const ANY_OK: Result<u32, Error> = Ok(u32::MAX);

/// Checks one case and prints its row. Returns whether it behaved as expected.
pub fn case(name: &str, expected: Result<u32, Error>, observed: Result<u32, Error>) -> bool {
    let ok = match (expected, observed) {
        (ANY_OK, Ok(_)) => true,
        (e, o) => e == o,
    };
    if !ok {
        FAILURES.fetch_add(1, Ordering::Relaxed);
    }
    println!("| {:<38} | {:<30} | {:<30} | {} |", name, show(expected), show(observed), if ok { "ok" } else { "FAIL" });
    ok
}

fn show(r: Result<u32, Error>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.as_str(),
    }
}

/// Turns an export's `u32` result (a value, or a negative error code) into a result.
pub fn decode(r: Result<u32, Error>) -> Result<u32, Error> {
    match r {
        Ok(v) if v >= 0xFFFF_FF00 => Err(Error::from_code(v as i32).unwrap_or(Error::InvalidArgument)),
        other => other,
    }
}

/// `Ok(1)` for true, an error for false: a yes/no fact as a case outcome.
pub fn yes(b: bool) -> Result<u32, Error> {
    if b {
        Ok(1)
    } else {
        Err(Error::InvalidArgument)
    }
}

/// Ends the run: `all <what> cases behaved as expected` and `PASS` (exit 0), or a failure count
/// (exit 1).
pub fn finish(what: &str) -> ! {
    let failures = FAILURES.load(Ordering::Relaxed);
    if failures == 0 {
        println!("all {} cases behaved as expected", what);
        println!("PASS");
        rtos_sys::shutdown(0);
    }
    println!("FAIL: {} {} case(s) did not behave as expected", failures, what);
    rtos_sys::shutdown(1)
}

/// A small formatting buffer for table cells (compartments have no allocator): text written
/// past its capacity `N` is cut off.
pub struct FmtBuf<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> FmtBuf<N> {
    /// An empty buffer.
    pub const fn new() -> Self {
        FmtBuf { bytes: [0; N], len: 0 }
    }

    /// What was written (`"?"` if a cut split a UTF-8 character).
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("?")
    }
}

impl<const N: usize> Default for FmtBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> core::fmt::Write for FmtBuf<N> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let n = s.len().min(N - self.len);
        self.bytes[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}
