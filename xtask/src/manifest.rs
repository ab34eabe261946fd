//! Image manifests: `images/<bin>.toml` in a firmware crate describes one firmware image
//! (board, kernel configuration, static threads, and optional test/bench settings).
//!
//! Parsing is strict (`deny_unknown_fields` everywhere) and validation collects every problem
//! of every manifest, each message naming the file, the field, the bad value and the fix.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::peers::{PeerKind, PeerSpec};
use crate::process;

/// Most threads one image may declare (priorities fit a 32-bit ready bitmap with an idle slot).
pub const MAX_THREADS: usize = 31;
/// Highest (most urgent) priority.
pub const MAX_PRIORITY: i64 = 31;
pub const MIN_STACK: i64 = 256;
pub const MAX_STACK: i64 = 65536;
pub const STACK_ALIGN: i64 = 8;
pub const MAX_THREAD_NAME: usize = 15;
/// Most compartments one image may declare.
pub const MAX_COMPARTMENTS: usize = 16;
/// Longest compartment name (it becomes part of linker symbols and a Rust module name).
pub const MAX_COMPARTMENT_NAME: usize = 16;
/// Symbols every compartment crate defines through `rtos-sys` (feature `compartment`): the
/// return trampoline of cross-compartment calls and the exit trampoline of compartment threads.
pub const RUNTIME_SYMBOLS: [&str; 2] = ["__rtos_compartment_return", "__rtos_thread_exit"];
/// Prefix of the symbols the build tool generates; manifest symbol names must not use it.
pub const RESERVED_PREFIX: &str = "__rtos_";

pub const DEFAULT_TICK_HZ: u32 = 1000;
pub const DEFAULT_TIME_SLICE: u32 = 1;
pub const DEFAULT_TEST_TIMEOUT_S: u64 = 30;
pub const DEFAULT_BENCH_TIMEOUT_S: u64 = 120;
const MAX_TIMEOUT_S: i64 = 3600;

/// The schema, shown by `cargo xtask help manifest` and referenced by error hints.
pub const SCHEMA_HELP: &str = r#"Image manifest: <firmware crate>/images/<bin>.toml (one per binary; image name = file stem)

[image]
board = "mps2-an505"          # required; boards/<board>/board.toml must exist
description = "text"          # optional

[kernel]                      # optional; all fields optional
tick_hz = 1000                # default 1000; 10 ..= 10000
time_slice_ticks = 1          # default 1; 0 disables round-robin; at most 1000
initial_tick = 0              # default 0; start the tick counter here (e.g. near 2^32)

[[compartment]]               # 0 ..= 16 of these: separately linked code+data run unprivileged
name = "alpha"                # required; unique; [a-z][a-z0-9_]{0,15}, not a Rust keyword
crate = "boundary-alpha"      # Rust: workspace package with [package.metadata.rtos]
                              #   compartment = true and [lib] crate-type = ["staticlib"]
exports = ["add", "peek"]     # default []; C symbols (#[no_mangle] extern "C" fn, or C
                              #   functions) other compartments may call; unique
imports = ["beta.add"]        # default []; "<compartment>.<export>" of another compartment of
                              #   this image; slot = position; every image using a Rust crate
                              #   must list the same imports in the same order
thread_stacks = { count = 2, size = 2048 }  # optional; kernel-reserved stacks (outside every
                              #   compartment) for threads it creates at run time with stack 0
                              #   (FreeRTOS xTaskCreate): such threads may call other
                              #   compartments; count 1 ..= 16 (16 per image), size 256 ..= 65536,
                              #   a multiple of 32
mmio = ["uart1"]              # default []; board devices granted (at most 3); a device's irq
                              #   (board.toml) is then owned by this compartment (IRQ_WAIT/ACK);
                              #   Rust stubs give devices::<name>::{BASE, SIZE, IRQ}
init = "setup"                # optional; its function `extern "C" fn() -> u32` (C: uint32_t
                              #   f(void)), run on its own init thread (priority 31) after boot
                              #   and after every reboot before its threads start; calls get Busy
                              #   meanwhile; non-zero or a fault leaves it down (CompartmentFault)
init_stack = 1024             # default 1024; bytes of the init thread's stack (only with init);
                              #   256 ..= 65536, a multiple of 8
error_handler = "on_error"    # optional; its function `extern "C" fn(cause: u32, pc: u32,
                              #   addr: u32) -> u32`, run on the faulting thread in the compartment
                              #   after a fault in it; returns rtos_sys::fault::UNWIND or REBOOT
on_fault = "unwind"           # default "unwind"; "reboot": unwind the faulting call, then reboot
                              #   the compartment (when no error_handler decides)
may_shutdown = false          # default false; its code may end the system (SHUTDOWN)
may_reboot = ["beta"]         # default []; compartments of this image its code may micro-reboot
may_set_clock = false         # default false; it gets a clock capability (CLOCK_CAP), which lets
                              #   whoever holds it set the wall clock (WALL_CLOCK_SET)
grants = { "beta.sum" = ["read-only"], "peek" = [] }  # default {}; optional: the grant kinds
                              #   (read-only, read-write, store-only) of the grant parameters of
                              #   an import or own export, in order; checked against its signature

[[compartment]]               # a C compartment: `sources` instead of `crate` (exactly one)
name = "hostile"
sources = ["compartments/hostile_c/*.c"]  # required; globs of .c files relative to the firmware
                              #   crate directory (the one holding images/); `*` `?` within a
                              #   path segment, `**` any depth; each must match a file;
                              #   "{lwip}/src/core/*.c" is relative to a pinned upstream
                              #   package (c-compartments/upstream-src), found by cargo metadata
include = ["compartments/hostile_c/include"]  # default []; include directories, same base
                              #   (or "{package}/..."); each must exist (generated ones first)
defines = ["NDEBUG", "N=4"]   # default []; -D NAME or NAME=value
cflags = ["-Wno-unused"]      # default []; extra gcc flags (not -c -o -I -D -M* -mcpu ...)
runtime = "rtos-c"            # default "rtos-c"; the one Rust staticlib linked in (C API,
                              #   panic handler, trampolines, memcpy): a workspace package with
                              #   [package.metadata.rtos] c-runtime = true
exports = ["add"]             # C functions (not static, not rtos_*) declared in exports_header
exports_header = "compartments/hostile_c/include/hostile.h"  # required with exports: their C
                              #   prototypes (same base); bindgen reads the typed signatures
imports = ["gamma.double"]    # as above; typed stubs in the generated imports.h

[[thread]]                    # 1 ..= 31 of these
name = "high"                 # required; unique; 1 ..= 15 chars of A-Z a-z 0-9 _ -
entry = "high_main"           # required; path from the crate root to `fn(usize)`, e.g. "workers::high";
                              #   with `compartment`: a C symbol, #[no_mangle] extern "C" fn(usize)
                              #   or, in a C compartment, void f(uintptr_t arg)
priority = 5                  # required; 0 (lowest) ..= 31 (highest)
stack_size = 1024             # required; bytes; 256 ..= 65536, a multiple of 8
arg = 0                       # optional u32 passed to entry; default 0
compartment = "alpha"         # optional; run unprivileged in this compartment (default: kernel thread)

[test]                        # optional: makes the image a firmware test
group = "kernel"              # required; lowercase word; `cargo xtask test kernel` selects it
timeout_s = 30                # default 30; wall-clock limit of the QEMU run
exit_code = 0                 # default 0; semihosting exit code meaning "pass"
expect = ["text"]             # default []; each must appear in the console output
reject = ["PANIC"]            # default []; none may appear

[bench]                       # optional: makes the image a benchmark
names = ["context-switch"]    # required; the image prints `BENCH <name>: <value> <unit>` lines
timeout_s = 120               # default 120

[[peer]]                      # 0 ..= 16: network test peers on the host's 127.0.0.1, started
                              #   before QEMU and stopped after it by run, test and bench; the
                              #   guest reaches them at 10.0.2.2:<port>; each adds a report line
                              #   `peer <kind>:<port>: ...` to the output [test] expect/reject see
kind = "tcp-echo"             # required; tcp-echo, tcp-sink (discards; after the client's
                              #   half-close answers the byte count, 8 bytes big-endian),
                              #   tcp-close-after, tcp-silent (never reads), udp-echo, dns, sntp,
                              #   tcp-intruder, udp-intruder
port = 17007                  # required; 1024 ..= 65535, unique in the image
bytes = 1000                  # tcp-close-after only, required: echo this many bytes, then reset
records = { "echo.test" = "10.0.2.2" }  # dns only, default {}: A records; other names NXDOMAIN
unix_time = 1767225600        # sntp only, optional: the time it tells (default: the host clock)
guest_port = 7777             # intruders only, required: QEMU forwards 127.0.0.1:<port> to this
                              #   guest port (hostfwd) and the intruder knocks on it all run long
interval_ms = 100             # intruders only, default 100 (10 ..= 10000): between attempts

Compartments: each compartment crate is built as a static library, partially linked (only what its
exports, its threads' entries and the rtos-sys runtime need; it must not need anything else), made
private except for those symbols, which become __rtos_c_<compartment>_<symbol>, and placed in its
own 32-byte aligned code and data regions. Its crate includes the generated import stubs with
`rtos_sys::imports!()`: one module per imported compartment with one
`fn(a0: u32, a1: u32, a2: u32, a3: u32) -> Result<u32, rtos_sys::CallError>` per import.
A C compartment's sources are compiled with arm-none-eabi-gcc (-mcpu=cortex-m33 -mthumb
-mfloat-abi=soft -Os -g -ffunction-sections -fdata-sections -fno-common -ffreestanding -Wall
-Wextra), include path target/rtos-gen/<image>/<compartment>/ (imports.h), then
target/rtos-gen/include/ (rtos.h, the C API), then `include`; the objects, the runtime archive
and libgcc go through the same partial link. imports.h has per import
`static inline int32_t <compartment>_<export>(uint32_t a0, .., uint32_t a3, uint32_t *ret)` and
`<compartment>_<export>_caps(const rtos_cap_t *caps, size_t ncaps, const uint32_t *args,
size_t nargs, uint32_t *ret)`, returning 0 or an RTOS_E_* status.
See docs/manifest.md, section "Compartments", and docs/c-compartments.md.
"#;

const SCHEMA_HINT: &str = "hint: fix the manifest; `cargo xtask help manifest` shows every allowed table and field";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    image: RawImage,
    kernel: Option<RawKernel>,
    #[serde(default)]
    compartment: Vec<RawCompartment>,
    #[serde(default)]
    thread: Vec<RawThread>,
    #[serde(default)]
    sealed_object: Vec<RawSealedObject>,
    test: Option<RawTest>,
    bench: Option<RawBench>,
    #[serde(default)]
    peer: Vec<RawPeer>,
}

/// One `[[peer]]`: the fields of every kind; which apply is checked per kind.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeer {
    kind: String,
    port: i64,
    bytes: Option<i64>,
    records: Option<BTreeMap<String, String>>,
    unix_time: Option<i64>,
    guest_port: Option<i64>,
    interval_ms: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImage {
    board: String,
    description: Option<String>,
}

// Integers are read as i64 (TOML's integer type) so range errors get our own messages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKernel {
    tick_hz: Option<i64>,
    time_slice_ticks: Option<i64>,
    initial_tick: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThread {
    name: String,
    entry: String,
    priority: i64,
    stack_size: i64,
    arg: Option<i64>,
    compartment: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCompartment {
    name: String,
    /// A Rust compartment crate; exactly one of `crate` and `sources`.
    #[serde(rename = "crate")]
    krate: Option<String>,
    #[serde(default)]
    exports: Vec<String>,
    #[serde(default)]
    imports: Vec<String>,
    heap: Option<i64>,
    heap_quota: Option<i64>,
    #[serde(default)]
    mmio: Vec<String>,
    thread_stacks: Option<RawThreadStacks>,
    #[serde(default)]
    sealing_keys: Vec<String>,
    #[serde(default)]
    sealed_imports: Vec<String>,
    init: Option<String>,
    init_stack: Option<i64>,
    error_handler: Option<String>,
    on_fault: Option<String>,
    may_shutdown: Option<bool>,
    #[serde(default)]
    may_reboot: Vec<String>,
    may_set_clock: Option<bool>,
    /// A C compartment: source globs (see [`CSources`]).
    sources: Option<Vec<String>>,
    include: Option<Vec<String>>,
    defines: Option<Vec<String>>,
    cflags: Option<Vec<String>>,
    runtime: Option<String>,
    /// A C compartment's header declaring its exports (typed signatures, read with bindgen).
    exports_header: Option<String>,
    /// Grant kinds the manifest pins per export or import (see [`GrantAnnotation`]).
    #[serde(default)]
    grants: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThreadStacks {
    count: i64,
    size: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSealedObject {
    name: String,
    key: String,
    contents: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTest {
    group: String,
    timeout_s: Option<i64>,
    exit_code: Option<i64>,
    #[serde(default)]
    expect: Vec<String>,
    #[serde(default)]
    reject: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBench {
    names: Vec<String>,
    timeout_s: Option<i64>,
}

/// `[kernel]` after defaults and validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelConfig {
    pub tick_hz: u32,
    pub time_slice_ticks: u32,
    pub initial_tick: u64,
}

/// One `[[thread]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadSpec {
    pub name: String,
    /// Path relative to the image crate root, e.g. `workers::high`.
    pub entry: String,
    pub priority: u8,
    pub stack_size: u32,
    pub arg: u32,
    /// The compartment the thread runs in (unprivileged); `None` for a kernel thread. For a
    /// compartment thread `entry` is a C symbol of the compartment's crate.
    pub compartment: Option<String>,
}

impl ThreadSpec {
    /// Last segment of the entry path: the function's name.
    pub fn entry_fn(&self) -> &str {
        self.entry.rsplit("::").next().unwrap_or(&self.entry)
    }
}

/// A compartment's `thread_stacks`: `count` stacks of `size` bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ThreadStacks {
    pub count: u32,
    pub size: u32,
}

impl ThreadStacks {
    /// Bytes of RAM the pool takes.
    pub fn bytes(&self) -> u64 {
        self.count as u64 * self.size as u64
    }
}

/// Most pool stacks (`thread_stacks` counts) in one image: the kernel's table size.
pub const MAX_POOL_STACKS: u32 = 16;

/// One entry of a compartment's `imports`: `<compartment>.<export>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    pub compartment: String,
    pub export: String,
}

impl Import {
    /// `"<compartment>.<export>"`, as written in the manifest.
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.compartment, self.export)
    }
}

/// The C part of a C compartment (`sources = [...]` instead of `crate`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CSources {
    /// Source globs as written, relative to the firmware crate's directory (the directory
    /// holding `images/`): `*` and `?` match within one path segment, `**` any number of
    /// directories.
    pub patterns: Vec<String>,
    /// Include directories as written, relative to the same directory.
    pub include: Vec<String>,
    /// `NAME` or `NAME=value`, passed as `-D`.
    pub defines: Vec<String>,
    /// Extra compiler flags, after the build tool's own.
    pub cflags: Vec<String>,
    /// Absolute paths of the files the patterns match (sorted, each once); set when the
    /// workspace is loaded ([`load_images`]), empty until then.
    pub files: Vec<PathBuf>,
    /// `files` relative to the workspace root (`/` separators), for reports.
    pub files_rel: Vec<String>,
    /// Absolute include directories, in manifest order; set with `files`.
    pub include_dirs: Vec<PathBuf>,
    /// `exports_header` as written (relative to the firmware crate directory): the header
    /// declaring the exports' C prototypes, from which their typed signatures are read.
    pub exports_header: Option<String>,
    /// The same, absolute; set with `files`.
    pub exports_header_path: Option<PathBuf>,
}

/// Rust runtime crate of C compartments when the manifest names none.
pub const DEFAULT_C_RUNTIME: &str = "rtos-c";

/// Prefix of the C API's names (`rtos.h`); C compartments' symbols and C import stubs must not
/// use it.
pub const C_API_PREFIX: &str = "rtos_";

/// One `[[compartment]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompartmentSpec {
    pub name: String,
    /// Cargo package name of the Rust crate whose static library is linked into the
    /// compartment: the compartment crate, or for a C compartment its runtime (`runtime`,
    /// default `rtos-c`).
    pub krate: String,
    /// Rust crate name of its library (`CARGO_CRATE_NAME`; the archive is `lib<lib_name>.a`).
    /// Set from `cargo metadata` when the workspace is loaded; until then the package name
    /// with `-` replaced by `_`.
    pub lib_name: String,
    /// C symbols other compartments may call, in manifest order.
    pub exports: Vec<String>,
    /// Import slot `i` is `imports[i]`.
    pub imports: Vec<Import>,
    /// Bytes of its heap arena (a multiple of 32; 0 = none).
    pub heap: u32,
    /// Bytes its own allocation capability may have allocated at once (default: `heap`).
    pub heap_quota: u32,
    /// Devices of the board granted to it, by name (manifest order).
    pub mmio: Vec<String>,
    /// The same devices as the board describes them; filled in when the workspace is loaded
    /// (see [`check_against_boards`]).
    pub mmio_devices: Vec<crate::board::Device>,
    /// Its pool of kernel-reserved thread stacks (`thread_stacks`; count 0: none).
    pub thread_stacks: ThreadStacks,
    /// Static sealing keys it owns (index = position).
    pub sealing_keys: Vec<String>,
    /// Static sealed objects it may obtain (slot = position).
    pub sealed_imports: Vec<String>,
    /// Its `init` function (C symbol), run after boot and after every reboot before its threads.
    pub init: Option<String>,
    /// Stack of its init thread in bytes (only with `init`).
    pub init_stack: u32,
    /// Its error handler (C symbol), run on the faulting thread after a fault in it.
    pub error_handler: Option<String>,
    /// What a fault in it does when no error handler decides: unwind, or unwind and reboot.
    pub on_fault: OnFault,
    /// Whether its code may end the system (`SHUTDOWN`).
    pub may_shutdown: bool,
    /// Compartments its code may micro-reboot (`COMPARTMENT_REBOOT`), by name.
    pub may_reboot: Vec<String>,
    /// Whether it is issued a clock capability (`CLOCK_CAP`), which lets its holder set the
    /// wall clock (`WALL_CLOCK_SET`).
    pub may_set_clock: bool,
    /// `Some` for a C compartment.
    pub c: Option<CSources>,
    /// A Rust compartment's crate root (`src/lib.rs` of `krate`), where cbindgen reads its
    /// exports' signatures; set when the workspace is loaded.
    pub crate_root: Option<PathBuf>,
    /// `grants = { ... }`: grant kinds pinned in the manifest, checked against the signatures.
    pub grants: Vec<GrantAnnotation>,
}

