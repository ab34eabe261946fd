//! Firmware images: the types a manifest (`images/<bin>.toml`) is compiled into, and the board
//! interface the kernel needs.
//!
//! `cargo xtask` validates the manifest and generates a Rust file declaring one [`StaticStack`]
//! per thread and an [`ImageSpec`]; the image crate includes it with [`firmware!`](crate::firmware).

use core::cell::UnsafeCell;

pub use crate::kernel::KernelConfig;

/// Smallest stack the kernel accepts, in bytes: the initial exception frame and saved registers
/// (64 bytes), the reserve kept below the stack limit for the context save (32 bytes), and room
/// for the entry function's frames.
pub const MIN_STACK_SIZE: usize = 256;

/// What the kernel needs from a board.
pub trait Board {
    /// Board name, for reports.
    const NAME: &'static str;
    /// Frequency of the clock driving the tick timer, in Hz.
    const CPU_HZ: u32;
    /// Early initialisation (console). Runs once, privileged, before the scheduler starts.
    fn init();
    /// Writes raw bytes to the console (blocking, callable from any context).
    fn console_write(bytes: &[u8]);
    /// Ends the run with an exit code (the QEMU process exit status in tests).
    fn exit(code: i32) -> !;
    /// Lets unprivileged code reach `device` at the bus level (e.g. a peripheral protection
    /// controller's per-device unprivileged-access bit), for a device the manifest grants to a
    /// compartment. The MPU still limits access to that compartment's view. Runs once per grant,
    /// privileged, at boot.
    fn allow_unprivileged(device: &MmioSpec);
}

/// A device register block granted to a compartment, from the board description.
#[derive(Debug)]
pub struct MmioSpec {
    /// Device name in the board description.
    pub name: &'static str,
    /// First register (32-byte aligned).
    pub base: usize,
    /// Size in bytes (a multiple of 32).
    pub size: usize,
    /// The device's external interrupt line (NVIC number), if the board gives it one: owned by
    /// the compartment the device is granted to.
    pub irq: Option<u16>,
    /// Board-specific bus gate to open for unprivileged access: (register address, bit mask), or
    /// `None` when the bus does not filter unprivileged accesses.
    pub gate: Option<(usize, u32)>,
}

/// Where a manifest thread starts.
#[derive(Clone, Copy)]
pub enum ThreadEntry {
    /// A privileged kernel thread running a Rust function of the image crate.
    Kernel(fn(usize)),
    /// An unprivileged thread in a compartment, starting at a C-ABI `fn(usize)` of that compartment.
    Compartment {
        /// Index into [`ImageSpec::compartments`].
        compartment: u8,
        /// The entry symbol (called with the thread's argument in r0).
        entry: unsafe extern "C" fn(),
    },
}

/// A thread declared in the manifest.
pub struct ThreadSpec {
    /// Unique name within the image.
    pub name: &'static str,
    /// Entry point; returning from it ends the thread.
    pub entry: ThreadEntry,
    /// Argument passed to `entry`.
    pub arg: usize,
    /// Priority, `0..=31` (31 most urgent).
    pub priority: u8,
    /// The thread's stack.
    pub stack: StackRegion,
}

/// Everything the manifest declares for one image.
pub struct ImageSpec {
    /// Image name (the manifest's file stem).
    pub name: &'static str,
    /// Kernel configuration (`[kernel]`).
    pub kernel: KernelConfig,
    /// Threads started at boot, in declaration order.
    pub threads: &'static [ThreadSpec],
    /// Compartments, in manifest order.
    pub compartments: &'static [CompartmentSpec],
    /// Every compartment's exports; import tables index into this.
    pub exports: &'static [ExportSpec],
    /// Kernel memory for the heap allocator's granule maps: one byte per 32-byte granule of every
    /// compartment's heap, in compartment order.
    pub heap_map: HeapMapRegion,
    /// Static sealed objects declared in the manifest.
    pub sealed_objects: &'static [SealedObjectSpec],
}

/// A static sealed object: sealed at boot under a static key of its owner compartment, delivered
/// only to the compartments that import it.
#[derive(Debug)]
pub struct SealedObjectSpec {
    /// Name in the manifest.
    pub name: &'static str,
    /// The compartment owning the key.
    pub owner: u8,
    /// Index of the key among the owner's `sealing_keys`.
    pub key: u8,
    /// What the owner reads when it opens the object (at most 64 bytes).
    pub contents: &'static [u8],
}

