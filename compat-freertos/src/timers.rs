//! Software timers and the timer service ("daemon") task, with FreeRTOS's semantics.
//!
//! As in FreeRTOS, every timer operation is a command sent through one queue (a [`Queue`] of
//! `configTIMER_QUEUE_LENGTH` [`Command`]s) to the timer task, a task of the compartment at
//! `configTIMER_TASK_PRIORITY` created by `vTaskStartScheduler`. Only that task touches the list
//! of active timers, so the list needs no lock; the few fields other tasks read (state, period,
//! ID, expiry) are atomics. The task sleeps in `xQueueReceive` until the next expiry or the next
//! command: nothing runs while no timer is due.
//!
//! Time: the list is ordered by a 64-bit tick (the task extends FreeRTOS's 32-bit tick count),
//! so a tick-count wrap needs no second list; `xTimerGetExpiryTime` reports the low 32 bits.
//! Per loop the task handles at most one expired timer and then every queued command, and a
//! timer started on the same tick as another expires after it — the reference kernel's order.

use core::cell::UnsafeCell;
use core::ffi::{c_char, c_void};
use core::ptr::null_mut;
use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

use crate::config;
use crate::lock::Lock;
use crate::queue::{self, Queue};
use crate::task::{self, Task};
use crate::{heap, pdFALSE, pdTRUE, BaseType_t, TickType_t, UBaseType_t};

/// `tmrCOMMAND_*` (the values of the FreeRTOS ABI).
pub const EXECUTE_CALLBACK_FROM_ISR: BaseType_t = -2;
pub const EXECUTE_CALLBACK: BaseType_t = -1;
pub const START_DONT_TRACE: BaseType_t = 0;
pub const START: BaseType_t = 1;
pub const RESET: BaseType_t = 2;
pub const STOP: BaseType_t = 3;
pub const CHANGE_PERIOD: BaseType_t = 4;
pub const DELETE: BaseType_t = 5;
pub const FIRST_FROM_ISR: BaseType_t = 6;
pub const START_FROM_ISR: BaseType_t = 6;
pub const RESET_FROM_ISR: BaseType_t = 7;
pub const STOP_FROM_ISR: BaseType_t = 8;
pub const CHANGE_PERIOD_FROM_ISR: BaseType_t = 9;

const ACTIVE: u32 = 1;
const STATIC: u32 = 2;
const AUTO_RELOAD: u32 = 4;

/// Longest single wait of the timer task, so that its 64-bit clock never misses a wrap of the
/// 32-bit tick count.
const MAX_WAIT: TickType_t = 1 << 30;

/// FreeRTOS `TimerCallbackFunction_t`.
pub type TimerCallback = Option<unsafe extern "C" fn(*mut Timer)>;
/// FreeRTOS `PendedFunction_t`.
pub type PendedFunction = Option<unsafe extern "C" fn(*mut c_void, u32)>;

/// A software timer.
#[repr(C)]
pub struct Timer {
    name: *const c_char,
    period: AtomicU32,
    id: AtomicPtr<c_void>,
    callback: TimerCallback,
    /// `ACTIVE | STATIC | AUTO_RELOAD`.
    status: AtomicU32,
    /// FreeRTOS tick of the next expiry (`xTimerGetExpiryTime`).
    expiry: AtomicU32,
    /// `uxTimerGetTimerNumber` (trace facility).
    number: AtomicU32,
    /// Owned by the timer task (other tasks only hold shared references to the timer).
    place: UnsafeCell<Place>,
}

/// A timer's place in the active list: its 64-bit expiry (low, high words: the C buffer type is
/// only 4-byte aligned), the next timer and whether it is on the list.
#[repr(C)]
struct Place {
    when: [u32; 2],
    next: *mut Timer,
    linked: u32,
}

/// A timer's place in the active list.
///
/// # Safety
/// Timer task only (it owns every `place`); `t` is a live timer; the reference is not held
/// across another call of this function for the same timer.
unsafe fn place<'a>(t: *mut Timer) -> &'a mut Place {
    // SAFETY: as stated: nobody else reaches the cell.
    unsafe { &mut *(*t).place.get() }
}

/// FreeRTOS `StaticTimer_t`: room for a [`Timer`] (checked below, and in timers.h's size).
#[repr(C, align(4))]
pub struct StaticTimer_t([u32; 12]);
const _: () = assert!(core::mem::size_of::<Timer>() <= core::mem::size_of::<StaticTimer_t>());
const _: () = assert!(core::mem::align_of::<Timer>() <= core::mem::align_of::<StaticTimer_t>());