/// Manifest `on_fault`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnFault {
    /// The faulting call is unwound (the caller gets `CompartmentFault`); a thread faulting in its
    /// home compartment outside any call ends.
    #[default]
    Unwind,
    /// As `Unwind`, then the compartment is micro-rebooted.
    Reboot,
}

impl OnFault {
    /// The manifest spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OnFault::Unwind => "unwind",
            OnFault::Reboot => "reboot",
        }
    }
}

/// Default stack of a compartment's init thread.
pub const DEFAULT_INIT_STACK: u32 = 1024;

/// One entry of a compartment's `grants` table: `"<export>" = [kinds]` for one of its own
/// exports, `"<compartment>.<export>" = [kinds]` for one of its imports. The kinds are those of
/// the function's grant parameters, in order (`[]`: it takes none); the build tool checks them
/// against the signature it reads from the source, so a reviewer of the manifest sees what each
/// call may lend, and a signature change that contradicts it fails the build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantAnnotation {
    /// The key as written.
    pub function: String,
    /// `Some` for an import.
    pub import: Option<Import>,
    /// `read-only`, `read-write` or `store-only`, in parameter order.
    pub kinds: Vec<String>,
}

/// The grant kinds a manifest may name.
pub const GRANT_KINDS: [&str; 3] = ["read-only", "read-write", "store-only"];

impl CompartmentSpec {
    /// `"rust"` or `"c"`.
    pub fn language(&self) -> &'static str {
        if self.c.is_some() {
            "c"
        } else {
            "rust"
        }
    }

    /// What defines the compartment's symbols, for messages: "crate boundary-alpha" or "the C
    /// sources of compartment \"x\"".
    pub fn origin(&self) -> String {
        match &self.c {
            None => format!("crate {}", self.krate),
            Some(_) => format!("the C sources of compartment \"{}\"", self.name),
        }
    }
}

/// One `[[sealed_object]]`: sealed at boot under `owner`'s static key `key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedObject {
    pub name: String,
    pub owner: String,
    pub key: String,
    pub contents: String,
}

/// Most static sealing keys per compartment (kernel `MAX_STATIC_KEYS`).
pub const MAX_STATIC_KEYS: usize = 4;
/// Most static sealed objects per image (kernel `MAX_STATIC_OBJECTS`).
pub const MAX_STATIC_OBJECTS: usize = 32;
/// Largest contents of a static sealed object (`rtos_sys::SEALED_CONTENTS_MAX`).
pub const MAX_SEALED_CONTENTS: usize = 64;

/// `[test]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestSpec {
    pub group: String,
    pub timeout_s: u64,
    pub exit_code: i32,
    pub expect: Vec<String>,
    pub reject: Vec<String>,
}

/// `[bench]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BenchSpec {
    pub names: Vec<String>,
    pub timeout_s: u64,
}

/// The validated content of one manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageConfig {
    pub board: String,
    pub description: Option<String>,
    pub kernel: KernelConfig,
    /// Compartments in manifest order (index = compartment number in the generated tables).
    pub compartments: Vec<CompartmentSpec>,
    /// Static sealed objects in manifest order.
    pub sealed_objects: Vec<SealedObject>,
    pub threads: Vec<ThreadSpec>,
    pub test: Option<TestSpec>,
    pub bench: Option<BenchSpec>,
    /// Network test peers on the host's loopback, started around every QEMU run of the image.
    pub peers: Vec<PeerSpec>,
}

/// An image: a manifest bound to the firmware crate and binary it describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// File stem of the manifest = binary name.
    pub name: String,
    /// Cargo package name of the firmware crate.
    pub package: String,
    /// Manifest path relative to the workspace root, with `/` separators (for messages).
    pub manifest: String,
    pub config: ImageConfig,
}

/// Parses and validates one manifest. `rel` is its path for messages; `boards` are the names
/// of the boards that exist. On failure returns every problem found, one message each.
pub fn parse_manifest(text: &str, rel: &str, boards: &[String]) -> Result<ImageConfig, Vec<String>> {
    let raw: RawManifest =
        toml::from_str(text).map_err(|e| vec![format!("{rel}: {}\n{SCHEMA_HINT}", e.to_string().trim_end())])?;
    let mut errors = Vec::new();
    let mut err = |msg: String| errors.push(format!("{rel}: {msg}"));

    // [image]
    let board = raw.image.board.clone();
    if !boards.contains(&board) {
        let known = if boards.is_empty() { "(no boards found under boards/)".to_owned() } else { boards.join(", ") };
        err(format!(
            "[image] board \"{board}\" is unknown (there is no boards/{board}/board.toml); use one of: {known}"
        ));
    }

    // [kernel]
    let kernel = validate_kernel(raw.kernel.as_ref(), &mut err);

    // [[compartment]]
    let compartments = validate_compartments(&raw.compartment, &mut err);
    let sealed_objects = validate_sealed_objects(&raw.sealed_object, &compartments, &mut err);

    // [[thread]]
    let threads = validate_threads(&raw.thread, &compartments, &mut err);
    let inits = compartments.iter().filter(|c| c.init.is_some()).count();
    if inits > 0 && threads.len() + inits > MAX_THREADS {
        err(format!(
            "{} threads and {inits} compartment init thread(s) need {} thread slots, but the kernel has {MAX_THREADS} besides idle; remove threads or an `init`",
            threads.len(),
            threads.len() + inits
        ));
    }
    check_symbol_clashes(&compartments, &threads, &mut err);

    // [test]
    let test = raw.test.as_ref().map(|t| validate_test(t, &mut err));

    // [bench]
    let bench = raw.bench.as_ref().map(|b| validate_bench(b, &mut err));

    // [[peer]]
    let peers = validate_peers(&raw.peer, &mut err);

    if errors.is_empty() {
        Ok(ImageConfig {
            board,
            description: raw.image.description,
            kernel,
            compartments,
            sealed_objects,
            threads,
            test,
            bench,
            peers,
        })
    } else {
        Err(errors)
    }
}

fn validate_kernel(raw: Option<&RawKernel>, err: &mut impl FnMut(String)) -> KernelConfig {
    let mut kernel = KernelConfig { tick_hz: DEFAULT_TICK_HZ, time_slice_ticks: DEFAULT_TIME_SLICE, initial_tick: 0 };
    let Some(raw) = raw else { return kernel };
    if let Some(hz) = raw.tick_hz {
        match u32::try_from(hz) {
            Ok(v) if (10..=10_000).contains(&v) => kernel.tick_hz = v,
            _ => err(format!("[kernel] tick_hz {hz} is out of range; use 10 ..= 10000 (ticks per second)")),
        }
    }
    if let Some(slice) = raw.time_slice_ticks {
        match u32::try_from(slice) {
            Ok(v) if v <= 1000 => kernel.time_slice_ticks = v,
            _ => err(format!("[kernel] time_slice_ticks {slice} is out of range; use 0 (no round-robin) ..= 1000")),
        }
    }
    if let Some(tick) = raw.initial_tick {
        match u64::try_from(tick) {
            Ok(v) => kernel.initial_tick = v,
            Err(_) => err(format!("[kernel] initial_tick {tick} is negative; use a tick count >= 0")),
        }
    }
    kernel
}

fn validate_threads(
    raw: &[RawThread],
    compartments: &[CompartmentSpec],
    err: &mut impl FnMut(String),
) -> Vec<ThreadSpec> {
    if raw.is_empty() {
        err("no [[thread]] tables; add at least one [[thread]] with name, entry, priority and stack_size".to_owned());
        return Vec::new();
    }
    if raw.len() > MAX_THREADS {
        err(format!(
            "{} [[thread]] tables; an image has at most {MAX_THREADS} threads, remove {}",
            raw.len(),
            raw.len() - MAX_THREADS
        ));
    }
    let mut first_use: BTreeMap<&str, usize> = BTreeMap::new();
    let mut threads = Vec::with_capacity(raw.len());
    for (i, t) in raw.iter().enumerate() {
        let name_ok = is_valid_thread_name(&t.name);
        let duplicate_of = first_use.get(t.name.as_str()).copied();
        if !name_ok {
            err(format!(
                "thread[{i}]: name \"{}\" is invalid; use 1 to {MAX_THREAD_NAME} characters of A-Z a-z 0-9 _ -",
                t.name
            ));
        } else if let Some(first) = duplicate_of {
            err(format!(
                "thread[{i}]: name \"{}\" is already used by thread[{first}]; give every thread a unique name",
                t.name
            ));
        } else {
            first_use.insert(&t.name, i);
        }
        // Messages about other fields name the thread; by index when its name is unusable.
        let label =
            if name_ok && duplicate_of.is_none() { format!("thread \"{}\"", t.name) } else { format!("thread[{i}]") };

        match &t.compartment {
            None => {
                if let Err(why) = check_entry_path(&t.entry) {
                    err(format!("{label}: entry \"{}\" {why}", t.entry));
                }
            }
            Some(c) => {
                if !compartments.iter().any(|k| &k.name == c) {
                    err(format!(
                        "{label}: compartment \"{c}\" is not declared in this image; add a [[compartment]] with name = \"{c}\" or use {}",
                        one_of_compartments(compartments)
                    ));
                }
                let in_c = compartments.iter().any(|k| &k.name == c && k.c.is_some());
                if let Err(why) = check_c_symbol(&t.entry) {
                    if in_c {
                        err(format!(
                            "{label}: entry \"{}\" {why}; a C compartment thread's entry is a C function void f(uintptr_t arg) of its sources, e.g. \"worker_main\"",
                            t.entry
                        ));
                    } else {
                        err(format!(
                            "{label}: entry \"{}\" {why}; a compartment thread's entry is the C symbol of a #[no_mangle] extern \"C\" fn(usize) in the compartment's crate, e.g. \"worker_main\"",
                            t.entry
                        ));
                    }
                } else if in_c && t.entry.starts_with(C_API_PREFIX) {
                    err(format!(
                        "{label}: entry \"{}\" starts with `{C_API_PREFIX}`, which is reserved for the C API (rtos.h) of the runtime; rename the function",
                        t.entry
                    ));
                }
            }
        }
        let priority = match u8::try_from(t.priority) {
            Ok(p) if i64::from(p) <= MAX_PRIORITY => p,
            _ => {
                err(format!(
                    "{label}: priority {} is out of range; use 0 (lowest) ..= {MAX_PRIORITY} (highest)",
                    t.priority
                ));
                0
            }
        };
        let stack = t.stack_size;
        if stack < MIN_STACK {
            err(format!(
                "{label}: stack_size {stack} is too small; use at least {MIN_STACK} bytes (a multiple of {STACK_ALIGN})"
            ));
        } else if stack > MAX_STACK {
            err(format!("{label}: stack_size {stack} is too large; use at most {MAX_STACK} bytes"));
        } else if stack % STACK_ALIGN != 0 {
            let down = stack - stack % STACK_ALIGN;
            err(format!(
                "{label}: stack_size {stack} is not a multiple of {STACK_ALIGN}; use {down} or {}",
                down + STACK_ALIGN
            ));
        }
        let arg = match t.arg.map(u32::try_from) {
            None => 0,
            Some(Ok(a)) => a,
            Some(Err(_)) => {
                err(format!(
                    "{label}: arg {} is out of range; use 0 ..= {} (a u32)",
                    t.arg.unwrap_or_default(),
                    u32::MAX
                ));
                0
            }
        };
        threads.push(ThreadSpec {
            name: t.name.clone(),
            entry: t.entry.clone(),
            priority,
            stack_size: u32::try_from(stack).unwrap_or(0),
            arg,
            compartment: t.compartment.clone(),
        });
    }
    threads
}

/// "one of: a, b" or a note that there are none, for hints.
fn one_of_compartments(compartments: &[CompartmentSpec]) -> String {
    if compartments.is_empty() {
        "a kernel thread (no `compartment`): this image declares no [[compartment]]".to_owned()
    } else {
        let names: Vec<&str> = compartments.iter().map(|c| c.name.as_str()).collect();
        format!("one of: {}", names.join(", "))
    }
}

/// Checks a C symbol name (`[A-Za-z_][A-Za-z0-9_]*`) that also works as a Rust function name
/// in the generated code; the error completes "\"<name>\" <why>".
pub fn check_c_symbol(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err("is not a C identifier (A-Z a-z 0-9 _, not starting with a digit)".to_owned());
    }
    if name.starts_with(RESERVED_PREFIX) {
        return Err(format!("starts with `{RESERVED_PREFIX}`, which is reserved for the build tool and runtime"));
    }
    if NOT_RAW_IDENTIFIERS.contains(&name) {
        return Err(format!("cannot be a Rust function name (`{name}` is not allowed even as `r#{name}`)"));
    }
    Ok(())
}

/// Keywords that cannot be written as raw identifiers.
const NOT_RAW_IDENTIFIERS: &[&str] = &["_", "crate", "self", "Self", "super"];

/// Whether `name` must be written `r#name` in Rust.
pub fn is_rust_keyword(name: &str) -> bool {
    KEYWORDS.contains(&name)
}

