//! The audit report of a built image: what it contains and who may call whom, read back from the
//! linked ELF. Written after every successful build to `target/fw/audit/<image>.json` (the
//! machine-readable report, input of the Rego policies in `policies/`, see [`crate::policy`]) and
//! `target/fw/audit/<image>.txt` (the same facts for people). Format: docs/audit.md.
//!
//! The manifest says what was asked for (compartments, exports, imports, threads); the ELF says
//! what was linked: region bounds from the `__rtos_c_<name>_*` symbols, export and entry
//! addresses, the bytes of each code region (hashed), and the image's flash and RAM use.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use object::{Object, ObjectSection, ObjectSymbol, SectionFlags, SectionKind, SymbolKind};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::firmware::Profile;
use crate::manifest::{compartment_symbol, Image};

/// Version of the JSON layout; bumped when a field changes meaning or disappears.
pub const FORMAT: u32 = 4;

/// `target/fw/audit`.
pub fn audit_dir(ws: &Path) -> PathBuf {
    crate::toolchain::fw_target_dir(ws).join("audit")
}

/// `target/fw/audit/<image>.json`.
pub fn json_path(ws: &Path, image: &str) -> PathBuf {
    audit_dir(ws).join(format!("{image}.json"))
}

/// `target/fw/audit/<image>.txt`.
pub fn text_path(ws: &Path, image: &str) -> PathBuf {
    audit_dir(ws).join(format!("{image}.txt"))
}

// ---------------------------------------------------------------------------------------------
// The report. Field order here is the key order of the JSON.

/// The whole report of one image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Audit {
    pub format: u32,
    pub image: String,
    pub board: String,
    /// Manifest path relative to the workspace root.
    pub manifest: String,
    /// `dev` or `release`.
    pub profile: String,
    pub kernel: KernelAudit,
    /// In manifest order.
    pub compartments: Vec<CompartmentAudit>,
    /// In manifest (start) order.
    pub threads: Vec<ThreadAudit>,
    /// Every permitted cross-compartment call, one per import.
    pub calls: Vec<CallEdge>,
    /// Static sealed objects, in manifest order.
    pub sealed_objects: Vec<SealedObjectAudit>,
}

/// A static sealed object: who can open it and who receives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SealedObjectAudit {
    pub name: String,
    /// `"<compartment>.<sealing key>"`: only that compartment can open it.
    pub key: String,
    /// Compartments that import it (get its handle).
    pub importers: Vec<String>,
    /// Its contents, as declared.
    pub contents: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KernelAudit {
    pub tick_hz: u32,
    pub time_slice_ticks: u32,
    pub initial_tick: u64,
    /// Bytes stored in flash: every allocated section with contents (code, read-only data, the
    /// initial values of `.data`), kernel and compartments together.
    pub flash_bytes: u64,
    /// Statically allocated RAM: every writable allocated section (`.data`, `.bss`,
    /// `.uninit`, compartment data and bss, the thread stacks).
    pub ram_bytes: u64,
}

/// `[start, end)`; `size = end - start`. Addresses are plain JSON numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Region {
    pub start: u64,
    pub end: u64,
    pub size: u64,
}

impl Region {
    pub fn new(start: u64, end: u64) -> Region {
        Region { start, end, size: end.saturating_sub(start) }
    }
}

/// A code region and the SHA-256 of its bytes as linked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CodeRegion {
    pub start: u64,
    pub end: u64,
    pub size: u64,
    /// Lower-case hex.
    pub sha256: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CompartmentAudit {
    pub name: String,
    /// The Rust crate linked in: the compartment crate, or a C compartment's runtime crate.
    #[serde(rename = "crate")]
    pub krate: String,
    /// `"rust"` or `"c"`.
    pub language: String,
    /// A C compartment's source files (workspace-relative); empty for Rust.
    pub sources: Vec<String>,
    pub code: CodeRegion,
    /// Globals and heap: `.data`, `.bss`, then the heap arena (one MPU region).
    pub data: Region,
    /// The heap arena (the end of `data`; empty without a heap).
    pub heap: Region,
    pub exports: Vec<ExportAudit>,
    pub imports: Vec<ImportAudit>,
    /// Names of the threads that start in this compartment.
    pub threads: Vec<String>,
    /// Device registers granted to the compartment (board devices named in its `mmio`).
    pub mmio: Vec<MmioAudit>,
    /// Bytes the compartment's own allocation capability may have allocated at once.
    pub heap_quota: u64,
    /// Interrupt lines it owns: those of its granted devices (only it may wait on or unmask them).
    pub interrupts: Vec<u32>,
    /// Its pool of kernel-reserved thread stacks (`thread_stacks`), `None` without one.
    pub thread_stacks: Option<PoolAudit>,
    /// Its `init` function, run after boot and every reboot before its threads start.
    pub init: Option<HookAudit>,
    /// Its error handler, run on a faulting thread to decide between unwind and reboot.
    pub error_handler: Option<HookAudit>,
    /// `"unwind"` or `"reboot"`: what a fault does when no error handler decides.
    pub on_fault: String,
    /// Whether its code may end the system (`SHUTDOWN`).
    pub may_shutdown: bool,
    /// Compartments its code may micro-reboot (`COMPARTMENT_REBOOT`).
    pub may_reboot: Vec<String>,
    /// Whether it is issued a clock capability (`CLOCK_CAP`): its holder may set the wall clock.
    pub may_set_clock: bool,
}

