# Compartment code never runs privileged, and every compartment thread starts in its own
# compartment's code.
#
# The kernel gives a thread its privilege from the thread table: a thread without a compartment
# is a privileged kernel thread (no MPU view applies to it); a thread with one runs unprivileged
# under that compartment's view. What the thread then executes is decided by its entry address
# in the linked image. So the manifest alone cannot show that compartment code is only ever run
# unprivileged: this policy checks the linked entry addresses.
#
#   1. A privileged kernel thread must not start inside any compartment's code region: it would
#      run that compartment's code with full privilege, outside every MPU view.
#   2. A kernel thread whose entry cannot be found in the ELF fails too (when the image has
#      compartments): unknown is not shown safe.
#   3. A compartment thread names a compartment of the image, the two lists agree (the thread
#      table and the compartment's `threads`), and its entry lies inside its own compartment's
#      code region: it starts in the code its view covers, not in the kernel or in another
#      compartment.
package rtos.audit.no_kernel_privilege_in_compartments

compartment[c.name] := c if {
	some c in input.compartments
}

in_region(addr, r) if {
	is_number(addr)
	r.start <= addr
	addr < r.end
}

address_text(a) := sprintf("0x%08x", [a]) if is_number(a)

address_text(a) := "an unknown address" if a == null

starts_in(thread_name, compartment_name) if {
	some t in input.threads
	t.name == thread_name
	t.compartment == compartment_name
}

# 1. No kernel thread starts in compartment code.
deny contains msg if {
	some t in input.threads
	t.compartment == null
	some c in input.compartments
	in_region(t.entry_address, c.code)
	msg := sprintf(
		"thread %q is a privileged kernel thread, but its entry %s at 0x%08x is in the code of compartment %q [0x%08x, 0x%08x); compartment code must never run privileged",
		[t.name, t.entry, t.entry_address, c.name, c.code.start, c.code.end],
	)
}

# 2. A kernel thread entry that cannot be located is not accepted.
deny contains msg if {
	count(input.compartments) > 0
	some t in input.threads
	t.compartment == null
	t.entry_address == null
	msg := sprintf(
		"thread %q: the entry %s of this privileged kernel thread was not found in the ELF, so it cannot be shown to lie outside every compartment",
		[t.name, t.entry],
	)
}

# 3. Compartment threads belong to an existing compartment and start in its code.
deny contains msg if {
	some t in input.threads
	t.compartment != null
	not compartment[t.compartment]
	msg := sprintf("thread %q names compartment %q, which is not a compartment of this image", [t.name, t.compartment])
}

deny contains msg if {
	some c in input.compartments
	some name in c.threads
	not starts_in(name, c.name)
	msg := sprintf("compartment %q lists thread %q, which does not start in it", [c.name, name])
}

deny contains msg if {
	some t in input.threads
	t.compartment != null
	c := compartment[t.compartment]
	not t.name in c.threads
	msg := sprintf("compartment %q does not list its thread %q", [c.name, t.name])
}

deny contains msg if {
	some t in input.threads
	t.compartment != null
	c := compartment[t.compartment]
	not in_region(t.entry_address, c.code)
	msg := sprintf(
		"thread %q (compartment %q): entry %s at %s is outside the compartment's code region [0x%08x, 0x%08x)",
		[t.name, c.name, t.entry, address_text(t.entry_address), c.code.start, c.code.end],
	)
}