fn is_valid_compartment_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= MAX_COMPARTMENT_NAME
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn validate_compartments(raw: &[RawCompartment], err: &mut impl FnMut(String)) -> Vec<CompartmentSpec> {
    if raw.len() > MAX_COMPARTMENTS {
        err(format!(
            "{} [[compartment]] tables; an image has at most {MAX_COMPARTMENTS} compartments, remove {}",
            raw.len(),
            raw.len() - MAX_COMPARTMENTS
        ));
    }
    let mut first_use: BTreeMap<&str, usize> = BTreeMap::new();
    let mut labels = Vec::with_capacity(raw.len());
    let mut compartments = Vec::with_capacity(raw.len());
    for (i, c) in raw.iter().enumerate() {
        let name_ok = is_valid_compartment_name(&c.name) && !is_rust_keyword(&c.name);
        let duplicate_of = first_use.get(c.name.as_str()).copied();
        if !is_valid_compartment_name(&c.name) {
            err(format!(
                "compartment[{i}]: name \"{}\" is invalid; use 1 to {MAX_COMPARTMENT_NAME} characters of a-z 0-9 _, starting with a letter",
                c.name
            ));
        } else if is_rust_keyword(&c.name) {
            err(format!(
                "compartment[{i}]: name \"{}\" is a Rust keyword and cannot name the generated import module; pick another name",
                c.name
            ));
        } else if let Some(first) = duplicate_of {
            err(format!(
                "compartment[{i}]: name \"{}\" is already used by compartment[{first}]; give every compartment a unique name",
                c.name
            ));
        } else {
            first_use.insert(&c.name, i);
        }
        let label = if name_ok && duplicate_of.is_none() {
            format!("compartment \"{}\"", c.name)
        } else {
            format!("compartment[{i}]")
        };
        let (krate, csources) = validate_language(c, &label, err);
        for (j, e) in c.exports.iter().enumerate() {
            if let Err(why) = check_c_symbol(e) {
                let what = if csources.is_some() {
                    "C functions (not static) of the compartment's sources".to_owned()
                } else {
                    format!("#[no_mangle] extern \"C\" functions of crate {krate}")
                };
                err(format!("{label}: exports[{j}] \"{e}\" {why}; list the names of {what}"));
            } else if let Some(k) = c.exports[..j].iter().position(|x| x == e) {
                err(format!("{label}: export \"{e}\" is listed twice (exports[{k}] and exports[{j}]); remove one"));
            } else if csources.is_some() && e.starts_with(C_API_PREFIX) {
                err(format!(
                    "{label}: exports[{j}] \"{e}\" starts with `{C_API_PREFIX}`, which is reserved for the C API (rtos.h) of the runtime; rename the function"
                ));
            }
        }
        let heap = match c.heap {
            None => 0,
            Some(h) if !(0..=MAX_HEAP as i64).contains(&h) => {
                err(format!("{label}: heap {h} is out of range; use 0 ..= {MAX_HEAP} bytes"));
                0
            }
            Some(h) if h % 32 != 0 => {
                let up = (h + 31) / 32 * 32;
                err(format!(
                    "{label}: heap {h} is not a multiple of 32 (the MPU granule and allocation unit); use {up}"
                ));
                0
            }
            Some(h) => h as u32,
        };
        let heap_quota = match c.heap_quota {
            None => heap,
            Some(q) if !(0..=MAX_HEAP as i64).contains(&q) => {
                err(format!("{label}: heap_quota {q} is out of range; use 0 ..= {MAX_HEAP} bytes"));
                0
            }
            Some(q) => q as u32,
        };
        let thread_stacks = match &c.thread_stacks {
            None => ThreadStacks::default(),
            Some(p) if !(1..=MAX_POOL_STACKS as i64).contains(&p.count) => {
                err(format!(
                    "{label}: thread_stacks count {} is out of range; use 1 ..= {MAX_POOL_STACKS} (or drop thread_stacks)",
                    p.count
                ));
                ThreadStacks::default()
            }
            Some(p) if !(MIN_STACK..=MAX_STACK).contains(&p.size) || p.size % 32 != 0 => {
                err(format!(
                    "{label}: thread_stacks size {} must be {MIN_STACK} ..= {MAX_STACK} bytes and a multiple of 32 (each stack is one MPU region); use {}",
                    p.size,
                    ((p.size.clamp(MIN_STACK, MAX_STACK) + 31) / 32 * 32).min(MAX_STACK)
                ));
                ThreadStacks::default()
            }
            Some(p) => ThreadStacks { count: p.count as u32, size: p.size as u32 },
        };
        let mut hook = |field: &str, value: &Option<String>| -> Option<String> {
            let v = value.as_ref()?;
            if let Err(why) = check_c_symbol(v) {
                err(format!("{label}: {field} \"{v}\" {why}; name a function of the compartment"));
                return None;
            }
            if csources.is_some() && v.starts_with(C_API_PREFIX) {
                err(format!(
                    "{label}: {field} \"{v}\" starts with `{C_API_PREFIX}`, which is reserved for the C API (rtos.h) of the runtime; rename the function"
                ));
                return None;
            }
            Some(v.clone())
        };
        let init = hook("init", &c.init);
        let error_handler = hook("error_handler", &c.error_handler);
        let init_stack = match (c.init_stack, &c.init) {
            (None, _) => DEFAULT_INIT_STACK,
            (Some(_), None) => {
                err(format!(
                    "{label}: init_stack is set but there is no init; add `init = \"<function>\"` or remove init_stack"
                ));
                DEFAULT_INIT_STACK
            }
            (Some(n), Some(_)) if !(MIN_STACK..=MAX_STACK).contains(&n) || n % STACK_ALIGN != 0 => {
                err(format!(
                    "{label}: init_stack {n} is invalid; use {MIN_STACK} ..= {MAX_STACK} bytes, a multiple of {STACK_ALIGN}"
                ));
                DEFAULT_INIT_STACK
            }
            (Some(n), Some(_)) => n as u32,
        };
        let on_fault = match c.on_fault.as_deref() {
            None | Some("unwind") => OnFault::Unwind,
            Some("reboot") => OnFault::Reboot,
            Some(other) => {
                err(format!(
                    "{label}: on_fault \"{other}\" is not a policy; use \"unwind\" (the default) or \"reboot\""
                ));
                OnFault::Unwind
            }
        };
        labels.push(label);
        compartments.push(CompartmentSpec {
            name: c.name.clone(),
            lib_name: krate.replace('-', "_"),
            krate,
            exports: c.exports.clone(),
            imports: Vec::new(),
            heap,
            heap_quota,
            mmio: c.mmio.clone(),
            mmio_devices: Vec::new(),
            thread_stacks,
            sealing_keys: c.sealing_keys.clone(),
            sealed_imports: c.sealed_imports.clone(),
            init,
            init_stack,
            error_handler,
            on_fault,
            may_shutdown: c.may_shutdown.unwrap_or(false),
            may_reboot: Vec::new(),
            may_set_clock: c.may_set_clock.unwrap_or(false),
            c: csources,
            crate_root: None,
            grants: Vec::new(),
        });
    }
    let pooled: u32 = compartments.iter().map(|c| c.thread_stacks.count).sum();
    if pooled > MAX_POOL_STACKS {
        err(format!(
            "thread_stacks: {pooled} pool stacks in all; the kernel keeps at most {MAX_POOL_STACKS} per image; lower the counts"
        ));
    }
    // `may_reboot` names compartments declared anywhere in the manifest.
    for (i, c) in raw.iter().enumerate() {
        let label = &labels[i];
        let mut rights: Vec<String> = Vec::with_capacity(c.may_reboot.len());
        for (j, target) in c.may_reboot.iter().enumerate() {
            if !compartments.iter().any(|k| &k.name == target) {
                let names: Vec<&str> = compartments.iter().map(|k| k.name.as_str()).collect();
                err(format!(
                    "{label}: may_reboot[{j}] \"{target}\" names no compartment of this image; use one of: {}",
                    names.join(", ")
                ));
            } else if rights.contains(target) {
                err(format!("{label}: may_reboot lists \"{target}\" twice; remove one"));
            } else {
                rights.push(target.clone());
            }
        }
        compartments[i].may_reboot = rights;
    }
    // Imports refer to compartments declared anywhere in the manifest.
    for (i, c) in raw.iter().enumerate() {
        let label = &labels[i];
        let mut imports: Vec<Import> = Vec::with_capacity(c.imports.len());
        for (j, text) in c.imports.iter().enumerate() {
            let Some((target, export)) = text.split_once('.') else {
                err(format!(
                    "{label}: import \"{text}\" is not of the form \"<compartment>.<export>\"; write e.g. \"beta.add\""
                ));
                continue;
            };
            if target == c.name {
                err(format!(
                    "{label}: import \"{text}\" names the compartment itself; call your own functions directly (imports are for other compartments)"
                ));
                continue;
            }
            let Some(exporter) = compartments.iter().find(|k| k.name == target) else {
                let others: Vec<&CompartmentSpec> = compartments.iter().filter(|k| k.name != c.name).collect();
                let hint = if others.is_empty() {
                    "this image has no other [[compartment]]".to_owned()
                } else {
                    let names: Vec<&str> = others.iter().map(|k| k.name.as_str()).collect();
                    format!("use one of: {}", names.join(", "))
                };
                err(format!(
                    "{label}: import \"{text}\" names no compartment of this image; declare a [[compartment]] named \"{target}\" or {hint}"
                ));
                continue;
            };
            if !exporter.exports.iter().any(|e| e == export) {
                let hint = if exporter.exports.is_empty() {
                    "it exports nothing".to_owned()
                } else {
                    format!("it exports: {}", exporter.exports.join(", "))
                };
                err(format!(
                    "{label}: import \"{text}\" is not exported by compartment \"{target}\"; add \"{export}\" to its exports or fix the name ({hint})"
                ));
                continue;
            }
            if let Some(k) = c.imports[..j].iter().position(|x| x == text) {
                err(format!("{label}: import \"{text}\" is listed twice (imports[{k}] and imports[{j}]); remove one"));
                continue;
            }
            imports.push(Import { compartment: target.to_owned(), export: export.to_owned() });
        }
        if c.sources.is_some() {
            check_c_stub_names(label, &imports, err);
        }
        compartments[i].grants = validate_grant_annotations(label, &c.grants, &compartments[i].exports, &imports, err);
        compartments[i].imports = imports;
    }
    compartments
}

/// `grants = { "<export>" = [...], "<compartment>.<export>" = [...] }`: each key one of the
/// compartment's exports or imports, each kind one of [`GRANT_KINDS`]. Whether they match the
/// signatures is checked when the signatures are read (`signature::resolve`).
fn validate_grant_annotations(
    label: &str,
    raw: &BTreeMap<String, Vec<String>>,
    exports: &[String],
    imports: &[Import],
    err: &mut impl FnMut(String),
) -> Vec<GrantAnnotation> {
    let mut out = Vec::new();
    for (key, kinds) in raw {
        let import = match key.split_once('.') {
            Some(_) => match imports.iter().find(|i| i.qualified() == *key) {
                Some(i) => Some(i.clone()),
                None => {
                    err(format!(
                        "{label}: grants[\"{key}\"] names no import of this compartment; add \"{key}\" to its imports or fix the key (an import \"<compartment>.<export>\" or one of its own exports)"
                    ));
                    continue;
                }
            },
            None if exports.contains(key) => None,
            None => {
                err(format!(
                    "{label}: grants[\"{key}\"] names no export of this compartment; add \"{key}\" to its exports or fix the key (one of its exports, or an import \"<compartment>.<export>\")"
                ));
                continue;
            }
        };
        let mut ok = true;
        for k in kinds.iter().filter(|k| !GRANT_KINDS.contains(&k.as_str())) {
            ok = false;
            err(format!("{label}: grants[\"{key}\"]: \"{k}\" is not a grant kind; use {}", GRANT_KINDS.join(", ")));
        }
        if ok {
            out.push(GrantAnnotation { function: key.clone(), import, kinds: kinds.clone() });
        }
    }
    out
}

fn is_ident(s: &str) -> bool {
    s.len() <= 31
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !is_rust_keyword(s)
}

/// `[[sealed_object]]` tables and the compartments' `sealing_keys` / `sealed_imports`.
fn validate_sealed_objects(
    raw: &[RawSealedObject],
    compartments: &[CompartmentSpec],
    err: &mut impl FnMut(String),
) -> Vec<SealedObject> {
    let id_hint = "use 1 to 31 characters of a-z 0-9 _, starting with a letter";
    for c in compartments {
        if c.sealing_keys.len() > MAX_STATIC_KEYS {
            err(format!(
                "compartment \"{}\": {} sealing_keys; at most {MAX_STATIC_KEYS}, drop some",
                c.name,
                c.sealing_keys.len()
            ));
        }
        for (j, k) in c.sealing_keys.iter().enumerate() {
            if !is_ident(k) {
                err(format!("compartment \"{}\": sealing key \"{k}\" is not a valid name; {id_hint}", c.name));
            } else if c.sealing_keys[..j].contains(k) {
                err(format!("compartment \"{}\": sealing key \"{k}\" is listed twice; remove one", c.name));
            }
        }
    }
    if raw.len() > MAX_STATIC_OBJECTS {
        err(format!("{} [[sealed_object]] tables; at most {MAX_STATIC_OBJECTS}", raw.len()));
    }
    let mut objects: Vec<SealedObject> = Vec::new();
    for (i, o) in raw.iter().enumerate() {
        let label = format!("sealed_object \"{}\"", o.name);
        if !is_ident(&o.name) {
            err(format!("sealed_object[{i}]: name \"{}\" is invalid; {id_hint}", o.name));
            continue;
        }
        if objects.iter().any(|x| x.name == o.name) {
            err(format!("{label} is declared twice; give every sealed object a unique name"));
            continue;
        }
        if o.contents.len() > MAX_SEALED_CONTENTS {
            err(format!(
                "{label}: contents are {} bytes; at most {MAX_SEALED_CONTENTS} (store a short description, e.g. \"tcp:broker:8883\")",
                o.contents.len()
            ));
        }
        let Some((owner, key)) = o.key.split_once('.') else {
            err(format!("{label}: key \"{}\" is not of the form \"<compartment>.<sealing key>\"", o.key));
            continue;
        };
        match compartments.iter().find(|c| c.name == owner) {
            None => err(format!("{label}: key \"{}\" names no compartment of this image", o.key)),
            Some(c) if !c.sealing_keys.iter().any(|k| k == key) => err(format!(
                "{label}: compartment \"{owner}\" has no sealing key \"{key}\"; add it to its sealing_keys (it has: {})",
                if c.sealing_keys.is_empty() { "none".to_owned() } else { c.sealing_keys.join(", ") }
            )),
            Some(_) => {}
        }
        objects.push(SealedObject {
            name: o.name.clone(),
            owner: owner.to_owned(),
            key: key.to_owned(),
            contents: o.contents.clone(),
        });
    }
    for c in compartments {
        for (j, name) in c.sealed_imports.iter().enumerate() {
            if !objects.iter().any(|o| &o.name == name) {
                let known: Vec<&str> = objects.iter().map(|o| o.name.as_str()).collect();
                err(format!(
                    "compartment \"{}\": sealed import \"{name}\" names no [[sealed_object]] of this image ({})",
                    c.name,
                    if known.is_empty() {
                        "it declares none".to_owned()
                    } else {
                        format!("it declares: {}", known.join(", "))
                    }
                ));
            } else if c.sealed_imports[..j].contains(name) {
                err(format!("compartment \"{}\": sealed import \"{name}\" is listed twice; remove one", c.name));
            }
        }
    }
    objects
}

/// Most MMIO grants per compartment: MPU regions 5–7 of its view.
pub const MAX_MMIO: usize = 3;

/// Checks what only the board can tell — devices granted as MMIO exist, are granted once, fit the
/// region budget; heap quotas and static memory fit the board's RAM — and resolves each MMIO
/// grant to the board's device description. One message per problem.
pub fn check_against_boards(images: &mut [Image], boards: &[crate::board::Board]) -> Vec<String> {
    let mut errors = Vec::new();
    for image in images.iter_mut() {
        let Some(board) = boards.iter().find(|b| b.name == image.config.board) else { continue };
        let rel = image.manifest.clone();
        let known: Vec<&str> = board.devices.iter().map(|d| d.name.as_str()).collect();
        let mut granted: BTreeMap<String, String> = BTreeMap::new();
        for c in image.config.compartments.iter_mut() {
            if c.mmio.len() > MAX_MMIO {
                errors.push(format!(
                    "{rel}: compartment \"{}\": {} MMIO grants; a compartment view has MPU regions for at most {MAX_MMIO}; split the driver or drop a device",
                    c.name,
                    c.mmio.len()
                ));
            }
            c.mmio_devices.clear();
            for name in &c.mmio {
                let Some(d) = board.devices.iter().find(|d| &d.name == name) else {
                    errors.push(format!(
                        "{rel}: compartment \"{}\": mmio \"{name}\" is outside board {}: it declares no such device; use one of: {} (boards/{}/board.toml [[device]])",
                        c.name,
                        board.name,
                        if known.is_empty() { "(none)".to_owned() } else { known.join(", ") },
                        board.name
                    ));
                    continue;
                };
                if let Some(other) = granted.insert(name.clone(), c.name.clone()) {
                    errors.push(format!(
                        "{rel}: device \"{name}\" is granted to both compartment \"{other}\" and \"{}\" (overlapping memory); give each device to one driver compartment and let others call it",
                        c.name
                    ));
                }
                c.mmio_devices.push(d.clone());
            }
        }
        if let Some((_, ram)) = board.ram {
            for c in &image.config.compartments {
                if c.heap_quota as u64 > ram || c.heap as u64 > ram {
                    errors.push(format!(
                        "{rel}: compartment \"{}\": heap {} / heap_quota {} bytes is larger than the RAM of board {} ({ram} bytes); lower it",
                        c.name, c.heap, c.heap_quota, board.name
                    ));
                }
            }
            let heaps: u64 = image.config.compartments.iter().map(|c| c.heap as u64).sum();
            let stacks: u64 = image.config.threads.iter().map(|t| t.stack_size as u64).sum::<u64>()
                + image.config.compartments.iter().map(|c| c.thread_stacks.bytes()).sum::<u64>();
            if heaps + stacks > ram {
                errors.push(format!(
                    "{rel}: heaps ({heaps} bytes) and thread stacks ({stacks} bytes) need more than the RAM of board {} ({ram} bytes); shrink them",
                    board.name
                ));
            }
        }
    }
    errors
}

/// Compiler flags the build tool sets itself (or that would break the build), with what to do
/// instead.
const RESERVED_CFLAGS: &[(&str, &str)] = &[
    ("-c", "the build tool compiles each source on its own"),
    ("-o", "the build tool names the objects"),
    ("-E", "the build tool compiles to objects"),
    ("-S", "the build tool compiles to objects"),
    ("-M", "the build tool tracks header dependencies itself"),
    ("-I", "use `include = [...]`"),
    ("-D", "use `defines = [...]`"),
    ("-mcpu", "the build tool targets the board's CPU (-mcpu=cortex-m33)"),
    ("-march", "the build tool targets the board's CPU (-mcpu=cortex-m33)"),
    ("-marm", "compartments are Thumb code"),
    ("-mfloat-abi", "the runtime archive uses -mfloat-abi=soft; objects must match"),
    ("-fpic", "compartments are linked at fixed addresses"),
    ("-fPIC", "compartments are linked at fixed addresses"),
    ("-flto", "compartments are partially linked with binutils, which cannot read LTO objects"),
];

/// Checks `crate` versus `sources` (exactly one) and the C-only fields. Returns the Rust crate
/// linked into the compartment (the compartment crate, or the C runtime) and the C part.
fn validate_language(c: &RawCompartment, label: &str, err: &mut impl FnMut(String)) -> (String, Option<CSources>) {
    const HOW: &str = "a compartment is either Rust (crate = \"<workspace package>\") or C (sources = [\"<glob relative to the firmware crate directory>\", ...]); see `cargo xtask help manifest`";
    let c_only: Vec<&str> = [
        ("include", c.include.is_some()),
        ("defines", c.defines.is_some()),
        ("cflags", c.cflags.is_some()),
        ("runtime", c.runtime.is_some()),
        ("exports_header", c.exports_header.is_some()),
    ]
    .iter()
    .filter(|(_, set)| *set)
    .map(|(k, _)| *k)
    .collect();
    match (&c.krate, &c.sources) {
        (Some(_), Some(_)) => {
            err(format!("{label}: has both `crate` and `sources`; keep exactly one: {HOW}"));
            (c.krate.clone().unwrap_or_default(), None)
        }
        (None, None) => {
            err(format!("{label}: has neither `crate` nor `sources`; add one: {HOW}"));
            (String::new(), None)
        }
        (Some(krate), None) => {
            if krate.trim().is_empty() {
                err(format!(
                    "{label}: crate is empty; name the workspace package that implements the compartment, e.g. crate = \"boundary-alpha\""
                ));
            }
            if !c_only.is_empty() {
                err(format!(
                    "{label}: {} only apply to C compartments (with `sources`); remove them from this Rust compartment (crate {krate})",
                    c_only.join(", ")
                ));
            }
            (krate.clone(), None)
        }
        (None, Some(sources)) => {
            let runtime = c.runtime.clone().unwrap_or_else(|| DEFAULT_C_RUNTIME.to_owned());
            if runtime.trim().is_empty() {
                err(format!(
                    "{label}: runtime is empty; name the Rust runtime crate linked into the C compartment, or remove it for the default \"{DEFAULT_C_RUNTIME}\""
                ));
            }
            if sources.is_empty() {
                err(format!(
                    "{label}: sources is empty; list the C files, e.g. sources = [\"compartments/{}/*.c\"] (relative to the firmware crate directory)",
                    c.name
                ));
            }
            for (j, s) in sources.iter().enumerate() {
                if let Err(why) = check_relative_path(s) {
                    err(format!("{label}: sources[{j}] \"{s}\" {why}"));
                } else if !s.ends_with(".c") {
                    err(format!(
                        "{label}: sources[{j}] \"{s}\" does not end in `.c`; list C files (e.g. \"src/*.c\"); headers are found through `include`"
                    ));
                }
            }
            let include = c.include.clone().unwrap_or_default();
            for (j, d) in include.iter().enumerate() {
                if let Err(why) = check_relative_path(d) {
                    err(format!("{label}: include[{j}] \"{d}\" {why}"));
                } else if d.contains(['*', '?', '[']) {
                    err(format!("{label}: include[{j}] \"{d}\" contains a glob character; list each directory"));
                }
            }
            let defines = c.defines.clone().unwrap_or_default();
            for (j, d) in defines.iter().enumerate() {
                let name = d.split_once('=').map_or(d.as_str(), |(n, _)| n);
                let mut chars = name.chars();
                let ok = chars.next().is_some_and(|ch| ch.is_ascii_alphabetic() || ch == '_')
                    && chars.all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
                if !ok || d.contains(['\n', '\r']) {
                    err(format!(
                        "{label}: defines[{j}] \"{d}\" is not NAME or NAME=value with a C identifier as NAME; write e.g. \"LWIP_DEBUG\" or \"MEM_SIZE=1600\""
                    ));
                }
            }
            let cflags = c.cflags.clone().unwrap_or_default();
            for (j, f) in cflags.iter().enumerate() {
                if !f.starts_with('-') {
                    err(format!(
                        "{label}: cflags[{j}] \"{f}\" is not a compiler option (it does not start with `-`); list flags such as \"-Wno-unused-parameter\"; sources go in `sources`"
                    ));
                } else if let Some((flag, instead)) = RESERVED_CFLAGS
                    .iter()
                    .find(|(r, _)| f == r || (f.starts_with(r) && (r.len() <= 2 || f[r.len()..].starts_with('='))))
                {
                    err(format!("{label}: cflags[{j}] \"{f}\" is not allowed ({flag}): {instead}"));
                }
            }
            if let Some(h) = &c.exports_header {
                if let Err(why) = check_relative_path(h) {
                    err(format!("{label}: exports_header \"{h}\" {why}"));
                }
            } else if !c.exports.is_empty() {
                err(format!(
                    "{label}: exports {} but has no `exports_header`; add exports_header = \"<header declaring their C prototypes>\" (relative to the firmware crate directory), e.g. uint32_t {}(uint32_t a); the build tool reads their signatures from it",
                    c.exports.join(", "),
                    c.exports[0]
                ));
            }
            let csources = CSources {
                patterns: sources.clone(),
                include,
                defines,
                cflags,
                files: Vec::new(),
                files_rel: Vec::new(),
                include_dirs: Vec::new(),
                exports_header: c.exports_header.clone(),
                exports_header_path: None,
            };
            (runtime, Some(csources))
        }
    }
}

