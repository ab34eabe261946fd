//! Host tests of the scheduler, futex and timeout logic. A tiny driver plays the port's role:
//! after every operation it performs the switch the port would perform.

use super::*;

struct Sim {
    k: Kernel,
    ids: Vec<ThreadId>,
}

impl Sim {
    fn new(config: KernelConfig, prios: &[u8]) -> Sim {
        let mut k = Kernel::new();
        k.configure(config);
        k.create_idle(Context::default()).unwrap();
        let ids = prios
            .iter()
            .enumerate()
            .map(|(n, &p)| {
                let name = format!("t{n}");
                k.create_thread(NewThread { name: name.as_bytes(), priority: p, ctx: Context::default() }).unwrap()
            })
            .collect();
        let mut s = Sim { k, ids };
        s.switch();
        s
    }

    fn rr(prios: &[u8]) -> Sim {
        Sim::new(KernelConfig::DEFAULT, prios)
    }

    /// What the port does when `need_switch()`: switch; returns the running thread's name.
    fn switch(&mut self) -> String {
        if self.k.need_switch() {
            self.k.switch_to_next();
        }
        self.running()
    }

    fn running(&self) -> String {
        self.k.tcb(self.k.current_index().unwrap()).name().to_string()
    }

    fn idx(&self, n: usize) -> usize {
        self.ids[n].index()
    }

    /// Makes thread `n` current by blocking everything above it — only for set-up convenience.
    fn tick(&mut self) -> String {
        self.k.tick();
        self.switch()
    }

    fn result_of(&mut self, n: usize) -> Option<i32> {
        let i = self.idx(n);
        self.k.take_pending_result(i)
    }
}

#[test]
fn highest_priority_runs_first_and_idle_when_nothing_ready() {
    let mut s = Sim::rr(&[1, 5, 3]);
    assert_eq!(s.running(), "t1");
    assert_eq!(s.k.sleep(10), Outcome::Blocked);
    assert_eq!(s.switch(), "t2");
    s.k.sleep(10);
    assert_eq!(s.switch(), "t0");
    s.k.sleep(10);
    assert_eq!(s.switch(), "idle");
}

#[test]
fn equal_priorities_run_in_creation_order() {
    let s = Sim::rr(&[2, 2, 2]);
    let q: Vec<_> = s.k.ready_queue(2).collect();
    assert_eq!(q, vec![s.idx(0), s.idx(1), s.idx(2)]);
    assert_eq!(s.running(), "t0");
}

#[test]
fn waking_a_more_urgent_thread_preempts_and_preempted_thread_keeps_its_turn() {
    let mut s = Sim::rr(&[2, 2, 7]);
    // t2 (prio 7) waits on a futex; t0 runs.
    assert_eq!(s.running(), "t2");
    assert_eq!(s.k.futex_wait(0x100, true, None), Outcome::Blocked);
    assert_eq!(s.switch(), "t0");
    // t0 wakes t2: the kernel must ask for a switch at once.
    assert_eq!(s.k.futex_wake(0x100, 1), 1);
    assert!(s.k.need_switch());
    assert_eq!(s.switch(), "t2");
    assert_eq!(s.result_of(2), Some(0));
    // When t2 blocks again, the preempted t0 resumes (not t1).
    s.k.sleep(5);
    assert_eq!(s.switch(), "t0");
}

#[test]
fn round_robin_rotates_each_slice() {
    let mut s = Sim::rr(&[3, 3, 3]);
    let mut order = vec![s.running()];
    for _ in 0..6 {
        order.push(s.tick());
    }
    assert_eq!(order, ["t0", "t1", "t2", "t0", "t1", "t2", "t0"]);
}

#[test]
fn longer_time_slices_and_disabled_slicing() {
    let cfg = KernelConfig { time_slice_ticks: 3, ..KernelConfig::DEFAULT };
    let mut s = Sim::new(cfg, &[3, 3]);
    let order: Vec<_> = (0..6).map(|_| s.tick()).collect();
    assert_eq!(order, ["t0", "t0", "t1", "t1", "t1", "t0"]);

    let cfg = KernelConfig { time_slice_ticks: 0, ..KernelConfig::DEFAULT };
    let mut s = Sim::new(cfg, &[3, 3]);
    assert!((0..50).all(|_| s.tick() == "t0"));
}

#[test]
fn a_lone_thread_is_not_rotated_and_lower_priorities_do_not_slice_in() {
    let mut s = Sim::rr(&[3, 1]);
    assert!((0..10).all(|_| s.tick() == "t0"));
}

