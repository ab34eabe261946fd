/*
 * The network benchmark on the reference side: lwIP (netconn API) linked without compartments on
 * the reference FreeRTOS kernel, with the LAN9118 driver of lan9118_netif.c. `cargo xtask bench
 * net` builds it, starts the host peers on 127.0.0.1 and runs it under QEMU with
 * `-icount shift=0,sleep=on`; the guest reaches the peers at 10.0.2.2.
 *
 * Figures are busy instructions: elapsed minus idle cycles of the bench clock (the idle task
 * counts its waits, net_platform.c) converted to instructions, so the time the guest waits for
 * the host does not count.
 *
 *   busy-calibration  a 2-instruction loop between two sleeps: must read 2.0 per iteration
 *   net-ref-rtt       one 32-byte message echoed by a tcp-echo peer (per round trip)
 *   net-ref-tput      64 KiB sent to a tcp-sink peer, up to its byte count reply (per KiB)
 */
#include <stdint.h>
#include <string.h>

#include "FreeRTOS.h"
#include "task.h"
#include "semphr.h"

#include "lwip/api.h"
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/tcpip.h"

#include "bench.h"
#include "trace.h"

#include "net_reference.h"

/* Peer ports on the host's 127.0.0.1 (xtask/src/netbench.rs: ECHO_PORT, SINK_PORT). */
#define ECHO_PORT           17301
#define SINK_PORT           17302

#define RTT_MESSAGES        200U
#define RTT_WARMUP          10U
#define RTT_MESSAGE_LEN     32U
#define TPUT_BYTES          ( 64U * 1024U )
#define TPUT_CHUNK          4096U
#define RECV_TIMEOUT_MS     10000

static struct netif eth;
static uint8_t chunk[ TPUT_CHUNK ];

/* Busy instructions since (c0, i0): elapsed minus idle cycles, as instructions (virtual ns under
 * -icount shift=0), times 10 for one decimal. */
static uint64_t busy_tenths( uint64_t c0, uint64_t i0 )
{
    uint64_t busy = ( bench_cycles() - c0 ) - ( bench_idle_cycles() - i0 );
    return busy * ( 10000000000ULL / bench_cycles_hz() );
}

static void report( const char * name, uint64_t tenths, uint32_t per, const char * unit )
{
    uint64_t v = tenths / per;
    trace( "BENCH %s: %lu.%lu %s", name, ( unsigned long ) ( v / 10U ), ( unsigned long ) ( v % 10U ), unit );
}

/* The method check: 2 * 10^6 instructions between two sleeps read as 2.0 per iteration. */
static void busy_calibration( void )
{
    const uint32_t loops = 1000000U;
    uint32_t n = loops;
    uint64_t c0 = bench_cycles();
    uint64_t i0 = bench_idle_cycles();

    vTaskDelay( 3 );
    __asm volatile ( "1: subs %0, %0, #1 \n bne 1b" : "+r" ( n ) : : "cc" );
    vTaskDelay( 3 );
    report( "busy-calibration", busy_tenths( c0, i0 ), loops, "instructions" );
}

static void tcpip_ready( void * arg )
{
    xSemaphoreGive( ( SemaphoreHandle_t ) arg );
}

static void network_up( void )
{
    SemaphoreHandle_t ready = xSemaphoreCreateBinary();
    ip4_addr_t addr, mask, gw;

    TRACE_CHECK( ready != NULL );
    tcpip_init( tcpip_ready, ready );
    xSemaphoreTake( ready, portMAX_DELAY );
    IP4_ADDR( &addr, 10, 0, 2, 15 );
    IP4_ADDR( &mask, 255, 255, 255, 0 );
    IP4_ADDR( &gw, 10, 0, 2, 2 );
    LOCK_TCPIP_CORE();
    struct netif * n = netif_add( &eth, &addr, &mask, &gw, NULL, lan9118_netif_init, tcpip_input );

    if( n != NULL )
    {
        netif_set_default( n );
        netif_set_up( n );
        netif_set_link_up( n );
    }

    UNLOCK_TCPIP_CORE();

    if( n == NULL )
    {
        trace_fail( "the LAN9118 did not initialise (netif_add failed)" );
    }
}

static struct netconn * connect_to( uint16_t port )
{
    ip_addr_t peer;
    struct netconn * c = netconn_new( NETCONN_TCP );

    TRACE_CHECK( c != NULL );
    IP_ADDR4( &peer, 10, 0, 2, 2 );
    /* Sends block without a limit (a send timeout makes netconn_write non-blocking); receives
     * give up after RECV_TIMEOUT_MS. */
    netconn_set_recvtimeout( c, RECV_TIMEOUT_MS );
    err_t e = netconn_connect( c, &peer, port );

