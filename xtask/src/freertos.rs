//! FreeRTOS differential tests and benchmarks: the same C programs, built against a *platform*
//! (a FreeRTOS implementation plus its board support), run under QEMU and compared.
//!
//! - Trace programs `tests/freertos/programs/<program>.c` print `TRACE <line>` lines (see
//!   `trace.h`); each platform's trace must equal the golden file
//!   `tests/freertos/expected/<program>.trace`, recorded from the reference kernel with
//!   `cargo xtask test freertos --bless`. Tests are named `freertos/<platform>/<program>`.
//! - Bench programs `tests/freertos/bench/<program>.c` print `BENCH <name>: <value> instructions`
//!   lines; `cargo xtask bench` prints them as `<name>/<platform>: <value> instructions`.
//!
//! The reference platform builds FreeRTOS-Kernel V11.2.0 from the `freertos-next` package (pinned
//! by `tests/freertos/reference-src`, located with `cargo metadata`) with
//! `tests/freertos/reference/FreeRTOSConfig.h`. Where another platform plugs in: implement
//! [`Platform`] (a recipe turning a program's C file into an ELF for the board), add it to
//! [`platforms`] so tests `freertos/<its name>/<program>` appear, and give [`BENCHES`] entries
//! its program in the `ours` column.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context, Result};

use crate::bench::parse_bench_line;
use crate::board::Board;
use crate::process::{self, Captured};
use crate::qemu;
use crate::test_runner::Report;

/// The test group and filter word.
pub const GROUP: &str = "freertos";
/// Board the programs run on.
pub const BOARD: &str = "mps2-an505";
/// The crates.io package carrying the reference kernel source, and its pinned version.
pub const REFERENCE_PACKAGE: &str = "freertos-next";
pub const REFERENCE_VERSION: &str = "0.12.0";
/// The workspace member that pins it (never built).
pub const PIN_CRATE: &str = "tests/freertos/reference-src";

const PROGRAM_DIR: &str = "tests/freertos/programs";
/// Platform code shared by every platform (the trace formatter), so traces cannot differ in
/// formatting.
const COMMON_DIR: &str = "tests/freertos/common";
const BENCH_DIR: &str = "tests/freertos/bench";
const EXPECTED_DIR: &str = "tests/freertos/expected";
const REFERENCE_DIR: &str = "tests/freertos/reference";

/// Time limit of one QEMU run.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);
/// QEMU processes run at once (the machines have 2 cores).
const PARALLEL_RUNS: usize = 2;
/// Compiler output lines shown when a build fails.
const COMPILER_LINES: usize = 30;
/// Prefix of trace lines on the console.
const TRACE_PREFIX: &str = "TRACE ";
/// The last trace line of a complete run.
const DONE_LINE: &str = "done";

/// Compiler flags for everything (the issue's flags plus freestanding mode and debug info).
const CFLAGS: &[&str] = &[
    "-mcpu=cortex-m33",
    "-mthumb",
    "-mfloat-abi=soft",
    "-O2",
    "-ffunction-sections",
    "-fdata-sections",
    "-ffreestanding",
    "-g",
    "-Wall",
];

/// Kernel sources relative to the package's `FreeRTOS-Kernel/` directory.
const KERNEL_SOURCES: &[&str] = &[
    "tasks.c",
    "queue.c",
    "list.c",
    "timers.c",
    "event_groups.c",
    "stream_buffer.c",
    "portable/GCC/ARM_CM33_NTZ/non_secure/port.c",
    "portable/GCC/ARM_CM33_NTZ/non_secure/portasm.c",
    "portable/MemMang/heap_4.c",
];
/// Include directories relative to `FreeRTOS-Kernel/`.
const KERNEL_INCLUDES: &[&str] = &["include", "portable/GCC/ARM_CM33_NTZ/non_secure"];
/// Further files that must exist for the build to work.
const KERNEL_HEADERS: &[&str] = &[
    "include/FreeRTOS.h",
    "portable/GCC/ARM_CM33_NTZ/non_secure/portmacro.h",
    "portable/GCC/ARM_CM33_NTZ/non_secure/portmacrocommon.h",
];

/// A benchmark: its result name and the program printing it on each platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BenchSpec {
    /// Result name, e.g. `queue-send-receive`.
    pub name: &'static str,
    /// `tests/freertos/bench/<program>.c` run on the reference kernel.
    pub reference: &'static str,
    /// The image of the same program on our FreeRTOS layer
    /// (`tests/freertos/ours/images/<image>.toml`, built with the release profile), if there is
    /// one; its figure and the ratio ours/reference are then printed beside the reference's.
    pub ours: Option<&'static str>,
}

/// The FreeRTOS benchmarks (all in instructions per operation).
pub const BENCHES: &[BenchSpec] = &[
    BenchSpec { name: "queue-send-receive", reference: "queue", ours: Some("freertos_bench_queue") },
    BenchSpec { name: "semaphore-give-take", reference: "semaphore", ours: Some("freertos_bench_semaphore") },
    BenchSpec { name: "mutex-take-give", reference: "mutex", ours: Some("freertos_bench_mutex") },
    BenchSpec { name: "notify-give-take", reference: "notify", ours: Some("freertos_bench_notify") },
    BenchSpec { name: "yield-switch", reference: "yield", ours: Some("freertos_bench_yield") },
];

