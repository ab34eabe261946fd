//! Compartment `spawner`: creates threads of its own at run time (the kernel side of FreeRTOS
//! `xTaskCreate`) on a stack in its globals and on one in its heap, and tries what it must not:
//! stacks outside its memory, unaligned stacks, entries outside its code, and calls out of a
//! thread whose stack is its own memory. Threads on its pool of kernel-reserved stacks (manifest
//! `thread_stacks`) may call out; a pool stack is free again once its thread ends, and zeroed
//! before the next thread gets it. Prints `case | expected | observed | ok` rows.
#![no_std]

use core::sync::atomic::{AtomicU32, Ordering};
use rtos_sys::{Error, ThreadId, ThreadParams};

use boundary_support::{case, ANY_OK};

rtos_sys::imports!();

/// Bumped by each worker; waited on by the main thread.
static DONE: AtomicU32 = AtomicU32::new(0);
/// What the worker observed (its argument, its call result).
static SEEN: AtomicU32 = AtomicU32::new(0);
static CALL: AtomicU32 = AtomicU32::new(0);

/// Where the scribbler left its pattern, and how many words of it the next pool thread found.
static MARK: AtomicU32 = AtomicU32::new(0);
static LEAKED: AtomicU32 = AtomicU32::new(u32::MAX);
const MARK_BYTES: usize = 512;

#[repr(C, align(32))]
struct Stack([u8; 1024]);
static mut STACK: Stack = Stack([0; 1024]);

/// Runs unprivileged in `spawner`: records its argument, tries a cross-compartment call, returns
/// (through the compartment's thread-exit trampoline).
///
/// # Safety
/// Only started by the kernel as a thread entry.
unsafe extern "C" fn worker(arg: usize, _: usize) {
    SEEN.store(arg as u32, Ordering::Release);
    let r = gamma::double(21);
    CALL.store(
        match r {
            Ok(v) => v,
            Err(e) => e.code() as u32,
        },
        Ordering::Release,
    );
    DONE.fetch_add(1, Ordering::Release);
    rtos_sys::futex_wake(&DONE, 1);
}

/// # Safety
/// Only started by the kernel as a thread entry.
unsafe extern "C" fn blocker(_: usize, _: usize) {
    // Waits forever; killed by the main thread.
    let never = AtomicU32::new(0);
    let _ = rtos_sys::futex_wait(&never, 0, None);
}

/// A pool thread that leaves a pattern in unused stack below its frames, then ends.
///
/// # Safety
/// Only started by the kernel as a thread entry, on a stack of at least 2 KiB.
unsafe extern "C" fn scribbler(_: usize, _: usize) {
    let probe = 0u32;
    let lo = (core::ptr::addr_of!(probe) as usize - 1280) & !31;
    for a in (lo..lo + MARK_BYTES).step_by(4) {
        // SAFETY: `[lo, lo + MARK_BYTES)` lies in this thread's own stack (its window is the whole
        // pool stack), below every live frame and above the stack limit.
        unsafe { (a as *mut u32).write_volatile(0xA5A5_A5A5) };
    }
    MARK.store(lo as u32, Ordering::Release);
}

/// The next pool thread on the same stack: counts words of the scribbler's pattern still there.
///
/// # Safety
/// As for [`scribbler`].
unsafe extern "C" fn inspector(_: usize, _: usize) {
    let lo = MARK.load(Ordering::Acquire) as usize;
    let leaked = (lo..lo + MARK_BYTES)
        .step_by(4)
        // SAFETY: the same range, in this thread's stack (the same pool stack), below its frames.
        .filter(|&a| unsafe { (a as *const u32).read_volatile() } != 0)
        .count();
    LEAKED.store(leaked as u32, Ordering::Release);
}

