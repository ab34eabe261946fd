//! Kernel side of the system-call interface: decodes a call and runs it on the [`Kernel`].
//!
//! Everything that depends on the CPU or on memory protection — reading the caller's memory,
//! building a new thread's first stack frame, the console, shutting down — goes through [`Port`],
//! so the decoding and argument checks here are host-tested. When compartments arrive, the port's
//! memory accessors are where a pointer argument is checked against the caller's rights.

use crate::compartment::Range;
use crate::kernel::{Context, Kernel, NewThread, Outcome, ThreadId, NAME_LEN};
use crate::sealing::Owner;
use crate::services::Services;
use crate::sys::{nr, ThreadParams, FOREVER};
use crate::Error;

/// What the kernel needs from the CPU port to carry out system calls.
pub trait Port {
    /// Reads the aligned 32-bit word at `addr` on behalf of the calling thread.
    fn read_u32(&self, addr: usize) -> Result<u32, Error>;
    /// Reads a [`ThreadParams`] at `addr` on behalf of the calling thread.
    fn read_thread_params(&self, addr: usize) -> Result<ThreadParams, Error>;
    /// Copies up to `NAME_LEN` bytes of a name at `addr` (`len` bytes long).
    fn read_name(&self, addr: usize, len: usize, out: &mut [u8; NAME_LEN]) -> Result<usize, Error>;
    /// Writes `len` bytes at `addr` to the console.
    fn console_write(&mut self, addr: usize, len: usize) -> Result<(), Error>;
    /// Validates a new thread's stack and builds its first frame; returns its initial context.
    fn init_thread(&mut self, params: &ThreadParams) -> Result<Context, Error>;
    /// Ends the system.
    fn shutdown(&mut self, code: i32) -> !;
    /// Cycles of the tick timer's clock since boot, given the kernel's tick count.
    fn cycles(&self, ticks_since_boot: u64) -> u64;
    /// Frequency of the cycle clock in Hz.
    fn clock_hz(&self) -> u32;
    /// Cycles of the cycle clock the idle thread has spent waiting for an interrupt since boot.
    fn idle_cycles(&self) -> u64;
    /// Zeroes a fresh heap block before it is handed out.
    fn zero(&mut self, block: Range);
    /// Copies `bytes` to `addr` on behalf of the calling thread (which must be able to write there).
    fn write_bytes(&mut self, addr: usize, bytes: &[u8]) -> Result<(), Error>;
    /// Discards a pending event of interrupt line `irq` and unmasks it (its owner acknowledged it).
    fn irq_unmask(&mut self, irq: u16);
}

/// Result of a dispatched system call, for the port to deliver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SysRet {
    /// Return this value in `r0`.
    Value(i32),
    /// Return a 64-bit value in `r0` (low) and `r1` (high).
    Wide(u64),
    /// Return a value in `r0` and a status in `r1` (0, or an error code), for results that use all
    /// 32 bits (sealed handles, payloads).
    Status(Result<u32, Error>),
    /// The caller blocked; the result is delivered when it resumes.
    Blocked,
    /// The caller no longer exists; nothing to deliver.
    Gone,
    /// Return a 64-bit value in `r0` (low) and `r1` (high) and a status in `r2` (0, or an error
    /// code, with `r0:r1` zero), for results that use all 64 bits (the wall clock). Declared last,
    /// with a payload that has no niche, so that the other variants keep their encoding: the
    /// result delivery of the hot calls compiles exactly as it did without this variant.
    WideStatus(WideResult),
}

/// A 64-bit result and its status, as [`SysRet::WideStatus`] delivers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WideResult {
    /// The value (0 on error).
    pub value: u64,
    /// 0, or an error code.
    pub status: i32,
}

impl From<Result<u64, Error>> for WideResult {
    fn from(r: Result<u64, Error>) -> WideResult {
        match r {
            Ok(value) => WideResult { value, status: 0 },
            Err(e) => WideResult { value: 0, status: e.code() },
        }
    }
}

fn done(r: Result<u32, Error>) -> SysRet {
    SysRet::Value(match r {
        Ok(v) => v as i32,
        Err(e) => e.code(),
    })
}

fn outcome(o: Outcome) -> SysRet {
    match o {
        Outcome::Done(v) => SysRet::Value(v),
        Outcome::Blocked => SysRet::Blocked,
    }
}

