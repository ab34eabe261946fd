//! The architecture-independent kernel: thread table, ready queues, futex wait queues and timeouts.
//!
//! Nothing here touches hardware. The port (`arch`) calls these methods from its exception handlers
//! (system call, tick, context switch, fault) — all at one exception priority, so they never
//! preempt each other and the kernel needs no locks. See `docs/kernel.md` for the invariants.
//!
//! Scheduling model:
//! - 32 priorities, 31 most urgent. Each has a FIFO ready queue; a bitmap finds the highest
//!   non-empty one in O(1).
//! - The running thread stays at the **head** of its ready queue. Preemption therefore does not
//!   cost it its turn; yielding and time-slice expiry move it to the tail.
//! - The idle thread is outside the queues and runs only when every queue is empty.
//! - Blocking uses one primitive, the futex (plus plain sleeps). Waiters are chosen at wake time by
//!   current priority, then by arrival order, so priority changes while waiting need no re-sorting.
//! - Timeouts sit in one list sorted by 64-bit deadline (FIFO among equal deadlines).

use crate::time::{self, Ticks64};
use crate::Error;
pub use rtos_sys::ThreadId;

/// Thread slots, including the idle thread.
pub const MAX_THREADS: usize = 32;
/// Number of priority levels.
pub const NUM_PRIORITIES: usize = 32;
/// The most urgent priority (priorities are `0..=MAX_PRIORITY`).
pub const MAX_PRIORITY: u8 = (NUM_PRIORITIES - 1) as u8;
/// Longest thread name kept by the kernel, in bytes.
pub const NAME_LEN: usize = 15;

const NIL: u8 = u8::MAX;

// Thread sets are `u32` bitmasks and priorities a `u32` bitmap.
const _: () = assert!(MAX_THREADS <= 32 && NUM_PRIORITIES <= 32);

/// Kernel configuration, from the firmware manifest's `[kernel]` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelConfig {
    /// Tick interrupt rate in Hz.
    pub tick_hz: u32,
    /// Ticks a thread may run before yielding to an equal-priority ready thread; 0 disables.
    pub time_slice_ticks: u32,
    /// Value of the 64-bit tick counter at boot (tests start near 2^32 to exercise the wrap).
    pub initial_tick: u64,
}

impl KernelConfig {
    /// 1 kHz tick, one-tick time slices, counter starting at zero.
    pub const DEFAULT: KernelConfig = KernelConfig { tick_hz: 1000, time_slice_ticks: 1, initial_tick: 0 };
}

/// What a blocked thread waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// A timed sleep; ends only at its deadline.
    Sleep,
    /// A futex word, identified by its address.
    Futex(usize),
}

/// Life-cycle state of a thread slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Unused slot.
    Free,
    /// Runnable (or running: the running thread is `Ready` and heads its queue).
    Ready,
    /// Waiting; may also be on the timeout list.
    Blocked(Wait),
    /// Stopped by [`Kernel::suspend`] until [`Kernel::resume`]: in no queue, on no list.
    Suspended,
}

/// What [`Kernel::thread_state`] reports (the ABI values of `THREAD_STATE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum RunState {
    /// The calling thread itself.
    Running = 0,
    /// Ready to run (preempted, or not yet chosen).
    Ready = 1,
    /// Sleeping or waiting on a futex.
    Blocked = 2,
    /// Suspended.
    Suspended = 3,
}

/// Saved execution context. Opaque to the core: the port stores the stack pointer at switch-out
/// and reads it back at switch-in; the stack bounds feed the hardware stack limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// Saved stack pointer (valid while the thread is not running).
    pub sp: usize,
    /// Lowest address of the thread's stack.
    pub stack_base: usize,
    /// Stack size in bytes.
    pub stack_size: usize,
}

/// Thread control block.
#[derive(Clone, Copy, Debug)]
pub struct Tcb {
    state: State,
    generation: u16,
    priority: u8,
    name: [u8; NAME_LEN],
    name_len: u8,
    /// Ready-queue links.
    prev: u8,
    next: u8,
    /// Timeout-list link and deadline (valid while on the list).
    on_timer: bool,
    timer_next: u8,
    deadline: Ticks64,
    /// Arrival order among futex waiters.
    wait_seq: u64,
    /// System-call result to deliver when the thread next runs (set when it is woken).
    pending_result: Option<i32>,
    /// Saved context.
    pub ctx: Context,
}

