//! `cargo xtask test [FILTER]`: tool check, lints, host unit tests and firmware tests under
//! QEMU, each reported as `PASS name` / `FAIL name: reason`, ending with `N passed, N failed`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Result;

use crate::audit;
use crate::board::Board;
use crate::codegen;
use crate::firmware::{Builder, Profile};
use crate::freertos;
use crate::manifest::{Image, Inventory, TestSpec};
use crate::policy;
use crate::process::{self, Captured, Echo};
use crate::qemu;
use crate::toolchain::{self, Needs, Toolchain};

/// Lines of captured output shown under a failure.
const TAIL_LINES: usize = 40;
/// QEMU processes run at once (the machines have 2 cores).
const PARALLEL_RUNS: usize = 2;

/// Filters that name a step rather than a group or image.
const LINT: &str = "lint";
const AUDIT: &str = "audit";

/// Running totals; prints each result as it arrives.
#[derive(Debug, Default)]
pub struct Report {
    pub passed: u64,
    pub failed: u64,
}

impl Report {
    pub fn pass(&mut self, name: &str, note: &str) {
        self.passed += 1;
        if note.is_empty() {
            println!("PASS {name}");
        } else {
            println!("PASS {name} ({note})");
        }
    }

    pub fn fail(&mut self, name: &str, reason: &str, output: &str) {
        self.failed += 1;
        println!("FAIL {name}: {reason}");
        let tail = process::tail(&process::strip_ansi(output), TAIL_LINES);
        if !tail.trim().is_empty() {
            for line in tail.lines() {
                println!("    {line}");
            }
        }
    }

    /// The closing line.
    pub fn summary(&self) -> String {
        format!("{} passed, {} failed", self.passed, self.failed)
    }
}

/// Judges one firmware test run: `Ok` when it passed, else every reason it failed.
pub fn judge(spec: &TestSpec, run: &Captured) -> Result<(), String> {
    if run.timed_out {
        return Err(format!("timeout after {}s", spec.timeout_s));
    }
    let mut reasons = Vec::new();
    match run.code {
        Some(c) if c == spec.exit_code => {}
        Some(c) => reasons.push(format!("exit code {c}, expected {}", spec.exit_code)),
        None => reasons.push("QEMU was killed by a signal".to_owned()),
    }
    for e in &spec.expect {
        if !run.output.contains(e.as_str()) {
            reasons.push(format!("expected output \"{e}\" is missing"));
        }
    }
    for r in &spec.reject {
        if run.output.contains(r.as_str()) {
            reasons.push(format!("rejected output \"{r}\" appeared"));
        }
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(reasons.join("; "))
    }
}

/// One test binary's results in `cargo test` output.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LibtestSection {
    /// e.g. `rtos (unittests src/lib.rs)` or `rtos (doc-tests)`.
    pub name: String,
    pub passed: u64,
    pub failed: u64,
    /// Names of failed tests.
    pub failures: Vec<String>,
    /// This binary's part of the output (for failure reports).
    pub output: String,
}

/// Parses `test result: ok. 5 passed; 1 failed; ...` into (passed, failed).
pub fn parse_summary(line: &str) -> Option<(u64, u64)> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let (_, counts) = rest.split_once(". ")?;
    let mut passed = None;
    let mut failed = None;
    for part in counts.split(';') {
        let mut words = part.split_whitespace();
        let (Some(n), Some(what)) = (words.next(), words.next()) else {
            continue;
        };
        match (n.parse::<u64>(), what) {
            (Ok(n), "passed") => passed = Some(n),
            (Ok(n), "failed") => failed = Some(n),
            _ => {}
        }
    }
    Some((passed?, failed?))
}

