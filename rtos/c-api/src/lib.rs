//! `rtos-c`: the runtime and C API of C compartments.
//!
//! A C compartment (`sources = [...]` in an image manifest) is compiled with `arm-none-eabi-gcc`
//! and partially linked together with exactly one Rust runtime archive — this crate's, unless the
//! manifest names another `runtime` that depends on it and re-exports its API. The archive brings
//! the compartment runtime of `rtos-sys` (panic handler, call-return and thread-exit trampolines),
//! `memcpy`/`memset` and the ARM EABI helpers (from `compiler_builtins`), and the `extern "C"`
//! functions below.
//!
//! The C header `rtos.h` is generated from this file by `cargo xtask` with cbindgen (into
//! `target/rtos-gen/include/`); it is never written by hand. Status codes are the kernel's
//! [`rtos_sys::Error`] codes (checked at compile time below), `0` for success.
//!
//! Everything here runs unprivileged in the calling compartment: pointer arguments are C
//! pointers of that compartment, and the kernel checks the ones it is handed against the
//! compartment's view.
#![no_std]
#![deny(missing_docs)]
// The C names are the API (`rtos_*`, `RTOS_*`), and the C types are plain integers and pointers.
#![allow(non_camel_case_types)]

use core::ffi::c_char;

use rtos_sys::{nr, CallDesc, Error, GrantDesc, MAX_GRANTS};

// ---------------------------------------------------------------------------------------------
// Status codes

/// Status codes returned by the C API (`RTOS_OK` or a negative `RTOS_E_*`): the kernel's error
/// codes. A C enum, so the names can be used in `switch` and in expressions without macro
/// surprises; functions return them as `int32_t`.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rtos_status_t {
    /// Success.
    RTOS_OK = 0,
    /// A blocking operation reached its timeout before it was woken.
    RTOS_E_TIMED_OUT = -1,
    /// `rtos_futex_wait`: the word no longer held the expected value.
    RTOS_E_WOULD_BLOCK = -2,
    /// A malformed argument (null pointer, bad length, memory the caller cannot reach, ...).
    RTOS_E_INVALID_ARGUMENT = -3,
    /// The thread handle names no live thread.
    RTOS_E_NO_SUCH_THREAD = -4,
    /// All thread slots are in use.
    RTOS_E_NO_FREE_THREAD_SLOT = -5,
    /// The priority is out of range.
    RTOS_E_BAD_PRIORITY = -6,
    /// The stack is too small or misaligned.
    RTOS_E_BAD_STACK = -7,
    /// The system call is unknown to this kernel.
    RTOS_E_UNKNOWN_SYSCALL = -8,
    /// The operation is not allowed to the caller.
    RTOS_E_NOT_PERMITTED = -9,
    /// Cross-compartment call: the caller has no such import slot.
    RTOS_E_NOT_IMPORTED = -10,
    /// Cross-compartment call: the callee faulted and was unwound.
    RTOS_E_COMPARTMENT_FAULT = -11,
    /// Cross-compartment call: calls nested too deeply.
    RTOS_E_CALL_TOO_DEEP = -12,
    /// Cross-compartment call: too little stack left for the callee.
    RTOS_E_NO_STACK_FOR_CALL = -13,
    /// A sealed handle or key the kernel did not issue, or that was destroyed.
    RTOS_E_INVALID_HANDLE = -14,
    /// A sealed handle opened with a key of another type.
    RTOS_E_WRONG_TYPE = -15,
    /// The kernel's table of sealed objects or keys is full.
    RTOS_E_OUT_OF_OBJECTS = -16,
    /// A capability's base or length is not a multiple of 32 bytes (MPU granule).
    RTOS_E_GRANT_NOT_EXACT = -17,
    /// A capability partly overlaps memory the callee already has.
    RTOS_E_GRANT_OVERLAP = -18,
    /// The compartment is busy.
    RTOS_E_BUSY = -19,
    /// Allocation: the allocation capability's quota has too little left.
    RTOS_E_QUOTA_EXCEEDED = -20,
    /// Allocation: the compartment's heap has no free block that large.
    RTOS_E_OUT_OF_MEMORY = -21,
    /// A sleep or futex wait was ended early by another thread (abort, or suspension).
    RTOS_E_INTERRUPTED = -22,
    /// A call into an export with grant parameters did not lend exactly the grants its signature
    /// declares (base and length in the parameter's registers, the declared kind).
    RTOS_E_GRANT_MISMATCH = -23,
    /// `rtos_wall_clock`: the wall clock has not been set since boot.
    RTOS_E_CLOCK_NOT_SET = -24,
}

