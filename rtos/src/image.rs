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
}

/// A thread declared in the manifest.
pub struct ThreadSpec {
    /// Unique name within the image.
    pub name: &'static str,
    /// Entry function; returning from it ends the thread.
    pub entry: fn(usize),
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
}

/// Memory for one statically declared stack, 8-byte aligned as the AAPCS requires.
#[repr(C, align(8))]
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
