//! `cargo xtask bench net`: TCP round-trip latency and throughput of the network stack, in
//! *busy* guest instructions, beside the same lwIP linked without compartments on the reference
//! FreeRTOS kernel.
//!
//! - Reference: `tests/net/reference/net_bench.c` with lwIP from the pinned `lwip` package
//!   (compiled with `c-compartments/tcpip/include`, the compartment's own `lwipopts.h`, and
//!   lwIP's unmodified `contrib/ports/freertos/sys_arch.c`), our LAN9118 netif
//!   (`lan9118_netif.c`) and `net_platform.c`, on the reference kernel built by
//!   [`crate::freertos::Reference`] with `tests/net/reference/FreeRTOSConfig.h` (the reference
//!   configuration plus the idle hook). It prints `BENCH net-ref-rtt` and `BENCH net-ref-tput`.
//! - Ours: the firmware image [`OURS_IMAGE`] (a client compartment calling the `tcpip`
//!   compartment's `net_connect/net_send/net_recv`), printing `BENCH net-rtt` and
//!   `BENCH net-tput`; the ratio ours/reference is printed beside them. The workload is the
//!   reference's (checked by a host test), except that the socket API has no half-close: our
//!   throughput run ends with `net_close` and a drain sleep whose idle-connection cost is
//!   subtracted, not with the sink's byte-count reply (docs/performance.md).
//!
//! Both run with host peers on 127.0.0.1 ([`PEERS`]: a `tcp-echo` on [`ECHO_PORT`], a
//! `tcp-sink` on [`SINK_PORT`], started by [`crate::peers`]) that the guest reaches at 10.0.2.2,
//! in the board's loopback network mode with its peer clock (`-icount shift=0,sleep=on`). While the guest waits for the host its virtual clock follows real
//! time, so elapsed time is no measure: each side counts the cycles its idle thread/task spends
//! waiting for an interrupt, and the figures are elapsed minus idle cycles, as instructions.
//! Each program first measures a two-instruction loop between two sleeps (`busy-calibration`,
//! must read 2.0), which validates the method on that side.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::bench::{names_match, parse_bench_line, BenchLine};
use crate::board::Board;
use crate::freertos::{self, Extension, FirmwareContext, Platform, Program, Reference};
use crate::peers::{PeerKind, PeerSpec};
use crate::process::{self, Captured};
use crate::qemu;

/// The host's 127.0.0.1 port of the `tcp-echo` peer (`ECHO_PORT` in net_bench.c).
pub const ECHO_PORT: u16 = 17301;
/// The host's 127.0.0.1 port of the `tcp-sink` peer (`SINK_PORT` in net_bench.c).
pub const SINK_PORT: u16 = 17302;

/// The peers of both sides' runs (our image's own `[[peer]]` tables replace them if it has any).
pub fn peer_specs() -> Vec<PeerSpec> {
    vec![PeerSpec { kind: PeerKind::TcpEcho, port: ECHO_PORT }, PeerSpec { kind: PeerKind::TcpSink, port: SINK_PORT }]
}

/// Our side: the firmware image (release build) of the client compartment over the `tcpip`
/// compartment, printing `BENCH net-rtt` and `BENCH net-tput` (tests/net/images/net_bench.toml,
/// compartment `netbench`).
pub const OURS_IMAGE: Option<&str> = Some("net_bench");

/// The program of our side (compartment `netbench` of [`OURS_IMAGE`]).
#[cfg(test)]
const OURS_SOURCE: &str = "tests/net/compartments/netbench/src/lib.rs";
const REFERENCE_DIR: &str = "tests/net/reference";
const PROGRAM: &str = "net_bench.c";
/// Our C sources of the reference build besides the program.
const OWN_SOURCES: &[&str] = &["lan9118_netif.c", "net_platform.c"];
/// The compartment's lwIP configuration (lwipopts.h, arch/cc.h), shared by the reference build.
const LWIP_CONFIG_DIR: &str = "c-compartments/tcpip/include";
/// The FreeRTOS bench helpers (bench.h: the bench clock).
const BENCH_INCLUDE: &str = "tests/freertos/bench";
/// The pinned package carrying lwIP's sources.
const LWIP_PACKAGE: &str = "lwip";
/// lwIP source directories (every `*.c` in them) and single files, relative to the package.
const LWIP_SOURCE_DIRS: &[&str] = &["src/core", "src/core/ipv4", "src/api"];
const LWIP_SOURCE_FILES: &[&str] =
    &["src/netif/ethernet.c", "src/apps/sntp/sntp.c", "contrib/ports/freertos/sys_arch.c"];