/// Runs system call `nr` with arguments `args` for the current thread, which acts as `owner`
/// (its compartment, or the kernel) towards the sealing tables and the heap.
pub fn dispatch(
    k: &mut Kernel,
    services: &mut Services,
    owner: Owner,
    port: &mut impl Port,
    number: u8,
    args: [u32; 4],
) -> SysRet {
    let [a0, a1, a2, _] = args;
    match number {
        nr::SEAL_KEY_CREATE
        | nr::SEAL
        | nr::UNSEAL
        | nr::SEAL_DESTROY
        | nr::HEAP_CAP
        | nr::HEAP_ALLOC
        | nr::HEAP_FREE
        | nr::HEAP_FREE_ALL
        | nr::HEAP_QUOTA
        | nr::HEAP_STATS
        | nr::STATIC_KEY
        | nr::STATIC_SEALED
        | nr::SEALED_CONTENTS => object_call(services, owner, port, number, args),
        nr::YIELD => {
            k.yield_current();
            SysRet::Value(0)
        }
        nr::SLEEP => outcome(k.sleep(a0)),
        nr::SLEEP_UNTIL => outcome(k.sleep_until(a0)),
        nr::FUTEX_WAIT => {
            let addr = a0 as usize;
            match port.read_u32(addr) {
                Ok(v) => {
                    let timeout = (a2 != FOREVER).then_some(a2);
                    outcome(k.futex_wait(addr, v == a1, timeout))
                }
                Err(e) => SysRet::Value(e.code()),
            }
        }
        nr::FUTEX_WAKE => {
            if !a0.is_multiple_of(4) || a0 == 0 {
                return SysRet::Value(Error::InvalidArgument.code());
            }
            SysRet::Value(k.futex_wake(a0 as usize, a1).min(i32::MAX as u32) as i32)
        }
        nr::TICKS => SysRet::Value(k.ticks32() as i32),
        nr::NOW => SysRet::Wide(k.now()),
        nr::TICK_HZ => SysRet::Value(k.config().tick_hz as i32),
        nr::CYCLES => SysRet::Wide(port.cycles(k.now().wrapping_sub(k.config().initial_tick))),
        nr::CLOCK_HZ => SysRet::Value(port.clock_hz() as i32),
        nr::IDLE_CYCLES => SysRet::Wide(port.idle_cycles()),
        nr::THREAD_CREATE => done(thread_create(k, port, a0 as usize)),
        nr::THREAD_EXIT => {
            k.exit_current();
            SysRet::Gone
        }
        nr::THREAD_SELF => SysRet::Value(k.current_id().map_or(0, |id| id.to_raw()) as i32),
        nr::THREAD_KILL => {
            let id = ThreadId::from_raw(a0);
            let is_self = k.current_id() == Some(id);
            match k.kill(id) {
                Ok(()) if is_self => SysRet::Gone,
                r => done(r.map(|()| 0)),
            }
        }
        nr::SET_PRIORITY => {
            let p = u8::try_from(a1).map_err(|_| Error::BadPriority);
            done(p.and_then(|p| k.set_priority(ThreadId::from_raw(a0), p)).map(|()| 0))
        }
        nr::GET_PRIORITY => done(k.priority(ThreadId::from_raw(a0)).map(u32::from)),
        nr::THREAD_SUSPEND | nr::THREAD_RESUME | nr::THREAD_ABORT_WAIT | nr::THREAD_STATE => {
            thread_call(k, number, ThreadId::from_raw(a0))
        }
        nr::CONSOLE_WRITE => done(port.console_write(a0 as usize, a1 as usize).map(|()| 0)),
        nr::SHUTDOWN => port.shutdown(a0 as i32),
        // Rare calls, out of line: the scheduling and time calls above keep a compact dispatch.
        _ => device_and_clock_call(k, services, owner, port, number, args),
    }
}

/// Suspension, aborted waits and states. Out of line like [`object_call`]: the hot calls' dispatch
/// stays as it was.
#[inline(never)]
fn thread_call(k: &mut Kernel, number: u8, id: ThreadId) -> SysRet {
    match number {
        nr::THREAD_SUSPEND => match k.suspend(id) {
            Ok(o) => outcome(o),
            Err(e) => SysRet::Value(e.code()),
        },
        nr::THREAD_RESUME => done(k.resume(id).map(u32::from)),
        nr::THREAD_ABORT_WAIT => done(k.abort_wait(id).map(u32::from)),
        _ => done(k.thread_state(id).map(|s| s as u32)),
    }
}

/// Sealing, heap and static-object calls. Out of line, so that the scheduling and time calls —
/// the ones on every context-switch path — keep a small, spill-free dispatch.
#[inline(never)]
fn object_call(services: &mut Services, owner: Owner, port: &mut impl Port, number: u8, args: [u32; 4]) -> SysRet {
    let [a0, a1, a2, _] = args;
    let sealer = &mut services.sealer;
    match number {
        nr::SEAL_KEY_CREATE => SysRet::Status(sealer.create_key(owner)),
        nr::SEAL => SysRet::Status(sealer.seal(owner, a0, a1)),
        nr::UNSEAL => SysRet::Status(sealer.unseal(owner, a0, a1)),
        nr::SEAL_DESTROY => SysRet::Status(sealer.destroy(owner, a0, a1)),
        nr::STATIC_KEY | nr::STATIC_SEALED | nr::SEALED_CONTENTS => {
            let Owner::Compartment(c) = owner else { return SysRet::Status(Err(Error::NotPermitted)) };
            SysRet::Status(match number {
                nr::STATIC_KEY => services.static_key(c, a0),
                nr::STATIC_SEALED => services.static_sealed(c, a0),
                _ => services.sealed_contents(c, a0, a1).and_then(|bytes| {
                    let mut buf = [0u8; crate::sys::SEALED_CONTENTS_MAX];
                    buf[..bytes.len()].copy_from_slice(bytes);
                    port.write_bytes(a2 as usize, &buf).map(|()| bytes.len() as u32)
                }),
            })
        }
        _ => heap_call(services, owner, port, number, a0, a1),
    }
}