/// A function named by a compartment field (`init`, `error_handler`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HookAudit {
    pub symbol: String,
    /// Address of its first instruction; `null` if not found in the ELF.
    pub address: Option<u64>,
}

/// A compartment's pool of thread stacks: `count` stacks of `size` bytes in `[start, end)`, kernel
/// memory outside every compartment region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PoolAudit {
    pub count: u32,
    pub size: u32,
    pub start: Option<u64>,
    pub end: Option<u64>,
}

/// One MMIO grant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MmioAudit {
    /// Device name in the board description.
    pub device: String,
    pub start: u64,
    pub end: u64,
    pub size: u64,
    /// External interrupt number of the device, if any.
    pub irq: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExportAudit {
    pub name: String,
    /// Address of the first instruction (Thumb bit cleared); `null` if the linker dropped it.
    pub address: Option<u64>,
    /// Its typed signature (read by cbindgen or bindgen when the stubs were generated); `null`
    /// if the generation directory has none (the image was not built by `cargo xtask`).
    pub signature: Option<SignatureAudit>,
}

/// An export's signature: what its callers must pass, grant kinds included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureAudit {
    /// e.g. `(buf: read-only, len: u32) -> u32`.
    pub text: String,
    pub params: Vec<ParamAudit>,
    /// `u32`, `i32`, `bool`, ...; `null`: returns nothing.
    pub returns: Option<String>,
}

/// One parameter of an export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamAudit {
    pub name: String,
    /// `grant` or an integer type (`u32`, `i32`, `usize`, `isize`).
    #[serde(rename = "type")]
    pub ty: String,
    /// For a grant: `read-only`, `read-write` or `store-only`; else `null`.
    pub grant: Option<String>,
}

/// Where code generation leaves the signatures of an image's exports for the audit:
/// `target/rtos-gen/<image>/signatures.json`, `{"<compartment>.<export>": SignatureAudit}`.
pub fn signatures_path(ws: &Path, image: &str) -> PathBuf {
    crate::codegen::gen_dir(ws).join(image).join("signatures.json")
}

/// Fills in the exports' signatures from `signatures.json` (see [`signatures_path`]).
pub fn add_signatures(audit: &mut Audit, text: &str) -> Result<(), String> {
    let sigs: BTreeMap<String, SignatureAudit> = serde_json::from_str(text)
        .map_err(|e| format!("cannot read the export signatures ({e}); build the image again"))?;
    for c in &mut audit.compartments {
        for e in &mut c.exports {
            e.signature = sigs.get(&format!("{}.{}", c.name, e.name)).cloned();
        }
    }
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportAudit {
    pub slot: usize,
    /// `"<compartment>.<export>"`.
    pub target: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ThreadAudit {
    pub name: String,
    /// `None` (JSON `null`): a privileged kernel thread.
    pub compartment: Option<String>,
    pub priority: u8,
    pub stack_size: u32,
    /// As written in the manifest: a path in the image crate, or a compartment's C symbol.
    pub entry: String,
    /// Address of the entry function's first instruction in the ELF; `null` if not found.
    pub entry_address: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallEdge {
    pub from: String,
    pub to: String,
    pub export: String,
}

impl Audit {
    /// Pretty-printed JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    }
}

// ---------------------------------------------------------------------------------------------
// Reading the ELF

/// One defined symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SymbolFact {
    /// For functions the Thumb bit is cleared.
    pub address: u64,
    pub size: u64,
    pub function: bool,
}

/// One allocated section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionFact {
    pub name: String,
    pub address: u64,
    pub size: u64,
    pub writable: bool,
    /// Contents; `None` for sections without any in the file (`.bss`, NOLOAD).
    pub bytes: Option<Vec<u8>>,
}

/// What the audit needs from a linked ELF.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ElfFacts {
    /// Defined symbols by name; a global definition wins over local ones of the same name.
    pub symbols: BTreeMap<String, (SymbolFact, bool)>,
    /// Rust functions by demangled path without hash (`demo::producer`) → address.
    pub rust_functions: BTreeMap<String, u64>,
    pub sections: Vec<SectionFact>,
}