// ---------------------------------------------------------------------------------------------
// Locating the reference kernel source.

/// The directory of package `name` `version` in `cargo metadata --format-version 1` output.
#[cfg(test)]
fn package_dir(metadata_json: &str, name: &str, version: &str) -> Result<PathBuf> {
    let packages = crate::upstream::Packages::from_metadata(metadata_json).map_err(anyhow::Error::msg)?;
    pinned_dir(&packages, name, version)
}

/// The directory of package `name` at exactly `version`; an error tells how to pin it.
fn pinned_dir(packages: &crate::upstream::Packages, name: &str, version: &str) -> Result<PathBuf> {
    let found = packages.versions(name);
    match found.iter().find(|(v, _)| *v == version) {
        Some((_, dir)) => Ok(dir.to_path_buf()),
        None if found.is_empty() => bail!(
            "package {name} is not in the dependency graph; {PIN_CRATE}/Cargo.toml must depend on {name} = \"={version}\" and be a workspace member"
        ),
        None => bail!(
            "package {name} is at version {} but {version} is expected; pin `{name} = \"={version}\"` in {PIN_CRATE}/Cargo.toml",
            found.iter().map(|(v, _)| *v).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// Files of the kernel layout (relative to `FreeRTOS-Kernel/`) missing under `kernel_dir`.
pub fn missing_kernel_files(kernel_dir: &Path) -> Vec<String> {
    KERNEL_SOURCES
        .iter()
        .chain(KERNEL_HEADERS)
        .filter(|f| !kernel_dir.join(f).is_file())
        .map(|f| f.to_string())
        .collect()
}

/// Runs `cargo metadata` (offline first; online if the package still has to be downloaded) and
/// returns the reference kernel's `FreeRTOS-Kernel` directory.
pub fn locate_reference(ws: &Path) -> Result<PathBuf> {
    let packages = crate::upstream::load(ws).map_err(|e| {
        anyhow::anyhow!("cannot locate the reference kernel source (package {REFERENCE_PACKAGE} {REFERENCE_VERSION}, pinned by {PIN_CRATE}): {e}")
    })?;
    let dir = pinned_dir(&packages, REFERENCE_PACKAGE, REFERENCE_VERSION)?;
    let kernel = dir.join("FreeRTOS-Kernel");
    let missing = missing_kernel_files(&kernel);
    if !missing.is_empty() {
        bail!(
            "package {REFERENCE_PACKAGE} {REFERENCE_VERSION} at {} lacks {}; its layout changed — delete that directory and run `cargo fetch` to restore it",
            dir.display(),
            missing.join(", ")
        );
    }
    Ok(kernel)
}

// ---------------------------------------------------------------------------------------------
// Programs, traces and diffs.

/// A C program: its name (file stem) and path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    pub name: String,
    pub path: PathBuf,
}

/// The `*.c` files of a directory, sorted by name.
pub fn programs_in(dir: &Path) -> Result<Vec<Program>> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    let mut programs = Vec::new();
    for e in entries {
        let path = e.with_context(|| format!("cannot list {}", dir.display()))?.path();
        if path.extension().is_some_and(|x| x == "c") {
            if let Some(stem) = path.file_stem() {
                programs.push(Program { name: stem.to_string_lossy().into_owned(), path });
            }
        }
    }
    programs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(programs)
}

/// The trace of a run: the `TRACE ` lines of its console output without the prefix, each ended
/// by a newline.
pub fn extract_trace(output: &str) -> String {
    output.lines().filter_map(|l| l.trim_end_matches('\r').strip_prefix(TRACE_PREFIX)).fold(
        String::new(),
        |mut acc, l| {
            acc.push_str(l);
            acc.push('\n');
            acc
        },
    )
}

/// `None` when the traces are equal, else a readable report of the first difference: a few
/// lines of common context, then the differing lines of each side.
pub fn first_difference(expected: &str, actual: &str) -> Option<String> {
    const CONTEXT: usize = 3;
    const SHOWN: usize = 6;
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    if e == a {
        return None;
    }
    let first = e.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let mut out = format!("first difference at trace line {}:\n", first + 1);
    for (i, line) in e.iter().enumerate().take(first).skip(first.saturating_sub(CONTEXT)) {
        let _ = writeln!(out, "  {:>4}   {line}", i + 1);
    }
    let side = |out: &mut String, lines: &[&str], mark: char| {
        let rest = &lines[first.min(lines.len())..];
        if rest.is_empty() {
            let _ = writeln!(out, "  {:>4} {mark} <end of trace>", first + 1);
        }
        for (k, line) in rest.iter().take(SHOWN).enumerate() {
            let _ = writeln!(out, "  {:>4} {mark} {line}", first + k + 1);
        }
        if rest.len() > SHOWN {
            let _ = writeln!(out, "       {mark} … {} more line(s)", rest.len() - SHOWN);
        }
    };
    out.push_str("  expected (-):\n");
    side(&mut out, &e, '-');
    out.push_str("  actual (+):\n");
    side(&mut out, &a, '+');
    Some(out)
}

/// Judges a trace run against the golden trace: `Ok` or the reason and details.
pub fn judge(run: &Captured, expected: &str) -> Result<(), (String, String)> {
    let trace = extract_trace(&run.output);
    if run.timed_out {
        return Err((format!("timeout after {}s", RUN_TIMEOUT.as_secs()), run.output.clone()));
    }
    let diff = first_difference(expected, &trace);
    match (run.code, diff) {
        (Some(0), None) => Ok(()),
        (code, Some(d)) => {
            let status = match code {
                Some(0) => String::new(),
                Some(c) => format!(" (exit status {c})"),
                None => " (QEMU killed by a signal)".to_owned(),
            };
            Err((format!("trace differs from the golden file{status}"), d))
        }
        (code, None) => {
            Err((format!("the trace matches but the run ended with {code:?}, expected Some(0)"), run.output.clone()))
        }
    }
}

/// Whether the trace tests of `program` on `platform` are selected by `filter`: all of them
/// without a filter or with `freertos`; else those whose program name contains the filter or
/// whose test name starts with it (`freertos/reference`).
pub fn selects(filter: Option<&str>, platform: &str, program: &str) -> bool {
    match filter {
        None => true,
        Some(f) => f == GROUP || program.contains(f) || test_name(platform, program).starts_with(f),
    }
}

fn test_name(platform: &str, program: &str) -> String {
    format!("{GROUP}/{platform}/{program}")
}

// ---------------------------------------------------------------------------------------------
// Platforms.

/// A FreeRTOS implementation plus board support: turns one C program into an ELF for [`BOARD`].
/// Programs include `FreeRTOS.h` & co. and `trace.h` (and `bench.h` for benchmarks); the
/// platform provides the kernel, `FreeRTOSConfig.h` and the trace/bench functions.
pub trait Platform: Sync {
    /// Short name used in test and bench result names (`reference`).
    fn name(&self) -> &'static str;
    /// Builds `program` (compiled with `extra_includes` on the include path) and returns the ELF.
    /// Errors carry the compiler's messages.
    fn build(&self, program: &Program, extra_includes: &[PathBuf]) -> Result<PathBuf>;
    /// Whether the platform runs `program` at all (a test exists only for programs it supports).
    fn supports(&self, _program: &Program) -> bool {
        true
    }
}

/// What the `ours` platform needs to build firmware images.
pub struct FirmwareContext<'a> {
    pub builder: crate::firmware::Builder<'a>,
    pub inventory: &'a crate::manifest::Inventory,
}