type Handle = *mut Timer;

impl Place {
    fn when(&self) -> u64 {
        (self.when[1] as u64) << 32 | self.when[0] as u64
    }
}

impl Timer {
    fn is(&self, flag: u32) -> bool {
        self.status.load(Ordering::Relaxed) & flag != 0
    }
}

/// A message to the timer task (the layout is ours; only this module reads it).
#[repr(C)]
#[derive(Clone, Copy)]
struct Command {
    id: BaseType_t,
    /// Start/reset: the tick the command was given; change period: the new period.
    value: u32,
    /// The timer, or the pended function.
    target: usize,
    param1: *mut c_void,
    param2: u32,
}

impl Command {
    const fn empty() -> Command {
        Command { id: 0, value: 0, target: 0, param1: null_mut(), param2: 0 }
    }
}

/// The command queue and the timer task's handle.
static QUEUE: AtomicPtr<Queue> = AtomicPtr::new(null_mut());
static QUEUE_LOCK: Lock = Lock::new();
static DAEMON: AtomicPtr<Task> = AtomicPtr::new(null_mut());

/// State only the timer task touches: the active list and its 64-bit clock.
struct DaemonState {
    active: *mut Timer,
    last_tick: u32,
    epoch: u64,
}
struct DaemonOnly(UnsafeCell<DaemonState>);
// SAFETY: only the timer task (one thread) ever reaches the cell, through `state`.
unsafe impl Sync for DaemonOnly {}
static STATE: DaemonOnly = DaemonOnly(UnsafeCell::new(DaemonState { active: null_mut(), last_tick: 0, epoch: 0 }));

/// The timer task's own state.
///
/// # Safety
/// Only the timer task calls it, and never holds two of the returned references at once.
unsafe fn state() -> &'static mut DaemonState {
    // SAFETY: the caller is the timer task, the only user of the cell.
    unsafe { &mut *STATE.0.get() }
}

/// The command queue, created on first use (the first timer, pended call or the scheduler
/// start) with `configTIMER_QUEUE_LENGTH` places.
fn command_queue() -> *mut Queue {
    let q = QUEUE.load(Ordering::Acquire);
    if !q.is_null() {
        return q;
    }
    // Without configUSE_TIMERS there is no timer task to carry commands out.
    if !config::check(config::get().use_timers == 1) {
        return null_mut();
    }
    QUEUE_LOCK.lock();
    let mut q = QUEUE.load(Ordering::Acquire);
    if q.is_null() {
        let length = config::get().timer_queue_length;
        q = queue::xQueueGenericCreate(length, core::mem::size_of::<Command>() as u32, queue::TYPE_BASE);
        QUEUE.store(q, Ordering::Release);
    }
    QUEUE_LOCK.unlock();
    config::check(!q.is_null());
    q
}

/// Creates the timer task (from `vTaskStartScheduler`, before any task runs); nothing when
/// `configUSE_TIMERS` is 0.
pub fn start() {
    let cfg = config::get();
    if cfg.use_timers != 1 || !DAEMON.load(Ordering::Relaxed).is_null() {
        return;
    }
    if command_queue().is_null() {
        return;
    }
    let mut handle: *mut Task = null_mut();
    // SAFETY: `daemon` is a task function ignoring its parameter; the name is the application's
    // configTIMER_SERVICE_TASK_NAME string.
    let ok = unsafe {
        task::xTaskCreate(
            Some(daemon),
            cfg.timer_task_name,
            cfg.timer_task_stack_depth,
            null_mut(),
            cfg.timer_task_priority,
            &mut handle,
        )
    };
    if config::check(ok == pdTRUE) {
        DAEMON.store(handle, Ordering::Release);
    }
}