#[test]
fn yield_moves_to_tail_of_own_priority_only() {
    let mut s = Sim::rr(&[4, 4, 1]);
    s.k.yield_current();
    assert_eq!(s.switch(), "t1");
    s.k.yield_current();
    assert_eq!(s.switch(), "t0");
    // Alone at its priority, a yield keeps the thread running (the lower one does not run).
    let mut s = Sim::rr(&[4, 1]);
    s.k.yield_current();
    assert_eq!(s.switch(), "t0");
}

#[test]
fn sleep_zero_yields_and_sleep_counts_ticks() {
    let mut s = Sim::rr(&[2, 2]);
    assert_eq!(s.k.sleep(0), Outcome::Done(0));
    assert_eq!(s.switch(), "t1");
    let start = s.k.now();
    assert_eq!(s.k.sleep(3), Outcome::Blocked);
    assert_eq!(s.switch(), "t0");
    s.k.sleep(100);
    assert_eq!(s.switch(), "idle");
    let mut woke_at = None;
    for _ in 0..5 {
        if s.tick() == "t1" {
            woke_at = Some(s.k.now());
            break;
        }
    }
    assert_eq!(woke_at, Some(start + 3));
    assert_eq!(s.result_of(1), Some(0));
}

#[test]
fn timeouts_fire_in_deadline_order_fifo_on_ties() {
    let mut s = Sim::rr(&[5, 5, 5, 5]);
    // t0 sleeps 5, t1 waits 3 on a futex, t2 sleeps 3 (same deadline as t1, later), t3 sleeps 1.
    s.k.sleep(5);
    s.switch();
    s.k.futex_wait(0x40, true, Some(3));
    s.switch();
    s.k.sleep(3);
    s.switch();
    s.k.sleep(1);
    assert_eq!(s.switch(), "idle");
    assert_eq!(s.k.next_deadline(), Some(1));
    let mut woken = Vec::new();
    for _ in 0..6 {
        s.k.tick();
        for n in 0..4 {
            if let Some(r) = s.result_of(n) {
                woken.push((s.k.now(), n, r));
            }
        }
    }
    assert_eq!(woken, vec![(1, 3, 0), (3, 1, Error::TimedOut.code()), (3, 2, 0), (5, 0, 0)]);
    // FIFO on ties also shows in the ready queue.
    let q: Vec<_> = s.k.ready_queue(5).collect();
    assert_eq!(q, vec![s.idx(3), s.idx(1), s.idx(2), s.idx(0)]);
}

#[test]
fn futex_value_mismatch_and_poll_do_not_block() {
    let mut s = Sim::rr(&[1]);
    assert_eq!(s.k.futex_wait(0x10, false, None), Outcome::Done(Error::WouldBlock.code()));
    assert_eq!(s.k.futex_wait(0x10, true, Some(0)), Outcome::Done(Error::TimedOut.code()));
    assert_eq!(s.switch(), "t0");
    assert_eq!(s.k.futex_wake(0x10, u32::MAX), 0);
}

#[test]
fn futex_wakes_most_urgent_first_then_fifo() {
    // t0..t4 block in order on the same futex; priorities 2,5,2,5,3. t5 is the waker.
    let mut s = Sim::rr(&[6, 6, 6, 6, 6, 1]);
    let prios = [2u8, 5, 2, 5, 3];
    for (n, &p) in prios.iter().enumerate() {
        assert_eq!(s.running(), format!("t{n}"));
        s.k.futex_wait(0x200, true, None);
        s.switch();
        s.k.set_priority(s.ids[n], p).unwrap();
    }
    assert_eq!(s.running(), "t5");
    assert_eq!(s.k.futex_waiters(0x200), 5);
    let mut order = Vec::new();
    for _ in 0..5 {
        assert_eq!(s.k.futex_wake(0x200, 1), 1);
        let woken = (0..5).find(|&n| s.result_of(n).is_some()).unwrap();
        order.push(woken);
    }
    assert_eq!(order, vec![1, 3, 4, 0, 2]);
}

#[test]
fn futex_wake_counts_and_wake_all() {
    let mut s = Sim::rr(&[5, 5, 5, 1]);
    for _ in 0..3 {
        s.k.futex_wait(0x300, true, None);
        s.switch();
    }
    assert_eq!(s.k.futex_wake(0x999, 10), 0, "other keys are untouched");
    assert_eq!(s.k.futex_wake(0x300, 2), 2);
    assert_eq!(s.k.futex_waiters(0x300), 1);
    assert_eq!(s.k.futex_wake(0x300, u32::MAX), 1);
    assert_eq!(s.switch(), "t0");
}

