//! `cargo xtask bench [FILTER]`: runs benchmark images (release builds, deterministic guest
//! time), prints their `BENCH <name>: <value> <unit>` results and flash footprints.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::firmware::{Builder, Profile};
use crate::manifest::{Image, Inventory};
use crate::process;
use crate::qemu;

/// One `BENCH <name>: <value> <unit>` console line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BenchLine {
    pub name: String,
    /// The value as printed (validated to be a number).
    pub value: String,
    pub unit: String,
}

/// Parses a console line of the form `BENCH <name>: <value> <unit>`.
pub fn parse_bench_line(line: &str) -> Option<BenchLine> {
    let rest = line.trim().strip_prefix("BENCH ")?;
    let (name, rest) = rest.split_once(':')?;
    let name = name.trim();
    let mut words = rest.split_whitespace();
    let value = words.next()?;
    let unit = words.collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.contains(char::is_whitespace) || unit.is_empty() {
        return None;
    }
    value.parse::<f64>().ok()?;
    Some(BenchLine { name: name.to_owned(), value: value.to_owned(), unit })
}

/// Flash bytes (text + data) from `arm-none-eabi-size -B` output: read-only sections plus the
/// initial values of `.data`, which are stored in flash.
pub fn parse_size_berkeley(output: &str) -> Option<u64> {
    let mut lines = output.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next()?;
    if !header.split_whitespace().next()?.eq("text") {
        return None;
    }
    let mut fields = lines.next()?.split_whitespace();
    let text: u64 = fields.next()?.parse().ok()?;
    let data: u64 = fields.next()?.parse().ok()?;
    Some(text + data)
}

/// Exception handlers counted as kernel code.
const KERNEL_HANDLERS: &[&str] = &[
    "SVCall",
    "PendSV",
    "SysTick",
    "HardFault",
    "MemoryManagement",
    "BusFault",
    "UsageFault",
    "SecureFault",
    "DefaultHandler",
    "Reset",
];

/// Whether a demangled symbol belongs to the kernel.
pub fn is_kernel_symbol(name: &str) -> bool {
    name.starts_with("rtos::") || name.starts_with("<rtos::") || KERNEL_HANDLERS.contains(&name)
}

/// Sums the sizes of kernel code and read-only data from `arm-none-eabi-nm -S --size-sort -C`
/// output (`<addr> <size> <type> <name>`); aliases at one address count once.
pub fn kernel_flash_from_nm(output: &str) -> u64 {
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut total = 0;
    for line in output.lines() {
        let mut parts = line.splitn(4, ' ');
        let (Some(addr), Some(size), Some(kind), Some(name)) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if !matches!(kind, "t" | "T" | "r" | "R" | "W" | "w") || !is_kernel_symbol(name.trim()) {
            continue;
        }
        let Ok(size) = u64::from_str_radix(size, 16) else {
            continue;
        };
        if seen.insert(addr) {
            total += size;
        }
    }
    total
}

