//! The kernel's heap allocator: one **arena** per compartment, **quotas** that say how much a
//! principal may have allocated, and allocation capabilities (sealed handles naming a quota, see
//! the port) that let a callee allocate on a caller's behalf.
//!
//! Placement and accounting are separate on purpose:
//!
//! - An allocation always lives in the arena of the compartment that asks for it, because only
//!   that compartment's MPU view covers its arena: memory a network stack allocates for a caller's
//!   socket must be reachable by the network stack, not by the caller.
//! - It is charged to the quota named by the allocation capability presented, which may be the
//!   caller's: a caller that opens a thousand sockets exhausts its own quota, not the stack's.
//!
//! The arena's bookkeeping lives in kernel memory (one byte per 32-byte granule), never inside the
//! arena: a compartment may scribble over its whole heap without confusing the allocator. Every
//! allocation is a whole number of granules at a granule boundary, so it can be passed on as an
//! exact capability argument. Allocation is first-fit over the granule map — linear in the arena
//! size, bounded and predictable, which suits the small heaps of this class of device.

use crate::compartment::{Range, GRANULE, MAX_COMPARTMENTS};
use crate::Error;

/// Most quotas (one per compartment).
pub const MAX_QUOTAS: usize = MAX_COMPARTMENTS;

/// Granule-map entry: bit 7 marks the first granule of an allocation, bits 6..0 hold the charged
/// quota's index + 1 (0 = free granule).
const START: u8 = 0x80;
const QUOTA_MASK: u8 = 0x7F;

/// A compartment's heap: `granules` granules from `base`, and their map.
#[derive(Clone, Copy)]
struct Arena {
    base: usize,
    granules: usize,
    /// `granules` bytes of kernel memory (raw parts so an empty table is all zeros and `.bss`).
    map: *mut u8,
}

/// How much a principal may have allocated, and has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Quota {
    /// Bytes allowed.
    pub limit: usize,
    /// Bytes currently allocated (across all arenas).
    pub used: usize,
}

/// Free space of one arena: total, largest and smallest free block, number of free blocks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArenaStats {
    /// Free bytes in all (not necessarily contiguous).
    pub free: usize,
    /// The largest run of free granules, in bytes (0 when nothing is free).
    pub largest: usize,
    /// The smallest run of free granules, in bytes (0 when nothing is free).
    pub smallest: usize,
    /// How many separate runs of free granules there are.
    pub blocks: usize,
}

/// The allocator's tables.
pub struct Heap {
    arenas: [Arena; MAX_COMPARTMENTS],
    quotas: [Quota; MAX_QUOTAS],
}

// SAFETY: the map pointers refer to `'static` kernel memory given to `add_arena`, used only through
// `&mut Heap`, which the kernel holds only at its own priority.
unsafe impl Send for Heap {}

impl Default for Heap {
    fn default() -> Self {
        Self::new()
    }
}

impl Heap {
    /// No arenas, no quotas.
    pub const fn new() -> Heap {
        Heap {
            arenas: [Arena { base: 0, granules: 0, map: core::ptr::null_mut() }; MAX_COMPARTMENTS],
            quotas: [Quota { limit: 0, used: 0 }; MAX_QUOTAS],
        }
    }

    /// Registers compartment `c`'s arena `[base, base + map.len() * GRANULE)`, with `map` as its
    /// bookkeeping, and sets quota `c` to `quota` bytes.
    pub fn add_arena(&mut self, c: u8, base: usize, map: &'static mut [u8], quota: usize) -> Result<(), Error> {
        let i = c as usize;
        if i >= MAX_COMPARTMENTS || !base.is_multiple_of(GRANULE) {
            return Err(Error::InvalidArgument);
        }
        map.fill(0);
        self.arenas[i] = Arena { base, granules: map.len(), map: map.as_mut_ptr() };
        self.quotas[i] = Quota { limit: quota, used: 0 };
        Ok(())
    }