    if( e != ERR_OK )
    {
        trace_fail( "cannot connect to the peer at 10.0.2.2:%u (lwIP error %d); is it running?", ( unsigned ) port, ( int ) e );
    }

    return c;
}

/* Receives exactly `len` bytes into `buf` (NULL: discard). */
static void recv_exactly( struct netconn * c, uint8_t * buf, uint32_t len )
{
    uint32_t got = 0;

    while( got < len )
    {
        struct netbuf * nb;
        err_t e = netconn_recv( c, &nb );

        if( e != ERR_OK )
        {
            trace_fail( "receive failed after %lu of %lu bytes (lwIP error %d)", ( unsigned long ) got, ( unsigned long ) len, ( int ) e );
        }

        uint16_t n = netbuf_len( nb );

        if( got + n > len )
        {
            trace_fail( "the peer sent %lu bytes, %lu expected", ( unsigned long ) ( got + n ), ( unsigned long ) len );
        }

        if( buf != NULL )
        {
            ( void ) netbuf_copy( nb, buf + got, n );
        }

        got += n;
        netbuf_delete( nb );
    }
}

static void one_round_trip( struct netconn * c, uint32_t i )
{
    uint8_t out[ RTT_MESSAGE_LEN ], back[ RTT_MESSAGE_LEN ];

    for( uint32_t b = 0; b < RTT_MESSAGE_LEN; b++ )
    {
        out[ b ] = ( uint8_t ) ( i + b );
    }

    err_t e = netconn_write( c, out, sizeof out, NETCONN_COPY );

    if( e != ERR_OK )
    {
        trace_fail( "send failed in round trip %lu (lwIP error %d)", ( unsigned long ) i, ( int ) e );
    }

    recv_exactly( c, back, sizeof back );

    if( memcmp( out, back, sizeof out ) != 0 )
    {
        trace_fail( "round trip %lu came back altered", ( unsigned long ) i );
    }
}

static void measure_rtt( void )
{
    struct netconn * c = connect_to( ECHO_PORT );

    for( uint32_t i = 0; i < RTT_WARMUP; i++ )
    {
        one_round_trip( c, i );
    }

    uint64_t c0 = bench_cycles();
    uint64_t i0 = bench_idle_cycles();

    for( uint32_t i = 0; i < RTT_MESSAGES; i++ )
    {
        one_round_trip( c, i );
    }

    report( "net-ref-rtt", busy_tenths( c0, i0 ), RTT_MESSAGES, "instructions" );
    netconn_close( c );
    netconn_delete( c );
}

static void measure_tput( void )
{
    struct netconn * c = connect_to( SINK_PORT );
    uint8_t count[ 8 ];

    for( uint32_t i = 0; i < sizeof chunk; i++ )
    {
        chunk[ i ] = ( uint8_t ) i;
    }

    uint64_t c0 = bench_cycles();
    uint64_t i0 = bench_idle_cycles();

    for( uint32_t sent = 0; sent < TPUT_BYTES; sent += sizeof chunk )
    {
        err_t e = netconn_write( c, chunk, sizeof chunk, NETCONN_NOCOPY );

        if( e != ERR_OK )
        {
            trace_fail( "send failed after %lu bytes (lwIP error %d)", ( unsigned long ) sent, ( int ) e );
        }
    }

    /* Half-close: the sink answers with the number of bytes it received (8 bytes, big-endian). */
    TRACE_CHECK( netconn_shutdown( c, 0, 1 ) == ERR_OK );
    recv_exactly( c, count, sizeof count );
    uint64_t tenths = busy_tenths( c0, i0 );
    uint64_t received = 0;

    for( uint32_t i = 0; i < sizeof count; i++ )
    {
        received = ( received << 8 ) | count[ i ];
    }

    if( received != TPUT_BYTES )
    {
        trace_fail( "the sink received %lu bytes, %lu sent", ( unsigned long ) received, ( unsigned long ) TPUT_BYTES );
    }

    report( "net-ref-tput", tenths, TPUT_BYTES / 1024U, "instructions/KiB" );
    netconn_close( c );
    netconn_delete( c );
}

static void bench_task( void * arg )
{
    ( void ) arg;
    vTaskDelay( 1 );
    busy_calibration();
    network_up();
    measure_rtt();
    measure_tput();
    trace( "frames received %lu, dropped %lu", ( unsigned long ) lan9118_rx_frames(), ( unsigned long ) lan9118_rx_dropped() );
    trace_done();
}

int main( void )
{
    /* Below lwIP's tcpip thread (TCPIP_THREAD_PRIO) and the receive task, like an application. */
    if( xTaskCreate( bench_task, "bench", 2048, NULL, 5, NULL ) != pdPASS )
    {
        trace_fail( "cannot create the bench task" );
    }

    vTaskStartScheduler();
    trace_fail( "scheduler returned" );
}