/// Bounds of a linker-placed region `[start, end)`, from symbols of the generated linker script.
#[derive(Clone, Copy, Debug)]
pub struct LinkRegion {
    /// First byte.
    pub start: *const u8,
    /// One past the last byte.
    pub end: *const u8,
}

/// An exported function of a compartment.
pub struct ExportSpec {
    /// `"<compartment>.<symbol>"`.
    pub name: &'static str,
    /// Index of the exporting compartment.
    pub compartment: u8,
    /// Entry address (C ABI, up to four `u32` arguments, `u32` result).
    pub entry: unsafe extern "C" fn(),
    /// The grant parameters of its signature, in order (from cbindgen or bindgen, by the build
    /// tool): the kernel refuses calls that do not lend exactly these.
    pub grants: &'static [crate::compartment::GrantParam],
}

/// A separately linked compartment, as placed by the build tool.
pub struct CompartmentSpec {
    /// Name from the manifest.
    pub name: &'static str,
    /// Code and read-only data (32-byte aligned start and end).
    pub code: LinkRegion,
    /// Globals: initialised data followed by zeroed data (32-byte aligned start and end).
    pub data: LinkRegion,
    /// End of the initialised part of `data`.
    pub data_init_end: *const u8,
    /// Where the initial values of the initialised part are stored.
    pub data_load: *const u8,
    /// The compartment's heap arena (32-byte aligned; empty if it has none). It directly follows
    /// the zeroed data and is part of `data`, so the globals' MPU region covers it.
    pub heap: LinkRegion,
    /// Bytes the compartment's own allocation capability may have allocated at once (in its own
    /// heap and, through callees, in theirs).
    pub heap_quota: u32,
    /// Device registers granted to it (at most [`MAX_MMIO`](crate::compartment::MAX_MMIO)).
    pub mmio: &'static [MmioSpec],
    /// Kernel-reserved stacks for threads it creates that may call other compartments (manifest
    /// `thread_stacks`).
    pub thread_stacks: StackPool,
    /// How many static sealing keys it owns (manifest `sealing_keys`).
    pub sealing_keys: u8,
    /// Index into [`ImageSpec::sealed_objects`] of each static sealed object it imports.
    pub sealed_imports: &'static [u16],
    /// Global export index for each import slot.
    pub imports: &'static [u16],
    /// The compartment's call-return trampoline (`svc RETURN`), a callee's return address.
    pub return_trampoline: unsafe extern "C" fn(),
    /// The compartment's thread-exit trampoline, return address of its thread entries.
    pub thread_exit: unsafe extern "C" fn(),
    /// Manifest `init`: `extern "C" fn() -> u32` (0 = ready), run on the compartment's own init
    /// thread after boot and after every reboot, before its manifest threads start.
    pub init: Option<unsafe extern "C" fn()>,
    /// The init thread's stack (empty without `init`).
    pub init_stack: StackRegion,
    /// Manifest `error_handler`: `extern "C" fn(cause, pc, addr) -> u32` run in the compartment on
    /// the faulting thread; returns a decision of [`crate::sys::fault`].
    pub error_handler: Option<unsafe extern "C" fn()>,
    /// Manifest `on_fault = "reboot"`: a fault the error handler (if any) does not decide
    /// otherwise reboots the compartment after unwinding the faulting call.
    pub reboot_on_fault: bool,
    /// Manifest `may_shutdown`: its code may end the system (`SHUTDOWN`).
    pub may_shutdown: bool,
    /// Manifest `may_reboot`: bit `i` set if its code may reboot compartment `i`.
    pub may_reboot: u16,
    /// Manifest `may_set_clock`: it is issued a clock capability (`CLOCK_CAP`), which lets
    /// whoever holds it set the wall clock.
    pub may_set_clock: bool,
}

// SAFETY: these descriptors are immutable data produced by the build tool; the pointers only
// carry addresses of linker-placed regions and are never used to create aliasing references.
unsafe impl Sync for LinkRegion {}
// SAFETY: as above.
unsafe impl Sync for CompartmentSpec {}

