/*
 * lwIP's network interface on the firewall compartment `fw` (which drives the LAN9118 through
 * the driver compartment). Frames cross the boundary as capability grants: an outgoing frame is
 * lent read-only to fw_send, an incoming one is received through a store-only window into a
 * buffer of ours. Nothing else of this compartment is reachable from the other side.
 *
 * Sending runs on whichever thread holds lwIP's core lock (the tcpip thread, or a caller of the
 * socket API), so the one transmit buffer is never used twice at once. Receiving runs on a task
 * of its own ("rx"), which blocks in fw_recv and hands each frame to the tcpip thread.
 */
#include <stdint.h>
#include <string.h>

#include "FreeRTOS.h"
#include "task.h"
#include "rtos.h"
#include "imports.h"

#include "lwip/opt.h"
#include "lwip/etharp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"

#include "glue.h"

/* Largest frame without CRC, rounded up to whole 32-byte granules (grants are granule-exact). */
#define FRAME_MAX       1514u
#define FRAME_BUF       1536u
/* fw_recv waits at most this many ticks, so the task notices a firewall that went away. */
#define RX_WAIT_TICKS   1000u
/* The receive task needs a pool stack (it calls another compartment); see the manifest. */
#define RX_STACK_WORDS  512u
#define RX_PRIORITY     ( TCPIP_THREAD_PRIO + 1 )

static uint8_t tx_frame[ FRAME_BUF ] __attribute__( ( aligned( 32 ) ) );
static uint8_t rx_frame[ FRAME_BUF ] __attribute__( ( aligned( 32 ) ) );

static volatile uint32_t rx_frames, tx_frames, rx_dropped, tx_errors;

struct netif tcpip_netif;

/* A firewall result: its return value when the call went through, else the call's error. */
static int32_t fw_result( int32_t status, uint32_t ret )
{
    return ( status == RTOS_OK ) ? ( int32_t ) ret : status;
}

static err_t link_output( struct netif * netif, struct pbuf * p )
{
    uint32_t ret = 0;

    ( void ) netif;

    if( p->tot_len > FRAME_MAX )
    {
        tx_errors++;
        return ERR_BUF;
    }

    /* Gather the chain into the granule-aligned buffer the grant lends. */
    uint16_t len = pbuf_copy_partial( p, tx_frame, p->tot_len, 0 );
    int32_t r = fw_result( fw_fw_send( RTOS_READ_ONLY( tx_frame ), len, &ret ), ret );

    if( r != 0 )
    {
        /* Refused by the firewall's policy or the link: lwIP treats it as a lost frame. */
        tx_errors++;
        return ERR_IF;
    }

    tx_frames++;
    return ERR_OK;
}

static void rx_task( void * arg )
{
    ( void ) arg;

    for( ; ; )
    {
        uint32_t ret = 0;
        int32_t n = fw_result( fw_fw_recv( RTOS_STORE_ONLY( rx_frame ), RX_WAIT_TICKS, &ret ), ret );

        if( n == RTOS_E_TIMED_OUT )
        {
            continue;
        }

        if( n < 14 || ( uint32_t ) n > FRAME_MAX )
        {
            /* The firewall faulted or refused: back off instead of spinning. */
            rx_dropped++;
            vTaskDelay( pdMS_TO_TICKS( 10 ) );
            continue;
        }

        struct pbuf * p = pbuf_alloc( PBUF_RAW, ( u16_t ) n, PBUF_POOL );

        if( p == NULL )
        {
            rx_dropped++;
            continue;
        }

        ( void ) pbuf_take( p, rx_frame, ( u16_t ) n );

        if( tcpip_netif.input( p, &tcpip_netif ) != ERR_OK )
        {
            pbuf_free( p );
            rx_dropped++;
            continue;
        }

        rx_frames++;
    }
}

err_t tcpip_netif_init( struct netif * netif )
{
    uint32_t lo = 0, hi = 0, ret = 0;
    int32_t r = fw_result( fw_fw_init( &ret ), ret );

    if( r != 0 )
    {
        tcpip_diag( "tcpip: the firewall could not start the interface (error %d)\n", ( int ) r );
        return ERR_IF;
    }

    if( fw_fw_mac_low( &lo ) != RTOS_OK || fw_fw_mac_high( &hi ) != RTOS_OK || hi > 0xFFFFu )
    {
        tcpip_console( "tcpip: cannot read the MAC address from the firewall\n" );
        return ERR_IF;
    }

    netif->hwaddr_len = ETH_HWADDR_LEN;
    netif->hwaddr[ 0 ] = ( u8_t ) lo;
    netif->hwaddr[ 1 ] = ( u8_t ) ( lo >> 8 );
    netif->hwaddr[ 2 ] = ( u8_t ) ( lo >> 16 );
    netif->hwaddr[ 3 ] = ( u8_t ) ( lo >> 24 );
    netif->hwaddr[ 4 ] = ( u8_t ) hi;
    netif->hwaddr[ 5 ] = ( u8_t ) ( hi >> 8 );
    netif->mtu = 1500;
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
    netif->name[ 0 ] = 'e';
    netif->name[ 1 ] = 'n';
    netif->output = etharp_output;
    netif->linkoutput = link_output;
    return ERR_OK;
}

void tcpip_netif_start_rx( void )
{
    /* Pool stack (a null stack asks the kernel for one): the task calls the firewall. */
    BaseType_t ok = xTaskCreate( rx_task, "rx", RX_STACK_WORDS, NULL, RX_PRIORITY, NULL );

    configASSERT( ok == pdPASS );
}

uint32_t tcpip_netif_rx_frames( void )
{
    return rx_frames;
}

uint32_t tcpip_netif_tx_frames( void )
{
    return tx_frames;
}

uint32_t tcpip_netif_rx_dropped( void )
{
    return rx_dropped;
}

uint32_t tcpip_netif_tx_errors( void )
{
    return tx_errors;
}
