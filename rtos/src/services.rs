//! Kernel object services offered to compartments beside scheduling: sealed handles and the
//! heap with its allocation capabilities.
//!
//! An **allocation capability** is a sealed handle naming a quota, sealed under a key that only
//! the allocator owns ([`Owner::Allocator`]): no compartment can open, forge (beyond guessing a
//! 16-bit tag) or mint one. Each compartment with a heap is issued one for its own quota at boot;
//! it may pass it to a callee, which can then allocate on its behalf.

use crate::compartment::MAX_COMPARTMENTS;
use crate::heap::Heap;
use crate::sealing::{Owner, Sealer};
use crate::Error;

/// Sealing tables, heap and the allocator's capabilities.
pub struct Services {
    /// Sealed handles.
    pub sealer: Sealer,
    /// Heap arenas and quotas.
    pub heap: Heap,
    alloc_key: u32,
    /// Allocation capability of each compartment's own quota (0: none).
    alloc_caps: [u32; MAX_COMPARTMENTS],
}

impl Default for Services {
    fn default() -> Self {
        Self::new()
    }
}

impl Services {
    /// Empty tables.
    pub const fn new() -> Services {
        Services { sealer: Sealer::new(), heap: Heap::new(), alloc_key: 0, alloc_caps: [0; MAX_COMPARTMENTS] }
    }

    /// Issues an allocation capability for the quota of each compartment in `0..n` that has one
    /// (boot, after the arenas are added and the sealer is seeded).
    pub fn issue_allocation_caps(&mut self, n: usize) -> Result<(), Error> {
        if self.alloc_key == 0 {
            self.alloc_key = self.sealer.create_key(Owner::Allocator)?;
        }
        for c in 0..n.min(MAX_COMPARTMENTS) {
            if self.heap.quota(c as u8).is_some_and(|q| q.limit > 0) {
                self.alloc_caps[c] = self.sealer.seal(Owner::Allocator, self.alloc_key, c as u32)?;
            }
        }
        Ok(())
    }

    /// Compartment `c`'s own allocation capability.
    pub fn allocation_cap(&self, c: u8) -> Result<u32, Error> {
        match self.alloc_caps.get(c as usize) {
            Some(&cap) if cap != 0 => Ok(cap),
            _ => Err(Error::NotPermitted),
        }
    }

    /// The quota an allocation capability names. A handle of another type is `WrongType`; a forged
    /// or stale one `InvalidHandle`.
    pub fn quota_of(&self, cap: u32) -> Result<u8, Error> {
        if self.alloc_key == 0 {
            return Err(Error::InvalidHandle);
        }
        self.sealer.unseal(Owner::Allocator, self.alloc_key, cap).map(|q| q as u8)
    }
}