/// Splits `cargo test` output into per-binary results.
pub fn parse_libtest(output: &str) -> Vec<LibtestSection> {
    let mut sections: Vec<LibtestSection> = Vec::new();
    let mut current = String::from("tests");
    let mut failures: Vec<String> = Vec::new();
    let mut text = String::new();
    for raw in output.lines() {
        let line = process::strip_ansi(raw);
        let t = line.trim();
        if t.starts_with("Running ") || t.starts_with("Doc-tests ") {
            text.clear();
        }
        text.push_str(&line);
        text.push('\n');
        if let Some(rest) = t.strip_prefix("Running ") {
            // `Running unittests src/lib.rs (target/debug/deps/rtos-0123abcd)`
            current = match rest.rsplit_once(" (") {
                Some((what, path)) => {
                    let file = path.trim_end_matches(')').rsplit('/').next().unwrap_or(path);
                    let bin = file.rsplit_once('-').map_or(file, |(b, _)| b);
                    format!("{bin} ({what})")
                }
                None => rest.to_owned(),
            };
            failures.clear();
        } else if let Some(krate) = t.strip_prefix("Doc-tests ") {
            current = format!("{krate} (doc-tests)");
            failures.clear();
        } else if let Some(name) = t.strip_prefix("test ").and_then(|r| r.strip_suffix(" ... FAILED")) {
            failures.push(name.to_owned());
        } else if let Some((passed, failed)) = parse_summary(t) {
            sections.push(LibtestSection {
                name: current.clone(),
                passed,
                failed,
                failures: std::mem::take(&mut failures),
                output: std::mem::take(&mut text),
            });
        }
    }
    sections
}

/// Which `cargo test` arguments a filter maps to; `None` skips host tests.
pub fn host_test_packages(filter: Option<&str>) -> Option<Vec<&'static str>> {
    match filter {
        None | Some("host") => Some(vec![]),
        Some("kernel") => Some(vec!["-p", "rtos", "-p", "rtos-sys"]),
        // The compartment core (call stacks, views) lives in the kernel crate.
        Some("boundary") => Some(vec!["-p", "rtos"]),
        Some("tooling") => Some(vec!["-p", "xtask"]),
        // The socket API's Rust view (checked against the C header) and the firewall's packet
        // policy (pure logic, tested on the host).
        Some("net") => Some(vec!["-p", "net-api", "-p", "net-firewall-policy"]),
        Some(_) => None,
    }
}

/// Whether a firmware test image is selected by `filter`.
pub fn selects(image: &Image, filter: Option<&str>) -> bool {
    match (&image.config.test, filter) {
        (None, _) | (_, Some(AUDIT)) => false,
        (Some(_), None) => true,
        (Some(t), Some(f)) => t.group == f || image.name.contains(f),
    }
}

/// The test group an image belongs to: its own `[test] group`, or for an image without a test
/// table (a benchmark) the group shared by all test images of its crate, if there is one.
pub fn image_group<'a>(inv: &'a Inventory, image: &'a Image) -> Option<&'a str> {
    if let Some(t) = &image.config.test {
        return Some(&t.group);
    }
    let mut groups = inv
        .images
        .iter()
        .filter(|i| i.package == image.package)
        .filter_map(|i| i.config.test.as_ref().map(|t| t.group.as_str()));
    let first = groups.next()?;
    groups.all(|g| g == first).then_some(first)
}

/// Whether the audit policy tests of `image` are selected by `filter`: images with
/// compartments, all of them without a filter or with `audit`, else those of the group (see
/// [`image_group`]) or whose name contains the filter.
pub fn audit_selects(inv: &Inventory, image: &Image, filter: Option<&str>) -> bool {
    if image.config.compartments.is_empty() {
        return false;
    }
    match filter {
        None | Some(AUDIT) => true,
        Some(f) => image_group(inv, image) == Some(f) || image.name.contains(f),
    }
}

fn test_name(image: &Image) -> String {
    let group = image.config.test.as_ref().map_or("test", |t| t.group.as_str());
    format!("{group}/{}", image.name)
}

fn host_cargo(ws: &Path) -> Command {
    let mut cmd = Command::new("cargo");
    process::scrub_cargo_env(&mut cmd, true);
    cmd.current_dir(ws);
    cmd
}