/// Every platform the trace programs are tested on: the reference kernel, and our layer when
/// firmware images can be built.
pub fn platforms<'a>(ws: &Path, kernel_dir: &Path, fw: Option<&'a FirmwareContext<'a>>) -> Vec<Box<dyn Platform + 'a>> {
    let mut v: Vec<Box<dyn Platform + 'a>> = vec![Box::new(Reference::new(ws, kernel_dir))];
    if let Some(fw) = fw {
        v.push(Box::new(Ours { fw, build_lock: Mutex::new(()) }));
    }
    v
}

/// Prefix of the image names of our platform: `tests/freertos/ours/images/freertos_<program>.toml`.
pub const OURS_IMAGE_PREFIX: &str = "freertos_";

/// Our FreeRTOS layer: each supported program is an image of the firmware crate
/// `tests/freertos/ours/` (`images/freertos_<program>.toml`): one C compartment built from the
/// program and `tests/freertos/ours/platform.c` (trace.h over the rtos-c C API) with the headers
/// of `compat-freertos/include/`, the reference's `FreeRTOSConfig.h`, and the runtime
/// `compat-freertos`. Programs without an image are not supported yet (no test).
pub struct Ours<'a> {
    fw: &'a FirmwareContext<'a>,
    build_lock: Mutex<()>,
}

impl Ours<'_> {
    fn image(&self, program: &Program) -> Option<&crate::manifest::Image> {
        self.fw.inventory.image(&format!("{OURS_IMAGE_PREFIX}{}", program.name))
    }
}

impl Platform for Ours<'_> {
    fn name(&self) -> &'static str {
        "ours"
    }

    fn supports(&self, program: &Program) -> bool {
        self.image(program).is_some()
    }

    fn build(&self, program: &Program, _extra_includes: &[PathBuf]) -> Result<PathBuf> {
        let Some(image) = self.image(program) else {
            bail!("no image {OURS_IMAGE_PREFIX}{} in tests/freertos/ours/images", program.name)
        };
        let _guard = self.build_lock.lock().unwrap_or_else(|p| p.into_inner());
        let built = self.fw.builder.build(&[image], crate::firmware::Profile::Dev)?;
        if let Some(failed) = built.iter().find(|b| !b.success()) {
            bail!("{}", failed.failure_report(false));
        }
        self.fw.builder.elf(image, crate::firmware::Profile::Dev)
    }
}

/// FreeRTOS-Kernel V11.2.0 with `tests/freertos/reference/` (config, start-up, libc, trace
/// platform), compiled with arm-none-eabi-gcc. Objects are cached under
/// `target/freertos/reference/<config hash>/`: the kernel's once per configuration, ours when a
/// source or header is newer than the object.
pub struct Reference {
    ws: PathBuf,
    kernel_dir: PathBuf,
    /// What a derived reference build adds (lwIP and a network driver for the network bench).
    extension: Option<Extension>,
    /// Serialises builds when programs are built from several threads (they share objects).
    build_lock: Mutex<()>,
}

