//! Device interrupts delivered to driver compartments, independent of the CPU.
//!
//! The manifest grants a board device to one compartment; if the board gives the device an
//! interrupt line, that compartment **owns** the line. Nobody else may wait on it or unmask it.
//!
//! Delivery is a wake-up, never an upcall: the kernel's handler for an owned line (at the kernel's
//! exception priority) masks the line and wakes one thread of the owner blocked in `IRQ_WAIT`, or
//! remembers that it fired if none waits. The driver thread, scheduled at its own priority like
//! any other, clears the device's cause and unmasks the line with `IRQ_ACK`. So a line fires at
//! most once per acknowledgement, and an interrupt storm costs the system one short handler per
//! acknowledgement the driver makes: a driver cannot starve anyone more urgent than its thread.
//!
//! Lines start masked: the driver unmasks one (`IRQ_ACK`) once it has set its device up.
//!
//! Waiting reuses the kernel's futex queues with a **misaligned key** per line: the futex calls
//! accept only 4-byte aligned words, so no thread can wait on or wake an interrupt through them.

use crate::compartment::MAX_COMPARTMENTS;
use crate::kernel::{Kernel, Outcome};
use crate::Error;

/// Most interrupt lines owned by compartments in one image.
pub const MAX_IRQS: usize = 8;
/// Highest external interrupt number accepted (ARMv8-M NVIC: at most 480 lines).
pub const MAX_IRQ_NUMBER: u16 = 479;

#[derive(Clone, Copy, Debug, Default)]
struct Line {
    irq: u16,
    owner: u8,
    /// Fired while nobody waited; the next `wait` consumes it.
    fired: bool,
}

/// The owned interrupt lines.
#[derive(Debug)]
pub struct Irqs {
    lines: [Line; MAX_IRQS],
    n: usize,
}

impl Default for Irqs {
    fn default() -> Self {
        Self::new()
    }
}

impl Irqs {
    /// No lines.
    pub const fn new() -> Irqs {
        Irqs { lines: [Line { irq: 0, owner: 0, fired: false }; MAX_IRQS], n: 0 }
    }

    /// Records that compartment `owner` owns line `irq` (at boot). A line has one owner.
    pub fn add(&mut self, irq: u16, owner: u8) -> Result<(), Error> {
        if self.n == MAX_IRQS
            || irq > MAX_IRQ_NUMBER
            || owner as usize >= MAX_COMPARTMENTS
            || self.find(irq as u32).is_some()
        {
            return Err(Error::InvalidArgument);
        }
        self.lines[self.n] = Line { irq, owner, fired: false };
        self.n += 1;
        Ok(())
    }

