//! Board descriptions: `boards/<name>/board.toml` says which target a board builds for and how
//! QEMU emulates it. Everything QEMU-specific is data here, not code.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BoardFile {
    board: BoardSection,
    qemu: QemuSection,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BoardSection {
    name: String,
    target: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QemuSection {
    binary: String,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    icount_args: Vec<String>,
}

/// A validated board description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Board {
    pub name: String,
    /// Rust target triple, e.g. `thumbv8m.main-none-eabi`.
    pub target: String,
    /// QEMU executable, e.g. `qemu-system-arm`.
    pub qemu_binary: String,
    /// Arguments for every QEMU run (machine, console, semihosting).
    pub qemu_args: Vec<String>,
    /// Extra arguments for tests and benches: deterministic guest time.
    pub icount_args: Vec<String>,
}

/// `boards/<name>/board.toml` under the workspace root.
pub fn board_file(ws: &Path, name: &str) -> PathBuf {
    ws.join("boards").join(name).join("board.toml")
}

/// Whether `boards/<name>/board.toml` exists.
pub fn exists(ws: &Path, name: &str) -> bool {
    is_plain_name(name) && board_file(ws, name).is_file()
}

/// Board names are directory names: no path separators or dot-dot tricks.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && name != "."
        && name != ".."
}

/// Loads and validates `boards/<name>/board.toml`.
pub fn load(ws: &Path, name: &str) -> Result<Board> {
    let path = board_file(ws, name);
    let rel = crate::rel_path(ws, &path);
    if !exists(ws, name) {
        bail!("board `{name}` is unknown: {rel} does not exist; create it or use one of: {}", list(ws).join(", "));
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {rel}; check its permissions"))?;
    parse(&text, name, &rel)
}

/// Parses a board file's text; `dir_name` is the folder it lives in, `rel` its path for messages.
pub fn parse(text: &str, dir_name: &str, rel: &str) -> Result<Board> {
    let file: BoardFile = toml::from_str(text).map_err(|e| {
        anyhow::anyhow!(
            "{rel}: {}\nhint: a board file has [board] name, target and [qemu] binary, args, icount_args",
            e.to_string().trim_end()
        )
    })?;
    if file.board.name != dir_name {
        bail!("{rel}: [board] name \"{}\" does not match its folder `{dir_name}`; make them equal", file.board.name);
    }
    if file.board.target.trim().is_empty() {
        bail!("{rel}: [board] target is empty; set it to a Rust target triple such as \"thumbv8m.main-none-eabi\"");
    }
    if file.qemu.binary.trim().is_empty() {
        bail!("{rel}: [qemu] binary is empty; set it to the emulator, e.g. \"qemu-system-arm\"");
    }
    Ok(Board {
        name: file.board.name,
        target: file.board.target,
        qemu_binary: file.qemu.binary,
        qemu_args: file.qemu.args,
        icount_args: file.qemu.icount_args,
    })
}

/// Names of all boards with a `board.toml`, sorted.
pub fn list(ws: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(ws.join("boards"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().join("board.toml").is_file())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[board]
name = "mps2-an505"
target = "thumbv8m.main-none-eabi"
[qemu]
binary = "qemu-system-arm"
args = ["-M", "mps2-an505"]
icount_args = ["-icount", "shift=0,sleep=off"]
"#;

    #[test]
    fn parses_board() {
        let b = parse(GOOD, "mps2-an505", "boards/mps2-an505/board.toml").unwrap();
        assert_eq!(b.target, "thumbv8m.main-none-eabi");
        assert_eq!(b.qemu_args, ["-M", "mps2-an505"]);
        assert_eq!(b.icount_args, ["-icount", "shift=0,sleep=off"]);
    }

    #[test]
    fn rejects_unknown_fields_and_name_mismatch() {
        let bad = GOOD.replace("[qemu]", "[qemu]\nfoo = 1");
        let e = format!("{:#}", parse(&bad, "mps2-an505", "b.toml").unwrap_err());
        assert!(e.starts_with("b.toml: ") && e.contains("unknown field `foo`"), "{e}");
        let e = format!("{:#}", parse(GOOD, "other", "b.toml").unwrap_err());
        assert!(e.contains("does not match its folder `other`"), "{e}");
    }

    #[test]
    fn checked_in_board_file_is_valid() {
        let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let b = load(ws, "mps2-an505").unwrap();
        assert_eq!(b.qemu_binary, "qemu-system-arm");
        assert!(b.qemu_args.iter().any(|a| a == "mps2-an505"));
    }

    #[test]
    fn rejects_path_like_names() {
        let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        assert!(!exists(ws, "../boards/mps2-an505"));
        assert!(!exists(ws, ""));
    }
}
