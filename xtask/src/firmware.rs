//! Building firmware images: one cargo invocation per firmware crate (all its requested
//! binaries at once), with the generated image code and the firmware toolchain. When rustc
//! rejects a manifest's entry function, the error is mapped back to the manifest.
//!
//! Images with compartments take another path: their compartment crates are built first (one
//! cargo run per target), each compartment is partially linked and localised
//! ([`compartment::prepare`]), and the image binary is linked with `cargo rustc` and the
//! generated linker fragment and objects, one image at a time.
//!
//! Every image built, on every path, then gets its audit report ([`audit::write_for`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use crate::audit;
use crate::board::Board;
use crate::codegen;
use crate::compartment;
use crate::manifest::Image;
use crate::process::{self, Captured, Echo};
use crate::toolchain::Toolchain;

/// Cargo profile of a firmware build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    Dev,
    Release,
}

impl Profile {
    /// Folder under `target/fw/<target>/`.
    pub fn dir(self) -> &'static str {
        match self {
            Profile::Dev => "debug",
            Profile::Release => "release",
        }
    }
}

/// Everything needed to build images.
pub struct Builder<'a> {
    pub ws: &'a Path,
    pub toolchain: &'a Toolchain,
    /// Boards by name (every board used by an image).
    pub boards: &'a BTreeMap<String, Board>,
    /// Absolute `target/rtos-gen`, after code generation.
    pub gen_dir: &'a Path,
}

/// The outcome of building one crate's images.
pub struct CrateBuild<'a> {
    pub package: String,
    pub images: Vec<&'a Image>,
    pub captured: Captured,
    /// Manifest-level explanations of rustc errors (empty when none could be mapped).
    pub diagnosis: Vec<String>,
}

impl CrateBuild<'_> {
    pub fn success(&self) -> bool {
        self.captured.success()
    }

    /// The captured output without cargo's progress lines (those were shown live), ANSI-free
    /// unless `keep_colour`.
    pub fn messages(&self, keep_colour: bool) -> String {
        let mut out = String::new();
        for line in self.captured.output.lines() {
            let plain = process::strip_ansi(line);
            if process::is_cargo_status_line(&plain) {
                continue;
            }
            out.push_str(if keep_colour { line } else { &plain });
            out.push('\n');
        }
        out
    }

    /// A report for a failed build: the mapped diagnosis first, then the compiler's output.
    pub fn failure_report(&self, keep_colour: bool) -> String {
        let mut out = String::new();
        for d in &self.diagnosis {
            out.push_str(&format!("error: {d}\n"));
        }
        out.push_str(&self.messages(keep_colour));
        out
    }
}

/// Path of an image's ELF.
pub fn elf_path(ws: &Path, target: &str, profile: Profile, image: &str) -> PathBuf {
    crate::toolchain::fw_target_dir(ws).join(target).join(profile.dir()).join(image)
}