#[test]
fn futex_wake_cancels_the_timeout() {
    let mut s = Sim::rr(&[5, 1]);
    s.k.futex_wait(0x50, true, Some(2));
    s.switch();
    assert_eq!(s.k.futex_wake(0x50, 1), 1);
    assert_eq!(s.result_of(0), Some(0));
    assert_eq!(s.k.next_deadline(), None);
    assert_eq!(s.switch(), "t0");
    for _ in 0..5 {
        s.tick();
    }
    assert_eq!(s.result_of(0), None, "no late timeout result");
}

#[test]
fn priority_change_while_waiting_reorders_the_wake() {
    let mut s = Sim::rr(&[5, 5, 1]);
    s.k.futex_wait(0x60, true, None);
    s.switch();
    s.k.futex_wait(0x60, true, None);
    s.switch();
    s.k.set_priority(s.ids[1], 9).unwrap();
    s.k.futex_wake(0x60, 1);
    assert_eq!(s.result_of(1), Some(0));
    assert_eq!(s.result_of(0), None);
    assert_eq!(s.switch(), "t1");
    assert_eq!(s.k.priority(s.ids[1]), Ok(9));
}

#[test]
fn set_priority_of_ready_and_running_threads() {
    let mut s = Sim::rr(&[4, 4, 2]);
    // Lowering the running thread below a ready one preempts it.
    s.k.set_priority(s.ids[0], 1).unwrap();
    assert_eq!(s.switch(), "t1");
    // Raising a ready thread above the running one preempts.
    s.k.set_priority(s.ids[2], 6).unwrap();
    assert_eq!(s.switch(), "t2");
    // Raising the running thread to a level where another is ready keeps it running.
    let mut s = Sim::rr(&[4, 6]);
    assert_eq!(s.running(), "t1");
    s.k.set_priority(s.ids[0], 7).unwrap();
    assert_eq!(s.switch(), "t0");
    s.k.set_priority(s.ids[1], 7).unwrap();
    assert_eq!(s.switch(), "t0", "a ready thread joining at the same level queues behind");
    assert_eq!(s.k.set_priority(s.ids[1], 32), Err(Error::BadPriority));
}

#[test]
fn sleep_until_and_the_32_bit_wrap() {
    let cfg = KernelConfig { initial_tick: 0xFFFF_FFFD, ..KernelConfig::DEFAULT };
    let mut s = Sim::new(cfg, &[3]);
    // Wake at 32-bit tick 2, i.e. 5 ticks ahead across the wrap.
    assert_eq!(s.k.sleep_until(2), Outcome::Blocked);
    assert_eq!(s.switch(), "idle");
    let mut ticks = 0;
    while s.tick() == "idle" {
        ticks += 1;
        assert!(ticks < 10);
    }
    assert_eq!(s.k.ticks32(), 2);
    assert_eq!(s.k.now(), 0x1_0000_0002);
    // A wake time in the past does not block.
    assert_eq!(s.k.sleep_until(1), Outcome::Done(0));
}

#[test]
fn exit_and_kill_free_slots_and_stale_handles_are_rejected() {
    let mut s = Sim::rr(&[5, 3, 3]);
    let t0 = s.ids[0];
    s.k.exit_current();
    assert!(!s.k.is_alive(t0.index()));
    assert_eq!(s.switch(), "t1");
    assert_eq!(s.k.priority(t0), Err(Error::NoSuchThread));
    // t2 blocked with a timeout, then killed: it must leave the timeout list.
    s.k.kill(s.ids[2]).unwrap();
    assert_eq!(s.k.ready_queue(3).count(), 1);
    assert_eq!(s.k.kill(s.ids[2]), Err(Error::NoSuchThread));
    // A new thread may reuse a slot but gets a new generation.
    let n = s.k.create_thread(NewThread { name: b"new", priority: 1, ctx: Context::default() }).unwrap();
    assert!(n != t0 && n != s.ids[2]);
    assert_eq!(s.k.priority(n), Ok(1));
    // The idle thread cannot be killed or re-prioritised.
    let idle = ThreadId::new(0, s.k.tcb(0).generation);
    assert_eq!(s.k.kill(idle), Err(Error::NotPermitted));
}