const LWIP_INCLUDES: &[&str] = &["src/include", "contrib/ports/freertos/include"];

/// The traffic both programs make: 10 + 200 round trips of 32 bytes, 64 KiB to the sink.
const ECHOED_BYTES: u64 = (10 + 200) * 32;
const SUNK_BYTES: u64 = 64 * 1024;

/// The peer report lines both sides' runs must end with: one connection each, carrying exactly
/// the workload's bytes (so neither side measured a shorter transfer).
pub fn expected_peer_reports() -> [String; 2] {
    [
        format!("peer tcp-echo:{ECHO_PORT}: 1 connections, {ECHOED_BYTES} bytes echoed"),
        format!("peer tcp-sink:{SINK_PORT}: 1 connections, {SUNK_BYTES} bytes received"),
    ]
}

/// Time limit of one QEMU run (virtual time follows real time while the guest waits).
const RUN_TIMEOUT: Duration = Duration::from_secs(180);

/// One figure: its name on our side, on the reference side, and its unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetBench {
    pub ours: &'static str,
    pub reference: &'static str,
    pub unit: &'static str,
}

/// The network benchmarks.
pub const BENCHES: &[NetBench] = &[
    NetBench { ours: "net-rtt", reference: "net-ref-rtt", unit: "instructions" },
    NetBench { ours: "net-tput", reference: "net-ref-tput", unit: "instructions/KiB" },
];

/// The method check both programs print first.
pub const CALIBRATION: &str = "busy-calibration";

/// Whether `filter` selects the network benchmarks (all benchmarks run without a filter).
pub fn selected(filter: Option<&str>) -> bool {
    filter.is_none_or(|f| BENCHES.iter().any(|b| names_match(b.ours, f) || names_match(b.reference, f)))
}

// ---------------------------------------------------------------------------------------------
// The reference build.

fn lwip_sources(lwip: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    for dir in LWIP_SOURCE_DIRS {
        let full = lwip.join(dir);
        let entries = std::fs::read_dir(&full).with_context(|| {
            format!("package {LWIP_PACKAGE} at {} lacks {dir}; its layout changed — delete that directory and run `cargo fetch` to restore it", lwip.display())
        })?;
        let mut here: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "c"))
            .collect();
        here.sort();
        files.extend(
            here.into_iter().map(|p| (format!("{dir}/{}", p.file_name().unwrap_or_default().to_string_lossy()), p)),
        );
    }
    for f in LWIP_SOURCE_FILES {
        let p = lwip.join(f);
        if !p.is_file() {
            bail!("package {LWIP_PACKAGE} at {} lacks {f}; its layout changed — delete that directory and run `cargo fetch` to restore it", lwip.display());
        }
        files.push((f.to_string(), p));
    }
    Ok(files.into_iter().map(|(rel, p)| (rel.replace('/', "_").trim_end_matches(".c").to_owned(), p)).collect())
}

/// The board facts the reference's C driver needs, from the board file: `BOARD_ETH_BASE` and
/// `BOARD_ETH_IRQ` of its device `eth`.
pub fn board_defines(board: &Board) -> Result<Vec<String>> {
    let eth = board.devices.iter().find(|d| d.name == "eth").with_context(|| {
        format!("board {} has no device `eth` (the LAN9118) in its board.toml; the network bench needs one", board.name)
    })?;
    let irq =
        eth.irq.with_context(|| format!("board {}: device `eth` has no irq in its board.toml; add it", board.name))?;
    Ok(vec![format!("BOARD_ETH_BASE={:#x}UL", eth.base), format!("BOARD_ETH_IRQ={irq}U")])
}

/// Builds the reference program for `board`; returns its ELF.
pub fn build_reference(ws: &Path, board: &Board) -> Result<PathBuf> {
    let kernel_dir = freertos::locate_reference(ws)?;
    let packages = crate::upstream::load(ws).map_err(anyhow::Error::msg)?;
    let (_, lwip) = packages.dir(LWIP_PACKAGE).map_err(anyhow::Error::msg)?;
    let dir = ws.join(REFERENCE_DIR);
    let config = ws.join(LWIP_CONFIG_DIR);
    let mut includes = vec![dir.clone(), config.clone()];
    includes.extend(LWIP_INCLUDES.iter().map(|d| lwip.join(d)));
    let extension = Extension {
        config_dir: dir.clone(),
        own_sources: OWN_SOURCES.iter().map(|f| dir.join(f)).collect(),
        library_sources: lwip_sources(lwip)?,
        includes,
        key_files: vec![config.join("lwipopts.h"), config.join("arch/cc.h")],
        cache_name: "net-reference",
        defines: board_defines(board)?,
    };
    let reference = Reference::extended(ws, &kernel_dir, extension);
    let program = Program { name: "net_bench".to_owned(), path: dir.join(PROGRAM) };
    reference.build(&program, &[ws.join(BENCH_INCLUDE)])
}

