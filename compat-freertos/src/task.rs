//! Tasks: a kernel thread of the compartment plus a control block ([`Task`]) in its memory.
//!
//! Scheduler start: tasks created before `vTaskStartScheduler` get their thread at once, but the
//! thread first waits on the futex word [`STARTED`]; `vTaskStartScheduler` sets it, wakes them all
//! (most urgent first, FIFO among equals) and ends the thread that ran `main`. Tick counts are
//! relative to that moment, like FreeRTOS's tick count, which starts at 0 with the scheduler.

use core::cell::UnsafeCell;
use core::ffi::{c_char, c_void};
use core::ptr::null_mut;
use core::sync::atomic::{AtomicU32, Ordering};

use rtos_sys::{ThreadId, ThreadParams};

use crate::config::check;
use crate::hooks;
use crate::lock::{Lock, RecursiveLock};
use crate::queue::Queue;
use crate::{heap, pdFALSE, pdTRUE, portMAX_DELAY, BaseType_t, TickType_t, UBaseType_t};

/// The kernel's most urgent priority; FreeRTOS priorities are used as kernel priorities.
pub const MAX_PRIORITY: u8 = 31;
/// Bytes of a task name kept (with the terminating NUL), `configMAX_TASK_NAME_LEN`.
pub const NAME_LEN: usize = 16;
/// The MPU granule: a task stack must be a whole number of them, aligned.
const GRANULE: usize = 32;

const DYNAMIC_TCB: u32 = 1;
const DYNAMIC_STACK: u32 = 2;
/// The task runs on a stack of the compartment's kernel-reserved pool.
const POOL_STACK: u32 = 4;

/// FreeRTOS `TaskFunction_t`.
pub type TaskFunction_t = Option<unsafe extern "C" fn(*mut c_void)>;

/// A task control block.
#[repr(C)]
pub struct Task {
    /// Kernel thread handle (raw).
    pub thread: AtomicU32,
    /// Base priority.
    pub priority: AtomicU32,
    name: [u8; NAME_LEN],
    entry: TaskFunction_t,
    param: *mut c_void,
    /// Stack block to free (dynamic stacks).
    stack: *mut u8,
    flags: u32,
    /// Next task of the compartment's registry.
    next: *mut Task,
    /// Blocked on a queue: next waiter of the same list, whether a waker chose it, and which
    /// queue (all guarded by that queue's lock).
    pub wait_next: *mut Task,
    pub wait_woken: u32,
    pub wait_prio: u32,
    pub waiting_on: *mut Queue,
    // ---- suspension, notifications, stacks, TLS, tags --------------------------------------
    /// The stack the thread runs on, `[stack_lo, stack_hi)`, painted at creation (0: unknown).
    pub stack_lo: usize,
    pub stack_hi: usize,
    /// Set by `xTaskAbortDelay` just before it ends the task's wait (FreeRTOS `ucDelayAborted`):
    /// lets a blocking call tell an abort from a suspension (both end the wait `Interrupted`).
    pub delay_aborted: AtomicU32,
    /// Thread-local storage pointers.
    tls: [*mut c_void; MAX_TLS],
    /// Application task tag.
    tag: TaskHookFunction_t,
    /// Notification slots.
    pub notify: crate::notify::Slots,
    /// The thread parameters while the thread is created: in the control block (compartment
    /// memory every task can read), because for a pool stack the kernel writes the stack it chose
    /// here and the new task reads it (`adopt_pool_stack`).
    spawn: UnsafeCell<ThreadParams>,
    // Priority inheritance (priority.rs): the priority inherited from tasks waiting for a mutex
    // this task holds (0: none, otherwise above the base), and how many mutexes it holds.
    pub inherited: AtomicU32,
    pub mutexes_held: AtomicU32,
}

/// Thread-local storage pointers per task the runtime provides (the header allows up to this).
pub const MAX_TLS: usize = 8;

/// FreeRTOS `TaskHookFunction_t`.
pub type TaskHookFunction_t = Option<unsafe extern "C" fn(*mut c_void) -> BaseType_t>;

/// FreeRTOS `StaticTask_t`: room for a [`Task`] (checked below), with space to spare so that the
/// control block can grow without changing the C type.
#[repr(C, align(4))]
pub struct StaticTask_t([u32; 64]);
const _: () = assert!(core::mem::size_of::<Task>() <= core::mem::size_of::<StaticTask_t>());
const _: () = assert!(core::mem::align_of::<Task>() <= core::mem::align_of::<StaticTask_t>());

impl Task {
    const fn empty() -> Task {
        Task {
            thread: AtomicU32::new(0),
            priority: AtomicU32::new(0),
            name: [0; NAME_LEN],
            entry: None,
            param: null_mut(),
            stack: null_mut(),
            flags: 0,
            next: null_mut(),
            wait_next: null_mut(),
            wait_woken: 0,
            wait_prio: 0,
            waiting_on: null_mut(),
            stack_lo: 0,
            stack_hi: 0,
            delay_aborted: AtomicU32::new(0),
            tls: [null_mut(); MAX_TLS],
            tag: None,
            notify: crate::notify::Slots::new(),
            spawn: UnsafeCell::new(ThreadParams {
                entry: task_start,
                arg0: 0,
                arg1: 0,
                priority: 0,
                stack_base: null_mut(),
                stack_size: 0,
                name: core::ptr::null(),
                name_len: 0,
            }),
            inherited: AtomicU32::new(0),
            mutexes_held: AtomicU32::new(0),
        }
    }
}