/// The heap calls. Only compartments have heaps: a kernel thread gets `NotPermitted`.
fn heap_call(s: &mut Services, owner: Owner, port: &mut impl Port, number: u8, cap: u32, arg: u32) -> SysRet {
    let Owner::Compartment(c) = owner else {
        return match number {
            nr::HEAP_QUOTA => quota_ret(Err(Error::NotPermitted)),
            nr::HEAP_STATS => SysRet::Value(Error::NotPermitted.code()),
            _ => SysRet::Status(Err(Error::NotPermitted)),
        };
    };
    if number == nr::HEAP_CAP {
        return SysRet::Status(s.allocation_cap(c));
    }
    if number == nr::HEAP_STATS {
        let st = s.heap.stats(c);
        let mut bytes = [0u8; 16];
        for (i, v) in [st.free, st.largest, st.smallest, st.blocks].into_iter().enumerate() {
            bytes[4 * i..4 * i + 4].copy_from_slice(&(v as u32).to_le_bytes());
        }
        return SysRet::Value(port.write_bytes(cap as usize, &bytes).map_or_else(|e| e.code(), |()| 0));
    }
    let quota = match s.quota_of(cap) {
        Ok(q) => q,
        Err(e) if number == nr::HEAP_QUOTA => return quota_ret(Err(e)),
        Err(e) => return SysRet::Status(Err(e)),
    };
    SysRet::Status(match number {
        nr::HEAP_ALLOC => s.heap.alloc(c, quota, arg as usize).map(|block| {
            port.zero(block);
            block.start as u32
        }),
        nr::HEAP_FREE => s.heap.free(c, quota, arg as usize).map(|n| n as u32),
        nr::HEAP_FREE_ALL => Ok(s.heap.free_all(quota) as u32),
        _ => return quota_ret(s.heap.quota(quota).ok_or(Error::InvalidHandle)),
    })
}

/// The interrupt calls (only the compartment owning a line may wait for it or unmask it), the
/// wall-clock calls, and unknown numbers.
#[inline(never)]
fn device_and_clock_call(
    k: &mut Kernel,
    s: &mut Services,
    owner: Owner,
    port: &mut impl Port,
    number: u8,
    args: [u32; 4],
) -> SysRet {
    let [a0, a1, a2, _] = args;
    let caller = match owner {
        Owner::Compartment(c) => Some(c),
        _ => None,
    };
    match number {
        nr::IRQ_WAIT => outcome(s.irqs.wait(k, caller, a0, (a1 != FOREVER).then_some(a1))),
        nr::IRQ_ACK => done(s.irqs.ack(caller, a0).map(|line| {
            port.irq_unmask(line);
            0
        })),
        nr::WALL_CLOCK => SysRet::WideStatus(s.clock.read(monotonic_us(k, port)).into()),
        nr::WALL_CLOCK_SET => {
            let unix_us = (a2 as u64) << 32 | a1 as u64;
            done(s.clock.set(&s.sealer, a0, unix_us, monotonic_us(k, port)).map(|()| 0))
        }
        nr::CLOCK_CAP => SysRet::Status(s.clock.cap(&mut s.sealer, owner)),
        _ => SysRet::Value(Error::UnknownSyscall.code()),
    }
}

/// Microseconds since boot on the tick timer's clock (finer than ticks): the wall clock's
/// monotonic base.
fn monotonic_us(k: &Kernel, port: &impl Port) -> u64 {
    let cycles = port.cycles(k.now().wrapping_sub(k.config().initial_tick));
    crate::time::cycles_to_us(cycles, port.clock_hz())
}

fn quota_ret(q: Result<crate::heap::Quota, Error>) -> SysRet {
    SysRet::Wide(match q {
        Ok(q) => (q.limit as u64) << 32 | q.used as u64,
        Err(e) => (u32::MAX as u64) << 32 | e.code() as u32 as u64,
    })
}