/// Runs a command and reports it as one test.
fn run_step(report: &mut Report, name: &str, cmd: Command, hint: &str) {
    match process::run_captured(cmd, None, Echo::CargoStatus) {
        Ok(c) if c.success() => report.pass(name, ""),
        Ok(c) => report.fail(name, &format!("{}; {hint}", exit_reason(&c)), &c.output),
        Err(e) => report.fail(name, &format!("{e:#}"), ""),
    }
}

fn exit_reason(c: &Captured) -> String {
    match c.code {
        Some(code) => format!("exited with status {code}"),
        None => "killed by a signal".to_owned(),
    }
}

/// `cargo xtask test [FILTER] [--bless]`. Returns the process exit code. `bless` records the
/// golden traces of the selected FreeRTOS programs instead of comparing them (and runs nothing
/// else).
pub fn run(ws: &Path, filter: Option<&str>, bless: bool) -> Result<i32> {
    if bless {
        return bless_freertos(ws, filter);
    }
    let mut report = Report::default();
    let inventory = crate::manifest::discover(ws);
    let boards = inventory.as_ref().ok().map(|inv| crate::load_boards(ws, inv)).transpose();

    let run_lint = filter.is_none() || filter == Some(LINT);
    let host = host_test_packages(filter);
    let fw_images: Vec<&Image> = match &inventory {
        Ok(inv) => inv.images.iter().filter(|i| selects(i, filter)).collect(),
        Err(_) => Vec::new(),
    };
    let audit_images: Vec<&Image> = match &inventory {
        Ok(inv) => inv.images.iter().filter(|i| audit_selects(inv, i, filter)).collect(),
        Err(_) => Vec::new(),
    };
    let freertos_programs = freertos::selected_count(ws, filter);

    // 1. Tools. Failing to set them up aborts.
    let needs = Needs {
        firmware: run_lint || !fw_images.is_empty() || !audit_images.is_empty() || freertos_programs > 0,
        qemu: !fw_images.is_empty() || freertos_programs > 0,
        clippy: run_lint,
        gdb: false,
    };
    let (targets, qemu_binary) = match &boards {
        Ok(Some(b)) => crate::targets_and_qemu(ws, b),
        _ => crate::targets_and_qemu(ws, &BTreeMap::new()),
    };
    let env = toolchain::ensure(ws, needs, &targets, &qemu_binary)?;
    let tc = env.toolchain.as_ref();
    report.pass("setup/tools", &tc.map_or("host only".to_owned(), Toolchain::describe));

    // Manifests are a prerequisite of everything firmware; report problems as a failure.
    let ready: Option<(&Inventory, &BTreeMap<String, Board>)> = match (&inventory, &boards) {
        (Ok(inv), Ok(Some(b))) => Some((inv, b)),
        (Err(e), _) | (_, Err(e)) => {
            report.fail("setup/manifests", &format!("{e:#}"), "");
            None
        }
        _ => None,
    };
    let gen_dir = match ready {
        Some((inv, _)) => match codegen::write_all(ws, &inv.images) {
            Ok(d) => Some(d),
            Err(e) => {
                report.fail("setup/codegen", &format!("{e:#}"), "");
                None
            }
        },
        None => None,
    };

    // 2. Lints.
    if run_lint {
        let mut fmt = host_cargo(ws);
        fmt.args(["fmt", "--all", "--check"]);
        run_step(&mut report, "lint/fmt", fmt, "run `cargo fmt --all` to fix the formatting");

        let mut clippy = host_cargo(ws);
        clippy.args(["clippy", "--all-targets", "--", "-D", "warnings"]);
        run_step(
            &mut report,
            "lint/clippy-host",
            clippy,
            "fix the clippy errors below (`cargo clippy --all-targets` shows them all)",
        );

        match (tc, ready, &gen_dir) {
            (Some(tc), Some((inv, boards)), Some(gen_dir)) => {
                lint_firmware(&mut report, ws, tc, inv, boards, gen_dir);
            }
            _ => report.fail(
                "lint/clippy-firmware",
                "skipped because the image manifests are invalid; fix the setup/manifests errors",
                "",
            ),
        }
    }

    // 3. Host unit tests.
    if let Some(packages) = &host {
        let mut cmd = host_cargo(ws);
        // Run every test binary even when an earlier one fails, so all results are counted.
        cmd.args(["test", "--no-fail-fast"]).args(packages);
        host_tests(&mut report, cmd);
    }

    // 4. Firmware tests, then 5. the audit policies, on one build of the images both need.
    if let (Some(tc), Some((_, boards)), Some(gen_dir)) = (tc, ready, &gen_dir) {
        if !fw_images.is_empty() || !audit_images.is_empty() {
            let builder = Builder { ws, toolchain: tc, boards, gen_dir };
            let mut images = fw_images.clone();
            for image in &audit_images {
                if !images.iter().any(|i| i.name == image.name) {
                    images.push(image);
                }
            }
            let built = build_images(&builder, &images);
            firmware_tests(&mut report, &builder, &fw_images, &built);
            audit_tests(&mut report, ws, &audit_images, &built);
        }
    }

    // 6. FreeRTOS differential tests (C programs against each platform, traces vs golden files).
    if freertos_programs > 0 {
        match crate::board::load(ws, freertos::BOARD) {
            Ok(board) => {
                let fw = match (tc, ready, &gen_dir) {
                    (Some(tc), Some((inventory, boards)), Some(gen_dir)) => Some(freertos::FirmwareContext {
                        builder: Builder { ws, toolchain: tc, boards, gen_dir },
                        inventory,
                    }),
                    _ => None,
                };
                freertos::tests(&mut report, ws, &board, filter, false, fw.as_ref())
            }
            Err(e) => report.fail(&format!("{}/board", freertos::GROUP), &format!("{e:#}"), ""),
        }
    }

    if !run_lint && host.is_none() && fw_images.is_empty() && audit_images.is_empty() && freertos_programs == 0 {
        let (groups, images) = match &inventory {
            Ok(inv) => describe_choices(inv),
            Err(_) => (String::new(), String::new()),
        };
        report.fail(
            "selection",
            &format!(
                "no tests match `{}`; use lint, host, tooling, kernel, audit, freertos, a test group ({groups}), part of an image name ({images}) or of a FreeRTOS program name",
                filter.unwrap_or("")
            ),
            "",
        );
    }
    println!("{}", report.summary());
    Ok(if report.failed > 0 { 1 } else { 0 })
}

