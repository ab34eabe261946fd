//! Kernel object services offered to compartments beside scheduling: sealed handles and the
//! heap with its allocation capabilities, the wall clock with its clock capabilities
//! ([`crate::clock`]), and the interrupt lines driver compartments own.
//!
//! An **allocation capability** is a sealed handle naming a quota, sealed under a key that only
//! the allocator owns ([`Owner::Allocator`]): no compartment can open, forge (beyond guessing a
//! 16-bit tag) or mint one. Each compartment with a heap is issued one for its own quota at boot;
//! it may pass it to a callee, which can then allocate on its behalf.
//!
//! **Static sealing keys and sealed objects** come from the manifest: each compartment may own a
//! few named keys (`sealing_keys`), and each declared object is sealed at boot under one of them
//! with fixed contents (e.g. "may connect to broker:8883"). Only compartments that import an
//! object get its handle; only the key's owner can open it and read the contents. A micro-reboot
//! of the owner revokes them with everything else it issued, and issues them afresh.

use crate::clock::Clock;
use crate::compartment::MAX_COMPARTMENTS;
use crate::heap::Heap;
use crate::image::SealedObjectSpec;
use crate::irq::Irqs;
use crate::sealing::{Owner, Sealer};
use crate::Error;

/// Sealing tables, heap and the allocator's capabilities.
pub struct Services {
    /// Sealed handles.
    pub sealer: Sealer,
    /// Heap arenas and quotas.
    pub heap: Heap,
    /// Interrupt lines owned by driver compartments.
    pub irqs: Irqs,
    /// The wall clock and the clock capabilities.
    pub clock: Clock,
    alloc_key: u32,
    /// Allocation capability of each compartment's own quota (0: none).
    alloc_caps: [u32; MAX_COMPARTMENTS],
    /// The manifest's static sealed objects, and per compartment its key count and imports.
    objects: &'static [SealedObjectSpec],
    key_counts: [u8; MAX_COMPARTMENTS],
    sealed_imports: [&'static [u16]; MAX_COMPARTMENTS],
    /// Current handles of the static keys and objects (0: not issued).
    static_keys: [[u32; MAX_STATIC_KEYS]; MAX_COMPARTMENTS],
    static_objects: [u32; MAX_STATIC_OBJECTS],
}

/// Most static sealing keys per compartment.
pub const MAX_STATIC_KEYS: usize = 4;
/// Most static sealed objects per image.
pub const MAX_STATIC_OBJECTS: usize = 32;

impl Default for Services {
    fn default() -> Self {
        Self::new()
    }
}

impl Services {
    /// Empty tables.
    pub const fn new() -> Services {
        Services {
            sealer: Sealer::new(),
            heap: Heap::new(),
            irqs: Irqs::new(),
            clock: Clock::new(),
            alloc_key: 0,
            alloc_caps: [0; MAX_COMPARTMENTS],
            objects: &[],
            key_counts: [0; MAX_COMPARTMENTS],
            sealed_imports: [&[]; MAX_COMPARTMENTS],
            static_keys: [[0; MAX_STATIC_KEYS]; MAX_COMPARTMENTS],
            static_objects: [0; MAX_STATIC_OBJECTS],
        }
    }

    /// Records the manifest's static keys and objects: compartment `c` owns `key_counts[c]` keys
    /// and imports the objects `sealed_imports[c]` (indices into `objects`).
    pub fn configure_static(
        &mut self,
        objects: &'static [SealedObjectSpec],
        compartments: impl Iterator<Item = (u8, &'static [u16])>,
    ) -> Result<(), Error> {
        if objects.len() > MAX_STATIC_OBJECTS {
            return Err(Error::InvalidArgument);
        }
        self.objects = objects;
        for (c, (keys, imports)) in compartments.enumerate() {
            if c >= MAX_COMPARTMENTS
                || keys as usize > MAX_STATIC_KEYS
                || imports.iter().any(|&o| o as usize >= objects.len())
            {
                return Err(Error::InvalidArgument);
            }
            self.key_counts[c] = keys;
            self.sealed_imports[c] = imports;
        }
        if objects.iter().any(|o| o.owner as usize >= MAX_COMPARTMENTS || o.key >= self.key_counts[o.owner as usize]) {
            return Err(Error::InvalidArgument);
        }
        Ok(())
    }

    /// Creates compartment `c`'s static keys and seals the objects under them (at boot, and again
    /// after its micro-reboot has revoked the previous ones).
    pub fn issue_static(&mut self, c: u8) -> Result<(), Error> {
        let owner = Owner::Compartment(c);
        for k in 0..self.key_counts[c as usize] as usize {
            self.static_keys[c as usize][k] = self.sealer.create_key(owner)?;
        }
        for (i, o) in self.objects.iter().enumerate() {
            if o.owner == c {
                let key = self.static_keys[c as usize][o.key as usize];
                self.static_objects[i] = self.sealer.seal(owner, key, i as u32)?;
            }
        }
        Ok(())
    }

    /// Compartment `c`'s static key number `index`.
    pub fn static_key(&self, c: u8, index: u32) -> Result<u32, Error> {
        if index >= self.key_counts[c as usize] as u32 {
            return Err(Error::InvalidArgument);
        }
        Ok(self.static_keys[c as usize][index as usize])
    }

    /// The handle of the object compartment `c` imports in `slot`.
    pub fn static_sealed(&self, c: u8, slot: u32) -> Result<u32, Error> {
        let object = self.sealed_imports[c as usize].get(slot as usize).ok_or(Error::InvalidArgument)?;
        Ok(self.static_objects[*object as usize])
    }

    /// Opens static object `handle` with `key` on behalf of compartment `c`: its contents.
    pub fn sealed_contents(&self, c: u8, key: u32, handle: u32) -> Result<&'static [u8], Error> {
        let i = self.sealer.unseal(Owner::Compartment(c), key, handle)? as usize;
        // Objects the compartment sealed itself at run time carry arbitrary payloads: only a
        // handle that *is* the static object's current handle has contents.
        match self.objects.get(i) {
            Some(o) if self.static_objects[i] == handle => Ok(o.contents),
            _ => Err(Error::InvalidArgument),
        }
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