/// A reference build with more in it than the kernel and the trace platform: a directory whose
/// `FreeRTOSConfig.h` is found before the reference's (it may include that one and override a
/// few settings), our own further sources, third-party sources from a pinned package (compiled
/// once per configuration, like the kernel) and their include directories.
#[derive(Clone, Debug)]
pub struct Extension {
    /// Directory searched first for headers (its `FreeRTOSConfig.h` replaces the reference's).
    pub config_dir: PathBuf,
    /// Our sources, rebuilt when they or a header of `config_dir`/`includes` are newer.
    pub own_sources: Vec<PathBuf>,
    /// Third-party sources: (object name, path); compiled once per cache key.
    pub library_sources: Vec<(String, PathBuf)>,
    /// Further include directories (after the reference's own).
    pub includes: Vec<PathBuf>,
    /// Files whose contents select the cache directory besides the configuration (e.g. the
    /// library's options header), so a change rebuilds the library objects.
    pub key_files: Vec<PathBuf>,
    /// Cache subdirectory name under `target/freertos/`.
    pub cache_name: &'static str,
    /// `-D` definitions for the extension's own sources (board facts such as a device's base
    /// address, taken from the board file so no C source repeats them).
    pub defines: Vec<String>,
}

impl Reference {
    pub fn new(ws: &Path, kernel_dir: &Path) -> Reference {
        Reference {
            ws: ws.to_path_buf(),
            kernel_dir: kernel_dir.to_path_buf(),
            extension: None,
            build_lock: Mutex::new(()),
        }
    }

    /// The reference build plus `extension` (cached separately from the plain one).
    pub fn extended(ws: &Path, kernel_dir: &Path, extension: Extension) -> Reference {
        Reference { extension: Some(extension), ..Reference::new(ws, kernel_dir) }
    }

    fn board_dir(&self) -> PathBuf {
        self.ws.join(REFERENCE_DIR)
    }

    fn include_args(&self, extra: &[PathBuf]) -> Vec<String> {
        let mut dirs = Vec::new();
        if let Some(x) = &self.extension {
            dirs.push(x.config_dir.clone());
        }
        dirs.extend([
            self.board_dir().join("include"),
            self.board_dir(),
            self.ws.join(PROGRAM_DIR),
            self.ws.join(COMMON_DIR),
        ]);
        dirs.extend(extra.iter().cloned());
        if let Some(x) = &self.extension {
            dirs.extend(x.includes.iter().cloned());
        }
        dirs.extend(KERNEL_INCLUDES.iter().map(|d| self.kernel_dir.join(d)));
        dirs.iter().map(|d| format!("-I{}", d.display())).collect()
    }

    /// The configuration header in effect (the extension's, if it has one).
    fn config_path(&self) -> PathBuf {
        match &self.extension {
            Some(x) if x.config_dir.join("FreeRTOSConfig.h").is_file() => x.config_dir.join("FreeRTOSConfig.h"),
            _ => self.board_dir().join("FreeRTOSConfig.h"),
        }
    }

    /// `target/freertos/reference/<hash of config, flags and kernel location>` (an extension:
    /// `target/freertos/<its cache name>/<hash that also covers its key files>`).
    fn out_dir(&self) -> Result<PathBuf> {
        let config_path = self.config_path();
        let config = std::fs::read(&config_path).with_context(|| format!("cannot read {}", config_path.display()))?;
        let mut key = config;
        key.extend_from_slice(CFLAGS.join(" ").as_bytes());
        key.extend_from_slice(self.kernel_dir.to_string_lossy().as_bytes());
        let mut dir = "reference";
        if let Some(x) = &self.extension {
            // The extension's config may include the reference's: cover both.
            let base = self.board_dir().join("FreeRTOSConfig.h");
            for f in std::iter::once(&base).chain(&x.key_files) {
                key.extend(std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?);
            }
            for (_, src) in &x.library_sources {
                key.extend_from_slice(src.to_string_lossy().as_bytes());
            }
            // Other definitions must rebuild the objects that use them.
            key.extend_from_slice(x.defines.join(" ").as_bytes());
            dir = x.cache_name;
        }
        Ok(self.ws.join("target/freertos").join(dir).join(format!("{:016x}", fnv1a(&key))))
    }

    /// Compiles the extension's third-party sources once for this cache key.
    fn library_objects(&self, out: &Path, includes: &[String]) -> Result<Vec<PathBuf>> {
        let Some(x) = &self.extension else { return Ok(Vec::new()) };
        let mut objects = Vec::new();
        for (name, src) in &x.library_sources {
            let obj = out.join("lib").join(name).with_extension("o");
            if !obj.is_file() {
                compile(src, &obj, includes, &[])?;
            }
            objects.push(obj);
        }
        Ok(objects)
    }

    /// Compiles the kernel once for this configuration; returns its objects.
    fn kernel_objects(&self, out: &Path) -> Result<Vec<PathBuf>> {
        let dir = out.join("kernel");
        let mut objects = Vec::new();
        for src in KERNEL_SOURCES {
            let obj = dir.join(src.replace('/', "_")).with_extension("o");
            if !obj.is_file() {
                compile(&self.kernel_dir.join(src), &obj, &self.include_args(&[]), &[])?;
            }
            objects.push(obj);
        }
        Ok(objects)
    }