impl Tcb {
    const EMPTY: Tcb = Tcb {
        state: State::Free,
        generation: 0,
        priority: 0,
        name: [0; NAME_LEN],
        name_len: 0,
        prev: NIL,
        next: NIL,
        on_timer: false,
        timer_next: NIL,
        deadline: 0,
        wait_seq: 0,
        pending_result: None,
        ctx: Context { sp: 0, stack_base: 0, stack_size: 0 },
    };

    /// The thread's name (lossy: invalid UTF-8 shows as `?`).
    pub fn name(&self) -> &str {
        core::str::from_utf8(&self.name[..self.name_len as usize]).unwrap_or("?")
    }
    /// Current priority.
    pub fn priority(&self) -> u8 {
        self.priority
    }
    /// Current state.
    pub fn state(&self) -> State {
        self.state
    }
}

#[derive(Clone, Copy)]
struct Queue {
    head: u8,
    tail: u8,
    len: u8,
}

impl Queue {
    const EMPTY: Queue = Queue { head: NIL, tail: NIL, len: 0 };
}

/// Parameters of a new thread; the port has already built its initial stack frame.
#[derive(Clone, Copy, Debug)]
pub struct NewThread<'a> {
    /// Name (truncated to [`NAME_LEN`] bytes).
    pub name: &'a [u8],
    /// Priority, `0..=MAX_PRIORITY`.
    pub priority: u8,
    /// Initial context (stack pointer at the prepared frame, stack bounds).
    pub ctx: Context,
}

/// Outcome of a system call that may block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Finished without blocking; the value goes back to the caller now.
    Done(i32),
    /// The caller blocked; its result is delivered when it is woken (see [`Kernel::take_pending_result`]).
    Blocked,
}

/// The kernel state.
pub struct Kernel {
    threads: [Tcb; MAX_THREADS],
    ready: [Queue; NUM_PRIORITIES],
    /// Bit `p` set iff `ready[p]` is non-empty.
    ready_mask: u32,
    timer_head: u8,
    /// Bit `i` set iff thread `i` is blocked on a futex (so wakes scan only waiters).
    futex_mask: u32,
    current: u8,
    idle: u8,
    now: Ticks64,
    config: KernelConfig,
    next_wait_seq: u64,
    slice_used: u32,
}

impl Default for Kernel {
    fn default() -> Self {
        Self::new()
    }
}

impl Kernel {
    /// An empty kernel with the default configuration.
    pub const fn new() -> Kernel {
        Kernel {
            threads: [Tcb::EMPTY; MAX_THREADS],
            ready: [Queue::EMPTY; NUM_PRIORITIES],
            ready_mask: 0,
            timer_head: NIL,
            futex_mask: 0,
            current: NIL,
            idle: NIL,
            now: 0,
            config: KernelConfig::DEFAULT,
            next_wait_seq: 0,
            slice_used: 0,
        }
    }

    /// Applies the configuration; call before creating threads.
    pub fn configure(&mut self, config: KernelConfig) {
        self.config = config;
        self.now = config.initial_tick;
    }

    /// The active configuration.
    pub fn config(&self) -> KernelConfig {
        self.config
    }

    // ----- thread table -------------------------------------------------------------------

    /// Creates a ready thread. It runs when it becomes the most urgent ready thread.
    pub fn create_thread(&mut self, spec: NewThread<'_>) -> Result<ThreadId, Error> {
        if spec.priority > MAX_PRIORITY {
            return Err(Error::BadPriority);
        }
        let index = self.alloc_slot()?;
        self.init_slot(index, spec);
        self.make_ready_tail(index);
        Ok(self.id_of(index))
    }

    /// Creates the idle thread: never queued, chosen only when no other thread is ready.
    pub fn create_idle(&mut self, ctx: Context) -> Result<ThreadId, Error> {
        if self.idle != NIL {
            return Err(Error::NotPermitted);
        }
        let index = self.alloc_slot()?;
        self.init_slot(index, NewThread { name: b"idle", priority: 0, ctx });
        self.idle = index as u8;
        Ok(self.id_of(index))
    }

    fn alloc_slot(&self) -> Result<usize, Error> {
        // A slot whose thread just died but is still `current` keeps its stack in use until
        // the next switch, so it is not reused before then.
        (0..MAX_THREADS)
            .find(|&i| self.threads[i].state == State::Free && i != self.current as usize)
            .ok_or(Error::NoFreeThreadSlot)
    }

