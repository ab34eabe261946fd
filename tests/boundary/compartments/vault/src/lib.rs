//! Compartment `vault`: hands out sealed handles to values it keeps, and opens only its own.
//! Errors are returned as negative error codes (as `u32`), values are small positive numbers.
#![no_std]

use core::sync::atomic::{AtomicU32, Ordering};
use rtos_sys::{SealKey, Sealed};

static KEY: AtomicU32 = AtomicU32::new(0);

fn key() -> Result<SealKey, rtos_sys::Error> {
    match KEY.load(Ordering::Acquire) {
        0 => {
            let k = rtos_sys::seal_key_create()?;
            KEY.store(k.0, Ordering::Release);
            Ok(k)
        }
        k => Ok(SealKey(k)),
    }
}

fn code(r: Result<u32, rtos_sys::Error>) -> u32 {
    r.unwrap_or_else(|e| e.code() as u32)
}

/// Seals `value`; returns the handle.
#[no_mangle]
pub extern "C" fn open(value: u32) -> u32 {
    code(key().and_then(|k| rtos_sys::seal(k, value)).map(|h| h.0))
}

/// Opens a handle: the value, or an error code.
#[no_mangle]
pub extern "C" fn read(handle: u32) -> u32 {
    code(key().and_then(|k| rtos_sys::unseal(k, Sealed(handle))))
}

/// Destroys a handle's object.
#[no_mangle]
pub extern "C" fn close(handle: u32) -> u32 {
    code(key().and_then(|k| rtos_sys::seal_destroy(k, Sealed(handle))).map(|_| 0))
}

/// Keeps the calling thread inside `vault` for a long time (until a reboot unwinds it).
#[no_mangle]
pub extern "C" fn hold() -> u32 {
    rtos_sys::sleep(1000);
    0
}

/// Careless: gives its key away (to show a key is useless outside its owner).
#[no_mangle]
pub extern "C" fn leak_key() -> u32 {
    code(key().map(|k| k.0))
}

rtos_sys::imports!();

/// Opens a static sealed object with the static key `ticket` (from the manifest), prints its
/// contents and returns their length.
#[no_mangle]
pub extern "C" fn read_static(handle: u32) -> u32 {
    let key = match static_keys::ticket() {
        Ok(k) => k,
        Err(e) => return e.code() as u32,
    };
    let mut buf = [0u8; rtos_sys::SEALED_CONTENTS_MAX];
    match rtos_sys::sealed_contents(key, Sealed(handle), &mut buf) {
        Ok(n) => {
            let text = core::str::from_utf8(&buf[..n]).unwrap_or("?");
            rtos_sys::println!("vault: static object contents \"{}\"", text);
            n as u32
        }
        Err(e) => e.code() as u32,
    }
}

/// Asks for a static sealed object `vault` does not import.
#[no_mangle]
pub extern "C" fn try_import() -> u32 {
    code(rtos_sys::static_sealed(0).map(|h| h.0))
}