    /// Our own sources (board support and the program): rebuilt when any of them or of our
    /// headers is newer than the object.
    fn own_object(
        &self,
        src: &Path,
        obj: &Path,
        includes: &[String],
        extra: &[&str],
        headers: SystemTime,
    ) -> Result<()> {
        let newest = mtime(src).max(Some(headers));
        if mtime(obj).is_none() || mtime(obj) < newest {
            compile(src, obj, includes, extra)?;
        }
        Ok(())
    }
}

impl Platform for Reference {
    fn name(&self) -> &'static str {
        "reference"
    }

    fn build(&self, program: &Program, extra_includes: &[PathBuf]) -> Result<PathBuf> {
        let _guard = self.build_lock.lock().unwrap_or_else(|p| p.into_inner());
        let out = self.out_dir()?;
        let mut objects = self.kernel_objects(&out)?;
        let includes = self.include_args(extra_includes);
        objects.extend(self.library_objects(&out, &includes)?);
        let mut header_dirs = vec![
            self.board_dir(),
            self.board_dir().join("include"),
            self.ws.join(PROGRAM_DIR),
            self.ws.join(COMMON_DIR),
        ];
        header_dirs.extend(extra_includes.iter().cloned());
        if let Some(x) = &self.extension {
            header_dirs.push(x.config_dir.clone());
            header_dirs.extend(x.key_files.iter().filter_map(|f| f.parent().map(Path::to_path_buf)));
        }
        let headers = newest_header(&header_dirs);
        let common = self.ws.join(COMMON_DIR);
        let defines: Vec<String> = self.extension.iter().flat_map(|x| &x.defines).map(|d| format!("-D{d}")).collect();
        let defines: Vec<&str> = defines.iter().map(String::as_str).collect();
        let mut own: Vec<(PathBuf, &str, &[&str])> = vec![
            (self.board_dir(), "platform.c", &[][..]),
            // The vector table places the extension's device interrupts (BOARD_*_IRQ).
            (self.board_dir(), "startup.c", &defines[..]),
            // Keep GCC from turning the copy loops into calls to memcpy itself.
            (self.board_dir(), "libc.c", &["-fno-tree-loop-distribute-patterns"][..]),
            (common, "trace_format.c", &[][..]),
        ];
        let extension_sources = self.extension.as_ref().map_or(&[][..], |x| &x.own_sources[..]);
        for src in extension_sources {
            let (Some(dir), Some(file)) = (src.parent(), src.file_name().and_then(|f| f.to_str())) else {
                bail!("extension source {} has no file name", src.display())
            };
            own.push((dir.to_path_buf(), file, &defines[..]));
        }
        for (dir, file, extra) in own {
            let obj = out.join("board").join(file).with_extension("o");
            self.own_object(&dir.join(file), &obj, &includes, extra, headers)?;
            objects.push(obj);
        }
        let kind = program.path.parent().and_then(Path::file_name).map_or("x".into(), |n| n.to_string_lossy());
        let obj = out.join(&*kind).join(&program.name).with_extension("o");
        self.own_object(&program.path, &obj, &includes, &[], headers)?;
        objects.push(obj);
        let elf = out.join(&*kind).join(format!("{}.elf", program.name));
        let script = self.board_dir().join("link.ld");
        let mut cmd = Command::new("arm-none-eabi-gcc");
        cmd.args(&CFLAGS[..3]).args(["-nostdlib", "-Wl,--gc-sections"]);
        cmd.arg("-T").arg(&script).args(&objects).arg("-lgcc").arg("-o").arg(&elf);
        run_tool(cmd)?;
        Ok(elf)
    }
}

/// FNV-1a, 64 bits: a stable cache key.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

fn mtime(p: &Path) -> Option<SystemTime> {
    p.metadata().and_then(|m| m.modified()).ok()
}

fn newest_header(dirs: &[PathBuf]) -> SystemTime {
    dirs.iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "h" || x == "ld"))
        .filter_map(|p| mtime(&p))
        .max()
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

fn compile(src: &Path, obj: &Path, includes: &[String], extra: &[&str]) -> Result<()> {
    if let Some(dir) = obj.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // Compile to a temporary name first so an interrupted build leaves no truncated object.
    let tmp = obj.with_extension("o.part");
    let mut cmd = Command::new("arm-none-eabi-gcc");
    cmd.args(CFLAGS).args(extra).args(includes).arg("-c").arg(src).arg("-o").arg(&tmp);
    run_tool(cmd).with_context(|| format!("cannot compile {}", src.display()))?;
    std::fs::rename(&tmp, obj).with_context(|| format!("cannot rename {} to {}", tmp.display(), obj.display()))
}

