/*
 * Internal interfaces of the TCP/IP compartment's glue (not lwIP's, not exported).
 */
#ifndef TCPIP_GLUE_H
#define TCPIP_GLUE_H

#include <stdint.h>

#include "lwip/netif.h"
#include "lwip/err.h"

/* The one network interface (the LAN9118 behind the firewall compartment). */
extern struct netif tcpip_netif;

/* netif.c: lwIP's init callback for the interface, and the receive task it starts. */
err_t tcpip_netif_init( struct netif * netif );
void tcpip_netif_start_rx( void );
/* Counters of frames exchanged with the firewall. */
uint32_t tcpip_netif_rx_frames( void );
uint32_t tcpip_netif_tx_frames( void );
uint32_t tcpip_netif_rx_dropped( void );
uint32_t tcpip_netif_tx_errors( void );

/* sockets.c: the socket table, set up before the first call can arrive. */
int tcpip_sockets_init( void );
/* Wakes callers of net_wait_up once the interface has an address. */
void tcpip_sockets_link_event( int up );

/* platform.c */
void tcpip_console( const char * s );
uint32_t tcpip_sntp_syncs( void );
void tcpip_diag( const char * fmt, ... ) __attribute__( ( format( printf, 1, 2 ) ) );
int32_t tcpip_clock_init( void );

/* Maps an lwIP error to the socket API's error codes (net_socket.h). */
int32_t tcpip_error( err_t err );

#endif /* TCPIP_GLUE_H */