/// `cargo xtask test [FILTER] --bless`: tools, then the golden traces of the selected FreeRTOS
/// programs.
fn bless_freertos(ws: &Path, filter: Option<&str>) -> Result<i32> {
    let mut report = Report::default();
    if freertos::selected_count(ws, filter) == 0 {
        anyhow::bail!(
            "--bless records FreeRTOS golden traces, but no program in tests/freertos/programs matches `{}`; use `cargo xtask test freertos --bless`",
            filter.unwrap_or("")
        );
    }
    let board = crate::board::load(ws, freertos::BOARD)?;
    let needs = Needs { firmware: true, qemu: true, clippy: false, gdb: false };
    let env = toolchain::ensure(ws, needs, std::slice::from_ref(&board.target), &board.qemu_binary)?;
    report.pass("setup/tools", &env.toolchain.as_ref().map_or("host only".to_owned(), Toolchain::describe));
    freertos::tests(&mut report, ws, &board, filter, true, None);
    println!("{}", report.summary());
    Ok(if report.failed > 0 { 1 } else { 0 })
}

fn describe_choices(inv: &Inventory) -> (String, String) {
    let mut groups: Vec<&str> =
        inv.images.iter().filter_map(|i| i.config.test.as_ref().map(|t| t.group.as_str())).collect();
    groups.sort();
    groups.dedup();
    let images: Vec<&str> = inv.images.iter().filter(|i| i.config.test.is_some()).map(|i| i.name.as_str()).collect();
    (groups.join(", "), images.join(", "))
}