#[test]
fn cancel_wait_readies_without_a_result() {
    let mut s = Sim::rr(&[5, 5, 1]);
    s.k.futex_wait(0x70, true, Some(50));
    s.switch();
    s.k.sleep(50);
    s.switch();
    let (i0, i1) = (s.idx(0), s.idx(1));
    s.k.cancel_wait(i0);
    s.k.cancel_wait(i1);
    assert_eq!(s.k.futex_waiters(0x70), 0);
    assert_eq!(s.k.next_deadline(), None);
    assert_eq!(s.k.take_pending_result(i0), None);
    assert_eq!(s.switch(), "t0");
    s.k.cancel_wait(i0); // a ready thread is left alone
    assert_eq!(s.k.ready_queue(5).count(), 2);
}

#[test]
fn killing_a_sleeping_thread_removes_its_timeout() {
    let mut s = Sim::rr(&[5, 1]);
    s.k.sleep(4);
    s.switch();
    s.k.kill(s.ids[0]).unwrap();
    assert_eq!(s.k.next_deadline(), None);
    for _ in 0..6 {
        assert_eq!(s.tick(), "t1");
    }
}

#[test]
fn a_dead_current_slot_is_not_reused_before_the_switch() {
    let mut s = Sim::rr(&[5]);
    let dead = s.k.current_index().unwrap();
    s.k.exit_current();
    let n = s.k.create_thread(NewThread { name: b"x", priority: 1, ctx: Context::default() }).unwrap();
    assert_ne!(n.index(), dead);
}

#[test]
fn thread_table_limits_and_argument_checks() {
    let mut k = Kernel::new();
    k.create_idle(Context::default()).unwrap();
    assert_eq!(k.create_idle(Context::default()), Err(Error::NotPermitted));
    let bad = NewThread { name: b"bad", priority: MAX_PRIORITY + 1, ctx: Context::default() };
    assert_eq!(k.create_thread(bad), Err(Error::BadPriority));
    for _ in 1..MAX_THREADS {
        k.create_thread(NewThread { name: b"t", priority: 1, ctx: Context::default() }).unwrap();
    }
    let one_more = NewThread { name: b"t", priority: 1, ctx: Context::default() };
    assert_eq!(k.create_thread(one_more), Err(Error::NoFreeThreadSlot));
    assert_eq!(k.thread_count(), MAX_THREADS);
}

#[test]
fn long_names_are_truncated() {
    let mut k = Kernel::new();
    let id =
        k.create_thread(NewThread { name: b"a-very-long-thread-name", priority: 1, ctx: Context::default() }).unwrap();
    assert_eq!(k.tcb(id.index()).name(), "a-very-long-thr");
}

#[test]
fn suspend_removes_a_ready_thread_until_resumed_at_the_tail() {
    let mut s = Sim::rr(&[5, 3, 3]);
    assert_eq!(s.running(), "t0");
    assert_eq!(s.k.suspend(s.ids[1]), Ok(Outcome::Done(0)));
    assert_eq!(s.k.thread_state(s.ids[1]), Ok(RunState::Suspended));
    assert_eq!(s.k.ready_queue(3).collect::<Vec<_>>(), vec![s.idx(2)]);
    assert_eq!(s.k.suspend(s.ids[1]), Ok(Outcome::Done(0)), "suspending twice changes nothing");
    // The running thread suspends itself: it blocks, and t2 runs (t1 is not eligible).
    assert_eq!(s.k.suspend(s.ids[0]), Ok(Outcome::Blocked));
    assert_eq!(s.switch(), "t2");
    assert_eq!(s.k.thread_state(s.ids[0]), Ok(RunState::Suspended));
    // A preempted (ready, not running) thread keeps its registers: no result is queued for it.
    assert_eq!(s.k.resume(s.ids[1]), Ok(true));
    assert_eq!(s.k.resume(s.ids[1]), Ok(false), "not suspended any more");
    assert_eq!(s.k.ready_queue(3).collect::<Vec<_>>(), vec![s.idx(2), s.idx(1)], "resumed at the tail");
    assert_eq!(s.result_of(1), None);
    assert_eq!(s.switch(), "t2");
    // Resuming the more urgent self-suspended thread preempts, and its call returns 0.
    assert_eq!(s.k.resume(s.ids[0]), Ok(true));
    assert_eq!(s.switch(), "t0");
    assert_eq!(s.result_of(0), Some(0));
    assert_eq!(s.k.thread_state(s.ids[0]), Ok(RunState::Running));
    assert_eq!(s.k.thread_state(s.ids[1]), Ok(RunState::Ready));
}

