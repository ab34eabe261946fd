//! Sealed handles: opaque, typed references to objects that only the holder of the matching
//! **key** can open.
//!
//! A compartment creates a key (a sealing *type*), seals a payload under it — typically the address
//! of an object in its own memory, such as a socket's state — and hands the resulting handle to
//! other compartments. They can store and pass the handle back, but never open it: unsealing needs
//! the key, and a key can only be used by the compartment that created it. Destroying a sealed
//! object makes every copy of its handle stale.
//!
//! Handles and keys are plain 32-bit values (there are no hardware capabilities on this CPU); the
//! kernel keeps the truth in its own tables and rejects anything it did not issue:
//!
//! ```text
//!   bits 31..16  tag         per-object random value, fresh for every seal
//!   bits 15..6   generation  bumped whenever the slot is freed
//!   bits  5..0   slot index
//! ```
//!
//! A forged value must hit a live slot *and* its generation *and* its 16-bit random tag.

use crate::Error;

/// Sealed objects alive at once.
pub const MAX_OBJECTS: usize = 64;
/// Keys (sealing types) in the system.
pub const MAX_KEYS: usize = 32;

/// Who owns a key: a compartment index, or the kernel's own (privileged) threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// Privileged kernel threads.
    Kernel,
    /// A compartment, by index.
    Compartment(u8),
    /// The kernel's allocator (allocation capabilities); never the caller of a system call.
    Allocator,
    /// The kernel's wall clock (clock capabilities); never the caller of a system call.
    Clock,
}

#[derive(Clone, Copy)]
struct Key {
    live: bool,
    owner: Owner,
    generation: u16,
    tag: u16,
}

#[derive(Clone, Copy)]
struct Object {
    live: bool,
    key: u8,
    generation: u16,
    tag: u16,
    payload: u32,
}

/// The kernel's sealing tables.
pub struct Sealer {
    keys: [Key; MAX_KEYS],
    objects: [Object; MAX_OBJECTS],
    rng: u32,
}

impl Default for Sealer {
    fn default() -> Self {
        Self::new()
    }
}

const INDEX_BITS: u32 = 6;
const GEN_BITS: u32 = 10;
const GEN_MASK: u16 = (1 << GEN_BITS) - 1;

fn encode(index: usize, generation: u16, tag: u16) -> u32 {
    (tag as u32) << 16 | ((generation & GEN_MASK) as u32) << INDEX_BITS | index as u32
}

fn decode(handle: u32) -> (usize, u16, u16) {
    ((handle & ((1 << INDEX_BITS) - 1)) as usize, ((handle >> INDEX_BITS) as u16) & GEN_MASK, (handle >> 16) as u16)
}

impl Sealer {
    /// Empty tables. The tag generator must be seeded with [`Sealer::seed`] before use.
    pub const fn new() -> Sealer {
        Sealer {
            keys: [Key { live: false, owner: Owner::Kernel, generation: 0, tag: 0 }; MAX_KEYS],
            objects: [Object { live: false, key: 0, generation: 0, tag: 0, payload: 0 }; MAX_OBJECTS],
            rng: 0,
        }
    }

    /// Seeds the tag generator (non-zero; e.g. from a timer or a hardware entropy source).
    pub fn seed(&mut self, seed: u32) {
        self.rng = if seed == 0 { 0x9E37_79B9 } else { seed };
    }

    /// xorshift32: unpredictable enough to make guessing a live handle's tag a 1-in-65536 shot per
    /// attempt; not a cryptographic generator.
    fn next_tag(&mut self) -> u16 {
        if self.rng == 0 {
            self.seed(0);
        }
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng = x;
        match (x >> 16) as u16 {
            0 => 1, // a handle is never zero
            // A handle is never a negative error code (-65535..=-1 read as u32 is 0xFFFF_0001..):
            // services may return "handle or error" in one register without ambiguity.
            0xFFFF => 0xFFFE,
            t => t,
        }
    }

