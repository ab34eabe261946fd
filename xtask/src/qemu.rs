//! Running firmware images under QEMU, with the command line taken from the board file.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::board::Board;
use crate::process::{self, Captured, Echo};

/// How QEMU is started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// Real time (interactive `run`/`debug`).
    RealTime,
    /// Deterministic instruction counting (tests and benches): the board's `icount_args`.
    Icount,
}

/// The QEMU command for `elf` on `board`, with `extra` arguments (e.g. `-s -S`).
pub fn command(board: &Board, elf: &Path, clock: Clock, extra: &[&str]) -> Command {
    let mut cmd = Command::new(&board.qemu_binary);
    cmd.args(&board.qemu_args);
    if clock == Clock::Icount {
        cmd.args(&board.icount_args);
    }
    cmd.args(extra);
    cmd.arg("-kernel").arg(elf);
    cmd
}

/// Runs an image non-interactively, capturing its console, killed after `timeout`.
pub fn run_captured(board: &Board, elf: &Path, timeout: Duration) -> Result<Captured> {
    let cmd = command(board, elf, Clock::Icount, &[]);
    process::run_captured(cmd, Some(timeout), Echo::Quiet)
}

/// Runs an image with the terminal attached; returns QEMU's exit code.
pub fn run_interactive(board: &Board, elf: &Path) -> Result<i32> {
    let mut cmd = command(board, elf, Clock::RealTime, &[]);
    eprintln!("running: {}", process::display_command(&cmd));
    eprintln!("(press Ctrl-A then X to quit QEMU)");
    let status = cmd
        .stdin(Stdio::inherit())
        .status()
        .with_context(|| format!("cannot start {}; install it (Debian package qemu-system-arm)", board.qemu_binary))?;
    // Killed by a signal: report it the way a shell would.
    Ok(status.code().unwrap_or(128 + 9))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board() -> Board {
        Board {
            name: "mps2-an505".into(),
            target: "thumbv8m.main-none-eabi".into(),
            qemu_binary: "qemu-system-arm".into(),
            qemu_args: vec!["-M".into(), "mps2-an505".into(), "-nographic".into()],
            icount_args: vec!["-icount".into(), "shift=0,sleep=off".into()],
            ram: None,
            devices: vec![],
        }
    }

    #[test]
    fn builds_command_lines() {
        let elf = Path::new("target/fw/x/debug/preempt");
        let c = command(&board(), elf, Clock::Icount, &[]);
        assert_eq!(
            process::display_command(&c),
            "qemu-system-arm -M mps2-an505 -nographic -icount shift=0,sleep=off -kernel target/fw/x/debug/preempt"
        );
        let c = command(&board(), elf, Clock::RealTime, &["-s", "-S"]);
        assert_eq!(
            process::display_command(&c),
            "qemu-system-arm -M mps2-an505 -nographic -s -S -kernel target/fw/x/debug/preempt"
        );
    }
}
