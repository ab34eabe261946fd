//! Third-party C sources from pinned crates.io packages, never copies.
//!
//! A C compartment's `sources` and `include` entries may start with `{<package>}/`: the rest of
//! the path is then relative to that package's directory, which `cargo metadata` reports (the
//! package must be in the workspace's dependency graph, pinned with an exact version by a
//! never-built crate such as `c-compartments/upstream-src`). So `"{lwip}/src/core/*.c"` names
//! lwIP's core sources in the cargo registry, wherever it lives on this machine.
//!
//! `cargo metadata` runs at most once per `cargo xtask` invocation, and only if a manifest uses
//! such a path: offline first, online if the package still has to be downloaded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use crate::process;

/// The crate that pins the upstream C packages (named in error messages).
pub const PIN_CRATE: &str = "c-compartments/upstream-src";

/// A `{package}/rest` reference split into its parts; `None` for an ordinary relative path.
pub fn split(path: &str) -> Option<(&str, &str)> {
    let inner = path.strip_prefix('{')?;
    let (package, rest) = inner.split_once('}')?;
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    Some((package, rest))
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<MetaPackage>,
}

#[derive(Deserialize)]
struct MetaPackage {
    name: String,
    version: String,
    manifest_path: PathBuf,
}

/// Package directories by name (one entry per version in the graph), from `cargo metadata`.
#[derive(Debug, Default)]
pub struct Packages {
    dirs: BTreeMap<String, Vec<(String, PathBuf)>>,
}

impl Packages {
    /// Parses `cargo metadata --format-version 1` output.
    pub fn from_metadata(json: &str) -> Result<Packages, String> {
        let meta: Metadata = serde_json::from_str(json).map_err(|e| {
            format!("cannot understand `cargo metadata --format-version 1` output ({e}); check that it works in the workspace")
        })?;
        let mut dirs: BTreeMap<String, Vec<(String, PathBuf)>> = BTreeMap::new();
        for p in meta.packages {
            let dir = p.manifest_path.parent().map(Path::to_path_buf).unwrap_or_default();
            dirs.entry(p.name).or_default().push((p.version, dir));
        }
        Ok(Packages { dirs })
    }

    /// Every version of `package` in the graph, with its directory.
    pub fn versions(&self, package: &str) -> Vec<(&str, &Path)> {
        self.dirs.get(package).map_or_else(Vec::new, |v| v.iter().map(|(ver, d)| (ver.as_str(), d.as_path())).collect())
    }

    /// The directory and version of `package`; an error tells how to pin it.
    pub fn dir(&self, package: &str) -> Result<(&str, &Path), String> {
        match self.dirs.get(package).map(Vec::as_slice) {
            Some([(version, dir)]) => Ok((version, dir)),
            Some(several) if !several.is_empty() => Err(format!(
                "package `{package}` is in the dependency graph at several versions ({}); pin exactly one in {PIN_CRATE}/Cargo.toml",
                several.iter().map(|(v, _)| v.as_str()).collect::<Vec<_>>().join(", ")
            )),
            _ => Err(format!(
                "package `{package}` is not in the workspace's dependency graph; pin it in {PIN_CRATE}/Cargo.toml (`{package} = {{ version = \"=<version>\", default-features = false }}`) and run `cargo fetch`"
            )),
        }
    }
}

/// Runs `cargo metadata` in the workspace (offline first, then online).
pub fn load(ws: &Path) -> Result<Packages, String> {
    let run = |offline: bool| {
        let mut cmd = Command::new("cargo");
        cmd.args(["metadata", "--format-version", "1"]).current_dir(ws);
        if offline {
            cmd.arg("--offline");
        }
        process::scrub_cargo_env(&mut cmd, true);
        cmd.output().map_err(|e| format!("cannot run `cargo metadata` ({e}); check that cargo is on PATH"))
    };
    let mut out = run(true)?;
    if !out.status.success() {
        out = run(false)?;
    }
    if !out.status.success() {
        return Err(format!(
            "`cargo metadata` cannot fetch the pinned upstream packages ({PIN_CRATE}); check the network access to the package registry, then run `cargo fetch`:\n{}",
            String::from_utf8_lossy(&out.stderr).trim_end()
        ));
    }
    Packages::from_metadata(&String::from_utf8_lossy(&out.stdout))
}

/// Loads the package table on first use and keeps it (or the error) for later references.
#[derive(Debug, Default)]
pub struct Lazy {
    loaded: Option<Result<Packages, String>>,
}

impl Lazy {
    /// Resolves `{package}/rest` to `(base directory, rest, shown prefix)`, where the shown
    /// prefix (`package@version`) replaces the machine-specific registry path in reports.
    pub fn resolve<'p>(&mut self, ws: &Path, path: &'p str) -> Option<Result<(PathBuf, &'p str, String), String>> {
        let (package, rest) = split(path)?;
        let packages = self.loaded.get_or_insert_with(|| load(ws));
        Some(match packages {
            Ok(p) => p.dir(package).map(|(version, dir)| (dir.to_path_buf(), rest, format!("{package}@{version}"))),
            Err(e) => Err(e.clone()),
        })
    }

    #[cfg(test)]
    pub fn with(packages: Packages) -> Lazy {
        Lazy { loaded: Some(Ok(packages)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const META: &str = r#"{"packages":[
        {"name":"lwip","version":"0.3.15","manifest_path":"/reg/lwip-0.3.15/Cargo.toml"},
        {"name":"syn","version":"1.0.0","manifest_path":"/reg/syn-1.0.0/Cargo.toml"},
        {"name":"syn","version":"2.0.0","manifest_path":"/reg/syn-2.0.0/Cargo.toml"}]}"#;

    #[test]
    fn splits_package_references() {
        assert_eq!(split("{lwip}/src/core/*.c"), Some(("lwip", "src/core/*.c")));
        assert_eq!(split("{lwip}"), Some(("lwip", "")));
        assert_eq!(split("src/*.c"), None);
        assert_eq!(split("{lwip/src"), None);
    }

    #[test]
    fn finds_pinned_package_directories() {
        let p = Packages::from_metadata(META).unwrap();
        assert_eq!(p.dir("lwip").unwrap(), ("0.3.15", Path::new("/reg/lwip-0.3.15")));
        let e = p.dir("syn").unwrap_err();
        assert!(e.contains("several versions (1.0.0, 2.0.0)") && e.contains(PIN_CRATE), "{e}");
        let e = p.dir("core-mqtt-sys").unwrap_err();
        assert!(e.contains("not in the workspace's dependency graph") && e.contains("cargo fetch"), "{e}");
        assert!(Packages::from_metadata("{").unwrap_err().contains("cannot understand"));
    }

    #[test]
    fn resolves_lazily_with_a_shown_prefix() {
        let mut lazy = Lazy::with(Packages::from_metadata(META).unwrap());
        let ws = Path::new("/w");
        assert!(lazy.resolve(ws, "src/a.c").is_none());
        let (dir, rest, shown) = lazy.resolve(ws, "{lwip}/src/core/*.c").unwrap().unwrap();
        assert_eq!(
            (dir.as_path(), rest, shown.as_str()),
            (Path::new("/reg/lwip-0.3.15"), "src/core/*.c", "lwip@0.3.15")
        );
        assert!(lazy.resolve(ws, "{nope}/x.c").unwrap().is_err());
    }
}