/// Every status code above, in the order of `rtos_sys::Error::ALL`.
const CODES: [i32; 24] = [
    rtos_status_t::RTOS_E_TIMED_OUT as i32,
    rtos_status_t::RTOS_E_WOULD_BLOCK as i32,
    rtos_status_t::RTOS_E_INVALID_ARGUMENT as i32,
    rtos_status_t::RTOS_E_NO_SUCH_THREAD as i32,
    rtos_status_t::RTOS_E_NO_FREE_THREAD_SLOT as i32,
    rtos_status_t::RTOS_E_BAD_PRIORITY as i32,
    rtos_status_t::RTOS_E_BAD_STACK as i32,
    rtos_status_t::RTOS_E_UNKNOWN_SYSCALL as i32,
    rtos_status_t::RTOS_E_NOT_PERMITTED as i32,
    rtos_status_t::RTOS_E_NOT_IMPORTED as i32,
    rtos_status_t::RTOS_E_COMPARTMENT_FAULT as i32,
    rtos_status_t::RTOS_E_CALL_TOO_DEEP as i32,
    rtos_status_t::RTOS_E_NO_STACK_FOR_CALL as i32,
    rtos_status_t::RTOS_E_INVALID_HANDLE as i32,
    rtos_status_t::RTOS_E_WRONG_TYPE as i32,
    rtos_status_t::RTOS_E_OUT_OF_OBJECTS as i32,
    rtos_status_t::RTOS_E_GRANT_NOT_EXACT as i32,
    rtos_status_t::RTOS_E_GRANT_OVERLAP as i32,
    rtos_status_t::RTOS_E_BUSY as i32,
    rtos_status_t::RTOS_E_QUOTA_EXCEEDED as i32,
    rtos_status_t::RTOS_E_OUT_OF_MEMORY as i32,
    rtos_status_t::RTOS_E_INTERRUPTED as i32,
    rtos_status_t::RTOS_E_GRANT_MISMATCH as i32,
    rtos_status_t::RTOS_E_CLOCK_NOT_SET as i32,
];

// The C status codes are the kernel's error codes: a new or renumbered `Error` fails the build.
const _: () = {
    assert!(rtos_status_t::RTOS_OK as i32 == 0);
    assert!(CODES.len() == Error::ALL.len());
    let mut i = 0;
    while i < CODES.len() {
        assert!(CODES[i] == Error::ALL[i].code());
        i += 1;
    }
};

/// `rtos_futex_wait` timeout: wait until woken.
pub const RTOS_FOREVER: u32 = u32::MAX;

// ---------------------------------------------------------------------------------------------
// Error handlers (manifest `error_handler = "f"`: `uint32_t f(uint32_t cause, uint32_t pc,
// uint32_t addr)`, run on the faulting thread; returns `RTOS_FAULT_UNWIND` or `RTOS_FAULT_REBOOT`)

/// Error-handler cause: MPU violation (an access outside the compartment's view).
pub const RTOS_FAULT_CAUSE_MEMORY: u32 = 1;
/// Error-handler cause: bus error.
pub const RTOS_FAULT_CAUSE_BUS: u32 = 2;
/// Error-handler cause: undefined instruction (`__builtin_trap`), invalid state, division by zero.
pub const RTOS_FAULT_CAUSE_USAGE: u32 = 3;
/// Error-handler cause: stack overflow (`pc` is 0 if the exception frame could not be stacked).
pub const RTOS_FAULT_CAUSE_STACK_OVERFLOW: u32 = 4;
/// Error-handler cause: anything else.
pub const RTOS_FAULT_CAUSE_OTHER: u32 = 5;
/// Error-handler decision: unwind the faulting call (the caller gets `RTOS_E_COMPARTMENT_FAULT`).
pub const RTOS_FAULT_UNWIND: u32 = 0;
/// Error-handler decision: unwind, then micro-reboot the compartment.
pub const RTOS_FAULT_REBOOT: u32 = 1;
// Literals above so that cbindgen can write them into rtos.h; the ABI is rtos_sys::fault.
const _: () = assert!(RTOS_FAULT_CAUSE_MEMORY == rtos_sys::fault::CAUSE_MEMORY);
const _: () = assert!(RTOS_FAULT_CAUSE_BUS == rtos_sys::fault::CAUSE_BUS);
const _: () = assert!(RTOS_FAULT_CAUSE_USAGE == rtos_sys::fault::CAUSE_USAGE);
const _: () = assert!(RTOS_FAULT_CAUSE_STACK_OVERFLOW == rtos_sys::fault::CAUSE_STACK_OVERFLOW);
const _: () = assert!(RTOS_FAULT_CAUSE_OTHER == rtos_sys::fault::CAUSE_OTHER);
const _: () = assert!(RTOS_FAULT_UNWIND == rtos_sys::fault::UNWIND);
const _: () = assert!(RTOS_FAULT_REBOOT == rtos_sys::fault::REBOOT);