/// The compartment's tasks (a list through `Task::next`) and tasks that deleted themselves,
/// whose memory is freed once their thread has ended.
struct Registry {
    lock: Lock,
    tasks: UnsafeCell<*mut Task>,
    zombies: UnsafeCell<*mut Task>,
    count: AtomicU32,
}

// SAFETY: the lists are only touched with `lock` held.
unsafe impl Sync for Registry {}

static REGISTRY: Registry = Registry {
    lock: Lock::new(),
    tasks: UnsafeCell::new(null_mut()),
    zombies: UnsafeCell::new(null_mut()),
    count: AtomicU32::new(0),
};

/// The control block of a thread that was not created through this API (the one running
/// `main`): it has a handle, a name and a priority so that the API works before the start.
struct Boot(UnsafeCell<Task>);
// SAFETY: only the boot thread uses it (set once, read afterwards).
unsafe impl Sync for Boot {}
static BOOT: Boot = Boot(UnsafeCell::new(Task::empty()));

/// 0 until `vTaskStartScheduler`; task threads wait on it.
pub static STARTED: AtomicU32 = AtomicU32::new(0);
/// Kernel tick at which the scheduler started (FreeRTOS tick 0).
static T0: AtomicU32 = AtomicU32::new(0);

/// The critical-section / scheduler-suspension lock of the compartment.
pub static CRITICAL: RecursiveLock = RecursiveLock::new();

/// FreeRTOS tick count now.
pub fn now() -> TickType_t {
    rtos_sys::ticks().wrapping_sub(T0.load(Ordering::Relaxed))
}

fn with_registry<R>(f: impl FnOnce(&mut *mut Task, &mut *mut Task) -> R) -> R {
    REGISTRY.lock.lock();
    // SAFETY: the registry lock is held.
    let r = unsafe { f(&mut *REGISTRY.tasks.get(), &mut *REGISTRY.zombies.get()) };
    REGISTRY.lock.unlock();
    r
}

/// The calling task's control block. Found by the stack pointer, which lies in exactly one
/// task's stack, so the hot paths (notifications, queue operations) need no system call; only
/// the thread that ran `main` (whose stack is the manifest's) is looked up by its handle.
pub fn current_task() -> *mut Task {
    // Without a system call for tasks whose stack the layer placed (whoami.rs).
    let fast = crate::whoami::lookup();
    if !fast.is_null() {
        return fast;
    }
    let sp = stack_pointer();
    let found = with_registry(|tasks, _| {
        let mut t = *tasks;
        while !t.is_null() {
            // SAFETY: registry entries are live control blocks (lock held).
            unsafe {
                if (*t).stack_lo <= sp && sp < (*t).stack_hi {
                    return t;
                }
                t = (*t).next;
            }
        }
        null_mut()
    });
    if !found.is_null() {
        return found;
    }
    let me = rtos_sys::current().to_raw();
    let boot = BOOT.0.get();
    // SAFETY: the boot block's thread word is written once, by the boot thread, in
    // `compat_freertos_main` (or below for a `main` entered some other way) before any other thread
    // of the compartment exists.
    let boot_thread = unsafe { (*boot).thread.load(Ordering::Relaxed) };
    if boot_thread == 0 || boot_thread == me {
        // SAFETY: as above: only the boot thread gets here while the word is 0 or its own.
        unsafe { adopt_boot(boot, me) };
        return boot;
    }
    foreign_task(me)
}

/// Fills the boot block for thread `me` (the one running `main`).
///
/// # Safety
/// Only the boot thread calls this.
unsafe fn adopt_boot(boot: *mut Task, me: u32) {
    // SAFETY: forwarded to the caller.
    unsafe {
        if (*boot).thread.load(Ordering::Relaxed) != me {
            (*boot).thread.store(me, Ordering::Relaxed);
            (*boot).priority.store(rtos_sys::priority(rtos_sys::current()).unwrap_or(0) as u32, Ordering::Relaxed);
            (&mut (*boot).name)[..4].copy_from_slice(b"main");
        }
    }
}

/// Control blocks of threads of *other* compartments that run here through a call (a list
/// through `Task::next`, guarded by the registry lock). Threads migrate into the compartment's
/// exports; FreeRTOS calls they make there (blocking on a queue, say) need a control block of
/// their own. It is made on first use from the compartment heap and kept (at most one per kernel
/// thread slot); it is not a task of the compartment (not counted, not deletable through it).
static FOREIGN: ForeignList = ForeignList(UnsafeCell::new(null_mut()));
struct ForeignList(UnsafeCell<*mut Task>);
// SAFETY: accessed only with the registry lock held.
unsafe impl Sync for ForeignList {}

/// The control block of foreign thread `me`, made on first use; the boot block if the heap is
/// exhausted (after the malloc-failed hook), which keeps the caller working but unidentified.
fn foreign_task(me: u32) -> *mut Task {
    let found = with_registry(|_, _| {
        // SAFETY: registry lock held; entries are live blocks made below.
        unsafe {
            let mut t = *FOREIGN.0.get();
            while !t.is_null() {
                if (*t).thread.load(Ordering::Relaxed) == me {
                    return t;
                }
                t = (*t).next;
            }
        }
        null_mut()
    });
    if !found.is_null() {
        return found;
    }
    let t = heap::alloc(core::mem::size_of::<Task>()) as *mut Task;
    if t.is_null() {
        return BOOT.0.get();
    }
    // SAFETY: a fresh block of our heap, large enough for a control block.
    unsafe {
        init(t, None, c"foreign".as_ptr(), null_mut());
        (*t).thread.store(me, Ordering::Relaxed);
        let prio = rtos_sys::priority(rtos_sys::ThreadId::from_raw(me)).unwrap_or(0) as u32;
        (*t).priority.store(prio, Ordering::Relaxed);
        (*t).flags = DYNAMIC_TCB;
    }
    with_registry(|_, _| {
        // SAFETY: registry lock held; `t` is not in the list yet.
        unsafe {
            (*t).next = *FOREIGN.0.get();
            *FOREIGN.0.get() = t;
        }
    });
    t
}