    fn init_slot(&mut self, index: usize, spec: NewThread<'_>) {
        let t = &mut self.threads[index];
        let generation = match t.generation.wrapping_add(1) {
            0 => 1,
            g => g,
        };
        *t = Tcb::EMPTY;
        t.generation = generation;
        t.state = State::Ready;
        t.priority = spec.priority;
        let n = spec.name.len().min(NAME_LEN);
        t.name[..n].copy_from_slice(&spec.name[..n]);
        t.name_len = n as u8;
        t.ctx = spec.ctx;
    }

    /// The handle of the thread in slot `index` (its current generation).
    pub fn id_of(&self, index: usize) -> ThreadId {
        ThreadId::new(index, self.threads[index].generation)
    }

    /// Resolves a handle to a live thread's slot index.
    pub fn lookup(&self, id: ThreadId) -> Result<usize, Error> {
        let i = id.index();
        match self.threads.get(i) {
            Some(t) if t.state != State::Free && t.generation == id.generation() => Ok(i),
            _ => Err(Error::NoSuchThread),
        }
    }

    /// The control block in slot `index`.
    pub fn tcb(&self, index: usize) -> &Tcb {
        &self.threads[index]
    }

    /// Mutable access to a slot's saved context (for the port).
    pub fn context_mut(&mut self, index: usize) -> &mut Context {
        &mut self.threads[index].ctx
    }

    /// Slot index of the running thread (`None` before the first switch).
    pub fn current_index(&self) -> Option<usize> {
        (self.current != NIL).then_some(self.current as usize)
    }

    /// Handle of the running thread.
    pub fn current_id(&self) -> Option<ThreadId> {
        self.current_index().map(|i| self.id_of(i))
    }

    /// Whether slot `index` holds a live thread.
    pub fn is_alive(&self, index: usize) -> bool {
        self.threads[index].state != State::Free
    }

    /// Slot index of the idle thread, once created.
    pub fn idle_index(&self) -> Option<usize> {
        (self.idle != NIL).then_some(self.idle as usize)
    }

    /// Number of live threads, the idle thread included.
    pub fn thread_count(&self) -> usize {
        self.threads.iter().filter(|t| t.state != State::Free).count()
    }

    /// Priority of a thread.
    pub fn priority(&self, id: ThreadId) -> Result<u8, Error> {
        Ok(self.threads[self.lookup(id)?].priority)
    }

    /// Changes a thread's priority. A ready thread moves to the tail of its new queue (the running
    /// thread to the head, so it keeps the CPU unless something more urgent is ready); a blocked
    /// thread keeps waiting and is ranked by its new priority when waiters are woken.
    pub fn set_priority(&mut self, id: ThreadId, priority: u8) -> Result<(), Error> {
        if priority > MAX_PRIORITY {
            return Err(Error::BadPriority);
        }
        let i = self.lookup(id)?;
        if i == self.idle as usize {
            return Err(Error::NotPermitted);
        }
        if self.threads[i].priority == priority {
            return Ok(());
        }
        if self.threads[i].state == State::Ready {
            self.queue_remove(i);
            self.threads[i].priority = priority;
            if i == self.current as usize {
                self.queue_push_head(i);
            } else {
                self.queue_push_tail(i);
            }
        } else {
            self.threads[i].priority = priority;
        }
        Ok(())
    }

    /// Ends the running thread. Its slot is freed; the port must not save its context.
    pub fn exit_current(&mut self) {
        if let Some(i) = self.current_index() {
            if i != self.idle as usize {
                self.free_slot(i);
            }
        }
    }

    /// Ends any thread but the idle thread, wherever it is (ready, blocked, running).
    pub fn kill(&mut self, id: ThreadId) -> Result<(), Error> {
        let i = self.lookup(id)?;
        if i == self.idle as usize {
            return Err(Error::NotPermitted);
        }
        self.free_slot(i);
        Ok(())
    }

    fn free_slot(&mut self, i: usize) {
        match self.threads[i].state {
            State::Ready => self.queue_remove(i),
            State::Blocked(_) => {
                self.timer_remove(i);
                self.futex_mask &= !(1 << i);
            }
            State::Suspended => {}
            State::Free => return,
        }
        let generation = self.threads[i].generation;
        self.threads[i] = Tcb::EMPTY;
        // Keep the generation so stale handles stay stale after the slot is reused.
        self.threads[i].generation = generation;
    }

    // ----- suspension, aborted waits, states ----------------------------------------------