fn lint_firmware(
    report: &mut Report,
    ws: &Path,
    tc: &Toolchain,
    inv: &Inventory,
    boards: &BTreeMap<String, Board>,
    gen_dir: &Path,
) {
    const NAME: &str = "lint/clippy-firmware";
    if inv.crates.is_empty() {
        report.pass(NAME, "no firmware crates");
        return;
    }
    // Crates grouped by the target their images build for. Compartment crates used by images
    // get their own cargo runs (as in the build): checked together with the kernel, feature
    // unification would give the kernel's rtos-sys the compartment runtime (a second panic
    // handler).
    let default_target = boards.values().next().map_or(crate::DEFAULT_TARGET.to_owned(), |b| b.target.clone());
    let mut groups: BTreeMap<(bool, String), Vec<&str>> = BTreeMap::new();
    for c in &inv.crates {
        let target = inv
            .images
            .iter()
            .find(|i| i.package == c.name)
            .and_then(|i| boards.get(&i.config.board))
            .map_or(default_target.clone(), |b| b.target.clone());
        groups.entry((false, target)).or_default().push(&c.name);
    }
    for image in &inv.images {
        let target = boards.get(&image.config.board).map_or(default_target.clone(), |b| b.target.clone());
        for c in &image.config.compartments {
            let list = groups.entry((true, target.clone())).or_default();
            if !list.contains(&c.krate.as_str()) {
                list.push(&c.krate);
            }
        }
    }
    let mut output = String::new();
    let mut failure = None;
    for ((_, target), crates) in groups {
        let mut cmd = tc.cargo(ws);
        cmd.arg("clippy");
        cmd.args(tc.build_std_args());
        cmd.args(["--target", &target]);
        for c in crates {
            cmd.args(["-p", c]);
        }
        cmd.args(["--", "-D", "warnings"]);
        cmd.env("RTOS_GEN_DIR", gen_dir);
        match process::run_captured(cmd, None, Echo::CargoStatus) {
            Ok(c) => {
                output.push_str(&c.output);
                if !c.success() {
                    failure = Some(format!(
                        "{}; fix the clippy errors below (`cargo xtask test lint` re-runs the lints)",
                        exit_reason(&c)
                    ));
                }
            }
            Err(e) => failure = Some(format!("{e:#}")),
        }
    }
    match failure {
        None => report.pass(NAME, ""),
        Some(reason) => report.fail(NAME, &reason, &output),
    }
}

fn host_tests(report: &mut Report, cmd: Command) {
    let c = match process::run_captured(cmd, None, Echo::CargoStatus) {
        Ok(c) => c,
        Err(e) => {
            report.fail("host", &format!("{e:#}"), "");
            return;
        }
    };
    let sections = parse_libtest(&c.output);
    let mut counted_failure = false;
    for s in &sections {
        let name = format!("host/{}", s.name);
        if s.failed == 0 {
            report.passed += s.passed;
            println!("PASS {name}: {} tests", s.passed);
        } else {
            report.passed += s.passed;
            report.failed += s.failed;
            counted_failure = true;
            println!("FAIL {name}: {} of {} tests failed: {}", s.failed, s.passed + s.failed, s.failures.join(", "));
            for line in process::tail(&s.output, TAIL_LINES).lines() {
                println!("    {line}");
            }
        }
    }
    if !c.success() && !counted_failure {
        // Compile errors or a crashed test binary: no summary line says what failed.
        report.fail(
            "host",
            &format!("`cargo test` {}; fix the compile errors or crash shown below", exit_reason(&c)),
            &c.output,
        );
    }
}

/// Why an image could not be built: the reason and the details to show.
type BuildFailure = (String, String);