/// The calling task's effective priority (inheritance included).
pub fn current_priority() -> u32 {
    // SAFETY: `current_task` returns a live control block.
    unsafe { crate::priority::effective(current_task()) }
}

fn task_of(handle: *mut Task) -> *mut Task {
    if handle.is_null() {
        current_task()
    } else {
        handle
    }
}

/// Frees the memory of self-deleted tasks whose threads have ended (the idle task's job, and
/// done again before every creation).
pub fn reap() {
    let mut free_list: *mut Task = null_mut();
    with_registry(|_, zombies| {
        let mut link: *mut *mut Task = zombies;
        // SAFETY: zombie entries are control blocks no live thread uses (lock held).
        unsafe {
            while !(*link).is_null() {
                let t = *link;
                let alive = rtos_sys::priority(ThreadId::from_raw((*t).thread.load(Ordering::Relaxed))).is_ok();
                if alive {
                    link = &mut (*t).next;
                } else {
                    *link = (*t).next;
                    (*t).next = free_list;
                    free_list = t;
                }
            }
        }
    });
    while !free_list.is_null() {
        let t = free_list;
        // SAFETY: unlinked above; nothing else refers to it.
        unsafe {
            free_list = (*t).next;
            release(t);
        }
    }
}

/// Frees a control block's dynamic memory.
///
/// # Safety
/// `t` is a control block no thread and no list uses any more.
unsafe fn release(t: *mut Task) {
    // SAFETY: the caller guarantees `t` is unused.
    let (flags, stack) = unsafe { ((*t).flags, (*t).stack) };
    if flags & DYNAMIC_STACK != 0 {
        heap::free(stack);
    }
    if flags & DYNAMIC_TCB != 0 {
        heap::free(t.cast());
    }
}

/// First code of every task thread: wait for the scheduler, run the task, delete it if it
/// returns.
///
/// # Safety
/// Only the kernel calls it, as the entry of the thread `create` made: `tcb` is that task's control
/// block.
unsafe extern "C" fn task_start(tcb: usize, _: usize) {
    let t = tcb as *mut Task;
    // The creator stores it too, but a more urgent task runs before its creator gets back.
    // SAFETY: `tcb` is this task's control block, set up by `create`.
    unsafe { (*t).thread.store(rtos_sys::current().to_raw(), Ordering::Release) };
    // SAFETY: as above; `flags` is set before the thread exists.
    if unsafe { (*t).flags } & POOL_STACK != 0 {
        // SAFETY: as above: our own control block, whose parameters the kernel filled in.
        unsafe { adopt_pool_stack(t) };
    }
    while STARTED.load(Ordering::Acquire) == 0 {
        let _ = rtos_sys::futex_wait(&STARTED, 0, None);
    }
    // SAFETY: as above.
    let (entry, param) = unsafe { ((*t).entry, (*t).param) };
    if let Some(f) = entry {
        // SAFETY: the application's task function with its parameter.
        unsafe { f(param) };
    }
    vTaskDelete(null_mut());
}

/// Creates the thread of a prepared control block and registers it.
/// A null `stack` asks the kernel for a pool stack of at least `stack_len` bytes.
///
/// # Safety
/// `t` is a prepared control block owned by the caller, not yet registered; `stack` is null or
/// `stack_len` bytes of the compartment's memory that only this task will use.
unsafe fn create(t: *mut Task, stack: *mut u8, stack_len: usize, priority: u32) -> bool {
    let pool = stack.is_null();
    // The kernel wants a granule-aligned stack of whole granules inside our memory.
    let (base, end) = if pool {
        (0, stack_len.next_multiple_of(GRANULE))
    } else {
        ((stack as usize).next_multiple_of(GRANULE), (stack as usize + stack_len) & !(GRANULE - 1))
    };
    if end <= base {
        return false;
    }
    // SAFETY: `t` is a control block owned by the caller.
    let name = unsafe { &(*t).name };
    let name_len = name.iter().position(|&b| b == 0).unwrap_or(NAME_LEN);
    // In the control block: for a pool stack the kernel writes the stack it chose there.
    // SAFETY: `t` is a control block owned by the caller; its thread does not exist yet.
    let params = unsafe { &(*t).spawn };
    // SAFETY: as above.
    unsafe {
        params.get().write(ThreadParams {
            entry: task_start,
            arg0: t as usize,
            arg1: 0,
            priority: priority.min(MAX_PRIORITY as u32),
            stack_base: base as *mut u8,
            stack_size: end - base,
            name: name.as_ptr(),
            name_len,
        });
    }
    // Registered before the thread exists, so that a more urgent new task finds itself.
    // SAFETY: as above; the stack is the task's, unused until its thread starts. A pool stack is
    // not ours until the kernel hands it out: the task paints and records it itself.
    unsafe {
        (*t).priority.store((*params.get()).priority, Ordering::Relaxed);
        if pool {
            (*t).flags |= POOL_STACK;
        } else {
            (*t).stack_lo = base;
            (*t).stack_hi = end;
            hooks::paint(base, end);
        }
    }
    // Found by its stack pointer from its first instruction on (a pool stack once it is known).
    if !pool {
        crate::whoami::register(t, base, end);
    }
    with_registry(|tasks, _| {
        // SAFETY: lock held; `t` is not in the list yet.
        unsafe { (*t).next = *tasks };
        *tasks = t;
    });
    // The registry lock is not held across the call: a more urgent new task runs at once.
    // SAFETY: `task_start` is sound on its own thread with `t`; the stack belongs to the task.
    match unsafe { rtos_sys::thread_create(&*params.get()) } {
        Ok(id) => {
            // SAFETY: as above.
            unsafe { (*t).thread.store(id.to_raw(), Ordering::Release) };
            // A new thread more urgent than us ran before this store; it waited for its id only
            // if it looked itself up, which `task_start` does not before the scheduler gate.
            REGISTRY.count.fetch_add(1, Ordering::Relaxed);
            true
        }
        Err(_) => {
            unlink(t);
            false
        }
    }
}