fn run_tool(mut cmd: Command) -> Result<()> {
    let shown = process::display_command(&cmd);
    let out =
        cmd.output().with_context(|| format!("cannot run `{shown}`; install the Debian package gcc-arm-none-eabi"))?;
    if !out.status.success() {
        // The first errors matter; later ones are mostly consequences.
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let head: Vec<&str> = text.lines().take(COMPILER_LINES).collect();
        let more = text.lines().count().saturating_sub(COMPILER_LINES);
        let tail = if more > 0 { format!("\n… {more} more line(s)") } else { String::new() };
        bail!("`{shown}` failed:\n{}{tail}", head.join("\n"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// `cargo xtask test freertos [--bless]`.

/// Runs the selected trace tests on every platform, or with `bless` records the golden traces
/// from the reference kernel (each program run twice; the two traces must agree).
pub fn tests(
    report: &mut Report,
    ws: &Path,
    board: &Board,
    filter: Option<&str>,
    bless: bool,
    fw: Option<&FirmwareContext<'_>>,
) {
    let programs = match programs_in(&ws.join(PROGRAM_DIR)) {
        Ok(p) => p,
        Err(e) => {
            report.fail(&format!("{GROUP}/programs"), &format!("{e:#}"), "");
            return;
        }
    };
    let kernel_dir = match locate_reference(ws) {
        Ok(k) => k,
        Err(e) => {
            report.fail(&format!("{GROUP}/reference-source"), &format!("{e:#}"), "");
            return;
        }
    };
    let platforms = platforms(ws, &kernel_dir, fw);
    let mut jobs: Vec<(&dyn Platform, &Program)> = Vec::new();
    for p in &platforms {
        if bless && p.name() != "reference" {
            continue;
        }
        jobs.extend(
            programs
                .iter()
                .filter(|prog| selects(filter, p.name(), &prog.name) && p.supports(prog))
                .map(|prog| (&**p, prog)),
        );
    }
    let next = AtomicUsize::new(0);
    let shared = Mutex::new(report);
    std::thread::scope(|s| {
        for _ in 0..PARALLEL_RUNS.min(jobs.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some((platform, program)) = jobs.get(i) else { break };
                let name = test_name(platform.name(), &program.name);
                let outcome = if bless {
                    bless_one(ws, board, *platform, program)
                } else {
                    test_one(ws, board, *platform, program)
                };
                let mut report = shared.lock().unwrap_or_else(|p| p.into_inner());
                match outcome {
                    Ok(note) => report.pass(&name, &note),
                    Err((reason, details)) => report.fail(&name, &reason, &details),
                }
            });
        }
    });
}

/// Number of trace programs `filter` selects on any platform (without building anything).
pub fn selected_count(ws: &Path, filter: Option<&str>) -> usize {
    programs_in(&ws.join(PROGRAM_DIR))
        .map(|ps| ps.iter().filter(|p| ["reference", "ours"].iter().any(|pl| selects(filter, pl, &p.name))).count())
        .unwrap_or(0)
}

fn expected_path(ws: &Path, program: &Program) -> PathBuf {
    ws.join(EXPECTED_DIR).join(format!("{}.trace", program.name))
}

fn build_and_run(board: &Board, platform: &dyn Platform, program: &Program) -> Result<Captured, (String, String)> {
    let elf = platform.build(program, &[]).map_err(|e| ("build failed".to_owned(), format!("{e:#}")))?;
    qemu::run_captured(board, &elf, RUN_TIMEOUT).map_err(|e| (format!("{e:#}"), String::new()))
}

fn test_one(ws: &Path, board: &Board, platform: &dyn Platform, program: &Program) -> Result<String, (String, String)> {
    let path = expected_path(ws, program);
    let Ok(expected) = std::fs::read_to_string(&path) else {
        return Err((
            format!(
                "no golden trace {}; record it with `cargo xtask test {GROUP} --bless`",
                crate::rel_path(ws, &path)
            ),
            String::new(),
        ));
    };
    let run = build_and_run(board, platform, program)?;
    judge(&run, &expected).map(|()| String::new())
}

fn bless_one(ws: &Path, board: &Board, platform: &dyn Platform, program: &Program) -> Result<String, (String, String)> {
    let mut traces = Vec::new();
    for _ in 0..2 {
        let run = build_and_run(board, platform, program)?;
        let trace = extract_trace(&run.output);
        if run.code != Some(0) || !trace.ends_with(&format!("\n{DONE_LINE}\n")) {
            return Err((
                format!("not blessed: the run ended with {:?} without a final `{DONE_LINE}` line", run.code),
                run.output,
            ));
        }
        traces.push(trace);
    }
    if let Some(d) = first_difference(&traces[0], &traces[1]) {
        return Err(("not blessed: two runs gave different traces (the program is not deterministic)".to_owned(), d));
    }
    let path = expected_path(ws, program);
    let old = std::fs::read_to_string(&path).ok();
    if old.as_deref() == Some(traces[0].as_str()) {
        return Ok("golden trace unchanged".to_owned());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| (format!("cannot create {}: {e}", dir.display()), String::new()))?;
    }
    std::fs::write(&path, &traces[0]).map_err(|e| (format!("cannot write {}: {e}", path.display()), String::new()))?;
    Ok(format!("blessed {} lines into {}", traces[0].lines().count(), crate::rel_path(ws, &path)))
}

// ---------------------------------------------------------------------------------------------
// `cargo xtask bench`.

/// The benchmarks a filter selects (all without one): the filter and the bench name contain
/// one another, as for the Rust benches.
pub fn select_benches(filter: Option<&str>) -> Vec<&'static BenchSpec> {
    BENCHES.iter().filter(|b| filter.is_none_or(|f| crate::bench::names_match(b.name, f))).collect()
}

/// Formats one result line: `<name>/<platform>: <value> <unit>`.
pub fn bench_result_line(name: &str, platform: &str, value: &str, unit: &str) -> String {
    format!("{name}/{platform}: {value} {unit}")
}