    fn map(&mut self, a: usize) -> &mut [u8] {
        let arena = self.arenas[a];
        if arena.map.is_null() {
            return &mut [];
        }
        // SAFETY: `map` and `granules` come from the `&'static mut [u8]` given to `add_arena`, which
        // the heap owns from then on; `&mut self` makes this the only reference.
        unsafe { core::slice::from_raw_parts_mut(arena.map, arena.granules) }
    }

    /// The arena of compartment `c`, if it has one.
    #[cfg(test)]
    pub fn arena(&self, c: u8) -> Option<Range> {
        let a = self.arenas.get(c as usize)?;
        (a.granules > 0).then(|| Range::new(a.base, a.base + a.granules * GRANULE))
    }

    /// Quota `q`.
    pub fn quota(&self, q: u8) -> Option<Quota> {
        self.quotas.get(q as usize).copied()
    }

    /// Free bytes in compartment `c`'s arena (not necessarily contiguous).
    #[cfg(test)]
    pub fn arena_free(&mut self, c: u8) -> usize {
        if c as usize >= MAX_COMPARTMENTS {
            return 0;
        }
        self.map(c as usize).iter().filter(|&&m| m == 0).count() * GRANULE
    }

    /// Free-space figures of compartment `c`'s arena (all zero without one).
    pub fn stats(&mut self, c: u8) -> ArenaStats {
        let mut st = ArenaStats::default();
        if c as usize >= MAX_COMPARTMENTS {
            return st;
        }
        let close = |run: usize, st: &mut ArenaStats| {
            if run > 0 {
                let bytes = run * GRANULE;
                st.free += bytes;
                st.blocks += 1;
                st.largest = st.largest.max(bytes);
                st.smallest = if st.blocks == 1 { bytes } else { st.smallest.min(bytes) };
            }
        };
        let mut run = 0;
        for &m in self.map(c as usize).iter() {
            if m == 0 {
                run += 1;
            } else {
                close(run, &mut st);
                run = 0;
            }
        }
        close(run, &mut st);
        st
    }

    /// Allocates `size` bytes (rounded up to whole granules) in compartment `arena`'s heap, charged
    /// to quota `quota`. Returns the block; the caller (the port) zeroes it before handing it out.
    pub fn alloc(&mut self, arena: u8, quota: u8, size: usize) -> Result<Range, Error> {
        let (a, q) = (arena as usize, quota as usize);
        if a >= MAX_COMPARTMENTS || q >= MAX_QUOTAS || size == 0 {
            return Err(Error::InvalidArgument);
        }
        if self.arenas[a].granules == 0 {
            return Err(Error::OutOfMemory);
        }
        let n = size.div_ceil(GRANULE);
        let bytes = n.checked_mul(GRANULE).ok_or(Error::OutOfMemory)?;
        let quota_left = self.quotas[q].limit - self.quotas[q].used;
        if bytes > quota_left {
            return Err(Error::QuotaExceeded);
        }
        let base = self.arenas[a].base;
        let map = self.map(a);
        let mut run = 0;
        let mut found = None;
        for (g, &m) in map.iter().enumerate() {
            run = if m == 0 { run + 1 } else { 0 };
            if run == n {
                found = Some(g + 1 - n);
                break;
            }
        }
        let first = found.ok_or(Error::OutOfMemory)?;
        let tag = quota + 1;
        map[first..first + n].fill(tag);
        map[first] |= START;
        self.quotas[q].used += bytes;
        let start = base + first * GRANULE;
        Ok(Range::new(start, start + bytes))
    }