    /// The lines, with their owners, in boot order.
    pub fn lines(&self) -> impl Iterator<Item = (u16, u8)> + '_ {
        self.lines[..self.n].iter().map(|l| (l.irq, l.owner))
    }

    fn find(&self, irq: u32) -> Option<usize> {
        self.lines[..self.n].iter().position(|l| l.irq as u32 == irq)
    }

    /// The line `irq` if `caller` (the compartment the calling thread runs in; `None` for a
    /// kernel thread) owns it. Unknown lines and other owners look the same: `NotPermitted`.
    fn owned(&self, caller: Option<u8>, irq: u32) -> Result<usize, Error> {
        match (caller, self.find(irq)) {
            (Some(c), Some(i)) if self.lines[i].owner == c => Ok(i),
            _ => Err(Error::NotPermitted),
        }
    }

    /// The futex key threads waiting for `irq` block on: never 4-byte aligned, so never a futex
    /// word (see the module documentation).
    pub fn key(irq: u16) -> usize {
        (irq as usize) << 2 | 1
    }

    /// `IRQ_WAIT`: returns at once (0) if the line fired since the last wait, else blocks the
    /// current thread until it fires (result 0) or `timeout` ticks pass (`TimedOut`; `None`
    /// forever, `Some(0)` polls).
    pub fn wait(&mut self, k: &mut Kernel, caller: Option<u8>, irq: u32, timeout: Option<u32>) -> Outcome {
        let i = match self.owned(caller, irq) {
            Ok(i) => i,
            Err(e) => return Outcome::Done(e.code()),
        };
        let line = &mut self.lines[i];
        if core::mem::take(&mut line.fired) {
            return Outcome::Done(0);
        }
        k.futex_wait(Self::key(line.irq), true, timeout)
    }

    /// `IRQ_ACK`: checks that `caller` owns `irq` and returns the line for the port to unmask.
    pub fn ack(&self, caller: Option<u8>, irq: u32) -> Result<u16, Error> {
        self.owned(caller, irq).map(|i| self.lines[i].irq)
    }

    /// The line `irq` fired (the port has masked it): wakes the owner's most urgent waiter, or
    /// remembers the event. `false` if nobody owns `irq` (the port reports a stray interrupt).
    pub fn fired(&mut self, k: &mut Kernel, irq: u16) -> bool {
        let Some(i) = self.find(irq as u32) else { return false };
        if k.futex_wake(Self::key(irq), 1) == 0 {
            self.lines[i].fired = true;
        }
        true
    }

    /// Forgets pending events of `owner`'s lines (its micro-reboot) and returns them, for the port
    /// to mask again: the rebooted driver starts like at boot.
    pub fn reset_owner(&mut self, owner: u8) -> impl Iterator<Item = u16> + '_ {
        self.lines[..self.n].iter_mut().filter(move |l| l.owner == owner).map(|l| {
            l.fired = false;
            l.irq
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::{Context, NewThread};

    fn kernel() -> Kernel {
        let mut k = Kernel::new();
        k.create_idle(Context::default()).unwrap();
        k.create_thread(NewThread { name: b"drv", priority: 5, ctx: Context::default() }).unwrap();
        k.create_thread(NewThread { name: b"other", priority: 3, ctx: Context::default() }).unwrap();
        k.switch_to_next();
        k
    }

    #[test]
    fn one_owner_per_line_and_bounded_table() {
        let mut t = Irqs::new();
        t.add(43, 1).unwrap();
        assert_eq!(t.add(43, 2), Err(Error::InvalidArgument), "a second owner");
        assert_eq!(t.add(480, 2), Err(Error::InvalidArgument), "beyond the NVIC");
        for irq in 0..(MAX_IRQS as u16 - 1) {
            t.add(irq, 0).unwrap();
        }
        assert_eq!(t.add(100, 0), Err(Error::InvalidArgument), "table full");
        assert_eq!(t.lines().next(), Some((43, 1)));
    }

    #[test]
    fn owner_is_woken_when_the_line_fires() {
        let mut k = kernel();
        let mut t = Irqs::new();
        t.add(48, 0).unwrap();
        let drv = k.current_index().unwrap();
        assert_eq!(t.wait(&mut k, Some(0), 48, None), Outcome::Blocked);
        assert_eq!(k.futex_waiters(Irqs::key(48)), 1);
        assert!(t.fired(&mut k, 48));
        assert_eq!(k.futex_waiters(Irqs::key(48)), 0);
        assert_eq!(k.take_pending_result(drv), Some(0), "woken with 0");
        assert!(!t.fired(&mut k, 49), "a line nobody owns");
    }

    #[test]
    fn an_event_without_waiter_is_kept_for_the_next_wait_once() {
        let mut k = kernel();
        let mut t = Irqs::new();
        t.add(48, 0).unwrap();
        assert!(t.fired(&mut k, 48));
        assert_eq!(t.wait(&mut k, Some(0), 48, Some(10)), Outcome::Done(0));
        assert_eq!(t.wait(&mut k, Some(0), 48, Some(0)), Outcome::Done(Error::TimedOut.code()), "consumed");
    }

    #[test]
    fn a_wait_times_out() {
        let mut k = kernel();
        let mut t = Irqs::new();
        t.add(48, 0).unwrap();
        let drv = k.current_index().unwrap();
        assert_eq!(t.wait(&mut k, Some(0), 48, Some(3)), Outcome::Blocked);
        for _ in 0..3 {
            k.tick();
        }
        assert_eq!(k.take_pending_result(drv), Some(Error::TimedOut.code()));
        assert_eq!(k.futex_waiters(Irqs::key(48)), 0);
    }

    #[test]
    fn only_the_owner_may_wait_or_ack() {
        let mut k = kernel();
        let mut t = Irqs::new();
        t.add(48, 0).unwrap();
        let refused = Outcome::Done(Error::NotPermitted.code());
        assert_eq!(t.wait(&mut k, Some(1), 48, None), refused, "another compartment");
        assert_eq!(t.wait(&mut k, None, 48, None), refused, "a kernel thread");
        assert_eq!(t.wait(&mut k, Some(0), 47, None), refused, "a line nobody owns");
        assert_eq!(t.ack(Some(1), 48), Err(Error::NotPermitted));
        assert_eq!(t.ack(None, 48), Err(Error::NotPermitted));
        assert_eq!(t.ack(Some(0), 48), Ok(48));
        assert_eq!(k.futex_waiters(Irqs::key(48)), 0, "nobody blocked");
    }

    #[test]
    fn keys_are_never_futex_words_and_reboot_forgets_events() {
        for irq in [0u16, 16, 48, MAX_IRQ_NUMBER] {
            assert!(!Irqs::key(irq).is_multiple_of(4));
        }
        let mut k = kernel();
        let mut t = Irqs::new();
        t.add(48, 0).unwrap();
        t.add(43, 1).unwrap();
        t.fired(&mut k, 48);
        t.fired(&mut k, 43);
        assert_eq!(t.reset_owner(0).collect::<Vec<_>>(), vec![48]);
        assert_eq!(t.wait(&mut k, Some(0), 48, Some(0)), Outcome::Done(Error::TimedOut.code()));
        assert_eq!(t.wait(&mut k, Some(1), 43, Some(0)), Outcome::Done(0), "other owners keep theirs");
    }
}