    /// Creates a key owned by `owner`.
    pub fn create_key(&mut self, owner: Owner) -> Result<u32, Error> {
        let index = self.keys.iter().position(|k| !k.live).ok_or(Error::OutOfObjects)?;
        let tag = self.next_tag();
        let k = &mut self.keys[index];
        k.live = true;
        k.owner = owner;
        k.tag = tag;
        Ok(encode(index, k.generation, tag))
    }

    fn key_index(&self, key: u32, caller: Owner) -> Result<usize, Error> {
        let (i, generation, tag) = decode(key);
        match self.keys.get(i) {
            Some(k) if k.live && k.generation == generation && k.tag == tag => {
                if k.owner == caller {
                    Ok(i)
                } else {
                    Err(Error::NotPermitted)
                }
            }
            _ => Err(Error::InvalidHandle),
        }
    }

    /// Seals `payload` under `key` (which `caller` must own); returns the handle.
    pub fn seal(&mut self, caller: Owner, key: u32, payload: u32) -> Result<u32, Error> {
        let k = self.key_index(key, caller)?;
        let index = self.objects.iter().position(|o| !o.live).ok_or(Error::OutOfObjects)?;
        let tag = self.next_tag();
        let o = &mut self.objects[index];
        o.live = true;
        o.key = k as u8;
        o.tag = tag;
        o.payload = payload;
        Ok(encode(index, o.generation, tag))
    }

    fn object_index(&self, caller: Owner, key: u32, handle: u32) -> Result<usize, Error> {
        let k = self.key_index(key, caller)?;
        let (i, generation, tag) = decode(handle);
        match self.objects.get(i) {
            Some(o) if o.live && o.generation == generation && o.tag == tag => {
                if o.key as usize == k {
                    Ok(i)
                } else {
                    Err(Error::WrongType)
                }
            }
            _ => Err(Error::InvalidHandle),
        }
    }

    /// Opens `handle` with `key` (owned by `caller`): the payload, if the handle is live and was
    /// sealed under that key.
    pub fn unseal(&self, caller: Owner, key: u32, handle: u32) -> Result<u32, Error> {
        self.object_index(caller, key, handle).map(|i| self.objects[i].payload)
    }

    /// Destroys the object behind `handle` (needs its key); every copy of the handle goes stale.
    pub fn destroy(&mut self, caller: Owner, key: u32, handle: u32) -> Result<u32, Error> {
        let i = self.object_index(caller, key, handle)?;
        let o = &mut self.objects[i];
        o.live = false;
        o.generation = o.generation.wrapping_add(1) & GEN_MASK;
        Ok(core::mem::take(&mut o.payload))
    }

