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
    memory: Option<MemorySection>,
    #[serde(default)]
    device: Vec<DeviceSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MemorySection {
    ram_start: u64,
    ram_size: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceSection {
    name: String,
    base: u64,
    size: u64,
    irq: Option<u32>,
    /// `[register, bit]`: the bus gate to open for unprivileged access.
    unprivileged_gate: Option<[u64; 2]>,
}

/// Highest external interrupt number of an ARMv8-M NVIC (the kernel's limit too).
pub const MAX_IRQ: u32 = 479;

/// A memory-mapped device a manifest may grant to a compartment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    pub name: String,
    /// First register, as the CPU addresses it.
    pub base: u64,
    pub size: u64,
    /// External interrupt number (as the NVIC numbers it: exception number − 16), if any. The
    /// compartment granted the device owns the line.
    pub irq: Option<u32>,
    /// (register address, bit number) to set so unprivileged code passes the bus filter.
    pub gate: Option<(u64, u32)>,
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
    /// Clock arguments of tests and benches of images with network peers.
    #[serde(default)]
    icount_peer_args: Vec<String>,
    nic: Option<NicSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NicSection {
    isolated: String,
    loopback: String,
}

/// How QEMU attaches the board's network controller (`-nic <option>`), per network mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nic {
    /// Images without network peers: the guest reaches nothing outside QEMU.
    pub isolated: String,
    /// Images with network peers: the guest reaches the host's loopback at 10.0.2.2; the build
    /// tool appends the intruders' `hostfwd=` rules.
    pub loopback: String,
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
    /// The same for images with network peers: instruction-counted while busy, real time while
    /// idle (so host peers answer before guest timeouts expire).
    pub icount_peer_args: Vec<String>,
    /// The network controller's `-nic` options; `None` if the board has none.
    pub nic: Option<Nic>,
    /// RAM the images may use: (start, size in bytes).
    pub ram: Option<(u64, u64)>,
    /// Devices that can be granted to compartments.
    pub devices: Vec<Device>,
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
    if let Some(nic) = &file.qemu.nic {
        for (field, value) in [("isolated", &nic.isolated), ("loopback", &nic.loopback)] {
            if value.trim().is_empty() || value.starts_with('-') {
                bail!("{rel}: [qemu.nic] {field} \"{value}\" is not a -nic option string; write what follows `-nic`, e.g. \"user,restrict=on\"");
            }
        }
    }
    if file.qemu.binary.trim().is_empty() {
        bail!("{rel}: [qemu] binary is empty; set it to the emulator, e.g. \"qemu-system-arm\"");
    }
    let mut devices: Vec<Device> = Vec::new();
    for d in &file.device {
        if d.name.is_empty() || !d.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            bail!("{rel}: [[device]] name \"{}\" is invalid; use a-z 0-9 _", d.name);
        }
        if d.base % 32 != 0 || d.size == 0 || d.size % 32 != 0 || d.base.checked_add(d.size).is_none_or(|e| e > 1 << 32)
        {
            bail!(
                "{rel}: device {}: base {:#x} / size {:#x} is not a 32-byte aligned, non-empty range below 4 GiB (the MPU cannot grant it exactly); fix the board file",
                d.name, d.base, d.size
            );
        }
        if let Some(other) = devices.iter().find(|o| o.name == d.name) {
            bail!("{rel}: device {} is declared twice; remove one", other.name);
        }
        if let Some(other) = devices.iter().find(|o| o.base < d.base + d.size && d.base < o.base + o.size) {
            bail!("{rel}: devices {} and {} overlap; fix their base/size", other.name, d.name);
        }
        if let Some(irq) = d.irq {
            if irq > MAX_IRQ {
                bail!("{rel}: device {}: irq {irq} is beyond the NVIC (external interrupts 0..={MAX_IRQ}); give the NVIC number the CPU sees", d.name);
            }
            if let Some(other) = devices.iter().find(|o| o.irq == Some(irq)) {
                bail!(
                    "{rel}: devices {} and {} share irq {irq}; an interrupt line has one owner (the compartment granted its device), so list it on one device only",
                    other.name, d.name
                );
            }
        }
        let gate = match d.unprivileged_gate {
            None => None,
            Some([reg, bit]) if reg % 4 == 0 && bit < 32 => Some((reg, bit as u32)),
            Some([reg, bit]) => bail!(
                "{rel}: device {}: unprivileged_gate [{reg:#x}, {bit}] needs a word-aligned register and a bit 0..=31",
                d.name
            ),
        };
        devices.push(Device { name: d.name.clone(), base: d.base, size: d.size, irq: d.irq, gate });
    }
    Ok(Board {
        name: file.board.name,
        target: file.board.target,
        qemu_binary: file.qemu.binary,
        qemu_args: file.qemu.args,
        icount_args: file.qemu.icount_args,
        icount_peer_args: file.qemu.icount_peer_args,
        nic: file.qemu.nic.map(|n| Nic { isolated: n.isolated, loopback: n.loopback }),
        ram: file.memory.map(|m| (m.ram_start, m.ram_size)),
        devices,
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
        assert_eq!(b.ram, Some((0x3800_0000, 0x20_0000)));
        assert!(b.devices.iter().any(|d| d.name == "eth" && d.irq == Some(48)));
        assert!(b.devices.iter().any(|d| d.name == "uart1" && d.irq == Some(43)));
        let nic = b.nic.expect("the board has a network controller");
        assert_eq!(nic.isolated, "user,restrict=on");
        assert_eq!(nic.loopback, "user,restrict=off");
        assert!(!b.qemu_args.iter().any(|a| a == "-nic"), "the NIC comes from [qemu.nic], per image");
        assert_eq!(b.icount_peer_args, ["-icount", "shift=0,sleep=on"]);
    }

    #[test]
    fn nic_options_are_checked() {
        let text = format!("{GOOD}[qemu.nic]\nisolated = \"user,restrict=on\"\nloopback = \"-nic user\"\n");
        let e = format!("{:#}", parse(&text, "mps2-an505", "b.toml").unwrap_err());
        assert!(e.contains("[qemu.nic] loopback \"-nic user\" is not a -nic option string"), "{e}");
        let ok = format!("{GOOD}[qemu.nic]\nisolated = \"user,restrict=on\"\nloopback = \"user\"\n");
        assert_eq!(parse(&ok, "mps2-an505", "b.toml").unwrap().nic.unwrap().loopback, "user");
    }

    #[test]
    fn devices_must_be_mpu_exact_unique_and_disjoint() {
        let dev = |extra: &str| format!("{GOOD}{extra}");
        let one =
            "[[device]]\nname = \"uart1\"\nbase = 0x50201000\nsize = 0x1000\nunprivileged_gate = [0x500800C4, 6]\n";
        let b = parse(&dev(one), "mps2-an505", "b.toml").unwrap();
        assert_eq!(b.devices[0].gate, Some((0x5008_00C4, 6)));
        let e = format!("{:#}", parse(&dev(&one.replace("0x1000", "0x1001")), "mps2-an505", "b.toml").unwrap_err());
        assert!(e.contains("not a 32-byte aligned"), "{e}");
        let twice = format!("{one}{}", one.replace("0x50201000", "0x50201800").replace("uart1", "uart9"));
        let e = format!("{:#}", parse(&dev(&twice), "mps2-an505", "b.toml").unwrap_err());
        assert!(e.contains("devices uart1 and uart9 overlap"), "{e}");
        let irq = one.replace("size = 0x1000\n", "size = 0x1000\nirq = 43\n");
        let shared = format!("{irq}{}", irq.replace("0x50201000", "0x50202000").replace("uart1", "uart2"));
        let e = format!("{:#}", parse(&dev(&shared), "mps2-an505", "b.toml").unwrap_err());
        assert!(e.contains("devices uart1 and uart2 share irq 43"), "{e}");
        let e = format!("{:#}", parse(&dev(&irq.replace("43", "480")), "mps2-an505", "b.toml").unwrap_err());
        assert!(e.contains("irq 480 is beyond the NVIC"), "{e}");
    }

    #[test]
    fn rejects_path_like_names() {
        let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        assert!(!exists(ws, "../boards/mps2-an505"));
        assert!(!exists(ws, ""));
    }
}
