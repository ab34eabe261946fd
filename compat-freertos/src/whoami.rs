//! Which task is running, without a system call.
//!
//! Mutex operations need the caller's control block on every take and give; asking the kernel
//! (`THREAD_SELF`) would cost a system call (~100 instructions) on the uncontended path, which
//! must stay out of the kernel. Instead every task stack the layer hands to the kernel is
//! recorded here with its control block: the stack pointer of running code lies in exactly one
//! live task's stack, so a short scan finds the caller.
//!
//! Slots are written only under [`WRITERS`] and read without any lock. Each slot carries a
//! sequence number (odd while being rewritten) so that a reader that is preempted in the middle
//! of a slot being reused never matches a half-written range. The caller's own slot cannot
//! change while it runs (only its own deletion or creation touches it), so the scan cannot miss
//! it. The kernel runs on one core: compiler fences order the accesses; no barrier instructions
//! are needed.
//!
//! Threads whose stack is not recorded (the thread running `main`, or a stack the layer did not
//! place) are not found: callers fall back to asking the kernel.

use core::ptr::null_mut;
use core::sync::atomic::{compiler_fence, AtomicPtr, AtomicU32, Ordering};

use crate::lock::Lock;
use crate::task::Task;

/// The kernel has 32 thread slots; one of them at least runs kernel or `main` code.
const SLOTS: usize = 32;

struct Slot {
    /// Even: stable; odd: being rewritten.
    seq: AtomicU32,
    lo: AtomicU32,
    hi: AtomicU32,
    tcb: AtomicPtr<Task>,
}

#[allow(clippy::declare_interior_mutable_const)] // only used to initialise the array below
const EMPTY: Slot =
    Slot { seq: AtomicU32::new(0), lo: AtomicU32::new(0), hi: AtomicU32::new(0), tcb: AtomicPtr::new(null_mut()) };

static TABLE: [Slot; SLOTS] = [EMPTY; SLOTS];
/// Slots in use are all below this index (it only grows).
static USED: AtomicU32 = AtomicU32::new(0);
/// Serialises writers.
static WRITERS: Lock = Lock::new();

fn write(s: &Slot, lo: usize, hi: usize, tcb: *mut Task) {
    s.seq.fetch_add(1, Ordering::Relaxed);
    compiler_fence(Ordering::SeqCst);
    s.lo.store(lo as u32, Ordering::Relaxed);
    s.hi.store(hi as u32, Ordering::Relaxed);
    s.tcb.store(tcb, Ordering::Relaxed);
    compiler_fence(Ordering::SeqCst);
    s.seq.fetch_add(1, Ordering::Relaxed);
}

/// Records that task `tcb` runs on the stack `[lo, hi)`. Returns false when every slot is taken
/// (the task then works through the slower kernel query).
pub fn register(tcb: *mut Task, lo: usize, hi: usize) -> bool {
    WRITERS.lock();
    let used = USED.load(Ordering::Relaxed) as usize;
    let free = TABLE[..used].iter().position(|s| s.tcb.load(Ordering::Relaxed).is_null());
    let index = match free {
        Some(i) => Some(i),
        None if used < SLOTS => {
            USED.store(used as u32 + 1, Ordering::Relaxed);
            Some(used)
        }
        None => None,
    };
    if let Some(i) = index {
        write(&TABLE[i], lo, hi, tcb);
    }
    WRITERS.unlock();
    index.is_some()
}

/// Forgets task `tcb` (deleted, or its creation failed).
pub fn unregister(tcb: *mut Task) {
    WRITERS.lock();
    let used = USED.load(Ordering::Relaxed) as usize;
    if let Some(s) = TABLE[..used].iter().find(|s| s.tcb.load(Ordering::Relaxed) == tcb) {
        write(s, 0, 0, null_mut());
    }
    WRITERS.unlock();
}

#[inline(always)]
fn stack_pointer() -> usize {
    #[cfg(target_arch = "arm")]
    {
        let sp: usize;
        // SAFETY: reads the stack pointer; no memory access, no flags changed.
        unsafe { core::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
        sp
    }
    #[cfg(not(target_arch = "arm"))]
    {
        // Host builds (unit tests of pure logic) never run tasks.
        0
    }
}

/// The control block of the running task, or null if its stack is not recorded.
#[inline]
pub fn lookup() -> *mut Task {
    let sp = stack_pointer() as u32;
    let used = USED.load(Ordering::Relaxed) as usize;
    for s in &TABLE[..used] {
        let seq = s.seq.load(Ordering::Relaxed);
        compiler_fence(Ordering::SeqCst);
        if sp >= s.lo.load(Ordering::Relaxed) && sp < s.hi.load(Ordering::Relaxed) && seq & 1 == 0 {
            let t = s.tcb.load(Ordering::Relaxed);
            compiler_fence(Ordering::SeqCst);
            if s.seq.load(Ordering::Relaxed) == seq {
                return t;
            }
        }
    }
    null_mut()
}
