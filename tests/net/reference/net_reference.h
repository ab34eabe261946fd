/*
 * The network benchmark's reference platform (lwIP linked without compartments on the reference
 * FreeRTOS kernel): the LAN9118 network interface and busy-time accounting.
 */
#ifndef NET_REFERENCE_H
#define NET_REFERENCE_H

#include <stdint.h>

#include "lwip/err.h"
#include "lwip/netif.h"

/* netif_add() init function of the board's LAN9118: resets the chip, reads its MAC address,
 * starts the receive task (interrupt-driven, frames go to netif->input) and sets linkoutput.
 * ERR_IF if the registers do not look like a LAN9118. */
err_t lan9118_netif_init( struct netif * netif );

/* Frames the receive task has passed up / dropped (no pbuf, receive error) since boot. */
uint32_t lan9118_rx_frames( void );
uint32_t lan9118_rx_dropped( void );

/* Cycles of bench_cycles()'s clock the idle task has spent waiting for an interrupt (inside WFI)
 * since the scheduler started. Elapsed minus idle cycles over an interval is busy time. */
uint64_t bench_idle_cycles( void );

#endif /* NET_REFERENCE_H */
