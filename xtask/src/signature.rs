//! Typed signatures of compartment exports, and the typed call stubs generated from them.
//!
//! Where a signature comes from:
//! - a **Rust** export (`#[no_mangle] pub extern "C" fn` in a compartment crate): cbindgen turns
//!   the crate's source into C prototypes ([`rust_exports_header`]) — the C view C callers get —
//!   and [`parse_c_prototypes`] reads them;
//! - a **C** export: the compartment declares its exports in a header (`exports_header`);
//!   bindgen turns it into Rust declarations ([`c_exports_bindings`]) — the Rust view Rust callers
//!   get — and [`parse_rust_externs`] reads them.
//!
//! Either way the result is a [`Signature`]: whole-register integers and capability arguments
//! (grants) of a declared [`GrantKind`], checked against the four-register call ABI
//! ([`Signature::check`]). From it the build tool generates typed stubs for Rust callers
//! ([`rust_stub`]) and C callers ([`c_stub`]): a caller cannot pass a grant of another kind (a
//! compile error at the call) nor a buffer the MPU could not bound exactly.
//!
//! ABI of a typed call: parameters fill r0..r3 in order; an integer takes one register, a grant
//! two (base address, then length in bytes) and is also described to the kernel
//! (`CALL_GRANTS`), which checks it and maps it for the call. This is how AAPCS passes a
//! two-word `#[repr(C)]` struct by value, so the callee simply declares a parameter of the grant
//! type (`rtos_sys::ReadOnly<'_>`, C `rtos_read_only_t`, ...).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Argument registers of a cross-compartment call (r0..r3).
pub const ARG_REGISTERS: usize = 4;
/// Most grants in one call (`rtos_sys::MAX_GRANTS`: MPU regions 3–4).
pub const MAX_GRANTS: usize = 2;

/// What a capability argument lets the callee do with the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum GrantKind {
    ReadOnly,
    ReadWrite,
    StoreOnly,
}

impl GrantKind {
    pub const ALL: [GrantKind; 3] = [GrantKind::ReadOnly, GrantKind::ReadWrite, GrantKind::StoreOnly];

    /// As in docs and the audit report: `read-only`, `read-write`, `store-only`.
    pub fn name(self) -> &'static str {
        match self {
            GrantKind::ReadOnly => "read-only",
            GrantKind::ReadWrite => "read-write",
            GrantKind::StoreOnly => "store-only",
        }
    }
    /// The Rust type in `rtos-sys` (callers and callees alike).
    pub fn rust_type(self) -> &'static str {
        match self {
            GrantKind::ReadOnly => "ReadOnly",
            GrantKind::ReadWrite => "ReadWrite",
            GrantKind::StoreOnly => "StoreOnly",
        }
    }
    /// The C type in `rtos.h`.
    pub fn c_type(self) -> &'static str {
        match self {
            GrantKind::ReadOnly => "rtos_read_only_t",
            GrantKind::ReadWrite => "rtos_read_write_t",
            GrantKind::StoreOnly => "rtos_store_only_t",
        }
    }

    /// `rtos_cap_t.kind` / `GrantDesc.kind`.
    pub fn c_constant(self) -> &'static str {
        match self {
            GrantKind::ReadOnly => "RTOS_CAP_READ_ONLY",
            GrantKind::ReadWrite => "RTOS_CAP_READ_WRITE",
            GrantKind::StoreOnly => "RTOS_CAP_STORE_ONLY",
        }
    }
    fn from_type_name(name: &str) -> Option<GrantKind> {
        GrantKind::ALL.into_iter().find(|k| name == k.rust_type() || name == k.c_type())
    }
}

/// A parameter or return type that can cross a compartment boundary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    U32,
    I32,
    Usize,
    Isize,
    /// Narrow integers and `bool`: only as return types (see [`Signature::check`]).
    U8,
    U16,
    I8,
    I16,
    Bool,
    Grant(GrantKind),
}