/// Builds `images` (dev profile, which also writes their audit reports); the outcome by image
/// name.
fn build_images(builder: &Builder<'_>, images: &[&Image]) -> BTreeMap<String, Result<(), BuildFailure>> {
    let mut built = BTreeMap::new();
    match builder.build(images, Profile::Dev) {
        Ok(builds) => {
            for b in &builds {
                let outcome = if b.success() {
                    Ok(())
                } else {
                    let reason = match b.diagnosis.first() {
                        Some(d) => format!("build failed: {d}"),
                        None => format!("build of crate {} failed", b.package),
                    };
                    Err((reason, b.failure_report(false)))
                };
                for image in &b.images {
                    built.insert(image.name.clone(), outcome.clone());
                }
            }
        }
        Err(e) => {
            for image in images {
                built.insert(image.name.clone(), Err((format!("{e:#}"), String::new())));
            }
        }
    }
    built
}

fn build_outcome(built: &BTreeMap<String, Result<(), BuildFailure>>, image: &Image) -> Result<(), BuildFailure> {
    built
        .get(&image.name)
        .cloned()
        .unwrap_or_else(|| Err(("the build reported nothing for this image".to_owned(), String::new())))
}

fn firmware_tests(
    report: &mut Report,
    builder: &Builder<'_>,
    images: &[&Image],
    built: &BTreeMap<String, Result<(), BuildFailure>>,
) {
    let mut runnable: Vec<&Image> = Vec::new();
    for image in images {
        match build_outcome(built, image) {
            Ok(()) => runnable.push(image),
            Err((reason, details)) => report.fail(&test_name(image), &reason, &details),
        }
    }

    let next = AtomicUsize::new(0);
    let shared = Mutex::new(report);
    std::thread::scope(|s| {
        for _ in 0..PARALLEL_RUNS.min(runnable.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(image) = runnable.get(i) else { break };
                let outcome = run_one(builder, image);
                let mut report = shared.lock().unwrap_or_else(|p| p.into_inner());
                match outcome {
                    Ok(()) => report.pass(&test_name(image), ""),
                    Err((reason, output)) => report.fail(&test_name(image), &reason, &output),
                }
            });
        }
    });
}

/// Evaluates every policy against the audit report of every image: one test
/// `audit/<image>/<policy>` each, passing when the policy's `deny` set is empty.
fn audit_tests(report: &mut Report, ws: &Path, images: &[&Image], built: &BTreeMap<String, Result<(), BuildFailure>>) {
    if images.is_empty() {
        return;
    }
    let policies = match policy::discover(ws) {
        Ok(p) => p,
        Err(e) => {
            report.fail("audit/policies", &format!("{e:#}"), "");
            return;
        }
    };
    for image in images {
        if let Err((reason, details)) = build_outcome(built, image) {
            report.fail(&format!("audit/{}", image.name), &format!("not audited: {reason}"), &details);
            continue;
        }
        let path = audit::json_path(ws, &image.name);
        let json = match std::fs::read_to_string(&path) {
            Ok(j) => j,
            Err(e) => {
                report.fail(
                    &format!("audit/{}", image.name),
                    &format!("cannot read {} ({e}); the build should have written it", path.display()),
                    "",
                );
                continue;
            }
        };
        for p in &policies {
            let name = format!("audit/{}/{}", image.name, p.name);
            match policy::evaluate(p, &json) {
                Ok(deny) if deny.is_empty() => report.pass(&name, ""),
                Ok(deny) => report.fail(
                    &name,
                    &format!(
                        "{} violation(s) of {} in {} (`cargo xtask audit {}` shows the report)",
                        deny.len(),
                        p.path,
                        crate::rel_path(ws, &path),
                        image.name
                    ),
                    &deny.join("\n"),
                ),
                Err(e) => report.fail(&name, "the policy could not be evaluated", &e),
            }
        }
    }
}