/// First thing a task on a pool stack does: records the stack the kernel chose (written into the
/// control block's parameters during `THREAD_CREATE`) and paints the part below its stack pointer
/// (the kernel zeroed the whole stack), so that finding the task by its stack pointer,
/// high-water marks and the stack-overflow guard work as for heap stacks. Until then the task
/// has run no code of the application, so nothing needed the range.
///
/// # Safety
/// `t` is the calling task's control block.
unsafe fn adopt_pool_stack(t: *mut Task) {
    // SAFETY: forwarded to the caller; volatile because the kernel wrote the fields.
    let (lo, size) = unsafe {
        let p = (*t).spawn.get();
        (
            core::ptr::addr_of!((*p).stack_base).read_volatile() as usize,
            core::ptr::addr_of!((*p).stack_size).read_volatile(),
        )
    };
    if lo == 0 {
        return;
    }
    // SAFETY: as above; only this task writes its range, before anyone looks it up.
    unsafe {
        (*t).stack_lo = lo;
        (*t).stack_hi = lo + size;
    }
    crate::whoami::register(t, lo, lo + size);
    // Room for the frames of this function and of the fill itself below `sp`.
    let top = stack_pointer().saturating_sub(256) & !(GRANULE - 1);
    if top > lo {
        // SAFETY: `[lo, top)` is our own stack, below everything in use.
        unsafe { hooks::paint(lo, top) };
    }
}

/// The calling thread's stack pointer.
fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: reads the stack pointer; no memory access.
    #[cfg(target_arch = "arm")]
    unsafe {
        core::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags))
    };
    #[cfg(not(target_arch = "arm"))]
    {
        sp = 0;
    }
    sp
}

fn unlink(t: *mut Task) {
    crate::whoami::unregister(t);
    with_registry(|tasks, _| {
        let mut link: *mut *mut Task = tasks;
        // SAFETY: lock held; entries are live control blocks.
        unsafe {
            while !(*link).is_null() {
                if *link == t {
                    *link = (*t).next;
                    return;
                }
                link = &mut (**link).next;
            }
        }
    });
}

/// Fills a fresh control block.
///
/// # Safety
/// `t` is writable memory for a [`Task`] owned by the caller; `name` is null or a C string.
unsafe fn init(t: *mut Task, f: TaskFunction_t, name: *const c_char, param: *mut c_void) {
    // SAFETY: `t` points to memory for a control block, owned by the caller.
    unsafe {
        t.write(Task::empty());
        (*t).entry = f;
        (*t).param = param;
        if !name.is_null() {
            for i in 0..NAME_LEN - 1 {
                let c = *name.add(i) as u8;
                if c == 0 {
                    break;
                }
                (*t).name[i] = c;
            }
        }
    }
}

/// FreeRTOS `xTaskCreate`: control block from the heap; stack (`depth` words) from the
/// compartment's pool of kernel-reserved stacks if one that large is free (manifest
/// `thread_stacks`; such a task may call other compartments), else from the heap.
///
/// # Safety
/// `name` is null or a C string; `handle` is null or writable; `f` may be called with `param`.
#[no_mangle]
pub unsafe extern "C" fn xTaskCreate(
    f: TaskFunction_t,
    name: *const c_char,
    depth: u32,
    param: *mut c_void,
    priority: UBaseType_t,
    handle: *mut *mut Task,
) -> BaseType_t {
    // SAFETY: the caller's guarantees.
    unsafe { create_dynamic(f, name, depth, param, priority, handle, true) }
}

/// `xTaskCreate`, with the stack from the pool only if `pool` (the layer's own tasks that never
/// call other compartments leave the pool stacks to the application's tasks).
///
/// # Safety
/// As for [`xTaskCreate`].
pub(crate) unsafe fn create_dynamic(
    f: TaskFunction_t,
    name: *const c_char,
    depth: u32,
    param: *mut c_void,
    priority: UBaseType_t,
    handle: *mut *mut Task,
    pool: bool,
) -> BaseType_t {
    reap();
    let t = heap::alloc(core::mem::size_of::<Task>()) as *mut Task;
    let bytes = (depth as usize * 4).next_multiple_of(GRANULE);
    if pool && !t.is_null() {
        // SAFETY: a fresh block of our heap; a null stack asks the kernel for a pool stack of at
        // least `bytes`, which it owns and hands back when the task's thread ends.
        unsafe {
            init(t, f, name, param);
            (*t).flags = DYNAMIC_TCB;
            if !handle.is_null() {
                *handle = t;
            }
            if create(t, null_mut(), bytes, priority) {
                return pdTRUE;
            }
        }
    }
    let stack = heap::alloc(bytes);
    if t.is_null() || stack.is_null() {
        heap::free(t.cast());
        heap::free(stack);
        return crate::errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY;
    }
    // SAFETY: fresh blocks of our heap.
    unsafe {
        init(t, f, name, param);
        (*t).stack = stack;
        (*t).flags = DYNAMIC_TCB | DYNAMIC_STACK;
        if !handle.is_null() {
            *handle = t;
        }
        if !create(t, stack, bytes, priority) {
            if !handle.is_null() {
                *handle = null_mut();
            }
            release(t);
            return crate::errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY;
        }
    }
    pdTRUE
}

