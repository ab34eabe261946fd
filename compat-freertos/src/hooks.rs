//! The hooks the application configures (record `xCompatConfig`, see `include/compat_config.h`)
//! and the tasks that stand in for the FreeRTOS kernel's own work: the idle task (idle hook, freeing the memory of self-deleted tasks) and the
//! tick-hook task. Stack-overflow checks (the painted guard words of a task's stack) live here too.

use core::ffi::c_void;
use core::ptr::null_mut;
use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

use crate::task::{self, Task};
use crate::{pdTRUE, BaseType_t};

use crate::config::{check, get as config};

/// `vApplicationMallocFailedHook`, if configured.
pub fn malloc_failed() {
    if let Some(f) = config().malloc_failed_hook {
        // SAFETY: the application's hook, a C function without arguments.
        unsafe { f() };
    }
}

// ----- stack painting and overflow checks -------------------------------------------------------

/// The byte a new task's stack is filled with (FreeRTOS's `tskSTACK_FILL_BYTE` value, so
/// debuggers show the same picture).
pub const STACK_FILL: u8 = 0xa5;
/// Bytes just above the stack limit that must still hold the fill byte (method 2's 16 bytes,
/// above the 32 the kernel keeps for its context save).
const GUARD: usize = 16;
/// Bytes at the bottom of every stack the kernel reserves (below PSPLIM) for its context save.
pub const KERNEL_RESERVE: usize = 32;

/// Paints `[lo, hi)` (a new task's stack, not yet in use).
///
/// # Safety
/// The range is writable memory owned by the caller, which no thread uses yet.
pub unsafe fn paint(lo: usize, hi: usize) {
    // SAFETY: forwarded to the caller.
    unsafe { core::ptr::write_bytes(lo as *mut u8, STACK_FILL, hi - lo) };
}

/// Bytes of `[lo, hi)`, from the bottom, that still hold the fill byte.
pub fn unused_bytes(lo: usize, hi: usize) -> usize {
    let mut n = 0;
    // The kernel's reserve at the bottom is only written by a context switch of a nearly full
    // stack; count from above it.
    let mut a = lo + KERNEL_RESERVE;
    // SAFETY: `[lo, hi)` is a live task's stack in our compartment's memory.
    while a < hi && unsafe { (a as *const u8).read_volatile() } == STACK_FILL {
        n += 1;
        a += 1;
    }
    n
}

/// With `configCHECK_FOR_STACK_OVERFLOW`, checks the calling task's guard bytes and calls
/// `vApplicationStackOverflowHook` if they were written (the kernel stops the thread itself,
/// with a fault report, once it passes the stack limit).
///
/// # Safety
/// `t` is null or a live control block.
pub unsafe fn check_stack(t: *mut Task) {
    let cfg = config();
    let Some(hook) = cfg.stack_overflow_hook else { return };
    if cfg.check_stack_overflow == 0 || t.is_null() {
        return;
    }
    // SAFETY: a live control block.
    let (lo, hi) = unsafe { ((*t).stack_lo, (*t).stack_hi) };
    if lo == 0 || hi - lo < KERNEL_RESERVE + GUARD {
        return;
    }
    if unused_bytes(lo, lo + KERNEL_RESERVE + GUARD) < GUARD {
        // SAFETY: the application's hook with the task and its NUL-terminated name.
        unsafe { hook(t, task::pcTaskGetName(t)) };
    }
}

// ----- the idle task ---------------------------------------------------------------------------

/// The idle task's control block (null before the scheduler starts).
pub static IDLE: AtomicPtr<Task> = AtomicPtr::new(null_mut());
/// Bumped (and woken) when a task deleted itself: the idle task frees its memory.
pub static ZOMBIES: AtomicU32 = AtomicU32::new(0);

/// The idle task: frees self-deleted tasks, then calls the idle hook over and over (yielding to
/// other priority-0 tasks between calls) or, without a hook, sleeps until a task deletes itself.
///
/// # Safety
/// Only run as the idle task's function (by `start`).
unsafe extern "C" fn idle(_: *mut c_void) {
    let me = task::current_task();
    loop {
        let seen = ZOMBIES.load(Ordering::Acquire);
        task::reap();
        // SAFETY: our own control block.
        unsafe { check_stack(me) };
        match config().idle_hook {
            Some(hook) => {
                // SAFETY: the application's vApplicationIdleHook.
                unsafe { hook() };
                rtos_sys::yield_now();
            }
            None => {
                let _ = rtos_sys::futex_wait(&ZOMBIES, seen, None);
            }
        }
    }
}

/// Called by a task that deleted itself, just before its thread ends.
pub fn zombie_added() {
    ZOMBIES.fetch_add(1, Ordering::Release);
    rtos_sys::futex_wake(&ZOMBIES, 1);
}

/// The tick hook's task: at the most urgent priority, it wakes on every tick and runs the hook as
/// an interrupt would (no task of the compartment runs meanwhile; `FromISR` calls are legal).
///
/// # Safety
/// Only run as the tick-hook task's function (by `start`).
unsafe extern "C" fn tick_hook_task(_: *mut c_void) {
    let Some(hook) = config().tick_hook else { return };
    let mut last = rtos_sys::ticks();
    loop {
        rtos_sys::delay_until(&mut last, 1);
        // SAFETY: the application's vApplicationTickHook, run in the interrupt emulation.
        unsafe { crate::isr::vCompatRunAsIsr(Some(run_hook), hook as *mut c_void) };
    }
}

/// Calls the hook passed as `f`.
///
/// # Safety
/// `f` is an `unsafe extern "C" fn()` that may be called now.
unsafe extern "C" fn run_hook(f: *mut c_void) {
    // SAFETY: `f` is the `unsafe extern "C" fn()` passed by `tick_hook_task`.
    let f: unsafe extern "C" fn() = unsafe { core::mem::transmute::<*mut c_void, unsafe extern "C" fn()>(f) };
    // SAFETY: the application's hook.
    unsafe { f() };
}

/// Creates the idle task (and the tick-hook task when configured); called by
/// `vTaskStartScheduler` before the tasks are released.
pub fn start() {
    let cfg = config();
    let mut h: *mut Task = null_mut();
    // The idle task only calls other compartments through the application's idle hook: without
    // one it leaves the compartment's pool stacks (manifest thread_stacks) to tasks that need them.
    let pool = cfg.idle_hook.is_some();
    // SAFETY: `idle` ignores its parameter; the name is a C string.
    let ok = unsafe {
        task::create_dynamic(Some(idle), c"IDLE".as_ptr(), cfg.idle_stack_depth, null_mut(), 0, &mut h, pool)
    };
    if check(ok == pdTRUE) {
        IDLE.store(h, Ordering::Release);
    }
    if cfg.tick_hook.is_some() {
        let mut t: *mut Task = null_mut();
        // SAFETY: as above.
        let ok: BaseType_t = unsafe {
            task::xTaskCreate(
                Some(tick_hook_task),
                c"TickHook".as_ptr(),
                256,
                null_mut(),
                task::MAX_PRIORITY as u32,
                &mut t,
            )
        };
        if check(ok == pdTRUE) {
            task::uncount();
        }
    }
}