/// The timer task.
///
/// # Safety
/// Only the kernel calls it, as the entry of the timer task created by `start`.
unsafe extern "C" fn daemon(_: *mut c_void) {
    if let Some(hook) = config::get().daemon_startup_hook {
        // SAFETY: the application's vApplicationDaemonTaskStartupHook.
        unsafe { hook() };
    }
    let q = QUEUE.load(Ordering::Acquire);
    let mut cmd = Command::empty();
    loop {
        wait_for_interrupts();
        let now = clock();
        // SAFETY: we are the timer task.
        let head = unsafe { state().active };
        // SAFETY: timers on the active list are live (deletion goes through this task).
        let due = (!head.is_null()).then(|| unsafe { place(head).when() });
        match due {
            Some(when) if when <= now => {
                // SAFETY: the head of the active list, live.
                unsafe { expire(head, when, now) };
            }
            _ => {
                let wait = due.map_or(MAX_WAIT, |when| ((when - now) as TickType_t).min(MAX_WAIT));
                // SAFETY: the command queue holds `Command`s; `cmd` is one.
                if unsafe { queue::xQueueReceive(q, (&mut cmd as *mut Command).cast(), wait) } == pdTRUE {
                    wait_for_interrupts();
                    // SAFETY: a command some task or interrupt function queued.
                    unsafe { execute(cmd) };
                }
            }
        }
        // SAFETY: as above.
        while unsafe { queue::xQueueReceive(q, (&mut cmd as *mut Command).cast(), 0) } == pdTRUE {
            // SAFETY: as above.
            unsafe { execute(cmd) };
        }
    }
}

/// Lets an emulated interrupt (`vCompatRunAsIsr`) finish first. It runs at the top priority,
/// which the timer task may share (`configTIMER_TASK_PRIORITY` 31): time slicing could then
/// switch to this task in the middle of the interrupt function, which a real interrupt never
/// allows. Yielding hands the processor back to it (the mark is set only while the interrupted
/// thread runs at the top priority, so the yield always reaches it).
fn wait_for_interrupts() {
    while crate::isr::xPortIsInsideInterrupt() != pdFALSE {
        rtos_sys::yield_now();
    }
}

/// The timer task's 64-bit tick: FreeRTOS's 32-bit tick count plus the wraps it has seen (it
/// samples at least every [`MAX_WAIT`] ticks, so it sees each one).
fn clock() -> u64 {
    // SAFETY: only the timer task calls this.
    let s = unsafe { state() };
    let t = task::now();
    if t < s.last_tick {
        s.epoch += 1 << 32;
    }
    s.last_tick = t;
    s.epoch | t as u64
}

/// The 64-bit time of a command given at 32-bit tick `tick` (no later than `now`). A tick from
/// before the scheduler started is not comparable: it counts as "now".
fn command_time(tick: u32, now: u64) -> u64 {
    let age = (now as u32).wrapping_sub(tick);
    if age > i32::MAX as u32 {
        now
    } else {
        now.saturating_sub(age as u64)
    }
}

/// Inserts a timer into the active list, after those due at the same time or earlier.
///
/// # Safety
/// Timer task only; `t` is live and not on the list.
unsafe fn insert(t: *mut Timer, when: u64) {
    // SAFETY: timer task; list entries and `t` are live timers.
    unsafe {
        (*t).expiry.store(when as u32, Ordering::Relaxed);
        let mut link: *mut *mut Timer = &mut state().active;
        while !(*link).is_null() && place(*link).when() <= when {
            link = &mut place(*link).next;
        }
        let p = place(t);
        p.when = [when as u32, (when >> 32) as u32];
        p.next = *link;
        p.linked = 1;
        *link = t;
    }
}

/// Takes a timer off the active list if it is on it.
///
/// # Safety
/// As for [`insert`].
unsafe fn unlink(t: *mut Timer) {
    // SAFETY: as for `insert`.
    unsafe {
        if place(t).linked == 0 {
            return;
        }
        let mut link: *mut *mut Timer = &mut state().active;
        while !(*link).is_null() {
            if *link == t {
                *link = place(t).next;
                break;
            }
            link = &mut place(*link).next;
        }
        let p = place(t);
        p.next = null_mut();
        p.linked = 0;
    }
}

/// Calls a timer's callback.
///
/// # Safety
/// `t` is a live timer.
unsafe fn call(t: *mut Timer) {
    // SAFETY: the application's callback with its own timer.
    unsafe {
        if let Some(f) = (*t).callback {
            f(t);
        }
    }
}

/// Re-arms an auto-reload timer that expired at `expired`: one period later, or — if that is
/// already past — calls the callback for each missed period first.
///
/// # Safety
/// Timer task only; `t` is live and off the list.
unsafe fn reload(t: *mut Timer, mut expired: u64, now: u64) {
    // SAFETY: as stated.
    unsafe {
        loop {
            let next = expired + (*t).period.load(Ordering::Relaxed) as u64;
            if next > now {
                insert(t, next);
                return;
            }
            // A missed period: its callback sees it as the expiry time, as in FreeRTOS.
            (*t).expiry.store(next as u32, Ordering::Relaxed);
            expired = next;
            call(t);
        }
    }
}