    /// Suspends a thread until [`Kernel::resume`]: it leaves its ready queue, and a wait it is in
    /// (sleep or futex, timed or not) ends with [`Error::Interrupted`], delivered when it runs
    /// again. Suspending the running thread blocks it (`Outcome::Blocked`, result 0 at resume);
    /// suspending a suspended thread changes nothing. The idle thread cannot be suspended.
    pub fn suspend(&mut self, id: ThreadId) -> Result<Outcome, Error> {
        let i = self.lookup(id)?;
        if i == self.idle as usize {
            return Err(Error::NotPermitted);
        }
        match self.threads[i].state {
            State::Ready => {
                self.queue_remove(i);
                // The running thread is inside this system call: it returns 0 when resumed. A
                // preempted thread keeps its registers (and a woken one its pending result).
                if i == self.current as usize {
                    self.threads[i].pending_result = Some(0);
                }
            }
            State::Blocked(_) => {
                self.timer_remove(i);
                self.futex_mask &= !(1 << i);
                self.threads[i].pending_result = Some(Error::Interrupted.code());
            }
            State::Suspended | State::Free => return Ok(Outcome::Done(0)),
        }
        self.threads[i].state = State::Suspended;
        Ok(if i == self.current as usize { Outcome::Blocked } else { Outcome::Done(0) })
    }

    /// Makes a suspended thread ready again (at the tail of its priority's queue). Returns
    /// whether it was suspended.
    pub fn resume(&mut self, id: ThreadId) -> Result<bool, Error> {
        let i = self.lookup(id)?;
        if self.threads[i].state != State::Suspended {
            return Ok(false);
        }
        self.threads[i].state = State::Ready;
        self.make_ready_tail(i);
        Ok(true)
    }

    /// Ends the wait (sleep or futex, timed or not) of a blocked thread at once: the blocking call
    /// returns [`Error::Interrupted`]. Returns whether the thread was blocked.
    pub fn abort_wait(&mut self, id: ThreadId) -> Result<bool, Error> {
        let i = self.lookup(id)?;
        if let State::Blocked(_) = self.threads[i].state {
            self.wake(i, Error::Interrupted.code());
            return Ok(true);
        }
        Ok(false)
    }

    /// The state of a live thread as seen by the running thread.
    pub fn thread_state(&self, id: ThreadId) -> Result<RunState, Error> {
        let i = self.lookup(id)?;
        Ok(match self.threads[i].state {
            _ if i == self.current as usize => RunState::Running,
            State::Blocked(_) => RunState::Blocked,
            State::Suspended => RunState::Suspended,
            State::Ready | State::Free => RunState::Ready,
        })
    }

    // ----- scheduling ---------------------------------------------------------------------

    /// The thread that should run now: head of the most urgent non-empty queue, else idle.
    pub fn pick_next(&self) -> usize {
        if self.ready_mask != 0 {
            let p = 31 - self.ready_mask.leading_zeros() as usize;
            self.ready[p].head as usize
        } else {
            self.idle as usize
        }
    }

    /// Whether the running thread must be switched out (something else should run).
    pub fn need_switch(&self) -> bool {
        self.current == NIL || self.pick_next() != self.current as usize
    }

    /// Makes the chosen thread current and returns its slot. The port has already saved the old
    /// thread's context (if it is still alive).
    pub fn switch_to_next(&mut self) -> usize {
        let next = self.pick_next();
        if next as u8 != self.current {
            self.slice_used = 0;
        }
        self.current = next as u8;
        next
    }

    /// Moves the running thread behind the other ready threads of its priority.
    pub fn yield_current(&mut self) {
        if let Some(i) = self.current_index() {
            let p = self.threads[i].priority as usize;
            if self.threads[i].state == State::Ready && i != self.idle as usize && self.ready[p].len > 1 {
                self.queue_remove(i);
                self.queue_push_tail(i);
            }
        }
    }

    /// Makes a blocked thread ready again without a result: the port has already rewritten the
    /// context it resumes in (used when a micro-reboot unwinds a thread out of a compartment).
    /// A suspended thread stays suspended but loses the result its ended wait would deliver.
    pub fn cancel_wait(&mut self, index: usize) {
        if self.threads[index].state == State::Suspended {
            self.threads[index].pending_result = None;
        }
        if let State::Blocked(_) = self.threads[index].state {
            self.timer_remove(index);
            self.futex_mask &= !(1 << index);
            self.threads[index].state = State::Ready;
            self.threads[index].pending_result = None;
            self.make_ready_tail(index);
        }
    }

