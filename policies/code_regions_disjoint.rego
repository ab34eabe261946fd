# Compartment code and data regions are MPU-exact and never shared.
#
# The kernel programs each compartment's code and data region as one PMSAv8 MPU region each.
# PMSAv8 regions are exact to 32 bytes (base and limit on 32-byte boundaries), so a region that
# is not aligned could only be enforced by rounding, granting neighbouring bytes. And two
# compartments whose regions overlap could read (code) or write (data) each other's memory
# through their own views. This policy checks, on the linked addresses, that every region is
# 32-byte aligned, well-formed, and disjoint from every other compartment region. Empty regions
# (start = end, a compartment without globals) hold no bytes and overlap nothing. Pools of thread
# stacks (`thread_stacks`) are checked the same way.
package rtos.audit.code_regions_disjoint

compartment_regions := [r |
	some c in input.compartments
	some kind in ["code", "data"]
	r := {"owner": c.name, "kind": kind, "start": c[kind].start, "end": c[kind].end}
]

# A compartment's pool of thread stacks (kernel memory) is given to its threads as a stack
# window: one MPU region each, which must not overlap any compartment region either.
pool_regions := [r |
	some c in input.compartments
	p := c.thread_stacks
	p != null
	p.start != null
	r := {"owner": c.name, "kind": "thread_stacks", "start": p.start, "end": p.end}
]

regions := array.concat(compartment_regions, pool_regions)

deny contains msg if {
	some c in input.compartments
	c.thread_stacks != null
	c.thread_stacks.start == null
	msg := sprintf("compartment %q: its thread_stacks pool is not in the ELF (symbol __rtos_pool_%s)", [c.name, c.name])
}

describe(r) := sprintf("compartment %q: %s region [0x%08x, 0x%08x)", [r.owner, r.kind, r.start, r.end])

aligned(r) if {
	r.start % 32 == 0
	r.end % 32 == 0
}

deny contains msg if {
	some r in regions
	not aligned(r)
	msg := sprintf("%s is not 32-byte aligned (MPU granule)", [describe(r)])
}

deny contains msg if {
	some r in regions
	r.end < r.start
	msg := sprintf("%s ends before it starts", [describe(r)])
}

deny contains msg if {
	some i, j
	a := regions[i]
	b := regions[j]
	i < j
	a.start < a.end
	b.start < b.end
	a.start < b.end
	b.start < a.end
	msg := sprintf("%s overlaps %s", [describe(a), describe(b)])
}