impl Ty {
    /// Registers it takes as a parameter.
    pub fn registers(self) -> usize {
        match self {
            Ty::Grant(_) => 2,
            _ => 1,
        }
    }
    fn is_narrow(self) -> bool {
        matches!(self, Ty::U8 | Ty::U16 | Ty::I8 | Ty::I16 | Ty::Bool)
    }
    /// The Rust type of a stub parameter or result.
    pub fn rust(self) -> String {
        match self {
            Ty::U32 => "u32".into(),
            Ty::I32 => "i32".into(),
            Ty::Usize => "usize".into(),
            Ty::Isize => "isize".into(),
            Ty::U8 => "u8".into(),
            Ty::U16 => "u16".into(),
            Ty::I8 => "i8".into(),
            Ty::I16 => "i16".into(),
            Ty::Bool => "bool".into(),
            Ty::Grant(k) => format!("rtos_sys::{}<'_>", k.rust_type()),
        }
    }
    /// The C type of a stub parameter or result.
    pub fn c(self) -> &'static str {
        match self {
            Ty::U32 => "uint32_t",
            Ty::I32 => "int32_t",
            Ty::Usize => "size_t",
            Ty::Isize => "ptrdiff_t",
            Ty::U8 => "uint8_t",
            Ty::U16 => "uint16_t",
            Ty::I8 => "int8_t",
            Ty::I16 => "int16_t",
            Ty::Bool => "bool",
            Ty::Grant(k) => k.c_type(),
        }
    }
    /// Short form for the audit report and messages: `u32`, `read-only`, ...
    pub fn describe(self) -> &'static str {
        match self {
            Ty::Grant(k) => k.name(),
            Ty::U32 => "u32",
            Ty::I32 => "i32",
            Ty::Usize => "usize",
            Ty::Isize => "isize",
            Ty::U8 => "u8",
            Ty::U16 => "u16",
            Ty::I8 => "i8",
            Ty::I16 => "i16",
            Ty::Bool => "bool",
        }
    }

    /// A C type name as cbindgen writes it (or as a C header spells it).
    pub fn from_c(name: &str) -> Option<Ty> {
        let name = name.trim();
        Some(match name {
            "uint32_t" | "unsigned int" | "unsigned" => Ty::U32,
            "int32_t" | "int" => Ty::I32,
            "size_t" | "uintptr_t" => Ty::Usize,
            "ptrdiff_t" | "intptr_t" => Ty::Isize,
            "uint8_t" => Ty::U8,
            "uint16_t" => Ty::U16,
            "int8_t" => Ty::I8,
            "int16_t" => Ty::I16,
            "bool" => Ty::Bool,
            other => return GrantKind::from_type_name(other).map(Ty::Grant),
        })
    }

    /// A Rust type name as bindgen writes it for the 32-bit Arm target (last path segment).
    pub fn from_rust(name: &str) -> Option<Ty> {
        Some(match name {
            "u32" | "c_uint" | "c_ulong" => Ty::U32,
            "i32" | "c_int" | "c_long" => Ty::I32,
            "usize" | "size_t" | "uintptr_t" => Ty::Usize,
            "isize" | "ptrdiff_t" | "intptr_t" => Ty::Isize,
            "u8" | "c_uchar" => Ty::U8,
            "u16" | "c_ushort" => Ty::U16,
            "i8" | "c_schar" => Ty::I8,
            "i16" | "c_short" => Ty::I16,
            "bool" => Ty::Bool,
            other => return GrantKind::from_type_name(other).map(Ty::Grant),
        })
    }
}

/// One parameter: its name as the exporter wrote it (for docs and stubs) and its type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub ty: Ty,
}

/// The signature of one export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    pub params: Vec<Param>,
    /// `None`: returns nothing.
    pub ret: Option<Ty>,
}

impl fmt::Display for Signature {
    /// `(buf: read-only, len: u32) -> u32`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let params: Vec<String> = self.params.iter().map(|p| format!("{}: {}", p.name, p.ty.describe())).collect();
        write!(f, "({})", params.join(", "))?;
        if let Some(r) = self.ret {
            write!(f, " -> {}", r.describe())?;
        }
        Ok(())
    }
}

impl Signature {
    /// The grant parameters, in order: the argument register of each one's address (its length
    /// is in the next register) and its kind. The kernel's export table records them.
    pub fn grant_params(&self) -> Vec<(usize, GrantKind)> {
        let mut register = 0;
        let mut out = Vec::new();
        for p in &self.params {
            if let Ty::Grant(k) = p.ty {
                out.push((register, k));
            }
            register += p.ty.registers();
        }
        out
    }

    /// Whether the signature fits the call ABI; the error completes "export `f` ...".
    pub fn check(&self) -> Result<(), String> {
        let registers: usize = self.params.iter().map(|p| p.ty.registers()).sum();
        if registers > ARG_REGISTERS {
            return Err(format!(
                "{self} needs {registers} argument registers but a cross-compartment call has {ARG_REGISTERS} (an integer takes one, a grant two: address and length); pass fewer arguments, e.g. put them in a granted buffer"
            ));
        }
        let grants = self.params.iter().filter(|p| matches!(p.ty, Ty::Grant(_))).count();
        if grants > MAX_GRANTS {
            return Err(format!(
                "{self} takes {grants} grants but a call can lend at most {MAX_GRANTS} (one MPU region each); merge buffers or split the call"
            ));
        }
        if let Some(p) = self.params.iter().find(|p| p.ty.is_narrow()) {
            return Err(format!(
                "{self}: parameter `{}` is a {}, but the kernel passes registers unchecked, so a caller could hand the callee a value out of the type's range; take a u32 or i32 and convert it inside the export",
                p.name,
                p.ty.describe()
            ));
        }
        Ok(())
    }
}

/// Per function of a header: its signature, or why it cannot cross a compartment boundary.
pub type Found = BTreeMap<String, Result<Signature, String>>;

/// Splits `"<type> <name>"` (C) into type and name; `name` may be missing (`uint32_t`).
fn split_c_param(text: &str) -> (String, String) {
    let text = text.trim();
    let cut = text.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
    let (ty, name) = text.split_at(cut);
    if ty.trim().is_empty() {
        (text.to_owned(), String::new())
    } else {
        (ty.trim().to_owned(), name.to_owned())
    }
}

