//! Running firmware images under QEMU, with the command line taken from the board file and the
//! image's network peers.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::board::Board;
use crate::peers::{self, PeerSpec};
use crate::process::{self, Captured, Echo};

/// How QEMU is started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// Real time (interactive `run`/`debug`).
    RealTime,
    /// Instruction counting (tests and benches): the board's `icount_args` (idle time skipped:
    /// deterministic), or with network peers its `icount_peer_args` (idle time real).
    Icount,
}

/// How the board's network controller is attached: the network mode follows from the image's
/// peers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Network {
    /// No peers: the board's `[qemu.nic] isolated` option (restricted user network).
    Isolated,
    /// Peers: the board's `[qemu.nic] loopback` option (10.0.2.2 is the host's 127.0.0.1) plus
    /// these `hostfwd=` rules of intruders.
    Loopback { hostfwd: Vec<String> },
}

impl Network {
    /// The mode for an image with `peers`.
    pub fn for_peers(peers: &[PeerSpec]) -> Network {
        if peers.is_empty() {
            Network::Isolated
        } else {
            Network::Loopback { hostfwd: peers.iter().filter_map(PeerSpec::hostfwd).collect() }
        }
    }
}

/// What an image needs of the board for its network mode; an error says what to add.
pub fn check_board(board: &Board, peers: &[PeerSpec], manifest: &str) -> Result<()> {
    if peers.is_empty() {
        return Ok(());
    }
    if board.nic.is_none() {
        bail!(
            "{manifest}: the image declares [[peer]]s but board {} has no [qemu.nic] in boards/{}/board.toml; add `loopback = \"user,restrict=off\"` there (and `isolated`) or remove the peers",
            board.name,
            board.name
        );
    }
    if board.icount_peer_args.is_empty() {
        bail!(
            "{manifest}: the image declares [[peer]]s but boards/{}/board.toml has no [qemu] icount_peer_args; add icount_peer_args = [\"-icount\", \"shift=0,sleep=on\"]",
            board.name
        );
    }
    Ok(())
}

/// The QEMU command for `elf` on `board`, isolated network, with `extra` arguments (e.g. `-s -S`).
pub fn command(board: &Board, elf: &Path, clock: Clock, extra: &[&str]) -> Command {
    command_with_peers(board, elf, clock, &[], extra)
}

/// The QEMU command for `elf` on `board` with the network mode of `peers`, and `extra`
/// arguments.
pub fn command_with_peers(board: &Board, elf: &Path, clock: Clock, peers: &[PeerSpec], extra: &[&str]) -> Command {
    let mut cmd = Command::new(&board.qemu_binary);
    cmd.args(&board.qemu_args);
    if let Some(nic) = &board.nic {
        let option = match Network::for_peers(peers) {
            Network::Isolated => nic.isolated.clone(),
            Network::Loopback { hostfwd } => {
                std::iter::once(nic.loopback.clone()).chain(hostfwd).collect::<Vec<_>>().join(",")
            }
        };
        cmd.arg("-nic").arg(option);
    }
    if clock == Clock::Icount {
        cmd.args(if peers.is_empty() { &board.icount_args } else { &board.icount_peer_args });
    }
    cmd.args(extra);
    cmd.arg("-kernel").arg(elf);
    cmd
}

/// Runs an image without peers non-interactively, capturing its console, killed after `timeout`.
pub fn run_captured(board: &Board, elf: &Path, timeout: Duration) -> Result<Captured> {
    process::run_captured(command(board, elf, Clock::Icount, &[]), Some(timeout), Echo::Quiet)
}