#[test]
fn suspending_a_waiter_ends_its_wait_with_interrupted_at_resume() {
    let mut s = Sim::rr(&[5, 4, 1]);
    s.k.futex_wait(0x40, true, None);
    s.switch();
    s.k.sleep(10);
    assert_eq!(s.switch(), "t2");
    assert_eq!(s.k.thread_state(s.ids[0]), Ok(RunState::Blocked));
    s.k.suspend(s.ids[0]).unwrap();
    s.k.suspend(s.ids[1]).unwrap();
    assert_eq!(s.k.futex_waiters(0x40), 0, "no longer a futex waiter");
    assert_eq!(s.k.next_deadline(), None, "no longer on the timeout list");
    assert_eq!(s.k.futex_wake(0x40, u32::MAX), 0);
    for _ in 0..20 {
        assert_eq!(s.tick(), "t2", "the sleep's deadline passes without effect");
    }
    s.k.resume(s.ids[1]).unwrap();
    assert_eq!(s.switch(), "t1");
    assert_eq!(s.result_of(1), Some(Error::Interrupted.code()));
    s.k.resume(s.ids[0]).unwrap();
    assert_eq!(s.switch(), "t0");
    assert_eq!(s.result_of(0), Some(Error::Interrupted.code()));
}

#[test]
fn abort_wait_ends_timed_and_untimed_waits_only() {
    let mut s = Sim::rr(&[6, 5, 4, 1]);
    s.k.sleep(100);
    s.switch();
    s.k.futex_wait(0x80, true, None);
    s.switch();
    s.k.futex_wait(0x84, true, Some(7));
    assert_eq!(s.switch(), "t3");
    assert_eq!(s.k.abort_wait(s.ids[0]), Ok(true));
    assert_eq!(s.k.abort_wait(s.ids[0]), Ok(false), "already ready");
    assert_eq!(s.switch(), "t0");
    assert_eq!(s.result_of(0), Some(Error::Interrupted.code()));
    assert_eq!(s.k.abort_wait(s.ids[1]), Ok(true));
    assert_eq!(s.k.abort_wait(s.ids[2]), Ok(true));
    assert_eq!(s.result_of(1), Some(Error::Interrupted.code()));
    assert_eq!(s.result_of(2), Some(Error::Interrupted.code()));
    assert_eq!(s.k.futex_waiters(0x80) + s.k.futex_waiters(0x84), 0);
    assert_eq!(s.k.next_deadline(), None);
    // A suspended thread is not waiting: nothing to abort.
    s.k.suspend(s.ids[3]).unwrap();
    assert_eq!(s.k.abort_wait(s.ids[3]), Ok(false));
    assert_eq!(s.k.thread_state(s.ids[3]), Ok(RunState::Suspended));
}

#[test]
fn suspension_calls_check_their_target() {
    let mut s = Sim::rr(&[5, 3]);
    let idle = ThreadId::new(0, s.k.tcb(0).generation);
    assert_eq!(s.k.suspend(idle), Err(Error::NotPermitted));
    s.k.suspend(s.ids[1]).unwrap();
    // A suspended thread can be re-prioritised and killed; its handle then goes stale.
    s.k.set_priority(s.ids[1], 9).unwrap();
    assert_eq!(s.k.thread_state(s.ids[1]), Ok(RunState::Suspended));
    assert_eq!(s.switch(), "t0", "a suspended thread never runs, whatever its priority");
    s.k.kill(s.ids[1]).unwrap();
    for call in [Kernel::resume, Kernel::abort_wait] {
        assert_eq!(call(&mut s.k, s.ids[1]), Err(Error::NoSuchThread));
    }
    assert_eq!(s.k.suspend(s.ids[1]), Err(Error::NoSuchThread));
    assert_eq!(s.k.thread_state(s.ids[1]), Err(Error::NoSuchThread));
    assert_eq!(s.k.ready_queue(9).count(), 0);
}

#[test]
fn cancel_wait_keeps_a_suspended_thread_suspended_without_a_result() {
    let mut s = Sim::rr(&[5, 1]);
    s.k.sleep(5);
    s.switch();
    s.k.suspend(s.ids[0]).unwrap();
    s.k.cancel_wait(s.idx(0));
    assert_eq!(s.k.thread_state(s.ids[0]), Ok(RunState::Suspended));
    s.k.resume(s.ids[0]).unwrap();
    assert_eq!(s.switch(), "t0");
    assert_eq!(s.result_of(0), None, "the port rewrote its context; no result overwrites it");
}