/// Handles the timer at the head of the list, due at `when`.
///
/// # Safety
/// Timer task only; `t` is the live head of the active list.
unsafe fn expire(t: *mut Timer, when: u64, now: u64) {
    // SAFETY: as stated.
    unsafe {
        unlink(t);
        if (*t).is(AUTO_RELOAD) {
            reload(t, when, now);
        } else {
            (*t).status.fetch_and(!ACTIVE, Ordering::Relaxed);
        }
        call(t);
    }
}

/// Carries out one command.
///
/// # Safety
/// Timer task only; the command names a live timer or a pended function.
unsafe fn execute(cmd: Command) {
    if cmd.id < 0 {
        // SAFETY: `target` is the `PendedFunction` the sender gave.
        let f: PendedFunction = unsafe { core::mem::transmute::<usize, PendedFunction>(cmd.target) };
        if let Some(f) = f {
            // SAFETY: the application's function with its arguments.
            unsafe { f(cmd.param1, cmd.param2) };
        }
        return;
    }
    let t = cmd.target as *mut Timer;
    // SAFETY: the sender named a live timer; we are the timer task.
    unsafe {
        unlink(t);
        let now = clock();
        match cmd.id {
            START | START_FROM_ISR | RESET | RESET_FROM_ISR => {
                (*t).status.fetch_or(ACTIVE, Ordering::Relaxed);
                let due = command_time(cmd.value, now) + (*t).period.load(Ordering::Relaxed) as u64;
                (*t).expiry.store(due as u32, Ordering::Relaxed);
                if due <= now {
                    // Already expired by the time the command was read.
                    if (*t).is(AUTO_RELOAD) {
                        reload(t, due, now);
                    } else {
                        (*t).status.fetch_and(!ACTIVE, Ordering::Relaxed);
                    }
                    call(t);
                } else {
                    insert(t, due);
                }
            }
            STOP | STOP_FROM_ISR => {
                (*t).status.fetch_and(!ACTIVE, Ordering::Relaxed);
            }
            CHANGE_PERIOD | CHANGE_PERIOD_FROM_ISR => {
                (*t).status.fetch_or(ACTIVE, Ordering::Relaxed);
                (*t).period.store(cmd.value, Ordering::Relaxed);
                insert(t, now + cmd.value as u64);
            }
            DELETE => {
                if (*t).is(STATIC) {
                    (*t).status.fetch_and(!ACTIVE, Ordering::Relaxed);
                } else {
                    heap::free(t.cast());
                }
            }
            _ => {}
        }
    }
}

/// The timer behind a handle; a null handle fails `configASSERT`.
fn timer<'a>(h: Handle) -> Option<&'a Timer> {
    if !config::check(!h.is_null()) {
        return None;
    }
    // SAFETY: a handle from xTimerCreate[Static] that has not been deleted.
    Some(unsafe { &*h })
}

fn init(
    t: *mut Timer,
    name: *const c_char,
    period: TickType_t,
    auto_reload: BaseType_t,
    id: *mut c_void,
    f: TimerCallback,
    flags: u32,
) {
    let status = flags | if auto_reload != pdFALSE { AUTO_RELOAD } else { 0 };
    // SAFETY: `t` is memory for a timer owned by the caller.
    unsafe {
        t.write(Timer {
            name,
            period: AtomicU32::new(period),
            id: AtomicPtr::new(id),
            callback: f,
            status: AtomicU32::new(status),
            expiry: AtomicU32::new(0),
            number: AtomicU32::new(0),
            place: UnsafeCell::new(Place { when: [0; 2], next: null_mut(), linked: 0 }),
        })
    };
}

/// FreeRTOS `xTimerCreate`. A zero period fails `configASSERT` (and gives `NULL`).
#[no_mangle]
pub extern "C" fn xTimerCreate(
    name: *const c_char,
    period: TickType_t,
    auto_reload: BaseType_t,
    id: *mut c_void,
    f: TimerCallback,
) -> Handle {
    if !config::check(period > 0) || command_queue().is_null() {
        return null_mut();
    }
    let t = heap::alloc(core::mem::size_of::<Timer>()) as *mut Timer;
    if !t.is_null() {
        init(t, name, period, auto_reload, id, f, 0);
    }
    t
}

