# Every import resolves to linked code of the compartment it names.
#
# A compartment calls another only through its import slots; the kernel maps each slot to an
# export. This policy checks, on the linked image, that every import targets an export that a
# compartment of this image declares, that the export was linked (has an address), and that the
# address lies inside the code region of the compartment that exports it, so a call through any
# slot enters exactly the callee's code, under the callee's MPU view.
package rtos.audit.imports_resolve

# "<compartment>.<export>" -> the exporting compartment and the export.
exported[sprintf("%s.%s", [c.name, e.name])] := {"compartment": c, "export": e} if {
	some c in input.compartments
	some e in c.exports
}

in_region(addr, r) if {
	is_number(addr)
	r.start <= addr
	addr < r.end
}

deny contains msg if {
	some c in input.compartments
	some imp in c.imports
	not exported[imp.target]
	msg := sprintf(
		"compartment %q: import slot %d targets %q, which no compartment of this image exports",
		[c.name, imp.slot, imp.target],
	)
}

deny contains msg if {
	some c in input.compartments
	some imp in c.imports
	exported[imp.target].export.address == null
	msg := sprintf(
		"compartment %q: import slot %d targets %q, which is not linked into the image (its address is null)",
		[c.name, imp.slot, imp.target],
	)
}

deny contains msg if {
	some c in input.compartments
	some imp in c.imports
	target := exported[imp.target]
	addr := target.export.address
	is_number(addr)
	code := target.compartment.code
	not in_region(addr, code)
	msg := sprintf(
		"compartment %q: import slot %d targets %q at 0x%08x, outside the code region [0x%08x, 0x%08x) of compartment %q",
		[c.name, imp.slot, imp.target, addr, code.start, code.end, target.compartment.name],
	)
}
