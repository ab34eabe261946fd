//! `cargo xtask`: the single build/test entry point of the RTOS workspace.
//!
//! Run `cargo xtask help` for the commands.

mod audit;
mod bench;
mod board;
mod c_compartment;
mod codegen;
mod compartment;
mod firmware;
mod freertos;
mod manifest;
mod netbench;
mod peers;
mod policy;
mod process;
mod qemu;
mod signature;
mod test_runner;
mod toolchain;
mod upstream;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use board::Board;
use firmware::{Builder, Profile};
use manifest::{Image, Inventory};
use toolchain::Needs;

/// Target used to pick a toolchain when no image names a board yet.
pub const DEFAULT_TARGET: &str = "thumbv8m.main-none-eabi";

const USAGE: &str = "\
cargo xtask — build, run, debug, test and benchmark the RTOS

USAGE:
    cargo xtask build [IMAGE...] [--release]   build firmware images (default: all)
    cargo xtask run <IMAGE> [--release]        build, then run in QEMU (quit: Ctrl-A X), with
                                               the image's network peers ([[peer]])
    cargo xtask debug <IMAGE>                  build, start QEMU halted with a gdb server on
                                               :1234, and attach gdb-multiarch
    cargo xtask test [FILTER]                  tools check, lints, host tests, firmware tests,
                                               audit policy tests, FreeRTOS trace tests
    cargo xtask test freertos --bless          record the golden traces of the FreeRTOS trace
                                               programs from the reference kernel (each run
                                               twice; the traces must agree)
    cargo xtask bench [FILTER]                 run benchmark images, print results and sizes;
                                               FreeRTOS benches: queue, semaphore, mutex,
                                               notify, yield (reference kernel figures);
                                               `net`: TCP round trip and throughput in busy
                                               instructions, lwIP on the reference kernel
                                               (host peers on 127.0.0.1)
    cargo xtask audit [IMAGE...]               build images (dev), print their audit reports
                                               and, for images with compartments, the verdicts
                                               of the policies in policies/*.rego
    cargo xtask help [manifest]                this text, or the image manifest schema

TEST FILTERS:
    (none)     everything: lint/*, host unit tests, all firmware tests, all audit policy tests
    lint       cargo fmt --check, clippy for host and firmware crates
    host       host unit tests of the default members
    tooling    host unit tests of xtask
    kernel     host unit tests of rtos and firmware tests of group `kernel`
    boundary   host unit tests of rtos, firmware tests and audit policy tests of the
               `boundary` group
    audit      audit policy tests only: audit/<image>/<policy> for every image with
               compartments
    freertos   FreeRTOS differential tests: every program in tests/freertos/programs/
               built against each platform (now: the reference FreeRTOS-Kernel V11.2.0),
               run under QEMU, its trace compared with tests/freertos/expected/
               (freertos/<platform>/<program>; part of a program name selects it too)
    other      firmware tests whose group equals it or whose image name contains it, the
               audit policy tests of those images, and FreeRTOS programs whose name
               contains it

Images are the `images/<bin>.toml` manifests of firmware crates (Cargo.toml:
[package.metadata.rtos] firmware = true). ELF files land in
target/fw/<target>/{debug,release}/<image>, their audit reports in
target/fw/audit/<image>.{json,txt} (docs/audit.md). Compartment crates ([package.metadata.rtos]
compartment = true, a staticlib) are built and linked into the images whose [[compartment]]
tables name them; generated files are under target/rtos-gen/.

ENVIRONMENT:
    RTOS_TOOLCHAIN   rustup toolchain to build firmware with (default: auto-detect)";

/// Workspace root: the parent of this crate's directory.
fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// `path` relative to the workspace root with `/` separators, for messages.
pub fn rel_path(ws: &Path, path: &Path) -> String {
    let Ok(rel) = path.strip_prefix(ws) else {
        return path.to_string_lossy().into_owned();
    };
    rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/")
}

/// Loads the board of every image.
pub fn load_boards(ws: &Path, inv: &Inventory) -> Result<BTreeMap<String, Board>> {
    let mut boards = BTreeMap::new();
    for image in &inv.images {
        if !boards.contains_key(&image.config.board) {
            let b = board::load(ws, &image.config.board)
                .with_context(|| format!("{}: cannot use its board", image.manifest))?;
            boards.insert(image.config.board.clone(), b);
        }
    }
    Ok(boards)
}

/// Targets to detect a toolchain for, and the QEMU binary to check for.
pub fn targets_and_qemu(ws: &Path, boards: &BTreeMap<String, Board>) -> (Vec<String>, String) {
    let mut all: Vec<Board> = boards.values().cloned().collect();
    if all.is_empty() {
        all = board::list(ws).iter().filter_map(|name| board::load(ws, name).ok()).collect();
    }
    let mut targets: Vec<String> = all.iter().map(|b| b.target.clone()).collect();
    targets.sort();
    targets.dedup();
    if targets.is_empty() {
        targets.push(DEFAULT_TARGET.to_owned());
    }
    let qemu = all.first().map_or("qemu-system-arm".to_owned(), |b| b.qemu_binary.clone());
    (targets, qemu)
}

/// Parsed command line.
#[derive(Debug, PartialEq, Eq)]
enum Cli {
    Help(Option<String>),
    Build { images: Vec<String>, release: bool },
    Run { image: String, release: bool },
    Debug { image: String },
    Test { filter: Option<String>, bless: bool },
    Bench { filter: Option<String> },
    Audit { images: Vec<String> },
}

fn parse_args(args: &[String]) -> Result<Cli> {
    let Some((cmd, rest)) = args.split_first() else {
        return Ok(Cli::Help(None));
    };
    let mut release = false;
    let mut bless = false;
    let mut positional = Vec::new();
    for a in rest {
        match a.as_str() {
            "--release" | "-r" => release = true,
            "--bless" if cmd == "test" => bless = true,
            "-h" | "--help" => return Ok(Cli::Help(None)),
            flag if flag.starts_with('-') => {
                bail!("unknown option `{flag}` for `cargo xtask {cmd}`; run `cargo xtask help` for usage")
            }
            _ => positional.push(a.clone()),
        }
    }
    let no_release = |name: &str| -> Result<()> {
        if release {
            bail!("`cargo xtask {name}` has no --release option; run `cargo xtask help` for usage");
        }
        Ok(())
    };
    let at_most_one = |name: &str, what: &str| -> Result<Option<String>> {
        if positional.len() > 1 {
            bail!(
                "`cargo xtask {name}` takes at most one {what}, got: {}; run `cargo xtask help` for usage",
                positional.join(" ")
            );
        }
        Ok(positional.first().cloned())
    };
    Ok(match cmd.as_str() {
        "help" | "-h" | "--help" => Cli::Help(positional.first().cloned()),
        "build" => Cli::Build { images: positional, release },
        "run" | "debug" => {
            let Some(image) = at_most_one(cmd, "image")? else {
                bail!("`cargo xtask {cmd}` needs an image name, e.g. `cargo xtask {cmd} demo`; `cargo xtask build` lists nothing? see `cargo xtask help`");
            };
            if cmd == "run" {
                Cli::Run { image, release }
            } else {
                no_release("debug")?;
                Cli::Debug { image }
            }
        }
        "test" => {
            no_release("test")?;
            Cli::Test { filter: at_most_one("test", "filter")?, bless }
        }
        "bench" => {
            no_release("bench")?;
            Cli::Bench { filter: at_most_one("bench", "filter")? }
        }
        "audit" => {
            no_release("audit")?;
            Cli::Audit { images: positional }
        }
        other => {
            bail!("unknown command `{other}`; run `cargo xtask help` for the list of commands")
        }
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match parse_args(&args).and_then(|cli| dispatch(cli, &workspace_root())) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    };
    std::process::exit(code);
}

fn dispatch(cli: Cli, ws: &Path) -> Result<i32> {
    match cli {
        Cli::Help(topic) => help(topic.as_deref()),
        Cli::Build { images, release } => build_cmd(ws, &images, profile(release)),
        Cli::Run { image, release } => run_cmd(ws, &image, profile(release)),
        Cli::Debug { image } => debug_cmd(ws, &image),
        Cli::Test { filter, bless } => test_runner::run(ws, filter.as_deref(), bless),
        Cli::Bench { filter } => bench_cmd(ws, filter.as_deref()),
        Cli::Audit { images } => audit_cmd(ws, &images),
    }
}

fn profile(release: bool) -> Profile {
    if release {
        Profile::Release
    } else {
        Profile::Dev
    }
}

fn help(topic: Option<&str>) -> Result<i32> {
    match topic {
        None => println!("{USAGE}"),
        Some("manifest") => print!("{}", manifest::SCHEMA_HELP),
        Some(other) => {
            bail!("no help on `{other}`; try `cargo xtask help` or `cargo xtask help manifest`")
        }
    }
    Ok(0)
}

/// Discovered images, their boards, the firmware toolchain and generated code.
struct Session {
    ws: PathBuf,
    inventory: Inventory,
    boards: BTreeMap<String, Board>,
    toolchain: toolchain::Toolchain,
    gen_dir: PathBuf,
}

impl Session {
    /// Discovers images, checks that `names` exist (before installing anything), ensures the
    /// tools in `needs` plus the firmware toolchain, and generates the image code.
    fn open(ws: &Path, needs: Needs, names: &[String]) -> Result<Session> {
        let inventory = manifest::discover(ws)?;
        inventory.select(names)?;
        let boards = load_boards(ws, &inventory)?;
        let (targets, qemu) = targets_and_qemu(ws, &boards);
        let env = toolchain::ensure(ws, Needs { firmware: true, ..needs }, &targets, &qemu)?;
        let Some(toolchain) = env.toolchain else {
            bail!("no firmware toolchain was found; set RTOS_TOOLCHAIN or run `cargo xtask test` to install one");
        };
        let gen_dir = codegen::write_all(ws, &inventory.images)?;
        Ok(Session { ws: ws.to_path_buf(), inventory, boards, toolchain, gen_dir })
    }

    fn builder(&self) -> Builder<'_> {
        Builder { ws: &self.ws, toolchain: &self.toolchain, boards: &self.boards, gen_dir: &self.gen_dir }
    }

    /// Builds `images`, printing compiler messages; fails if any crate failed.
    fn build(&self, images: &[&Image], profile: Profile) -> Result<()> {
        let colour = process::stderr_is_terminal();
        let mut failed = Vec::new();
        for b in self.builder().build(images, profile)? {
            if b.success() {
                eprint!("{}", b.messages(colour));
            } else {
                eprint!("{}", b.failure_report(colour));
                failed.push(b.package.clone());
            }
        }
        if !failed.is_empty() {
            bail!(
                "firmware build failed in crate {}; fix the errors above and run the command again",
                failed.join(", ")
            );
        }
        Ok(())
    }
}

fn build_cmd(ws: &Path, names: &[String], profile: Profile) -> Result<i32> {
    let s = Session::open(ws, Needs::default(), names)?;
    let images: Vec<&Image> =
        if names.is_empty() { s.inventory.images.iter().collect() } else { s.inventory.select(names)? };
    if images.is_empty() {
        bail!(
            "there are no images to build; add images/<bin>.toml to a firmware crate (see `cargo xtask help manifest`)"
        );
    }
    s.build(&images, profile)?;
    for image in images {
        println!("{}: {}", image.name, rel_path(ws, &s.builder().elf(image, profile)?));
    }
    Ok(0)
}

fn run_cmd(ws: &Path, name: &str, profile: Profile) -> Result<i32> {
    let s = Session::open(ws, Needs { qemu: true, ..Needs::default() }, &[name.to_owned()])?;
    let image = s.inventory.get(name)?;
    s.build(&[image], profile)?;
    let builder = s.builder();
    qemu::run_interactive(builder.board_of(image)?, &builder.elf(image, profile)?, &image.config.peers, &image.manifest)
}

fn debug_cmd(ws: &Path, name: &str) -> Result<i32> {
    use std::os::unix::process::CommandExt;

    let s = Session::open(ws, Needs { qemu: true, gdb: true, ..Needs::default() }, &[name.to_owned()])?;
    let image = s.inventory.get(name)?;
    s.build(&[image], Profile::Dev)?;
    let builder = s.builder();
    let elf = builder.elf(image, Profile::Dev)?;
    let mut qemu = qemu::command(builder.board_of(image)?, &elf, qemu::Clock::RealTime, &["-s", "-S"]);
    eprintln!("starting QEMU in the background: {}", process::display_command(&qemu));
    // Own process group: Ctrl-C in gdb interrupts the target instead of killing QEMU.
    let mut child = qemu
        .stdin(Stdio::null())
        .process_group(0)
        .spawn()
        .context("cannot start QEMU; install the Debian package qemu-system-arm")?;
    std::thread::sleep(Duration::from_millis(300));
    if let Ok(Some(status)) = child.try_wait() {
        bail!("QEMU exited at once ({status}); is port 1234 in use by another QEMU? stop it and retry");
    }
    // gdb leaves a remote target running when it quits, and after `exec` nobody would wait for
    // QEMU: a watchdog in QEMU's process group stops QEMU once this process (then gdb, same
    // pid) is gone.
    let watchdog = Command::new("sh")
        .args(["-c", "while kill -0 \"$1\" 2>/dev/null; do sleep 0.5; done; kill \"$2\" 2>/dev/null", "qemu-watchdog"])
        .arg(std::process::id().to_string())
        .arg(child.id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
    if let Err(e) = watchdog {
        let _ = child.kill();
        bail!("cannot start the QEMU watchdog shell ({e}); check that /bin/sh exists");
    }
    let mut gdb = Command::new("gdb-multiarch");
    gdb.arg(&elf).args(["-ex", "target remote :1234"]);
    eprintln!("running: {}", process::display_command(&gdb));
    eprintln!("(quitting gdb also stops QEMU)");
    // Replace this process so gdb owns the terminal; on success `exec` does not return.
    let err = gdb.exec();
    let _ = child.kill();
    Err(err).context("cannot start gdb-multiarch; install the Debian package gdb-multiarch")
}

fn bench_cmd(ws: &Path, filter: Option<&str>) -> Result<i32> {
    let s = Session::open(ws, Needs { qemu: true, ..Needs::default() }, &[])?;
    let freertos = freertos::select_benches(filter);
    let net = netbench::selected(filter);
    // A filter naming only FreeRTOS or network benches (`queue`, `net`, ...) skips the Rust images.
    let rust_selected = filter.is_none() || !bench::select(&s.inventory, filter).is_empty();
    let mut code = 0;
    if rust_selected || (freertos.is_empty() && !net) {
        code = bench::run(&s.builder(), &s.inventory, filter)?;
    }
    let fw = freertos::FirmwareContext { builder: s.builder(), inventory: &s.inventory };
    if !freertos.is_empty() {
        let board = board::load(ws, freertos::BOARD)?;
        code = code.max(freertos::run_benches(ws, &board, &freertos, &fw)?);
    }
    if net {
        let board = board::load(ws, freertos::BOARD)?;
        code = code.max(netbench::run(ws, &board, &fw)?);
    }
    Ok(code)
}

/// `cargo xtask audit [IMAGE...]`: builds (dev), prints each report and the policy verdicts.
fn audit_cmd(ws: &Path, names: &[String]) -> Result<i32> {
    let s = Session::open(ws, Needs::default(), names)?;
    let images: Vec<&Image> =
        if names.is_empty() { s.inventory.images.iter().collect() } else { s.inventory.select(names)? };
    if images.is_empty() {
        bail!(
            "there are no images to audit; add images/<bin>.toml to a firmware crate (see `cargo xtask help manifest`)"
        );
    }
    s.build(&images, Profile::Dev)?;
    let needs_policies = images.iter().any(|i| !i.config.compartments.is_empty());
    let policies = if needs_policies { policy::discover(ws)? } else { Vec::new() };
    let mut failed = 0;
    for (n, image) in images.iter().enumerate() {
        if n > 0 {
            println!("\n{}\n", "-".repeat(78));
        }
        let json_path = audit::json_path(ws, &image.name);
        let text_path = audit::text_path(ws, &image.name);
        let read = |p: &Path| {
            std::fs::read_to_string(p).with_context(|| format!("cannot read {}; build the image again", p.display()))
        };
        print!("{}", read(&text_path)?);
        if !image.config.compartments.is_empty() {
            let json = read(&json_path)?;
            println!("\npolicies ({}/*.rego):", policy::POLICY_DIR);
            for p in &policies {
                match policy::evaluate(p, &json) {
                    Ok(deny) if deny.is_empty() => println!("  PASS {}", p.name),
                    Ok(deny) => {
                        failed += 1;
                        println!("  FAIL {}: {} violation(s)", p.name, deny.len());
                        for m in deny {
                            println!("    {m}");
                        }
                    }
                    Err(e) => {
                        failed += 1;
                        println!("  FAIL {}: {e}", p.name);
                    }
                }
            }
        }
        println!("\nreport: {}\ntext:   {}", rel_path(ws, &json_path), rel_path(ws, &text_path));
    }
    if failed > 0 {
        eprintln!("error: {failed} policy check(s) failed; see FAIL above (docs/audit.md explains each policy)");
    }
    Ok(if failed > 0 { 1 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn parses_command_lines() {
        assert_eq!(parse_args(&[]).unwrap(), Cli::Help(None));
        assert_eq!(parse_args(&args("help manifest")).unwrap(), Cli::Help(Some("manifest".into())));
        assert_eq!(
            parse_args(&args("build a b --release")).unwrap(),
            Cli::Build { images: vec!["a".into(), "b".into()], release: true }
        );
        assert_eq!(parse_args(&args("run demo")).unwrap(), Cli::Run { image: "demo".into(), release: false });
        assert_eq!(
            parse_args(&args("test kernel")).unwrap(),
            Cli::Test { filter: Some("kernel".into()), bless: false }
        );
        assert_eq!(
            parse_args(&args("test freertos --bless")).unwrap(),
            Cli::Test { filter: Some("freertos".into()), bless: true }
        );
        assert_eq!(parse_args(&args("bench")).unwrap(), Cli::Bench { filter: None });
        assert_eq!(parse_args(&args("audit")).unwrap(), Cli::Audit { images: vec![] });
        assert_eq!(
            parse_args(&args("audit isolation demo")).unwrap(),
            Cli::Audit { images: vec!["isolation".into(), "demo".into()] }
        );
    }

    #[test]
    fn rejects_bad_command_lines_with_hints() {
        for (line, needle) in [
            ("frobnicate", "unknown command `frobnicate`; run `cargo xtask help`"),
            ("build --fast", "unknown option `--fast`"),
            ("run", "needs an image name"),
            ("run a b", "takes at most one image"),
            ("test a b", "takes at most one filter"),
            ("debug demo --release", "has no --release option"),
            ("audit demo --release", "has no --release option"),
            ("bench --bless", "unknown option `--bless`"),
        ] {
            let e = format!("{:#}", parse_args(&args(line)).unwrap_err());
            assert!(e.contains(needle), "{line}: {e}");
        }
    }

    #[test]
    fn relative_paths_use_slashes() {
        assert_eq!(
            rel_path(Path::new("/ws"), Path::new("/ws/tests/kernel/images/a.toml")),
            "tests/kernel/images/a.toml"
        );
        assert_eq!(rel_path(Path::new("/ws"), Path::new("/other/x")), "/other/x");
    }
}
