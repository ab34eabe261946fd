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
    // Priority inheritance (priority.rs): the priority inherited from tasks waiting for a mutex
    // this task holds (0: none, otherwise above the base), and how many mutexes it holds.
    pub inherited: AtomicU32,
    pub mutexes_held: AtomicU32,
}

/// FreeRTOS `StaticTask_t`: room for a [`Task`] (checked below).
#[repr(C, align(4))]
pub struct StaticTask_t([u32; 24]);
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

/// The calling task's control block.
pub fn current_task() -> *mut Task {
    // Without a system call for tasks whose stack the layer placed (whoami.rs).
    let fast = crate::whoami::lookup();
    if !fast.is_null() {
        return fast;
    }
    let me = rtos_sys::current().to_raw();
    let found = with_registry(|tasks, _| {
        let mut t = *tasks;
        while !t.is_null() {
            // SAFETY: registry entries are live control blocks (lock held).
            unsafe {
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
    let boot = BOOT.0.get();
    // SAFETY: only the boot thread reaches this (every other thread is registered).
    unsafe {
        if (*boot).thread.load(Ordering::Relaxed) != me {
            (*boot).thread.store(me, Ordering::Relaxed);
            (*boot).priority.store(rtos_sys::priority(rtos_sys::current()).unwrap_or(0) as u32, Ordering::Relaxed);
            (&mut (*boot).name)[..4].copy_from_slice(b"main");
        }
    }
    boot
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

/// Frees the memory of self-deleted tasks whose threads have ended.
fn reap() {
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
unsafe extern "C" fn task_start(tcb: usize, _: usize) {
    let t = tcb as *mut Task;
    // The creator stores it too, but a more urgent task runs before its creator gets back.
    // SAFETY: `tcb` is this task's control block, set up by `create`.
    unsafe { (*t).thread.store(rtos_sys::current().to_raw(), Ordering::Release) };
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
unsafe fn create(t: *mut Task, stack: *mut u8, stack_len: usize, priority: u32) -> bool {
    // The kernel wants a granule-aligned stack of whole granules inside our memory.
    let base = (stack as usize).next_multiple_of(GRANULE);
    let end = (stack as usize + stack_len) & !(GRANULE - 1);
    if end <= base {
        return false;
    }
    // SAFETY: `t` is a control block owned by the caller.
    let name = unsafe { &(*t).name };
    let name_len = name.iter().position(|&b| b == 0).unwrap_or(NAME_LEN);
    let params = ThreadParams {
        entry: task_start,
        arg0: t as usize,
        arg1: 0,
        priority: priority.min(MAX_PRIORITY as u32),
        stack_base: base as *mut u8,
        stack_size: end - base,
        name: name.as_ptr(),
        name_len,
    };
    // Registered before the thread exists, so that a more urgent new task finds itself.
    // SAFETY: as above.
    unsafe { (*t).priority.store(params.priority, Ordering::Relaxed) };
    // Found by its stack pointer from its first instruction on.
    crate::whoami::register(t, base, end);
    with_registry(|tasks, _| {
        // SAFETY: lock held; `t` is not in the list yet.
        unsafe { (*t).next = *tasks };
        *tasks = t;
    });
    // The registry lock is not held across the call: a more urgent new task runs at once.
    // SAFETY: `task_start` is sound on its own thread with `t`; the stack belongs to the task.
    match unsafe { rtos_sys::thread_create(&params) } {
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

/// FreeRTOS `xTaskCreate`: control block and stack (`depth` words) from the heap.
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
    reap();
    let t = heap::alloc(core::mem::size_of::<Task>()) as *mut Task;
    let bytes = (depth as usize * 4).next_multiple_of(GRANULE);
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

/// FreeRTOS `vTaskDelete` (`NULL`: the caller).
#[no_mangle]
pub extern "C" fn vTaskDelete(handle: *mut Task) {
    let me = current_task();
    let t = task_of(handle);
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
        release(t);
    }
}

/// FreeRTOS `vTaskDelay`.
#[no_mangle]
pub extern "C" fn vTaskDelay(ticks: TickType_t) {
    if ticks == 0 {
        rtos_sys::yield_now();
    } else {
        rtos_sys::sleep(ticks);
    }
}

/// FreeRTOS `xTaskDelayUntil`.
///
/// # Safety
/// `prev` points to the caller's previous-wake-time variable.
#[no_mangle]
pub unsafe extern "C" fn xTaskDelayUntil(prev: *mut TickType_t, increment: TickType_t) -> BaseType_t {
    let t0 = T0.load(Ordering::Relaxed);
    // SAFETY: the caller passes its previous-wake variable.
    let p = unsafe { &mut *prev };
    let mut k = p.wrapping_add(t0);
    let waited = rtos_sys::delay_until(&mut k, increment);
    *p = k.wrapping_sub(t0);
    waited as BaseType_t
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

/// FreeRTOS `uxTaskGetNumberOfTasks` (tasks created through this API that have not been
/// deleted; there is no idle or timer task).
#[no_mangle]
pub extern "C" fn uxTaskGetNumberOfTasks() -> UBaseType_t {
    REGISTRY.count.load(Ordering::Relaxed)
}

/// Whether the kernel's tick rate is `configTICK_RATE_HZ` (checked by `vTaskStartScheduler`).
#[no_mangle]
pub extern "C" fn xCompatTickRateMatches(hz: u32) -> BaseType_t {
    (rtos_sys::tick_hz() == hz) as BaseType_t
}

/// FreeRTOS `vTaskStartScheduler` (after the tick-rate check in the header's macro): releases
/// the tasks created so far and ends the thread that called it.
#[no_mangle]
pub extern "C" fn vCompatStartScheduler() {
    T0.store(rtos_sys::ticks(), Ordering::Relaxed);
    STARTED.store(1, Ordering::Release);
    rtos_sys::futex_wake(&STARTED, u32::MAX);
    rtos_sys::thread_exit();
}

/// FreeRTOS `xTaskGetSchedulerState`: 0 suspended, 1 not started, 2 running.
#[no_mangle]
pub extern "C" fn xTaskGetSchedulerState() -> BaseType_t {
    if STARTED.load(Ordering::Relaxed) == 0 {
        1
    } else if CRITICAL.depth_of_caller() > 0 {
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

/// FreeRTOS `vTaskSuspendAll`: the same lock as critical sections (other tasks keep running
/// unless they enter one).
#[no_mangle]
pub extern "C" fn vTaskSuspendAll() {
    CRITICAL.enter();
}

/// FreeRTOS `xTaskResumeAll`: never reports a yield.
#[no_mangle]
pub extern "C" fn xTaskResumeAll() -> BaseType_t {
    let _ = CRITICAL.exit();
    pdFALSE
}

/// Entry of the compartment's manifest thread: runs the application's `main`.
#[no_mangle]
pub extern "C" fn compat_freertos_main(_arg: usize) {
    extern "C" {
        fn main() -> i32;
    }
    // SAFETY: the application's C `main`.
    let code = unsafe { main() };
    rtos_sys::shutdown(if code == 0 { 1 } else { code });
}

/// Turns a FreeRTOS block time into a kernel timeout (`None`: forever).
pub fn timeout(ticks: TickType_t) -> Option<u32> {
    (ticks != portMAX_DELAY).then_some(ticks)
}