fn tool_output(program: &str, args: &[&str], elf: &Path) -> Result<String> {
    let out = Command::new(program)
        .args(args)
        .arg(elf)
        .output()
        .with_context(|| format!("cannot run {program}; install the Debian package gcc-arm-none-eabi"))?;
    if !out.status.success() {
        bail!(
            "{program} failed on {}: {}; rebuild with `cargo xtask build --release`",
            elf.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Flash footprint of an image and of the kernel inside it.
pub fn flash_sizes(elf: &Path) -> Result<(u64, u64)> {
    let size = tool_output("arm-none-eabi-size", &["-B"], elf)?;
    let Some(total) = parse_size_berkeley(&size) else {
        bail!("cannot read the output of `arm-none-eabi-size -B {}`; check the binutils installation", elf.display());
    };
    let nm = tool_output("arm-none-eabi-nm", &["-S", "--size-sort", "-C"], elf)?;
    Ok((total, kernel_flash_from_nm(&nm)))
}

/// Whether a declared bench name and a filter belong together: either contains the other, so
/// `names = ["context-switch"]` is selected by `switch` and by `context-switch-yield`.
pub fn names_match(declared: &str, filter: &str) -> bool {
    declared.contains(filter) || filter.contains(declared)
}

/// Bench images whose declared names match `filter` (all bench images without a filter).
pub fn select<'a>(inv: &'a Inventory, filter: Option<&str>) -> Vec<&'a Image> {
    inv.images
        .iter()
        .filter(|i| {
            i.config.bench.as_ref().is_some_and(|b| filter.is_none_or(|f| b.names.iter().any(|n| names_match(n, f))))
        })
        .collect()
}

/// Runs the selected bench images. Returns the exit code.
pub fn run(builder: &Builder<'_>, inv: &Inventory, filter: Option<&str>) -> Result<i32> {
    let mut images = select(inv, filter);
    let declared: Vec<&str> = inv
        .images
        .iter()
        .filter_map(|i| i.config.bench.as_ref())
        .flat_map(|b| b.names.iter().map(String::as_str))
        .collect();
    if declared.is_empty() {
        bail!(
            "there are no benchmark images; add a [bench] table to an image manifest (see `cargo xtask help manifest`)"
        );
    }
    if images.is_empty() {
        // The filter may name a result that no manifest declares: run everything, filter results.
        eprintln!(
            "note: no declared benchmark matches `{}` (declared: {}); running all benchmark images",
            filter.unwrap_or(""),
            declared.join(", ")
        );
        images = select(inv, None);
    }
    let builds = builder.build(&images, Profile::Release)?;
    let mut failed = false;
    let mut runnable = Vec::new();
    for b in &builds {
        if b.success() {
            runnable.extend(b.images.iter().copied());
        } else {
            eprint!("{}", b.failure_report(process::stderr_is_terminal()));
            eprintln!("error: release build of crate {} failed; fix the errors above", b.package);
            failed = true;
        }
    }
    let mut kernel_max = None;
    let mut printed = 0;
    for image in runnable {
        let Some(spec) = &image.config.bench else {
            continue;
        };
        let board = builder.board_of(image)?;
        let elf = builder.elf(image, Profile::Release)?;
        let peers = &image.config.peers;
        let cmd = qemu::command_with_peers(board, &elf, qemu::Clock::Icount, peers, &[]);
        eprintln!("running: {}", process::display_command(&cmd));
        let run = qemu::run_with_peers(board, &elf, Duration::from_secs(spec.timeout_s), peers, &image.manifest)?;
        for line in run.output.lines().filter(|l| l.starts_with("peer ")) {
            eprintln!("{line}");
        }
        let results: Vec<BenchLine> = run.output.lines().filter_map(parse_bench_line).collect();
        for r in results.iter().filter(|r| filter.is_none_or(|f| r.name.contains(f))) {
            println!("{}: {} {}", r.name, r.value, r.unit);
            printed += 1;
        }
        let problem = if run.timed_out {
            Some(format!("timed out after {}s", spec.timeout_s))
        } else if run.code != Some(0) {
            Some(format!("exited with {:?}, expected 0", run.code))
        } else {
            let missing: Vec<&str> = spec
                .names
                .iter()
                .filter(|n| !results.iter().any(|r| r.name.contains(n.as_str())))
                .map(String::as_str)
                .collect();
            (!missing.is_empty()).then(|| format!("did not print results for: {}", missing.join(", ")))
        };
        if let Some(p) = problem {
            failed = true;
            eprintln!(
                "error: bench image {} {p}; its output ends with:\n{}",
                image.name,
                process::tail(&run.output, 40)
            );
        }
        let (flash, kernel) = flash_sizes(&elf)?;
        println!("{}-flash: {flash} bytes", image.name);
        println!("{}-kernel-flash: {kernel} bytes", image.name);
        kernel_max = Some(kernel_max.unwrap_or(0).max(kernel));
    }
    if let Some(k) = kernel_max {
        println!("kernel-flash: {k} bytes");
    }
    if let (Some(f), 0, false) = (filter, printed, failed) {
        eprintln!("error: no benchmark result name contains `{f}`; declared benchmarks: {}", declared.join(", "));
        failed = true;
    }
    Ok(if failed { 1 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bench_lines() {
        assert_eq!(
            parse_bench_line("BENCH context-switch: 312 cycles"),
            Some(BenchLine { name: "context-switch".into(), value: "312".into(), unit: "cycles".into() })
        );
        assert_eq!(
            parse_bench_line("  BENCH futex-wake: 1.25 us\r").map(|b| (b.value, b.unit)),
            Some(("1.25".into(), "us".into()))
        );
        assert_eq!(parse_bench_line("BENCH x: fast cycles"), None);
        assert_eq!(parse_bench_line("BENCH x: 12"), None);
        assert_eq!(parse_bench_line("BENCH : 12 ns"), None);
        assert_eq!(parse_bench_line("bench x: 12 ns"), None);
        assert_eq!(parse_bench_line("[12] BENCH x: 12 ns"), None);
    }

    #[test]
    fn matches_names_both_ways() {
        assert!(names_match("context-switch", "switch"));
        assert!(names_match("context-switch", "context-switch-yield"));
        assert!(!names_match("context-switch", "futex"));
    }

    #[test]
    fn parses_size_output() {
        let out =
            "   text\t   data\t    bss\t    dec\t    hex\tfilename\n   2776\t     16\t      8\t   2800\t    af0\tfw\n";
        assert_eq!(parse_size_berkeley(out), Some(2792));
        assert_eq!(parse_size_berkeley("garbage"), None);
    }

    #[test]
    fn sums_kernel_symbols() {
        let nm = "\
10000830 00000008 T main
100007c0 00000028 T Reset
10000900 00000010 T SVCall
10000900 00000010 T DefaultHandler
10000a00 00000100 T rtos::sched::Scheduler::pick_next
10000b00 00000020 t <rtos::kernel::Kernel as core::fmt::Debug>::fmt
10000c00 00000040 r rtos::TABLE
38000000 00000080 b rtos::kernel::KERNEL
10000d00 00000030 T cortex_m::peripheral::scb::foo
10000e00 00000004 T <cortex_m::Foo as rtos::Trait>::x
";
        assert_eq!(kernel_flash_from_nm(nm), 0x28 + 0x10 + 0x100 + 0x20 + 0x40);
        assert!(is_kernel_symbol("PendSV"));
        assert!(!is_kernel_symbol("rtos_other::x"));
    }
}
