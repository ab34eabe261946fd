//! Child-process helpers: `PATH` lookup, scrubbing the environment that an outer `cargo run`
//! leaks into children, and running a command with merged, captured output and a time limit.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// Variables set by the outer `cargo run` / rustup proxy that would change how a nested cargo
/// behaves (toolchain, compiler, flags, target dir, jobserver). Removed from every child cargo.
const LEAKED_VARS: &[&str] = &[
    "RUSTC",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "RUSTDOC",
    "RUSTDOCFLAGS",
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_ENCODED_RUSTDOCFLAGS",
    "CARGO_BUILD_TARGET",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_MAKEFLAGS",
    "MAKEFLAGS",
    "MFLAGS",
    "CARGO",
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_NAME",
    "CARGO_RUSTC_CURRENT_DIR",
    "RUST_RECURSION_COUNT",
    "RUSTUP_TOOLCHAIN_SOURCE",
    "RTOS_GEN_DIR",
    "RUSTC_BOOTSTRAP",
];

/// Prefixes of leaked variables (package metadata of the xtask crate itself).
const LEAKED_PREFIXES: &[&str] = &["CARGO_PKG_", "CARGO_CFG_"];

/// Removes everything the outer cargo/rustup leaked into our environment from `cmd`.
/// `keep_toolchain` keeps `RUSTUP_TOOLCHAIN` so host commands use the same toolchain as the
/// `cargo xtask` invocation; firmware commands pick their toolchain explicitly and drop it.
pub fn scrub_cargo_env(cmd: &mut Command, keep_toolchain: bool) {
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if LEAKED_VARS.contains(&key) || LEAKED_PREFIXES.iter().any(|p| key.starts_with(p)) {
            cmd.env_remove(key);
        }
    }
    if !keep_toolchain {
        cmd.env_remove("RUSTUP_TOOLCHAIN");
    }
    // `cargo run` prepends the xtask target dir and the host toolchain's libraries to the
    // dynamic loader path; another toolchain's rustc must not pick those up.
    if let Some(path) = std::env::var_os("LD_LIBRARY_PATH") {
        let kept: Vec<PathBuf> = std::env::split_paths(&path).filter(|p| !is_leaked_library_dir(p)).collect();
        if kept.is_empty() {
            cmd.env_remove("LD_LIBRARY_PATH");
        } else if let Ok(joined) = std::env::join_paths(kept) {
            cmd.env("LD_LIBRARY_PATH", joined);
        }
    }
}

fn is_leaked_library_dir(p: &Path) -> bool {
    let s = p.to_string_lossy();
    s.contains("/toolchains/") || s.contains("/rustlib/") || s.contains("/target/")
}

/// Finds an executable named `name` on `PATH`.
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

/// Renders a command the way a user would type it (for "running: ..." lines and error hints).
pub fn display_command(cmd: &Command) -> String {
    let mut parts = vec![quote(cmd.get_program())];
    parts.extend(cmd.get_args().map(quote));
    parts.join(" ")
}

fn quote(s: &OsStr) -> String {
    let s = s.to_string_lossy();
    let plain = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:+,@%".contains(c));
    if plain {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n);
    lines[start..].join("\n")
}

/// Removes ANSI escape sequences (colour codes) so output can be searched.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            match chars.next() {
                // CSI: parameters and intermediates, then one final byte in '@'..='~'.
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // Character set selection (`ESC ( B`): one more byte.
                Some('(' | ')' | '*' | '+') => {
                    chars.next();
                }
                // Other two-byte sequences (`ESC =`, `ESC >`, ...).
                _ => {}
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// Which lines of a child's output are echoed to our stderr while it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Echo {
    /// Nothing; everything is only captured.
    Quiet,
    /// Only cargo progress lines (`Compiling ...`, `Finished ...`), so long builds show life.
    CargoStatus,
}

/// The result of [`run_captured`].
#[derive(Debug)]
pub struct Captured {
    /// Exit code; `None` if killed by a signal or by the time limit.
    pub code: Option<i32>,
    /// Whether the time limit was hit (the child was killed).
    pub timed_out: bool,
    /// stdout and stderr, interleaved as the child wrote them.
    pub output: String,
}