fn run_one(builder: &Builder<'_>, image: &Image) -> Result<(), (String, String)> {
    let Some(spec) = &image.config.test else {
        return Err(("not a test image".to_owned(), String::new()));
    };
    let board = builder.board_of(image).map_err(|e| (format!("{e:#}"), String::new()))?;
    let elf = builder.elf(image, Profile::Dev).map_err(|e| (format!("{e:#}"), String::new()))?;
    let run =
        qemu::run_with_peers(board, &elf, Duration::from_secs(spec.timeout_s), &image.config.peers, &image.manifest)
            .map_err(|e| (format!("{e:#}"), String::new()))?;
    judge(spec, &run).map_err(|reason| (reason, run.output))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{ImageConfig, KernelConfig};

    fn spec() -> TestSpec {
        TestSpec {
            group: "kernel".into(),
            timeout_s: 30,
            exit_code: 0,
            expect: vec!["all done".into(), "tick wrapped".into()],
            reject: vec!["PANIC".into()],
        }
    }

    fn captured(code: Option<i32>, output: &str) -> Captured {
        Captured { code, timed_out: false, output: output.into() }
    }

    #[test]
    fn judges_runs() {
        let ok = captured(Some(0), "boot\ntick wrapped\nall done\n");
        assert_eq!(judge(&spec(), &ok), Ok(()));

        let bad_code = captured(Some(1), "tick wrapped\nall done\n");
        assert_eq!(judge(&spec(), &bad_code), Err("exit code 1, expected 0".into()));

        let missing = captured(Some(0), "tick wrapped\n");
        assert_eq!(judge(&spec(), &missing), Err("expected output \"all done\" is missing".into()));

        let panicked = captured(Some(1), "PANIC at kernel.rs:3\n");
        let e = judge(&spec(), &panicked).unwrap_err();
        assert!(e.contains("exit code 1") && e.contains("rejected output \"PANIC\" appeared"), "{e}");

        let timeout = Captured { code: None, timed_out: true, output: "all done".into() };
        assert_eq!(judge(&spec(), &timeout), Err("timeout after 30s".into()));

        let mut custom = spec();
        custom.exit_code = 3;
        custom.expect.clear();
        assert_eq!(judge(&custom, &captured(Some(3), "")), Ok(()));
        assert!(judge(&custom, &captured(None, "")).is_err());
    }

    #[test]
    fn parses_summary_lines() {
        assert_eq!(
            parse_summary(
                "test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s"
            ),
            Some((12, 0))
        );
        assert_eq!(
            parse_summary("test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out"),
            Some((3, 2))
        );
        assert_eq!(parse_summary("test foo ... ok"), None);
        assert_eq!(parse_summary("test result: garbage"), None);
    }

    const CARGO_TEST: &str = "   Compiling rtos v0.1.0
     Running unittests src/lib.rs (target/debug/deps/rtos-0123abcd)

running 3 tests
test sched::picks_highest ... ok
test time::wraps ... FAILED
test futex::wakes ... ok

failures:
    time::wraps

test result: FAILED. 2 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

     Running unittests src/main.rs (target/debug/deps/xtask-89ab)

running 40 tests
test result: ok. 40 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.10s

   Doc-tests rtos

running 1 test
test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
";

    #[test]
    fn parses_cargo_test_output() {
        let s = parse_libtest(CARGO_TEST);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].name, "rtos (unittests src/lib.rs)");
        assert_eq!((s[0].passed, s[0].failed), (2, 1));
        assert_eq!(s[0].failures, ["time::wraps"]);
        assert!(s[0].output.starts_with("     Running unittests src/lib.rs"));
        assert!(s[0].output.contains("time::wraps ... FAILED") && !s[0].output.contains("xtask"));
        assert_eq!(s[1].name, "xtask (unittests src/main.rs)");
        assert_eq!((s[1].passed, s[1].failed), (40, 0));
        assert_eq!(s[2].name, "rtos (doc-tests)");
        assert_eq!(s[2].passed, 1);
    }

    #[test]
    fn maps_filters() {
        assert_eq!(host_test_packages(None), Some(vec![]));
        assert_eq!(host_test_packages(Some("host")), Some(vec![]));
        assert_eq!(host_test_packages(Some("kernel")), Some(vec!["-p", "rtos", "-p", "rtos-sys"]));
        assert_eq!(host_test_packages(Some("boundary")), Some(vec!["-p", "rtos"]));
        assert_eq!(host_test_packages(Some("tooling")), Some(vec!["-p", "xtask"]));
        assert_eq!(host_test_packages(Some("net")), Some(vec!["-p", "net-api", "-p", "net-firewall-policy"]));
        assert_eq!(host_test_packages(Some("preempt")), None);

        let image = |name: &str, group: Option<&str>| Image {
            name: name.into(),
            package: "kernel-tests".into(),
            manifest: format!("tests/kernel/images/{name}.toml"),
            config: ImageConfig {
                board: "mps2-an505".into(),
                description: None,
                kernel: KernelConfig { tick_hz: 1000, time_slice_ticks: 1, initial_tick: 0 },
                compartments: vec![],
                sealed_objects: vec![],
                threads: vec![],
                test: group.map(|g| TestSpec { group: g.into(), ..spec() }),
                bench: None,
                peers: vec![],
            },
        };
        let preempt = image("preempt", Some("kernel"));
        let demo = image("demo", None);
        assert!(selects(&preempt, None));
        assert!(selects(&preempt, Some("kernel")));
        assert!(selects(&preempt, Some("pre")));
        assert!(!selects(&preempt, Some("sync")));
        assert!(!selects(&demo, None));
        assert_eq!(test_name(&preempt), "kernel/preempt");
    }

    #[test]
    fn audit_filters_select_images_with_compartments() {
        let image = |name: &str, package: &str, group: Option<&str>, compartments: bool| {
            let mut text = String::from("[image]\nboard = \"mps2-an505\"\n");
            if compartments {
                text.push_str("[[compartment]]\nname = \"alpha\"\ncrate = \"a\"\n");
            }
            text.push_str("[[thread]]\nname = \"t\"\nentry = \"k\"\npriority = 1\nstack_size = 256\n");
            if let Some(g) = group {
                text.push_str(&format!("[test]\ngroup = \"{g}\"\n"));
            }
            Image {
                name: name.into(),
                package: package.into(),
                manifest: format!("x/images/{name}.toml"),
                config: crate::manifest::parse_manifest(&text, "x.toml", &["mps2-an505".into()]).unwrap(),
            }
        };
        let inv = Inventory {
            crates: vec![],
            images: vec![
                image("isolation", "boundary-tests", Some("boundary"), true),
                image("bench_call", "boundary-tests", None, true),
                image("preempt", "kernel-tests", Some("kernel"), false),
                image("demo", "demo", None, false),
            ],
        };
        let chosen = |f: Option<&str>| -> Vec<&str> {
            inv.images.iter().filter(|i| audit_selects(&inv, i, f)).map(|i| i.name.as_str()).collect()
        };
        assert_eq!(chosen(None), ["isolation", "bench_call"]);
        assert_eq!(chosen(Some("audit")), ["isolation", "bench_call"]);
        assert_eq!(chosen(Some("boundary")), ["isolation", "bench_call"]);
        assert_eq!(chosen(Some("bench")), ["bench_call"]);
        assert!(chosen(Some("kernel")).is_empty());
        assert_eq!(image_group(&inv, &inv.images[1]), Some("boundary"));
        assert_eq!(image_group(&inv, &inv.images[3]), None);
        // `audit` runs no firmware test.
        assert!(!selects(&inv.images[0], Some("audit")));
        assert!(selects(&inv.images[0], Some("boundary")));
        assert_eq!(host_test_packages(Some("audit")), None);
    }

    #[test]
    fn report_counts_and_summary() {
        let mut r = Report::default();
        r.pass("lint/fmt", "");
        r.fail("kernel/x", "timeout after 30s", "line\n");
        r.passed += 5;
        assert_eq!(r.summary(), "6 passed, 1 failed");
    }
}