fn create(
    entry: unsafe extern "C" fn(usize, usize),
    arg: usize,
    priority: u32,
    base: *mut u8,
    size: usize,
) -> Result<ThreadId, Error> {
    let name = "worker";
    let params = ThreadParams {
        entry,
        arg0: arg,
        arg1: 0,
        priority,
        stack_base: base,
        stack_size: size,
        name: name.as_ptr(),
        name_len: name.len(),
    };
    // SAFETY: the entries are sound on their own threads; each stack is used by one thread at a
    // time (the main thread waits for a worker's end before reusing one).
    unsafe { rtos_sys::thread_create(&params) }
}

fn wait_done(n: u32) {
    loop {
        let v = DONE.load(Ordering::Acquire);
        if v >= n {
            return;
        }
        let _ = rtos_sys::futex_wait(&DONE, v, Some(100));
    }
}

#[no_mangle]
pub extern "C" fn spawner_main(_arg: usize) {
    let stack = core::ptr::addr_of_mut!(STACK) as *mut u8;
    // A thread on the globals, at a lower priority: runs when we wait.
    let r = create(worker, 7, 2, stack, 1024);
    case("create-on-own-globals", ANY_OK, r.map(ThreadId::to_raw));
    wait_done(1);
    // It woke us (more urgent) before returning: let it finish.
    rtos_sys::sleep(2);
    case("new-thread-got-its-argument", Ok(7), Ok(SEEN.load(Ordering::Acquire)));
    case("new-thread-cannot-call-out", Err(Error::NotPermitted), Error::check(CALL.load(Ordering::Acquire) as i32));
    case(
        "new-thread-ended-by-returning",
        Err(Error::NoSuchThread),
        r.and_then(|id| rtos_sys::priority(id).map(u32::from)),
    );

    // A more urgent thread on the heap runs at once.
    let heap = rtos_sys::heap_cap().and_then(|cap| rtos_sys::heap_alloc(cap, 1024));
    case("heap-block-for-a-stack", ANY_OK, heap.map(|p| p as u32));
    if let Ok(p) = heap {
        let r = create(worker, 9, 5, p, 1024);
        case("create-on-own-heap-preempts", Ok(2), r.map(|_| DONE.load(Ordering::Acquire)));
        case("heap-thread-got-its-argument", Ok(9), Ok(SEEN.load(Ordering::Acquire)));
        case("heap-thread-ended", Err(Error::NoSuchThread), r.and_then(|id| rtos_sys::priority(id).map(u32::from)));
    }

    // Killing a thread it created (blocked in a futex).
    let r = create(blocker, 0, 2, stack, 1024);
    case("create-blocker", ANY_OK, r.map(ThreadId::to_raw));
    rtos_sys::sleep(2);
    // Thread control of its own thread: state, suspension, resumption, an aborted wait.
    let state = |id: ThreadId| rtos_sys::thread_state(id).map(|s| s as u32);
    case("state-of-own-blocked-thread", Ok(rtos_sys::ThreadState::Blocked as u32), r.and_then(state));
    case("abort-wait-of-own-thread", Ok(1), r.and_then(|id| rtos_sys::abort_wait(id).map(u32::from)));
    case("state-of-own-aborted-thread", Ok(rtos_sys::ThreadState::Ready as u32), r.and_then(state));
    case("suspend-own-thread", Ok(0), r.and_then(|id| rtos_sys::suspend(id).map(|()| 0)));
    case("state-of-own-suspended-thread", Ok(rtos_sys::ThreadState::Suspended as u32), r.and_then(state));
    case("resume-own-thread", Ok(1), r.and_then(|id| rtos_sys::resume(id).map(u32::from)));
    case("kill-own-created-thread", Ok(0), r.and_then(|id| rtos_sys::kill(id).map(|()| 0)));
    // Someone else's thread: the kernel's idle thread, the first one created at boot (slot 0,
    // generation 1). A compartment may not control or even observe it.
    let idle = ThreadId::from_raw(1 << 8);
    case("suspend-foreign-thread", Err(Error::NotPermitted), rtos_sys::suspend(idle).map(|()| 0));
    case("resume-foreign-thread", Err(Error::NotPermitted), rtos_sys::resume(idle).map(u32::from));
    case("abort-wait-of-foreign-thread", Err(Error::NotPermitted), rtos_sys::abort_wait(idle).map(u32::from));
    case("state-of-foreign-thread", Err(Error::NotPermitted), state(idle));

    // What it does not own.
    let kernel_ram = 0x3800_0000 as *mut u8;
    case("stack-in-kernel-memory", Err(Error::BadStack), create(worker, 0, 2, kernel_ram, 1024).map(ThreadId::to_raw));
    let mut local = [0u8; 512];
    let on_my_stack = ((local.as_mut_ptr() as usize + 31) & !31) as *mut u8;
    case("stack-on-callers-stack", Err(Error::BadStack), create(worker, 0, 2, on_my_stack, 256).map(ThreadId::to_raw));
    // SAFETY: only an address is computed; nothing is accessed.
    let unaligned = unsafe { stack.add(4) };
    case("stack-not-granule-aligned", Err(Error::BadStack), create(worker, 0, 2, unaligned, 512).map(ThreadId::to_raw));
    case("stack-size-not-granular", Err(Error::BadStack), create(worker, 0, 2, stack, 1000).map(ThreadId::to_raw));
    // SAFETY: only an address is computed; nothing is accessed.
    let past_end = unsafe { stack.add(512) };
    case(
        "stack-past-own-memory",
        Err(Error::BadStack),
        create(worker, 0, 2, past_end, 0x10_0000).map(ThreadId::to_raw),
    );
    // SAFETY: the "entry" is never run: the kernel refuses it (it lies in the globals).
    let data_entry: unsafe extern "C" fn(usize, usize) = unsafe { core::mem::transmute(stack as usize | 1) };
    case(
        "entry-outside-own-code",
        Err(Error::InvalidArgument),
        create(data_entry, 0, 2, stack, 1024).map(ThreadId::to_raw),
    );
    case("bad-priority", Err(Error::BadPriority), create(worker, 0, 32, stack, 1024).map(ThreadId::to_raw));
    core::hint::black_box(&mut local);

    // Pool stacks (`stack_base` 0): kernel memory outside the compartment, so the thread may call
    // out. A more urgent one runs at once.
    let pool = core::ptr::null_mut();
    let r = create(worker, 11, 5, pool, 1024);
    case("create-on-pool-stack-preempts", Ok(3), r.map(|_| DONE.load(Ordering::Acquire)));
    case("pool-thread-got-its-argument", Ok(11), Ok(SEEN.load(Ordering::Acquire)));
    case("pool-thread-calls-out", Ok(42), Ok(CALL.load(Ordering::Acquire)));
    case("pool-thread-ended", Err(Error::NoSuchThread), r.and_then(|id| rtos_sys::priority(id).map(u32::from)));
    case("pool-stack-too-small", Err(Error::OutOfMemory), create(worker, 0, 2, pool, 4096).map(ThreadId::to_raw));
    let b = create(blocker, 0, 2, pool, 0);
    case("pool-blocker", ANY_OK, b.map(ThreadId::to_raw));
    case("pool-exhausted-while-in-use", Err(Error::OutOfMemory), create(worker, 0, 2, pool, 0).map(ThreadId::to_raw));
    case("kill-pool-thread", Ok(0), b.and_then(|id| rtos_sys::kill(id).map(|()| 0)));
    case("pool-stack-back-after-kill", ANY_OK, create(scribbler, 0, 5, pool, 0).map(ThreadId::to_raw));
    case("pool-stack-back-after-return", ANY_OK, create(inspector, 0, 5, pool, 0).map(ThreadId::to_raw));
    case("pool-stack-zeroed-before-reuse", Ok(0), Ok(LEAKED.load(Ordering::Acquire)));
    case(
        "pool-entry-outside-own-code",
        Err(Error::InvalidArgument),
        create(data_entry, 0, 2, pool, 0).map(ThreadId::to_raw),
    );

    boundary_support::finish("compartment thread-creation");
}