impl Captured {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// Runs `cmd` with stdin closed and stdout+stderr merged into one captured stream.
/// With a `timeout`, the child is killed when it runs longer.
pub fn run_captured(mut cmd: Command, timeout: Option<Duration>, echo: Echo) -> Result<Captured> {
    let (reader, writer) = std::io::pipe().context("cannot create a pipe for the child's output")?;
    let writer2 = writer.try_clone().context("cannot duplicate the output pipe")?;
    cmd.stdin(Stdio::null()).stdout(writer).stderr(writer2);
    let shown = display_command(&cmd);
    let mut child =
        cmd.spawn().with_context(|| format!("cannot start `{shown}`; check that the program is installed"))?;
    // The `Command` holds the write ends; drop it so the reader sees end-of-file when the
    // child exits.
    drop(cmd);

    let reader_thread = std::thread::spawn(move || {
        let mut reader = BufReader::new(reader);
        let mut all = Vec::new();
        let mut line = Vec::new();
        let stderr = std::io::stderr();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if echo == Echo::CargoStatus && is_cargo_status_line(&String::from_utf8_lossy(&line)) {
                        let mut err = stderr.lock();
                        let _ = err.write_all(&line);
                        let _ = err.flush();
                    }
                    all.extend_from_slice(&line);
                }
            }
        }
        String::from_utf8_lossy(&all).into_owned()
    });

    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().context("cannot wait for a child process")? {
            break status;
        }
        if timeout.is_some_and(|t| start.elapsed() >= t) {
            timed_out = true;
            let _ = child.kill();
            break child.wait().context("cannot reap a killed child process")?;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = reader_thread.join().unwrap_or_default();
    Ok(Captured { code: if timed_out { None } else { status.code() }, timed_out, output })
}

/// Cargo's progress lines: a right-aligned verb such as `Compiling` then a space. Accepts text
/// with or without colour codes.
pub fn is_cargo_status_line(line: &str) -> bool {
    const VERBS: &[&str] = &[
        "Compiling",
        "Checking",
        "Finished",
        "Downloading",
        "Downloaded",
        "Updating",
        "Locking",
        "Adding",
        "Blocking",
        "Running",
        "Doc-tests",
    ];
    let text = strip_ansi(line);
    let trimmed = text.trim_start();
    let first = trimmed.split_whitespace().next().unwrap_or("");
    VERBS.contains(&first) && (text.starts_with(' ') || first.len() >= 12)
}

/// Whether our stderr is a terminal (used to ask cargo for colour output).
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_last_lines() {
        assert_eq!(tail("a\nb\nc\nd", 2), "c\nd");
        assert_eq!(tail("a", 5), "a");
        assert_eq!(tail("", 5), "");
    }

    #[test]
    fn strips_colour_codes() {
        assert_eq!(strip_ansi("\u{1b}[1m\u{1b}[31merror\u{1b}[0m: x"), "error: x");
    }

    #[test]
    fn recognises_cargo_status_lines() {
        assert!(is_cargo_status_line("   Compiling rtos v0.1.0 (/x)\n"));
        assert!(is_cargo_status_line("    Finished `dev` profile\n"));
        assert!(!is_cargo_status_line("error[E0425]: cannot find value\n"));
        assert!(!is_cargo_status_line("  |     crate::Compiling\n"));
    }

    #[test]
    fn quotes_only_when_needed() {
        let mut cmd = Command::new("qemu-system-arm");
        cmd.args(["-M", "mps2-an505", "-ex", "target remote :1234"]);
        assert_eq!(display_command(&cmd), "qemu-system-arm -M mps2-an505 -ex 'target remote :1234'");
    }

    #[test]
    fn captures_merged_output_and_exit_code() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo out; echo err >&2; exit 3"]);
        let c = run_captured(cmd, Some(Duration::from_secs(20)), Echo::Quiet).unwrap();
        assert_eq!(c.code, Some(3));
        assert!(!c.timed_out);
        assert!(c.output.contains("out\n") && c.output.contains("err\n"));
    }

    #[test]
    fn kills_on_timeout() {
        let mut cmd = Command::new("sleep");
        cmd.arg("30");
        let start = Instant::now();
        let c = run_captured(cmd, Some(Duration::from_millis(200)), Echo::Quiet).unwrap();
        assert!(c.timed_out);
        assert_eq!(c.code, None);
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn missing_program_is_an_error_not_a_panic() {
        let cmd = Command::new("definitely-not-a-program-xyz");
        let err = run_captured(cmd, None, Echo::Quiet).unwrap_err();
        assert!(format!("{err:#}").contains("check that the program is installed"));
    }
}