/// FreeRTOS `xTaskCreateStatic`. The kernel needs a 32-byte aligned stack of whole 32-byte
/// granules: the part of `stack` that is gets used (up to 62 bytes less than given).
///
/// # Safety
/// `stack` holds `depth` words and `tcb` a `StaticTask_t`, both owned by the task from now on;
/// `name` is null or a C string; `f` may be called with `param`.
#[no_mangle]
pub unsafe extern "C" fn xTaskCreateStatic(
    f: TaskFunction_t,
    name: *const c_char,
    depth: u32,
    param: *mut c_void,
    priority: UBaseType_t,
    stack: *mut u32,
    tcb: *mut StaticTask_t,
) -> *mut Task {
    if stack.is_null() || tcb.is_null() {
        return null_mut();
    }
    reap();
    let t = tcb as *mut Task;
    // SAFETY: the application hands us both buffers for the task's lifetime.
    unsafe {
        init(t, f, name, param);
        if create(t, stack.cast(), depth as usize * 4, priority) {
            t
        } else {
            null_mut()
        }
    }
}

/// Whether `t` is a task of this compartment that has not been deleted (the registry, or the
/// thread that runs `main`).
fn is_registered(t: *mut Task) -> bool {
    if t == BOOT.0.get() {
        return true;
    }
    with_registry(|tasks, _| {
        let mut x = *tasks;
        while !x.is_null() {
            if x == t {
                return true;
            }
            // SAFETY: registry entries are live control blocks (lock held).
            x = unsafe { (*x).next };
        }
        false
    })
}

/// A handle argument of an API that FreeRTOS would assert on when it names no task: `NULL`
/// means the caller; a handle that is not a live task of this compartment fails
/// `configASSERT` and gives `None` (the call then does nothing).
fn live(handle: *mut Task) -> Option<*mut Task> {
    if handle.is_null() {
        return Some(current_task());
    }
    check(is_registered(handle)).then_some(handle)
}

fn thread_of(t: *mut Task) -> ThreadId {
    // SAFETY: a live control block.
    ThreadId::from_raw(unsafe { (*t).thread.load(Ordering::Acquire) })
}

/// FreeRTOS `vTaskDelete` (`NULL`: the caller).
#[no_mangle]
pub extern "C" fn vTaskDelete(handle: *mut Task) {
    let me = current_task();
    let Some(t) = live(handle) else { return };
    if t == me {
        unlink(t);
        REGISTRY.count.fetch_sub(1, Ordering::Relaxed);
        // SAFETY: `t` is our own control block; its memory is freed by `reap` after we end.
        unsafe {
            if (*t).flags & (DYNAMIC_TCB | DYNAMIC_STACK) != 0 {
                with_registry(|_, zombies| {
                    (*t).next = *zombies;
                    *zombies = t;
                });
                hooks::zombie_added();
            }
        }
        rtos_sys::thread_exit();
    }
    unlink(t);
    REGISTRY.count.fetch_sub(1, Ordering::Relaxed);
    // SAFETY: `t` is a live control block of another task.
    unsafe {
        let _ = rtos_sys::kill(ThreadId::from_raw((*t).thread.load(Ordering::Relaxed)));
        let q = (*t).waiting_on;
        if !q.is_null() {
            crate::queue::forget_waiter(q, t);
        }
        // An event-group wait record lives on the stack freed below.
        crate::event_groups::forget_thread((*t).thread.load(Ordering::Relaxed));
        release(t);
    }
}

/// With `configCHECK_FOR_STACK_OVERFLOW`, checks the calling task's stack guard (done where a
/// task blocks or yields through the API).
pub fn check_own_stack() {
    if crate::config::get().check_stack_overflow != 0 {
        // SAFETY: the caller's live control block.
        unsafe { hooks::check_stack(current_task()) };
    }
}

/// FreeRTOS `vTaskDelay`. Ends early if the task is suspended (and resumed) or its delay aborted.
#[no_mangle]
pub extern "C" fn vTaskDelay(ticks: TickType_t) {
    check_own_stack();
    if ticks == 0 {
        rtos_sys::yield_now();
    } else if rtos_sys::sleep_checked(ticks) == Err(rtos_sys::Error::Interrupted) {
        // Aborted or suspended: the delay is over either way; an abort flag is consumed.
        take_delay_aborted();
    }
}

/// FreeRTOS `xTaskDelayUntil`: wakes at `*prev + increment` (FreeRTOS ticks), stores that as the
/// new `*prev`; `pdFALSE` if that time had already passed (no delay).
///
/// # Safety
/// `prev` is null or points to the caller's previous-wake-time variable.
#[no_mangle]
pub unsafe extern "C" fn xTaskDelayUntil(prev: *mut TickType_t, increment: TickType_t) -> BaseType_t {
    if !check(!prev.is_null() && increment > 0) {
        return pdFALSE;
    }
    check_own_stack();
    let t0 = T0.load(Ordering::Relaxed);
    // SAFETY: the caller passes its previous-wake variable (checked non-null).
    let p = unsafe { &mut *prev };
    let d = rtos_sys::time::delay_until(p.wrapping_add(t0), increment, rtos_sys::ticks());
    *p = d.wake.wrapping_sub(t0);
    if d.must_wait && rtos_sys::sleep_until_checked(d.wake) == Err(rtos_sys::Error::Interrupted) {
        take_delay_aborted();
    }
    d.must_wait as BaseType_t
}