impl ElfFacts {
    pub fn read(path: &Path) -> Result<ElfFacts, String> {
        let data =
            std::fs::read(path).map_err(|e| format!("cannot read {} ({e}); build the image again", path.display()))?;
        ElfFacts::parse(&data).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(data: &[u8]) -> Result<ElfFacts, String> {
        let file = object::File::parse(data).map_err(|e| format!("not a readable object file ({e})"))?;
        if file.format() != object::BinaryFormat::Elf {
            return Err(format!("not an ELF file ({:?})", file.format()));
        }
        let arm = file.architecture() == object::Architecture::Arm;
        let mut facts = ElfFacts::default();
        for s in file.sections() {
            let SectionFlags::Elf { sh_flags } = s.flags() else { continue };
            if sh_flags & u64::from(object::elf::SHF_ALLOC) == 0 {
                continue;
            }
            let uninit = matches!(s.kind(), SectionKind::UninitializedData | SectionKind::UninitializedTls);
            let bytes = if uninit {
                None
            } else {
                let d = s.data().map_err(|e| format!("cannot read section {} ({e})", s.name().unwrap_or("?")))?;
                Some(d.to_vec())
            };
            facts.sections.push(SectionFact {
                name: s.name().unwrap_or("").to_owned(),
                address: s.address(),
                size: s.size(),
                writable: sh_flags & u64::from(object::elf::SHF_WRITE) != 0,
                bytes,
            });
        }
        for sym in file.symbols() {
            // Linker-script symbols (region bounds) are untyped and sized 0, which `object` does
            // not count as definitions: take everything that is not undefined.
            if sym.is_undefined() || matches!(sym.kind(), SymbolKind::Section | SymbolKind::File) {
                continue;
            }
            let Ok(name) = sym.name() else { continue };
            // ARM mapping symbols (`$t`, `$d`, ...) mark code/data ranges; they name nothing.
            if name.is_empty() || name.starts_with('$') {
                continue;
            }
            let function = sym.kind() == SymbolKind::Text;
            let address = if function && arm { sym.address() & !1 } else { sym.address() };
            let fact = SymbolFact { address, size: sym.size(), function };
            let global = sym.is_global();
            let keep_old = facts.symbols.get(name).is_some_and(|(_, g)| *g);
            if !keep_old {
                facts.symbols.insert(name.to_owned(), (fact, global));
            }
            if function && (name.starts_with("_R") || name.starts_with("_ZN")) {
                let path = format!("{:#}", rustc_demangle::demangle(name));
                facts.rust_functions.entry(path).or_insert(address);
            }
        }
        Ok(facts)
    }

    pub fn symbol(&self, name: &str) -> Option<SymbolFact> {
        self.symbols.get(name).map(|(s, _)| *s)
    }

    /// Flash bytes (sections with contents) and RAM bytes (writable sections).
    pub fn footprint(&self) -> (u64, u64) {
        let flash = self.sections.iter().filter(|s| s.bytes.is_some()).map(|s| s.size).sum();
        let ram = self.sections.iter().filter(|s| s.writable).map(|s| s.size).sum();
        (flash, ram)
    }

    /// The bytes at `[start, end)` as linked: every byte must belong to a section with contents.
    pub fn bytes(&self, start: u64, end: u64) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(end.saturating_sub(start) as usize);
        let mut at = start;
        while at < end {
            let Some((s, bytes)) = self.sections.iter().find_map(|s| {
                let b = s.bytes.as_ref()?;
                (s.address <= at && at < s.address + s.size).then_some((s, b))
            }) else {
                return Err(format!("no section with contents holds address {at:#x} (of [{start:#x}, {end:#x}))"));
            };
            let from = (at - s.address) as usize;
            let to = (end.min(s.address + s.size) - s.address) as usize;
            let Some(chunk) = bytes.get(from..to) else {
                return Err(format!("section {} is shorter in the file than its size", s.name));
            };
            out.extend_from_slice(chunk);
            at = s.address + to as u64;
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------------
// Assembling the report

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The crate name of the image binary (`src/bin/<image>.rs` or the package's own binary).
fn bin_crate(image: &Image) -> String {
    image.name.replace('-', "_")
}

/// Builds the report of `image` from its manifest and the facts of its linked ELF.
pub fn assemble(image: &Image, profile: Profile, elf: &ElfFacts) -> Result<Audit, Vec<String>> {
    let config = &image.config;
    let mut errors = Vec::new();
    let mut compartments = Vec::new();
    for c in &config.compartments {
        let mut bound = |s: &str| {
            let name = compartment_symbol(&c.name, s);
            match elf.symbol(&name) {
                Some(sym) => sym.address,
                None => {
                    errors.push(format!(
                        "{}: compartment \"{}\": symbol {name} is missing from the ELF; build the image with `cargo xtask build {}`",
                        image.manifest, c.name, image.name
                    ));
                    0
                }
            }
        };
        let (code_start, code_end, data_start, data_end) =
            (bound("code_start"), bound("code_end"), bound("data_start"), bound("heap_end"));
        let heap = Region::new(bound("heap_start"), data_end);
        let sha256 = if code_start <= code_end {
            match elf.bytes(code_start, code_end) {
                Ok(bytes) => sha256_hex(&bytes),
                Err(e) => {
                    errors.push(format!("{}: compartment \"{}\": code region: {e}", image.manifest, c.name));
                    String::new()
                }
            }
        } else {
            String::new()
        };
        let code = Region::new(code_start, code_end);
        compartments.push(CompartmentAudit {
            name: c.name.clone(),
            krate: c.krate.clone(),
            language: c.language().to_owned(),
            sources: c.c.as_ref().map(|cs| cs.files_rel.clone()).unwrap_or_default(),
            code: CodeRegion { start: code.start, end: code.end, size: code.size, sha256 },
            data: Region::new(data_start, data_end),
            heap,
            exports: c
                .exports
                .iter()
                .map(|e| ExportAudit {
                    name: e.clone(),
                    address: elf.symbol(&compartment_symbol(&c.name, e)).map(|s| s.address),
                    signature: None,
                })
                .collect(),
            imports: c
                .imports
                .iter()
                .enumerate()
                .map(|(slot, i)| ImportAudit { slot, target: i.qualified() })
                .collect(),
            threads: config
                .threads
                .iter()
                .filter(|t| t.compartment.as_deref() == Some(c.name.as_str()))
                .map(|t| t.name.clone())
                .collect(),
            mmio: c
                .mmio_devices
                .iter()
                .map(|d| MmioAudit {
                    device: d.name.clone(),
                    start: d.base,
                    end: d.base + d.size,
                    size: d.size,
                    irq: d.irq,
                })
                .collect(),
            heap_quota: c.heap_quota as u64,
            interrupts: c.mmio_devices.iter().filter_map(|d| d.irq).collect(),
            thread_stacks: (c.thread_stacks.count > 0).then(|| {
                let at = elf.symbol(&crate::compartment::pool_symbol(&c.name));
                PoolAudit {
                    count: c.thread_stacks.count,
                    size: c.thread_stacks.size,
                    start: at.map(|s| s.address),
                    end: at.map(|s| s.address + c.thread_stacks.bytes()),
                }
            }),
            init: c.init.as_ref().map(|s| HookAudit {
                symbol: s.clone(),
                address: elf.symbol(&compartment_symbol(&c.name, s)).map(|f| f.address),
            }),
            error_handler: c.error_handler.as_ref().map(|s| HookAudit {
                symbol: s.clone(),
                address: elf.symbol(&compartment_symbol(&c.name, s)).map(|f| f.address),
            }),
            on_fault: c.on_fault.as_str().to_owned(),
            may_shutdown: c.may_shutdown,
            may_reboot: c.may_reboot.clone(),
            may_set_clock: c.may_set_clock,
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let krate = bin_crate(image);
    let threads = config
        .threads
        .iter()
        .map(|t| ThreadAudit {
            name: t.name.clone(),
            compartment: t.compartment.clone(),
            priority: t.priority,
            stack_size: t.stack_size,
            entry: t.entry.clone(),
            entry_address: match &t.compartment {
                Some(c) => elf.symbol(&compartment_symbol(c, &t.entry)).map(|s| s.address),
                None => elf.rust_functions.get(&format!("{krate}::{}", t.entry)).copied(),
            },
        })
        .collect();
    let calls = config
        .compartments
        .iter()
        .flat_map(|c| {
            c.imports.iter().map(|i| CallEdge {
                from: c.name.clone(),
                to: i.compartment.clone(),
                export: i.export.clone(),
            })
        })
        .collect();
    let (flash_bytes, ram_bytes) = elf.footprint();
    Ok(Audit {
        format: FORMAT,
        image: image.name.clone(),
        board: config.board.clone(),
        manifest: image.manifest.clone(),
        profile: match profile {
            Profile::Dev => "dev",
            Profile::Release => "release",
        }
        .to_owned(),
        kernel: KernelAudit {
            tick_hz: config.kernel.tick_hz,
            time_slice_ticks: config.kernel.time_slice_ticks,
            initial_tick: config.kernel.initial_tick,
            flash_bytes,
            ram_bytes,
        },
        compartments,
        threads,
        calls,
        sealed_objects: config
            .sealed_objects
            .iter()
            .map(|o| SealedObjectAudit {
                name: o.name.clone(),
                key: format!("{}.{}", o.owner, o.key),
                importers: config
                    .compartments
                    .iter()
                    .filter(|c| c.sealed_imports.contains(&o.name))
                    .map(|c| c.name.clone())
                    .collect(),
                contents: o.contents.clone(),
            })
            .collect(),
    })
}

// ---------------------------------------------------------------------------------------------
// The text view

fn opt_addr(a: Option<u64>) -> String {
    a.map_or_else(|| "(not linked)".to_owned(), |a| format!("{a:#010x}"))
}

/// Pads `rows` into aligned columns (two spaces apart), each line indented by `indent`.
fn table(indent: &str, rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> =
        (0..cols).map(|i| rows.iter().filter_map(|r| r.get(i)).map(|c| c.chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for r in rows {
        let mut line = indent.to_owned();
        for (i, cell) in r.iter().enumerate() {
            if i + 1 == r.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Text width the readable view wraps lists at.
const WIDTH: usize = 100;

/// `<indent><label>: a, b, c` wrapped at [`WIDTH`], continuation lines aligned after the label;
/// `(none)` for no items.
fn wrapped(indent: &str, label: &str, items: &[String]) -> String {
    let head = format!("{indent}{label}: ");
    if items.is_empty() {
        return format!("{head}(none)\n");
    }
    let pad = " ".repeat(head.chars().count());
    let mut out = String::new();
    let mut line = head.clone();
    for (i, item) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() { format!("{item},") } else { item.clone() };
        let fresh = line == head || line == pad;
        if !fresh && line.chars().count() + 1 + piece.chars().count() > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = pad.clone();
        }
        if !(line == head || line == pad) {
            line.push(' ');
        }
        line.push_str(&piece);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// The readable view of a report.
pub fn render_text(a: &Audit) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "audit of image {} (board {}, {} profile, format {})\nmanifest: {}\n\n",
        a.image, a.board, a.profile, a.format, a.manifest
    ));
    let k = &a.kernel;
    out.push_str(&format!(
        "kernel: tick {} Hz, time slice {} tick(s), initial tick {}\n        flash {} bytes, RAM {} bytes (whole image)\n",
        k.tick_hz,
        if k.time_slice_ticks == 0 { "off (0)".to_owned() } else { k.time_slice_ticks.to_string() },
        k.initial_tick,
        k.flash_bytes,
        k.ram_bytes
    ));

    out.push_str(&format!("\ncompartments ({}):\n", a.compartments.len()));
    if a.compartments.is_empty() {
        out.push_str("  (none: every thread is a privileged kernel thread)\n");
    }
    for c in &a.compartments {
        if c.language == "c" {
            out.push_str(&format!("  {} (C, runtime crate {})\n", c.name, c.krate));
        } else {
            out.push_str(&format!("  {} (crate {})\n", c.name, c.krate));
        }
        let mut rows = vec![
            vec![
                "code".to_owned(),
                format!("[{:#010x}, {:#010x})", c.code.start, c.code.end),
                format!("{} B", c.code.size),
                format!("sha256 {}", c.code.sha256),
            ],
            vec![
                "data".to_owned(),
                format!("[{:#010x}, {:#010x})", c.data.start, c.data.end),
                format!("{} B", c.data.size),
                format!("heap {} B at its end", c.heap.size),
            ],
        ];
        for m in &c.mmio {
            rows.push(vec![
                "mmio".to_owned(),
                format!("[{:#010x}, {:#010x})", m.start, m.end),
                format!("{} B", m.size),
                match m.irq {
                    Some(irq) => format!("device {} (irq {irq})", m.device),
                    None => format!("device {}", m.device),
                },
            ]);
        }
        if let Some(p) = &c.thread_stacks {
            rows.push(vec![
                "stacks".to_owned(),
                match (p.start, p.end) {
                    (Some(start), Some(end)) => format!("[{start:#010x}, {end:#010x})"),
                    _ => "(not found)".to_owned(),
                },
                format!("{} B", p.count as u64 * p.size as u64),
                format!("thread_stacks: {} x {} B, kernel memory", p.count, p.size),
            ]);
        }
        out.push_str(&table("    ", &rows));
        if !c.sources.is_empty() {
            out.push_str(&wrapped("    ", "sources", &c.sources));
        }
        let exports: Vec<String> = c
            .exports
            .iter()
            .map(|e| match &e.signature {
                Some(s) => format!("{}{} @ {}", e.name, s.text, opt_addr(e.address)),
                None => format!("{} @ {}", e.name, opt_addr(e.address)),
            })
            .collect();
        out.push_str(&wrapped("    ", "exports", &exports));
        let imports: Vec<String> = c.imports.iter().map(|i| format!("[{}] {}", i.slot, i.target)).collect();
        out.push_str(&wrapped("    ", "imports", &imports));
        out.push_str(&wrapped("    ", "threads", &c.threads));
        out.push_str(&format!(
            "    mmio: {}; interrupts: {}; heap quota: {} B\n",
            if c.mmio.is_empty() { "none".to_owned() } else { format!("{} region(s)", c.mmio.len()) },
            if c.interrupts.is_empty() {
                "none".to_owned()
            } else {
                c.interrupts.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
            },
            c.heap_quota
        ));
        let hook = |h: &Option<HookAudit>| match h {
            Some(h) => format!("{} @ {}", h.symbol, opt_addr(h.address)),
            None => "none".to_owned(),
        };
        out.push_str(&format!(
            "    init: {}; error handler: {}; on fault: {}\n",
            hook(&c.init),
            hook(&c.error_handler),
            c.on_fault
        ));
        out.push_str(&format!(
            "    rights: shutdown {}; reboot {}; set clock {}\n",
            if c.may_shutdown { "yes" } else { "no" },
            if c.may_reboot.is_empty() { "none".to_owned() } else { c.may_reboot.join(", ") },
            if c.may_set_clock { "yes" } else { "no" }
        ));
    }

    out.push_str(&format!("\nthreads ({}):\n", a.threads.len()));
    let mut rows =
        vec![["name", "runs in", "priority", "stack", "entry", "at"].iter().map(|s| (*s).to_owned()).collect()];
    for t in &a.threads {
        rows.push(vec![
            t.name.clone(),
            t.compartment.clone().unwrap_or_else(|| "kernel (privileged)".to_owned()),
            t.priority.to_string(),
            t.stack_size.to_string(),
            t.entry.clone(),
            opt_addr(t.entry_address),
        ]);
    }
    out.push_str(&table("  ", &rows));

    out.push_str(&format!("\ncalls ({}): caller -> callee: exports it may call\n", a.calls.len()));
    if a.calls.is_empty() {
        out.push_str("  (none)\n");
    }
    let mut by_pair: Vec<((&str, &str), Vec<&str>)> = Vec::new();
    for c in &a.calls {
        let key = (c.from.as_str(), c.to.as_str());
        match by_pair.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(&c.export),
            None => by_pair.push((key, vec![&c.export])),
        }
    }
    for ((from, to), exports) in by_pair {
        let exports: Vec<String> = exports.iter().map(|e| (*e).to_owned()).collect();
        out.push_str(&wrapped("  ", &format!("{from} -> {to}"), &exports));
    }
    if !a.sealed_objects.is_empty() {
        out.push_str(&format!(
            "\nstatic sealed objects ({}): opened by key owner, delivered to importers\n",
            a.sealed_objects.len()
        ));
        for o in &a.sealed_objects {
            out.push_str(&format!(
                "  {} (key {}) -> {}: {:?}\n",
                o.name,
                o.key,
                if o.importers.is_empty() { "nobody".to_owned() } else { o.importers.join(", ") },
                o.contents
            ));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Reads the ELF of `image`, assembles its report and writes the JSON and text files. Returns
/// the report, or one message per problem.
pub fn write_for(ws: &Path, image: &Image, profile: Profile, elf: &Path) -> Result<Audit, Vec<String>> {
    let facts = ElfFacts::read(elf).map_err(|e| vec![format!("{}: audit: {e}", image.manifest)])?;
    let mut audit = assemble(image, profile, &facts)?;
    if let Ok(text) = std::fs::read_to_string(signatures_path(ws, &image.name)) {
        add_signatures(&mut audit, &text).map_err(|e| vec![format!("{}: audit: {e}", image.manifest)])?;
    }
    let json = json_path(ws, &image.name);
    let text = text_path(ws, &image.name);
    for (path, content) in [(&json, audit.to_json()), (&text, render_text(&audit))] {
        crate::codegen::write_if_changed(path, &content).map_err(|e| vec![format!("{e:#}")])?;
    }
    Ok(audit)
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::manifest::parse_manifest;
    use std::process::Command;

    pub fn image_from(name: &str, text: &str) -> Image {
        Image {
            name: name.into(),
            package: "boundary-tests".into(),
            manifest: format!("tests/boundary/images/{name}.toml"),
            config: parse_manifest(text, "x.toml", &["mps2-an505".into()]).unwrap(),
        }
    }

    pub const MANIFEST: &str = r#"
[image]
board = "mps2-an505"
[kernel]
tick_hz = 100
[[compartment]]
name = "alpha"
crate = "boundary-alpha"
imports = ["beta.add", "beta.peek"]
[[compartment]]
name = "beta"
crate = "boundary-beta"
exports = ["add", "peek"]
heap = 64
[[thread]]
name = "prober"
compartment = "alpha"
entry = "alpha_main"
priority = 3
stack_size = 1024
[[thread]]
name = "watch"
entry = "workers::watch"
priority = 1
stack_size = 512
"#;

    fn sym(address: u64, function: bool) -> (SymbolFact, bool) {
        (SymbolFact { address, size: 4, function }, true)
    }

    /// ELF facts of a plausible link of [`MANIFEST`].
    pub fn facts() -> ElfFacts {
        let mut f = ElfFacts::default();
        for (name, a, func) in [
            ("__rtos_c_alpha_code_start", 0x1000_1000, false),
            ("__rtos_c_alpha_code_end", 0x1000_1040, false),
            ("__rtos_c_alpha_data_start", 0x3800_0100, false),
            ("__rtos_c_alpha_bss_end", 0x3800_0120, false),
            ("__rtos_c_alpha_heap_start", 0x3800_0120, false),
            ("__rtos_c_alpha_heap_end", 0x3800_0120, false),
            ("__rtos_c_alpha_alpha_main", 0x1000_1008, true),
            ("__rtos_c_beta_code_start", 0x1000_1040, false),
            ("__rtos_c_beta_code_end", 0x1000_1080, false),
            ("__rtos_c_beta_data_start", 0x3800_0120, false),
            ("__rtos_c_beta_bss_end", 0x3800_0120, false),
            ("__rtos_c_beta_heap_start", 0x3800_0120, false),
            ("__rtos_c_beta_heap_end", 0x3800_0160, false),
            ("__rtos_c_beta_add", 0x1000_1040, true),
            ("__rtos_c_beta_peek", 0x1000_1050, true),
        ] {
            f.symbols.insert(name.into(), sym(a, func));
        }
        f.rust_functions.insert("watchers::workers::watch".into(), 0x1000_0200);
        f.sections = vec![
            SectionFact {
                name: ".text".into(),
                address: 0x1000_0000,
                size: 0x1000,
                writable: false,
                bytes: Some(vec![0; 0x1000]),
            },
            SectionFact {
                name: ".rtos_c_alpha_code".into(),
                address: 0x1000_1000,
                size: 0x40,
                writable: false,
                bytes: Some((0..0x40).collect()),
            },
            SectionFact {
                name: ".rtos_c_beta_code".into(),
                address: 0x1000_1040,
                size: 0x40,
                writable: false,
                bytes: Some(vec![0xAB; 0x40]),
            },
            SectionFact {
                name: ".data".into(),
                address: 0x3800_0000,
                size: 0x10,
                writable: true,
                bytes: Some(vec![1; 16]),
            },
            SectionFact { name: ".bss".into(), address: 0x3800_0010, size: 0x110, writable: true, bytes: None },
        ];
        f
    }

    #[test]
    fn assembles_the_report_from_manifest_and_elf() {
        let img = image_from("watchers", MANIFEST);
        let a = assemble(&img, Profile::Dev, &facts()).unwrap();
        assert_eq!(a.kernel.flash_bytes, 0x1000 + 0x80 + 0x10);
        assert_eq!(a.kernel.ram_bytes, 0x10 + 0x110);
        assert_eq!(a.kernel.tick_hz, 100);
        let alpha = &a.compartments[0];
        assert_eq!((alpha.code.start, alpha.code.end, alpha.code.size), (0x1000_1000, 0x1000_1040, 0x40));
        assert_eq!(alpha.code.sha256, sha256_hex(&(0..0x40).collect::<Vec<u8>>()));
        assert_eq!(alpha.data, Region { start: 0x3800_0100, end: 0x3800_0120, size: 0x20 });
        assert_eq!(alpha.imports[1], ImportAudit { slot: 1, target: "beta.peek".into() });
        assert_eq!(alpha.threads, ["prober"]);
        let beta = &a.compartments[1];
        assert_eq!(beta.data.size, 0x40, "globals and heap");
        assert_eq!(beta.heap, Region::new(0x3800_0120, 0x3800_0160));
        assert_eq!(beta.heap_quota, 64);
        assert_eq!(beta.exports[0], ExportAudit { name: "add".into(), address: Some(0x1000_1040), signature: None });
        assert_eq!(beta.exports[1], ExportAudit { name: "peek".into(), address: Some(0x1000_1050), signature: None });
        assert_eq!(a.threads[0].entry_address, Some(0x1000_1008));
        assert_eq!(a.threads[1].compartment, None);
        assert_eq!(a.threads[1].entry_address, Some(0x1000_0200));
        assert_eq!(
            a.calls,
            [
                CallEdge { from: "alpha".into(), to: "beta".into(), export: "add".into() },
                CallEdge { from: "alpha".into(), to: "beta".into(), export: "peek".into() }
            ]
        );
    }

    #[test]
    fn json_has_the_documented_keys_in_order() {
        let img = image_from("watchers", MANIFEST);
        let json = assemble(&img, Profile::Release, &facts()).unwrap().to_json();
        let keys = |obj: &str| -> Vec<String> {
            let v: serde_json::Value = serde_json::from_str(obj).unwrap();
            v.as_object().unwrap().keys().cloned().collect()
        };
        let top: Vec<&str> = [
            "format",
            "image",
            "board",
            "manifest",
            "profile",
            "kernel",
            "compartments",
            "threads",
            "calls",
            "sealed_objects",
        ]
        .to_vec();
        // serde_json's map sorts keys, so compare the order as it appears in the text.
        let positions: Vec<usize> = top.iter().map(|k| json.find(&format!("\n  \"{k}\":")).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{json}");
        let mut sorted = top.clone();
        sorted.sort();
        assert_eq!(keys(&json), sorted);
        let c = json.find("\"compartments\"").unwrap();
        let order = [
            "\"name\"",
            "\"crate\"",
            "\"language\"",
            "\"sources\"",
            "\"code\"",
            "\"data\"",
            "\"heap\"",
            "\"exports\"",
            "\"imports\"",
            "\"threads\"",
            "\"mmio\"",
            "\"heap_quota\"",
            "\"interrupts\"",
            "\"thread_stacks\"",
        ];
        let at: Vec<usize> = order.iter().map(|k| c + json[c..].find(k).unwrap()).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{json}");
        assert!(json.contains("\"heap_quota\": 0") && json.contains("\"mmio\": []"));
        assert!(json.contains("\"profile\": \"release\""));
        assert!(json.contains("\"compartment\": null"));
    }

    #[test]
    fn pools_and_interrupts_are_reported() {
        let text = MANIFEST
            .replace("heap = 64\n", "heap = 64\nmmio = [\"uart1\"]\nthread_stacks = { count = 2, size = 1024 }\n");
        let mut img = image_from("watchers", &text);
        let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let board = crate::board::load(ws, "mps2-an505").unwrap();
        assert!(crate::manifest::check_against_boards(std::slice::from_mut(&mut img), &[board]).is_empty());
        let mut f = facts();
        let a = assemble(&img, Profile::Dev, &f).unwrap();
        let beta = &a.compartments[1];
        assert_eq!(beta.interrupts, [43], "uart1's line comes with the device");
        assert_eq!(
            beta.thread_stacks,
            Some(PoolAudit { count: 2, size: 1024, start: None, end: None }),
            "pool symbol missing"
        );
        assert_eq!(a.compartments[0].thread_stacks, None);
        assert!(a.compartments[0].interrupts.is_empty());
        f.symbols.insert("__rtos_pool_beta".into(), sym(0x3800_1000, false));
        let a = assemble(&img, Profile::Dev, &f).unwrap();
        let pool = a.compartments[1].thread_stacks.as_ref().unwrap();
        assert_eq!((pool.start, pool.end), (Some(0x3800_1000), Some(0x3800_1800)));
        let t = render_text(&a);
        assert!(t.contains("thread_stacks: 2 x 1024 B, kernel memory") && t.contains("interrupts: 43;"), "{t}");
    }

    #[test]
    fn the_clock_right_is_reported() {
        let text = MANIFEST.replace("heap = 64\n", "heap = 64\nmay_set_clock = true\n");
        let a = assemble(&image_from("watchers", &text), Profile::Dev, &facts()).unwrap();
        assert!(!a.compartments[0].may_set_clock && a.compartments[1].may_set_clock);
        let json = a.to_json();
        assert!(json.contains("\"may_set_clock\": true") && json.contains("\"may_set_clock\": false"), "{json}");
        let t = render_text(&a);
        assert!(t.contains("    rights: shutdown no; reboot none; set clock yes\n"), "{t}");
    }

    #[test]
    fn an_export_the_linker_dropped_has_no_address() {
        let img = image_from("watchers", MANIFEST);
        let mut f = facts();
        f.symbols.remove("__rtos_c_beta_peek");
        let a = assemble(&img, Profile::Dev, &f).unwrap();
        assert_eq!(a.compartments[1].exports[1], ExportAudit { name: "peek".into(), address: None, signature: None });
        assert!(render_text(&a).contains("peek @ (not linked)"));
    }

    #[test]
    fn missing_region_symbols_are_reported() {
        let img = image_from("watchers", MANIFEST);
        let mut f = facts();
        f.symbols.remove("__rtos_c_beta_code_end");
        let e = assemble(&img, Profile::Dev, &f).unwrap_err();
        assert_eq!(e.len(), 1);
        assert!(e[0].contains("compartment \"beta\": symbol __rtos_c_beta_code_end is missing"), "{e:?}");
        let mut f = facts();
        f.sections.retain(|s| s.name != ".rtos_c_beta_code");
        let e = assemble(&img, Profile::Dev, &f).unwrap_err();
        assert!(e[0].contains("no section with contents holds address 0x10001040"), "{e:?}");
    }

    #[test]
    fn reads_bytes_across_sections() {
        let f = facts();
        let b = f.bytes(0x1000_103e, 0x1000_1042).unwrap();
        assert_eq!(b, [0x3e, 0x3f, 0xab, 0xab]);
        assert!(f.bytes(0x3800_0010, 0x3800_0014).is_err(), ".bss has no contents");
        assert_eq!(f.bytes(5, 5).unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn text_view_shows_regions_threads_and_calls() {
        let img = image_from("watchers", MANIFEST);
        let t = render_text(&assemble(&img, Profile::Dev, &facts()).unwrap());
        assert!(t.starts_with("audit of image watchers (board mps2-an505, dev profile, format 4)\n"), "{t}");
        assert!(
            t.contains(
                "    init: none; error handler: none; on fault: unwind\n    rights: shutdown no; reboot none; set clock no\n"
            ),
            "{t}"
        );
        assert!(t.contains("    code  [0x10001000, 0x10001040)  64 B  sha256 "), "{t}");
        assert!(t.contains("    exports: add @ 0x10001040, peek @ 0x10001050"), "{t}");
        assert!(t.contains("    imports: [0] beta.add, [1] beta.peek"), "{t}");
        assert!(t.contains("  watch   kernel (privileged)  1         512    workers::watch  0x10000200"), "{t}");
        assert!(t.contains("  alpha -> beta: add, peek"), "{t}");
    }

    #[test]
    fn long_lists_wrap_under_their_label() {
        let items: Vec<String> = (0..40).map(|i| format!("item{i}")).collect();
        let text = wrapped("  ", "imports", &items);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() > 2, "{text}");
        assert!(lines.iter().all(|l| l.chars().count() <= WIDTH), "{text}");
        assert!(lines[0].starts_with("  imports: item0, item1,"));
        assert!(lines[1].starts_with("           item"), "{text}");
        assert!(text.ends_with("item39\n"));
        assert_eq!(wrapped("", "threads", &[]), "threads: (none)\n");
    }

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    /// A real ELF from arm-none-eabi-gcc (skipped without it): symbols, Thumb bit, section bytes.
    #[test]
    fn reads_a_real_arm_elf() {
        if crate::process::find_in_path("arm-none-eabi-gcc").is_none() {
            eprintln!("skipped: arm-none-eabi-gcc is not installed");
            return;
        }
        let dir = std::env::temp_dir().join(format!("xtask-audit-elf-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("a.c"),
            "const unsigned char table[4] = {1, 2, 3, 4};\nint counter = 5;\nint zeroed[8];\n\
             int add(int a, int b) { return a + b + table[a & 3] + counter + zeroed[b & 7]; }\n\
             void Reset(void) { for (;;) { counter = add(counter, 1); } }\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("a.x"),
            "MEMORY { FLASH : ORIGIN = 0x10000000, LENGTH = 64K\n RAM : ORIGIN = 0x38000000, LENGTH = 64K }\n\
             ENTRY(Reset)\nSECTIONS {\n .text : { *(.text .text.*) } > FLASH\n .rodata : { *(.rodata .rodata.*) } > FLASH\n\
             .data : { *(.data .data.*) } > RAM AT > FLASH\n .bss (NOLOAD) : { *(.bss .bss.* COMMON) } > RAM\n}\n",
        )
        .unwrap();
        let out = Command::new("arm-none-eabi-gcc")
            .args(["-mcpu=cortex-m33", "-mthumb", "-Os", "-nostdlib", "-Ta.x", "-o", "a.elf", "a.c"])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let f = ElfFacts::read(&dir.join("a.elf")).unwrap();
        let add = f.symbol("add").unwrap();
        assert!(add.function && add.address.is_multiple_of(2) && add.address >= 0x1000_0000, "{add:?}");
        let table = f.symbol("table").unwrap();
        assert_eq!(f.bytes(table.address, table.address + 4).unwrap(), [1, 2, 3, 4]);
        let counter = f.symbol("counter").unwrap();
        assert_eq!(f.bytes(counter.address, counter.address + 4).unwrap(), 5u32.to_le_bytes());
        let (flash, ram) = f.footprint();
        let size = |n: &str| f.sections.iter().find(|s| s.name == n).map_or(0, |s| s.size);
        assert_eq!(flash, size(".text") + size(".rodata") + size(".data"));
        assert_eq!(ram, size(".data") + size(".bss"));
        assert!(size(".bss") >= 32);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