// ---------------------------------------------------------------------------------------------
// Capabilities

/// `rtos_cap_t.kind`: the callee may read the buffer.
pub const RTOS_CAP_READ_ONLY: u32 = 1;
/// `rtos_cap_t.kind`: the callee may read and write the buffer.
pub const RTOS_CAP_READ_WRITE: u32 = 2;
/// `rtos_cap_t.kind`: the callee may write the buffer and read back only what it wrote (the
/// kernel zeroes it first).
pub const RTOS_CAP_STORE_ONLY: u32 = 3;
/// Most capabilities in one call.
pub const RTOS_MAX_CAPS: u32 = 2;
const _: () = assert!(RTOS_MAX_CAPS as usize == MAX_GRANTS);
/// Capability buffers must start and end on multiples of this (the MPU granule); declare them
/// with `RTOS_GRANULE_ALIGNED` and a size that is a multiple of it.
pub const RTOS_GRANULE: u32 = 32;

/// A buffer lent to a callee for one call: `base` and `len` must be multiples of
/// `RTOS_GRANULE` (`RTOS_E_GRANT_NOT_EXACT` otherwise), `kind` one of `RTOS_CAP_*`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtos_cap_t {
    /// First byte.
    pub base: *const core::ffi::c_void,
    /// Length in bytes.
    pub len: u32,
    /// `RTOS_CAP_READ_ONLY`, `RTOS_CAP_READ_WRITE` or `RTOS_CAP_STORE_ONLY`.
    pub kind: u32,
}

/// A buffer lent read-only, as a typed stub parameter and as the parameter an export declares to
/// accept only read-only grants (`uint32_t sum(rtos_read_only_t buf, uint32_t n)`). Passed by
/// value it takes two argument registers: `base`, then `len` (bytes). Build one with
/// `RTOS_READ_ONLY(array)`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtos_read_only_t {
    /// First byte (a multiple of `RTOS_GRANULE`).
    pub base: *const core::ffi::c_void,
    /// Length in bytes (a multiple of `RTOS_GRANULE`).
    pub len: u32,
}

/// A buffer lent read-write (see `rtos_read_only_t`); `RTOS_READ_WRITE(array)`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtos_read_write_t {
    /// First byte.
    pub base: *mut core::ffi::c_void,
    /// Length in bytes.
    pub len: u32,
}

/// A buffer lent store-only (zeroed by the kernel before the callee runs; see
/// `rtos_read_only_t`); `RTOS_STORE_ONLY(array)`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtos_store_only_t {
    /// First byte.
    pub base: *mut core::ffi::c_void,
    /// Length in bytes.
    pub len: u32,
}