/// Checks a path of the manifest that is relative to the firmware crate directory; the error
/// completes "\"<path>\" <why>".
fn check_relative_path(path: &str) -> Result<(), String> {
    if path.trim().is_empty() {
        return Err("is empty; give a path relative to the firmware crate directory".to_owned());
    }
    if path.starts_with('/') || path.contains('\\') {
        return Err("must be relative to the firmware crate directory (the one holding images/), with `/` separators"
            .to_owned());
    }
    Ok(())
}

/// The C stub names of a C compartment's imports (`<compartment>_<export>` and
/// `<compartment>_<export>_caps`) must be distinct and must not enter the C API's namespace.
fn check_c_stub_names(label: &str, imports: &[Import], err: &mut impl FnMut(String)) {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for i in imports {
        for name in [c_stub_name(i), format!("{}_caps", c_stub_name(i))] {
            if name.starts_with(C_API_PREFIX) {
                err(format!(
                    "{label}: import \"{}\" would get the C stub {name}, which is in the C API's namespace (`{C_API_PREFIX}*`); rename compartment \"{}\"",
                    i.qualified(),
                    i.compartment
                ));
            } else if let Some(other) = seen.get(&name) {
                err(format!(
                    "{label}: imports \"{other}\" and \"{}\" both get the C stub {name}; rename one of the exports",
                    i.qualified()
                ));
            } else {
                seen.insert(name, i.qualified());
            }
        }
    }
}

/// Name of the C import stub of `import`: `<compartment>_<export>`.
pub fn c_stub_name(import: &Import) -> String {
    format!("{}_{}", import.compartment, import.export)
}

/// The generated global symbol of `symbol` in compartment `compartment`.
pub fn compartment_symbol(compartment: &str, symbol: &str) -> String {
    format!("__rtos_c_{compartment}_{symbol}")
}

/// Linker-script symbols bounding a compartment's regions (suffixes after `__rtos_c_<name>_`).
pub const REGION_SYMBOLS: [&str; 8] =
    ["code_start", "code_end", "data_start", "data_end", "bss_end", "heap_start", "heap_end", "data_load"];

/// Largest heap or quota a manifest may ask for (the board's RAM is checked separately).
pub const MAX_HEAP: u32 = 16 << 20;

/// Why a symbol must be defined by a compartment crate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    Export,
    /// Entry of the named thread.
    ThreadEntry(String),
    /// The function a compartment field names: `init` or `error_handler`.
    Hook(&'static str),
    Runtime,
}

/// A symbol the compartment's crate must define, kept global (renamed) after localisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Required {
    pub symbol: String,
    pub role: Role,
}

/// The symbols compartment `index` must define: its exports, the entries of its threads and the
/// runtime trampolines, each once (first role wins), in that order.
pub fn required_symbols(config: &ImageConfig, index: usize) -> Vec<Required> {
    let c = &config.compartments[index];
    let mut out: Vec<Required> = Vec::new();
    let mut push = |symbol: &str, role: Role| {
        if !out.iter().any(|r| r.symbol == symbol) {
            out.push(Required { symbol: symbol.to_owned(), role });
        }
    };
    for e in &c.exports {
        push(e, Role::Export);
    }
    for t in config.threads.iter().filter(|t| t.compartment.as_deref() == Some(c.name.as_str())) {
        push(&t.entry, Role::ThreadEntry(t.name.clone()));
    }
    if let Some(init) = &c.init {
        push(init, Role::Hook("init"));
    }
    if let Some(handler) = &c.error_handler {
        push(handler, Role::Hook("error_handler"));
    }
    for s in RUNTIME_SYMBOLS {
        push(s, Role::Runtime);
    }
    out
}

/// Generated names are `__rtos_c_<compartment>_<symbol>`, so compartment `a` with export `b_c`
/// and compartment `a_b` with export `c` would both produce `__rtos_c_a_b_c`. Reports such clashes.
fn check_symbol_clashes(compartments: &[CompartmentSpec], threads: &[ThreadSpec], err: &mut impl FnMut(String)) {
    let config = ImageConfig {
        board: String::new(),
        description: None,
        kernel: KernelConfig { tick_hz: DEFAULT_TICK_HZ, time_slice_ticks: DEFAULT_TIME_SLICE, initial_tick: 0 },
        compartments: compartments.to_vec(),
        sealed_objects: Vec::new(),
        threads: threads.to_vec(),
        test: None,
        bench: None,
        peers: vec![],
    };
    let mut owner: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for (i, c) in compartments.iter().enumerate() {
        if compartments[..i].iter().any(|k| k.name == c.name) {
            continue; // a duplicate name, reported already
        }
        let mut symbols: Vec<(String, String)> =
            REGION_SYMBOLS.iter().map(|s| (compartment_symbol(&c.name, s), format!("its linker symbol {s}"))).collect();
        for r in required_symbols(&config, i) {
            symbols.push((compartment_symbol(&c.name, &r.symbol), format!("symbol `{}`", r.symbol)));
        }
        for (symbol, what) in symbols {
            match owner.get(&symbol) {
                Some((j, other)) if *j != i => err(format!(
                    "compartment \"{}\": the generated symbol {symbol} (for {what}) is also generated for compartment \"{}\" ({other}); rename one of the compartments",
                    c.name, compartments[*j].name
                )),
                Some((_, other)) => err(format!(
                    "compartment \"{}\": the generated symbol {symbol} (for {what}) is also {other}; rename the function",
                    c.name
                )),
                None => {
                    owner.insert(symbol, (i, what));
                }
            }
        }
    }
}

fn is_valid_thread_name(name: &str) -> bool {
    (1..=MAX_THREAD_NAME).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Words that cannot be a path segment after `crate::`.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self",
    "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become",
    "box", "do", "final", "gen", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield", "_",
];

/// Checks that `entry` is identifiers joined by `::`; the error completes
/// "entry \"...\" <why>".
pub fn check_entry_path(entry: &str) -> Result<(), String> {
    const HOW: &str =
        "write identifiers joined by `::`, relative to the crate root, e.g. \"high_main\" or \"workers::high\"";
    if entry.trim().is_empty() {
        return Err(format!("is empty; {HOW}"));
    }
    if entry.starts_with("crate::") || entry.starts_with("::") {
        return Err(format!("must not start with `crate::` or `::` (the generated code adds `crate::`); {HOW}"));
    }
    for segment in entry.split("::") {
        let mut chars = segment.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("is not a Rust path (bad segment `{segment}`); {HOW}"));
        }
        if KEYWORDS.contains(&segment) {
            return Err(format!("uses the Rust keyword `{segment}` as a name; rename the function or module"));
        }
    }
    Ok(())
}

fn validate_test(raw: &RawTest, err: &mut impl FnMut(String)) -> TestSpec {
    if !is_lowercase_word(&raw.group) {
        err(format!(
            "[test] group \"{}\" is invalid; use a lowercase word such as \"kernel\" (a-z, 0-9, _ or -, starting with a letter)",
            raw.group
        ));
    }
    let timeout_s = check_timeout("[test]", raw.timeout_s, DEFAULT_TEST_TIMEOUT_S, err);
    let exit_code = match raw.exit_code {
        None => 0,
        Some(c) if (0..=255).contains(&c) => c as i32,
        Some(c) => {
            err(format!(
                "[test] exit_code {c} is out of range; use 0 ..= 255 (the semihosting exit status QEMU returns)"
            ));
            0
        }
    };
    for (field, list) in [("expect", &raw.expect), ("reject", &raw.reject)] {
        for (i, s) in list.iter().enumerate() {
            if s.is_empty() {
                err(format!("[test] {field}[{i}] is an empty string; remove it or give the text to look for"));
            }
        }
    }
    for s in &raw.expect {
        if !s.is_empty() && raw.reject.contains(s) {
            err(format!(
                "[test] \"{s}\" is in both expect and reject, so the test can never pass; keep it in one list"
            ));
        }
    }
    TestSpec { group: raw.group.clone(), timeout_s, exit_code, expect: raw.expect.clone(), reject: raw.reject.clone() }
}

fn validate_bench(raw: &RawBench, err: &mut impl FnMut(String)) -> BenchSpec {
    if raw.names.is_empty() {
        err("[bench] names is empty; list the names this image prints as `BENCH <name>: <value> <unit>`".to_owned());
    }
    for (i, name) in raw.names.iter().enumerate() {
        if name.is_empty() || name.contains(':') || name.chars().any(char::is_whitespace) {
            err(format!(
                "[bench] names[{i}] \"{name}\" is invalid; use a non-empty name without spaces or ':', e.g. \"context-switch\""
            ));
        } else if raw.names[..i].contains(name) {
            err(format!("[bench] names[{i}] \"{name}\" is listed twice; remove one"));
        }
    }
    BenchSpec {
        names: raw.names.clone(),
        timeout_s: check_timeout("[bench]", raw.timeout_s, DEFAULT_BENCH_TIMEOUT_S, err),
    }
}

/// Checks the `[[peer]]` tables: known kind, an unprivileged port unique in the image, the
/// fields of that kind (and no others).
fn validate_peers(raw: &[RawPeer], err: &mut impl FnMut(String)) -> Vec<PeerSpec> {
    use crate::peers::{DEFAULT_INTERVAL_MS, KIND_NAMES, MAX_PEERS, MIN_PORT};
    if raw.len() > MAX_PEERS {
        err(format!("{} [[peer]] tables; an image may declare at most {MAX_PEERS}; remove some", raw.len()));
    }
    let mut peers: Vec<PeerSpec> = Vec::new();
    let mut used: Vec<(u16, String)> = Vec::new();
    for (i, p) in raw.iter().enumerate() {
        let label = format!("peer[{i}] ({})", p.kind);
        if !KIND_NAMES.contains(&p.kind.as_str()) {
            err(format!("peer[{i}]: kind \"{}\" is unknown; use one of: {}", p.kind, KIND_NAMES.join(", ")));
            continue;
        }
        let port = match u16::try_from(p.port) {
            Ok(port) if port >= MIN_PORT => port,
            _ => {
                err(format!(
                    "{label}: port {} is not an unprivileged port; use {MIN_PORT} ..= 65535 (the peers bind 127.0.0.1 as an ordinary user)",
                    p.port
                ));
                continue;
            }
        };
        if let Some((_, other)) = used.iter().find(|(q, _)| *q == port) {
            err(format!("{label}: port {port} is also used by {other}; give each peer of the image its own port"));
        }
        used.push((port, label.clone()));
        // Which optional fields this kind takes; any other one set is a mistake.
        let (takes, kind): (&[&str], Option<PeerKind>) = match p.kind.as_str() {
            "tcp-echo" => (&[], Some(PeerKind::TcpEcho)),
            "tcp-sink" => (&[], Some(PeerKind::TcpSink)),
            "tcp-silent" => (&[], Some(PeerKind::TcpSilent)),
            "udp-echo" => (&[], Some(PeerKind::UdpEcho)),
            "tcp-close-after" => (
                &["bytes"],
                match p.bytes {
                    None => {
                        err(format!("{label}: `bytes` is missing; say how many bytes it echoes before resetting the connection, e.g. bytes = 1000"));
                        None
                    }
                    Some(b) if (0..=1 << 30).contains(&b) => Some(PeerKind::TcpCloseAfter { bytes: b as u64 }),
                    Some(b) => {
                        err(format!("{label}: bytes {b} is out of range; use 0 (reset at once) ..= 1073741824"));
                        None
                    }
                },
            ),
            "dns" => {
                let mut records = BTreeMap::new();
                for (name, addr) in p.records.iter().flatten() {
                    let checked = crate::peers::dns::check_name(name).map_err(|why| {
                        err(format!("{label}: records key \"{name}\" {why}; use a name such as \"echo.test\""))
                    });
                    let ip = addr.parse::<std::net::Ipv4Addr>().map_err(|_| {
                        err(format!(
                            "{label}: records[\"{name}\"] = \"{addr}\" is not an IPv4 address; write it dotted, e.g. \"10.0.2.2\""
                        ))
                    });
                    if let (Ok(name), Ok(ip)) = (checked, ip) {
                        if records.insert(name.clone(), ip).is_some() {
                            err(format!("{label}: records name \"{name}\" is listed twice (names are case-insensitive); keep one"));
                        }
                    }
                }
                (&["records"], Some(PeerKind::Dns { records }))
            }
            "sntp" => (
                &["unix_time"],
                match p.unix_time {
                    None => Some(PeerKind::Sntp { unix_time: None }),
                    Some(t) if (0..=u32::MAX as i64).contains(&t) => Some(PeerKind::Sntp { unix_time: Some(t as u64) }),
                    Some(t) => {
                        err(format!("{label}: unix_time {t} is out of range; use seconds since 1970 in 0 ..= 4294967295, or leave it out for the host clock"));
                        None
                    }
                },
            ),
            intruder => {
                let guest_port = match p.guest_port {
                    None => {
                        err(format!("{label}: `guest_port` is missing; name the guest port QEMU forwards 127.0.0.1:{port} to, e.g. guest_port = 7777"));
                        None
                    }
                    Some(g) => match u16::try_from(g) {
                        Ok(g) if g > 0 => Some(g),
                        _ => {
                            err(format!("{label}: guest_port {g} is out of range; use 1 ..= 65535"));
                            None
                        }
                    },
                };
                let interval_ms = match p.interval_ms {
                    None => Some(DEFAULT_INTERVAL_MS),
                    Some(ms) if (10..=10_000).contains(&ms) => Some(ms as u64),
                    Some(ms) => {
                        err(format!("{label}: interval_ms {ms} is out of range; use 10 ..= 10000 (default {DEFAULT_INTERVAL_MS})"));
                        None
                    }
                };
                let kind = match (guest_port, interval_ms) {
                    (Some(guest_port), Some(interval_ms)) if intruder == "tcp-intruder" => {
                        Some(PeerKind::TcpIntruder { guest_port, interval_ms })
                    }
                    (Some(guest_port), Some(interval_ms)) => Some(PeerKind::UdpIntruder { guest_port, interval_ms }),
                    _ => None,
                };
                (&["guest_port", "interval_ms"], kind)
            }
        };
        for (field, set) in [
            ("bytes", p.bytes.is_some()),
            ("records", p.records.is_some()),
            ("unix_time", p.unix_time.is_some()),
            ("guest_port", p.guest_port.is_some()),
            ("interval_ms", p.interval_ms.is_some()),
        ] {
            if set && !takes.contains(&field) {
                let owners = match field {
                    "bytes" => "tcp-close-after",
                    "records" => "dns",
                    "unix_time" => "sntp",
                    _ => "tcp-intruder and udp-intruder",
                };
                err(format!("{label}: `{field}` applies only to {owners}; remove it"));
            }
        }
        if let Some(kind) = kind {
            peers.push(PeerSpec { kind, port });
        }
    }
    peers
}

fn check_timeout(table: &str, raw: Option<i64>, default: u64, err: &mut impl FnMut(String)) -> u64 {
    match raw {
        None => default,
        Some(t) if (1..=MAX_TIMEOUT_S).contains(&t) => t as u64,
        Some(t) => {
            err(format!("{table} timeout_s {t} is out of range; use 1 ..= {MAX_TIMEOUT_S} seconds"));
            default
        }
    }
}

fn is_lowercase_word(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// A workspace member marked `[package.metadata.rtos] firmware = true`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirmwareCrate {
    pub name: String,
    pub dir: PathBuf,
    /// Names of its binary targets.
    pub bins: Vec<String>,
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<MetaPackage>,
}

#[derive(Deserialize)]
struct MetaPackage {
    name: String,
    manifest_path: PathBuf,
    targets: Vec<MetaTarget>,
    #[serde(default)]
    metadata: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct MetaTarget {
    name: String,
    kind: Vec<String>,
    #[serde(default)]
    crate_types: Vec<String>,
}

/// A workspace member, as far as compartments are concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub dir: PathBuf,
    /// `[package.metadata.rtos] compartment = true`.
    pub compartment: bool,
    /// `[package.metadata.rtos] c-runtime = true`: a runtime crate of C compartments.
    pub c_runtime: bool,
    /// Name of its library target if that is built as a `staticlib`.
    pub staticlib: Option<String>,
}

