//! The wall clock: UTC time in microseconds since the Unix epoch, and the clock capabilities that
//! allow setting it.
//!
//! The kernel keeps no calendar time of its own. Someone who knows the time (an SNTP client, an
//! RTC driver) **sets** it; the kernel then records an *anchor* — the time it was told and the
//! monotonic time (cycles of the tick timer since boot, in microseconds) at that moment — and
//! every read is `anchor time + (monotonic now - anchor monotonic)`. Setting steps the clock (no
//! slewing): readers see the new time from the next read on, earlier or later than before. The
//! clock runs exactly as fast as the tick timer's input clock, and is not set at boot: reads fail
//! with `ClockNotSet` until the first set.
//!
//! Setting needs a **clock capability**: a sealed handle under a key only the clock owns
//! ([`Owner::Clock`]), so no compartment can open, mint or type-confuse one (`WrongType`), and a
//! guessed one is `InvalidHandle` (a 16-bit tag per handle, as for every sealed handle). Each
//! compartment whose manifest has `may_set_clock = true` is issued one at boot; kernel threads
//! share one, made when first asked for. It is a bearer capability: lending its value to another
//! compartment lets that compartment set the clock. A micro-reboot of a compartment makes its
//! capability stale (copies it lent out included) and issues it a fresh one, like every other
//! sealed handle it was given; the time itself is kernel state and survives.

use crate::compartment::MAX_COMPARTMENTS;
use crate::sealing::{Owner, Sealer};
use crate::time::WALL_CLOCK_MAX_US;
use crate::Error;

/// Payload of the kernel threads' clock capability (a compartment's is its index).
pub const KERNEL_HOLDER: u32 = u32::MAX;

/// The wall-clock time at one monotonic instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Anchor {
    unix_us: u64,
    mono_us: u64,
}