// The C grant types and rtos-sys's are the same two words, so a Rust export taking
// `rtos_sys::ReadOnly` and a C caller passing `rtos_read_only_t` agree (and vice versa).
const _: () = {
    use core::mem::{align_of, size_of};
    assert!(size_of::<rtos_read_only_t>() == size_of::<rtos_sys::ReadOnly<'static>>());
    assert!(size_of::<rtos_read_write_t>() == size_of::<rtos_sys::ReadWrite<'static>>());
    assert!(size_of::<rtos_store_only_t>() == size_of::<rtos_sys::StoreOnly<'static>>());
    assert!(align_of::<rtos_read_only_t>() == align_of::<rtos_sys::ReadOnly<'static>>());
    assert!(size_of::<rtos_read_only_t>() == 8 || size_of::<usize>() != 4);
};

// ---------------------------------------------------------------------------------------------
// Raw system calls (the kernel checks every pointer against the caller's view)

/// `svc #n` with r0, r1, r2; returns (r0, r1).
macro_rules! svc3 {
    ($n:expr; $a0:expr, $a1:expr, $a2:expr) => {{
        let r0: u32;
        let r1: u32;
        // SAFETY: `svc` enters the kernel, which reads r0..r2 and writes r0/r1 only; every other
        // register is restored from the exception frame. Pointers passed are checked by the
        // kernel against the calling compartment's view, never trusted.
        unsafe {
            core::arch::asm!("svc #{n}", n = const $n,
                 inlateout("r0") $a0 as u32 => r0, inlateout("r1") $a1 as u32 => r1,
                 in("r2") $a2 as u32, options(nostack));
        }
        (r0, r1)
    }};
}

/// `RTOS_OK` as the functions return it.
const RTOS_OK: i32 = rtos_status_t::RTOS_OK as i32;
/// `RTOS_E_INVALID_ARGUMENT` as the functions return it.
const RTOS_E_INVALID_ARGUMENT: i32 = rtos_status_t::RTOS_E_INVALID_ARGUMENT as i32;

fn status_of<T>(r: Result<T, Error>) -> i32 {
    match r {
        Ok(_) => RTOS_OK,
        Err(e) => e.code(),
    }
}

/// Stores `value` at `out` unless `out` is null.
///
/// # Safety
/// `out` is null or valid for a write of a `u32`.
unsafe fn store(out: *mut u32, value: u32) {
    if !out.is_null() {
        // SAFETY: non-null, and the caller promises it is writable.
        unsafe { out.write(value) };
    }
}

// ---------------------------------------------------------------------------------------------
// Console

/// Writes `len` bytes at `bytes` to the console with one system call (lines of different threads
/// do not interleave). `RTOS_E_INVALID_ARGUMENT` if the bytes are not readable by the caller.
#[no_mangle]
pub extern "C" fn rtos_console_write(bytes: *const u8, len: usize) -> i32 {
    let (r0, _) = svc3!(nr::CONSOLE_WRITE; bytes as usize, len, 0u32);
    (r0 as i32).min(0)
}

/// A console line (one system call per line, or per 128 bytes) with the C API's formatting.
struct Line(rtos_sys::LineWriter);

impl Line {
    const fn new() -> Line {
        Line(rtos_sys::LineWriter::new(rtos_sys::console_write))
    }

    fn push(&mut self, b: u8) {
        self.0.push(b);
    }

    /// Pushes the NUL-terminated string at `s` (nothing for a null pointer).
    ///
    /// # Safety
    /// `s` is null or a NUL-terminated string.
    unsafe fn push_cstr(&mut self, s: *const c_char) {
        if s.is_null() {
            return;
        }
        let mut p = s.cast::<u8>();
        loop {
            // SAFETY: the caller promises a NUL-terminated string; we stop at the NUL.
            let b = unsafe { p.read() };
            if b == 0 {
                break;
            }
            self.push(b);
            // SAFETY: still inside the string (the NUL was not reached).
            p = unsafe { p.add(1) };
        }
    }

    fn push_dec(&mut self, mut v: u32) {
        let mut digits = [0u8; 10];
        let mut n = 0;
        loop {
            digits[n] = b'0' + (v % 10) as u8;
            n += 1;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        for d in digits[..n].iter().rev() {
            self.push(*d);
        }
    }

    fn push_hex(&mut self, v: u32) {
        self.push(b'0');
        self.push(b'x');
        for i in (0..8).rev() {
            let nibble = (v >> (4 * i)) & 0xF;
            self.push(b"0123456789abcdef"[nibble as usize]);
        }
    }

    fn flush(&mut self) {
        self.0.flush();
    }
}

/// Writes the NUL-terminated string `s` and a newline, as one console line.
///
/// # Safety
/// `s` is null (prints an empty line) or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn rtos_puts(s: *const c_char) {
    let mut line = Line::new();
    // SAFETY: forwarded from the caller.
    unsafe { line.push_cstr(s) };
    line.push(b'\n');
}

/// Writes the NUL-terminated string `s` (no newline added).
///
/// # Safety
/// `s` is null (prints nothing) or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn rtos_print(s: *const c_char) {
    let mut line = Line::new();
    // SAFETY: forwarded from the caller.
    unsafe { line.push_cstr(s) };
    line.flush();
}

/// Writes `label`, then `value` in decimal, then a newline, as one console line (a printf-free
/// `printf("%s%u\n", label, value)`).
///
/// # Safety
/// `label` is null or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn rtos_print_u32(label: *const c_char, value: u32) {
    let mut line = Line::new();
    // SAFETY: forwarded from the caller.
    unsafe { line.push_cstr(label) };
    line.push_dec(value);
    line.push(b'\n');
}

/// Writes `label`, then `value` in signed decimal, then a newline, as one console line.
///
/// # Safety
/// `label` is null or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn rtos_print_i32(label: *const c_char, value: i32) {
    let mut line = Line::new();
    // SAFETY: forwarded from the caller.
    unsafe { line.push_cstr(label) };
    if value < 0 {
        line.push(b'-');
    }
    line.push_dec(value.unsigned_abs());
    line.push(b'\n');
}

/// Writes `label`, then `value` as `0x` and 8 hex digits, then a newline, as one console line.
///
/// # Safety
/// `label` is null or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn rtos_print_hex(label: *const c_char, value: u32) {
    let mut line = Line::new();
    // SAFETY: forwarded from the caller.
    unsafe { line.push_cstr(label) };
    line.push_hex(value);
    line.push(b'\n');
}