/// FreeRTOS `xTaskAbortDelay`: ends the delay or the wait of a blocked task at once (its
/// blocking call returns as if it had timed out); `pdFAIL` if it was not blocked.
#[no_mangle]
pub extern "C" fn xTaskAbortDelay(handle: *mut Task) -> BaseType_t {
    if !check(!handle.is_null()) {
        return pdFALSE;
    }
    let Some(t) = live(handle) else { return pdFALSE };
    // SAFETY: a live control block.
    let flag = unsafe { &(*t).delay_aborted };
    flag.store(1, Ordering::Release);
    match rtos_sys::abort_wait(thread_of(t)) {
        Ok(true) => pdTRUE,
        _ => {
            flag.store(0, Ordering::Relaxed);
            pdFALSE
        }
    }
}

/// Whether the caller's last wait was ended by `xTaskAbortDelay` (and forgets it): a blocking
/// call whose wait returned `Interrupted` asks this to tell an abort (report a timeout) from a
/// suspension (go on waiting where FreeRTOS would).
pub fn take_delay_aborted() -> bool {
    // SAFETY: the caller's live control block.
    unsafe { (*current_task()).delay_aborted.swap(0, Ordering::Acquire) != 0 }
}

/// FreeRTOS `vTaskSuspend` (`NULL`: the caller). A wait the task is in ends (FreeRTOS removes a
/// suspended task from event lists); when resumed it returns from that call.
#[no_mangle]
pub extern "C" fn vTaskSuspend(handle: *mut Task) {
    let Some(t) = live(handle) else { return };
    // SAFETY: a live control block.
    unsafe { (*t).notify.forget_waits() };
    if t == current_task() {
        check_own_stack();
    }
    let _ = rtos_sys::suspend(thread_of(t));
}

/// FreeRTOS `vTaskResume`: readies a suspended task (at once if it is more urgent).
#[no_mangle]
pub extern "C" fn vTaskResume(handle: *mut Task) {
    if !check(!handle.is_null()) {
        return;
    }
    if let Some(t) = live(handle) {
        let _ = rtos_sys::resume(thread_of(t));
    }
}

/// FreeRTOS `xTaskResumeFromISR`: `pdTRUE` if the resumed task is more urgent than the interrupted
/// one (it runs when the interrupt function returns).
#[no_mangle]
pub extern "C" fn xTaskResumeFromISR(handle: *mut Task) -> BaseType_t {
    if !check(!handle.is_null()) {
        return pdFALSE;
    }
    let Some(t) = live(handle) else { return pdFALSE };
    let id = thread_of(t);
    match rtos_sys::resume(id) {
        Ok(true) => {
            let p = rtos_sys::priority(id).map(u32::from).unwrap_or(0);
            (p > crate::isr::interrupted_priority()) as BaseType_t
        }
        _ => pdFALSE,
    }
}

/// FreeRTOS `eTaskState` values.
const E_RUNNING: u32 = 0;
const E_READY: u32 = 1;
const E_BLOCKED: u32 = 2;
const E_SUSPENDED: u32 = 3;
const E_DELETED: u32 = 4;
const E_INVALID: u32 = 5;

/// FreeRTOS `eTaskGetState`: the kernel's view of the task's thread. A deleted task (its handle
/// no longer registered, or its thread ended) is `eDeleted`.
#[no_mangle]
pub extern "C" fn eTaskGetState(handle: *mut Task) -> u32 {
    if !check(!handle.is_null()) {
        return E_INVALID;
    }
    if !is_registered(handle) {
        return E_DELETED;
    }
    let state = rtos_sys::thread_state(thread_of(handle));
    if STARTED.load(Ordering::Acquire) == 0 && handle != current_task() {
        // Before the start a task is ready (its thread waits at the scheduler gate) unless it
        // was suspended.
        return if state == Ok(rtos_sys::ThreadState::Suspended) { E_SUSPENDED } else { E_READY };
    }
    match state {
        Ok(rtos_sys::ThreadState::Running) => E_RUNNING,
        Ok(rtos_sys::ThreadState::Ready) => E_READY,
        Ok(rtos_sys::ThreadState::Blocked) => E_BLOCKED,
        Ok(rtos_sys::ThreadState::Suspended) => E_SUSPENDED,
        Err(_) => E_DELETED,
    }
}

/// FreeRTOS `uxTaskGetStackHighWaterMark`: the fewest words of stack that were ever free (the
/// stack was painted at creation; the kernel's 32-byte context-save reserve is not counted).
#[no_mangle]
pub extern "C" fn uxTaskGetStackHighWaterMark(handle: *mut Task) -> UBaseType_t {
    let Some(t) = live(handle) else { return 0 };
    // SAFETY: a live control block.
    let (lo, hi) = unsafe { ((*t).stack_lo, (*t).stack_hi) };
    if lo == 0 {
        return 0;
    }
    (hooks::unused_bytes(lo, hi) / 4) as UBaseType_t
}