/// The workspace members `cargo xtask` cares about.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Workspace {
    /// Members marked `firmware = true`, sorted by name.
    pub firmware: Vec<FirmwareCrate>,
    /// Every member, sorted by name (compartment crates are looked up here).
    pub packages: Vec<Package>,
}

/// Reads `[package.metadata.rtos] <key>` as a boolean (absent = false).
fn rtos_flag(p: &MetaPackage, key: &str, example: &str) -> Result<bool> {
    match p.metadata.as_ref().and_then(|m| m.get("rtos")).and_then(|r| r.get(key)) {
        None | Some(serde_json::Value::Bool(false)) => Ok(false),
        Some(serde_json::Value::Bool(true)) => Ok(true),
        Some(other) => bail!(
            "{}: [package.metadata.rtos] {key} = {other} is not a boolean; write `{example}` or remove it",
            p.manifest_path.display()
        ),
    }
}

/// Extracts firmware crates and all members from `cargo metadata --format-version 1 --no-deps`.
pub fn workspace_from_metadata(json: &str) -> Result<Workspace> {
    let meta: Metadata = serde_json::from_str(json).context(
        "cannot understand `cargo metadata` output; check that `cargo metadata --format-version 1 --no-deps` works in the workspace",
    )?;
    let mut ws = Workspace::default();
    for p in meta.packages {
        let firmware = rtos_flag(&p, "firmware", "firmware = true")?;
        let compartment = rtos_flag(&p, "compartment", "compartment = true")?;
        let c_runtime = rtos_flag(&p, "c-runtime", "c-runtime = true")?;
        let dir = p.manifest_path.parent().map(Path::to_path_buf).unwrap_or_default();
        let staticlib = p
            .targets
            .iter()
            .find(|t| t.crate_types.iter().any(|k| k == "staticlib") || t.kind.iter().any(|k| k == "staticlib"))
            .map(|t| t.name.replace('-', "_"));
        if firmware {
            let bins = p.targets.iter().filter(|t| t.kind.iter().any(|k| k == "bin")).map(|t| t.name.clone()).collect();
            ws.firmware.push(FirmwareCrate { name: p.name.clone(), dir: dir.clone(), bins });
        }
        ws.packages.push(Package { name: p.name, dir, compartment, c_runtime, staticlib });
    }
    ws.firmware.sort_by(|a, b| a.name.cmp(&b.name));
    ws.packages.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(ws)
}

/// Runs `cargo metadata` in the workspace and returns its members.
pub fn workspace(ws: &Path) -> Result<Workspace> {
    let mut cmd = Command::new("cargo");
    cmd.args(["metadata", "--format-version", "1", "--no-deps", "--offline"]).current_dir(ws);
    process::scrub_cargo_env(&mut cmd, true);
    let out = cmd.output().context("cannot run `cargo metadata`; check that cargo is on PATH")?;
    if !out.status.success() {
        bail!(
            "`cargo metadata` failed; fix the workspace's Cargo.toml files:\n{}",
            String::from_utf8_lossy(&out.stderr).trim_end()
        );
    }
    workspace_from_metadata(&String::from_utf8_lossy(&out.stdout))
}

/// Everything `cargo xtask` knows about the workspace's firmware.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    pub crates: Vec<FirmwareCrate>,
    /// All images, sorted by name.
    pub images: Vec<Image>,
}

impl Inventory {
    pub fn image(&self, name: &str) -> Option<&Image> {
        self.images.iter().find(|i| i.name == name)
    }

    pub fn image_names(&self) -> Vec<&str> {
        self.images.iter().map(|i| i.name.as_str()).collect()
    }

    /// Looks up images by name; an unknown name is an error listing the known ones.
    pub fn select(&self, names: &[String]) -> Result<Vec<&Image>> {
        names.iter().map(|n| self.get(n)).collect()
    }

    /// Looks up one image; an unknown name is an error listing the known ones.
    pub fn get(&self, n: &str) -> Result<&Image> {
        match self.image(n) {
            Some(img) => Ok(img),
            None => bail!(
                "unknown image `{n}`; known images: {}",
                if self.images.is_empty() {
                    "(none: add images/<bin>.toml to a firmware crate)".to_owned()
                } else {
                    self.image_names().join(", ")
                }
            ),
        }
    }
}

/// Finds and validates every image manifest of the workspace.
pub fn discover(ws: &Path) -> Result<Inventory> {
    let members = workspace(ws)?;
    load_images(ws, members.firmware, &members.packages)
}

/// Loads `images/*.toml` of each crate; all problems are reported together. `packages` are the
/// workspace members, where compartment crates are looked up.
pub fn load_images(ws: &Path, crates: Vec<FirmwareCrate>, packages: &[Package]) -> Result<Inventory> {
    let boards = crate::board::list(ws);
    let mut errors: Vec<String> = Vec::new();
    let mut images: Vec<Image> = Vec::new();
    // `cargo metadata` with dependencies runs only if a C compartment names `{package}/...`.
    let mut upstream = crate::upstream::Lazy::default();
    for c in &crates {
        let mut files: Vec<PathBuf> = match std::fs::read_dir(c.dir.join("images")) {
            Ok(entries) => {
                entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "toml")).collect()
            }
            Err(_) => Vec::new(),
        };
        files.sort();
        let mut described: Vec<String> = Vec::new();
        for file in files {
            let rel = crate::rel_path(ws, &file);
            let Some(stem) = file.file_stem().and_then(|s| s.to_str()) else {
                errors.push(format!("{rel}: the file name is not valid UTF-8; rename it to <bin>.toml"));
                continue;
            };
            let text = match std::fs::read_to_string(&file) {
                Ok(t) => t,
                Err(e) => {
                    errors.push(format!("{rel}: cannot read it ({e}); check its permissions"));
                    continue;
                }
            };
            described.push(stem.to_owned());
            if !c.bins.iter().any(|b| b == stem) {
                errors.push(format!(
                    "{rel}: image \"{stem}\" has no binary target `{stem}` in crate `{}`; add src/bin/{stem}.rs to the crate or rename the manifest to one of its binaries ({})",
                    c.name,
                    if c.bins.is_empty() { "it has none".to_owned() } else { c.bins.join(", ") }
                ));
            }
            match parse_manifest(&text, &rel, &boards) {
                Ok(mut config) => {
                    errors.extend(resolve_c_sources(ws, &rel, &c.dir, &mut config, &mut upstream));
                    if let Some(other) = images.iter().find(|i| i.name == stem) {
                        errors.push(format!(
                            "{rel}: image name \"{stem}\" is already used by {}; rename one of the files (image names are file stems and must be unique in the workspace)",
                            other.manifest
                        ));
                        continue;
                    }
                    images.push(Image { name: stem.to_owned(), package: c.name.clone(), manifest: rel, config });
                }
                Err(mut errs) => errors.append(&mut errs),
            }
        }
        for bin in &c.bins {
            if !described.contains(bin) {
                errors.push(format!(
                    "{}: binary `{bin}` of firmware crate `{}` has no image manifest; create {}/images/{bin}.toml (see `cargo xtask help manifest`)",
                    crate::rel_path(ws, &c.dir.join("Cargo.toml")),
                    c.name,
                    crate::rel_path(ws, &c.dir),
                ));
            }
        }
    }
    images.sort_by(|a, b| a.name.cmp(&b.name));
    errors.extend(resolve_compartment_crates(ws, &mut images, packages));
    errors.extend(check_shared_imports(&images));
    let mut loaded = Vec::new();
    for name in images.iter().map(|i| i.config.board.clone()).collect::<std::collections::BTreeSet<String>>() {
        // A board file that does not load is reported when an image for it is built; here it
        // only means its limits cannot be checked yet.
        if let Ok(b) = crate::board::load(ws, &name) {
            loaded.push(b);
        }
    }
    errors.extend(check_against_boards(&mut images, &loaded));
    if !errors.is_empty() {
        bail!("{}", errors.join("\nerror: "));
    }
    Ok(Inventory { crates, images })
}

/// Expands the source globs and include directories of the C compartments of one manifest
/// (`rel`), relative to the firmware crate directory `dir`, or to a pinned upstream package's
/// directory for entries that start with `{package}/` (see [`crate::upstream`]). Returns one
/// message per problem.
fn resolve_c_sources(
    ws: &Path,
    rel: &str,
    dir: &Path,
    config: &mut ImageConfig,
    upstream: &mut crate::upstream::Lazy,
) -> Vec<String> {
    let mut errors = Vec::new();
    let base = crate::rel_path(ws, dir);
    for c in &mut config.compartments {
        let Some(cs) = c.c.as_mut() else { continue };
        let head = format!("{rel}: compartment \"{}\"", c.name);
        // (file, how reports show it)
        let mut files: Vec<(PathBuf, String)> = Vec::new();
        for (j, pattern) in cs.patterns.iter().enumerate() {
            let (found, shown) = match upstream.resolve(ws, pattern) {
                None => {
                    let found = crate::c_compartment::glob(dir, pattern);
                    if found.is_empty() {
                        errors.push(format!(
                            "{head}: sources[{j}] \"{pattern}\" matches no file under {base}/; fix the pattern (it is relative to the firmware crate directory {base}/) or add the file"
                        ));
                    }
                    let shown = found.iter().map(|f| crate::rel_path(ws, f)).collect::<Vec<_>>();
                    (found, shown)
                }
                Some(Err(e)) => {
                    errors.push(format!("{head}: sources[{j}] \"{pattern}\": {e}"));
                    continue;
                }
                Some(Ok((pkg_dir, rest, prefix))) => {
                    let found = crate::c_compartment::glob(&pkg_dir, rest);
                    if found.is_empty() {
                        errors.push(format!(
                            "{head}: sources[{j}] \"{pattern}\" matches no file in package {prefix} ({}); fix the path after the package name",
                            pkg_dir.display()
                        ));
                    }
                    let shown =
                        found.iter().map(|f| format!("{prefix}/{}", crate::rel_path(&pkg_dir, f))).collect::<Vec<_>>();
                    (found, shown)
                }
            };
            for (f, s) in found.into_iter().zip(shown) {
                if !files.iter().any(|(g, _)| *g == f) {
                    files.push((f, s));
                }
            }
        }
        files.sort();
        cs.files_rel = files.iter().map(|(_, s)| s.clone()).collect();
        cs.files = files.into_iter().map(|(f, _)| f).collect();
        cs.include_dirs = Vec::new();
        cs.exports_header_path = None;
        if let Some(h) = &cs.exports_header {
            let path = dir.join(h);
            if path.is_file() {
                cs.exports_header_path = Some(path);
            } else {
                errors.push(format!(
                    "{head}: exports_header \"{h}\" is not a file ({base}/{h} does not exist); create the header declaring the exports or fix the path (relative to the firmware crate directory {base}/)"
                ));
            }
        }
        for (j, inc) in cs.include.iter().enumerate() {
            let path = match upstream.resolve(ws, inc) {
                None => dir.join(inc),
                Some(Ok((pkg_dir, rest, _))) => pkg_dir.join(rest),
                Some(Err(e)) => {
                    errors.push(format!("{head}: include[{j}] \"{inc}\": {e}"));
                    continue;
                }
            };
            if path.is_dir() {
                cs.include_dirs.push(path);
            } else if upstream.resolve(ws, inc).is_some() {
                errors.push(format!(
                    "{head}: include[{j}] \"{inc}\" is not a directory ({} does not exist); fix the path after the package name",
                    path.display()
                ));
            } else {
                errors.push(format!(
                    "{head}: include[{j}] \"{inc}\" is not a directory ({base}/{inc} does not exist); create it or fix the path (relative to the firmware crate directory {base}/)"
                ));
            }
        }
    }
    errors
}

/// Checks that every compartment's crate is a compartment crate of the workspace (for a C
/// compartment: a C runtime crate) and records its library name.
fn resolve_compartment_crates(ws: &Path, images: &mut [Image], packages: &[Package]) -> Vec<String> {
    let mut errors = Vec::new();
    for image in images.iter_mut() {
        for c in &mut image.config.compartments {
            if c.c.is_some() {
                errors.extend(resolve_c_runtime(ws, &image.manifest, c, packages));
                continue;
            }
            let head = format!("{}: compartment \"{}\": crate \"{}\"", image.manifest, c.name, c.krate);
            let Some(p) = packages.iter().find(|p| p.name == c.krate) else {
                let known: Vec<&str> = packages.iter().filter(|p| p.compartment).map(|p| p.name.as_str()).collect();
                let hint = if known.is_empty() {
                    "there are no compartment crates yet".to_owned()
                } else {
                    format!("compartment crates: {}", known.join(", "))
                };
                errors.push(format!(
                    "{head} is not a package of this workspace; add its directory to [workspace] members in Cargo.toml or fix the name ({hint})"
                ));
                continue;
            };
            let cargo_toml = crate::rel_path(ws, &p.dir.join("Cargo.toml"));
            match (&p.staticlib, p.compartment) {
                (Some(lib), true) => {
                    c.lib_name = lib.clone();
                    c.crate_root = Some(p.dir.join("src").join("lib.rs"));
                }
                (None, true) => errors.push(format!(
                    "{head} has no staticlib library; add `[lib] crate-type = [\"staticlib\"]` to {cargo_toml}"
                )),
                (_, false) => errors.push(format!(
                    "{head} is not a compartment crate; add `[package.metadata.rtos] compartment = true` and `[lib] crate-type = [\"staticlib\"]` to {cargo_toml}"
                )),
            }
        }
    }
    errors
}

/// Checks the runtime crate of C compartment `c` and records its library name.
fn resolve_c_runtime(ws: &Path, manifest: &str, c: &mut CompartmentSpec, packages: &[Package]) -> Vec<String> {
    let head = format!("{manifest}: compartment \"{}\": runtime \"{}\"", c.name, c.krate);
    let Some(p) = packages.iter().find(|p| p.name == c.krate) else {
        let known: Vec<&str> = packages.iter().filter(|p| p.c_runtime).map(|p| p.name.as_str()).collect();
        return vec![format!(
            "{head} is not a package of this workspace; use one of the C runtime crates ({}) or add the runtime's directory to [workspace] members in Cargo.toml",
            if known.is_empty() { "there are none".to_owned() } else { known.join(", ") }
        )];
    };
    let cargo_toml = crate::rel_path(ws, &p.dir.join("Cargo.toml"));
    match (&p.staticlib, p.c_runtime) {
        (Some(lib), true) => {
            c.lib_name = lib.clone();
            Vec::new()
        }
        (None, true) => vec![format!(
            "{head} has no staticlib library; add `[lib] crate-type = [\"staticlib\", \"rlib\"]` to {cargo_toml}"
        )],
        (_, false) => vec![format!(
            "{head} is not a C runtime crate; name a crate with `[package.metadata.rtos] c-runtime = true` (the default is \"{DEFAULT_C_RUNTIME}\"), or mark {cargo_toml} so if it provides the C API and depends on rtos-sys with feature `compartment`"
        )],
    }
}