// ---------------------------------------------------------------------------------------------
// Threads and time

/// Lets other ready threads of the same priority run.
#[no_mangle]
pub extern "C" fn rtos_yield() {
    rtos_sys::yield_now();
}

/// Blocks for `ticks` ticks (0 = yield).
#[no_mangle]
pub extern "C" fn rtos_sleep(ticks: u32) {
    rtos_sys::sleep(ticks);
}

/// Blocks until the 32-bit tick count reaches `tick` (returns at once if it is not ahead).
#[no_mangle]
pub extern "C" fn rtos_sleep_until(tick: u32) {
    rtos_sys::sleep_until(tick);
}

/// The 32-bit tick count (wraps).
#[no_mangle]
pub extern "C" fn rtos_ticks() -> u32 {
    rtos_sys::ticks()
}

/// The 64-bit tick count.
#[no_mangle]
pub extern "C" fn rtos_now() -> u64 {
    rtos_sys::now()
}

/// Ticks per second.
#[no_mangle]
pub extern "C" fn rtos_tick_hz() -> u32 {
    rtos_sys::tick_hz()
}

/// Cycles of the tick clock since boot (finer than ticks, for measurements; frequency:
/// `rtos_clock_hz`).
#[no_mangle]
pub extern "C" fn rtos_cycles() -> u64 {
    rtos_sys::cycles()
}

/// Frequency of `rtos_cycles` in Hz.
#[no_mangle]
pub extern "C" fn rtos_clock_hz() -> u32 {
    rtos_sys::clock_hz()
}

// ---------------------------------------------------------------------------------------------
// The wall clock (microseconds since the Unix epoch, UTC) and who called

/// Stores the wall-clock time, in microseconds since the Unix epoch (UTC, leap seconds not
/// counted), at `us`. `RTOS_E_CLOCK_NOT_SET` until a holder of a clock capability has set it.
///
/// # Safety
/// `us` is null or valid for a write of a `uint64_t`.
#[no_mangle]
pub unsafe extern "C" fn rtos_wall_clock(us: *mut u64) -> i32 {
    let r = rtos_sys::wall_clock();
    if let (Ok(t), false) = (r, us.is_null()) {
        // SAFETY: non-null, and the caller promises it is writable.
        unsafe { us.write(t) };
    }
    status_of(r)
}

/// Stores the compartment's clock capability at `cap`. `RTOS_E_NOT_PERMITTED` unless its
/// manifest has `may_set_clock = true`.
///
/// # Safety
/// `cap` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn rtos_clock_cap(cap: *mut u32) -> i32 {
    let r = rtos_sys::clock_cap();
    if let Ok(c) = r {
        // SAFETY: forwarded from the caller.
        unsafe { store(cap, c.0) };
    }
    status_of(r)
}

/// Steps the wall clock to `us` microseconds since the Unix epoch, presenting clock capability
/// `cap` (its own, or one lent to it). `RTOS_E_INVALID_HANDLE` (forged or revoked),
/// `RTOS_E_WRONG_TYPE` (another kind of handle), `RTOS_E_INVALID_ARGUMENT` (after
/// 9999-12-31 23:59:59.999999).
#[no_mangle]
pub extern "C" fn rtos_wall_clock_set(cap: u32, us: u64) -> i32 {
    status_of(rtos_sys::wall_clock_set(rtos_sys::ClockCap(cap), us))
}

/// Stores at `index` the manifest index of the compartment that called the code now running (the
/// innermost cross-compartment call on this thread) — inside an export: who called it.
/// `RTOS_E_NOT_PERMITTED` outside any call (a thread in its home compartment).
///
/// # Safety
/// `index` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn rtos_caller(index: *mut u32) -> i32 {
    let r = rtos_sys::caller();
    if let Ok(i) = r {
        // SAFETY: forwarded from the caller.
        unsafe { store(index, i) };
    }
    status_of(r)
}