// ---------------------------------------------------------------------------------------------
// Running with the peers.

/// The `BENCH` lines of a run, with or without the `TRACE ` prefix of the C trace platforms.
pub fn bench_lines(output: &str) -> Vec<BenchLine> {
    output
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter_map(|l| parse_bench_line(l.strip_prefix("TRACE ").unwrap_or(l)))
        .collect()
}

/// Runs `elf` with `peers` around it (their reports end the captured output).
fn run_with_peers(board: &Board, elf: &Path, peers: &[PeerSpec], label: &str) -> Result<Captured> {
    let cmd = qemu::command_with_peers(board, elf, qemu::Clock::Icount, peers, &[]);
    eprintln!("running: {}", process::display_command(&cmd));
    qemu::run_with_peers(board, elf, RUN_TIMEOUT, peers, label)
}

/// Checks one side's run: exit 0, a calibration of 2.0, every figure printed. Prints the lines
/// and returns the figures by name, or None after saying what is wrong.
fn judge_side(side: &str, run: &Captured, names: &[&str], calibration_label: &str) -> Option<Vec<(String, String)>> {
    let lines = bench_lines(&run.output);
    let mut ok = true;
    match lines.iter().find(|l| l.name == CALIBRATION) {
        Some(l) => {
            println!("{CALIBRATION}/{calibration_label}: {} {}", l.value, l.unit);
            if !freertos::calibration_ok(&l.value) {
                eprintln!("error: {side}: the busy-instruction calibration read {} instead of 2.0; the idle accounting or the clock conversion is wrong (check the idle hook/thread and -icount shift=0)", l.value);
                ok = false;
            }
        }
        None => ok = false,
    }
    let mut figures = Vec::new();
    for name in names {
        match lines.iter().find(|l| l.name == *name) {
            Some(l) => {
                println!("{}: {} {}", l.name, l.value, l.unit);
                figures.push((l.name.clone(), l.value.clone()));
            }
            None => ok = false,
        }
    }
    for want in expected_peer_reports() {
        if !run.output.lines().any(|l| l.trim_end_matches('\r') == want) {
            eprintln!("error: {side}: no peer report `{want}`; the workload differs from the reference's");
            ok = false;
        }
    }
    if run.timed_out || run.code != Some(0) || !ok {
        let why = if run.timed_out {
            format!("timed out after {}s", RUN_TIMEOUT.as_secs())
        } else {
            format!("exited with {:?}", run.code)
        };
        eprintln!(
            "error: network bench on {side} {why} without every figure ({}, {}); its output (peer reports last) ends with:\n{}",
            CALIBRATION,
            names.join(", "),
            process::tail(&run.output, 40)
        );
        return None;
    }
    Some(figures)
}

