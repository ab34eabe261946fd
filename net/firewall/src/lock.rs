//! A mutex for data shared by the threads that run in this compartment, on the kernel's futex:
//! uncontended it is one atomic compare-and-swap; a contended waiter sleeps in `FUTEX_WAIT`
//! until the holder wakes it.

use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU32, Ordering};

const UNLOCKED: u32 = 0;
const LOCKED: u32 = 1;
/// Locked, and a thread may be waiting: the unlock must wake one.
const CONTENDED: u32 = 2;

pub struct Lock<T> {
    state: AtomicU32,
    data: UnsafeCell<T>,
}

// SAFETY: the data is reached only through a `Guard`, and at most one guard exists at a time
// (the state word's transitions below), so sharing the lock between threads shares the data
// with mutual exclusion; `T: Send` because the data moves between threads with the lock.
unsafe impl<T: Send> Sync for Lock<T> {}

impl<T> Lock<T> {
    pub const fn new(data: T) -> Lock<T> {
        Lock { state: AtomicU32::new(UNLOCKED), data: UnsafeCell::new(data) }
    }

    /// Waits until the lock is free and takes it.
    pub fn lock(&self) -> Guard<'_, T> {
        if self.state.compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed).is_err() {
            // Announce a waiter; whoever finds the lock free on this swap owns it (as CONTENDED,
            // which costs at most one needless wake).
            while self.state.swap(CONTENDED, Ordering::Acquire) != UNLOCKED {
                // Returns at once (`WouldBlock`) if the holder unlocked in between; a timeout
                // cannot happen without one. Either way the loop retries.
                let _ = rtos_sys::futex_wait(&self.state, CONTENDED, None);
            }
        }
        Guard { lock: self }
    }

    /// Takes the lock if it is free.
    pub fn try_lock(&self) -> Option<Guard<'_, T>> {
        self.state
            .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| Guard { lock: self })
    }
}

pub struct Guard<'a, T> {
    lock: &'a Lock<T>,
}

impl<T> Deref for Guard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard is the only one (see `Sync`), so no `&mut T` exists meanwhile.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for Guard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: this guard is the only one, and `&mut self` makes this the only reference
        // through it.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for Guard<'_, T> {
    fn drop(&mut self) {
        if self.lock.state.swap(UNLOCKED, Ordering::Release) == CONTENDED {
            rtos_sys::futex_wake(&self.lock.state, 1);
        }
    }
}