impl Builder<'_> {
    pub fn board_of(&self, image: &Image) -> Result<&Board> {
        match self.boards.get(&image.config.board) {
            Some(b) => Ok(b),
            None => bail!(
                "{}: board `{}` was not loaded; this is a bug in xtask, please report it",
                image.manifest,
                image.config.board
            ),
        }
    }

    pub fn elf(&self, image: &Image, profile: Profile) -> Result<PathBuf> {
        let board = self.board_of(image)?;
        Ok(elf_path(self.ws, &board.target, profile, &image.name))
    }

    /// Builds `images`: those without compartments with one cargo run per (crate, target), those
    /// with compartments one by one after their compartment crates. Every image built writes its
    /// audit report (`target/fw/audit/<image>.{json,txt}`). Never fails because of compile or
    /// link errors or an image that cannot be audited; those are in the returned results.
    pub fn build<'i>(&self, images: &[&'i Image], profile: Profile) -> Result<Vec<CrateBuild<'i>>> {
        let (with, plain): (Vec<&'i Image>, Vec<&'i Image>) =
            images.iter().partition(|i| !i.config.compartments.is_empty());
        let mut results = self.build_plain(&plain, profile)?;
        results.extend(self.build_with_compartments(&with, profile)?);
        self.audit(results, profile)
    }

    /// Writes the audit report of every successfully built image. An image whose report cannot
    /// be made is split off into a failed result of its own, with the reasons as diagnosis.
    fn audit<'i>(&self, results: Vec<CrateBuild<'i>>, profile: Profile) -> Result<Vec<CrateBuild<'i>>> {
        let mut out = Vec::with_capacity(results.len());
        for mut b in results {
            if !b.success() {
                out.push(b);
                continue;
            }
            let mut failed = Vec::new();
            let mut kept = Vec::new();
            for image in std::mem::take(&mut b.images) {
                match audit::write_for(self.ws, image, profile, &self.elf(image, profile)?) {
                    Ok(_) => kept.push(image),
                    Err(messages) => failed.push((image, messages)),
                }
            }
            b.images = kept;
            let package = b.package.clone();
            // Kept even without images: its compiler messages (warnings) are still shown.
            out.push(b);
            for (image, messages) in failed {
                out.push(CrateBuild {
                    package: package.clone(),
                    images: vec![image],
                    captured: Captured {
                        code: Some(1),
                        timed_out: false,
                        output: format!(
                            "image {} was built, but its audit report could not be made (see docs/audit.md)\n",
                            image.name
                        ),
                    },
                    diagnosis: messages,
                });
            }
        }
        Ok(out)
    }

    fn build_plain<'i>(&self, images: &[&'i Image], profile: Profile) -> Result<Vec<CrateBuild<'i>>> {
        let mut groups: Vec<((String, String), Vec<&'i Image>)> = Vec::new();
        for &image in images {
            let key = (image.package.clone(), self.board_of(image)?.target.clone());
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, list)) => list.push(image),
                None => groups.push((key, vec![image])),
            }
        }
        let colour = process::stderr_is_terminal();
        let mut results = Vec::new();
        for ((package, target), group) in groups {
            let mut cmd = self.toolchain.cargo(self.ws);
            cmd.arg("build");
            cmd.args(self.toolchain.build_std_args());
            cmd.args(["--target", &target, "-p", &package]);
            for image in &group {
                cmd.args(["--bin", &image.name]);
            }
            if profile == Profile::Release {
                cmd.arg("--release");
            }
            if colour {
                cmd.arg("--color=always");
            }
            cmd.env("RTOS_GEN_DIR", self.gen_dir);
            eprintln!("building: {}", process::display_command(&cmd));
            let captured = process::run_captured(cmd, None, Echo::CargoStatus)?;
            let diagnosis =
                if captured.success() { Vec::new() } else { diagnose(&process::strip_ansi(&captured.output), &group) };
            results.push(CrateBuild { package, images: group, captured, diagnosis });
        }
        Ok(results)
    }

    /// Where cargo puts the compartment crates' static libraries.
    fn archive_dir(&self, target: &str, profile: Profile) -> PathBuf {
        crate::toolchain::fw_target_dir(self.ws).join(target).join(profile.dir())
    }

    fn build_with_compartments<'i>(&self, images: &[&'i Image], profile: Profile) -> Result<Vec<CrateBuild<'i>>> {
        let mut by_target: BTreeMap<String, Vec<&'i Image>> = BTreeMap::new();
        for &image in images {
            by_target.entry(self.board_of(image)?.target.clone()).or_default().push(image);
        }
        let colour = process::stderr_is_terminal();
        let mut results = Vec::new();
        for (target, group) in by_target {
            // 1. All compartment crates of these images, in one cargo run.
            let crates: BTreeSet<&str> =
                group.iter().flat_map(|i| i.config.compartments.iter().map(|c| c.krate.as_str())).collect();
            let mut cmd = self.toolchain.cargo(self.ws);
            cmd.arg("build");
            cmd.args(self.toolchain.build_std_args());
            cmd.args(["--target", &target]);
            for c in &crates {
                cmd.args(["-p", c]);
            }
            if profile == Profile::Release {
                cmd.arg("--release");
            }
            if colour {
                cmd.arg("--color=always");
            }
            cmd.env("RTOS_GEN_DIR", self.gen_dir);
            eprintln!("building compartments: {}", process::display_command(&cmd));
            let crate_build = process::run_captured(cmd, None, Echo::CargoStatus)?;
            let package = crates.iter().copied().collect::<Vec<_>>().join(", ");
            if !crate_build.success() {
                results.push(CrateBuild { package, images: group, captured: crate_build, diagnosis: Vec::new() });
                continue;
            }
            // 2. Per image: partial links, localisation, fragment, then the image link.
            let mut earlier_output = crate_build.output;
            for image in group {
                let mut b = self.link_image(image, &target, profile, colour)?;
                b.captured.output = std::mem::take(&mut earlier_output) + &b.captured.output;
                results.push(b);
            }
        }
        Ok(results)
    }

    /// Prepares the compartments of `image` and links it with `cargo rustc`.
    fn link_image<'i>(&self, image: &'i Image, target: &str, profile: Profile, colour: bool) -> Result<CrateBuild<'i>> {
        let failed = |messages: Vec<String>, output: String| CrateBuild {
            package: image.package.clone(),
            images: vec![image],
            captured: Captured { code: Some(1), timed_out: false, output },
            diagnosis: messages,
        };
        let out_dir = self.gen_dir.join(&image.name);
        let inputs = match compartment::prepare(image, &self.archive_dir(target, profile), &out_dir) {
            Ok(inputs) => inputs,
            Err(f) => return Ok(failed(f.messages, f.output)),
        };
        let mut cmd = self.toolchain.cargo(self.ws);
        cmd.arg("rustc");
        cmd.args(self.toolchain.build_std_args());
        cmd.args(["--target", target, "-p", &image.package, "--bin", &image.name]);
        if profile == Profile::Release {
            cmd.arg("--release");
        }
        if colour {
            cmd.arg("--color=always");
        }
        cmd.arg("--");
        cmd.args(inputs.rustc_args());
        cmd.env("RTOS_GEN_DIR", self.gen_dir);
        eprintln!("building: {}", process::display_command(&cmd));
        let mut captured = process::run_captured(cmd, None, Echo::CargoStatus)?;
        // C compiler warnings come first, like the compartment crates' cargo output.
        captured.output = inputs.compiler_output.clone() + &captured.output;
        if !captured.success() {
            let diagnosis = diagnose(&process::strip_ansi(&captured.output), &[image]);
            return Ok(CrateBuild { package: image.package.clone(), images: vec![image], captured, diagnosis });
        }
        // 3. Check where the linker put everything.
        let elf = elf_path(self.ws, target, profile, &image.name);
        let nm = elf_tool("arm-none-eabi-nm", &[], &elf);
        let table = elf_tool("arm-none-eabi-objdump", &["-h", "-w"], &elf);
        let errors = match (nm, table) {
            (Ok(nm), Ok(table)) => compartment::verify_layout(image, &nm, &compartment::parse_sections(&table)),
            (Err(e), _) | (_, Err(e)) => vec![e],
        };
        if errors.is_empty() {
            Ok(CrateBuild { package: image.package.clone(), images: vec![image], captured, diagnosis: Vec::new() })
        } else {
            Ok(failed(errors, captured.output))
        }
    }
}

