//! Compartment `tenant`: allocates from its own heap, lends its allocation capability to the
//! service `store`, and checks every quota, placement and misuse case. Prints
//! `case | expected | observed | ok` rows.
#![no_std]

use rtos_sys::{println, AllocCap, Error};

use boundary_support::{case, decode, yes, ANY_OK};

rtos_sys::imports!();

fn used(cap: AllocCap) -> Result<u32, Error> {
    rtos_sys::heap_quota(cap).map(|q| q.used)
}

#[no_mangle]
pub extern "C" fn tenant_main(_arg: usize) {
    let cap = match rtos_sys::heap_cap() {
        Ok(c) => c,
        Err(e) => {
            println!("FAIL: no allocation capability ({})", e);
            rtos_sys::shutdown(1);
        }
    };
    case("own-allocation-capability", Ok(1), yes(cap.0 != 0));
    case("quota-limit-from-manifest", Ok(1024), rtos_sys::heap_quota(cap).map(|q| q.limit));

    // Own heap: granular, zeroed, writable.
    let p = rtos_sys::heap_alloc(cap, 100);
    case("alloc-own-heap", ANY_OK, p.map(|p| p as u32));
    let p = p.unwrap_or_default();
    case("block-32-byte-aligned", Ok(1), yes(!p.is_null() && (p as usize).is_multiple_of(32)));
    // SAFETY: `p` is a 128-byte block of this compartment's heap (checked non-null above).
    let zeroed = !p.is_null() && (0..32).all(|i| unsafe { (p as *const u32).add(i).read_volatile() } == 0);
    case("block-arrives-zeroed", Ok(1), yes(zeroed));
    if !p.is_null() {
        // SAFETY: as above.
        unsafe { (p as *mut u32).write_volatile(0x1234_5678) };
    }
    case("quota-charged-whole-granules", Ok(128), used(cap));
    case("own-arena-full", Err(Error::OutOfMemory), rtos_sys::heap_alloc(cap, 512).map(|p| p as u32));

    // The service allocates on our behalf, in its heap, on our quota.
    let b = decode(store::make(cap.0, 200));
    case("service-allocates-with-lent-cap", ANY_OK, b);
    let b = b.unwrap_or(0);
    case("charged-to-the-lender", Ok(128 + 224), used(cap));
    case("service-exceeds-lenders-quota", Err(Error::QuotaExceeded), decode(store::make(cap.0, 700)));
    case("alloc-with-forged-cap", Err(Error::InvalidHandle), decode(store::forge(32)));
    case("alloc-with-type-confused-handle", Err(Error::WrongType), decode(store::confuse(32)));
    case("service-reads-tenant-heap", Err(Error::CompartmentFault), store::peek(p as u32));
    let store_cap = decode(store::own_cap()).unwrap_or(0);
    case("free-with-wrong-cap", Err(Error::InvalidArgument), decode(store::release(store_cap, b)));
    case("free-block-of-another-heap", Err(Error::InvalidArgument), rtos_sys::heap_free(cap, b as *mut u8));
    case("free-interior-pointer", Err(Error::InvalidArgument), rtos_sys::heap_free(cap, p.wrapping_add(32)));
    case("service-frees-for-lender", Ok(224), decode(store::release(cap.0, b)));
    case("double-free", Err(Error::InvalidArgument), decode(store::release(cap.0, b)));
    case("service-own-quota-small", Err(Error::QuotaExceeded), decode(store::make(store_cap, 96)));

    // Free everything charged to us, in both heaps.
    case("service-allocates-again", ANY_OK, decode(store::make(cap.0, 64)));
    case("free-all-across-heaps", Ok(128 + 64), rtos_sys::heap_free_all(cap));
    case("quota-back-to-zero", Ok(0), used(cap));

    // Micro-reboot of the service frees its heap and refunds our quota.
    let c = decode(store::make(cap.0, 64));
    case("block-before-store-reboot", ANY_OK, c);
    rtos_sys::sleep(20); // the supervisor reboots `store` at tick ~10
    case("refunded-by-store-reboot", Ok(0), used(cap));
    case("store-heap-zeroed-by-reboot", Ok(0), decode(store::peek(c.unwrap_or(0))));
    case("store-serves-after-reboot", ANY_OK, decode(store::make(cap.0, 32)));
    case("quota-after-reboot", Ok(32), used(cap));

    boundary_support::finish("heap");
}
