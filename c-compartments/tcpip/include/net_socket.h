/*
 * The socket API exported by the TCP/IP compartment `tcpip` (lwIP inside). Other compartments
 * call these functions through their generated import stubs (C: imports.h, Rust: the typed stubs
 * of `rtos_sys::imports!()`); this header is the compartment's `exports_header`, so the build
 * tool reads the signatures from it.
 *
 * Rights. Opening a connection needs a *connection capability*: a static sealed object of the
 * image (`[[sealed_object]]` with key `tcpip.connection`) whose contents name the protocol, the
 * host and the port, e.g. "tcp:echo.test:7" or "udp:10.0.2.2:17008". Only compartments that
 * import the object (manifest `sealed_imports`) receive its handle; the stack opens it with its
 * own key, so a forged or foreign handle is refused. A host name is resolved inside the stack
 * (DNS).
 *
 * Socket handles are sealed handles under a key only the stack owns. A handle works only for
 * the compartment that opened it (the kernel tells the stack who is calling); from any other
 * compartment it is refused with RTOS_E_NOT_PERMITTED, and after net_close with
 * RTOS_E_INVALID_HANDLE.
 *
 * Results. A result in -65535..-1 is an error code: the kernel's RTOS_E_* codes where they fit
 * (RTOS_E_TIMED_OUT, RTOS_E_INVALID_ARGUMENT, RTOS_E_NOT_PERMITTED, RTOS_E_INVALID_HANDLE,
 * RTOS_E_WRONG_TYPE, RTOS_E_OUT_OF_MEMORY) or one of the NET_E_* codes below. Any other value
 * is a result: a socket handle may have its top bit set (read as int32_t it is then below -65535),
 * but the kernel never issues a handle in -65535..-1 (NET_IS_ERROR tells them apart).
 *
 * Buffers are capability grants: whole 32-byte granules, 32-byte aligned. `net_send` reads only
 * the first `len` bytes of its read-only grant; `net_recv` writes at most the grant's length
 * into its store-only window and nothing else of the caller is reachable.
 */
#ifndef NET_SOCKET_H
#define NET_SOCKET_H

#include <stdint.h>
#include "rtos.h"

/* A result in NET_ERROR_MIN..-1 is an error code; anything else is a value (a handle, a length). */
#define NET_ERROR_MIN       ( -65535 )
#define NET_IS_ERROR( r )   ( ( r ) < 0 && ( r ) >= NET_ERROR_MIN )

/* Errors of the network stack (kernel codes are -1 ..= -63). */
#define NET_E_REFUSED       ( -64 ) /* the peer refused the connection (TCP RST to our SYN) */
#define NET_E_RESET         ( -65 ) /* the connection was reset or aborted by the peer */
#define NET_E_CLOSED        ( -66 ) /* the socket's connection is closed (send after close) */
#define NET_E_UNREACHABLE   ( -67 ) /* no route / no answer to ARP or the connection attempt */
#define NET_E_NO_NAME       ( -68 ) /* DNS could not resolve the host name */
#define NET_E_DOWN          ( -69 ) /* the interface has no address yet (no DHCP lease) */
#define NET_E_NO_SOCKETS    ( -70 ) /* the stack's socket table (or lwIP's pools) is full */
#define NET_E_BAD_CAPABILITY ( -71 ) /* the connection capability's contents are malformed */
#define NET_E_IO            ( -72 ) /* any other lwIP error (reported with its lwIP code) */

/* Waits up to `timeout_ms` until the interface is up (DHCP lease or static address); returns
 * the IPv4 address in network byte order read as a little-endian word (10.0.2.15 ->
 * 0x0F02000A), or RTOS_E_TIMED_OUT. */
int32_t net_wait_up( uint32_t timeout_ms );

/* Opens the connection the capability names: TCP connects (SYN, up to `timeout_ms`), UDP binds
 * a local port and fixes the peer. Returns a socket handle, or an error. */
int32_t net_connect( uint32_t connection, uint32_t timeout_ms );

/* Sends the first `len` bytes of `data` (TCP: all of them, blocking while the send window is
 * full; UDP: one datagram). Returns `len` or an error. */
int32_t net_send( uint32_t socket, rtos_read_only_t data, uint32_t len );

/* Receives into `window` (TCP: whatever has arrived, up to the window's length; UDP: one
 * datagram, truncated to the window), waiting up to `timeout_ms` for data. Returns the number
 * of bytes stored, 0 when the peer has closed a TCP connection, or an error
 * (RTOS_E_TIMED_OUT). */
int32_t net_recv( uint32_t socket, rtos_store_only_t window, uint32_t timeout_ms );

/* Closes the socket (TCP: FIN, then the stack finishes the close on its own) and revokes the
 * handle. */
int32_t net_close( uint32_t socket );

/* Statistics and state (see NET_STAT_*). */
#define NET_STAT_SOCKETS_OPEN   0 /* sockets currently open */
#define NET_STAT_SOCKETS_TOTAL  1 /* sockets opened since boot */
#define NET_STAT_REFUSED_CAPS   2 /* net_connect calls refused for their capability */
#define NET_STAT_FOREIGN_HANDLE 3 /* calls refused because the handle belongs to another compartment */
#define NET_STAT_SNTP_SYNCS     4 /* times SNTP set the wall clock */
#define NET_STAT_RX_FRAMES      5 /* frames received from the firewall */
#define NET_STAT_TX_FRAMES      6 /* frames sent to the firewall */
#define NET_STAT_DNS_SERVER     7 /* the DNS server in use (address word as net_wait_up) */
#define NET_STAT_RX_DROPPED     8 /* received frames lost: no pbuf, lwIP refused it, or fw_recv failed */
#define NET_STAT_TX_ERRORS      9 /* frames the firewall refused or could not send */
int32_t net_stat( uint32_t what );

#endif /* NET_SOCKET_H */