    /// Frees the allocation starting at `addr` in compartment `arena`'s heap, which must be charged
    /// to quota `quota` (a principal frees only what it paid for). Returns its size in bytes.
    pub fn free(&mut self, arena: u8, quota: u8, addr: usize) -> Result<usize, Error> {
        let (a, q) = (arena as usize, quota as usize);
        if a >= MAX_COMPARTMENTS || q >= MAX_QUOTAS {
            return Err(Error::InvalidArgument);
        }
        let Arena { base, granules, .. } = self.arenas[a];
        if addr < base || !(addr - base).is_multiple_of(GRANULE) || (addr - base) / GRANULE >= granules {
            return Err(Error::InvalidArgument);
        }
        let first = (addr - base) / GRANULE;
        let tag = quota + 1;
        let map = self.map(a);
        if map[first] != START | tag {
            // Not the start of a live allocation, or charged to another quota.
            return Err(Error::InvalidArgument);
        }
        let n = 1 + map[first + 1..].iter().take_while(|&&m| m == tag).count();
        map[first..first + n].fill(0);
        let bytes = n * GRANULE;
        self.quotas[q].used -= bytes;
        Ok(bytes)
    }

    /// Frees every allocation charged to quota `quota`, in every arena. Returns the bytes freed.
    pub fn free_all(&mut self, quota: u8) -> usize {
        if quota as usize >= MAX_QUOTAS {
            return 0;
        }
        let tag = quota + 1;
        let mut freed = 0;
        for a in 0..MAX_COMPARTMENTS {
            for m in self.map(a) {
                if *m & QUOTA_MASK == tag {
                    *m = 0;
                    freed += GRANULE;
                }
            }
        }
        self.quotas[quota as usize].used -= freed;
        freed
    }