/// Whether the calibration value printed by a bench program validates the method (2.0).
pub fn calibration_ok(value: &str) -> bool {
    value.parse::<f64>().is_ok_and(|v| (v - 2.0).abs() < 0.05)
}

/// The ratio line printed after both figures: `<name>/ours-vs-freertos: <ours/reference> ratio`.
pub fn ratio_line(name: &str, ours: &str, reference: &str) -> Option<String> {
    let (o, r) = (ours.parse::<f64>().ok()?, reference.parse::<f64>().ok()?);
    (r > 0.0).then(|| format!("{name}/ours-vs-freertos: {:.2} ratio", o / r))
}

/// One bench program's run: its `BENCH` lines, checked (calibration 2.0, exit 0, the expected
/// result printed). Returns the result value, or None after printing why not.
fn bench_run(
    ws: &Path,
    board: &Board,
    elf: &Path,
    spec: &BenchSpec,
    platform: &str,
    source: &Path,
    calibration_printed: &mut bool,
) -> Result<Option<String>> {
    eprintln!("running: {}", process::display_command(&qemu::command(board, elf, qemu::Clock::Icount, &[])));
    let run = qemu::run_captured(board, elf, RUN_TIMEOUT)?;
    let lines: Vec<_> = extract_trace(&run.output).lines().filter_map(parse_bench_line).collect();
    let mut result = None;
    let mut ok = true;
    for l in &lines {
        if l.name == "calibration-loop" {
            if !calibration_ok(&l.value) {
                eprintln!("error: {} on {platform}: calibration loop measured {} instructions instead of 2.0; the clock conversion is wrong (check the platform's bench clock and -icount shift=0)", crate::rel_path(ws, source), l.value);
                ok = false;
            }
            if !*calibration_printed {
                println!("{}", bench_result_line(&l.name, platform, &l.value, &l.unit));
                *calibration_printed = true;
            }
            continue;
        }
        println!("{}", bench_result_line(&l.name, platform, &l.value, &l.unit));
        if l.name == spec.name {
            result = Some(l.value.clone());
        }
    }
    if run.code != Some(0) || result.is_none() {
        eprintln!(
            "error: FreeRTOS bench program {} on {platform} (exit {:?}) did not print `BENCH {}`; its output ends with:\n{}",
            crate::rel_path(ws, source),
            run.code,
            spec.name,
            process::tail(&run.output, 40)
        );
        ok = false;
    }
    Ok(if ok { result } else { None })
}