/// FreeRTOS `uxTaskGetStackHighWaterMark2` (`configSTACK_DEPTH_TYPE` is 32 bits here).
#[no_mangle]
pub extern "C" fn uxTaskGetStackHighWaterMark2(handle: *mut Task) -> u32 {
    uxTaskGetStackHighWaterMark(handle)
}

/// FreeRTOS `vTaskSetThreadLocalStoragePointer` (`NULL`: the caller); an index outside
/// `configNUM_THREAD_LOCAL_STORAGE_POINTERS` is ignored, as in FreeRTOS.
#[no_mangle]
pub extern "C" fn vTaskSetThreadLocalStoragePointer(handle: *mut Task, index: BaseType_t, value: *mut c_void) {
    if index < 0 || index as u32 >= crate::config::get().tls_pointers || index as usize >= MAX_TLS {
        return;
    }
    if let Some(t) = live(handle) {
        // SAFETY: a live control block; FreeRTOS does not synchronise these either.
        unsafe { (*t).tls[index as usize] = value };
    }
}

/// FreeRTOS `pvTaskGetThreadLocalStoragePointer` (`NULL`: the caller); `NULL` for an index
/// outside the configured range.
#[no_mangle]
pub extern "C" fn pvTaskGetThreadLocalStoragePointer(handle: *mut Task, index: BaseType_t) -> *mut c_void {
    if index < 0 || index as u32 >= crate::config::get().tls_pointers || index as usize >= MAX_TLS {
        return null_mut();
    }
    match live(handle) {
        // SAFETY: a live control block.
        Some(t) => unsafe { (*t).tls[index as usize] },
        None => null_mut(),
    }
}

/// FreeRTOS `vTaskSetApplicationTaskTag` (`NULL`: the caller).
#[no_mangle]
pub extern "C" fn vTaskSetApplicationTaskTag(handle: *mut Task, tag: TaskHookFunction_t) {
    if let Some(t) = live(handle) {
        // SAFETY: a live control block.
        unsafe { (*t).tag = tag };
    }
}

/// FreeRTOS `xTaskGetApplicationTaskTag` (`NULL`: the caller).
#[no_mangle]
pub extern "C" fn xTaskGetApplicationTaskTag(handle: *mut Task) -> TaskHookFunction_t {
    // SAFETY: a live control block.
    live(handle).and_then(|t| unsafe { (*t).tag })
}

/// FreeRTOS `xTaskGetApplicationTaskTagFromISR`.
#[no_mangle]
pub extern "C" fn xTaskGetApplicationTaskTagFromISR(handle: *mut Task) -> TaskHookFunction_t {
    xTaskGetApplicationTaskTag(handle)
}

/// FreeRTOS `xTaskCallApplicationTaskHook` (`NULL`: the caller): calls the task's tag function
/// with `param` on the calling thread; `pdFAIL` if it has none.
///
/// # Safety
/// The tag function may be called with `param`.
#[no_mangle]
pub unsafe extern "C" fn xTaskCallApplicationTaskHook(handle: *mut Task, param: *mut c_void) -> BaseType_t {
    match xTaskGetApplicationTaskTag(handle) {
        // SAFETY: the application's hook function with its parameter.
        Some(f) => unsafe { f(param) },
        None => pdFALSE,
    }
}

/// FreeRTOS `xTaskGetIdleTaskHandle` (asserts before the scheduler has started).
#[no_mangle]
pub extern "C" fn xTaskGetIdleTaskHandle() -> *mut Task {
    let h = hooks::IDLE.load(Ordering::Acquire);
    check(!h.is_null());
    h
}

// The priority functions (uxTaskPriorityGet, vTaskPrioritySet, ...) are in priority.rs.

/// `portYIELD` / `taskYIELD`.
#[no_mangle]
pub extern "C" fn vPortYield() {
    rtos_sys::yield_now();
}

/// FreeRTOS `xTaskGetTickCount`.
#[no_mangle]
pub extern "C" fn xTaskGetTickCount() -> TickType_t {
    now()
}

/// FreeRTOS `xTaskGetTickCountFromISR`.
#[no_mangle]
pub extern "C" fn xTaskGetTickCountFromISR() -> TickType_t {
    now()
}

/// FreeRTOS `pcTaskGetName` (`NULL`: the caller).
#[no_mangle]
pub extern "C" fn pcTaskGetName(handle: *mut Task) -> *mut c_char {
    // SAFETY: a live control block; the name is NUL-terminated (last byte never written).
    unsafe { (*task_of(handle)).name.as_mut_ptr().cast() }
}

/// FreeRTOS `xTaskGetCurrentTaskHandle`.
#[no_mangle]
pub extern "C" fn xTaskGetCurrentTaskHandle() -> *mut Task {
    current_task()
}

/// FreeRTOS `xTaskGetHandle`: the task with this name, or `NULL`.
///
/// # Safety
/// `name` is null or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn xTaskGetHandle(name: *const c_char) -> *mut Task {
    if name.is_null() {
        return null_mut();
    }
    with_registry(|tasks, _| {
        let mut t = *tasks;
        while !t.is_null() {
            // SAFETY: lock held; live control blocks; `name` is a C string.
            unsafe {
                let n = &(*t).name;
                let mut i = 0;
                loop {
                    let c = if i < NAME_LEN { n[i] } else { 0 };
                    if c != *name.add(i) as u8 {
                        break;
                    }
                    if c == 0 {
                        return t;
                    }
                    i += 1;
                }
                t = (*t).next;
            }
        }
        null_mut()
    })
}

/// FreeRTOS `uxTaskGetNumberOfTasks`: tasks created through this API (the idle task included)
/// that have not been deleted.
#[no_mangle]
pub extern "C" fn uxTaskGetNumberOfTasks() -> UBaseType_t {
    REGISTRY.count.load(Ordering::Relaxed)
}