/// FreeRTOS `xTimerCreateStatic`.
#[no_mangle]
pub extern "C" fn xTimerCreateStatic(
    name: *const c_char,
    period: TickType_t,
    auto_reload: BaseType_t,
    id: *mut c_void,
    f: TimerCallback,
    buf: *mut StaticTimer_t,
) -> Handle {
    if !config::check(!buf.is_null())
        || !config::static_fits::<Timer>(config::get().static_timer_size)
        || !config::check(period > 0)
        || command_queue().is_null()
    {
        return null_mut();
    }
    let t = buf.cast::<Timer>();
    init(t, name, period, auto_reload, id, f, STATIC);
    t
}

fn send(cmd: &Command, wait: TickType_t) -> BaseType_t {
    let q = QUEUE.load(Ordering::Acquire);
    if q.is_null() {
        return pdFALSE;
    }
    // Before the scheduler runs nobody could empty the queue: never wait then.
    let wait = if task::STARTED.load(Ordering::Relaxed) != 0 { wait } else { 0 };
    // SAFETY: the command queue holds `Command`s.
    unsafe { queue::xQueueGenericSend(q, (cmd as *const Command).cast(), wait, queue::SEND_TO_BACK) }
}

fn send_from_isr(cmd: &Command, woken: *mut BaseType_t) -> BaseType_t {
    let q = QUEUE.load(Ordering::Acquire);
    if q.is_null() {
        return pdFALSE;
    }
    // SAFETY: as above; `woken` is the caller's pxHigherPriorityTaskWoken (or null).
    unsafe { queue::xQueueGenericSendFromISR(q, (cmd as *const Command).cast(), woken, queue::SEND_TO_BACK) }
}

/// Checks a timer command: a known task-side (`from_isr` false) or interrupt-side command and a
/// non-zero new period.
fn valid(h: Handle, id: BaseType_t, value: TickType_t, from_isr: bool) -> bool {
    let side_ok = if from_isr {
        (FIRST_FROM_ISR..=CHANGE_PERIOD_FROM_ISR).contains(&id)
    } else {
        (0..FIRST_FROM_ISR).contains(&id)
    };
    let period_ok = !(id == CHANGE_PERIOD || id == CHANGE_PERIOD_FROM_ISR) || value > 0;
    timer(h).is_some() && config::check(side_ok) && config::check(period_ok)
}

/// FreeRTOS `xTimerGenericCommandFromTask` (behind `xTimerStart`, `xTimerStop`, ...).
#[no_mangle]
pub extern "C" fn xTimerGenericCommandFromTask(
    h: Handle,
    id: BaseType_t,
    value: TickType_t,
    _woken: *mut BaseType_t,
    wait: TickType_t,
) -> BaseType_t {
    if !valid(h, id, value, false) {
        return pdFALSE;
    }
    send(&Command { id, value, target: h as usize, param1: null_mut(), param2: 0 }, wait)
}

/// FreeRTOS `xTimerGenericCommandFromISR` (behind `xTimerStartFromISR`, ...).
#[no_mangle]
pub extern "C" fn xTimerGenericCommandFromISR(
    h: Handle,
    id: BaseType_t,
    value: TickType_t,
    woken: *mut BaseType_t,
    _wait: TickType_t,
) -> BaseType_t {
    if !valid(h, id, value, true) {
        return pdFALSE;
    }
    send_from_isr(&Command { id, value, target: h as usize, param1: null_mut(), param2: 0 }, woken)
}

/// FreeRTOS `xTimerPendFunctionCall`: `f(p1, p2)` runs in the timer task.
#[no_mangle]
pub extern "C" fn xTimerPendFunctionCall(f: PendedFunction, p1: *mut c_void, p2: u32, wait: TickType_t) -> BaseType_t {
    if command_queue().is_null() {
        return pdFALSE;
    }
    send(&Command { id: EXECUTE_CALLBACK, value: 0, target: f.map_or(0, |f| f as usize), param1: p1, param2: p2 }, wait)
}

/// FreeRTOS `xTimerPendFunctionCallFromISR`.
#[no_mangle]
pub extern "C" fn xTimerPendFunctionCallFromISR(
    f: PendedFunction,
    p1: *mut c_void,
    p2: u32,
    woken: *mut BaseType_t,
) -> BaseType_t {
    let cmd = Command {
        id: EXECUTE_CALLBACK_FROM_ISR,
        value: 0,
        target: f.map_or(0, |f| f as usize),
        param1: p1,
        param2: p2,
    };
    send_from_isr(&cmd, woken)
}

