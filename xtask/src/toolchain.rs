//! Finding (and, as root on Debian, installing) a Rust toolchain that can build for the
//! firmware target, plus the host tools the other subcommands need.
//!
//! Detection order:
//! 1. `RTOS_TOOLCHAIN=<rustup toolchain>`;
//! 2. a rustup toolchain with the prebuilt target (`lib/rustlib/<target>/lib/libcore-*.rlib`);
//! 3. a rustup toolchain with the standard library source (build-std), `debian-web` first;
//! 4. without rustup: `/usr/bin/cargo` with the source in `/usr/lib/rustlib/src/rust/library`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{bail, Context, Result};

use crate::process::{self, find_in_path};

/// Debian packages providing a toolchain with the standard library source (build-std).
pub const TOOLCHAIN_PACKAGES: &[&str] = &["rustc-web", "rust-web-src", "cargo-web", "rust-web-clippy"];
/// The name under which the Debian toolchain is linked into rustup.
pub const DEBIAN_TOOLCHAIN: &str = "debian-web";
/// Sysroot of the Debian toolchain.
const DEBIAN_SYSROOT: &str = "/usr";

/// How the firmware target's `core`/`alloc` are obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The toolchain ships the compiled target libraries: a plain `cargo build`.
    Prebuilt,
    /// Only the library source is available: `-Zbuild-std=core,alloc` with `RUSTC_BOOTSTRAP=1`.
    BuildStd,
}

/// A toolchain able to build firmware.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toolchain {
    /// rustup toolchain name; `None` means the system cargo at `/usr/bin/cargo` (no rustup).
    pub rustup_name: Option<String>,
    pub sysroot: PathBuf,
    pub mode: Mode,
}

impl Toolchain {
    /// Human-readable description, e.g. `debian-web (/usr, build-std)`.
    pub fn describe(&self) -> String {
        let name = self.rustup_name.as_deref().unwrap_or("system cargo");
        let mode = match self.mode {
            Mode::Prebuilt => "prebuilt target",
            Mode::BuildStd => "build-std",
        };
        format!("{name} ({}, {mode})", self.sysroot.display())
    }

    /// A `cargo` command for this toolchain with a scrubbed environment, run in `ws`, using the
    /// firmware target directory `ws/target/fw`.
    pub fn cargo(&self, ws: &Path) -> Command {
        let mut cmd = match &self.rustup_name {
            Some(name) => {
                let mut c = Command::new("rustup");
                c.args(["run", name, "cargo"]);
                c
            }
            None => Command::new(Path::new(DEBIAN_SYSROOT).join("bin/cargo")),
        };
        process::scrub_cargo_env(&mut cmd, false);
        if self.rustup_name.is_none() {
            // Set deliberately (after scrubbing) so the system cargo uses the system rustc.
            cmd.env("RUSTC", Path::new(DEBIAN_SYSROOT).join("bin/rustc"));
        }
        if self.mode == Mode::BuildStd {
            cmd.env("RUSTC_BOOTSTRAP", "1");
        }
        cmd.env("CARGO_TARGET_DIR", fw_target_dir(ws));
        cmd.current_dir(ws);
        cmd
    }

    /// Extra cargo arguments needed for this toolchain (build-std).
    pub fn build_std_args(&self) -> &'static [&'static str] {
        match self.mode {
            Mode::Prebuilt => &[],
            Mode::BuildStd => &["-Zbuild-std=core,alloc"],
        }
    }

    fn is_debian(&self) -> bool {
        self.rustup_name.as_deref().is_none_or(|n| n == DEBIAN_TOOLCHAIN) || self.sysroot == Path::new(DEBIAN_SYSROOT)
    }
}

/// `<workspace>/target/fw`: the firmware target directory, separate from the host build's.
pub fn fw_target_dir(ws: &Path) -> PathBuf {
    ws.join("target").join("fw")
}

/// What a sysroot offers for `targets`.
pub fn classify_sysroot(sysroot: &Path, targets: &[String]) -> Option<Mode> {
    if !targets.is_empty() && targets.iter().all(|t| has_prebuilt_core(sysroot, t)) {
        Some(Mode::Prebuilt)
    } else if has_library_source(sysroot) {
        Some(Mode::BuildStd)
    } else {
        None
    }
}