/// The wall clock and its capabilities.
pub struct Clock {
    anchor: Option<Anchor>,
    /// The clock's sealing key (0: not made yet).
    key: u32,
    /// Clock capability of each compartment with the right (0: none).
    caps: [u32; MAX_COMPARTMENTS],
    /// The kernel threads' clock capability (0: not made yet).
    kernel_cap: u32,
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock {
    /// Not set, no capabilities.
    pub const fn new() -> Clock {
        Clock { anchor: None, key: 0, caps: [0; MAX_COMPARTMENTS], kernel_cap: 0 }
    }

    fn key(&mut self, sealer: &mut Sealer) -> Result<u32, Error> {
        if self.key == 0 {
            self.key = sealer.create_key(Owner::Clock)?;
        }
        Ok(self.key)
    }

    /// Issues a clock capability to each compartment whose entry in `rights` (manifest order) is
    /// true (boot, after the sealer is seeded).
    pub fn issue_caps(&mut self, sealer: &mut Sealer, rights: impl Iterator<Item = bool>) -> Result<(), Error> {
        for (c, right) in rights.enumerate() {
            if c >= MAX_COMPARTMENTS {
                return Err(Error::InvalidArgument);
            }
            if right {
                let key = self.key(sealer)?;
                self.caps[c] = sealer.seal(Owner::Clock, key, c as u32)?;
            }
        }
        Ok(())
    }

    /// After compartment `c`'s micro-reboot: its clock capability (if it has the right) becomes
    /// stale, every copy included, and it is issued a new one. Returns whether it had one (the
    /// number of handles revoked).
    pub fn reissue(&mut self, sealer: &mut Sealer, c: u8) -> Result<bool, Error> {
        let Some(&old) = self.caps.get(c as usize) else { return Err(Error::InvalidArgument) };
        if old == 0 {
            return Ok(false);
        }
        // The old handle is live unless the sealer was reset; either way it must not work again.
        let _ = sealer.destroy(Owner::Clock, self.key, old);
        // If no new one can be sealed, the compartment has none (`NotPermitted`), never the old.
        self.caps[c as usize] = 0;
        self.caps[c as usize] = sealer.seal(Owner::Clock, self.key, c as u32)?;
        Ok(true)
    }

    /// The clock capability of the code running as `owner`: a compartment's own (`NotPermitted`
    /// without the manifest right), or the kernel threads' (made on first request).
    pub fn cap(&mut self, sealer: &mut Sealer, owner: Owner) -> Result<u32, Error> {
        match owner {
            Owner::Compartment(c) => match self.caps.get(c as usize) {
                Some(&cap) if cap != 0 => Ok(cap),
                _ => Err(Error::NotPermitted),
            },
            Owner::Kernel => {
                if self.kernel_cap == 0 {
                    let key = self.key(sealer)?;
                    self.kernel_cap = sealer.seal(Owner::Clock, key, KERNEL_HOLDER)?;
                }
                Ok(self.kernel_cap)
            }
            Owner::Allocator | Owner::Clock => Err(Error::NotPermitted),
        }
    }

    /// To whom clock capability `cap` was issued (a compartment index, or [`KERNEL_HOLDER`]). A
    /// handle of another type is `WrongType`; a forged or stale one `InvalidHandle`.
    pub fn holder(&self, sealer: &Sealer, cap: u32) -> Result<u32, Error> {
        if self.key == 0 {
            return Err(Error::InvalidHandle);
        }
        sealer.unseal(Owner::Clock, self.key, cap)
    }

    /// Steps the clock to `unix_us` (microseconds since the Unix epoch) at monotonic time
    /// `mono_us`, if `cap` is a clock capability. `InvalidArgument` for a time after
    /// [`WALL_CLOCK_MAX_US`]; the capability is checked first.
    pub fn set(&mut self, sealer: &Sealer, cap: u32, unix_us: u64, mono_us: u64) -> Result<(), Error> {
        self.holder(sealer, cap)?;
        if unix_us > WALL_CLOCK_MAX_US {
            return Err(Error::InvalidArgument);
        }
        self.anchor = Some(Anchor { unix_us, mono_us });
        Ok(())
    }

    /// The wall-clock time at monotonic time `mono_us` (not earlier than the last set), or
    /// `ClockNotSet`.
    pub fn read(&self, mono_us: u64) -> Result<u64, Error> {
        let a = self.anchor.ok_or(Error::ClockNotSet)?;
        Ok(a.unix_us.saturating_add(mono_us.saturating_sub(a.mono_us)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(rights: &[bool]) -> (Clock, Sealer) {
        let mut sealer = Sealer::new();
        sealer.seed(77);
        let mut clock = Clock::new();
        clock.issue_caps(&mut sealer, rights.iter().copied()).unwrap();
        (clock, sealer)
    }

    #[test]
    fn reads_fail_until_set_then_follow_the_monotonic_clock() {
        let (mut clock, mut sealer) = setup(&[true]);
        assert_eq!(clock.read(5), Err(Error::ClockNotSet));
        let cap = clock.cap(&mut sealer, Owner::Compartment(0)).unwrap();
        let t0 = 1_700_000_000_000_000;
        clock.set(&sealer, cap, t0, 1_000).unwrap();
        assert_eq!(clock.read(1_000), Ok(t0));
        assert_eq!(clock.read(1_250), Ok(t0 + 250));
        assert_eq!(clock.read(900), Ok(t0), "never before the anchor");
        // A step backwards: readers see the earlier time at once.
        clock.set(&sealer, cap, t0 - 86_400_000_000, 2_000).unwrap();
        assert_eq!(clock.read(2_010), Ok(t0 - 86_400_000_000 + 10));
        // The latest settable instant, and no overflow past it.
        clock.set(&sealer, cap, WALL_CLOCK_MAX_US, 0).unwrap();
        assert_eq!(clock.read(u64::MAX), Ok(u64::MAX));
        assert_eq!(clock.set(&sealer, cap, WALL_CLOCK_MAX_US + 1, 0), Err(Error::InvalidArgument));
        assert_eq!(clock.read(0), Ok(WALL_CLOCK_MAX_US), "a refused set changes nothing");
    }

    #[test]
    fn only_compartments_with_the_right_and_kernel_threads_get_a_capability() {
        let (mut clock, mut sealer) = setup(&[false, true, false]);
        assert_eq!(clock.cap(&mut sealer, Owner::Compartment(0)), Err(Error::NotPermitted));
        assert_eq!(clock.cap(&mut sealer, Owner::Compartment(2)), Err(Error::NotPermitted));
        assert_eq!(clock.cap(&mut sealer, Owner::Compartment(15)), Err(Error::NotPermitted));
        assert_eq!(clock.cap(&mut sealer, Owner::Compartment(200)), Err(Error::NotPermitted));
        let c1 = clock.cap(&mut sealer, Owner::Compartment(1)).unwrap();
        let k = clock.cap(&mut sealer, Owner::Kernel).unwrap();
        assert_eq!(clock.cap(&mut sealer, Owner::Kernel), Ok(k), "one kernel capability");
        assert_ne!(c1, k);
        assert_eq!(clock.holder(&sealer, c1), Ok(1));
        assert_eq!(clock.holder(&sealer, k), Ok(KERNEL_HOLDER));
        assert_eq!(clock.cap(&mut sealer, Owner::Allocator), Err(Error::NotPermitted));
        // Without any right in the image, no key exists until a kernel thread asks.
        let (mut none, mut s2) = setup(&[false, false]);
        assert_eq!(none.key, 0);
        assert_eq!(none.holder(&s2, c1), Err(Error::InvalidHandle));
        assert!(none.cap(&mut s2, Owner::Kernel).is_ok());
        let mut s3 = Sealer::new();
        assert_eq!(Clock::new().issue_caps(&mut s3, [false; 17].into_iter()), Err(Error::InvalidArgument));
    }

    #[test]
    fn forged_and_wrongly_typed_capabilities_are_refused() {
        let (mut clock, mut sealer) = setup(&[true, false]);
        let cap = clock.cap(&mut sealer, Owner::Compartment(0)).unwrap();
        for forged in [cap ^ 0x0001_0000, cap ^ 0x40, 0, 0x1234_5678, u32::MAX] {
            assert_eq!(clock.set(&sealer, forged, 1, 0), Err(Error::InvalidHandle), "{forged:#x}");
        }
        // A compartment's own sealed handle, and an allocation capability.
        let key = sealer.create_key(Owner::Compartment(1)).unwrap();
        let own = sealer.seal(Owner::Compartment(1), key, 0).unwrap();
        assert_eq!(clock.set(&sealer, own, 1, 0), Err(Error::WrongType));
        let alloc_key = sealer.create_key(Owner::Allocator).unwrap();
        let alloc = sealer.seal(Owner::Allocator, alloc_key, 1).unwrap();
        assert_eq!(clock.set(&sealer, alloc, 1, 0), Err(Error::WrongType));
        // ... and the other way round: a clock capability opened as an allocation capability.
        assert_eq!(sealer.unseal(Owner::Allocator, alloc_key, cap), Err(Error::WrongType));
        assert_eq!(clock.read(0), Err(Error::ClockNotSet), "nothing was set");
        assert_eq!(clock.set(&sealer, cap, 1, 0), Ok(()));
    }

    #[test]
    fn a_reboot_revokes_the_capability_and_its_copies_but_not_the_time() {
        let (mut clock, mut sealer) = setup(&[true, true]);
        let old = clock.cap(&mut sealer, Owner::Compartment(0)).unwrap();
        let other = clock.cap(&mut sealer, Owner::Compartment(1)).unwrap();
        clock.set(&sealer, old, 5_000_000, 0).unwrap();
        // The compartment's own keys and objects go first in a reboot; clock caps are not its.
        sealer.revoke_all(Owner::Compartment(0));
        assert_eq!(clock.holder(&sealer, old), Ok(0), "revoke_all leaves clock caps alone");
        assert_eq!(clock.reissue(&mut sealer, 0), Ok(true));
        let new = clock.cap(&mut sealer, Owner::Compartment(0)).unwrap();
        assert_ne!(old, new);
        assert_eq!(clock.set(&sealer, old, 1, 0), Err(Error::InvalidHandle), "a lent copy is stale");
        assert_eq!(clock.read(10), Ok(5_000_010), "the time survives");
        assert_eq!(clock.set(&sealer, new, 7_000_000, 10), Ok(()));
        assert_eq!(clock.set(&sealer, other, 8_000_000, 10), Ok(()), "other holders unaffected");
        assert_eq!(clock.reissue(&mut sealer, 200), Err(Error::InvalidArgument));
        let (mut no_right, mut s) = setup(&[false]);
        assert_eq!(no_right.reissue(&mut s, 0), Ok(false));
        assert_eq!(no_right.cap(&mut s, Owner::Compartment(0)), Err(Error::NotPermitted), "still none");
    }
}