fn thread_create(k: &mut Kernel, port: &mut impl Port, addr: usize) -> Result<u32, Error> {
    let params = port.read_thread_params(addr)?;
    let priority = u8::try_from(params.priority).map_err(|_| Error::BadPriority)?;
    if priority > crate::kernel::MAX_PRIORITY {
        return Err(Error::BadPriority);
    }
    let mut name = [0u8; NAME_LEN];
    let n = port.read_name(params.name as usize, params.name_len, &mut name)?;
    let ctx = port.init_thread(&params)?;
    k.create_thread(NewThread { name: &name[..n], priority, ctx }).map(|id| id.to_raw())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[derive(Default)]
    struct FakePort {
        words: HashMap<usize, u32>,
        params: Option<ThreadParams>,
        console: Vec<(usize, usize)>,
        zeroed: Vec<Range>,
        written: Vec<(usize, Vec<u8>)>,
        unmasked: Vec<u16>,
    }

    impl Port for FakePort {
        fn read_u32(&self, addr: usize) -> Result<u32, Error> {
            self.words.get(&addr).copied().ok_or(Error::InvalidArgument)
        }
        fn read_thread_params(&self, _addr: usize) -> Result<ThreadParams, Error> {
            self.params.ok_or(Error::InvalidArgument)
        }
        fn read_name(&self, _addr: usize, len: usize, out: &mut [u8; NAME_LEN]) -> Result<usize, Error> {
            let n = len.min(NAME_LEN);
            out[..n].fill(b'w');
            Ok(n)
        }
        fn console_write(&mut self, addr: usize, len: usize) -> Result<(), Error> {
            self.console.push((addr, len));
            Ok(())
        }
        fn init_thread(&mut self, p: &ThreadParams) -> Result<Context, Error> {
            if p.stack_size < crate::image::MIN_STACK_SIZE {
                return Err(Error::BadStack);
            }
            Ok(Context {
                sp: p.stack_base as usize + p.stack_size,
                stack_base: p.stack_base as usize,
                stack_size: p.stack_size,
            })
        }
        fn shutdown(&mut self, code: i32) -> ! {
            panic!("shutdown {code}")
        }
        fn cycles(&self, ticks: u64) -> u64 {
            ticks * 100 + 7
        }
        fn clock_hz(&self) -> u32 {
            100_000
        }
        fn idle_cycles(&self) -> u64 {
            0x1_0000_0042
        }
        fn zero(&mut self, block: Range) {
            self.zeroed.push(block);
        }
        fn write_bytes(&mut self, addr: usize, bytes: &[u8]) -> Result<(), Error> {
            if addr == 0 {
                return Err(Error::InvalidArgument);
            }
            self.written.push((addr, bytes.to_vec()));
            Ok(())
        }
        fn irq_unmask(&mut self, irq: u16) {
            self.unmasked.push(irq);
        }
    }

    /// `dispatch` for a kernel thread, with throw-away object services.
    fn d(k: &mut Kernel, p: &mut FakePort, number: u8, args: [u32; 4]) -> SysRet {
        dispatch(k, &mut Services::new(), Owner::Kernel, p, number, args)
    }

    #[test]
    fn sealing_calls_act_for_the_callers_compartment() {
        let (mut k, mut p) = setup();
        let mut s = Services::new();
        s.sealer.seed(7);
        let a = Owner::Compartment(0);
        let SysRet::Status(Ok(key)) = dispatch(&mut k, &mut s, a, &mut p, nr::SEAL_KEY_CREATE, [0; 4]) else {
            panic!()
        };
        let SysRet::Status(Ok(h)) = dispatch(&mut k, &mut s, a, &mut p, nr::SEAL, [key, 0xFFFF_FFFF, 0, 0]) else {
            panic!()
        };
        assert_eq!(dispatch(&mut k, &mut s, a, &mut p, nr::UNSEAL, [key, h, 0, 0]), SysRet::Status(Ok(0xFFFF_FFFF)));
        let b = Owner::Compartment(1);
        assert_eq!(
            dispatch(&mut k, &mut s, b, &mut p, nr::UNSEAL, [key, h, 0, 0]),
            SysRet::Status(Err(Error::NotPermitted))
        );
        assert_eq!(
            dispatch(&mut k, &mut s, a, &mut p, nr::SEAL_DESTROY, [key, h, 0, 0]),
            SysRet::Status(Ok(0xFFFF_FFFF))
        );
        assert_eq!(
            dispatch(&mut k, &mut s, a, &mut p, nr::UNSEAL, [key, h, 0, 0]),
            SysRet::Status(Err(Error::InvalidHandle))
        );
    }

    /// # Safety
    /// Never called: only its address is used as a thread entry in these tests.
    unsafe extern "C" fn nop(_: usize, _: usize) {}

    #[test]
    fn static_sealed_objects_reach_importers_and_open_only_for_the_key_owner() {
        static OBJECTS: [crate::image::SealedObjectSpec; 2] = [
            crate::image::SealedObjectSpec { name: "broker", owner: 0, key: 1, contents: b"tcp:broker:8883" },
            crate::image::SealedObjectSpec { name: "other", owner: 0, key: 0, contents: b"x" },
        ];
        static IMPORTS_B: [u16; 1] = [0];
        let (mut k, mut p) = setup();
        let mut s = Services::new();
        s.sealer.seed(5);
        s.configure_static(&OBJECTS, [(2u8, &[][..]), (0, &IMPORTS_B[..])].into_iter()).unwrap();
        s.issue_static(0).unwrap();
        s.issue_static(1).unwrap();
        let (a, b) = (Owner::Compartment(0), Owner::Compartment(1));
        let mut call = |s: &mut Services, who, n, args| dispatch(&mut k, s, who, &mut p, n, args);
        let SysRet::Status(Ok(h)) = call(&mut s, b, nr::STATIC_SEALED, [0; 4]) else { panic!() };
        assert_eq!(call(&mut s, b, nr::STATIC_SEALED, [1, 0, 0, 0]), SysRet::Status(Err(Error::InvalidArgument)));
        assert_eq!(
            call(&mut s, a, nr::STATIC_SEALED, [0; 4]),
            SysRet::Status(Err(Error::InvalidArgument)),
            "a imports nothing"
        );
        assert_eq!(
            call(&mut s, b, nr::STATIC_KEY, [0; 4]),
            SysRet::Status(Err(Error::InvalidArgument)),
            "b owns no key"
        );
        let SysRet::Status(Ok(key1)) = call(&mut s, a, nr::STATIC_KEY, [1, 0, 0, 0]) else { panic!() };
        let SysRet::Status(Ok(key0)) = call(&mut s, a, nr::STATIC_KEY, [0, 0, 0, 0]) else { panic!() };
        assert_eq!(call(&mut s, a, nr::SEALED_CONTENTS, [key1, h, 0x100, 0]), SysRet::Status(Ok(15)));
        assert_eq!(call(&mut s, a, nr::SEALED_CONTENTS, [key0, h, 0x100, 0]), SysRet::Status(Err(Error::WrongType)));
        assert_eq!(call(&mut s, b, nr::SEALED_CONTENTS, [key1, h, 0x100, 0]), SysRet::Status(Err(Error::NotPermitted)));
        // A run-time object the owner seals with a payload that looks like an object index.
        let SysRet::Status(Ok(fake)) = call(&mut s, a, nr::SEAL, [key1, 0, 0, 0]) else { panic!() };
        assert_eq!(
            call(&mut s, a, nr::SEALED_CONTENTS, [key1, fake, 0x100, 0]),
            SysRet::Status(Err(Error::InvalidArgument))
        );
        assert_eq!(&p.written[0].1[..15], b"tcp:broker:8883");
        // The owner's reboot revokes and re-issues: old handle stale, a fresh one delivered.
        s.sealer.revoke_all(a);
        s.issue_static(0).unwrap();
        let SysRet::Status(Ok(h2)) = dispatch(&mut k, &mut s, b, &mut p, nr::STATIC_SEALED, [0; 4]) else { panic!() };
        assert_ne!(h, h2);
        let SysRet::Status(Ok(key1)) = dispatch(&mut k, &mut s, a, &mut p, nr::STATIC_KEY, [1, 0, 0, 0]) else {
            panic!()
        };
        assert_eq!(
            dispatch(&mut k, &mut s, a, &mut p, nr::UNSEAL, [key1, h, 0, 0]),
            SysRet::Status(Err(Error::InvalidHandle))
        );
        assert_eq!(
            dispatch(&mut k, &mut s, a, &mut p, nr::SEALED_CONTENTS, [key1, h2, 0x100, 0]),
            SysRet::Status(Ok(15))
        );
    }

    #[test]
    fn heap_calls_allocate_on_the_quota_the_capability_names() {
        let (mut k, mut p) = setup();
        let mut s = Services::new();
        s.sealer.seed(99);
        for (c, base) in [(0u8, 0x3800_0000usize), (1, 0x3801_0000)] {
            s.heap.add_arena(c, base, Box::leak(vec![0u8; 8].into_boxed_slice()), 128).unwrap();
        }
        s.issue_allocation_caps(2).unwrap();
        let (a, b) = (Owner::Compartment(0), Owner::Compartment(1));
        let mut call = |s: &mut Services, who, n, args| dispatch(&mut k, s, who, &mut p, n, args);
        let SysRet::Status(Ok(cap_a)) = call(&mut s, a, nr::HEAP_CAP, [0; 4]) else { panic!() };
        let SysRet::Status(Ok(cap_b)) = call(&mut s, b, nr::HEAP_CAP, [0; 4]) else { panic!() };
        assert_ne!(cap_a, cap_b);
        // b allocates in its own arena on a's behalf, with a's capability.
        assert_eq!(call(&mut s, b, nr::HEAP_ALLOC, [cap_a, 40, 0, 0]), SysRet::Status(Ok(0x3801_0000)));
        assert_eq!(call(&mut s, a, nr::HEAP_QUOTA, [cap_a, 0, 0, 0]), SysRet::Wide(128 << 32 | 64));
        assert_eq!(call(&mut s, b, nr::HEAP_QUOTA, [cap_b, 0, 0, 0]), SysRet::Wide(128 << 32));
        assert_eq!(call(&mut s, b, nr::HEAP_ALLOC, [cap_a, 65, 0, 0]), SysRet::Status(Err(Error::QuotaExceeded)));
        assert_eq!(
            call(&mut s, b, nr::HEAP_FREE, [cap_b, 0x3801_0000, 0, 0]),
            SysRet::Status(Err(Error::InvalidArgument)),
            "charged to a, not b"
        );
        assert_eq!(call(&mut s, b, nr::HEAP_FREE_ALL, [cap_a, 0, 0, 0]), SysRet::Status(Ok(64)));
        // Forged, wrongly typed and kernel-thread uses.
        assert_eq!(
            call(&mut s, a, nr::HEAP_ALLOC, [cap_a ^ 0x1_0000, 32, 0, 0]),
            SysRet::Status(Err(Error::InvalidHandle))
        );
        let SysRet::Status(Ok(key)) = call(&mut s, a, nr::SEAL_KEY_CREATE, [0; 4]) else { panic!() };
        let SysRet::Status(Ok(other)) = call(&mut s, a, nr::SEAL, [key, 0, 0, 0]) else { panic!() };
        assert_eq!(call(&mut s, a, nr::HEAP_ALLOC, [other, 32, 0, 0]), SysRet::Status(Err(Error::WrongType)));
        assert_eq!(call(&mut s, a, nr::UNSEAL, [key, cap_a, 0, 0]), SysRet::Status(Err(Error::WrongType)));
        assert_eq!(
            call(&mut s, a, nr::HEAP_QUOTA, [7, 0, 0, 0]),
            SysRet::Wide(0xFFFF_FFFF_0000_0000 | Error::InvalidHandle.code() as u32 as u64)
        );
        assert_eq!(call(&mut s, Owner::Kernel, nr::HEAP_CAP, [0; 4]), SysRet::Status(Err(Error::NotPermitted)));
        assert_eq!(p.zeroed, vec![Range::new(0x3801_0000, 0x3801_0040)], "every block is zeroed");
    }

    #[test]
    fn wall_clock_calls_need_a_clock_capability_and_follow_the_cycle_clock() {
        let (mut k, mut p) = setup();
        let mut s = Services::new();
        s.sealer.seed(31);
        s.clock.issue_caps(&mut s.sealer, [false, true].into_iter()).unwrap();
        s.issue_allocation_caps(0).unwrap();
        let (plain, keeper) = (Owner::Compartment(0), Owner::Compartment(1));
        let mut call = |k: &mut Kernel, s: &mut Services, who, n, args| dispatch(k, s, who, &mut p, n, args);
        assert_eq!(
            call(&mut k, &mut s, plain, nr::WALL_CLOCK, [0; 4]),
            SysRet::WideStatus(Err(Error::ClockNotSet).into())
        );
        assert_eq!(call(&mut k, &mut s, plain, nr::CLOCK_CAP, [0; 4]), SysRet::Status(Err(Error::NotPermitted)));
        let SysRet::Status(Ok(cap)) = call(&mut k, &mut s, keeper, nr::CLOCK_CAP, [0; 4]) else { panic!() };
        // 2023-11-14 22:13:20 UTC, in two registers; the fake port's cycle clock is 100 kHz,
        // 100 cycles per tick plus 7: 70 us at tick 0.
        let t: u64 = 1_700_000_000_000_000;
        let set = [cap, t as u32, (t >> 32) as u32, 0];
        // Lent: the compartment without the right sets the clock with the keeper's capability.
        assert_eq!(call(&mut k, &mut s, plain, nr::WALL_CLOCK_SET, set), SysRet::Value(0));
        assert_eq!(call(&mut k, &mut s, plain, nr::WALL_CLOCK, [0; 4]), SysRet::WideStatus(Ok(t).into()));
        k.tick();
        k.tick();
        assert_eq!(
            call(&mut k, &mut s, keeper, nr::WALL_CLOCK, [0; 4]),
            SysRet::WideStatus(Ok(t + 2_000).into()),
            "2 ticks of 100 cycles at 100 kHz"
        );
        let forged = [cap ^ 0x10000, 5, 0, 0];
        assert_eq!(call(&mut k, &mut s, plain, nr::WALL_CLOCK_SET, forged), SysRet::Value(Error::InvalidHandle.code()));
        let too_late = [cap, u32::MAX, u32::MAX, 0];
        assert_eq!(
            call(&mut k, &mut s, keeper, nr::WALL_CLOCK_SET, too_late),
            SysRet::Value(Error::InvalidArgument.code())
        );
        let SysRet::Status(Ok(kcap)) = call(&mut k, &mut s, Owner::Kernel, nr::CLOCK_CAP, [0; 4]) else { panic!() };
        assert_eq!(call(&mut k, &mut s, Owner::Kernel, nr::WALL_CLOCK_SET, [kcap, 9, 0, 0]), SysRet::Value(0));
        assert_eq!(
            call(&mut k, &mut s, plain, nr::WALL_CLOCK, [0; 4]),
            SysRet::WideStatus(Ok(9).into()),
            "stepped back"
        );
    }

    #[test]
    fn irq_calls_reach_only_the_owner() {
        let (mut k, mut p) = setup();
        let mut s = Services::new();
        s.irqs.add(43, 1).unwrap();
        let (drv, other) = (Owner::Compartment(1), Owner::Compartment(0));
        let mut call = |s: &mut Services, who, n, args| dispatch(&mut k, s, who, &mut p, n, args);
        let refused = SysRet::Value(Error::NotPermitted.code());
        assert_eq!(call(&mut s, other, nr::IRQ_ACK, [43, 0, 0, 0]), refused);
        assert_eq!(call(&mut s, Owner::Kernel, nr::IRQ_ACK, [43, 0, 0, 0]), refused);
        assert_eq!(call(&mut s, other, nr::IRQ_WAIT, [43, FOREVER, 0, 0]), refused);
        assert_eq!(call(&mut s, drv, nr::IRQ_ACK, [43, 0, 0, 0]), SysRet::Value(0));
        assert_eq!(call(&mut s, drv, nr::IRQ_WAIT, [43, 0, 0, 0]), SysRet::Value(Error::TimedOut.code()));
        assert_eq!(call(&mut s, drv, nr::IRQ_WAIT, [43, 5, 0, 0]), SysRet::Blocked);
        assert_eq!(p.unmasked, vec![43], "only the owner's acknowledgement unmasks");
    }

    fn setup() -> (Kernel, FakePort) {
        let mut k = Kernel::new();
        k.create_idle(Context::default()).unwrap();
        k.create_thread(NewThread { name: b"main", priority: 3, ctx: Context::default() }).unwrap();
        k.switch_to_next();
        (k, FakePort::default())
    }

    fn params(priority: u32, stack_size: usize) -> ThreadParams {
        ThreadParams {
            entry: nop,
            arg0: 0,
            arg1: 0,
            priority,
            stack_base: 0x2000_0000 as *mut u8,
            stack_size,
            name: 0x100 as *const u8,
            name_len: 20,
        }
    }

    #[test]
    fn futex_wait_compares_the_word_and_blocks() {
        let (mut k, mut p) = setup();
        p.words.insert(0x1000, 5);
        assert_eq!(d(&mut k, &mut p, nr::FUTEX_WAIT, [0x1000, 4, FOREVER, 0]), SysRet::Value(Error::WouldBlock.code()));
        assert_eq!(d(&mut k, &mut p, nr::FUTEX_WAIT, [0x1000, 5, 0, 0]), SysRet::Value(Error::TimedOut.code()));
        assert_eq!(d(&mut k, &mut p, nr::FUTEX_WAIT, [0x2000, 5, 0, 0]), SysRet::Value(Error::InvalidArgument.code()));
        assert_eq!(d(&mut k, &mut p, nr::FUTEX_WAIT, [0x1000, 5, FOREVER, 0]), SysRet::Blocked);
        assert_eq!(k.futex_waiters(0x1000), 1);
        assert_eq!(k.next_deadline(), None, "FOREVER sets no timeout");
    }

    #[test]
    fn futex_wake_rejects_misaligned_words() {
        let (mut k, mut p) = setup();
        assert_eq!(d(&mut k, &mut p, nr::FUTEX_WAKE, [0x1002, 1, 0, 0]), SysRet::Value(Error::InvalidArgument.code()));
        assert_eq!(d(&mut k, &mut p, nr::FUTEX_WAKE, [0x1000, 1, 0, 0]), SysRet::Value(0));
    }

    #[test]
    fn thread_create_validates_and_names() {
        let (mut k, mut p) = setup();
        assert_eq!(
            d(&mut k, &mut p, nr::THREAD_CREATE, [0x500, 0, 0, 0]),
            SysRet::Value(Error::InvalidArgument.code())
        );
        p.params = Some(params(40, 1024));
        assert_eq!(d(&mut k, &mut p, nr::THREAD_CREATE, [0x500, 0, 0, 0]), SysRet::Value(Error::BadPriority.code()));
        p.params = Some(params(4, 64));
        assert_eq!(d(&mut k, &mut p, nr::THREAD_CREATE, [0x500, 0, 0, 0]), SysRet::Value(Error::BadStack.code()));
        p.params = Some(params(4, 1024));
        let SysRet::Value(raw) = d(&mut k, &mut p, nr::THREAD_CREATE, [0x500, 0, 0, 0]) else { panic!() };
        let id = ThreadId::from_raw(raw as u32);
        let i = k.lookup(id).unwrap();
        assert_eq!(k.tcb(i).name(), "wwwwwwwwwwwwwww");
        assert_eq!(k.tcb(i).priority(), 4);
        assert!(k.need_switch(), "a more urgent new thread preempts its creator");
    }

    #[test]
    fn thread_calls_on_self_and_others() {
        let (mut k, mut p) = setup();
        let SysRet::Value(me) = d(&mut k, &mut p, nr::THREAD_SELF, [0; 4]) else { panic!() };
        assert_eq!(d(&mut k, &mut p, nr::GET_PRIORITY, [me as u32, 0, 0, 0]), SysRet::Value(3));
        assert_eq!(
            d(&mut k, &mut p, nr::SET_PRIORITY, [me as u32, 300, 0, 0]),
            SysRet::Value(Error::BadPriority.code())
        );
        assert_eq!(d(&mut k, &mut p, nr::SET_PRIORITY, [me as u32, 9, 0, 0]), SysRet::Value(0));
        assert_eq!(
            d(&mut k, &mut p, nr::GET_PRIORITY, [0xDEAD_BE00, 0, 0, 0]),
            SysRet::Value(Error::NoSuchThread.code())
        );
        assert_eq!(d(&mut k, &mut p, nr::THREAD_KILL, [me as u32, 0, 0, 0]), SysRet::Gone);
        assert!(!k.is_alive(k.current_index().unwrap()));
    }

    #[test]
    fn suspension_calls_decode_and_deliver_results() {
        let (mut k, mut p) = setup();
        p.params = Some(params(2, 1024));
        let SysRet::Value(other) = d(&mut k, &mut p, nr::THREAD_CREATE, [0x500, 0, 0, 0]) else { panic!() };
        let other = other as u32;
        let SysRet::Value(me) = d(&mut k, &mut p, nr::THREAD_SELF, [0; 4]) else { panic!() };
        assert_eq!(d(&mut k, &mut p, nr::THREAD_STATE, [me as u32, 0, 0, 0]), SysRet::Value(0));
        assert_eq!(d(&mut k, &mut p, nr::THREAD_STATE, [other, 0, 0, 0]), SysRet::Value(1));
        assert_eq!(d(&mut k, &mut p, nr::THREAD_SUSPEND, [other, 0, 0, 0]), SysRet::Value(0));
        assert_eq!(d(&mut k, &mut p, nr::THREAD_STATE, [other, 0, 0, 0]), SysRet::Value(3));
        assert_eq!(d(&mut k, &mut p, nr::THREAD_ABORT_WAIT, [other, 0, 0, 0]), SysRet::Value(0));
        assert_eq!(d(&mut k, &mut p, nr::THREAD_RESUME, [other, 0, 0, 0]), SysRet::Value(1));
        assert_eq!(d(&mut k, &mut p, nr::THREAD_RESUME, [other, 0, 0, 0]), SysRet::Value(0));
        for n in [nr::THREAD_SUSPEND, nr::THREAD_RESUME, nr::THREAD_ABORT_WAIT, nr::THREAD_STATE] {
            assert_eq!(d(&mut k, &mut p, n, [0xDEAD_BE00, 0, 0, 0]), SysRet::Value(Error::NoSuchThread.code()));
        }
        // Suspending oneself blocks; the caller gets 0 when resumed.
        assert_eq!(d(&mut k, &mut p, nr::THREAD_SUSPEND, [me as u32, 0, 0, 0]), SysRet::Blocked);
        let i = k.current_index().unwrap();
        k.switch_to_next();
        assert_eq!(k.resume(ThreadId::from_raw(me as u32)), Ok(true));
        assert_eq!(k.take_pending_result(i), Some(0));
    }

    #[test]
    fn time_and_console_and_unknown_calls() {
        let (mut k, mut p) = setup();
        k.tick();
        k.tick();
        assert_eq!(d(&mut k, &mut p, nr::TICKS, [0; 4]), SysRet::Value(2));
        assert_eq!(d(&mut k, &mut p, nr::NOW, [0; 4]), SysRet::Wide(2));
        assert_eq!(d(&mut k, &mut p, nr::TICK_HZ, [0; 4]), SysRet::Value(1000));
        assert_eq!(d(&mut k, &mut p, nr::CYCLES, [0; 4]), SysRet::Wide(207));
        assert_eq!(d(&mut k, &mut p, nr::CLOCK_HZ, [0; 4]), SysRet::Value(100_000));
        assert_eq!(d(&mut k, &mut p, nr::IDLE_CYCLES, [0; 4]), SysRet::Wide(0x1_0000_0042));
        assert_eq!(d(&mut k, &mut p, nr::CONSOLE_WRITE, [0x40, 3, 0, 0]), SysRet::Value(0));
        assert_eq!(p.console, vec![(0x40, 3)]);
        assert_eq!(d(&mut k, &mut p, 200, [0; 4]), SysRet::Value(Error::UnknownSyscall.code()));
        assert_eq!(d(&mut k, &mut p, nr::SLEEP, [5, 0, 0, 0]), SysRet::Blocked);
    }
}