fn has_prebuilt_core(sysroot: &Path, target: &str) -> bool {
    let dir = sysroot.join("lib/rustlib").join(target).join("lib");
    std::fs::read_dir(dir).into_iter().flatten().flatten().any(|e| {
        let name = e.file_name();
        let name = name.to_string_lossy();
        name.starts_with("libcore-") && name.ends_with(".rlib")
    })
}

fn has_library_source(sysroot: &Path) -> bool {
    sysroot.join("lib/rustlib/src/rust/library/core/Cargo.toml").is_file()
}

/// Picks a toolchain among rustup toolchains `(name, sysroot)`, in rustup's listing order:
/// a prebuilt target first, then build-std preferring `debian-web`.
pub fn choose(candidates: &[(String, PathBuf)], targets: &[String]) -> Option<Toolchain> {
    let classified: Vec<(&String, &PathBuf, Mode)> =
        candidates.iter().filter_map(|(n, s)| classify_sysroot(s, targets).map(|m| (n, s, m))).collect();
    let pick = classified
        .iter()
        .find(|(_, _, m)| *m == Mode::Prebuilt)
        .or_else(|| classified.iter().find(|(n, _, _)| *n == DEBIAN_TOOLCHAIN))
        .or_else(|| classified.first())?;
    Some(Toolchain { rustup_name: Some(pick.0.clone()), sysroot: pick.1.clone(), mode: pick.2 })
}

/// Parses `rustup toolchain list` output (`name [(active, default)]` per line).
pub fn parse_toolchain_list(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.starts_with("no installed toolchains") && !l.starts_with("info:"))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

fn rustup_available() -> bool {
    find_in_path("rustup").is_some()
}

fn rustup_toolchains() -> Vec<String> {
    let mut cmd = Command::new("rustup");
    cmd.args(["toolchain", "list"]);
    process::scrub_cargo_env(&mut cmd, false);
    match cmd.stderr(Stdio::null()).output() {
        Ok(out) if out.status.success() => parse_toolchain_list(&String::from_utf8_lossy(&out.stdout)),
        _ => Vec::new(),
    }
}

fn sysroot_of(toolchain: &str) -> Option<PathBuf> {
    let mut cmd = Command::new("rustc");
    cmd.arg(format!("+{toolchain}")).args(["--print", "sysroot"]);
    process::scrub_cargo_env(&mut cmd, false);
    // Never let a probe try to download a toolchain.
    cmd.env("RUSTUP_AUTO_INSTALL", "0");
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (!s.is_empty()).then(|| PathBuf::from(s))
}

/// Finds a toolchain for `targets` without installing anything.
pub fn detect(targets: &[String]) -> Result<Option<Toolchain>> {
    if let Ok(name) = std::env::var("RTOS_TOOLCHAIN") {
        let name = name.trim().to_owned();
        if !name.is_empty() {
            return detect_override(&name, targets).map(Some);
        }
    }
    if rustup_available() {
        let candidates: Vec<(String, PathBuf)> =
            rustup_toolchains().into_iter().filter_map(|n| sysroot_of(&n).map(|s| (n, s))).collect();
        return Ok(choose(&candidates, targets));
    }
    let sysroot = Path::new(DEBIAN_SYSROOT);
    if sysroot.join("bin/cargo").is_file() && has_library_source(sysroot) {
        return Ok(Some(Toolchain { rustup_name: None, sysroot: sysroot.to_path_buf(), mode: Mode::BuildStd }));
    }
    Ok(None)
}

fn detect_override(name: &str, targets: &[String]) -> Result<Toolchain> {
    if !rustup_available() {
        bail!("RTOS_TOOLCHAIN={name} is set but rustup is not installed; unset RTOS_TOOLCHAIN to use the system toolchain");
    }
    let Some(sysroot) = sysroot_of(name) else {
        bail!(
            "RTOS_TOOLCHAIN={name}: rustup has no such toolchain; pick one of `rustup toolchain list` ({}) or unset RTOS_TOOLCHAIN",
            rustup_toolchains().join(", ")
        );
    };
    match classify_sysroot(&sysroot, targets) {
        Some(mode) => Ok(Toolchain {
            rustup_name: Some(name.to_owned()),
            sysroot,
            mode,
        }),
        None => bail!(
            "RTOS_TOOLCHAIN={name}: toolchain at {} has neither the {} target libraries nor the library source; run `rustup target add {} --toolchain {name}` (or `rustup component add rust-src --toolchain {name}`), or unset RTOS_TOOLCHAIN",
            sysroot.display(),
            targets.join(", "),
            targets.join(" "),
        ),
    }
}