/// Runs the network benchmarks: the reference build, then our image if there is one, and the
/// ratios. Returns the exit code.
pub fn run(ws: &Path, board: &Board, fw: &FirmwareContext<'_>) -> Result<i32> {
    let ours_image = match OURS_IMAGE {
        Some(name) => Some(fw.inventory.image(name).with_context(|| {
            format!("netbench::OURS_IMAGE names the image {name}, but no manifest images/{name}.toml exists; add it or set it to None")
        })?),
        None => None,
    };
    let elf = build_reference(ws, board)?;
    let run = run_with_peers(board, &elf, &peer_specs(), &format!("{REFERENCE_DIR}/{PROGRAM}"))?;
    let reference_names: Vec<&str> = BENCHES.iter().map(|b| b.reference).collect();
    let theirs = judge_side("the reference (lwIP on FreeRTOS)", &run, &reference_names, "freertos");
    let mut failed = theirs.is_none();
    let Some(image) = ours_image else {
        eprintln!("note: no image of our side yet (netbench::OURS_IMAGE); only the reference figures are shown");
        return Ok(i32::from(failed));
    };
    let built = fw.builder.build(&[image], crate::firmware::Profile::Release)?;
    if let Some(f) = built.iter().find(|b| !b.success()) {
        bail!("release build of {} failed; fix the errors below\n{}", image.name, f.failure_report(false));
    }
    let elf = fw.builder.elf(image, crate::firmware::Profile::Release)?;
    let peers = if image.config.peers.is_empty() { peer_specs() } else { image.config.peers.clone() };
    let run = run_with_peers(board, &elf, &peers, &image.manifest)?;
    let our_names: Vec<&str> = BENCHES.iter().map(|b| b.ours).collect();
    // The compartment's notes (drain-sleep baseline, frame counts) and the peers' reports.
    for l in run.output.lines().map(|l| l.trim_end_matches('\r')) {
        if l.starts_with("netbench: ") || l.starts_with("peer ") {
            println!("  {l}");
        }
    }
    let ours = judge_side("ours (the tcpip compartment)", &run, &our_names, "ours");
    failed |= ours.is_none();
    if let (Some(o), Some(t)) = (&ours, &theirs) {
        for (b, ((_, ov), (_, tv))) in BENCHES.iter().zip(o.iter().zip(t)) {
            if let Some(line) = freertos::ratio_line(b.ours, ov, tv) {
                println!("{line}");
            }
        }
    }
    Ok(i32::from(failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_by_name() {
        assert!(selected(None));
        assert!(selected(Some("net")));
        assert!(selected(Some("net-rtt")));
        assert!(selected(Some("net-ref-tput")));
        assert!(!selected(Some("queue")));
        assert!(!selected(Some("context-switch")));
    }

    #[test]
    fn reads_bench_lines_with_and_without_trace_prefix() {
        let out = "TRACE BENCH net-ref-rtt: 1234.5 instructions\r\nBENCH net-tput: 99.0 instructions/KiB\nTRACE x\n";
        let l = bench_lines(out);
        assert_eq!(l.len(), 2);
        assert_eq!((l[0].name.as_str(), l[0].value.as_str()), ("net-ref-rtt", "1234.5"));
        assert_eq!((l[1].name.as_str(), l[1].unit.as_str()), ("net-tput", "instructions/KiB"));
    }

    #[test]
    fn expects_the_workload_in_the_peer_reports() {
        let [echo, sink] = expected_peer_reports();
        assert_eq!(echo, "peer tcp-echo:17301: 1 connections, 6720 bytes echoed");
        assert_eq!(sink, "peer tcp-sink:17302: 1 connections, 65536 bytes received");
    }

    #[test]
    fn both_programs_run_the_same_workload() {
        let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let c = std::fs::read_to_string(ws.join(REFERENCE_DIR).join(PROGRAM)).unwrap();
        let rs = std::fs::read_to_string(ws.join(OURS_SOURCE)).unwrap();
        for (c_line, rs_line) in [
            ("#define RTT_MESSAGES        200U", "const RTT_MESSAGES: u32 = 200;"),
            ("#define RTT_WARMUP          10U", "const RTT_WARMUP: u32 = 10;"),
            ("#define RTT_MESSAGE_LEN     32U", "const RTT_MESSAGE_LEN: usize = 32;"),
            ("#define TPUT_BYTES          ( 64U * 1024U )", "const TPUT_BYTES: usize = 64 * 1024;"),
            ("#define TPUT_CHUNK          4096U", "const TPUT_CHUNK: usize = 4096;"),
        ] {
            assert!(c.contains(c_line), "{PROGRAM} lacks `{c_line}`");
            assert!(rs.contains(rs_line), "{OURS_SOURCE} lacks `{rs_line}`");
        }
        assert_eq!(ECHOED_BYTES, (10 + 200) * 32);
        let image =
            std::fs::read_to_string(ws.join("tests/net/images").join(format!("{}.toml", OURS_IMAGE.unwrap()))).unwrap();
        assert!(image.contains(&format!("contents = \"tcp:10.0.2.2:{ECHO_PORT}\"")), "echo capability port differs");
        assert!(image.contains(&format!("contents = \"tcp:10.0.2.2:{SINK_PORT}\"")), "sink capability port differs");
    }

    #[test]
    fn the_program_uses_the_peer_ports() {
        let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let c = std::fs::read_to_string(ws.join(REFERENCE_DIR).join(PROGRAM)).unwrap();
        assert!(c.contains(&format!("#define ECHO_PORT           {ECHO_PORT}")), "ECHO_PORT differs");
        assert!(c.contains(&format!("#define SINK_PORT           {SINK_PORT}")), "SINK_PORT differs");
    }
}