/// Runs the selected benchmarks on the reference kernel and, where `BENCHES` names an image, on
/// our layer (release build of the firmware images), printing the ratio ours/reference. Returns
/// the exit code.
pub fn run_benches(ws: &Path, board: &Board, benches: &[&BenchSpec], fw: &FirmwareContext<'_>) -> Result<i32> {
    let kernel_dir = locate_reference(ws)?;
    let reference = Reference::new(ws, &kernel_dir);
    let bench_include = vec![ws.join(BENCH_DIR)];
    let mut failed = false;
    let mut calibration_printed = false;
    // Our images first, in one release build.
    let mut ours_images = Vec::new();
    for b in benches {
        if let Some(name) = b.ours {
            let Some(image) = fw.inventory.image(name) else {
                bail!("BENCHES names the image {name} for {}, but tests/freertos/ours/images/{name}.toml does not exist; add it or set `ours: None`", b.name)
            };
            ours_images.push(image);
        }
    }
    if !ours_images.is_empty() {
        let built = fw.builder.build(&ours_images, crate::firmware::Profile::Release)?;
        if let Some(f) = built.iter().find(|b| !b.success()) {
            bail!(
                "release build of the FreeRTOS bench images failed; fix the errors below\n{}",
                f.failure_report(false)
            );
        }
    }
    for b in benches {
        let source = ws.join(BENCH_DIR).join(format!("{}.c", b.reference));
        let program = Program { name: b.reference.to_owned(), path: source.clone() };
        let elf = reference.build(&program, &bench_include)?;
        let theirs = bench_run(ws, board, &elf, b, "freertos", &source, &mut calibration_printed)?;
        failed |= theirs.is_none();
        let Some(image) = b.ours.and_then(|n| fw.inventory.image(n)) else { continue };
        let elf = fw.builder.elf(image, crate::firmware::Profile::Release)?;
        let mut ours_calibration = false;
        let ours = bench_run(ws, board, &elf, b, "ours", &source, &mut ours_calibration)?;
        failed |= ours.is_none();
        if let (Some(o), Some(t)) = (&ours, &theirs) {
            if let Some(line) = ratio_line(b.name, o, t) {
                println!("{line}");
            }
        }
    }
    Ok(if failed { 1 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_package_directory_in_metadata() {
        let json = r#"{"packages":[
            {"name":"serde","version":"1.0.0","manifest_path":"/reg/serde-1.0.0/Cargo.toml"},
            {"name":"freertos-next","version":"0.12.0","manifest_path":"/reg/freertos-next-0.12.0/Cargo.toml"}
        ],"workspace_members":[]}"#;
        assert_eq!(package_dir(json, "freertos-next", "0.12.0").unwrap(), Path::new("/reg/freertos-next-0.12.0"));
        let e = format!("{:#}", package_dir(json, "freertos-next", "0.13.0").unwrap_err());
        assert!(e.contains("is at version 0.12.0 but 0.13.0 is expected"), "{e}");
        let e = format!("{:#}", package_dir(json, "lwip", "0.3.15").unwrap_err());
        assert!(e.contains("not in the dependency graph") && e.contains(PIN_CRATE), "{e}");
        assert!(package_dir("not json", "x", "1").is_err());
    }

    #[test]
    fn reports_missing_kernel_files() {
        let dir = std::env::temp_dir().join(format!("xtask-freertos-layout-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("include")).unwrap();
        std::fs::write(dir.join("tasks.c"), "").unwrap();
        std::fs::write(dir.join("include/FreeRTOS.h"), "").unwrap();
        let missing = missing_kernel_files(&dir);
        assert!(!missing.contains(&"tasks.c".to_owned()));
        assert!(missing.contains(&"queue.c".to_owned()));
        assert!(missing.contains(&"portable/GCC/ARM_CM33_NTZ/non_secure/port.c".to_owned()));
        assert!(missing.contains(&"portable/MemMang/heap_4.c".to_owned()));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn extracts_trace_lines() {
        let out = "boot banner\r\nTRACE start tick=0\r\nnoise TRACE not this\nTRACE \nTRACE done\n";
        assert_eq!(extract_trace(out), "start tick=0\n\ndone\n");
        assert_eq!(extract_trace("nothing"), "");
    }

    #[test]
    fn shows_the_first_difference() {
        assert_eq!(first_difference("a\nb\n", "a\nb\n"), None);
        // Line endings do not matter.
        assert_eq!(first_difference("a\nb\n", "a\nb"), None);
        let d = first_difference("1\n2\n3\n4\n5\ndone\n", "1\n2\n3\n4\nX\ndone\n").unwrap();
        assert!(d.starts_with("first difference at trace line 5:\n"), "{d}");
        assert!(d.contains("     2   2\n") && !d.contains("     1   1\n"), "three lines of context: {d}");
        assert!(d.contains("     5 - 5\n") && d.contains("     5 + X\n"), "{d}");
        let d = first_difference("a\nb\ndone\n", "a\n").unwrap();
        assert!(d.contains("     2 - b\n") && d.contains("     2 + <end of trace>"), "{d}");
        let long: String = (0..20).map(|i| format!("{i}\n")).collect();
        let d = first_difference(&long, "").unwrap();
        assert!(d.contains("… 14 more line(s)"), "{d}");
    }

    #[test]
    fn judges_runs() {
        let run = |code, out: &str| Captured { code, timed_out: false, output: out.into() };
        assert_eq!(judge(&run(Some(0), "TRACE a\nTRACE done\n"), "a\ndone\n"), Ok(()));
        let (reason, diff) = judge(&run(Some(3), "TRACE a\nTRACE ASSERT queue.c:12\n"), "a\ndone\n").unwrap_err();
        assert!(reason.contains("differs") && reason.contains("exit status 3"), "{reason}");
        assert!(diff.contains("+ ASSERT queue.c:12"), "{diff}");
        let (reason, _) = judge(&run(Some(1), "TRACE a\n"), "a\n").unwrap_err();
        assert!(reason.contains("ended with Some(1)"), "{reason}");
        let timeout = Captured { code: None, timed_out: true, output: String::new() };
        assert!(judge(&timeout, "").unwrap_err().0.starts_with("timeout"));
    }

    #[test]
    fn selects_programs() {
        assert!(selects(None, "reference", "queue"));
        assert!(selects(Some("freertos"), "reference", "queue"));
        assert!(selects(Some("que"), "reference", "queue"));
        assert!(selects(Some("freertos/reference"), "reference", "queue"));
        assert!(selects(Some("freertos/reference/queue"), "reference", "queue"));
        assert!(!selects(Some("freertos/ours"), "reference", "queue"));
        for other in ["kernel", "boundary", "lint", "host", "tooling", "audit", "demo"] {
            assert!(!selects(Some(other), "reference", "queue"), "{other}");
        }
    }

    #[test]
    fn formats_ratios() {
        assert_eq!(ratio_line("q", "339.0", "226.0").as_deref(), Some("q/ours-vs-freertos: 1.50 ratio"));
        assert_eq!(ratio_line("q", "1", "0"), None);
        assert_eq!(ratio_line("q", "x", "1"), None);
    }

    #[test]
    fn selects_benches_and_formats_results() {
        let names = |f| select_benches(f).iter().map(|b| b.name).collect::<Vec<_>>();
        assert_eq!(names(None).len(), BENCHES.len());
        assert_eq!(names(Some("queue")), ["queue-send-receive"]);
        assert_eq!(names(Some("semaphore")), ["semaphore-give-take"]);
        assert_eq!(names(Some("mutex")), ["mutex-take-give"]);
        assert_eq!(names(Some("notify")), ["notify-give-take"]);
        assert_eq!(names(Some("yield")), ["yield-switch"]);
        assert!(names(Some("context-switch")).is_empty());
        assert_eq!(
            bench_result_line("queue-send-receive", "freertos", "412.0", "instructions"),
            "queue-send-receive/freertos: 412.0 instructions"
        );
        assert!(calibration_ok("2.0") && !calibration_ok("2.5") && !calibration_ok("x"));
    }

    #[test]
    fn cache_keys_are_stable() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(fnv1a(b"config 1"), fnv1a(b"config 2"));
    }
}