/// What a subcommand needs besides the firmware toolchain and binutils.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// The firmware Rust toolchain (anything that builds firmware).
    pub firmware: bool,
    /// The emulator (run, debug, test, bench).
    pub qemu: bool,
    /// Clippy for the firmware toolchain (lint step of `test`).
    pub clippy: bool,
    /// gdb-multiarch (debug).
    pub gdb: bool,
}

/// Host executables and the Debian package providing each.
const BINUTILS: &[(&str, &str)] = &[
    ("arm-none-eabi-ld", "gcc-arm-none-eabi"),
    ("arm-none-eabi-gcc", "gcc-arm-none-eabi"),
    ("arm-none-eabi-size", "gcc-arm-none-eabi"),
    ("arm-none-eabi-nm", "gcc-arm-none-eabi"),
    // Compartments: localising symbols and listing sections of the partial links.
    ("arm-none-eabi-objcopy", "gcc-arm-none-eabi"),
    ("arm-none-eabi-objdump", "gcc-arm-none-eabi"),
];

/// Stands for libclang among the "executables" of [`missing_tool_packages`]'s `have`.
pub const LIBCLANG: &str = "libclang";
/// The Debian package providing libclang (for bindgen).
pub const LIBCLANG_PACKAGE: &str = "libclang-dev";

/// Whether a libclang shared library is where bindgen looks for it (`LIBCLANG_PATH`, then the
/// usual library directories, LLVM's included).
pub fn libclang_available() -> bool {
    let is_libclang =
        |name: &str| name.starts_with("libclang") && name.contains(".so") && !name.starts_with("libclang-cpp");
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(p) = std::env::var_os("LIBCLANG_PATH") {
        dirs.push(PathBuf::from(p));
    }
    dirs.extend(
        ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib", "/usr/local/lib", "/usr/lib64"]
            .map(PathBuf::from),
    );
    if let Ok(entries) = std::fs::read_dir("/usr/lib") {
        dirs.extend(entries.flatten().map(|e| e.path().join("lib")).filter(|p| p.to_string_lossy().contains("llvm")));
    }
    dirs.iter().any(|d| {
        std::fs::read_dir(d)
            .map(|es| es.flatten().any(|e| e.file_name().to_str().is_some_and(is_libclang)))
            .unwrap_or(false)
    })
}

/// Debian packages providing the missing host tools (deduplicated, in a stable order).
pub fn missing_tool_packages(needs: Needs, qemu_binary: &str, have: &dyn Fn(&str) -> bool) -> Vec<String> {
    let mut wanted: Vec<(&str, &str)> = Vec::new();
    if needs.firmware {
        wanted.extend_from_slice(BINUTILS);
    }
    if needs.qemu {
        wanted.push((qemu_binary, qemu_package(qemu_binary)));
    }
    if needs.gdb {
        wanted.push(("gdb-multiarch", "gdb-multiarch"));
    }
    let mut packages: Vec<String> = Vec::new();
    // bindgen (typed signatures of C compartments' exports) loads libclang at run time.
    if needs.firmware && !have(LIBCLANG) {
        packages.push(LIBCLANG_PACKAGE.to_owned());
    }
    for (exe, pkg) in wanted {
        if !have(exe) && !packages.iter().any(|p| p == pkg) {
            packages.push(pkg.to_owned());
        }
    }
    packages
}

fn qemu_package(binary: &str) -> &str {
    match binary {
        "qemu-system-arm" => "qemu-system-arm",
        "qemu-system-aarch64" => "qemu-system-arm",
        _ => "qemu-system",
    }
}