    /// Frees every allocation in compartment `c`'s arena, whoever paid for it (micro-reboot),
    /// returning each byte to the quota it was charged to. Returns the bytes freed.
    pub fn reset_arena(&mut self, c: u8) -> usize {
        if c as usize >= MAX_COMPARTMENTS {
            return 0;
        }
        let mut charged = [0usize; MAX_QUOTAS];
        for m in self.map(c as usize) {
            if *m != 0 {
                charged[((*m & QUOTA_MASK) - 1) as usize] += GRANULE;
                *m = 0;
            }
        }
        for (q, bytes) in self.quotas.iter_mut().zip(charged) {
            q.used -= bytes;
        }
        charged.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: usize = 0x3800_1000;

    fn heap(arenas: &[(u8, usize, usize)]) -> Heap {
        let mut h = Heap::new();
        for &(c, granules, quota) in arenas {
            let map = Box::leak(vec![0xAAu8; granules].into_boxed_slice());
            h.add_arena(c, BASE + c as usize * 0x1_0000, map, quota).unwrap();
        }
        h
    }

    #[test]
    fn allocations_are_granular_first_fit_and_charged() {
        let mut h = heap(&[(0, 8, 1024)]);
        assert_eq!(h.arena_free(0), 256, "the map is cleared when the arena is added");
        let a = h.alloc(0, 0, 1).unwrap();
        assert_eq!((a.start, a.len()), (BASE, 32));
        let b = h.alloc(0, 0, 33).unwrap();
        assert_eq!((b.start, b.len()), (BASE + 32, 64));
        assert_eq!(h.quota(0).unwrap().used, 96);
        assert_eq!(h.free(0, 0, a.start), Ok(32));
        let c = h.alloc(0, 0, 32).unwrap();
        assert_eq!(c.start, BASE, "first fit reuses the hole");
        assert_eq!(h.arena_free(0), 256 - 96);
    }

    #[test]
    fn stats_count_runs_of_free_granules() {
        let mut h = heap(&[(0, 8, 1024)]);
        assert_eq!(h.stats(0), ArenaStats { free: 256, largest: 256, smallest: 256, blocks: 1 });
        let a = h.alloc(0, 0, 32).unwrap();
        let _b = h.alloc(0, 0, 64).unwrap();
        let _c = h.alloc(0, 0, 32).unwrap();
        h.free(0, 0, a.start).unwrap();
        // [free 32][b 64][c 32][free 128]
        assert_eq!(h.stats(0), ArenaStats { free: 160, largest: 128, smallest: 32, blocks: 2 });
        assert_eq!(h.stats(5), ArenaStats::default(), "no arena");
        assert_eq!(h.stats(200), ArenaStats::default(), "no such compartment");
    }

    #[test]
    fn quota_and_arena_exhaustion_are_distinct_errors() {
        let mut h = heap(&[(0, 4, 64), (1, 4, 1024)]);
        assert_eq!(h.alloc(0, 0, 65), Err(Error::QuotaExceeded));
        h.alloc(0, 0, 64).unwrap();
        assert_eq!(h.alloc(0, 0, 1), Err(Error::QuotaExceeded));
        assert_eq!(h.alloc(1, 1, 129), Err(Error::OutOfMemory), "bigger than the arena");
        h.alloc(1, 1, 96).unwrap();
        assert_eq!(h.alloc(1, 1, 64), Err(Error::OutOfMemory), "one granule left");
        assert_eq!(h.alloc(2, 1, 32), Err(Error::OutOfMemory), "no arena");
        assert_eq!(h.alloc(0, 0, 0), Err(Error::InvalidArgument));
        assert_eq!(h.alloc(0, 40, 32), Err(Error::InvalidArgument));
    }

    #[test]
    fn a_callee_allocates_in_its_arena_on_the_callers_quota() {
        // Compartment 1 (a service) allocates for compartment 0 (its caller).
        let mut h = heap(&[(0, 4, 64), (1, 8, 256)]);
        let r = h.alloc(1, 0, 64).unwrap();
        assert!(h.arena(1).unwrap().contains(r.start, r.len()));
        assert_eq!(h.quota(0).unwrap().used, 64);
        assert_eq!(h.quota(1).unwrap().used, 0);
        assert_eq!(h.alloc(1, 0, 32), Err(Error::QuotaExceeded), "the caller's quota is spent");
        assert_eq!(h.free(1, 1, r.start), Err(Error::InvalidArgument), "not charged to the service");
        assert_eq!(h.free(1, 0, r.start), Ok(64));
        assert_eq!(h.quota(0).unwrap().used, 0);
    }

    #[test]
    fn free_rejects_what_is_not_an_allocation_start() {
        let mut h = heap(&[(0, 8, 1024)]);
        let a = h.alloc(0, 0, 96).unwrap();
        let b = h.alloc(0, 0, 32).unwrap();
        assert_eq!(h.free(0, 0, a.start + 32), Err(Error::InvalidArgument), "interior");
        assert_eq!(h.free(0, 0, a.start + 4), Err(Error::InvalidArgument), "misaligned");
        assert_eq!(h.free(0, 0, BASE - 32), Err(Error::InvalidArgument), "below the arena");
        assert_eq!(h.free(0, 0, BASE + 8 * 32), Err(Error::InvalidArgument), "past the arena");
        assert_eq!(h.free(0, 0, BASE + 5 * 32), Err(Error::InvalidArgument), "free granule");
        assert_eq!(h.free(0, 0, a.start), Ok(96), "adjacent allocations stay apart");
        assert_eq!(h.free(0, 0, a.start), Err(Error::InvalidArgument), "double free");
        assert_eq!(h.free(0, 0, b.start), Ok(32));
        assert_eq!(h.quota(0).unwrap().used, 0);
    }

    #[test]
    fn free_all_and_reset_arena_settle_every_quota() {
        let mut h = heap(&[(0, 8, 1024), (1, 8, 1024)]);
        h.alloc(0, 0, 64).unwrap();
        h.alloc(1, 0, 32).unwrap(); // service 1 on 0's behalf
        h.alloc(1, 1, 96).unwrap();
        h.alloc(0, 1, 32).unwrap(); // 0 on 1's behalf
        assert_eq!(h.free_all(0), 96, "in both arenas");
        assert_eq!(h.quota(0).unwrap().used, 0);
        assert_eq!(h.quota(1).unwrap().used, 128);
        h.alloc(1, 0, 64).unwrap();
        assert_eq!(h.reset_arena(1), 160, "everything in arena 1, whoever paid");
        assert_eq!(h.quota(0).unwrap().used, 0);
        assert_eq!(h.quota(1).unwrap().used, 32, "1's allocation in arena 0 survives");
        assert_eq!(h.arena_free(1), 256);
    }
}