    /// Destroys every object sealed under keys of `owner`, and those keys (for micro-reboots).
    pub fn revoke_all(&mut self, owner: Owner) -> usize {
        let mut n = 0;
        for k in 0..MAX_KEYS {
            if self.keys[k].live && self.keys[k].owner == owner {
                for o in self.objects.iter_mut().filter(|o| o.live && o.key as usize == k) {
                    o.live = false;
                    o.generation = o.generation.wrapping_add(1) & GEN_MASK;
                    n += 1;
                }
                self.keys[k].live = false;
                self.keys[k].generation = self.keys[k].generation.wrapping_add(1) & GEN_MASK;
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Owner = Owner::Compartment(0);
    const B: Owner = Owner::Compartment(1);

    fn sealer() -> Sealer {
        let mut s = Sealer::new();
        s.seed(12345);
        s
    }

    #[test]
    fn seal_unseal_destroy() {
        let mut s = sealer();
        let key = s.create_key(A).unwrap();
        let h = s.seal(A, key, 0x3800_1234).unwrap();
        assert_ne!(h, 0);
        assert_eq!(s.unseal(A, key, h), Ok(0x3800_1234));
        assert_eq!(s.destroy(A, key, h), Ok(0x3800_1234));
        assert_eq!(s.unseal(A, key, h), Err(Error::InvalidHandle), "stale after destroy");
        assert_eq!(s.destroy(A, key, h), Err(Error::InvalidHandle), "no double destroy");
    }

    #[test]
    fn reused_slots_do_not_revive_old_handles() {
        let mut s = sealer();
        let key = s.create_key(A).unwrap();
        let old = s.seal(A, key, 1).unwrap();
        s.destroy(A, key, old).unwrap();
        let new = s.seal(A, key, 2).unwrap();
        assert_eq!(old & 0x3F, new & 0x3F, "same slot");
        assert_eq!(s.unseal(A, key, old), Err(Error::InvalidHandle));
        assert_eq!(s.unseal(A, key, new), Ok(2));
    }

    #[test]
    fn only_the_key_owner_can_use_a_key() {
        let mut s = sealer();
        let key = s.create_key(A).unwrap();
        let h = s.seal(A, key, 7).unwrap();
        assert_eq!(s.unseal(B, key, h), Err(Error::NotPermitted));
        assert_eq!(s.seal(B, key, 9), Err(Error::NotPermitted));
        assert_eq!(s.destroy(B, key, h), Err(Error::NotPermitted));
        assert_eq!(s.unseal(Owner::Kernel, key, h), Err(Error::NotPermitted));
    }

    #[test]
    fn wrong_type_and_forgeries_are_rejected() {
        let mut s = sealer();
        let ka = s.create_key(A).unwrap();
        let kb = s.create_key(B).unwrap();
        let ha = s.seal(A, ka, 1).unwrap();
        let hb = s.seal(B, kb, 2).unwrap();
        assert_eq!(s.unseal(A, ka, hb), Err(Error::WrongType), "B's object under A's key");
        assert_eq!(s.unseal(B, kb, ha), Err(Error::WrongType));
        // Forgeries: wrong tag, wrong generation, out-of-range, zero, a key used as a handle.
        assert_eq!(s.unseal(A, ka, ha ^ 0x0001_0000), Err(Error::InvalidHandle));
        assert_eq!(s.unseal(A, ka, ha ^ 0x0000_0040), Err(Error::InvalidHandle));
        assert_eq!(s.unseal(A, ka, 0), Err(Error::InvalidHandle));
        assert_eq!(s.unseal(A, ka, ka), Err(Error::InvalidHandle));
        assert_eq!(s.unseal(A, ka ^ 0x0100_0000, ha), Err(Error::InvalidHandle), "forged key");
        // Brute force over all tags of a live slot finds exactly one value.
        let base = ha & 0xFFFF;
        let hits = (0..=0xFFFFu32).filter(|t| s.unseal(A, ka, t << 16 | base).is_ok()).count();
        assert_eq!(hits, 1);
    }

    #[test]
    fn handles_are_never_zero_nor_error_codes() {
        let mut s = sealer();
        let key = s.create_key(A).unwrap();
        for i in 0..200_000u32 {
            let h = s.seal(A, key, i).unwrap();
            assert!(h != 0 && h < 0xFFFF_0000, "handle {h:#x}");
            s.destroy(A, key, h).unwrap();
        }
    }

    #[test]
    fn tables_fill_up_with_an_error_and_revoke_all_frees() {
        let mut s = sealer();
        let key = s.create_key(A).unwrap();
        for i in 0..MAX_OBJECTS {
            s.seal(A, key, i as u32).unwrap();
        }
        assert_eq!(s.seal(A, key, 0), Err(Error::OutOfObjects));
        let kb = s.create_key(B).unwrap();
        assert_eq!(s.revoke_all(A), MAX_OBJECTS);
        assert_eq!(s.seal(A, key, 0), Err(Error::InvalidHandle), "A's key is gone");
        assert!(s.seal(B, kb, 0).is_ok(), "B unaffected");
        for _ in 0..MAX_KEYS - 1 {
            s.create_key(A).unwrap();
        }
        assert_eq!(s.create_key(A), Err(Error::OutOfObjects));
    }
}