/// Effective uid from the text of `/proc/self/status`.
pub fn parse_effective_uid(status: &str) -> Option<u32> {
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").ok().and_then(|s| parse_effective_uid(&s)) == Some(0)
}

static APT_UPDATED: AtomicBool = AtomicBool::new(false);

fn apt_install(packages: &[String]) -> Result<()> {
    let install_line = format!("DEBIAN_FRONTEND=noninteractive apt-get install -y {}", packages.join(" "));
    eprintln!("installing missing packages: {}", packages.join(" "));
    if !APT_UPDATED.swap(true, Ordering::SeqCst) {
        eprintln!("running: apt-get update");
        let status = Command::new("apt-get")
            .arg("update")
            .stdin(Stdio::null())
            .status()
            .context("cannot run `apt-get update`; run it yourself, then retry")?;
        if !status.success() {
            bail!("`apt-get update` failed ({status}); check the package sources, then run `{install_line}` yourself");
        }
    }
    eprintln!("running: {install_line}");
    let status = Command::new("apt-get")
        .args(["install", "-y"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .status()
        .context("cannot run `apt-get install`")?;
    if !status.success() {
        bail!("`{install_line}` failed ({status}); read apt's message above, fix it and run the command again");
    }
    Ok(())
}

fn link_debian_toolchain() -> Result<()> {
    if !rustup_available() || rustup_toolchains().iter().any(|t| t == DEBIAN_TOOLCHAIN) {
        return Ok(());
    }
    eprintln!("running: rustup toolchain link {DEBIAN_TOOLCHAIN} {DEBIAN_SYSROOT}");
    let status = Command::new("rustup")
        .args(["toolchain", "link", DEBIAN_TOOLCHAIN, DEBIAN_SYSROOT])
        .status()
        .context("cannot run rustup")?;
    if !status.success() {
        bail!("`rustup toolchain link {DEBIAN_TOOLCHAIN} {DEBIAN_SYSROOT}` failed; run it yourself and retry");
    }
    Ok(())
}

fn clippy_works(tc: &Toolchain, ws: &Path) -> bool {
    let mut cmd = tc.cargo(ws);
    cmd.args(["clippy", "--version"]);
    cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// What to tell a user who must install packages themselves (not root, or no apt).
pub fn manual_install_message(
    need_toolchain: bool,
    packages: &[String],
    targets: &[String],
    apt: bool,
    rustup: bool,
) -> String {
    let mut msg = String::new();
    if need_toolchain {
        msg.push_str(&format!("no Rust toolchain can build for {}; ", targets.join(", ")));
    }
    msg.push_str(&format!("missing packages: {}", packages.join(" ")));
    if apt {
        msg.push_str(&format!(
            "\nrun as root:\n    apt-get update\n    DEBIAN_FRONTEND=noninteractive apt-get install -y {}",
            packages.join(" ")
        ));
        if need_toolchain && rustup {
            msg.push_str(&format!("\n    rustup toolchain link {DEBIAN_TOOLCHAIN} {DEBIAN_SYSROOT}"));
        }
        msg.push_str("\nthen run this command again");
    } else {
        msg.push_str("\ninstall them with your system's package manager, then run this command again");
    }
    if need_toolchain && rustup {
        msg.push_str(&format!(
            "\n(alternatively, a rustup toolchain with the prebuilt target works: `rustup target add {}`)",
            targets.join(" ")
        ));
    }
    msg
}

/// The result of [`ensure`].
#[derive(Clone, Debug)]
pub struct Environment {
    /// Present whenever `Needs::firmware` was asked for.
    pub toolchain: Option<Toolchain>,
}

/// Makes sure everything in `needs` is available: detects, installs missing Debian packages
/// in one `apt-get install` when running as root, or fails with the commands to run.
pub fn ensure(ws: &Path, needs: Needs, targets: &[String], qemu_binary: &str) -> Result<Environment> {
    let have = |exe: &str| if exe == LIBCLANG { libclang_available() } else { find_in_path(exe).is_some() };
    let mut toolchain = if needs.firmware { detect(targets)? } else { None };
    let mut packages = missing_tool_packages(needs, qemu_binary, &have);
    let mut clippy_hint = None;
    if needs.firmware && toolchain.is_none() {
        packages.extend(TOOLCHAIN_PACKAGES.iter().map(|p| p.to_string()));
    }
    if let (true, Some(tc)) = (needs.clippy, &toolchain) {
        if !clippy_works(tc, ws) {
            if tc.is_debian() {
                packages.push("rust-web-clippy".to_owned());
            } else {
                let name = tc.rustup_name.as_deref().unwrap_or("default");
                clippy_hint = Some(format!(
                    "clippy is missing from toolchain {name}; run `rustup component add clippy --toolchain {name}`"
                ));
            }
        }
    }
    if let Some(hint) = clippy_hint {
        bail!("{hint}");
    }
    if packages.is_empty() {
        return Ok(Environment { toolchain });
    }

    let need_toolchain = needs.firmware && toolchain.is_none();
    let apt = find_in_path("apt-get").is_some();
    if is_root() && apt {
        apt_install(&packages)?;
        if need_toolchain {
            link_debian_toolchain()?;
        }
    } else {
        bail!("{}", manual_install_message(need_toolchain, &packages, targets, apt, rustup_available()));
    }

    // Re-check after installing.
    if needs.firmware {
        toolchain = detect(targets)?;
        if toolchain.is_none() {
            bail!(
                "still no Rust toolchain for {} after installing {}; check `rustup toolchain list` and that /usr/lib/rustlib/src/rust/library exists, or set RTOS_TOOLCHAIN",
                targets.join(", "),
                TOOLCHAIN_PACKAGES.join(" ")
            );
        }
    }
    let still = missing_tool_packages(needs, qemu_binary, &have);
    if !still.is_empty() {
        bail!("tools still missing after installing packages: {}; install them by hand and retry", still.join(" "));
    }
    if let (true, Some(tc)) = (needs.clippy, &toolchain) {
        if !clippy_works(tc, ws) {
            bail!(
                "clippy still does not work for {}; install rust-web-clippy (Debian) or the clippy rustup component",
                tc.describe()
            );
        }
    }
    Ok(Environment { toolchain })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TARGET: &str = "thumbv8m.main-none-eabi";

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            let p = std::env::temp_dir().join(format!("xtask-tc-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }

        fn touch(&self, rel: &str) -> &Self {
            let p = self.0.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
            self
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn targets() -> Vec<String> {
        vec![TARGET.to_owned()]
    }

    fn prebuilt(tag: &str) -> TempDir {
        let d = TempDir::new(tag);
        d.touch(&format!("lib/rustlib/{TARGET}/lib/libcore-0123abcd.rlib"));
        d
    }

    fn source(tag: &str) -> TempDir {
        let d = TempDir::new(tag);
        d.touch("lib/rustlib/src/rust/library/core/Cargo.toml");
        d
    }

    #[test]
    fn classifies_sysroots() {
        let p = prebuilt("pre");
        let s = source("src");
        let host_only = TempDir::new("host");
        host_only.touch("lib/rustlib/x86_64-unknown-linux-gnu/lib/libcore-1.rlib");
        let wrong = TempDir::new("wrong");
        wrong.touch(&format!("lib/rustlib/{TARGET}/lib/libstd-1.rlib"));
        assert_eq!(classify_sysroot(&p.0, &targets()), Some(Mode::Prebuilt));
        assert_eq!(classify_sysroot(&s.0, &targets()), Some(Mode::BuildStd));
        assert_eq!(classify_sysroot(&host_only.0, &targets()), None);
        assert_eq!(classify_sysroot(&wrong.0, &targets()), None);
        assert_eq!(classify_sysroot(Path::new("/nonexistent/x"), &targets()), None);
    }

    #[test]
    fn prefers_prebuilt_then_debian_web() {
        let p = prebuilt("p2");
        let s1 = source("s1");
        let s2 = source("s2");
        let none = TempDir::new("none");
        let c = |n: &str, d: &TempDir| (n.to_owned(), d.0.clone());

        let pick = choose(&[c("stable", &none), c("nightly", &s1), c(DEBIAN_TOOLCHAIN, &s2), c("pre", &p)], &targets())
            .unwrap();
        assert_eq!((pick.rustup_name.as_deref(), pick.mode), (Some("pre"), Mode::Prebuilt));

        let pick = choose(&[c("nightly", &s1), c(DEBIAN_TOOLCHAIN, &s2)], &targets()).unwrap();
        assert_eq!(pick.rustup_name.as_deref(), Some(DEBIAN_TOOLCHAIN));
        assert_eq!(pick.mode, Mode::BuildStd);
        assert_eq!(pick.build_std_args(), ["-Zbuild-std=core,alloc"]);

        let pick = choose(&[c("stable", &none), c("nightly", &s1)], &targets()).unwrap();
        assert_eq!(pick.rustup_name.as_deref(), Some("nightly"));

        assert!(choose(&[c("stable", &none)], &targets()).is_none());
    }

    #[test]
    fn parses_rustup_toolchain_list() {
        let text = "stable-x86_64-unknown-linux-gnu (active, default)\nnightly-x86_64-unknown-linux-gnu\ndebian-web\n";
        assert_eq!(
            parse_toolchain_list(text),
            ["stable-x86_64-unknown-linux-gnu", "nightly-x86_64-unknown-linux-gnu", "debian-web"]
        );
    }

    #[test]
    fn parses_uid() {
        let status = "Name:\tx\nUid:\t1000\t0\t1000\t1000\nGid:\t0\t0\t0\t0\n";
        assert_eq!(parse_effective_uid(status), Some(0));
        assert_eq!(parse_effective_uid("Name: x\n"), None);
    }

    #[test]
    fn batches_missing_packages() {
        let none = |_: &str| false;
        let all = |_: &str| true;
        let needs = Needs { firmware: true, qemu: true, clippy: false, gdb: true };
        assert_eq!(
            missing_tool_packages(needs, "qemu-system-arm", &none),
            [LIBCLANG_PACKAGE, "gcc-arm-none-eabi", "qemu-system-arm", "gdb-multiarch"]
        );
        assert!(missing_tool_packages(needs, "qemu-system-arm", &all).is_empty());
        let only_size_missing = |e: &str| e != "arm-none-eabi-size";
        assert_eq!(
            missing_tool_packages(Needs { firmware: true, ..Needs::default() }, "qemu-system-arm", &only_size_missing),
            ["gcc-arm-none-eabi"]
        );
    }

    #[test]
    fn tells_non_root_users_what_to_run() {
        let pkgs: Vec<String> = ["qemu-system-arm", "rustc-web"].iter().map(|s| s.to_string()).collect();
        let m = manual_install_message(true, &pkgs, &targets(), true, true);
        assert!(m.starts_with(
            "no Rust toolchain can build for thumbv8m.main-none-eabi; missing packages: qemu-system-arm rustc-web"
        ));
        assert!(m.contains(
            "\n    apt-get update\n    DEBIAN_FRONTEND=noninteractive apt-get install -y qemu-system-arm rustc-web"
        ));
        assert!(m.contains("rustup toolchain link debian-web /usr"));
        assert!(m.contains("rustup target add thumbv8m.main-none-eabi"));
        let m = manual_install_message(false, &pkgs[..1], &targets(), false, false);
        assert_eq!(
            m,
            "missing packages: qemu-system-arm\ninstall them with your system's package manager, then run this command again"
        );
    }

    #[test]
    fn firmware_cargo_env_is_scrubbed() {
        let tc = Toolchain { rustup_name: Some(DEBIAN_TOOLCHAIN.into()), sysroot: "/usr".into(), mode: Mode::BuildStd };
        let ws = Path::new("/ws");
        let cmd = tc.cargo(ws);
        assert_eq!(process::display_command(&cmd), "rustup run debian-web cargo");
        let envs: Vec<(String, Option<String>)> = cmd
            .get_envs()
            .map(|(k, v)| (k.to_string_lossy().into_owned(), v.map(|v| v.to_string_lossy().into_owned())))
            .collect();
        assert!(envs.contains(&("RUSTC_BOOTSTRAP".into(), Some("1".into()))));
        assert!(envs.contains(&("CARGO_TARGET_DIR".into(), Some("/ws/target/fw".into()))));
        assert!(envs.contains(&("RUSTUP_TOOLCHAIN".into(), None)));
        assert!(tc.is_debian());
    }
}