    /// Takes the system-call result stored for a thread that was woken, if any.
    pub fn take_pending_result(&mut self, index: usize) -> Option<i32> {
        self.threads[index].pending_result.take()
    }

    // ----- time ---------------------------------------------------------------------------

    /// The 64-bit monotonic tick count.
    pub fn now(&self) -> Ticks64 {
        self.now
    }

    /// The 32-bit (wrapping) tick count.
    pub fn ticks32(&self) -> u32 {
        self.now as u32
    }

    /// Advances time by one tick: wakes expired timeouts and rotates equal-priority threads when
    /// the running thread's time slice is used up.
    pub fn tick(&mut self) {
        self.now += 1;
        while self.timer_head != NIL {
            let i = self.timer_head as usize;
            if self.threads[i].deadline > self.now {
                break;
            }
            let result = match self.threads[i].state {
                State::Blocked(Wait::Futex(_)) => Error::TimedOut.code(),
                _ => 0,
            };
            self.wake(i, result);
        }
        self.account_time_slice();
    }

    fn account_time_slice(&mut self) {
        let slice = self.config.time_slice_ticks;
        let Some(cur) = self.current_index() else { return };
        if slice == 0 || cur == self.idle as usize || self.threads[cur].state != State::Ready {
            return;
        }
        let p = self.threads[cur].priority as usize;
        if self.ready[p].len < 2 || self.ready[p].head as usize != cur {
            self.slice_used = 0;
            return;
        }
        self.slice_used += 1;
        if self.slice_used >= slice {
            self.slice_used = 0;
            self.queue_remove(cur);
            self.queue_push_tail(cur);
        }
    }

    /// Blocks the running thread for `ticks` ticks (0 = yield).
    pub fn sleep(&mut self, ticks: u32) -> Outcome {
        if ticks == 0 {
            self.yield_current();
            return Outcome::Done(0);
        }
        let deadline = self.now + ticks as u64;
        self.block_current(Wait::Sleep, Some(deadline));
        Outcome::Blocked
    }

    /// Blocks the running thread until the 32-bit tick count reaches `wake` (see
    /// [`time::ticks_until`]); returns at once if that instant is not in the future.
    pub fn sleep_until(&mut self, wake: u32) -> Outcome {
        match time::ticks_until(self.now, wake) {
            Some(d) => self.sleep(d),
            None => Outcome::Done(0),
        }
    }

    // ----- futex --------------------------------------------------------------------------

    /// Blocks the running thread on the futex word at `key`, if `value_matches` (the port read the
    /// word and compared it with the expected value — atomically, as nothing else runs in the
    /// kernel). `timeout` in ticks: `None` waits forever, `Some(0)` only polls.
    pub fn futex_wait(&mut self, key: usize, value_matches: bool, timeout: Option<u32>) -> Outcome {
        if !value_matches {
            return Outcome::Done(Error::WouldBlock.code());
        }
        if timeout == Some(0) {
            return Outcome::Done(Error::TimedOut.code());
        }
        let deadline = timeout.map(|t| self.now + t as u64);
        self.block_current(Wait::Futex(key), deadline);
        Outcome::Blocked
    }

    /// Wakes up to `count` waiters of the futex at `key` (`u32::MAX` = all), most urgent first,
    /// in arrival order within a priority. Returns how many were woken.
    pub fn futex_wake(&mut self, key: usize, count: u32) -> u32 {
        let mut woken = 0;
        while woken < count {
            let Some(i) = self.best_waiter(key) else { break };
            self.wake(i, 0);
            woken += 1;
        }
        woken
    }

    /// Number of threads blocked on the futex at `key`.
    pub fn futex_waiters(&self, key: usize) -> usize {
        self.threads.iter().filter(|t| t.state == State::Blocked(Wait::Futex(key))).count()
    }

    fn best_waiter(&self, key: usize) -> Option<usize> {
        let mut best: Option<usize> = None;
        let mut mask = self.futex_mask;
        while mask != 0 {
            let i = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            let t = &self.threads[i];
            if t.state != State::Blocked(Wait::Futex(key)) {
                continue;
            }
            best = match best {
                Some(b) => {
                    let bt = &self.threads[b];
                    let better = t.priority > bt.priority || (t.priority == bt.priority && t.wait_seq < bt.wait_seq);
                    Some(if better { i } else { b })
                }
                None => Some(i),
            };
        }
        best
    }