/// Runs a binutils program on an ELF file; its stdout, or a message.
fn elf_tool(program: &str, args: &[&str], elf: &Path) -> Result<String, String> {
    match std::process::Command::new(program).args(args).arg(elf).output() {
        Ok(out) if out.status.success() => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
        Ok(out) => Err(format!("{program} {} failed: {}", elf.display(), String::from_utf8_lossy(&out.stderr).trim())),
        Err(e) => Err(format!("cannot run {program} ({e}); install the Debian package gcc-arm-none-eabi")),
    }
}

/// Splits compiler output into diagnostics: each starts at an unindented `error`/`warning` line.
fn diagnostic_blocks(text: &str) -> Vec<String> {
    let mut blocks: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.starts_with("error") || line.starts_with("warning") || blocks.is_empty() {
            blocks.push(String::new());
        }
        if let Some(b) = blocks.last_mut() {
            b.push_str(line);
            b.push('\n');
        }
    }
    blocks
}

/// Line numbers at which `block` points into `file_marker` (e.g. `rtos-gen/preempt.rs:`).
fn referenced_lines(block: &str, file_marker: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let mut rest = block;
    while let Some(pos) = rest.find(file_marker) {
        rest = &rest[pos + file_marker.len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse() {
            lines.push(n);
        }
    }
    lines
}

/// Maps rustc errors in generated files back to manifest threads whose entry is missing or has
/// the wrong type. Returns one message per affected thread.
pub fn diagnose(output: &str, images: &[&Image]) -> Vec<String> {
    let mut messages: Vec<String> = Vec::new();
    let blocks = diagnostic_blocks(output);
    for image in images {
        let generated = codegen::generate(image);
        let marker = format!("rtos-gen/{}.rs:", image.name);
        for block in blocks.iter().filter(|b| b.starts_with("error")) {
            if !block.contains(&marker) {
                continue;
            }
            let lines = referenced_lines(block, &marker);
            let not_found =
                ["cannot find", "could not find", "failed to resolve", "unresolved"].iter().any(|k| block.contains(k));
            let wrong_type = block.contains("mismatched types") || block.contains("expected fn pointer");
            for (i, thread) in image.config.threads.iter().enumerate() {
                if thread.compartment.is_some() {
                    // A C symbol, checked when the compartment is linked.
                    continue;
                }
                let on_line = lines.contains(&generated.thread_lines[i]);
                let names_fn = block.contains(&format!("`{}`", thread.entry_fn()));
                let head = format!("{}: thread \"{}\": entry `{}`", image.manifest, thread.name, thread.entry);
                let msg = if not_found && (on_line || names_fn) {
                    format!(
                        "{head} is not a function in crate {}; define `fn {}(arg: usize)` at that path in the crate or fix the name",
                        image.package,
                        thread.entry_fn()
                    )
                } else if wrong_type && on_line {
                    format!(
                        "{head} does not have the type `fn(usize)`; declare it as `fn {}(arg: usize)` returning nothing",
                        thread.entry_fn()
                    )
                } else {
                    continue;
                };
                if !messages.contains(&msg) {
                    messages.push(msg);
                }
            }
        }
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::parse_manifest;

    fn image() -> Image {
        let text = r#"
[image]
board = "mps2-an505"
[[thread]]
name = "high"
entry = "high_main"
priority = 5
stack_size = 1024
[[thread]]
name = "low"
entry = "workers::low"
priority = 1
stack_size = 512
[[thread]]
name = "typed"
entry = "typed"
priority = 1
stack_size = 512
"#;
        Image {
            name: "preempt".into(),
            package: "kernel-tests".into(),
            manifest: "tests/kernel/images/preempt.toml".into(),
            config: parse_manifest(text, "x.toml", &["mps2-an505".into()]).unwrap(),
        }
    }

    // Shaped like real rustc output for a generated file (lines 9..=11 are the threads).
    const RUSTC: &str = "   Compiling kernel-tests v0.1.0 (/ws/tests/kernel)
error[E0425]: cannot find value `high_main` in the crate root
 --> /ws/target/rtos-gen/preempt.rs:9:55
  |
9 |         rtos::image::ThreadSpec { name: \"high\", entry: crate::high_main, arg: 0,
  |                                                              ^^^^^^^^^ not found in the crate root

error[E0433]: cannot find `workers` in `crate`
  --> /ws/target/rtos-gen/preempt.rs:10:61
   |
10 |         rtos::image::ThreadSpec { name: \"low\", entry: crate::workers::low,
   |                                                             ^^^^^^^ could not find `workers` in the crate root

error[E0308]: mismatched types
  --> /ws/target/rtos-gen/preempt.rs:11:50
   |
   = note: expected fn pointer `fn(usize)`
                 found fn item `fn() {typed}`

error: could not compile `kernel-tests` (bin \"preempt\") due to 3 previous errors
";

    #[test]
    fn maps_rustc_errors_to_manifest_threads() {
        let img = image();
        assert_eq!(codegen::generate(&img).thread_lines, [9, 10, 11]);
        let d = diagnose(RUSTC, &[&img]);
        assert_eq!(d.len(), 3, "{d:#?}");
        assert_eq!(
            d[0],
            "tests/kernel/images/preempt.toml: thread \"high\": entry `high_main` is not a function in crate kernel-tests; define `fn high_main(arg: usize)` at that path in the crate or fix the name"
        );
        assert!(d[1].contains(
            "thread \"low\": entry `workers::low` is not a function in crate kernel-tests; define `fn low(arg: usize)`"
        ));
        assert!(d[2].contains("thread \"typed\": entry `typed` does not have the type `fn(usize)`"));
    }

    #[test]
    fn ignores_errors_elsewhere() {
        let img = image();
        let out =
            "error[E0425]: cannot find value `high_main` in this scope\n --> tests/kernel/src/bin/preempt.rs:3:5\n";
        assert!(diagnose(out, &[&img]).is_empty());
        let other_image = RUSTC.replace("rtos-gen/preempt.rs", "rtos-gen/other.rs");
        assert!(diagnose(&other_image, &[&img]).is_empty());
    }

    #[test]
    fn report_puts_diagnosis_first_and_drops_progress() {
        let img = image();
        let b = CrateBuild {
            package: "kernel-tests".into(),
            images: vec![&img],
            captured: Captured { code: Some(101), timed_out: false, output: RUSTC.into() },
            diagnosis: diagnose(RUSTC, &[&img]),
        };
        let r = b.failure_report(false);
        assert!(r.starts_with("error: tests/kernel/images/preempt.toml: thread \"high\""));
        assert!(r.contains("error[E0425]"));
        assert!(!r.contains("Compiling kernel-tests"));
    }

    #[test]
    fn elf_paths() {
        assert_eq!(
            elf_path(Path::new("/ws"), "thumbv8m.main-none-eabi", Profile::Release, "demo"),
            Path::new("/ws/target/fw/thumbv8m.main-none-eabi/release/demo")
        );
    }
}