/// FreeRTOS `xTimerGetTimerDaemonTaskHandle` (`NULL`, after a failed `configASSERT`, before
/// the scheduler has started).
#[no_mangle]
pub extern "C" fn xTimerGetTimerDaemonTaskHandle() -> *mut Task {
    let h = DAEMON.load(Ordering::Acquire);
    config::check(!h.is_null());
    h
}

/// FreeRTOS `xTimerIsTimerActive`.
#[no_mangle]
pub extern "C" fn xTimerIsTimerActive(h: Handle) -> BaseType_t {
    timer(h).map_or(pdFALSE, |t| t.is(ACTIVE) as BaseType_t)
}

/// FreeRTOS `pvTimerGetTimerID`.
#[no_mangle]
pub extern "C" fn pvTimerGetTimerID(h: Handle) -> *mut c_void {
    timer(h).map_or(null_mut(), |t| t.id.load(Ordering::Relaxed))
}

/// FreeRTOS `vTimerSetTimerID`.
#[no_mangle]
pub extern "C" fn vTimerSetTimerID(h: Handle, id: *mut c_void) {
    if let Some(t) = timer(h) {
        t.id.store(id, Ordering::Relaxed);
    }
}

/// FreeRTOS `pcTimerGetName`.
#[no_mangle]
pub extern "C" fn pcTimerGetName(h: Handle) -> *const c_char {
    timer(h).map_or(core::ptr::null(), |t| t.name)
}

/// FreeRTOS `vTimerSetReloadMode`.
#[no_mangle]
pub extern "C" fn vTimerSetReloadMode(h: Handle, auto_reload: BaseType_t) {
    if let Some(t) = timer(h) {
        if auto_reload != pdFALSE {
            t.status.fetch_or(AUTO_RELOAD, Ordering::Relaxed);
        } else {
            t.status.fetch_and(!AUTO_RELOAD, Ordering::Relaxed);
        }
    }
}

/// FreeRTOS `xTimerGetReloadMode`.
#[no_mangle]
pub extern "C" fn xTimerGetReloadMode(h: Handle) -> BaseType_t {
    timer(h).map_or(pdFALSE, |t| t.is(AUTO_RELOAD) as BaseType_t)
}

/// FreeRTOS `uxTimerGetReloadMode`.
#[no_mangle]
pub extern "C" fn uxTimerGetReloadMode(h: Handle) -> UBaseType_t {
    xTimerGetReloadMode(h) as UBaseType_t
}

/// FreeRTOS `xTimerGetPeriod`.
#[no_mangle]
pub extern "C" fn xTimerGetPeriod(h: Handle) -> TickType_t {
    timer(h).map_or(0, |t| t.period.load(Ordering::Relaxed))
}

/// FreeRTOS `xTimerGetExpiryTime`: the tick of the next (or last) expiry.
#[no_mangle]
pub extern "C" fn xTimerGetExpiryTime(h: Handle) -> TickType_t {
    timer(h).map_or(0, |t| t.expiry.load(Ordering::Relaxed))
}

/// FreeRTOS `xTimerGetStaticBuffer`.
///
/// # Safety
/// `buf` is null (refused through `configASSERT`) or writable; `h` is any value (checked).
#[no_mangle]
pub unsafe extern "C" fn xTimerGetStaticBuffer(h: Handle, buf: *mut *mut StaticTimer_t) -> BaseType_t {
    match timer(h) {
        Some(t) if t.is(STATIC) && config::check(!buf.is_null()) => {
            // SAFETY: the caller's output pointer, checked non-null.
            unsafe { *buf = h.cast() };
            pdTRUE
        }
        _ => pdFALSE,
    }
}

/// FreeRTOS `uxTimerGetTimerNumber` (trace facility).
#[no_mangle]
pub extern "C" fn uxTimerGetTimerNumber(h: Handle) -> UBaseType_t {
    timer(h).map_or(0, |t| t.number.load(Ordering::Relaxed))
}

/// FreeRTOS `vTimerSetTimerNumber` (trace facility).
#[no_mangle]
pub extern "C" fn vTimerSetTimerNumber(h: Handle, n: UBaseType_t) {
    if let Some(t) = timer(h) {
        t.number.store(n, Ordering::Relaxed);
    }
}
