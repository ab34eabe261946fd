//! Compartment `client`: holds `vault`'s sealed handles and tries to forge, replay, open and
//! confuse them. Prints `case | expected | observed | ok` rows.
#![no_std]

use rtos_sys::{Error, SealKey, Sealed};

use boundary_support::{case, decode};

rtos_sys::imports!();

/// A second client thread: it is inside `vault` (blocked in `vault.hold`) when the supervisor
/// reboots `vault`, and must come back with `CompartmentFault` instead of staying there.
#[no_mangle]
pub extern "C" fn holder_main(_arg: usize) {
    rtos_sys::sleep(5);
    case("call-unwound-by-vault-reboot", Err(Error::CompartmentFault), vault::hold());
}

/// The client thread.
#[no_mangle]
pub extern "C" fn client_main(_arg: usize) {
    let h = decode(vault::open(1234)).unwrap_or(0);
    case("seal-then-unseal-by-owner", Ok(1234), decode(vault::read(h)));
    case("forged-handle (tag flipped)", Err(Error::InvalidHandle), decode(vault::read(h ^ 0x0001_0000)));
    case("forged-handle (made up)", Err(Error::InvalidHandle), decode(vault::read(0xDEAD_BEEF)));
    case("destroy", Ok(0), decode(vault::close(h)));
    case("replay-after-destroy", Err(Error::InvalidHandle), decode(vault::read(h)));

    let mine = rtos_sys::seal_key_create().unwrap_or(SealKey(0));
    let my_handle = rtos_sys::seal(mine, 99).unwrap_or(Sealed(0));
    case("own-key-own-handle", Ok(99), rtos_sys::unseal(mine, my_handle));
    case("type-confusion (foreign handle)", Err(Error::WrongType), decode(vault::read(my_handle.0)));
    let h2 = decode(vault::open(77)).unwrap_or(0);
    case("type-confusion (wrong key)", Err(Error::WrongType), rtos_sys::unseal(mine, Sealed(h2)));
    let stolen = SealKey(decode(vault::leak_key()).unwrap_or(0));
    case("unseal-with-stolen-key", Err(Error::NotPermitted), rtos_sys::unseal(stolen, Sealed(h2)));
    case("seal-with-stolen-key", Err(Error::NotPermitted), rtos_sys::seal(stolen, 1).map(|s| s.0));
    case("vault-handle-still-valid", Ok(77), decode(vault::read(h2)));
    case("reboot-from-a-compartment", Err(Error::NotPermitted), rtos_sys::compartment_reboot(0));

    // Static sealed objects from the manifest.
    let gold = static_sealed::gold();
    case("static-object-delivered-to-importer", Ok(1), gold.map(|h| (h.0 != 0) as u32));
    let gold = gold.unwrap_or(Sealed(0));
    case("static-object-opened-by-key-owner", Ok(7), decode(vault::read_static(gold.0)));
    case("static-object-not-imported", Err(Error::InvalidArgument), decode(vault::try_import()));
    case("static-object-slot-not-imported", Err(Error::InvalidArgument), rtos_sys::static_sealed(1).map(|h| h.0));
    case("static-key-not-owned", Err(Error::InvalidArgument), rtos_sys::static_key(0).map(|k| k.0));
    case("static-object-with-own-key", Err(Error::WrongType), rtos_sys::unseal(mine, gold));
    case("static-object-contents-by-non-owner", Err(Error::NotPermitted), {
        let mut buf = [0u8; rtos_sys::SEALED_CONTENTS_MAX];
        rtos_sys::sealed_contents(stolen, gold, &mut buf).map(|n| n as u32)
    });
    case("runtime-handle-under-another-key", Err(Error::WrongType), decode(vault::read_static(h2)));

    // Micro-reboot: the supervisor (a kernel thread) reboots `vault` while we sleep at tick ~20.
    let before = decode(vault::open(55)).unwrap_or(0);
    case("handle-before-reboot", Ok(55), decode(vault::read(before)));
    rtos_sys::sleep(40);
    case("handle-stale-after-vault-reboot", Err(Error::InvalidHandle), decode(vault::read(before)));
    let after = decode(vault::open(66)).unwrap_or(0);
    case("vault-serves-after-reboot", Ok(66), decode(vault::read(after)));
    case("static-object-stale-after-reboot", Err(Error::InvalidHandle), decode(vault::read_static(gold.0)));
    let fresh = static_sealed::gold().unwrap_or(Sealed(0));
    case("static-object-reissued-after-reboot", Ok(7), decode(vault::read_static(fresh.0)));

    boundary_support::finish("sealing");
}