    fn block_current(&mut self, wait: Wait, deadline: Option<Ticks64>) {
        let Some(i) = self.current_index() else { return };
        debug_assert!(i != self.idle as usize, "the idle thread must never block");
        self.queue_remove(i);
        let t = &mut self.threads[i];
        t.state = State::Blocked(wait);
        t.wait_seq = self.next_wait_seq;
        t.pending_result = None;
        self.next_wait_seq += 1;
        if let Wait::Futex(_) = wait {
            self.futex_mask |= 1 << i;
        }
        if let Some(d) = deadline {
            self.timer_insert(i, d);
        }
    }

    fn wake(&mut self, i: usize, result: i32) {
        self.timer_remove(i);
        self.futex_mask &= !(1 << i);
        self.threads[i].pending_result = Some(result);
        self.threads[i].state = State::Ready;
        self.make_ready_tail(i);
    }

    // ----- ready queues -------------------------------------------------------------------

    fn make_ready_tail(&mut self, i: usize) {
        self.queue_push_tail(i);
    }

    fn queue_push_tail(&mut self, i: usize) {
        let p = self.threads[i].priority as usize;
        let q = self.ready[p];
        self.threads[i].prev = q.tail;
        self.threads[i].next = NIL;
        if q.tail == NIL {
            self.ready[p].head = i as u8;
        } else {
            self.threads[q.tail as usize].next = i as u8;
        }
        self.ready[p].tail = i as u8;
        self.ready[p].len += 1;
        self.ready_mask |= 1 << p;
    }

    fn queue_push_head(&mut self, i: usize) {
        let p = self.threads[i].priority as usize;
        let q = self.ready[p];
        self.threads[i].prev = NIL;
        self.threads[i].next = q.head;
        if q.head == NIL {
            self.ready[p].tail = i as u8;
        } else {
            self.threads[q.head as usize].prev = i as u8;
        }
        self.ready[p].head = i as u8;
        self.ready[p].len += 1;
        self.ready_mask |= 1 << p;
    }

    fn queue_remove(&mut self, i: usize) {
        let p = self.threads[i].priority as usize;
        let (prev, next) = (self.threads[i].prev, self.threads[i].next);
        if prev == NIL {
            self.ready[p].head = next;
        } else {
            self.threads[prev as usize].next = next;
        }
        if next == NIL {
            self.ready[p].tail = prev;
        } else {
            self.threads[next as usize].prev = prev;
        }
        self.threads[i].prev = NIL;
        self.threads[i].next = NIL;
        self.ready[p].len -= 1;
        if self.ready[p].len == 0 {
            self.ready_mask &= !(1 << p);
        }
    }

    /// Threads ready at `priority`, head (running or next to run) first. For tests and reports.
    pub fn ready_queue(&self, priority: u8) -> impl Iterator<Item = usize> + '_ {
        let mut cur = self.ready[priority as usize].head;
        core::iter::from_fn(move || {
            if cur == NIL {
                return None;
            }
            let i = cur as usize;
            cur = self.threads[i].next;
            Some(i)
        })
    }

    // ----- timeout list -------------------------------------------------------------------

    fn timer_insert(&mut self, i: usize, deadline: Ticks64) {
        self.threads[i].deadline = deadline;
        self.threads[i].on_timer = true;
        let mut prev = NIL;
        let mut cur = self.timer_head;
        while cur != NIL && self.threads[cur as usize].deadline <= deadline {
            prev = cur;
            cur = self.threads[cur as usize].timer_next;
        }
        self.threads[i].timer_next = cur;
        if prev == NIL {
            self.timer_head = i as u8;
        } else {
            self.threads[prev as usize].timer_next = i as u8;
        }
    }

    fn timer_remove(&mut self, i: usize) {
        if !self.threads[i].on_timer {
            return;
        }
        let mut prev = NIL;
        let mut cur = self.timer_head;
        while cur != NIL && cur as usize != i {
            prev = cur;
            cur = self.threads[cur as usize].timer_next;
        }
        if cur != NIL {
            let next = self.threads[i].timer_next;
            if prev == NIL {
                self.timer_head = next;
            } else {
                self.threads[prev as usize].timer_next = next;
            }
        }
        self.threads[i].on_timer = false;
        self.threads[i].timer_next = NIL;
    }

    /// The earliest pending deadline, if any (for tickless idle and reports).
    pub fn next_deadline(&self) -> Option<Ticks64> {
        (self.timer_head != NIL).then(|| self.threads[self.timer_head as usize].deadline)
    }
}

#[cfg(test)]
mod tests;