/// Kernel memory for the heap allocator's bookkeeping, declared by the generated image file.
#[repr(C)]
pub struct HeapMapStorage<const N: usize>(UnsafeCell<[u8; N]>);

// SAFETY: only the kernel uses the storage, through the one `HeapMapRegion` handed to it at boot.
unsafe impl<const N: usize> Sync for HeapMapStorage<N> {}

impl<const N: usize> HeapMapStorage<N> {
    /// Zeroed storage (in `.bss`).
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        HeapMapStorage(UnsafeCell::new([0; N]))
    }

    /// The region the storage occupies.
    pub const fn region(&'static self) -> HeapMapRegion {
        HeapMapRegion { base: self.0.get() as *mut u8, len: N }
    }
}

/// Bounds of the heap allocator's bookkeeping memory.
#[derive(Clone, Copy, Debug)]
pub struct HeapMapRegion {
    /// First byte.
    pub base: *mut u8,
    /// Size in bytes.
    pub len: usize,
}

impl HeapMapRegion {
    /// No heaps in the image.
    pub const NONE: HeapMapRegion = HeapMapRegion { base: core::ptr::null_mut(), len: 0 };
}

// SAFETY: plain bounds; the memory is used only by the kernel.
unsafe impl Sync for HeapMapRegion {}

/// Memory for one statically declared stack, 32-byte aligned so that it can be described exactly by
/// an MPU region (PMSAv8 granularity) when the thread runs in a compartment.
#[repr(C, align(32))]
pub struct StaticStack<const N: usize>(UnsafeCell<[u8; N]>);

// SAFETY: the stack memory is only ever used by the one thread it is given to (through the
// `StackRegion` handed to the kernel once at boot); no Rust reference to the contents is created.
unsafe impl<const N: usize> Sync for StaticStack<N> {}

impl<const N: usize> StaticStack<N> {
    /// A zeroed stack (placed in `.bss`).
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        StaticStack(UnsafeCell::new([0; N]))
    }

    /// The region this stack occupies.
    pub const fn region(&'static self) -> StackRegion {
        StackRegion { base: self.0.get() as *mut u8, size: N }
    }
}

/// A stack's bounds, as given to the kernel.
#[derive(Clone, Copy, Debug)]
pub struct StackRegion {
    /// Lowest address.
    pub base: *mut u8,
    /// Size in bytes.
    pub size: usize,
}

impl StackRegion {
    /// No stack.
    pub const NONE: StackRegion = StackRegion { base: core::ptr::null_mut(), size: 0 };
}

/// A compartment's pool of thread stacks: `count` stacks of equal size, one after another in
/// `region` (kernel memory, outside every compartment).
#[derive(Clone, Copy, Debug)]
pub struct StackPool {
    /// All the stacks.
    pub region: StackRegion,
    /// How many stacks `region` is split into.
    pub count: usize,
}

impl StackPool {
    /// No pool.
    pub const NONE: StackPool = StackPool { region: StackRegion::NONE, count: 0 };

    /// The stacks, as `(base, size)`.
    pub fn stacks(&self) -> impl Iterator<Item = (usize, usize)> {
        let size = self.region.size.checked_div(self.count).unwrap_or(0);
        let base = self.region.base as usize;
        (0..self.count).map(move |i| (base + i * size, size))
    }
}

// SAFETY: a `StackRegion` is plain bounds information; the memory it names is used only by the
// thread it is assigned to.
unsafe impl Sync for StackRegion {}

/// Declares a firmware image's entry point: includes the code `cargo xtask` generated from this
/// binary's manifest and starts the kernel on `$board`.
///
/// ```ignore
/// #![no_std]
/// #![no_main]
/// rtos::firmware!(board_mps2_an505::Mps2An505);
/// fn worker(_arg: usize) { /* ... */ }
/// ```
#[macro_export]
macro_rules! firmware {
    ($board:ty) => {
        include!(concat!(env!("RTOS_GEN_DIR"), "/", env!("CARGO_BIN_NAME"), ".rs"));

        /// Reset handler entry (called by the runtime after memory initialisation).
        #[export_name = "main"]
        extern "C" fn __rtos_main() -> ! {
            $crate::arch::start::<$board>(&__RTOS_IMAGE)
        }
    };
}