/// Reads the C function prototypes of a header written by cbindgen (one per line:
/// `uint32_t f(rtos_read_only_t buf, uint32_t len);`). Returns, per function, its signature or
/// why it cannot cross a compartment boundary (completing "export `f` ...").
pub fn parse_c_prototypes(header: &str) -> Found {
    let mut out = BTreeMap::new();
    for line in header.lines().map(str::trim) {
        if !line.ends_with(");") || line.starts_with('#') || line.starts_with("typedef") {
            continue;
        }
        let Some(open) = line.find('(') else { continue };
        let head = &line[..open];
        let args = &line[open + 1..line.len() - 2];
        let (ret_text, name) = split_c_param(head);
        if name.is_empty() {
            continue;
        }
        let ret_text = ret_text.replace("__attribute__((noreturn))", "");
        let ret = match ret_text.trim() {
            "void" => Ok(None),
            t => Ty::from_c(t).filter(|t| !matches!(t, Ty::Grant(_))).map(Some).ok_or_else(|| t.to_owned()),
        };
        let mut params = Vec::new();
        let mut bad: Option<String> = None;
        if args.trim() != "void" && !args.trim().is_empty() {
            for (i, a) in args.split(',').enumerate() {
                let (ty, pname) = split_c_param(a);
                let pname = if pname.is_empty() { format!("arg{i}") } else { pname };
                match Ty::from_c(&ty) {
                    Some(t) => params.push(Param { name: pname, ty: t }),
                    None => {
                        bad.get_or_insert(format!(
                            "takes parameter `{pname}` of C type `{ty}`, which cannot cross a compartment boundary; use u32, i32, usize or isize, or a grant (rtos_sys::ReadOnly, ReadWrite, StoreOnly / rtos_read_only_t, ...)"
                        ));
                    }
                }
            }
        }
        let result = match (bad, ret) {
            (Some(b), _) => Err(b),
            (None, Err(t)) => Err(format!(
                "returns C type `{t}`, which cannot cross a compartment boundary (one 32-bit register); return an integer of at most 32 bits, bool, or nothing"
            )),
            (None, Ok(ret)) => Ok(Signature { params, ret }),
        };
        out.insert(name, result);
    }
    out
}

/// The C prototypes of the `#[no_mangle] pub extern "C"` functions of a Rust compartment crate
/// whose root source file is `lib_rs` (modules it declares are followed), generated by cbindgen.
/// Grant types are renamed to their `rtos.h` names.
pub fn rust_exports_header(lib_rs: &Path, krate: &str) -> Result<String, String> {
    let mut config = cbindgen::Config {
        language: cbindgen::Language::C,
        header: Some(format!(
            "/* @generated by `cargo xtask` with cbindgen from crate {krate} — do not edit.\n * The C view of its exports; callers use the stubs in their imports.h. */"
        )),
        no_includes: true,
        sys_includes: vec!["rtos.h".to_owned()],
        usize_is_size_t: true,
        style: cbindgen::Style::Type,
        documentation: false,
        line_length: 10_000,
        ..cbindgen::Config::default()
    };
    config.function.args = cbindgen::Layout::Horizontal;
    for k in GrantKind::ALL {
        config.export.rename.insert(k.rust_type().to_owned(), k.c_type().to_owned());
    }
    let bindings = cbindgen::Builder::new().with_config(config).with_src(lib_rs).generate().map_err(|e| {
        format!(
            "cbindgen cannot read the exports of crate {krate} from {} ({e}); fix the Rust source",
            lib_rs.display()
        )
    })?;
    let mut out = Vec::new();
    bindings.write(&mut out);
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// What bindgen needs to read a C compartment's export header.
pub struct CHeader<'a> {
    pub header: &'a Path,
    /// Directory of the generated `rtos.h`.
    pub rtos_include: &'a Path,
    pub include_dirs: &'a [PathBuf],
    pub defines: &'a [String],
    pub exports: &'a [String],
}

/// Rust declarations of the exports a C compartment's header declares, generated by bindgen
/// (only the exports; grant types are left as names).
pub fn c_exports_bindings(h: &CHeader<'_>) -> Result<String, String> {
    let mut b = bindgen::Builder::default()
        .header(h.header.display().to_string())
        .use_core()
        .layout_tests(false)
        .generate_comments(false)
        .clang_arg("--target=thumbv8m.main-none-eabi")
        .clang_arg("-ffreestanding")
        // The freestanding headers (stdint.h, stddef.h, stdbool.h) of the compiler that builds
        // the compartment, rather than whatever libclang finds (it has no resource directory
        // when no clang executable is installed).
        .clang_arg("-nostdinc")
        .clang_arg(format!("-isystem{}", gcc_include_dir()?.display()))
        .clang_arg(format!("-I{}", h.rtos_include.display()));
    for d in h.include_dirs {
        b = b.clang_arg(format!("-I{}", d.display()));
    }
    for d in h.defines {
        b = b.clang_arg(format!("-D{d}"));
    }
    for e in h.exports {
        b = b.allowlist_function(format!("^{e}$"));
    }
    for k in GrantKind::ALL {
        b = b.blocklist_type(k.c_type());
    }
    let bindings = b.generate().map_err(|e| {
        format!(
            "bindgen cannot read {} ({e}); fix the header (it must compile on its own with rtos.h and the compartment's include directories; libclang comes from the Debian package libclang-dev)",
            h.header.display()
        )
    })?;
    Ok(bindings.to_string())
}

