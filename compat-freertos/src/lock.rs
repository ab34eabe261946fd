//! Locks built on the futex: an object lock (never held across a blocking call) and the
//! compartment's recursive critical-section lock.

use core::sync::atomic::{AtomicU32, Ordering};

const UNLOCKED: u32 = 0;
const LOCKED: u32 = 1;
/// Locked, and someone may be waiting in the kernel.
const CONTENDED: u32 = 2;

/// A mutual-exclusion word: compare-and-swap when uncontended (no system call), futex wait/wake
/// when contended (the holder was preempted inside its short critical section).
#[repr(C)]
pub struct Lock {
    word: AtomicU32,
}

impl Lock {
    /// An unlocked lock.
    pub const fn new() -> Lock {
        Lock { word: AtomicU32::new(UNLOCKED) }
    }

    /// Takes the lock, waiting in the kernel while another thread holds it. The uncontended
    /// case is inlined into every queue operation (a handful of instructions, no call).
    #[inline(always)]
    pub fn lock(&self) {
        if self.word.compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed).is_err() {
            self.lock_contended();
        }
    }

    #[cold]
    #[inline(never)]
    fn lock_contended(&self) {
        while self.word.swap(CONTENDED, Ordering::Acquire) != UNLOCKED {
            let _ = rtos_sys::futex_wait(&self.word, CONTENDED, None);
        }
    }

    /// Releases the lock, waking one waiter if there may be one.
    #[inline(always)]
    pub fn unlock(&self) {
        if self.word.swap(UNLOCKED, Ordering::Release) == CONTENDED {
            self.wake_one();
        }
    }

    #[cold]
    #[inline(never)]
    fn wake_one(&self) {
        rtos_sys::futex_wake(&self.word, 1);
    }
}

impl Default for Lock {
    fn default() -> Self {
        Lock::new()
    }
}

/// A recursive lock owned by a thread (its kernel handle), for `taskENTER_CRITICAL` and
/// `vTaskSuspendAll`.
pub struct RecursiveLock {
    lock: Lock,
    owner: AtomicU32,
    depth: AtomicU32,
}

impl RecursiveLock {
    /// Unowned.
    pub const fn new() -> RecursiveLock {
        RecursiveLock { lock: Lock::new(), owner: AtomicU32::new(0), depth: AtomicU32::new(0) }
    }

    /// Enters (again, if the caller already owns it).
    pub fn enter(&self) {
        let me = rtos_sys::current().to_raw();
        if self.owner.load(Ordering::Relaxed) == me {
            self.depth.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.lock.lock();
        self.owner.store(me, Ordering::Relaxed);
        self.depth.store(1, Ordering::Relaxed);
    }

    /// Leaves once; returns whether the caller still holds it (nested), `None` if it did not own it.
    pub fn exit(&self) -> Option<bool> {
        let me = rtos_sys::current().to_raw();
        if self.owner.load(Ordering::Relaxed) != me {
            return None;
        }
        if self.depth.fetch_sub(1, Ordering::Relaxed) > 1 {
            return Some(true);
        }
        self.owner.store(0, Ordering::Relaxed);
        self.lock.unlock();
        Some(false)
    }

    /// How deeply the calling thread holds it (0: not at all).
    pub fn depth_of_caller(&self) -> u32 {
        if self.owner.load(Ordering::Relaxed) == rtos_sys::current().to_raw() {
            self.depth.load(Ordering::Relaxed)
        } else {
            0
        }
    }
}

impl Default for RecursiveLock {
    fn default() -> Self {
        RecursiveLock::new()
    }
}