/// Stores at `out` the cycles of the `rtos_cycles` clock the idle thread has spent waiting for
/// an interrupt since boot. Over an interval, elapsed `rtos_cycles` minus elapsed idle cycles is
/// the system's busy time (threads, compartments, interrupt handlers). `RTOS_E_INVALID_ARGUMENT`
/// if `out` is null.
///
/// # Safety
/// `out` is null or valid for a write of a `uint64_t`.
#[no_mangle]
pub unsafe extern "C" fn rtos_idle_cycles(out: *mut u64) -> i32 {
    if out.is_null() {
        return Error::InvalidArgument.code();
    }
    let idle = rtos_sys::idle_cycles();
    // SAFETY: non-null, and the caller promises it is writable.
    unsafe { out.write(idle) };
    RTOS_OK
}

/// The calling thread's handle.
#[no_mangle]
pub extern "C" fn rtos_thread_self() -> u32 {
    rtos_sys::current().to_raw()
}

/// Ends the calling thread (returning from a thread's entry function does the same).
#[no_mangle]
pub extern "C" fn rtos_thread_exit() -> ! {
    rtos_sys::thread_exit()
}

/// Ends the whole system with exit code `code`. The compartment needs the manifest right
/// `may_shutdown = true`; without it the kernel refuses and the compartment faults (a panic).
#[no_mangle]
pub extern "C" fn rtos_shutdown(code: i32) -> ! {
    rtos_sys::shutdown(code)
}

/// Ends the whole system with exit code `code` if the compartment has the manifest right
/// `may_shutdown`; otherwise returns `RTOS_E_NOT_PERMITTED`.
#[no_mangle]
pub extern "C" fn rtos_try_shutdown(code: i32) -> i32 {
    rtos_sys::try_shutdown(code).code()
}

/// Blocks while `*word == expected`, until woken by `rtos_futex_wake` or `timeout` ticks pass
/// (`RTOS_FOREVER`: no timeout). `RTOS_OK` when woken, `RTOS_E_WOULD_BLOCK` if the word
/// differed, `RTOS_E_TIMED_OUT`, `RTOS_E_INVALID_ARGUMENT` (misaligned, or not the caller's
/// memory).
#[no_mangle]
pub extern "C" fn rtos_futex_wait(word: *const u32, expected: u32, timeout: u32) -> i32 {
    let (r0, _) = svc3!(nr::FUTEX_WAIT; word as usize, expected, timeout);
    (r0 as i32).min(0)
}

/// Wakes up to `count` waiters of `word` (`RTOS_FOREVER` = all); returns how many woke, or a
/// negative status.
#[no_mangle]
pub extern "C" fn rtos_futex_wake(word: *const u32, count: u32) -> i32 {
    let (r0, _) = svc3!(nr::FUTEX_WAKE; word as usize, count, 0u32);
    r0 as i32
}

// ---------------------------------------------------------------------------------------------
// Sealed handles

/// Creates a sealing key (a handle type) owned by the calling compartment; stores it at `key`.
///
/// # Safety
/// `key` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn rtos_seal_key_create(key: *mut u32) -> i32 {
    let r = rtos_sys::seal_key_create();
    if let Ok(k) = r {
        // SAFETY: forwarded from the caller.
        unsafe { store(key, k.0) };
    }
    status_of(r)
}

/// Seals `payload` under `key`; stores the handle at `handle`. `RTOS_E_NOT_PERMITTED` for a key
/// the caller does not own.
///
/// # Safety
/// `handle` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn rtos_seal(key: u32, payload: u32, handle: *mut u32) -> i32 {
    let r = rtos_sys::seal(rtos_sys::SealKey(key), payload);
    if let Ok(h) = r {
        // SAFETY: forwarded from the caller.
        unsafe { store(handle, h.0) };
    }
    status_of(r)
}

/// Opens `handle` with `key`; stores the payload at `payload`. `RTOS_E_INVALID_HANDLE` (forged
/// or destroyed), `RTOS_E_WRONG_TYPE` (sealed under another key), `RTOS_E_NOT_PERMITTED`.
///
/// # Safety
/// `payload` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn rtos_unseal(key: u32, handle: u32, payload: *mut u32) -> i32 {
    let r = rtos_sys::unseal(rtos_sys::SealKey(key), rtos_sys::Sealed(handle));
    if let Ok(p) = r {
        // SAFETY: forwarded from the caller.
        unsafe { store(payload, p) };
    }
    status_of(r)
}

/// Destroys the object behind `handle` (every copy becomes stale); stores its payload at
/// `payload`.
///
/// # Safety
/// `payload` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn rtos_seal_destroy(key: u32, handle: u32, payload: *mut u32) -> i32 {
    let r = rtos_sys::seal_destroy(rtos_sys::SealKey(key), rtos_sys::Sealed(handle));
    if let Ok(p) = r {
        // SAFETY: forwarded from the caller.
        unsafe { store(payload, p) };
    }
    status_of(r)
}