/// `arm-none-eabi-gcc -print-file-name=include`: gcc's own freestanding headers.
fn gcc_include_dir() -> Result<PathBuf, String> {
    static DIR: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let out = std::process::Command::new(crate::c_compartment::GCC)
            .arg("-print-file-name=include")
            .output()
            .map_err(|e| format!("cannot run {} ({e}); install gcc-arm-none-eabi", crate::c_compartment::GCC))?;
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("stdint.h").is_file() {
            Ok(dir)
        } else {
            Err(format!(
                "{} -print-file-name=include gives {}, which has no stdint.h; reinstall gcc-arm-none-eabi",
                crate::c_compartment::GCC,
                dir.display()
            ))
        }
    })
    .clone()
}

fn rust_type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| s.ident.to_string()),
        syn::Type::Paren(p) => rust_type_name(&p.elem),
        syn::Type::Group(g) => rust_type_name(&g.elem),
        _ => None,
    }
}

fn type_text(ty: &syn::Type) -> String {
    use quote::ToTokens;
    ty.to_token_stream().to_string()
}

/// Reads the functions of bindgen's output (`extern "C" { pub fn f(buf: rtos_read_only_t, len:
/// u32) -> u32; }`): per function its signature or why it cannot cross a compartment boundary.
pub fn parse_rust_externs(code: &str) -> Result<Found, String> {
    let file = syn::parse_file(code).map_err(|e| format!("cannot parse bindgen's output ({e})"))?;
    let mut out = BTreeMap::new();
    for item in file.items {
        let syn::Item::ForeignMod(m) = item else { continue };
        for fi in m.items {
            let syn::ForeignItem::Fn(f) = fi else { continue };
            let name = f.sig.ident.to_string();
            let mut params = Vec::new();
            let mut bad: Option<String> = None;
            if f.sig.variadic.is_some() {
                bad = Some("is variadic; declare a fixed parameter list".to_owned());
            }
            for (i, input) in f.sig.inputs.iter().enumerate() {
                let syn::FnArg::Typed(pt) = input else { continue };
                let pname = match &*pt.pat {
                    syn::Pat::Ident(id) => id.ident.to_string(),
                    _ => format!("arg{i}"),
                };
                match rust_type_name(&pt.ty).as_deref().and_then(Ty::from_rust) {
                    Some(t) => params.push(Param { name: pname, ty: t }),
                    None => {
                        bad.get_or_insert(format!(
                            "takes parameter `{pname}` of type `{}`, which cannot cross a compartment boundary; use uint32_t, int32_t, size_t or ptrdiff_t, or a grant (rtos_read_only_t, rtos_read_write_t, rtos_store_only_t)",
                            type_text(&pt.ty)
                        ));
                    }
                }
            }
            let ret = match &f.sig.output {
                syn::ReturnType::Default => Ok(None),
                syn::ReturnType::Type(_, ty) => match rust_type_name(ty).as_deref().and_then(Ty::from_rust) {
                    Some(Ty::Grant(_)) | None => Err(type_text(ty)),
                    Some(t) => Ok(Some(t)),
                },
            };
            let result = match (bad, ret) {
                (Some(b), _) => Err(b),
                (None, Err(t)) => Err(format!(
                    "returns `{t}`, which cannot cross a compartment boundary (one 32-bit register); return an integer of at most 32 bits, bool, or void"
                )),
                (None, Ok(ret)) => Ok(Signature { params, ret }),
            };
            out.insert(name, result);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Resolving every export of every image

/// The signature of every export of the images, by image name, compartment and export.
#[derive(Clone, Debug, Default)]
pub struct Signatures {
    map: BTreeMap<(String, String, String), Signature>,
}

impl Signatures {
    /// The signature an import of `image` calls.
    pub fn of_import(&self, image: &str, import: &crate::manifest::Import) -> Option<&Signature> {
        self.map.get(&(image.to_owned(), import.compartment.clone(), import.export.clone()))
    }
    /// The signature of export `export` of compartment `compartment` in `image`.
    pub fn of_export(&self, image: &str, compartment: &str, export: &str) -> Option<&Signature> {
        self.map.get(&(image.to_owned(), compartment.to_owned(), export.to_owned()))
    }
    /// For tests: a set of signatures given directly.
    #[cfg(test)]
    pub fn insert(&mut self, image: &str, compartment: &str, export: &str, sig: Signature) {
        self.map.insert((image.to_owned(), compartment.to_owned(), export.to_owned()), sig);
    }
}

/// `exports/<lib>.h` in the generation directory: the C view of a Rust compartment's exports.
pub fn rust_header_path(gen_dir: &Path, lib_name: &str) -> PathBuf {
    gen_dir.join("exports").join(format!("{lib_name}.h"))
}

/// Reads the signature of every export of `images` (cbindgen for Rust compartments, bindgen for
/// C ones; `rtos_include` must already hold `rtos.h`) and checks them. Writes the C view of each
/// Rust compartment crate's exports to `exports/<lib>.h`. Returns every problem at once.
pub fn resolve(
    ws: &Path,
    gen_dir: &Path,
    rtos_include: &Path,
    images: &[&crate::manifest::Image],
) -> Result<Signatures, Vec<String>> {
    let mut errors = Vec::new();
    let mut sigs = Signatures::default();
    let mut rust_cache: BTreeMap<PathBuf, Result<Found, String>> = BTreeMap::new();
    for image in images {
        for c in &image.config.compartments {
            if c.exports.is_empty() {
                continue;
            }
            let head = format!("{}: compartment \"{}\"", image.manifest, c.name);
            let (found, place) = match (&c.c, &c.crate_root) {
                (Some(cs), _) => {
                    let Some(header) = &cs.exports_header_path else { continue }; // reported by the manifest checks
                    let h = CHeader {
                        header,
                        rtos_include,
                        include_dirs: &cs.include_dirs,
                        defines: &cs.defines,
                        exports: &c.exports,
                    };
                    let parsed = c_exports_bindings(&h).and_then(|code| parse_rust_externs(&code));
                    (parsed, format!("its exports_header {}", cs.exports_header.as_deref().unwrap_or("")))
                }
                (None, Some(root)) => {
                    let parsed = rust_cache
                        .entry(root.clone())
                        .or_insert_with(|| {
                            let header = rust_exports_header(root, &c.krate)?;
                            let path = rust_header_path(gen_dir, &c.lib_name);
                            crate::codegen::write_if_changed(&path, &header).map_err(|e| format!("{e:#}"))?;
                            Ok(parse_c_prototypes(&header))
                        })
                        .clone();
                    (parsed, format!("crate {} ({})", c.krate, crate::rel_path(ws, root)))
                }
                (None, None) => continue, // the crate did not resolve: reported already
            };
            let found = match found {
                Ok(f) => f,
                Err(why) => {
                    errors.push(format!("{head}: {why}"));
                    continue;
                }
            };
            for e in &c.exports {
                match found.get(e) {
                    None if c.c.is_some() => errors.push(format!(
                        "{head}: export `{e}` is not declared in {place}; add its prototype there, e.g. uint32_t {e}(uint32_t a);"
                    )),
                    None => errors.push(format!(
                        "{head}: export `{e}` is not a `#[no_mangle] pub extern \"C\" fn` in {place} or the modules it declares (cbindgen found none); declare it so, e.g. #[no_mangle] pub extern \"C\" fn {e}(a: u32) -> u32"
                    )),
                    Some(Err(why)) => errors.push(format!("{head}: export `{e}` {why}")),
                    Some(Ok(sig)) => match sig.check() {
                        Err(why) => errors.push(format!("{head}: export `{e}` cannot be called across compartments: {why}")),
                        Ok(()) => {
                            sigs.map.insert((image.name.clone(), c.name.clone(), e.clone()), sig.clone());
                        }
                    },
                }
            }
        }
    }
    errors.extend(check_annotations(images, &sigs));
    errors.extend(check_shared_signatures(images, &sigs));
    if errors.is_empty() {
        Ok(sigs)
    } else {
        Err(errors)
    }
}

/// The grant kinds a manifest pins (`grants = {...}`) must be those of the signatures.
fn check_annotations(images: &[&crate::manifest::Image], sigs: &Signatures) -> Vec<String> {
    let mut errors = Vec::new();
    for image in images {
        for c in &image.config.compartments {
            for a in &c.grants {
                let (owner, export) = match &a.import {
                    Some(i) => (i.compartment.as_str(), i.export.as_str()),
                    None => (c.name.as_str(), a.function.as_str()),
                };
                let key = (image.name.clone(), owner.to_owned(), export.to_owned());
                let Some(sig) = sigs.map.get(&key) else { continue }; // its own error was reported
                let actual: Vec<&str> = sig
                    .params
                    .iter()
                    .filter_map(|p| match p.ty {
                        Ty::Grant(k) => Some(k.name()),
                        _ => None,
                    })
                    .collect();
                if actual != a.kinds {
                    errors.push(format!(
                        "{}: compartment \"{}\": grants[\"{}\"] = [{}] but export `{owner}.{export}` takes {sig}, i.e. grants [{}]; the function does not accept that grant kind: fix the manifest or the export's signature (in its source)",
                        image.manifest,
                        c.name,
                        a.function,
                        a.kinds.join(", "),
                        actual.join(", ")
                    ));
                }
            }
        }
    }
    errors
}

/// A Rust compartment crate's typed stubs are generated once for all images using it, so each of
/// its imports must resolve to the same signature in every image.
fn check_shared_signatures(images: &[&crate::manifest::Image], sigs: &Signatures) -> Vec<String> {
    let mut first: BTreeMap<(String, String), (&str, &Signature)> = BTreeMap::new();
    let mut errors = Vec::new();
    for image in images {
        for c in image.config.compartments.iter().filter(|c| c.c.is_none()) {
            for i in &c.imports {
                let Some(sig) = sigs.of_import(&image.name, i) else { continue };
                match first.get(&(c.krate.clone(), i.qualified())) {
                    Some((other, s)) if *s != sig => errors.push(format!(
                        "{}: compartment \"{}\": import \"{}\" has signature {sig} here but {s} in {other}; crate {} gets one set of typed stubs for all images, so bind the import to exports with the same signature (or use different importer crates)",
                        image.manifest, c.name, i.qualified(), c.krate
                    )),
                    Some(_) => {}
                    None => {
                        first.insert((c.krate.clone(), i.qualified()), (&image.manifest, sig));
                    }
                }
            }
        }
    }
    errors
}

/// The audit report's form of a signature.
pub fn audit_form(sig: &Signature) -> crate::audit::SignatureAudit {
    crate::audit::SignatureAudit {
        text: sig.to_string(),
        params: sig
            .params
            .iter()
            .map(|p| crate::audit::ParamAudit {
                name: p.name.clone(),
                ty: match p.ty {
                    Ty::Grant(_) => "grant".to_owned(),
                    t => t.describe().to_owned(),
                },
                grant: match p.ty {
                    Ty::Grant(k) => Some(k.name().to_owned()),
                    _ => None,
                },
            })
            .collect(),
        returns: sig.ret.map(|t| t.describe().to_owned()),
    }
}

impl Signatures {
    /// `signatures.json` of `image` (see [`crate::audit::signatures_path`]).
    pub fn audit_json(&self, image: &str) -> String {
        let of_image: BTreeMap<String, crate::audit::SignatureAudit> = self
            .map
            .iter()
            .filter(|((i, _, _), _)| i == image)
            .map(|((_, c, e), s)| (format!("{c}.{e}"), audit_form(s)))
            .collect();
        serde_json::to_string_pretty(&of_image).unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------------------------
// Stubs

/// Names the stubs use themselves.
const STUB_LOCALS: &[&str] = &["slot", "ret", "desc", "args", "caps"];

/// Parameter names usable in a generated stub: the exporter's, unless empty, `_`, a keyword or a
/// name the stub itself uses; then `argN`.
fn stub_param_names(sig: &Signature) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (i, p) in sig.params.iter().enumerate() {
        let n = p.name.trim_start_matches('_');
        let ok = !n.is_empty()
            && n.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !crate::manifest::is_rust_keyword(n)
            && !C_KEYWORDS.contains(&n)
            && !STUB_LOCALS.contains(&n)
            && !n.starts_with("rtos_")
            && !names.iter().any(|m| m == n);
        names.push(if ok { n.to_owned() } else { format!("arg{i}") });
    }
    names
}

const C_KEYWORDS: &[&str] = &[
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern", "float",
    "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed", "sizeof",
    "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "bool", "true", "false",
];

/// The register values of a call, as Rust or C expressions (grants take base and length).
fn register_exprs(sig: &Signature, names: &[String], c: bool) -> Vec<String> {
    let mut regs = Vec::new();
    for (p, n) in sig.params.iter().zip(names) {
        match p.ty {
            Ty::Grant(_) if c => {
                regs.push(format!("(uint32_t)(uintptr_t){n}.base"));
                regs.push(format!("{n}.len"));
            }
            Ty::Grant(_) => {
                regs.push(format!("{n}.base()"));
                regs.push(format!("{n}.len()"));
            }
            Ty::U32 => regs.push(n.clone()),
            _ if c => regs.push(format!("(uint32_t){n}")),
            _ => regs.push(format!("{n} as u32")),
        }
    }
    while regs.len() < ARG_REGISTERS {
        regs.push(if c { "0u".into() } else { "0".into() });
    }
    regs
}

/// A typed Rust stub for import slot `slot`, function `name` (a Rust identifier), `doc` its
/// description; `indent` prefixes every line.
pub fn rust_stub(indent: &str, doc: &str, name: &str, slot: usize, sig: &Signature) -> String {
    let names = stub_param_names(sig);
    let params: Vec<String> = sig.params.iter().zip(&names).map(|(p, n)| format!("{n}: {}", p.ty.rust())).collect();
    let ret = sig.ret.map_or("()".to_owned(), Ty::rust);
    let regs = register_exprs(sig, &names, false).join(", ");
    let grants: Vec<String> = sig
        .params
        .iter()
        .zip(&names)
        .filter(|(p, _)| matches!(p.ty, Ty::Grant(_)))
        .map(|(_, n)| format!("{n}.grant()"))
        .collect();
    let call = if grants.is_empty() {
        format!("rtos_sys::call({slot}, [{regs}])")
    } else {
        format!("rtos_sys::call_granted({slot}, [{regs}], &[{}])", grants.join(", "))
    };
    let convert = match sig.ret {
        None => ".map(drop)".to_owned(),
        Some(Ty::U32) => String::new(),
        Some(Ty::Bool) => ".map(|r| r != 0)".to_owned(),
        Some(t) => format!(".map(|r| r as {})", t.rust()),
    };
    format!(
        "{indent}/// {doc}\n{indent}#[inline(always)]\n{indent}pub fn {name}({}) -> Result<{ret}, rtos_sys::CallError> {{\n{indent}    {call}{convert}\n{indent}}}\n",
        params.join(", ")
    )
}

/// A typed C stub `stub` for import slot `slot`: the export's parameters, then (unless it returns
/// nothing) a pointer for its result (may be NULL); returns `RTOS_OK` or an `RTOS_E_*` status.
pub fn c_stub(doc: &str, stub: &str, slot: usize, sig: &Signature) -> String {
    let names = stub_param_names(sig);
    let mut params: Vec<String> = sig.params.iter().zip(&names).map(|(p, n)| format!("{} {n}", p.ty.c())).collect();
    if let Some(r) = sig.ret {
        params.push(format!("{} *ret", r.c()));
    }
    let params = if params.is_empty() { "void".to_owned() } else { params.join(", ") };
    let regs = register_exprs(sig, &names, true);
    let grants: Vec<String> = sig
        .params
        .iter()
        .zip(&names)
        .filter_map(|(p, n)| match p.ty {
            Ty::Grant(k) => Some(format!("{{{n}.base, {n}.len, {}}}", k.c_constant())),
            _ => None,
        })
        .collect();
    // Result: straight into `ret` for uint32_t, else through a word (narrowed explicitly).
    let (target, tail) = match sig.ret {
        None => ("NULL".to_owned(), String::new()),
        Some(Ty::U32) => ("ret".to_owned(), String::new()),
        Some(t) => {
            ("&rtos_r".to_owned(), format!("    if (rtos_s == RTOS_OK && ret != NULL) *ret = ({})rtos_r;\n", t.c()))
        }
    };
    let call = if grants.is_empty() {
        format!("rtos_call({slot}u, {}, {target})", regs.join(", "))
    } else {
        format!(
            "rtos_call_granted({slot}u, (const uint32_t[4]){{{}}}, (const rtos_cap_t[{n}]){{{}}}, {n}, {target})",
            regs.join(", "),
            grants.join(", "),
            n = grants.len()
        )
    };
    let body = if tail.is_empty() {
        format!("    return {call};\n")
    } else {
        format!("    uint32_t rtos_r = 0;\n    int32_t rtos_s = {call};\n{tail}    return rtos_s;\n")
    };
    format!("/* {doc} */\nstatic inline int32_t {stub}({params}) {{\n{body}}}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str, ty: Ty) -> Param {
        Param { name: name.into(), ty }
    }

    #[test]
    fn reads_cbindgen_prototypes() {
        let h = "#include <rtos.h>\n\nuint32_t sum_ro(rtos_read_only_t buf, uint32_t len);\n\nvoid nothing(void);\n\nbool flag(int32_t x);\n\nuint32_t bad(const uint8_t *p);\n\nuint64_t wide(void);\n";
        let s = parse_c_prototypes(h);
        assert_eq!(
            s["sum_ro"],
            Ok(Signature {
                params: vec![p("buf", Ty::Grant(GrantKind::ReadOnly)), p("len", Ty::U32)],
                ret: Some(Ty::U32)
            })
        );
        assert_eq!(s["nothing"], Ok(Signature { params: vec![], ret: None }));
        assert_eq!(s["flag"], Ok(Signature { params: vec![p("x", Ty::I32)], ret: Some(Ty::Bool) }));
        assert!(s["bad"].as_ref().unwrap_err().contains("parameter `p` of C type `const uint8_t *`"), "{:?}", s["bad"]);
        assert!(s["wide"].as_ref().unwrap_err().contains("returns C type `uint64_t`"), "{:?}", s["wide"]);
    }

    #[test]
    fn reads_bindgen_externs() {
        let code = "extern \"C\" { pub fn fill(out: rtos_read_write_t, value: u32); }\nextern \"C\" { pub fn peek(p: *const u32) -> u32; }\nextern \"C\" { pub fn cnt(a: ::core::ffi::c_int) -> ::core::ffi::c_uchar; }";
        let s = parse_rust_externs(code).unwrap();
        assert_eq!(
            s["fill"],
            Ok(Signature { params: vec![p("out", Ty::Grant(GrantKind::ReadWrite)), p("value", Ty::U32)], ret: None })
        );
        assert!(s["peek"].as_ref().unwrap_err().contains("parameter `p` of type `* const u32`"), "{:?}", s["peek"]);
        assert_eq!(s["cnt"], Ok(Signature { params: vec![p("a", Ty::I32)], ret: Some(Ty::U8) }));
    }

    #[test]
    fn signatures_must_fit_the_call_abi() {
        let ro = Ty::Grant(GrantKind::ReadOnly);
        let ok = Signature { params: vec![p("a", ro), p("b", ro)], ret: Some(Ty::U32) };
        assert_eq!(ok.check(), Ok(()));
        let five = Signature { params: vec![p("a", ro), p("b", Ty::U32), p("c", Ty::U32), p("d", Ty::U32)], ret: None };
        let e = five.check().unwrap_err();
        assert!(e.contains("needs 5 argument registers") && e.contains("pass fewer arguments"), "{e}");
        let narrow = Signature { params: vec![p("flag", Ty::Bool)], ret: None };
        let e = narrow.check().unwrap_err();
        assert!(e.contains("parameter `flag` is a bool") && e.contains("take a u32"), "{e}");
        // Narrow results are fine: the caller's stub narrows them explicitly.
        assert_eq!(Signature { params: vec![], ret: Some(Ty::U8) }.check(), Ok(()));
    }

    #[test]
    fn rust_stub_passes_grants_as_base_and_length() {
        let sig =
            Signature { params: vec![p("buf", Ty::Grant(GrantKind::ReadOnly)), p("len", Ty::U32)], ret: Some(Ty::I32) };
        let s = rust_stub("", "doc", "sum_ro", 3, &sig);
        assert!(
            s.contains("pub fn sum_ro(buf: rtos_sys::ReadOnly<'_>, len: u32) -> Result<i32, rtos_sys::CallError>"),
            "{s}"
        );
        assert!(
            s.contains("rtos_sys::call_granted(3, [buf.base(), buf.len(), len, 0], &[buf.grant()]).map(|r| r as i32)"),
            "{s}"
        );
        let plain = Signature { params: vec![p("x", Ty::I32)], ret: None };
        let s = rust_stub("", "doc", "r#type", 0, &plain);
        assert!(s.contains("pub fn r#type(x: i32) -> Result<(), rtos_sys::CallError>"), "{s}");
        assert!(s.contains("rtos_sys::call(0, [x as u32, 0, 0, 0]).map(drop)"), "{s}");
    }

    #[test]
    fn c_stub_is_typed_and_renames_clashing_parameters() {
        let sig = Signature {
            params: vec![p("ret", Ty::Grant(GrantKind::StoreOnly)), p("int", Ty::U32)],
            ret: Some(Ty::Bool),
        };
        let s = c_stub("doc", "gamma_store", 2, &sig);
        assert!(
            s.contains("static inline int32_t gamma_store(rtos_store_only_t arg0, uint32_t arg1, bool *ret)"),
            "{s}"
        );
        assert!(s.contains("(const uint32_t[4]){(uint32_t)(uintptr_t)arg0.base, arg0.len, arg1, 0u}"), "{s}");
        assert!(s.contains("(const rtos_cap_t[1]){{arg0.base, arg0.len, RTOS_CAP_STORE_ONLY}}, 1, &rtos_r)"), "{s}");
        assert!(s.contains("*ret = (bool)rtos_r;"), "{s}");
        let void = Signature { params: vec![], ret: None };
        assert!(c_stub("d", "g_f", 0, &void).contains("g_f(void) {\n    return rtos_call(0u, 0u, 0u, 0u, 0u, NULL);"));
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-signature-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("include")).unwrap();
        let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let rtos_h = crate::c_compartment::header_text(&ws.join(crate::c_compartment::C_API_SOURCE)).unwrap();
        std::fs::write(dir.join("include/rtos.h"), rtos_h).unwrap();
        dir
    }

    #[test]
    fn bindgen_reads_c_export_headers() {
        let dir = scratch("bindgen");
        let header = dir.join("exports.h");
        std::fs::write(
            &header,
            "#include \"rtos.h\"\nuint32_t sum(rtos_read_only_t buf, uint32_t n);\nvoid fill(rtos_read_write_t out, int32_t v);\nuint32_t peek(const uint32_t *p);\nuint64_t wide(void);\nuint32_t not_exported(void);\n",
        )
        .unwrap();
        let exports: Vec<String> = ["sum", "fill", "peek", "wide", "missing"].map(String::from).to_vec();
        let h = CHeader {
            header: &header,
            rtos_include: &dir.join("include"),
            include_dirs: &[],
            defines: &[],
            exports: &exports,
        };
        let s = parse_rust_externs(&c_exports_bindings(&h).unwrap()).unwrap();
        assert_eq!(
            s["sum"],
            Ok(Signature {
                params: vec![p("buf", Ty::Grant(GrantKind::ReadOnly)), p("n", Ty::U32)],
                ret: Some(Ty::U32)
            })
        );
        assert_eq!(
            s["fill"],
            Ok(Signature { params: vec![p("out", Ty::Grant(GrantKind::ReadWrite)), p("v", Ty::I32)], ret: None })
        );
        assert!(
            s["peek"].as_ref().unwrap_err().contains("takes parameter `p` of type `* const u32`"),
            "{:?}",
            s["peek"]
        );
        assert!(s["wide"].as_ref().unwrap_err().contains("returns `u64`"), "{:?}", s["wide"]);
        assert!(!s.contains_key("not_exported") && !s.contains_key("missing"), "only the exports: {s:?}");

        std::fs::write(&header, "#include \"nope.h\"\n").unwrap();
        let e = c_exports_bindings(&h).unwrap_err();
        assert!(e.contains("bindgen cannot read") && e.contains("nope.h") && e.contains("fix the header"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A C caller passing a grant of another kind than the export declares does not compile, and
    /// gcc names the stub and the argument.
    #[test]
    fn c_callers_cannot_pass_another_grant_kind() {
        let dir = scratch("ckind");
        let sig = Signature { params: vec![p("buf", Ty::Grant(GrantKind::ReadOnly))], ret: Some(Ty::U32) };
        let imports = format!("#include \"rtos.h\"\n{}", c_stub("doc", "gamma_sum_ro", 0, &sig));
        std::fs::write(dir.join("include/imports.h"), imports).unwrap();
        let compile = |call: &str| {
            let src = dir.join("caller.c");
            std::fs::write(
                &src,
                format!("#include \"imports.h\"\nstatic RTOS_GRANULE_ALIGNED uint32_t buf[8];\nuint32_t f(void) {{ uint32_t r = 0; return (uint32_t){call} + r; }}\n"),
            )
            .unwrap();
            let out = std::process::Command::new(crate::c_compartment::GCC)
                .args(crate::c_compartment::CFLAGS)
                .arg("-Werror")
                .arg(format!("-I{}", dir.join("include").display()))
                .args(["-fsyntax-only"])
                .arg(&src)
                .output()
                .expect("arm-none-eabi-gcc runs");
            (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
        };
        let (ok, err) = compile("gamma_sum_ro(RTOS_READ_ONLY(buf), &r)");
        assert!(ok, "{err}");
        for wrong in ["RTOS_READ_WRITE(buf)", "RTOS_STORE_ONLY(buf)", "(uint32_t)(uintptr_t)buf"] {
            let (ok, err) = compile(&format!("gamma_sum_ro({wrong}, &r)"));
            assert!(!ok, "{wrong} must not compile");
            assert!(err.contains("incompatible type for argument 1 of 'gamma_sum_ro'"), "{err}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
