# Nothing bypasses the firewall, and every connection right names exactly one endpoint.
#
# (Images without a firewall — a driver's own test — are not checked for the first rule.)
#
# The network path is driver → firewall → TCP/IP stack (docs/networking.md). The compartment
# granted the Ethernet controller (board device `eth`) sends and receives raw frames; if any
# compartment other than the firewall could call it, that compartment could inject frames the
# firewall never saw, or read every frame on the wire. Likewise the firewall's frame calls
# (`fw_send`, `fw_recv`) belong to the TCP/IP stack (the compartment exporting `net_connect`)
# alone. And a connection capability (a sealed object under the stack's key `connection`) is
# only meaningful as "tcp|udp:host:port": contents the stack cannot parse grant nothing and are
# a manifest mistake, caught here at build time rather than as NET_E_BAD_CAPABILITY at run time.
package rtos.audit.network_path

drivers := {c.name | some c in input.compartments; some m in c.mmio; m.device == "eth"}

firewalls := {c.name | some c in input.compartments; some e in c.exports; e.name in {"fw_send", "fw_recv"}}

stacks := {c.name | some c in input.compartments; some e in c.exports; e.name == "net_connect"}

# In an image with a firewall (a driver's own test image has none), nothing bypasses it.
deny contains msg if {
	count(firewalls) > 0
	some call in input.calls
	call.to in drivers
	not call.from in firewalls
	msg := sprintf(
		"compartment %q calls %s.%s, the Ethernet driver: only the firewall (a compartment exporting fw_send/fw_recv) may; route it through the firewall",
		[call.from, call.to, call.export],
	)
}

deny contains msg if {
	some call in input.calls
	call.to in firewalls
	call.export in {"fw_send", "fw_recv"}
	count(stacks) > 0
	not call.from in stacks
	msg := sprintf(
		"compartment %q calls %s.%s: only the TCP/IP stack (the compartment exporting net_connect) exchanges frames with the firewall",
		[call.from, call.to, call.export],
	)
}

host_chars := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-"

# "tcp|udp:host:port": a known protocol, a host of letters, digits, dots and hyphens, 1-5 digits.
well_formed(contents) if {
	parts := split(contents, ":")
	count(parts) == 3
	parts[0] in {"tcp", "udp"}
	parts[1] != ""
	trim(parts[1], host_chars) == ""
	count(parts[2]) >= 1
	count(parts[2]) <= 5
	trim(parts[2], "0123456789") == ""
}

port(contents) := to_number(p) if {
	parts := split(contents, ":")
	p := parts[count(parts) - 1]
}

deny contains msg if {
	some o in input.sealed_objects
	[owner, key] := split(o.key, ".")
	owner in stacks
	key == "connection"
	not well_formed(o.contents)
	msg := sprintf("sealed object %q: connection capability %q is not \"tcp|udp:host:port\"; fix its contents", [o.name, o.contents])
}

deny contains msg if {
	some o in input.sealed_objects
	[owner, key] := split(o.key, ".")
	owner in stacks
	key == "connection"
	well_formed(o.contents)
	p := port(o.contents)
	not p >= 1
	msg := sprintf("sealed object %q: connection capability %q names port 0", [o.name, o.contents])
}

deny contains msg if {
	some o in input.sealed_objects
	[owner, key] := split(o.key, ".")
	owner in stacks
	key == "connection"
	well_formed(o.contents)
	p := port(o.contents)
	p > 65535
	msg := sprintf("sealed object %q: connection capability %q names a port above 65535", [o.name, o.contents])
}