/// Leaves a runtime helper task (the tick-hook task, which FreeRTOS does not have) out of
/// `uxTaskGetNumberOfTasks`.
pub fn uncount() {
    REGISTRY.count.fetch_sub(1, Ordering::Relaxed);
}

/// Whether the kernel's tick rate is `configTICK_RATE_HZ` (checked by `vTaskStartScheduler`).
#[no_mangle]
pub extern "C" fn xCompatTickRateMatches(hz: u32) -> BaseType_t {
    (rtos_sys::tick_hz() == hz) as BaseType_t
}

/// FreeRTOS `vTaskStartScheduler` (after the tick-rate check in the header's macro): creates the
/// idle task, releases the tasks created so far and ends the thread that called it.
#[no_mangle]
pub extern "C" fn vCompatStartScheduler() {
    hooks::start();
    crate::timers::start();
    T0.store(rtos_sys::ticks(), Ordering::Relaxed);
    STARTED.store(1, Ordering::Release);
    rtos_sys::futex_wake(&STARTED, u32::MAX);
    rtos_sys::thread_exit();
}

/// Scheduler suspension: depth (only its owner changes it) and the owner's priority before.
static SUSPENDED: AtomicU32 = AtomicU32::new(0);
static SUSPENDED_PRIORITY: AtomicU32 = AtomicU32::new(0);

/// FreeRTOS `xTaskGetSchedulerState`: 0 suspended, 1 not started, 2 running.
#[no_mangle]
pub extern "C" fn xTaskGetSchedulerState() -> BaseType_t {
    if STARTED.load(Ordering::Relaxed) == 0 {
        1
    } else if SUSPENDED.load(Ordering::Relaxed) > 0 {
        0
    } else {
        2
    }
}

/// `taskENTER_CRITICAL`: the compartment's recursive lock (interrupts stay enabled).
#[no_mangle]
pub extern "C" fn vPortEnterCritical() {
    CRITICAL.enter();
}

/// `taskEXIT_CRITICAL`.
#[no_mangle]
pub extern "C" fn vPortExitCritical() {
    let _ = CRITICAL.exit();
}

/// FreeRTOS `vTaskSuspendAll`: the critical-section lock, and the caller runs at the most urgent
/// priority until `xTaskResumeAll`, so no other task of the compartment is switched in (tasks it
/// readies meanwhile wait, as in FreeRTOS). A task at priority 31 (the timer task) still runs.
#[no_mangle]
pub extern "C" fn vTaskSuspendAll() {
    CRITICAL.enter();
    if SUSPENDED.load(Ordering::Relaxed) == 0 {
        let me = rtos_sys::current();
        SUSPENDED_PRIORITY.store(rtos_sys::priority(me).unwrap_or(0) as u32, Ordering::Relaxed);
        let _ = rtos_sys::set_priority(me, MAX_PRIORITY);
    }
    SUSPENDED.fetch_add(1, Ordering::Relaxed);
}

/// Whether a task more urgent than `priority` is ready (readied while the scheduler was
/// suspended: it runs as soon as the caller's priority drops).
fn more_urgent_ready(priority: u32) -> bool {
    let mut candidates = [0u32; 32];
    let mut n = 0;
    with_registry(|tasks, _| {
        let mut t = *tasks;
        while !t.is_null() && n < candidates.len() {
            // SAFETY: registry entries are live control blocks (lock held).
            unsafe {
                if (*t).priority.load(Ordering::Relaxed) > priority {
                    candidates[n] = (*t).thread.load(Ordering::Relaxed);
                    n += 1;
                }
                t = (*t).next;
            }
        }
    });
    candidates[..n].iter().any(|&id| rtos_sys::thread_state(ThreadId::from_raw(id)) == Ok(rtos_sys::ThreadState::Ready))
}

/// FreeRTOS `xTaskResumeAll`: `pdTRUE` if a task readied during the suspension is more urgent than
/// the caller (it runs before this returns).
#[no_mangle]
pub extern "C" fn xTaskResumeAll() -> BaseType_t {
    if !check(CRITICAL.depth_of_caller() > 0 && SUSPENDED.load(Ordering::Relaxed) > 0) {
        return pdFALSE;
    }
    let mut yielded = false;
    if SUSPENDED.fetch_sub(1, Ordering::Relaxed) == 1 {
        let before = SUSPENDED_PRIORITY.load(Ordering::Relaxed);
        yielded = more_urgent_ready(before);
        let _ = CRITICAL.exit();
        let _ = rtos_sys::set_priority(rtos_sys::current(), before as u8);
    } else {
        let _ = CRITICAL.exit();
    }
    yielded as BaseType_t
}

/// Entry of the compartment's manifest thread: runs the application's `main`.
#[no_mangle]
pub extern "C" fn compat_freertos_main(_arg: usize) {
    extern "C" {
        fn main() -> i32;
    }
    // The thread running `main` owns the boot control block (before any task exists).
    // SAFETY: this is the boot thread.
    unsafe { adopt_boot(BOOT.0.get(), rtos_sys::current().to_raw()) };
    // SAFETY: the application's C `main`.
    let code = unsafe { main() };
    rtos_sys::shutdown(if code == 0 { 1 } else { code });
}

/// Turns a FreeRTOS block time into a kernel timeout (`None`: forever).
pub fn timeout(ticks: TickType_t) -> Option<u32> {
    (ticks != portMAX_DELAY).then_some(ticks)
}
