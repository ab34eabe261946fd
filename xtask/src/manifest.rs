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

use crate::process;

/// Most threads one image may declare (priorities fit a 32-bit ready bitmap with an idle slot).
pub const MAX_THREADS: usize = 31;
/// Highest (most urgent) priority.
pub const MAX_PRIORITY: i64 = 31;
pub const MIN_STACK: i64 = 256;
pub const MAX_STACK: i64 = 65536;
pub const STACK_ALIGN: i64 = 8;
pub const MAX_THREAD_NAME: usize = 15;

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

[[thread]]                    # 1 ..= 31 of these
name = "high"                 # required; unique; 1 ..= 15 chars of A-Z a-z 0-9 _ -
entry = "high_main"           # required; path from the crate root to `fn(usize)`, e.g. "workers::high"
priority = 5                  # required; 0 (lowest) ..= 31 (highest)
stack_size = 1024             # required; bytes; 256 ..= 65536, a multiple of 8
arg = 0                       # optional u32 passed to entry; default 0

[test]                        # optional: makes the image a firmware test
group = "kernel"              # required; lowercase word; `cargo xtask test kernel` selects it
timeout_s = 30                # default 30; wall-clock limit of the QEMU run
exit_code = 0                 # default 0; semihosting exit code meaning "pass"
expect = ["text"]             # default []; each must appear in the console output
reject = ["PANIC"]            # default []; none may appear

[bench]                       # optional: makes the image a benchmark
names = ["context-switch"]    # required; the image prints `BENCH <name>: <value> <unit>` lines
timeout_s = 120               # default 120
"#;

const SCHEMA_HINT: &str = "hint: fix the manifest; `cargo xtask help manifest` shows every allowed table and field";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    image: RawImage,
    kernel: Option<RawKernel>,
    #[serde(default)]
    thread: Vec<RawThread>,
    test: Option<RawTest>,
    bench: Option<RawBench>,
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
}

impl ThreadSpec {
    /// Last segment of the entry path: the function's name.
    pub fn entry_fn(&self) -> &str {
        self.entry.rsplit("::").next().unwrap_or(&self.entry)
    }
}

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
    pub threads: Vec<ThreadSpec>,
    pub test: Option<TestSpec>,
    pub bench: Option<BenchSpec>,
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

    // [[thread]]
    let threads = validate_threads(&raw.thread, &mut err);

    // [test]
    let test = raw.test.as_ref().map(|t| validate_test(t, &mut err));

    // [bench]
    let bench = raw.bench.as_ref().map(|b| validate_bench(b, &mut err));

    if errors.is_empty() {
        Ok(ImageConfig { board, description: raw.image.description, kernel, threads, test, bench })
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

fn validate_threads(raw: &[RawThread], err: &mut impl FnMut(String)) -> Vec<ThreadSpec> {
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

        if let Err(why) = check_entry_path(&t.entry) {
            err(format!("{label}: entry \"{}\" {why}", t.entry));
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
        });
    }
    threads
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
}

/// Extracts firmware crates from `cargo metadata --format-version 1 --no-deps` output.
pub fn firmware_crates_from_metadata(json: &str) -> Result<Vec<FirmwareCrate>> {
    let meta: Metadata = serde_json::from_str(json).context(
        "cannot understand `cargo metadata` output; check that `cargo metadata --format-version 1 --no-deps` works in the workspace",
    )?;
    let mut crates = Vec::new();
    for p in meta.packages {
        let flag = p.metadata.as_ref().and_then(|m| m.get("rtos")).and_then(|r| r.get("firmware"));
        match flag {
            None => continue,
            Some(serde_json::Value::Bool(false)) => continue,
            Some(serde_json::Value::Bool(true)) => {}
            Some(other) => bail!(
                "{}: [package.metadata.rtos] firmware = {other} is not a boolean; write `firmware = true` or remove it",
                p.manifest_path.display()
            ),
        }
        let dir = p.manifest_path.parent().map(Path::to_path_buf).unwrap_or_default();
        let bins = p.targets.iter().filter(|t| t.kind.iter().any(|k| k == "bin")).map(|t| t.name.clone()).collect();
        crates.push(FirmwareCrate { name: p.name, dir, bins });
    }
    crates.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(crates)
}

/// Runs `cargo metadata` in the workspace and returns its firmware crates.
pub fn firmware_crates(ws: &Path) -> Result<Vec<FirmwareCrate>> {
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
    firmware_crates_from_metadata(&String::from_utf8_lossy(&out.stdout))
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
    let crates = firmware_crates(ws)?;
    load_images(ws, crates)
}

/// Loads `images/*.toml` of each crate; all problems are reported together.
pub fn load_images(ws: &Path, crates: Vec<FirmwareCrate>) -> Result<Inventory> {
    let boards = crate::board::list(ws);
    let mut errors: Vec<String> = Vec::new();
    let mut images: Vec<Image> = Vec::new();
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
                Ok(config) => {
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
    if !errors.is_empty() {
        bail!("{}", errors.join("\nerror: "));
    }
    images.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Inventory { crates, images })
}

#[cfg(test)]
mod tests {
    use super::*;

    const REL: &str = "tests/kernel/images/preempt.toml";

    fn boards() -> Vec<String> {
        vec!["mps2-an505".to_owned()]
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
        let crates = firmware_crates_from_metadata(METADATA).unwrap();
        assert_eq!(
            crates,
            vec![FirmwareCrate {
                name: "kernel-tests".into(),
                dir: PathBuf::from("/ws/tests/kernel"),
                bins: vec!["preempt".into(), "mutex".into()],
            }]
        );
        let bad = METADATA.replace("\"firmware\":true", "\"firmware\":\"yes\"");
        let e = format!("{:#}", firmware_crates_from_metadata(&bad).unwrap_err());
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
}
