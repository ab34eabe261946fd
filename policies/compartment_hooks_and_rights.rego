# A compartment's init and error handler are its own code, and its rights name real compartments.
#
# The kernel enters a compartment's `init` (on the compartment's init thread) and its
# `error_handler` (on a faulting thread) unprivileged, under that compartment's view. If the
# linked address of either lay outside the compartment's code region, that thread would start in
# the kernel's or another compartment's code — the same danger as a thread entry in the wrong
# place. And `may_reboot` is a right over other compartments: every name in it must be a
# compartment of this image, so the report never shows a right that means nothing (or something
# else after a rename).
#
# `may_set_clock` gives a compartment a clock capability: whoever holds it can step the wall
# clock that certificate checks, logs and schedules trust. The wall clock has one time source:
# at most one compartment per image holds the right (two would step the clock against each
# other, and every holder is one more place an attacker can move time from); others that must set
# the time get the capability lent by it. The field must be a boolean, so that a report missing
# it (an older format) never passes as "nobody may set the clock".
package rtos.audit.compartment_hooks_and_rights

names := {c.name | some c in input.compartments}

in_region(addr, r) if {
	is_number(addr)
	r.start <= addr
	addr < r.end
}

address_text(a) := sprintf("0x%08x", [a]) if is_number(a)

address_text(a) := "an unknown address" if a == null

hooks contains h if {
	some c in input.compartments
	some field in ["init", "error_handler"]
	hook := c[field]
	hook != null
	h := {"compartment": c, "field": field, "hook": hook}
}

deny contains msg if {
	some h in hooks
	not in_region(h.hook.address, h.compartment.code)
	msg := sprintf(
		"compartment %q: %s %s at %s is outside its code region [0x%08x, 0x%08x); the kernel would start it unprivileged somewhere else",
		[h.compartment.name, h.field, h.hook.symbol, address_text(h.hook.address), h.compartment.code.start, h.compartment.code.end],
	)
}

deny contains msg if {
	some c in input.compartments
	some target in c.may_reboot
	not target in names
	msg := sprintf("compartment %q: may_reboot names %q, which is not a compartment of this image", [c.name, target])
}

deny contains msg if {
	some c in input.compartments
	not c.on_fault in {"unwind", "reboot"}
	msg := sprintf("compartment %q: on_fault %q is neither \"unwind\" nor \"reboot\"", [c.name, c.on_fault])
}

deny contains msg if {
	some c in input.compartments
	not is_boolean(object.get(c, "may_set_clock", null))
	msg := sprintf("compartment %q: may_set_clock is %v, not a boolean", [c.name, object.get(c, "may_set_clock", null)])
}

clock_setters := [c.name | some c in input.compartments; c.may_set_clock == true]

deny contains msg if {
	count(clock_setters) > 1
	names := concat(", ", [sprintf("%q", [n]) | some n in clock_setters])
	msg := sprintf(
		"compartments %s all have may_set_clock: the wall clock has one time source; keep the right in one of them and lend its clock capability to the others",
		[names],
	)
}
