//! PMSAv8 MPU driver: turns a compartment [`View`] into MPU regions.
//!
//! The kernel runs privileged with `PRIVDEFENA` (the default memory map) and needs no region. For an
//! unprivileged thread, regions give exactly its view; everything else faults. PMSAv8 facts that
//! shape this: 32-byte granularity (views are built granule-aligned), four access encodings
//! (privileged-only RW/RO, any RW/RO — there is no write-only), and overlapping enabled regions
//! fault, so view ranges must not overlap (they are disjoint by construction: code in flash, globals
//! and stacks in separate RAM areas).
//!
//! Region budget per view (design target: 8 regions, the common Cortex-M33 configuration):
//! 0 code, 1 globals and heap, 2 stack window, 3–4 capability arguments of the current call, 5–7
//! the compartment's MMIO grants (device memory, read-write, execute-never).

use core::cell::UnsafeCell;

use super::KernelOwned;
use crate::compartment::{Range, View};

/// Whether any region is enabled, to skip reprogramming between privileged kernel threads.
static HAS_REGIONS: KernelOwned<bool> = KernelOwned(UnsafeCell::new(false));
/// Whether any MMIO region is enabled, to skip the three MMIO regions between views without
/// MMIO grants (most calls and switches).
static HAS_MMIO: KernelOwned<bool> = KernelOwned(UnsafeCell::new(false));

const MPU_CTRL: *mut u32 = 0xE000_ED94 as *mut u32;
const MPU_RNR: *mut u32 = 0xE000_ED98 as *mut u32;
const MPU_RBAR: *mut u32 = 0xE000_ED9C as *mut u32;
const MPU_RLAR: *mut u32 = 0xE000_EDA0 as *mut u32;
const MPU_MAIR0: *mut u32 = 0xE000_EDC0 as *mut u32;

const CTRL_ENABLE: u32 = 1 << 0;
const CTRL_PRIVDEFENA: u32 = 1 << 2;

/// RBAR access permissions (AP[2:1]) and execute-never.
const AP_RW_ANY: u32 = 0b01 << 1;
const AP_RO_ANY: u32 = 0b11 << 1;
const XN: u32 = 1;
/// MAIR attribute index 0: normal memory, write-back, read/write-allocate.
const ATTR_NORMAL: u32 = 0;
const MAIR_NORMAL_WB: u32 = 0xFF;
/// MAIR attribute index 1: device memory, nGnRE (no gathering or reordering, early write ack).
const ATTR_DEVICE: u32 = 1;
const MAIR_DEVICE_NGNRE: u32 = 0x04;

/// Regions a view uses: code, globals, stack window, one per capability argument, then the
/// compartment's MMIO grants.
pub const VIEW_REGIONS: u32 = 3 + (crate::compartment::MAX_GRANTS + crate::compartment::MAX_MMIO) as u32;
/// First MMIO region.
const MMIO_REGION: u32 = 3 + crate::compartment::MAX_GRANTS as u32;

/// Enables the MPU with the default map for privileged code and no regions.
pub fn init() {
    // SAFETY: MPU registers exist on ARMv8-M Mainline; with PRIVDEFENA the kernel keeps its
    // default map, and no region is enabled yet, so no access changes meaning for the kernel.
    unsafe {
        MPU_CTRL.write_volatile(0);
        MPU_MAIR0.write_volatile(MAIR_NORMAL_WB << (8 * ATTR_NORMAL) | MAIR_DEVICE_NGNRE << (8 * ATTR_DEVICE));
        for r in 0..VIEW_REGIONS {
            MPU_RNR.write_volatile(r);
            MPU_RLAR.write_volatile(0);
        }
        MPU_CTRL.write_volatile(CTRL_ENABLE | CTRL_PRIVDEFENA);
    }
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
}

fn set(region: u32, range: Range, rbar_flags: u32) {
    set_attr(region, range, rbar_flags, ATTR_NORMAL);
}

fn set_attr(region: u32, range: Range, rbar_flags: u32, attr: u32) {
    // SAFETY: programming a region only changes unprivileged access rights (the kernel uses the
    // default map); `range` is granule-aligned by construction of views.
    unsafe {
        MPU_RNR.write_volatile(region);
        if range.is_empty() {
            MPU_RLAR.write_volatile(0);
        } else {
            MPU_RBAR.write_volatile((range.start as u32 & !31) | rbar_flags);
            MPU_RLAR.write_volatile(((range.end as u32 - 32) & !31) | (attr << 1) | 1);
        }
    }
}

/// Programs the MPU for a thread: its view, or no regions for a privileged kernel thread (skipped
/// when none is enabled, e.g. between kernel threads). Called only from kernel-priority handlers
/// or a fault handler entered from Thread mode.
pub fn apply(view: Option<&View>) {
    // SAFETY: called only in the contexts `KernelOwned` allows (see above).
    let has_regions = unsafe { HAS_REGIONS.get() };
    if view.is_none() && !*has_regions {
        return;
    }
    *has_regions = view.is_some();
    match view {
        Some(v) => {
            set(0, v.code, AP_RO_ANY);
            set(1, v.data, AP_RW_ANY | XN);
            set(2, v.stack, AP_RW_ANY | XN);
            for (i, g) in v.grants.iter().enumerate() {
                set(3 + i as u32, g.range, if g.writable { AP_RW_ANY | XN } else { AP_RO_ANY | XN });
            }
            // SAFETY: as for HAS_REGIONS.
            let has_mmio = unsafe { HAS_MMIO.get() };
            let wants_mmio = v.mmio.iter().any(|m| !m.is_empty());
            if wants_mmio || *has_mmio {
                for (i, m) in v.mmio.iter().enumerate() {
                    set_attr(MMIO_REGION + i as u32, *m, AP_RW_ANY | XN, ATTR_DEVICE);
                }
                *has_mmio = wants_mmio;
            }
        }
        None => {
            for r in 0..VIEW_REGIONS {
                set(r, Range::default(), 0);
            }
            // SAFETY: as for HAS_REGIONS.
            unsafe { *HAS_MMIO.get() = false };
        }
    }
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
}