// ---------------------------------------------------------------------------------------------
// Static sealing keys and sealed objects (manifest `sealing_keys`, `sealed_imports`)

/// Stores the compartment's static sealing key number `index` at `key`.
/// `RTOS_E_INVALID_ARGUMENT` for a key it does not own.
///
/// # Safety
/// `key` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn rtos_static_key(index: u32, key: *mut u32) -> i32 {
    let r = rtos_sys::static_key(index);
    if let Ok(k) = r {
        // SAFETY: forwarded from the caller.
        unsafe { store(key, k.0) };
    }
    status_of(r)
}

/// Stores the handle of the static sealed object imported in `slot` at `handle`.
/// `RTOS_E_INVALID_ARGUMENT` for an object the compartment does not import.
///
/// # Safety
/// `handle` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn rtos_static_sealed(slot: u32, handle: *mut u32) -> i32 {
    let r = rtos_sys::static_sealed(slot);
    if let Ok(h) = r {
        // SAFETY: forwarded from the caller.
        unsafe { store(handle, h.0) };
    }
    status_of(r)
}

/// Opens static sealed object `handle` with `key` and copies its contents (at most
/// `RTOS_SEALED_CONTENTS_MAX` = 64 bytes) to `buf`; stores their length at `len`.
///
/// # Safety
/// `buf` is valid for 64 writable bytes; `len` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn rtos_sealed_contents(key: u32, handle: u32, buf: *mut u8, len: *mut u32) -> i32 {
    if buf.is_null() {
        return Error::InvalidArgument.code();
    }
    // SAFETY: the caller promises 64 writable bytes at `buf`.
    let out = unsafe { &mut *(buf as *mut [u8; rtos_sys::SEALED_CONTENTS_MAX]) };
    let r = rtos_sys::sealed_contents(rtos_sys::SealKey(key), rtos_sys::Sealed(handle), out);
    if let Ok(n) = r {
        // SAFETY: forwarded from the caller.
        unsafe { store(len, n as u32) };
    }
    status_of(r)
}

// ---------------------------------------------------------------------------------------------
// The heap (allocation capabilities name quotas)

/// Stores the compartment's own allocation capability at `cap`.
///
/// # Safety
/// `cap` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn rtos_heap_cap(cap: *mut u32) -> i32 {
    let r = rtos_sys::heap_cap();
    if let Ok(c) = r {
        // SAFETY: forwarded from the caller.
        unsafe { store(cap, c.0) };
    }
    status_of(r)
}

/// Allocates `size` bytes (zeroed, 32-byte aligned) in the compartment's heap, charged to
/// capability `cap`; returns null on failure (`RTOS_E_QUOTA_EXCEEDED`, `RTOS_E_OUT_OF_MEMORY`,
/// a bad capability), with the status at `status` if it is not null.
///
/// # Safety
/// `status` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn rtos_heap_alloc(cap: u32, size: usize, status: *mut i32) -> *mut u8 {
    let r = rtos_sys::heap_alloc(rtos_sys::AllocCap(cap), size);
    if !status.is_null() {
        // SAFETY: forwarded from the caller.
        unsafe { status.write(status_of(r)) };
    }
    r.unwrap_or_default()
}

/// Frees a block allocated with capability `cap`. `RTOS_E_INVALID_ARGUMENT` if `ptr` is not the
/// start of such a block in this compartment's heap.
#[no_mangle]
pub extern "C" fn rtos_heap_free(cap: u32, ptr: *mut u8) -> i32 {
    status_of(rtos_sys::heap_free(rtos_sys::AllocCap(cap), ptr))
}

/// Frees everything charged to capability `cap`, in every compartment; stores the bytes freed at
/// `freed`.
///
/// # Safety
/// `freed` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn rtos_heap_free_all(cap: u32, freed: *mut u32) -> i32 {
    let r = rtos_sys::heap_free_all(rtos_sys::AllocCap(cap));
    if let Ok(n) = r {
        // SAFETY: forwarded from the caller.
        unsafe { store(freed, n) };
    }
    status_of(r)
}

/// Stores the bytes in use and the limit of capability `cap`'s quota.
///
/// # Safety
/// `used` and `limit` are null or writable.
#[no_mangle]
pub unsafe extern "C" fn rtos_heap_quota(cap: u32, used: *mut u32, limit: *mut u32) -> i32 {
    let r = rtos_sys::heap_quota(rtos_sys::AllocCap(cap));
    if let Ok(q) = r {
        // SAFETY: forwarded from the caller.
        unsafe {
            store(used, q.used);
            store(limit, q.limit);
        }
    }
    status_of(r)
}