/// Runs an image non-interactively, capturing its console, killed after `timeout`. Its `peers`
/// run meanwhile (started first, stopped after QEMU ends, however it ends); their report lines
/// are appended to the output. `manifest` names the image in errors.
pub fn run_with_peers(
    board: &Board,
    elf: &Path,
    timeout: Duration,
    peers: &[PeerSpec],
    manifest: &str,
) -> Result<Captured> {
    check_board(board, peers, manifest)?;
    let running = peers::start(peers, manifest)?;
    let cmd = command_with_peers(board, elf, Clock::Icount, peers, &[]);
    let run = process::run_captured(cmd, Some(timeout), Echo::Quiet);
    let reports = running.stop();
    let mut run = run?;
    append_reports(&mut run.output, &reports);
    Ok(run)
}

/// Appends peer report lines to captured output, on lines of their own.
pub fn append_reports(output: &mut String, reports: &[String]) {
    if !reports.is_empty() && !output.is_empty() && !output.ends_with('\n') {
        output.push('\n');
    }
    for r in reports {
        output.push_str(r);
        output.push('\n');
    }
}

/// Runs an image with the terminal attached, its peers around it (their reports go to stderr
/// when QEMU ends); returns QEMU's exit code.
pub fn run_interactive(board: &Board, elf: &Path, peers: &[PeerSpec], manifest: &str) -> Result<i32> {
    check_board(board, peers, manifest)?;
    let running = peers::start(peers, manifest)?;
    let mut cmd = command_with_peers(board, elf, Clock::RealTime, peers, &[]);
    eprintln!("running: {}", process::display_command(&cmd));
    if !peers.is_empty() {
        let labels: Vec<String> = peers.iter().map(PeerSpec::label).collect();
        eprintln!("peers on 127.0.0.1 (10.0.2.2 for the guest): {}", labels.join(", "));
    }
    eprintln!("(press Ctrl-A then X to quit QEMU)");
    let status = cmd
        .stdin(Stdio::inherit())
        .status()
        .with_context(|| format!("cannot start {}; install it (Debian package qemu-system-arm)", board.qemu_binary));
    for r in running.stop() {
        eprintln!("{r}");
    }
    // Killed by a signal: report it the way a shell would.
    Ok(status?.code().unwrap_or(128 + 9))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::Nic;
    use crate::peers::PeerKind;

    fn board() -> Board {
        Board {
            name: "mps2-an505".into(),
            target: "thumbv8m.main-none-eabi".into(),
            qemu_binary: "qemu-system-arm".into(),
            qemu_args: vec!["-M".into(), "mps2-an505".into(), "-nographic".into()],
            icount_args: vec!["-icount".into(), "shift=0,sleep=off".into()],
            icount_peer_args: vec!["-icount".into(), "shift=0,sleep=on".into()],
            nic: Some(Nic { isolated: "user,restrict=on".into(), loopback: "user,restrict=off".into() }),
            ram: None,
            devices: vec![],
        }
    }

    fn peers() -> Vec<PeerSpec> {
        vec![
            PeerSpec { kind: PeerKind::UdpEcho, port: 17201 },
            PeerSpec { kind: PeerKind::TcpIntruder { guest_port: 7777, interval_ms: 100 }, port: 17202 },
            PeerSpec { kind: PeerKind::UdpIntruder { guest_port: 7778, interval_ms: 100 }, port: 17203 },
        ]
    }

    #[test]
    fn builds_command_lines_per_network_mode() {
        let elf = Path::new("target/fw/x/debug/preempt");
        let c = command(&board(), elf, Clock::Icount, &[]);
        assert_eq!(
            process::display_command(&c),
            "qemu-system-arm -M mps2-an505 -nographic -nic user,restrict=on -icount shift=0,sleep=off -kernel target/fw/x/debug/preempt"
        );
        let c = command(&board(), elf, Clock::RealTime, &["-s", "-S"]);
        assert_eq!(
            process::display_command(&c),
            "qemu-system-arm -M mps2-an505 -nographic -nic user,restrict=on -s -S -kernel target/fw/x/debug/preempt"
        );
        let c = command_with_peers(&board(), elf, Clock::Icount, &peers(), &[]);
        assert_eq!(
            process::display_command(&c),
            "qemu-system-arm -M mps2-an505 -nographic -nic user,restrict=off,hostfwd=tcp:127.0.0.1:17202-:7777,hostfwd=udp:127.0.0.1:17203-:7778 -icount shift=0,sleep=on -kernel target/fw/x/debug/preempt"
        );
        let c = command_with_peers(&board(), elf, Clock::RealTime, &peers()[..1], &[]);
        assert_eq!(
            process::display_command(&c),
            "qemu-system-arm -M mps2-an505 -nographic -nic user,restrict=off -kernel target/fw/x/debug/preempt"
        );
        let mut no_nic = board();
        no_nic.nic = None;
        let c = command(&no_nic, elf, Clock::Icount, &[]);
        assert!(!process::display_command(&c).contains("-nic"));
    }

    #[test]
    fn peers_need_a_board_with_a_loopback_nic() {
        assert!(check_board(&board(), &peers(), "m.toml").is_ok());
        let mut no_nic = board();
        no_nic.nic = None;
        assert!(check_board(&no_nic, &[], "m.toml").is_ok());
        let e = format!("{:#}", check_board(&no_nic, &peers(), "m.toml").unwrap_err());
        assert!(e.starts_with("m.toml: the image declares [[peer]]s but board mps2-an505 has no [qemu.nic]"), "{e}");
        let mut no_clock = board();
        no_clock.icount_peer_args.clear();
        let e = format!("{:#}", check_board(&no_clock, &peers(), "m.toml").unwrap_err());
        assert!(e.contains("add icount_peer_args"), "{e}");
    }

    #[test]
    fn reports_are_appended_on_lines_of_their_own() {
        let mut out = String::from("PASS");
        append_reports(&mut out, &["peer udp-echo:1: 1 datagrams, 3 bytes echoed".into()]);
        assert_eq!(out, "PASS\npeer udp-echo:1: 1 datagrams, 3 bytes echoed\n");
        let mut empty = String::new();
        append_reports(&mut empty, &[]);
        assert_eq!(empty, "");
    }

    #[test]
    fn peers_are_stopped_when_qemu_cannot_start() {
        let mut missing = board();
        missing.qemu_binary = "definitely-not-a-qemu-xyz".into();
        let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = holder.local_addr().unwrap().port();
        drop(holder);
        let specs = [PeerSpec { kind: PeerKind::TcpEcho, port }];
        let e = run_with_peers(&missing, Path::new("x.elf"), Duration::from_secs(5), &specs, "m.toml").unwrap_err();
        assert!(format!("{e:#}").contains("check that the program is installed"), "{e:#}");
        std::net::TcpListener::bind(("127.0.0.1", port)).expect("the peer was stopped and its port freed");
    }

    #[test]
    fn peers_run_alongside_the_program_and_report_after_it() {
        // A stand-in for QEMU: a shell that talks to the udp-echo peer and exits 3.
        let holder = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = holder.local_addr().unwrap().port();
        drop(holder);
        let mut fake = board();
        fake.qemu_binary = "bash".into();
        fake.qemu_args =
            vec!["-c".into(), format!("printf hi > /dev/udp/127.0.0.1/{port}; sleep 0.3; echo guest done; exit 3")];
        fake.nic = Some(Nic { isolated: "x".into(), loopback: "y".into() });
        let specs = [PeerSpec { kind: PeerKind::UdpEcho, port }];
        let run = run_with_peers(&fake, Path::new("x.elf"), Duration::from_secs(20), &specs, "m.toml").unwrap();
        assert_eq!(run.code, Some(3));
        assert!(run.output.contains("guest done\n"), "{}", run.output);
        assert!(
            run.output.ends_with(&format!("peer udp-echo:{port}: 1 datagrams, 2 bytes echoed\n")),
            "{}",
            run.output
        );
    }
}