/// The generated import stubs of Rust compartments are per crate: every use of a compartment
/// crate must declare the same imports in the same order. (A C compartment's stubs are per
/// image and compartment, so they are free.)
fn check_shared_imports(images: &[Image]) -> Vec<String> {
    let mut first: BTreeMap<&str, (&Image, &CompartmentSpec)> = BTreeMap::new();
    let mut errors = Vec::new();
    for image in images {
        for c in image.config.compartments.iter().filter(|c| c.c.is_none()) {
            let Some((other_image, other)) = first.get(c.krate.as_str()) else {
                first.insert(&c.krate, (image, c));
                continue;
            };
            if other.sealing_keys != c.sealing_keys || other.sealed_imports != c.sealed_imports {
                errors.push(format!(
                    "{}: compartment \"{}\": crate {} has sealing_keys {:?} / sealed_imports {:?} here but {:?} / {:?} in {} (compartment \"{}\"); the generated stubs are per crate, so list the same keys and sealed imports in every image",
                    image.manifest, c.name, c.krate, c.sealing_keys, c.sealed_imports, other.sealing_keys, other.sealed_imports, other_image.manifest, other.name
                ));
            }
            if other.mmio != c.mmio {
                errors.push(format!(
                    "{}: compartment \"{}\": crate {} is granted mmio {:?} here but {:?} in {} (compartment \"{}\"); the generated `devices` module is per crate, so grant the same devices in every image",
                    image.manifest, c.name, c.krate, c.mmio, other.mmio, other_image.manifest, other.name
                ));
            }
            if other.imports != c.imports {
                let list = |c: &CompartmentSpec| {
                    let items: Vec<String> = c.imports.iter().map(|i| format!("\"{}\"", i.qualified())).collect();
                    format!("[{}]", items.join(", "))
                };
                let there = if other_image.manifest == image.manifest {
                    format!("compartment \"{}\" of the same manifest", other.name)
                } else {
                    format!("{} (compartment \"{}\")", other_image.manifest, other.name)
                };
                errors.push(format!(
                    "{}: compartment \"{}\": crate {} has imports = {} here but imports = {} in {there}; the generated import stubs are per crate, so every use of a compartment crate must list the same imports in the same order",
                    image.manifest,
                    c.name,
                    c.krate,
                    list(c),
                    list(other),
                ));
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    const REL: &str = "tests/kernel/images/preempt.toml";

    fn boards() -> Vec<String> {
        vec!["mps2-an505".to_owned()]
    }

    fn board_limits_image(compartments: &str) -> Vec<String> {
        let text = format!(
            "[image]\nboard = \"mps2-an505\"\n{compartments}[[thread]]\nname = \"t\"\nentry = \"m\"\npriority = 1\nstack_size = 1024\n"
        );
        let config = parse_manifest(&text, "m.toml", &boards()).unwrap();
        let mut images = vec![Image { name: "m".into(), package: "p".into(), manifest: "m.toml".into(), config }];
        let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let board = crate::board::load(ws, "mps2-an505").unwrap();
        check_against_boards(&mut images, &[board])
    }

    #[test]
    fn board_limits_mmio_and_ram() {
        let ok = "[[compartment]]\nname = \"drv\"\ncrate = \"d\"\nmmio = [\"uart1\", \"eth\"]\n";
        assert!(board_limits_image(ok).is_empty());
        let e = board_limits_image(&ok.replace("\"eth\"", "\"sdcard\""));
        assert_eq!(e.len(), 1);
        assert!(
            e[0].contains("mmio \"sdcard\" is outside board mps2-an505") && e[0].contains("use one of: uart1"),
            "{e:?}"
        );
        let two = format!("{ok}[[compartment]]\nname = \"other\"\ncrate = \"o\"\nmmio = [\"uart1\"]\n");
        let e = board_limits_image(&two);
        assert!(e[0].contains("granted to both compartment \"drv\" and \"other\" (overlapping memory)"), "{e:?}");
        let many = ok.replace("\"eth\"]", "\"eth\", \"uart2\", \"fpgaio\"]");
        assert!(board_limits_image(&many)[0].contains("4 MMIO grants"));
        let quota = "[[compartment]]\nname = \"big\"\ncrate = \"b\"\nheap_quota = 4194304\n";
        assert!(board_limits_image(quota)[0].contains("larger than the RAM of board mps2-an505"));
        let heap = "[[compartment]]\nname = \"big\"\ncrate = \"b\"\nheap = 2097152\nheap_quota = 0\n";
        assert!(board_limits_image(heap)[0].contains("heaps (2097152 bytes) and thread stacks (1024 bytes)"));
    }

    #[test]
    fn thread_stacks_are_checked_and_count_against_ram() {
        let parse = |pool: &str| {
            let text = format!(
                "[image]\nboard = \"mps2-an505\"\n[[compartment]]\nname = \"net\"\ncrate = \"n\"\n{pool}\n[[thread]]\nname = \"t\"\nentry = \"m\"\npriority = 1\nstack_size = 1024\n"
            );
            parse_manifest(&text, "m.toml", &boards())
        };
        let ok = parse("thread_stacks = { count = 2, size = 2048 }").unwrap();
        assert_eq!(ok.compartments[0].thread_stacks, ThreadStacks { count: 2, size: 2048 });
        assert_eq!(parse("").unwrap().compartments[0].thread_stacks.count, 0);
        let e = format!("{:?}", parse("thread_stacks = { count = 0, size = 2048 }").unwrap_err());
        assert!(e.contains("thread_stacks count 0 is out of range; use 1 ..= 16"), "{e}");
        let e = format!("{:?}", parse("thread_stacks = { count = 1, size = 1000 }").unwrap_err());
        assert!(
            e.contains("thread_stacks size 1000 must be 256 ..= 65536 bytes and a multiple of 32")
                && e.contains("use 1024"),
            "{e}"
        );
        let e = format!("{:?}", parse("thread_stacks = { count = 1 }").unwrap_err());
        assert!(e.contains("missing field `size`"), "{e}");
        let many = "[[compartment]]\nname = \"a\"\ncrate = \"a\"\nthread_stacks = { count = 9, size = 256 }\n";
        let two = format!("{many}{}", many.replace("\"a\"", "\"b\""));
        let text = format!("[image]\nboard = \"mps2-an505\"\n{two}[[thread]]\nname = \"t\"\nentry = \"m\"\npriority = 1\nstack_size = 1024\n");
        let e = format!("{:?}", parse_manifest(&text, "m.toml", &boards()).unwrap_err());
        assert!(e.contains("18 pool stacks in all; the kernel keeps at most 16 per image"), "{e}");
        let big = "[[compartment]]\nname = \"big\"\ncrate = \"b\"\nheap = 1048576\nthread_stacks = { count = 16, size = 65536 }\n";
        let e = board_limits_image(big);
        assert!(e[0].contains("heaps (1048576 bytes) and thread stacks (1049600 bytes)"), "{e:?}");
    }

    const GOOD: &str = r#"
[image]
board = "mps2-an505"
description = "preemption"

[kernel]
tick_hz = 100
time_slice_ticks = 0
initial_tick = 0xFFFF_FF00

[[thread]]
name = "high"
entry = "high_main"
priority = 5
stack_size = 1024

[[thread]]
name = "worker"
entry = "workers::low"
priority = 1
stack_size = 512
arg = 7

[test]
group = "kernel"
expect = ["ok"]
reject = ["PANIC"]
"#;

    fn errors_of(text: &str) -> Vec<String> {
        parse_manifest(text, REL, &boards()).unwrap_err()
    }

    /// Replaces one line of GOOD (by prefix match within the given thread occurrence).
    fn with(from: &str, to: &str) -> String {
        assert!(GOOD.contains(from), "{from}");
        GOOD.replacen(from, to, 1)
    }

    fn single_error(text: &str) -> String {
        let errs = errors_of(text);
        assert_eq!(errs.len(), 1, "{errs:#?}");
        errs.into_iter().next().unwrap()
    }

    /// Two compartments (`a`, `b`) plus `extra` lines in `a`'s table.
    fn lifecycle(extra_a: &str) -> String {
        format!(
            "[image]\nboard = \"mps2-an505\"\n[[compartment]]\nname = \"a\"\ncrate = \"ca\"\n{extra_a}\n[[compartment]]\nname = \"b\"\ncrate = \"cb\"\n[[thread]]\nname = \"t\"\nentry = \"t\"\ncompartment = \"a\"\npriority = 1\nstack_size = 512\n"
        )
    }

    fn peers(tables: &str) -> Result<Vec<PeerSpec>, Vec<String>> {
        parse_manifest(&format!("{GOOD}{tables}"), REL, &boards()).map(|c| c.peers)
    }

    #[test]
    fn parses_peers_of_every_kind() {
        let p = peers(
            r#"
[[peer]]
kind = "tcp-echo"
port = 17007
[[peer]]
kind = "tcp-sink"
port = 17008
[[peer]]
kind = "tcp-close-after"
port = 17009
bytes = 1000
[[peer]]
kind = "tcp-silent"
port = 17010
[[peer]]
kind = "udp-echo"
port = 17011
[[peer]]
kind = "dns"
port = 17053
records = { "Echo.Test." = "10.0.2.2", "b.test" = "10.0.2.15" }
[[peer]]
kind = "sntp"
port = 17123
unix_time = 1767225600
[[peer]]
kind = "sntp"
port = 17124
[[peer]]
kind = "tcp-intruder"
port = 17100
guest_port = 7777
[[peer]]
kind = "udp-intruder"
port = 17101
guest_port = 7778
interval_ms = 50
"#,
        )
        .unwrap();
        let kinds: Vec<PeerKind> = p.iter().map(|p| p.kind.clone()).collect();
        assert_eq!(p.iter().map(|p| p.port).collect::<Vec<_>>()[..3], [17007, 17008, 17009]);
        assert_eq!(kinds[2], PeerKind::TcpCloseAfter { bytes: 1000 });
        let records = std::collections::BTreeMap::from([
            ("b.test".to_owned(), std::net::Ipv4Addr::new(10, 0, 2, 15)),
            ("echo.test".to_owned(), std::net::Ipv4Addr::new(10, 0, 2, 2)),
        ]);
        assert_eq!(kinds[5], PeerKind::Dns { records });
        assert_eq!(kinds[6], PeerKind::Sntp { unix_time: Some(1_767_225_600) });
        assert_eq!(kinds[7], PeerKind::Sntp { unix_time: None });
        assert_eq!(kinds[8], PeerKind::TcpIntruder { guest_port: 7777, interval_ms: 100 });
        assert_eq!(kinds[9], PeerKind::UdpIntruder { guest_port: 7778, interval_ms: 50 });
        assert!(peers("").unwrap().is_empty());
    }

    #[test]
    fn peer_errors_name_the_peer_and_the_fix() {
        let one = |table: &str| {
            let errs = peers(table).unwrap_err();
            assert_eq!(errs.len(), 1, "{errs:#?}");
            errs.into_iter().next().unwrap()
        };
        let e = one("[[peer]]\nkind = \"http\"\nport = 17000\n");
        assert_eq!(
            e,
            format!("{REL}: peer[0]: kind \"http\" is unknown; use one of: tcp-echo, tcp-sink, tcp-close-after, tcp-silent, udp-echo, dns, sntp, tcp-intruder, udp-intruder")
        );
        for port in ["80", "0", "70000", "-1"] {
            let e = one(&format!("[[peer]]\nkind = \"tcp-echo\"\nport = {port}\n"));
            assert_eq!(
                e,
                format!("{REL}: peer[0] (tcp-echo): port {port} is not an unprivileged port; use 1024 ..= 65535 (the peers bind 127.0.0.1 as an ordinary user)")
            );
        }
        let e = one("[[peer]]\nkind = \"tcp-echo\"\nport = 17000\n[[peer]]\nkind = \"udp-echo\"\nport = 17000\n");
        assert!(e.ends_with("peer[1] (udp-echo): port 17000 is also used by peer[0] (tcp-echo); give each peer of the image its own port"), "{e}");
        let e = one("[[peer]]\nkind = \"tcp-close-after\"\nport = 17000\n");
        assert!(e.contains("peer[0] (tcp-close-after): `bytes` is missing; say how many bytes"), "{e}");
        let e = one("[[peer]]\nkind = \"tcp-intruder\"\nport = 17000\n");
        assert!(e.contains("`guest_port` is missing; name the guest port QEMU forwards 127.0.0.1:17000 to"), "{e}");
        let e = one("[[peer]]\nkind = \"udp-intruder\"\nport = 17000\nguest_port = 0\n");
        assert!(e.contains("guest_port 0 is out of range; use 1 ..= 65535"), "{e}");
        let e = one("[[peer]]\nkind = \"udp-intruder\"\nport = 17000\nguest_port = 7\ninterval_ms = 1\n");
        assert!(e.contains("interval_ms 1 is out of range"), "{e}");
        let e = one("[[peer]]\nkind = \"tcp-echo\"\nport = 17000\nbytes = 5\n");
        assert!(e.ends_with("peer[0] (tcp-echo): `bytes` applies only to tcp-close-after; remove it"), "{e}");
        let e = one("[[peer]]\nkind = \"dns\"\nport = 17000\nguest_port = 5\n");
        assert!(e.ends_with("`guest_port` applies only to tcp-intruder and udp-intruder; remove it"), "{e}");
        let e = one("[[peer]]\nkind = \"dns\"\nport = 17000\nrecords = { \"a.test\" = \"10.0.2\" }\n");
        assert!(e.contains("records[\"a.test\"] = \"10.0.2\" is not an IPv4 address"), "{e}");
        let e = one("[[peer]]\nkind = \"dns\"\nport = 17000\nrecords = { \"a b\" = \"10.0.2.2\" }\n");
        assert!(e.contains("records key \"a b\" has label"), "{e}");
        let e = one("[[peer]]\nkind = \"dns\"\nport = 17000\nrecords = { \"A.test\" = \"10.0.2.2\", \"a.test.\" = \"10.0.2.3\" }\n");
        assert!(e.contains("records name \"a.test\" is listed twice"), "{e}");
        let e = one("[[peer]]\nkind = \"sntp\"\nport = 17000\nunix_time = -5\n");
        assert!(e.contains("unix_time -5 is out of range"), "{e}");
        let e = one("[[peer]]\nkind = \"tcp-close-after\"\nport = 17000\nbytes = -1\n");
        assert!(e.contains("bytes -1 is out of range"), "{e}");
        // Missing required fields and unknown ones are schema errors with the general hint.
        let e = one("[[peer]]\nkind = \"tcp-echo\"\n");
        assert!(e.contains("missing field `port`") && e.contains("cargo xtask help manifest"), "{e}");
        let e = one("[[peer]]\nport = 17000\n");
        assert!(e.contains("missing field `kind`"), "{e}");
        let e = one("[[peer]]\nkind = \"tcp-echo\"\nport = 17000\nhost = \"0.0.0.0\"\n");
        assert!(e.contains("unknown field `host`"), "{e}");
        let many: String = (0..17).map(|i| format!("[[peer]]\nkind = \"tcp-echo\"\nport = {}\n", 17000 + i)).collect();
        assert!(one(&many).contains("17 [[peer]] tables; an image may declare at most 16"));
    }

    #[test]
    fn lifecycle_fields_and_rights() {
        let c = parse_manifest(
            &lifecycle("init = \"setup\"\nerror_handler = \"on_error\"\non_fault = \"reboot\"\nmay_shutdown = true\nmay_reboot = [\"b\", \"a\"]"),
            REL,
            &boards(),
        )
        .unwrap();
        let a = &c.compartments[0];
        assert_eq!((a.init.as_deref(), a.init_stack), (Some("setup"), DEFAULT_INIT_STACK));
        assert_eq!((a.error_handler.as_deref(), a.on_fault), (Some("on_error"), OnFault::Reboot));
        assert!(a.may_shutdown && !a.may_set_clock);
        assert_eq!(a.may_reboot, ["b", "a"]);
        let roles: Vec<Role> = required_symbols(&c, 0).into_iter().map(|r| r.role).collect();
        assert!(roles.contains(&Role::Hook("init")) && roles.contains(&Role::Hook("error_handler")), "{roles:?}");
        // Defaults: no hooks, unwind, no rights.
        let b = &c.compartments[1];
        assert_eq!((b.init.as_ref(), b.error_handler.as_ref(), b.on_fault), (None, None, OnFault::Unwind));
        assert!(!b.may_shutdown && b.may_reboot.is_empty() && !b.may_set_clock);
        let c = parse_manifest(&lifecycle("may_set_clock = true"), REL, &boards()).unwrap();
        assert!(c.compartments[0].may_set_clock && !c.compartments[1].may_set_clock);
    }

    #[test]
    fn lifecycle_field_errors() {
        let e = errors_of(&lifecycle("may_reboot = [\"c\"]"));
        assert!(
            e[0].contains(
                "compartment \"a\": may_reboot[0] \"c\" names no compartment of this image; use one of: a, b"
            ),
            "{e:?}"
        );
        let e = errors_of(&lifecycle("may_reboot = [\"b\", \"b\"]"));
        assert!(e[0].contains("may_reboot lists \"b\" twice"), "{e:?}");
        let e = errors_of(&lifecycle("on_fault = \"restart\""));
        assert!(
            e[0].contains("on_fault \"restart\" is not a policy; use \"unwind\" (the default) or \"reboot\""),
            "{e:?}"
        );
        let e = errors_of(&lifecycle("init_stack = 512"));
        assert!(e[0].contains("init_stack is set but there is no init"), "{e:?}");
        let e = errors_of(&lifecycle("init = \"s\"\ninit_stack = 100"));
        assert!(e[0].contains("init_stack 100 is invalid; use 256 ..= 65536 bytes"), "{e:?}");
        let e = errors_of(&lifecycle("init = \"not a symbol\""));
        assert!(e[0].contains("compartment \"a\": init \"not a symbol\""), "{e:?}");
        let e = errors_of(&lifecycle("may_shutdown = \"yes\""));
        assert!(e[0].contains("may_shutdown"), "{e:?}");
        let e = single_error(&lifecycle("may_set_clock = \"yes\""));
        assert!(e.contains("may_set_clock") && e.contains("expected a boolean"), "{e}");
        let e = single_error(&lifecycle("may_set_clocks = true"));
        assert!(e.contains("unknown field `may_set_clocks`"), "{e}");
        // Every init needs a thread slot of its own.
        let mut many = lifecycle("init = \"s\"");
        for i in 0..30 {
            many.push_str(&format!("[[thread]]\nname = \"k{i}\"\nentry = \"k\"\npriority = 1\nstack_size = 256\n"));
        }
        let e = errors_of(&many);
        assert!(e[0].contains("31 threads and 1 compartment init thread(s) need 32 thread slots"), "{e:?}");
    }

    #[test]
    fn parses_valid_manifest_with_defaults() {
        let c = parse_manifest(GOOD, REL, &boards()).unwrap();
        assert_eq!(c.board, "mps2-an505");
        assert_eq!(c.kernel, KernelConfig { tick_hz: 100, time_slice_ticks: 0, initial_tick: 0xFFFF_FF00 });
        assert_eq!(c.threads.len(), 2);
        assert_eq!(c.threads[1].entry, "workers::low");
        assert_eq!(c.threads[1].entry_fn(), "low");
        assert_eq!(c.threads[1].arg, 7);
        assert_eq!(c.threads[0].arg, 0);
        let t = c.test.unwrap();
        assert_eq!((t.timeout_s, t.exit_code), (30, 0));
        assert_eq!(t.reject, ["PANIC"]);
        assert!(c.bench.is_none());
    }

    #[test]
    fn minimal_manifest_gets_defaults() {
        let text = "[image]\nboard = \"mps2-an505\"\n[[thread]]\nname = \"a\"\nentry = \"a\"\npriority = 0\nstack_size = 256\n";
        let c = parse_manifest(text, REL, &boards()).unwrap();
        assert_eq!(c.kernel, KernelConfig { tick_hz: 1000, time_slice_ticks: 1, initial_tick: 0 });
        assert!(c.test.is_none());
    }

    #[test]
    fn priority_out_of_range() {
        let e = single_error(&with("priority = 1", "priority = 40"));
        assert_eq!(
            e,
            "tests/kernel/images/preempt.toml: thread \"worker\": priority 40 is out of range; use 0 (lowest) ..= 31 (highest)"
        );
        let e = single_error(&with("priority = 1", "priority = -1"));
        assert!(e.contains("priority -1 is out of range"), "{e}");
    }

    #[test]
    fn stack_size_checks() {
        let e = single_error(&with("stack_size = 512", "stack_size = 128"));
        assert!(
            e.starts_with(REL) && e.contains("thread \"worker\": stack_size 128 is too small; use at least 256"),
            "{e}"
        );
        let e = single_error(&with("stack_size = 512", "stack_size = 1030"));
        assert!(e.contains("thread \"worker\": stack_size 1030 is not a multiple of 8; use 1024 or 1032"), "{e}");
        let e = single_error(&with("stack_size = 512", "stack_size = 70000"));
        assert!(e.contains("stack_size 70000 is too large; use at most 65536"), "{e}");
    }

    #[test]
    fn duplicate_thread_names() {
        let e = single_error(&with("name = \"worker\"", "name = \"high\""));
        assert_eq!(
            e,
            format!("{REL}: thread[1]: name \"high\" is already used by thread[0]; give every thread a unique name")
        );
    }

    #[test]
    fn invalid_thread_names() {
        let e = single_error(&with("name = \"worker\"", "name = \"a very long name!\""));
        assert!(e.contains("thread[1]: name \"a very long name!\" is invalid; use 1 to 15 characters"), "{e}");
        let e = single_error(&with("name = \"worker\"", "name = \"\""));
        assert!(e.contains("thread[1]: name \"\" is invalid"), "{e}");
    }

    #[test]
    fn invalid_entry_paths() {
        for bad in ["workers::", "9lives", "a b", "crate::x", "::x", "fn", "a::self::b", ""] {
            let e = single_error(&with("entry = \"workers::low\"", &format!("entry = \"{bad}\"")));
            assert!(e.starts_with(&format!("{REL}: thread \"worker\": entry \"{bad}\" ")), "{e}");
        }
        assert!(check_entry_path("a::b_c::D9").is_ok());
        assert!(check_entry_path("_private").is_ok());
    }

    #[test]
    fn empty_and_too_many_threads() {
        let text = "[image]\nboard = \"mps2-an505\"\n";
        let e = single_error(text);
        assert!(e.starts_with(REL) && e.contains("no [[thread]] tables; add at least one"), "{e}");
        let mut many = String::from("[image]\nboard = \"mps2-an505\"\n");
        for i in 0..32 {
            many.push_str(&format!("[[thread]]\nname = \"t{i}\"\nentry = \"f\"\npriority = 1\nstack_size = 256\n"));
        }
        let e = single_error(&many);
        assert!(e.contains("32 [[thread]] tables; an image has at most 31 threads"), "{e}");
    }

    #[test]
    fn unknown_board() {
        let e = single_error(&with("board = \"mps2-an505\"", "board = \"stm32\""));
        assert!(
            e.contains(
                "[image] board \"stm32\" is unknown (there is no boards/stm32/board.toml); use one of: mps2-an505"
            ),
            "{e}"
        );
    }

    #[test]
    fn unknown_field_reports_toml_message_and_hint() {
        let e = single_error(&with("arg = 7", "argument = 7"));
        assert!(e.starts_with(&format!("{REL}: ")), "{e}");
        assert!(e.contains("unknown field `argument`"), "{e}");
        assert!(e.contains("line "), "{e}");
        assert!(e.contains("cargo xtask help manifest"), "{e}");
        let e = single_error(&with("[kernel]", "[kernal]"));
        assert!(e.contains("unknown field `kernal`"), "{e}");
    }

    #[test]
    fn syntax_and_type_errors() {
        let e = single_error(&with("priority = 5", "priority = "));
        assert!(e.starts_with(REL) && e.contains("line"), "{e}");
        let e = single_error(&with("priority = 5", "priority = \"high\""));
        assert!(e.contains("invalid type"), "{e}");
        let e = single_error(&with("entry = \"high_main\"\n", ""));
        assert!(e.contains("missing field `entry`"), "{e}");
    }

    #[test]
    fn kernel_ranges() {
        let e = single_error(&with("tick_hz = 100", "tick_hz = 5"));
        assert!(e.contains("[kernel] tick_hz 5 is out of range; use 10 ..= 10000"), "{e}");
        let e = single_error(&with("time_slice_ticks = 0", "time_slice_ticks = 1001"));
        assert!(e.contains("[kernel] time_slice_ticks 1001 is out of range"), "{e}");
        let e = single_error(&with("initial_tick = 0xFFFF_FF00", "initial_tick = -5"));
        assert!(e.contains("[kernel] initial_tick -5 is negative"), "{e}");
    }

    #[test]
    fn test_and_bench_tables() {
        let e = single_error(&with("group = \"kernel\"", "group = \"Kernel\""));
        assert!(e.contains("[test] group \"Kernel\" is invalid"), "{e}");
        let e = single_error(&with("group = \"kernel\"", "group = \"kernel\"\nexit_code = 300"));
        assert!(e.contains("[test] exit_code 300 is out of range"), "{e}");
        let e = single_error(&with("group = \"kernel\"", "group = \"kernel\"\ntimeout_s = 0"));
        assert!(e.contains("[test] timeout_s 0 is out of range"), "{e}");
        let e = single_error(&with("reject = [\"PANIC\"]", "reject = [\"ok\"]"));
        assert!(e.contains("\"ok\" is in both expect and reject"), "{e}");
        let e = single_error(&with("expect = [\"ok\"]", "expect = [\"\"]"));
        assert!(e.contains("[test] expect[0] is an empty string"), "{e}");

        let bench = format!("{GOOD}\n[bench]\nnames = [\"ctx-switch\", \"bad name\"]\n");
        let e = single_error(&bench);
        assert!(e.contains("[bench] names[1] \"bad name\" is invalid"), "{e}");
        let bench = format!("{GOOD}\n[bench]\nnames = [\"ctx\"]\ntimeout_s = 5\n");
        let c = parse_manifest(&bench, REL, &boards()).unwrap();
        assert_eq!(c.bench, Some(BenchSpec { names: vec!["ctx".into()], timeout_s: 5 }));
    }

    #[test]
    fn reports_all_errors_at_once() {
        let text = with("priority = 1", "priority = 99").replace("stack_size = 1024", "stack_size = 7");
        let errs = errors_of(&text);
        assert_eq!(errs.len(), 2, "{errs:#?}");
        assert!(errs.iter().all(|e| e.starts_with(REL)));
    }

    const METADATA: &str = r#"{"packages":[
      {"name":"rtos","manifest_path":"/ws/rtos/Cargo.toml","targets":[{"name":"rtos","kind":["lib"]}],"metadata":null},
      {"name":"kernel-tests","manifest_path":"/ws/tests/kernel/Cargo.toml",
       "targets":[{"name":"preempt","kind":["bin"]},{"name":"kernel_tests","kind":["lib"]},{"name":"mutex","kind":["bin"]}],
       "metadata":{"rtos":{"firmware":true}}},
      {"name":"board","manifest_path":"/ws/boards/b/Cargo.toml","targets":[],"metadata":{"rtos":{"firmware":false}}}
    ],"workspace_members":[]}"#;

    #[test]
    fn finds_firmware_crates_in_metadata() {
        let crates = workspace_from_metadata(METADATA).unwrap().firmware;
        assert_eq!(
            crates,
            vec![FirmwareCrate {
                name: "kernel-tests".into(),
                dir: PathBuf::from("/ws/tests/kernel"),
                bins: vec!["preempt".into(), "mutex".into()],
            }]
        );
        let bad = METADATA.replace("\"firmware\":true", "\"firmware\":\"yes\"");
        let e = format!("{:#}", workspace_from_metadata(&bad).unwrap_err());
        assert!(e.contains("is not a boolean; write `firmware = true`"), "{e}");
    }

    /// A scratch workspace on disk, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(tag: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!("xtask-manifest-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("boards/mps2-an505")).unwrap();
            std::fs::write(dir.join("boards/mps2-an505/board.toml"), "").unwrap();
            Scratch(dir)
        }

        fn write(&self, rel: &str, text: &str) {
            let p = self.0.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }

        fn krate(&self, name: &str, dir: &str, bins: &[&str]) -> FirmwareCrate {
            FirmwareCrate {
                name: name.into(),
                dir: self.0.join(dir),
                bins: bins.iter().map(|s| s.to_string()).collect(),
            }
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn loads_images_from_crates() {
        let s = Scratch::new("ok");
        s.write("tests/kernel/images/preempt.toml", GOOD);
        s.write("examples/demo/images/demo.toml", GOOD);
        let inv = load_images(
            &s.0,
            vec![s.krate("kernel-tests", "tests/kernel", &["preempt"]), s.krate("demo", "examples/demo", &["demo"])],
            &[],
        )
        .unwrap();
        assert_eq!(inv.image_names(), ["demo", "preempt"]);
        let p = inv.image("preempt").unwrap();
        assert_eq!(p.package, "kernel-tests");
        assert_eq!(p.manifest, "tests/kernel/images/preempt.toml");
        let e = format!("{:#}", inv.select(&["nope".into()]).unwrap_err());
        assert_eq!(e, "unknown image `nope`; known images: demo, preempt");
    }

    #[test]
    fn duplicate_image_names_and_missing_bins() {
        let s = Scratch::new("dup");
        s.write("tests/kernel/images/preempt.toml", GOOD);
        s.write("examples/demo/images/preempt.toml", GOOD);
        s.write("examples/demo/images/ghost.toml", GOOD);
        let e = format!(
            "{:#}",
            load_images(
                &s.0,
                vec![
                    s.krate("demo", "examples/demo", &["preempt", "orphan"]),
                    s.krate("kernel-tests", "tests/kernel", &["preempt"]),
                ],
                &[],
            )
            .unwrap_err()
        );
        assert!(
            e.contains("tests/kernel/images/preempt.toml: image name \"preempt\" is already used by examples/demo/images/preempt.toml"),
            "{e}"
        );
        assert!(
            e.contains("examples/demo/images/ghost.toml: image \"ghost\" has no binary target `ghost` in crate `demo`"),
            "{e}"
        );
        assert!(
            e.contains("binary `orphan` of firmware crate `demo` has no image manifest; create examples/demo/images/orphan.toml"),
            "{e}"
        );
    }

    // ---- compartments ----

    const COMPARTMENTS: &str = r#"
[image]
board = "mps2-an505"

[[compartment]]
name = "alpha"
crate = "boundary-alpha"
exports = ["add", "peek"]
imports = ["beta.x"]

[[compartment]]
name = "beta"
crate = "boundary-beta"
exports = ["x"]

[[thread]]
name = "kernel"
entry = "workers::k"
priority = 1
stack_size = 512

[[thread]]
name = "prober"
compartment = "alpha"
entry = "alpha_main"
priority = 2
stack_size = 1024
"#;

    fn comp_with(from: &str, to: &str) -> String {
        assert!(COMPARTMENTS.contains(from), "{from}");
        COMPARTMENTS.replacen(from, to, 1)
    }

    #[test]
    fn parses_compartments() {
        let c = parse_manifest(COMPARTMENTS, REL, &boards()).unwrap();
        assert_eq!(c.compartments.len(), 2);
        let alpha = &c.compartments[0];
        assert_eq!(
            (alpha.name.as_str(), alpha.krate.as_str(), alpha.lib_name.as_str()),
            ("alpha", "boundary-alpha", "boundary_alpha")
        );
        assert_eq!(alpha.exports, ["add", "peek"]);
        assert_eq!(alpha.imports, [Import { compartment: "beta".into(), export: "x".into() }]);
        assert_eq!(alpha.imports[0].qualified(), "beta.x");
        assert!(c.compartments[1].imports.is_empty());
        assert_eq!(c.threads[0].compartment, None);
        assert_eq!(c.threads[1].compartment.as_deref(), Some("alpha"));
        // Kernel images without compartments are unaffected.
        assert!(parse_manifest(GOOD, REL, &boards()).unwrap().compartments.is_empty());
    }

    #[test]
    fn required_symbols_in_order_without_duplicates() {
        let mut c = parse_manifest(COMPARTMENTS, REL, &boards()).unwrap();
        let names = |c: &ImageConfig, i| required_symbols(c, i).into_iter().map(|r| r.symbol).collect::<Vec<_>>();
        assert_eq!(names(&c, 0), ["add", "peek", "alpha_main", "__rtos_compartment_return", "__rtos_thread_exit"]);
        assert_eq!(names(&c, 1), ["x", "__rtos_compartment_return", "__rtos_thread_exit"]);
        c.threads[1].entry = "add".into();
        assert_eq!(names(&c, 0), ["add", "peek", "__rtos_compartment_return", "__rtos_thread_exit"]);
        assert_eq!(required_symbols(&c, 0)[0].role, Role::Export);
        assert_eq!(compartment_symbol("alpha", "add"), "__rtos_c_alpha_add");
    }

    #[test]
    fn compartment_names() {
        for bad in ["Alpha", "9a", "", "a-b", "abcdefghijklmnopq"] {
            // The second error: alpha's import of "beta.x" no longer resolves.
            let errs = errors_of(&comp_with("name = \"beta\"", &format!("name = \"{bad}\"")));
            assert!(errs[0].contains(&format!("compartment[1]: name \"{bad}\" is invalid")), "{errs:#?}");
        }
        let errs = errors_of(&comp_with("name = \"beta\"", "name = \"type\""));
        assert!(errs[0].contains("compartment[1]: name \"type\" is a Rust keyword"), "{errs:#?}");
        let errs = errors_of(&comp_with("name = \"beta\"", "name = \"alpha\""));
        assert!(
            errs[0].contains("compartment[1]: name \"alpha\" is already used by compartment[0]; give every compartment a unique name"),
            "{errs:#?}"
        );
        assert!(parse_manifest(&comp_with("name = \"beta\"", "name = \"abcdefghijklmnop\""), REL, &boards()).is_err());
        let ok = comp_with("name = \"beta\"", "name = \"b_2\"").replace("\"beta.x\"", "\"b_2.x\"");
        assert!(parse_manifest(&ok, REL, &boards()).is_ok());
    }

    #[test]
    fn compartment_fields_are_strict() {
        let e = single_error(&comp_with("crate = \"boundary-beta\"", "crate = \"boundary-beta\"\nexport = [\"x\"]"));
        assert!(e.contains("unknown field `export`"), "{e}");
        let e = single_error(&comp_with("crate = \"boundary-beta\"\n", ""));
        assert!(e.contains("compartment \"beta\": has neither `crate` nor `sources`; add one"), "{e}");
        let e = single_error(&comp_with("crate = \"boundary-beta\"", "crate = \" \""));
        assert!(e.contains("compartment \"beta\": crate is empty"), "{e}");
    }

    #[test]
    fn grant_annotations_name_exports_or_imports_and_kinds() {
        let ok = comp_with(
            "imports = [\"beta.x\"]",
            "imports = [\"beta.x\"]\ngrants = { \"beta.x\" = [\"read-only\", \"store-only\"], \"add\" = [] }",
        );
        let c = parse_manifest(&ok, REL, &boards()).unwrap();
        let g = &c.compartments[0].grants;
        assert_eq!(g.len(), 2);
        assert_eq!((g[0].function.as_str(), g[0].import.as_ref(), g[0].kinds.len()), ("add", None, 0));
        assert_eq!(g[1].import, Some(Import { compartment: "beta".into(), export: "x".into() }));
        assert_eq!(g[1].kinds, ["read-only", "store-only"]);
        let bad = comp_with(
            "imports = [\"beta.x\"]",
            "imports = [\"beta.x\"]\ngrants = { \"beta.y\" = [], \"sub\" = [], \"peek\" = [\"write-only\"] }",
        );
        let errors = parse_manifest(&bad, REL, &boards()).unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert!(errors[0].contains("compartment \"alpha\": grants[\"beta.y\"] names no import of this compartment; add \"beta.y\" to its imports"), "{}", errors[0]);
        assert!(
            errors[1].contains(
                "grants[\"peek\"]: \"write-only\" is not a grant kind; use read-only, read-write, store-only"
            ),
            "{}",
            errors[1]
        );
        assert!(errors[2].contains("grants[\"sub\"] names no export of this compartment"), "{}", errors[2]);
    }

    #[test]
    fn too_many_compartments() {
        let mut text = String::from("[image]\nboard = \"mps2-an505\"\n");
        for i in 0..17 {
            text.push_str(&format!("[[compartment]]\nname = \"c{i}\"\ncrate = \"k\"\n"));
        }
        text.push_str("[[thread]]\nname = \"a\"\nentry = \"a\"\npriority = 0\nstack_size = 256\n");
        let e = single_error(&text);
        assert!(e.contains("17 [[compartment]] tables; an image has at most 16 compartments, remove 1"), "{e}");
    }

    #[test]
    fn export_rules() {
        let e = single_error(&comp_with("exports = [\"add\", \"peek\"]", "exports = [\"add\", \"add\"]"));
        assert_eq!(
            e,
            format!(
                "{REL}: compartment \"alpha\": export \"add\" is listed twice (exports[0] and exports[1]); remove one"
            )
        );
        let e = single_error(&comp_with("exports = [\"add\", \"peek\"]", "exports = [\"add\", \"pe-ek\"]"));
        assert!(e.contains("compartment \"alpha\": exports[1] \"pe-ek\" is not a C identifier"), "{e}");
        let e = single_error(&comp_with("exports = [\"add\", \"peek\"]", "exports = [\"add\", \"__rtos_x\"]"));
        assert!(e.contains("exports[1] \"__rtos_x\" starts with `__rtos_`, which is reserved"), "{e}");
        let e = single_error(&comp_with("exports = [\"add\", \"peek\"]", "exports = [\"add\", \"self\"]"));
        assert!(e.contains("exports[1] \"self\" cannot be a Rust function name"), "{e}");
        // A keyword is fine: the stub is `r#type`.
        assert!(parse_manifest(&comp_with("\"add\", \"peek\"", "\"add\", \"type\""), REL, &boards()).is_ok());
    }

    #[test]
    fn import_rules() {
        let imp = |list: &str| single_error(&comp_with("imports = [\"beta.x\"]", &format!("imports = [{list}]")));
        let e = imp("\"beta.y\"");
        assert_eq!(
            e,
            format!("{REL}: compartment \"alpha\": import \"beta.y\" is not exported by compartment \"beta\"; add \"y\" to its exports or fix the name (it exports: x)")
        );
        let e = imp("\"gamma.x\"");
        assert_eq!(
            e,
            format!("{REL}: compartment \"alpha\": import \"gamma.x\" names no compartment of this image; declare a [[compartment]] named \"gamma\" or use one of: beta")
        );
        let e = imp("\"alpha.add\"");
        assert!(e.contains("compartment \"alpha\": import \"alpha.add\" names the compartment itself"), "{e}");
        let e = imp("\"betax\"");
        assert!(e.contains("import \"betax\" is not of the form \"<compartment>.<export>\""), "{e}");
        let e = imp("\"beta.x\", \"beta.x\"");
        assert!(e.contains("import \"beta.x\" is listed twice (imports[0] and imports[1]); remove one"), "{e}");
        // Later compartments can be imported from; beta may import alpha back.
        let text = comp_with("exports = [\"x\"]", "exports = [\"x\"]\nimports = [\"alpha.peek\"]");
        let c = parse_manifest(&text, REL, &boards()).unwrap();
        assert_eq!(c.compartments[1].imports[0].qualified(), "alpha.peek");
    }

    #[test]
    fn compartment_thread_rules() {
        let e = single_error(&comp_with("compartment = \"alpha\"", "compartment = \"zeta\""));
        assert_eq!(
            e,
            format!("{REL}: thread \"prober\": compartment \"zeta\" is not declared in this image; add a [[compartment]] with name = \"zeta\" or use one of: alpha, beta")
        );
        let e = single_error(&comp_with("entry = \"alpha_main\"", "entry = \"workers::alpha\""));
        assert!(
            e.starts_with(&format!("{REL}: thread \"prober\": entry \"workers::alpha\" is not a C identifier")),
            "{e}"
        );
        assert!(e.contains("#[no_mangle] extern \"C\" fn(usize) in the compartment's crate"), "{e}");
        // Without compartments the hint says so.
        let text = GOOD.replacen("arg = 7", "arg = 7\ncompartment = \"alpha\"", 1);
        let errs = errors_of(&text);
        assert!(errs[0].contains("this image declares no [[compartment]]"), "{errs:#?}");
    }

    #[test]
    fn generated_symbol_clashes() {
        let text = comp_with("name = \"beta\"", "name = \"alpha_b\"")
            .replace("\"beta.x\"", "\"alpha_b.x\"")
            .replace("exports = [\"add\", \"peek\"]", "exports = [\"add\", \"b_x\"]");
        let e = single_error(&text);
        assert!(
            e.contains("compartment \"alpha_b\": the generated symbol __rtos_c_alpha_b_x (for symbol `x`) is also generated for compartment \"alpha\" (symbol `b_x`); rename one of the compartments"),
            "{e}"
        );
    }

    #[test]
    fn symbols_must_not_shadow_region_symbols() {
        let e = single_error(&comp_with("exports = [\"x\"]", "exports = [\"x\", \"code_start\"]"));
        assert_eq!(
            e,
            format!("{REL}: compartment \"beta\": the generated symbol __rtos_c_beta_code_start (for symbol `code_start`) is also its linker symbol code_start; rename the function")
        );
    }

    // ---- C compartments ----

    fn c_manifest(fields: &str) -> String {
        comp_with("crate = \"boundary-beta\"", &format!("{fields}\nexports_header = \"c/beta.h\""))
    }

    #[test]
    fn parses_c_compartments() {
        let text = c_manifest(
            "sources = [\"c/beta/*.c\", \"c/common.c\"]\ninclude = [\"c/include\"]\ndefines = [\"NDEBUG\", \"N=4\"]\ncflags = [\"-Wno-unused-parameter\"]",
        );
        let c = parse_manifest(&text, REL, &boards()).unwrap();
        let beta = &c.compartments[1];
        assert_eq!(beta.language(), "c");
        assert_eq!((beta.krate.as_str(), beta.lib_name.as_str()), (DEFAULT_C_RUNTIME, "rtos_c"));
        let cs = beta.c.as_ref().unwrap();
        assert_eq!(cs.patterns, ["c/beta/*.c", "c/common.c"]);
        assert_eq!(cs.include, ["c/include"]);
        assert_eq!(cs.defines, ["NDEBUG", "N=4"]);
        assert_eq!(cs.cflags, ["-Wno-unused-parameter"]);
        assert!(cs.files.is_empty(), "globs are expanded when the workspace is loaded");
        assert_eq!(beta.origin(), "the C sources of compartment \"beta\"");
        assert_eq!(c.compartments[0].language(), "rust");
        assert_eq!(c.compartments[0].origin(), "crate boundary-alpha");
        // Another runtime.
        let c = parse_manifest(&c_manifest("sources = [\"a.c\"]\nruntime = \"freertos-c\""), REL, &boards()).unwrap();
        assert_eq!(
            (c.compartments[1].krate.as_str(), c.compartments[1].lib_name.as_str()),
            ("freertos-c", "freertos_c")
        );
    }

    #[test]
    fn c_compartments_need_exactly_one_of_crate_and_sources() {
        let e = single_error(&c_manifest("crate = \"boundary-beta\"\nsources = [\"a.c\"]"));
        assert_eq!(
            e,
            format!("{REL}: compartment \"beta\": has both `crate` and `sources`; keep exactly one: a compartment is either Rust (crate = \"<workspace package>\") or C (sources = [\"<glob relative to the firmware crate directory>\", ...]); see `cargo xtask help manifest`")
        );
        let e = single_error(&c_manifest("include = [\"inc\"]"));
        assert!(e.contains("compartment \"beta\": has neither `crate` nor `sources`"), "{e}");
        let e = single_error(&c_manifest("crate = \"boundary-beta\"\ncflags = [\"-O2\"]\nruntime = \"rtos-c\""));
        assert!(
            e.contains("compartment \"beta\": cflags, runtime, exports_header only apply to C compartments (with `sources`); remove them from this Rust compartment (crate boundary-beta)"),
            "{e}"
        );
    }

    #[test]
    fn c_compartment_fields_are_checked() {
        let errs = errors_of(&c_manifest(
            "sources = [\"/abs/a.c\", \"b.h\", \"\"]\ninclude = [\"inc/*\"]\ndefines = [\"9X\", \"A B=1\"]\ncflags = [\"-c\", \"-o\", \"x.c\", \"-Iinc\", \"-DX\", \"-mcpu=cortex-m4\", \"-MMD\", \"-Wall\", \"-O2\"]\nruntime = \"\"",
        ));
        let want = [
            "compartment \"beta\": runtime is empty; name the Rust runtime crate linked into the C compartment, or remove it for the default \"rtos-c\"",
            "sources[0] \"/abs/a.c\" must be relative to the firmware crate directory",
            "sources[1] \"b.h\" does not end in `.c`",
            "sources[2] \"\" is empty",
            "include[0] \"inc/*\" contains a glob character",
            "defines[0] \"9X\" is not NAME or NAME=value",
            "defines[1] \"A B=1\" is not NAME or NAME=value",
            "cflags[0] \"-c\" is not allowed (-c): the build tool compiles each source on its own",
            "cflags[1] \"-o\" is not allowed (-o)",
            "cflags[2] \"x.c\" is not a compiler option",
            "cflags[3] \"-Iinc\" is not allowed (-I): use `include = [...]`",
            "cflags[4] \"-DX\" is not allowed (-D): use `defines = [...]`",
            "cflags[5] \"-mcpu=cortex-m4\" is not allowed (-mcpu)",
            "cflags[6] \"-MMD\" is not allowed (-M)",
        ];
        for w in want {
            assert!(errs.iter().any(|e| e.contains(w)), "missing `{w}` in {errs:#?}");
        }
        assert_eq!(errs.len(), want.len(), "{errs:#?}");
        let e = single_error(&c_manifest("sources = []"));
        assert!(
            e.contains(
                "compartment \"beta\": sources is empty; list the C files, e.g. sources = [\"compartments/beta/*.c\"]"
            ),
            "{e}"
        );
    }

    #[test]
    fn c_names_stay_out_of_the_c_api() {
        let e = single_error(
            &c_manifest("sources = [\"a.c\"]").replace("exports = [\"x\"]", "exports = [\"x\", \"rtos_x\"]"),
        );
        assert!(
            e.contains(
                "compartment \"beta\": exports[1] \"rtos_x\" starts with `rtos_`, which is reserved for the C API"
            ),
            "{e}"
        );
        // A Rust compartment may export rtos_x (it has no C API in scope).
        assert!(parse_manifest(
            &COMPARTMENTS.replace("exports = [\"x\"]", "exports = [\"x\", \"rtos_x\"]"),
            REL,
            &boards()
        )
        .is_ok());
        // Thread entries of C compartments too.
        let text = c_manifest("sources = [\"a.c\"]").replace("compartment = \"alpha\"", "compartment = \"beta\"");
        let e = single_error(&text.replace("entry = \"alpha_main\"", "entry = \"rtos_main\""));
        assert!(
            e.contains("thread \"prober\": entry \"rtos_main\" starts with `rtos_`, which is reserved for the C API"),
            "{e}"
        );
        let e = single_error(&text.replace("entry = \"alpha_main\"", "entry = \"a::b\""));
        assert!(
            e.contains("a C compartment thread's entry is a C function void f(uintptr_t arg) of its sources"),
            "{e}"
        );
        // A C compartment importing `a.b_caps` and `a.b` would get the stub a_b_caps twice.
        let text = c_manifest("sources = [\"a.c\"]\nimports = [\"alpha.add\", \"alpha.add_caps\"]")
            .replace("exports = [\"add\", \"peek\"]", "exports = [\"add\", \"add_caps\"]");
        let e = single_error(&text);
        assert!(
            e.contains("compartment \"beta\": imports \"alpha.add\" and \"alpha.add_caps\" both get the C stub alpha_add_caps; rename one of the exports"),
            "{e}"
        );
        assert_eq!(c_stub_name(&Import { compartment: "gamma".into(), export: "double".into() }), "gamma_double");
    }

    #[test]
    fn c_sources_and_runtime_resolve_against_the_workspace() {
        let s = Scratch::new("csrc");
        let text = c_manifest("sources = [\"c/beta/*.c\", \"c/none/*.c\"]\ninclude = [\"c/include\", \"c/missing\"]");
        s.write("tests/boundary/images/iso.toml", &text);
        s.write("tests/boundary/c/beta/b.c", "");
        s.write("tests/boundary/c/beta/a.c", "");
        s.write("tests/boundary/c/include/x.h", "");
        let krate = vec![s.krate("boundary-tests", "tests/boundary", &["iso"])];
        let mut runtime = package("rtos-c", false, true);
        runtime.c_runtime = true;
        let mut packages = vec![package("boundary-alpha", true, true), runtime];
        let e = format!("{:#}", load_images(&s.0, krate.clone(), &packages).unwrap_err());
        assert!(
            e.contains("tests/boundary/images/iso.toml: compartment \"beta\": sources[1] \"c/none/*.c\" matches no file under tests/boundary/; fix the pattern (it is relative to the firmware crate directory tests/boundary/) or add the file"),
            "{e}"
        );
        assert!(
            e.contains("compartment \"beta\": include[1] \"c/missing\" is not a directory (tests/boundary/c/missing does not exist); create it or fix the path"),
            "{e}"
        );
        assert!(
            e.contains("compartment \"beta\": exports_header \"c/beta.h\" is not a file (tests/boundary/c/beta.h does not exist); create the header declaring the exports or fix the path"),
            "{e}"
        );
        s.write("tests/boundary/c/beta.h", "");
        s.write("tests/boundary/images/iso.toml", &text.replace(", \"c/none/*.c\"", "").replace(", \"c/missing\"", ""));
        let inv = load_images(&s.0, krate.clone(), &packages).unwrap();
        let cs = inv.images[0].config.compartments[1].c.clone().unwrap();
        assert_eq!(cs.files_rel, ["tests/boundary/c/beta/a.c", "tests/boundary/c/beta/b.c"]);
        assert!(cs.files.iter().all(|f| f.is_absolute() && f.is_file()));
        assert_eq!(cs.include_dirs, [s.0.join("tests/boundary/c/include")]);
        assert_eq!(inv.images[0].config.compartments[1].lib_name, "rtos_c");

        // The runtime must be a C runtime crate of the workspace.
        packages[1].c_runtime = false;
        let e = format!("{:#}", load_images(&s.0, krate.clone(), &packages).unwrap_err());
        assert!(e.contains("compartment \"beta\": runtime \"rtos-c\" is not a C runtime crate; name a crate with `[package.metadata.rtos] c-runtime = true`"), "{e}");
        packages.pop();
        let e = format!("{:#}", load_images(&s.0, krate, &packages).unwrap_err());
        assert!(e.contains("compartment \"beta\": runtime \"rtos-c\" is not a package of this workspace; use one of the C runtime crates (there are none)"), "{e}");
    }

    #[test]
    fn c_compartments_may_import_differently_per_image() {
        let s = Scratch::new("cshared");
        let base = c_manifest("sources = [\"a.c\"]\nimports = [\"alpha.add\"]");
        s.write("tests/boundary/images/iso.toml", &base);
        s.write(
            "tests/boundary/images/jso.toml",
            &base.replace("imports = [\"alpha.add\"]", "imports = [\"alpha.peek\"]"),
        );
        s.write("tests/boundary/a.c", "");
        s.write("tests/boundary/c/beta.h", "");
        let krate = vec![s.krate("boundary-tests", "tests/boundary", &["iso", "jso"])];
        let mut runtime = package("rtos-c", false, true);
        runtime.c_runtime = true;
        let packages = vec![package("boundary-alpha", true, true), runtime];
        let inv = load_images(&s.0, krate, &packages).unwrap();
        assert_eq!(inv.images.len(), 2);
    }

    fn package(name: &str, compartment: bool, staticlib: bool) -> Package {
        Package {
            name: name.into(),
            dir: PathBuf::from(format!("/nonexistent/{name}")),
            compartment,
            c_runtime: false,
            staticlib: staticlib.then(|| name.replace('-', "_")),
        }
    }

    #[test]
    fn reads_compartment_crates_from_metadata() {
        let json = r#"{"packages":[
          {"name":"boundary-alpha","manifest_path":"/ws/tests/boundary/compartments/alpha/Cargo.toml",
           "targets":[{"name":"boundary_alpha","kind":["staticlib"],"crate_types":["staticlib"]}],
           "metadata":{"rtos":{"compartment":true}}},
          {"name":"plain","manifest_path":"/ws/plain/Cargo.toml","targets":[{"name":"plain","kind":["lib"],"crate_types":["lib"]}],"metadata":null}
        ]}"#;
        let ws = workspace_from_metadata(json).unwrap();
        assert!(ws.firmware.is_empty());
        assert_eq!(
            ws.packages[0],
            Package {
                name: "boundary-alpha".into(),
                dir: PathBuf::from("/ws/tests/boundary/compartments/alpha"),
                compartment: true,
                c_runtime: false,
                staticlib: Some("boundary_alpha".into()),
            }
        );
        assert_eq!(ws.packages[1].staticlib, None);
        let bad = json.replace("\"compartment\":true", "\"compartment\":1");
        let e = format!("{:#}", workspace_from_metadata(&bad).unwrap_err());
        assert!(
            e.contains("[package.metadata.rtos] compartment = 1 is not a boolean; write `compartment = true`"),
            "{e}"
        );
    }

    #[test]
    fn compartment_crates_must_be_compartment_staticlibs() {
        let s = Scratch::new("crates");
        s.write("tests/boundary/images/iso.toml", COMPARTMENTS);
        let krate = vec![s.krate("boundary-tests", "tests/boundary", &["iso"])];
        let mut packages = vec![package("boundary-alpha", true, true), package("boundary-beta", true, true)];
        let inv = load_images(&s.0, krate.clone(), &packages).unwrap();
        assert_eq!(inv.images[0].config.compartments[0].lib_name, "boundary_alpha");

        packages[1] = package("boundary-beta", false, true);
        let e = format!("{:#}", load_images(&s.0, krate.clone(), &packages).unwrap_err());
        assert_eq!(
            e,
            "tests/boundary/images/iso.toml: compartment \"beta\": crate \"boundary-beta\" is not a compartment crate; add `[package.metadata.rtos] compartment = true` and `[lib] crate-type = [\"staticlib\"]` to /nonexistent/boundary-beta/Cargo.toml"
        );
        packages[1] = package("boundary-beta", true, false);
        let e = format!("{:#}", load_images(&s.0, krate.clone(), &packages).unwrap_err());
        assert!(
            e.contains("crate \"boundary-beta\" has no staticlib library; add `[lib] crate-type = [\"staticlib\"]`"),
            "{e}"
        );
        packages.pop();
        let e = format!("{:#}", load_images(&s.0, krate, &packages).unwrap_err());
        assert!(
            e.contains("crate \"boundary-beta\" is not a package of this workspace; add its directory to [workspace] members in Cargo.toml or fix the name (compartment crates: boundary-alpha)"),
            "{e}"
        );
    }

    #[test]
    fn shared_compartment_crates_need_identical_imports() {
        let s = Scratch::new("shared");
        s.write("tests/boundary/images/iso.toml", COMPARTMENTS);
        let two = COMPARTMENTS.replace("exports = [\"x\"]", "exports = [\"x\", \"y\"]");
        s.write(
            "tests/boundary/images/jso.toml",
            &two.replace("imports = [\"beta.x\"]", "imports = [\"beta.y\", \"beta.x\"]"),
        );
        let krate = vec![s.krate("boundary-tests", "tests/boundary", &["iso", "jso"])];
        let packages = vec![package("boundary-alpha", true, true), package("boundary-beta", true, true)];
        let e = format!("{:#}", load_images(&s.0, krate.clone(), &packages).unwrap_err());
        assert_eq!(
            e,
            "tests/boundary/images/jso.toml: compartment \"alpha\": crate boundary-alpha has imports = [\"beta.y\", \"beta.x\"] here but imports = [\"beta.x\"] in tests/boundary/images/iso.toml (compartment \"alpha\"); the generated import stubs are per crate, so every use of a compartment crate must list the same imports in the same order"
        );
        // Same imports (exports may differ): fine.
        s.write("tests/boundary/images/jso.toml", &two);
        let inv = load_images(&s.0, krate, &packages).unwrap();
        assert_eq!(inv.images.len(), 2);
    }
}
