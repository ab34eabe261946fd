//! Audit policies: Rego files in `policies/` evaluated (with the `regorus` interpreter) against
//! an image's audit report (`target/fw/audit/<image>.json`, see [`crate::audit`]).
//!
//! Each `policies/<name>.rego` declares a package under `rtos.audit` (by convention
//! `package rtos.audit.<name>`) and a partial set rule `deny` of violation messages. Every policy
//! is evaluated on its own, in a fresh engine, with the report as `input`: the image passes the
//! policy when `deny` is empty. See docs/audit.md.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The folder of the policies, relative to the workspace root.
pub const POLICY_DIR: &str = "policies";
/// Every policy's package must be this one or below it.
pub const PACKAGE_ROOT: &str = "data.rtos.audit";

/// One policy file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// File stem: the last part of the test name `audit/<image>/<name>`.
    pub name: String,
    /// Path relative to the workspace root (for messages).
    pub path: String,
    pub source: String,
}

/// `policies/*.rego`, sorted by name.
pub fn discover(ws: &Path) -> Result<Vec<Policy>> {
    let dir = ws.join(POLICY_DIR);
    let entries = std::fs::read_dir(&dir).with_context(|| {
        format!("cannot read {} (the audit policies); create it with at least one <name>.rego", dir.display())
    })?;
    let mut paths: Vec<PathBuf> = Vec::new();
    for e in entries {
        let path = e.with_context(|| format!("cannot list {}", dir.display()))?.path();
        if path.extension().is_some_and(|x| x == "rego") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    let mut policies = Vec::new();
    for path in paths {
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let source = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        policies.push(Policy { name, path: crate::rel_path(ws, &path), source });
    }
    if policies.is_empty() {
        bail!("{} has no .rego files; add a policy (see docs/audit.md)", dir.display());
    }
    Ok(policies)
}

/// Evaluates `policy` with `input_json` as `input`: the sorted `deny` messages (empty: pass),
/// or why the policy could not be evaluated.
pub fn evaluate(policy: &Policy, input_json: &str) -> Result<Vec<String>, String> {
    let mut engine = regorus::Engine::new();
    // A builtin given the wrong types raises an error instead of quietly making a rule
    // undefined, which could hide a violation.
    engine.set_strict_builtin_errors(true);
    let package = engine
        .add_policy(policy.path.clone(), policy.source.clone())
        .map_err(|e| format!("{} does not parse:\n{e}", policy.path))?;
    if package != PACKAGE_ROOT && !package.starts_with(&format!("{PACKAGE_ROOT}.")) {
        return Err(format!(
            "{}: package `{}` is not under `rtos.audit`; declare `package rtos.audit.{}`",
            policy.path,
            package.trim_start_matches("data."),
            policy.name
        ));
    }
    let input = regorus::Value::from_json_str(input_json).map_err(|e| format!("the audit report is not JSON: {e}"))?;
    engine.set_input(input);
    let rule = format!("{package}.deny");
    let value = engine.eval_rule(rule.clone()).map_err(|e| {
        format!(
            "{}: cannot evaluate `{rule}`: {e}; a policy defines its violations as `deny contains msg if {{ ... }}`",
            policy.path
        )
    })?;
    let items: Vec<regorus::Value> = if let Ok(set) = value.as_set() {
        set.iter().cloned().collect()
    } else if let Ok(array) = value.as_array() {
        array.iter().cloned().collect()
    } else {
        return Err(format!(
            "{}: `deny` is {value}, not a set of messages; write it as `deny contains msg if {{ ... }}`",
            policy.path
        ));
    };
    let mut messages: Vec<String> = items
        .iter()
        .map(|v| match v.as_string() {
            Ok(s) => s.to_string(),
            Err(_) => v.to_string(),
        })
        .collect();
    messages.sort();
    messages.dedup();
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::tests::{facts, image_from, MANIFEST};
    use crate::audit::{assemble, Audit};
    use crate::firmware::Profile;

    fn policies() -> Vec<Policy> {
        discover(&crate::workspace_root()).unwrap()
    }

    fn policy(name: &str) -> Policy {
        policies().into_iter().find(|p| p.name == name).unwrap_or_else(|| panic!("policies/{name}.rego is missing"))
    }

    /// A report that every policy accepts.
    fn good() -> Audit {
        assemble(&image_from("watchers", MANIFEST), Profile::Dev, &facts()).unwrap()
    }

    fn deny(name: &str, audit: &Audit) -> Vec<String> {
        evaluate(&policy(name), &audit.to_json()).unwrap()
    }

    #[test]
    fn every_policy_accepts_a_sound_report() {
        let json = good().to_json();
        for p in policies() {
            assert_eq!(evaluate(&p, &json), Ok(vec![]), "{}", p.path);
        }
    }

    /// One violating report per policy (a policy without a case here fails this test, so none
    /// can be vacuous).
    fn violations() -> Vec<(&'static str, Audit, Vec<&'static str>)> {
        let mut cases = Vec::new();

        let mut a = good();
        a.compartments[0].imports[1].target = "beta.sub".into();
        a.compartments[0].imports.push(crate::audit::ImportAudit { slot: 2, target: "zeta.add".into() });
        a.compartments[1].exports[0].address = None;
        cases.push((
            "imports_resolve",
            a,
            vec![
                "compartment \"alpha\": import slot 0 targets \"beta.add\", which is not linked into the image (its address is null)",
                "compartment \"alpha\": import slot 1 targets \"beta.sub\", which no compartment of this image exports",
                "compartment \"alpha\": import slot 2 targets \"zeta.add\", which no compartment of this image exports",
            ],
        ));

        let mut a = good();
        a.compartments[1].exports[1].address = Some(0x1000_1000);
        cases.push((
            "imports_resolve",
            a,
            vec!["compartment \"alpha\": import slot 1 targets \"beta.peek\" at 0x10001000, outside the code region [0x10001040, 0x10001080) of compartment \"beta\""],
        ));

        let mut a = good();
        a.threads[1].entry_address = Some(0x1000_1010); // a kernel thread starting in alpha's code
        a.threads[0].entry_address = Some(0x1000_0200); // alpha's thread starting in kernel code
        cases.push((
            "no_kernel_privilege_in_compartments",
            a,
            vec![
                "thread \"prober\" (compartment \"alpha\"): entry alpha_main at 0x10000200 is outside the compartment's code region [0x10001000, 0x10001040)",
                "thread \"watch\" is a privileged kernel thread, but its entry workers::watch at 0x10001010 is in the code of compartment \"alpha\" [0x10001000, 0x10001040); compartment code must never run privileged",
            ],
        ));

        let mut a = good();
        a.threads[0].compartment = Some("zeta".into());
        a.threads[1].entry_address = None;
        a.compartments[1].threads.push("watch".into());
        cases.push((
            "no_kernel_privilege_in_compartments",
            a,
            vec![
                "compartment \"alpha\" lists thread \"prober\", which does not start in it",
                "compartment \"beta\" lists thread \"watch\", which does not start in it",
                "thread \"prober\" names compartment \"zeta\", which is not a compartment of this image",
                "thread \"watch\": the entry workers::watch of this privileged kernel thread was not found in the ELF, so it cannot be shown to lie outside every compartment",
            ],
        ));

        let mut a = good();
        a.compartments[0].init = Some(crate::audit::HookAudit { symbol: "setup".into(), address: Some(0x1000_1050) });
        a.compartments[1].error_handler = Some(crate::audit::HookAudit { symbol: "on_error".into(), address: None });
        a.compartments[1].may_reboot = vec!["alpha".into(), "zeta".into()];
        a.compartments[0].on_fault = "restart".into();
        cases.push((
            "compartment_hooks_and_rights",
            a,
            vec![
                "compartment \"alpha\": init setup at 0x10001050 is outside its code region [0x10001000, 0x10001040); the kernel would start it unprivileged somewhere else",
                "compartment \"alpha\": on_fault \"restart\" is neither \"unwind\" nor \"reboot\"",
                "compartment \"beta\": error_handler on_error at an unknown address is outside its code region [0x10001040, 0x10001080); the kernel would start it unprivileged somewhere else",
                "compartment \"beta\": may_reboot names \"zeta\", which is not a compartment of this image",
            ],
        ));

        // Two time sources.
        let mut a = good();
        a.compartments[0].may_set_clock = true;
        a.compartments[1].may_set_clock = true;
        cases.push((
            "compartment_hooks_and_rights",
            a,
            vec![
                "compartments \"alpha\", \"beta\" all have may_set_clock: the wall clock has one time source; keep the right in one of them and lend its clock capability to the others",
            ],
        ));

        let mut a = good();
        a.compartments[1].code.start = 0x1000_1020; // overlaps alpha's code [0x10001000, 0x10001040)
        a.compartments[1].code.size = 0x60;
        a.compartments[0].data.end = 0x3800_0124; // unaligned, and overlapping beta's data
        a.compartments[0].data.size = 0x24;
        a.compartments[1].data.end = 0x3800_0140;
        a.compartments[1].data.size = 0x20;
        cases.push((
            "code_regions_disjoint",
            a,
            vec![
                "compartment \"alpha\": data region [0x38000100, 0x38000124) is not 32-byte aligned (MPU granule)",
                "compartment \"alpha\": data region [0x38000100, 0x38000124) overlaps compartment \"beta\": data region [0x38000120, 0x38000140)",
                "compartment \"alpha\": code region [0x10001000, 0x10001040) overlaps compartment \"beta\": code region [0x10001020, 0x10001080)",
            ],
        ));
        // A network path: alpha drives the Ethernet controller, beta is the firewall and also
        // exports net_connect (the stack); a third compartment bypasses both.
        let mut a = good();
        let export =
            |name: &str| crate::audit::ExportAudit { name: name.into(), address: Some(0x1000_1040), signature: None };
        a.compartments[0].mmio.push(crate::audit::MmioAudit {
            device: "eth".into(),
            start: 0x5200_0000,
            end: 0x5210_0000,
            size: 0x10_0000,
            irq: Some(48),
        });
        a.compartments[1].exports.extend([export("fw_send"), export("fw_recv"), export("net_connect")]);
        a.calls.push(crate::audit::CallEdge { from: "beta".into(), to: "alpha".into(), export: "eth_send".into() });
        a.calls.push(crate::audit::CallEdge { from: "app".into(), to: "alpha".into(), export: "eth_recv".into() });
        a.calls.push(crate::audit::CallEdge { from: "app".into(), to: "beta".into(), export: "fw_send".into() });
        let object = |name: &str, contents: &str| crate::audit::SealedObjectAudit {
            name: name.into(),
            key: "beta.connection".into(),
            importers: vec!["alpha".into()],
            contents: contents.into(),
        };
        a.sealed_objects.extend([
            object("broker", "tcp:broker.test:8883"),
            object("typo", "tcp:broker test:8883"),
            object("nothing", "udp:10.0.2.2:0"),
            object("huge", "tcp:10.0.2.2:70000"),
        ]);
        cases.push((
            "network_path",
            a,
            vec![
                "compartment \"app\" calls alpha.eth_recv, the Ethernet driver: only the firewall (a compartment exporting fw_send/fw_recv) may; route it through the firewall",
                "compartment \"app\" calls beta.fw_send: only the TCP/IP stack (the compartment exporting net_connect) exchanges frames with the firewall",
                "sealed object \"huge\": connection capability \"tcp:10.0.2.2:70000\" names a port above 65535",
                "sealed object \"nothing\": connection capability \"udp:10.0.2.2:0\" names port 0",
                "sealed object \"typo\": connection capability \"tcp:broker test:8883\" is not \"tcp|udp:host:port\"; fix its contents",
            ],
        ));
        cases
    }

    #[test]
    fn every_policy_rejects_its_violation_with_the_documented_message() {
        let mut covered = std::collections::BTreeSet::new();
        for (name, audit, expected) in violations() {
            covered.insert(name);
            let mut want: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
            want.sort();
            assert_eq!(deny(name, &audit), want, "policy {name}");
        }
        for p in policies() {
            assert!(covered.contains(p.name.as_str()), "policies/{}.rego has no violation case in this test", p.name);
        }
    }

    #[test]
    fn one_clock_setter_passes_and_a_report_without_the_field_does_not() {
        let mut a = good();
        a.compartments[1].may_set_clock = true;
        assert!(deny("compartment_hooks_and_rights", &a).is_empty());
        // A report of an older format (no `may_set_clock`) or with a non-boolean value.
        let mut json: serde_json::Value = serde_json::from_str(&good().to_json()).unwrap();
        json["compartments"][0].as_object_mut().unwrap().remove("may_set_clock");
        json["compartments"][1]["may_set_clock"] = serde_json::json!("yes");
        let d = evaluate(&policy("compartment_hooks_and_rights"), &json.to_string()).unwrap();
        assert_eq!(
            d,
            [
                "compartment \"alpha\": may_set_clock is null, not a boolean",
                "compartment \"beta\": may_set_clock is yes, not a boolean",
            ]
        );
    }

    #[test]
    fn empty_regions_overlap_nothing() {
        // beta's data region is empty and starts where alpha's ends: fine.
        let mut a = good();
        let at = a.compartments[1].data.start;
        a.compartments[1].data = crate::audit::Region::new(at, at);
        assert_eq!(a.compartments[1].data.start, a.compartments[0].data.end);
        assert!(deny("code_regions_disjoint", &a).is_empty());
    }

    fn inline(source: &str) -> Policy {
        Policy { name: "p".into(), path: "policies/p.rego".into(), source: source.into() }
    }

    #[test]
    fn broken_policies_are_errors_not_passes() {
        let json = good().to_json();
        let e = evaluate(&inline("package rtos.audit.p\ndeny contains msg if {\n  msg := input.x +\n}\n"), &json)
            .unwrap_err();
        assert!(e.starts_with("policies/p.rego does not parse:"), "{e}");
        let e = evaluate(&inline("package rtos.audit.p\nallow := true\n"), &json).unwrap_err();
        assert!(e.contains("cannot evaluate `data.rtos.audit.p.deny`"), "{e}");
        let e = evaluate(&inline("package other\ndeny contains \"x\" if { true }\n"), &json).unwrap_err();
        assert!(e.contains("package `other` is not under `rtos.audit`"), "{e}");
        let e = evaluate(&inline("package rtos.audit.p\ndeny := 3\n"), &json).unwrap_err();
        assert!(e.contains("`deny` is 3, not a set of messages"), "{e}");
        // A strict builtin error is reported rather than silently making the rule undefined.
        let e = evaluate(
            &inline("package rtos.audit.p\ndeny contains msg if {\n  msg := sprintf(\"%d\", input.image)\n}\n"),
            &json,
        )
        .unwrap_err();
        assert!(e.contains("cannot evaluate"), "{e}");
    }

    #[test]
    fn messages_are_sorted_and_non_strings_shown_as_json() {
        let p = inline("package rtos.audit.p\ndeny contains \"b\" if { true }\ndeny contains {\"k\": 1} if { true }\ndeny contains \"a\" if { true }\n");
        let d = evaluate(&p, &good().to_json()).unwrap();
        assert_eq!(d, ["a", "b", "{\"k\":1}"]);
    }
}