// ---------------------------------------------------------------------------------------------
// Cross-compartment calls (the generated `imports.h` wraps these per import)

/// Calls the export bound to import slot `slot` with four arguments; stores its result at `ret`.
/// `RTOS_E_NOT_IMPORTED`, `RTOS_E_COMPARTMENT_FAULT` (the callee faulted and was unwound),
/// `RTOS_E_CALL_TOO_DEEP`, `RTOS_E_NO_STACK_FOR_CALL`.
///
/// # Safety
/// `ret` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn rtos_call(slot: u32, a0: u32, a1: u32, a2: u32, a3: u32, ret: *mut u32) -> i32 {
    let r = rtos_sys::call(slot, [a0, a1, a2, a3]);
    if let Ok(v) = r {
        // SAFETY: forwarded from the caller.
        unsafe { store(ret, v) };
    }
    status_of(r)
}

/// Calls import `slot` with the four register values at `args` and lends the `ncaps` buffers at
/// `caps` (`ncaps <= RTOS_MAX_CAPS`) for the call; stores the result at `ret`. The typed stubs
/// in `imports.h` call this, placing each grant's base and length in `args` at its parameter's
/// position. Errors as `rtos_call_caps`.
///
/// # Safety
/// `args` points to 4 words, `caps` to `ncaps` capabilities (may be null when 0); `ret` is null
/// or writable.
#[no_mangle]
pub unsafe extern "C" fn rtos_call_granted(
    slot: u32,
    args: *const u32,
    caps: *const rtos_cap_t,
    ncaps: usize,
    ret: *mut u32,
) -> i32 {
    if ncaps > MAX_GRANTS || args.is_null() || (ncaps > 0 && caps.is_null()) {
        return RTOS_E_INVALID_ARGUMENT;
    }
    let mut desc = CallDesc { slot, ngrants: ncaps as u32, ..CallDesc::default() };
    for (i, a) in desc.args.iter_mut().enumerate() {
        // SAFETY: `args` holds 4 words (checked non-null above).
        *a = unsafe { args.add(i).read() };
    }
    for i in 0..ncaps {
        // SAFETY: `caps` holds `ncaps` entries (checked non-null above).
        let c = unsafe { caps.add(i).read() };
        desc.grants[i] = GrantDesc { base: c.base as usize as u32, len: c.len, kind: c.kind };
    }
    let r = rtos_sys::call_raw(&desc);
    if let Ok(v) = r {
        // SAFETY: forwarded from the caller.
        unsafe { store(ret, v) };
    }
    status_of(r)
}

/// Calls import `slot` lending `ncaps` buffers (`caps`) for the duration of the call: the callee
/// receives their base addresses as its first arguments, followed by the `nargs` words at `args`
/// (`ncaps + nargs <= 4`, `ncaps <= RTOS_MAX_CAPS`, else `RTOS_E_INVALID_ARGUMENT`). Stores the
/// result at `ret`. Besides the errors of `rtos_call`: `RTOS_E_GRANT_NOT_EXACT`,
/// `RTOS_E_GRANT_OVERLAP`, `RTOS_E_NOT_PERMITTED` (a buffer the caller does not hold with those
/// rights).
///
/// # Safety
/// `caps` points to `ncaps` capabilities and `args` to `nargs` words (either may be null when its
/// count is 0); `ret` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn rtos_call_caps(
    slot: u32,
    caps: *const rtos_cap_t,
    ncaps: usize,
    args: *const u32,
    nargs: usize,
    ret: *mut u32,
) -> i32 {
    if ncaps > MAX_GRANTS || ncaps + nargs > 4 || (ncaps > 0 && caps.is_null()) || (nargs > 0 && args.is_null()) {
        return RTOS_E_INVALID_ARGUMENT;
    }
    let mut desc = CallDesc { slot, ngrants: ncaps as u32, ..CallDesc::default() };
    for i in 0..ncaps {
        // SAFETY: `caps` holds `ncaps` entries (checked non-null above).
        let c = unsafe { caps.add(i).read() };
        desc.grants[i] = GrantDesc { base: c.base as usize as u32, len: c.len, kind: c.kind };
        desc.args[i] = c.base as usize as u32;
    }
    for i in 0..nargs {
        // SAFETY: `args` holds `nargs` words (checked non-null above).
        desc.args[ncaps + i] = unsafe { args.add(i).read() };
    }
    let r = rtos_sys::call_raw(&desc);
    if let Ok(v) = r {
        // SAFETY: forwarded from the caller.
        unsafe { store(ret, v) };
    }
    status_of(r)
}
