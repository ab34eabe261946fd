/*
 * The socket API the TCP/IP compartment exports (net_socket.h), on lwIP's netconn API.
 *
 * Every export runs on the caller's thread (a thread of another compartment, which the FreeRTOS
 * layer gives a control block of its own), so lwIP's netconn calls block that thread, not the
 * stack: with LWIP_TCPIP_CORE_LOCKING the caller runs lwIP's core code itself under the core lock.
 *
 * Rights:
 * - a connection needs a connection capability: a static sealed object under our key
 *   `connection` naming "proto:host:port"; the kernel refuses to open anything else with the key;
 * - a socket is a sealed handle under a key created at start-up, with the socket's slot as
 *   payload; each socket records the compartment that opened it (the kernel's caller identity),
 *   and every other compartment is refused, whatever handle value it got hold of.
 *
 * A socket in use by one call may be closed by another: the handle is revoked at once, and the
 * netconn is deleted by whichever call finishes last (`users` counts them).
 */
#include <stdint.h>
#include <string.h>

#include "FreeRTOS.h"
#include "event_groups.h"
#include "semphr.h"
#include "task.h"
#include "rtos.h"

#include "lwip/opt.h"
#include "lwip/api.h"
#include "lwip/dns.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"

#include "net_socket.h"
#include "glue.h"

#define MAX_SOCKETS         8
/* Longest "proto:host:port" a capability holds (the kernel's limit for static objects). */
#define CAP_TEXT_MAX        64
/* How long net_send waits for room in lwIP's send buffer before giving up. */
#define SEND_TIMEOUT_MS     10000
#define EVENT_UP            ( 1u << 0 )

enum proto { PROTO_TCP = 1, PROTO_UDP = 2 };

struct socket
{
    uint32_t handle;            /* the sealed handle; 0 = free slot */
    uint32_t owner;             /* compartment index of the opener */
    struct netconn * conn;
    SemaphoreHandle_t event;    /* given by lwIP's netconn callback (connection progress) */
    struct netbuf * pending;    /* TCP: data received but not yet delivered */
    uint16_t pending_off;
    uint8_t proto;
    uint8_t closing;            /* the handle was revoked; delete when the last user leaves */
    uint8_t users;              /* calls currently using the socket */
};

static struct socket sockets[ MAX_SOCKETS ];
static SemaphoreHandle_t table_lock;
static EventGroupHandle_t events;
static uint32_t socket_key, connection_key;
static volatile uint32_t ready;
/* The counters kept here (the others come from the interface and SNTP). */
static volatile uint32_t stats[ NET_STAT_SNTP_SYNCS ];

int tcpip_sockets_init( void )
{
    table_lock = xSemaphoreCreateMutex();
    events = xEventGroupCreate();

    if( table_lock == NULL || events == NULL )
    {
        return -1;
    }

    if( rtos_seal_key_create( &socket_key ) != RTOS_OK )
    {
        tcpip_console( "tcpip: no sealing key for sockets (kernel table full)\n" );
        return -1;
    }

    /* Manifest: sealing_keys = ["connection"] (index 0). Without it no connection can open. */
    if( rtos_static_key( 0, &connection_key ) != RTOS_OK )
    {
        tcpip_console( "tcpip: no static key `connection` (manifest sealing_keys); net_connect will refuse\n" );
        connection_key = 0;
    }

    __atomic_store_n( &ready, 1u, __ATOMIC_RELEASE );
    return 0;
}

static int is_ready( void )
{
    return __atomic_load_n( &ready, __ATOMIC_ACQUIRE ) != 0;
}

void tcpip_sockets_link_event( int up )
{
    if( up )
    {
        ( void ) xEventGroupSetBits( events, EVENT_UP );
    }
    else
    {
        ( void ) xEventGroupClearBits( events, EVENT_UP );
    }
}

int32_t tcpip_error( err_t err )
{
    switch( err )
    {
        case ERR_OK:
            return 0;

        case ERR_MEM:
        case ERR_BUF:
            return RTOS_E_OUT_OF_MEMORY;

        case ERR_TIMEOUT:
        case ERR_WOULDBLOCK:
            return RTOS_E_TIMED_OUT;

        case ERR_RTE:
            return NET_E_UNREACHABLE;

        case ERR_ABRT:
        case ERR_RST:
            return NET_E_RESET;

        case ERR_CLSD:
        case ERR_CONN:
            return NET_E_CLOSED;

        case ERR_ARG:
        case ERR_VAL:
            return RTOS_E_INVALID_ARGUMENT;

        case ERR_IF:
            return NET_E_DOWN;

        default:
            return NET_E_IO;
    }
}

/* The compartment that called the current export. */
static int32_t caller( uint32_t * index )
{
    return rtos_caller( index );
}

/* ---- The socket table --------------------------------------------------------------------- */

/* Looks up `handle` for the calling compartment and marks the socket in use; release with
 * `put`. Errors: the kernel's verdict on the handle (forged, stale, another type), or
 * NOT_PERMITTED for a socket another compartment opened. */
static int32_t get( uint32_t handle, struct socket ** out )
{
    uint32_t slot = 0, me = 0;
    int32_t st;

    if( !is_ready() )
    {
        return NET_E_DOWN;
    }

    st = rtos_unseal( socket_key, handle, &slot );

    if( st != RTOS_OK )
    {
        return st;
    }

    st = caller( &me );

    if( st != RTOS_OK )
    {
        return st;
    }

    if( slot >= MAX_SOCKETS )
    {
        return RTOS_E_INVALID_HANDLE;
    }

    ( void ) xSemaphoreTake( table_lock, portMAX_DELAY );
    struct socket * s = &sockets[ slot ];

    if( s->handle != handle || s->closing )
    {
        st = RTOS_E_INVALID_HANDLE;
    }
    else if( s->owner != me )
    {
        stats[ NET_STAT_FOREIGN_HANDLE ]++;
        st = RTOS_E_NOT_PERMITTED;
    }
    else
    {
        s->users++;
        *out = s;
    }

    ( void ) xSemaphoreGive( table_lock );
    return st;
}

/* Frees the slot's lwIP resources; the caller holds no lock and is the last user. */
static void destroy( struct socket * s )
{
    if( s->pending != NULL )
    {
        netbuf_delete( s->pending );
    }

    if( s->conn != NULL )
    {
        if( s->proto == PROTO_TCP )
        {
            ( void ) netconn_close( s->conn );
        }

        ( void ) netconn_delete( s->conn );
    }

    if( s->event != NULL )
    {
        vSemaphoreDelete( s->event );
    }

    ( void ) xSemaphoreTake( table_lock, portMAX_DELAY );
    memset( s, 0, sizeof( *s ) );
    stats[ NET_STAT_SOCKETS_OPEN ]--;
    ( void ) xSemaphoreGive( table_lock );
}

static void put( struct socket * s )
{
    int last;

    ( void ) xSemaphoreTake( table_lock, portMAX_DELAY );
    s->users--;
    last = ( s->users == 0 && s->closing );
    ( void ) xSemaphoreGive( table_lock );

    if( last )
    {
        destroy( s );
    }
}

/* lwIP calls this (core locked) on every event of a socket's netconn. */
static void conn_event( struct netconn * conn, enum netconn_evt evt, u16_t len )
{
    struct socket * s = netconn_get_callback_arg( conn );

    ( void ) len;

    if( s != NULL && s->event != NULL && ( evt == NETCONN_EVT_SENDPLUS || evt == NETCONN_EVT_ERROR ) )
    {
        ( void ) xSemaphoreGive( s->event );
    }
}

/* ---- Connection capabilities ------------------------------------------------------------ */

struct endpoint
{
    uint8_t proto;
    char host[ CAP_TEXT_MAX ];
    uint16_t port;
};

/* "tcp:host:port" or "udp:host:port"; host a name or a dotted quad, port 1..65535. */
static int parse_capability( const uint8_t * text, uint32_t len, struct endpoint * ep )
{
    uint32_t i = 4, h = 0, port = 0;

    if( len < 7 || len > CAP_TEXT_MAX || text[ 3 ] != ':' )
    {
        return -1;
    }

    if( memcmp( text, "tcp", 3 ) == 0 )
    {
        ep->proto = PROTO_TCP;
    }
    else if( memcmp( text, "udp", 3 ) == 0 )
    {
        ep->proto = PROTO_UDP;
    }
    else
    {
        return -1;
    }

    while( i < len && text[ i ] != ':' )
    {
        char c = ( char ) text[ i++ ];

        if( !( ( c >= 'a' && c <= 'z' ) || ( c >= 'A' && c <= 'Z' ) || ( c >= '0' && c <= '9' ) || c == '.' || c == '-' ) )
        {
            return -1;
        }

        ep->host[ h++ ] = c;
    }

    ep->host[ h ] = '\0';

    if( h == 0 || i >= len - 1 )
    {
        return -1;
    }

    for( i++; i < len; i++ )
    {
        if( text[ i ] < '0' || text[ i ] > '9' || port > 6553 )
        {
            return -1;
        }

        port = port * 10 + ( text[ i ] - '0' );
    }

    if( port == 0 || port > 65535 )
    {
        return -1;
    }

    ep->port = ( uint16_t ) port;
    return 0;
}

/* Opens `connection` with our key and parses it. */
static int32_t read_capability( uint32_t connection, struct endpoint * ep )
{
    uint8_t text[ CAP_TEXT_MAX ];
    uint32_t len = sizeof( text );
    int32_t st;

    if( connection_key == 0 )
    {
        return RTOS_E_NOT_PERMITTED;
    }

    st = rtos_sealed_contents( connection_key, connection, text, &len );

    if( st != RTOS_OK )
    {
        return st;
    }

    return ( parse_capability( text, len, ep ) == 0 ) ? 0 : NET_E_BAD_CAPABILITY;
}

/* ---- Exports -------------------------------------------------------------------------------- */

int32_t net_wait_up( uint32_t timeout_ms )
{
    TickType_t start = xTaskGetTickCount();

    /* Before start-up finished there is no event group yet: poll. */
    while( !is_ready() )
    {
        if( xTaskGetTickCount() - start >= pdMS_TO_TICKS( timeout_ms ) )
        {
            return RTOS_E_TIMED_OUT;
        }

        vTaskDelay( 1 );
    }

    TickType_t spent = xTaskGetTickCount() - start;
    TickType_t left = ( timeout_ms == RTOS_FOREVER ) ? portMAX_DELAY : pdMS_TO_TICKS( timeout_ms ) - spent;
    EventBits_t bits = xEventGroupWaitBits( events, EVENT_UP, pdFALSE, pdTRUE, left );

    if( ( bits & EVENT_UP ) == 0 )
    {
        return RTOS_E_TIMED_OUT;
    }

    return ( int32_t ) ip4_addr_get_u32( netif_ip4_addr( &tcpip_netif ) );
}

/* Resolves the endpoint's host (a dotted quad, or DNS). */
static int32_t resolve( const struct endpoint * ep, ip_addr_t * addr )
{
    if( ipaddr_aton( ep->host, addr ) )
    {
        return 0;
    }

    err_t e = netconn_gethostbyname( ep->host, addr );

    return ( e == ERR_OK ) ? 0 : NET_E_NO_NAME;
}

/* Waits for the outcome of a non-blocking TCP connect. */
static int32_t finish_connect( struct socket * s, uint32_t timeout_ms )
{
    TickType_t deadline = xTaskGetTickCount() + pdMS_TO_TICKS( timeout_ms );

    for( ; ; )
    {
        enum tcp_state state = CLOSED;
        err_t pending = netconn_err( s->conn );

        if( pending != ERR_OK )
        {
            return ( pending == ERR_RST || pending == ERR_ABRT ) ? NET_E_REFUSED : tcpip_error( pending );
        }

        LOCK_TCPIP_CORE();

        if( s->conn->pcb.tcp != NULL )
        {
            state = s->conn->pcb.tcp->state;
        }

        UNLOCK_TCPIP_CORE();

        if( state == ESTABLISHED )
        {
            return 0;
        }

        if( state == CLOSED )
        {
            return NET_E_REFUSED;
        }

        TickType_t now = xTaskGetTickCount();

        if( ( int32_t ) ( deadline - now ) <= 0 )
        {
            return RTOS_E_TIMED_OUT;
        }

        ( void ) xSemaphoreTake( s->event, deadline - now );
    }
}

int32_t net_connect( uint32_t connection, uint32_t timeout_ms )
{
    struct endpoint ep;
    ip_addr_t addr;
    uint32_t me = 0, slot, handle = 0;
    int32_t st;

    if( !is_ready() )
    {
        return NET_E_DOWN;
    }

    st = caller( &me );

    if( st != RTOS_OK )
    {
        return st;
    }

    st = read_capability( connection, &ep );

    if( st != 0 )
    {
        stats[ NET_STAT_REFUSED_CAPS ]++;
        return st;
    }

    if( ( xEventGroupGetBits( events ) & EVENT_UP ) == 0 )
    {
        return NET_E_DOWN;
    }

    st = resolve( &ep, &addr );

    if( st != 0 )
    {
        return st;
    }

    /* Reserve a slot (marked in use by this call until it is ready). */
    ( void ) xSemaphoreTake( table_lock, portMAX_DELAY );

    for( slot = 0; slot < MAX_SOCKETS && ( sockets[ slot ].handle != 0 || sockets[ slot ].users != 0 ); slot++ )
    {
    }

    if( slot < MAX_SOCKETS )
    {
        sockets[ slot ].users = 1;
        stats[ NET_STAT_SOCKETS_OPEN ]++;
    }

    ( void ) xSemaphoreGive( table_lock );

    if( slot == MAX_SOCKETS )
    {
        return NET_E_NO_SOCKETS;
    }

    struct socket * s = &sockets[ slot ];

    s->proto = ep.proto;
    s->owner = me;
    s->event = xSemaphoreCreateBinary();
    s->conn = netconn_new_with_callback( ep.proto == PROTO_TCP ? NETCONN_TCP : NETCONN_UDP, conn_event );

    if( s->event == NULL || s->conn == NULL )
    {
        st = NET_E_NO_SOCKETS;
    }
    else
    {
        netconn_set_callback_arg( s->conn, s );

        if( ep.proto == PROTO_TCP )
        {
            /* Non-blocking, so that the caller's timeout bounds the handshake. */
            netconn_set_nonblocking( s->conn, 1 );
            err_t e = netconn_connect( s->conn, &addr, ep.port );
            st = ( e == ERR_OK || e == ERR_INPROGRESS || e == ERR_ALREADY ) ? finish_connect( s, timeout_ms ) : tcpip_error( e );
            netconn_set_nonblocking( s->conn, 0 );
        }
        else
        {
            st = tcpip_error( netconn_connect( s->conn, &addr, ep.port ) );
        }
    }

    if( st == 0 )
    {
        st = rtos_seal( socket_key, slot, &handle );
    }

    if( st != 0 )
    {
        s->closing = 1;
        s->users = 0;
        destroy( s );
        return st;
    }

    ( void ) xSemaphoreTake( table_lock, portMAX_DELAY );
    s->handle = handle;
    s->users = 0;
    stats[ NET_STAT_SOCKETS_TOTAL ]++;
    ( void ) xSemaphoreGive( table_lock );
    return ( int32_t ) handle;
}

int32_t net_send( uint32_t socket, rtos_read_only_t data, uint32_t len )
{
    struct socket * s = NULL;
    int32_t st;

    if( len > data.len )
    {
        return RTOS_E_INVALID_ARGUMENT;
    }

    st = get( socket, &s );

    if( st != RTOS_OK )
    {
        return st;
    }

    if( s->proto == PROTO_TCP )
    {
        const uint8_t * p = data.base;
        uint32_t left = len;
        TickType_t deadline = xTaskGetTickCount() + pdMS_TO_TICKS( SEND_TIMEOUT_MS );

        /* Non-blocking writes, on this thread only: a blocking netconn write would leave the rest
         * to the tcpip thread, which cannot reach the caller's grant. lwIP copies what it takes
         * (NETCONN_COPY); when its send buffer is full we wait for its "sent" event. */
        while( left > 0 && st == 0 )
        {
            size_t written = 0;
            err_t e = netconn_write_partly( s->conn, p, left, NETCONN_COPY | NETCONN_DONTBLOCK, &written );

            p += written;
            left -= ( uint32_t ) written;

            if( e == ERR_WOULDBLOCK || ( e == ERR_OK && left > 0 && written == 0 ) )
            {
                TickType_t now = xTaskGetTickCount();

                if( ( int32_t ) ( deadline - now ) <= 0 )
                {
                    st = RTOS_E_TIMED_OUT;
                }
                else
                {
                    ( void ) xSemaphoreTake( s->event, deadline - now );
                }
            }
            else if( e != ERR_OK )
            {
                st = tcpip_error( e );
            }
        }

        if( st != 0 && left < len )
        {
            /* Part of it went out: report what did, the next call sees the error. */
            st = 0;
            len -= left;
        }
    }
    else
    {
        struct netbuf * nb = netbuf_new();
        void * payload = ( nb != NULL && len <= 0xFFFFu ) ? netbuf_alloc( nb, ( u16_t ) len ) : NULL;

        if( payload == NULL )
        {
            st = ( len > 0xFFFFu ) ? RTOS_E_INVALID_ARGUMENT : RTOS_E_OUT_OF_MEMORY;
        }
        else
        {
            memcpy( payload, data.base, len );
            st = tcpip_error( netconn_send( s->conn, nb ) );
        }

        if( nb != NULL )
        {
            netbuf_delete( nb );
        }
    }

    put( s );
    return ( st == 0 ) ? ( int32_t ) len : st;
}

int32_t net_recv( uint32_t socket, rtos_store_only_t window, uint32_t timeout_ms )
{
    struct socket * s = NULL;
    struct netbuf * nb = NULL;
    int32_t st = get( socket, &s );

    if( st != RTOS_OK )
    {
        return st;
    }

    if( s->pending == NULL )
    {
        /* lwIP: 0 means "no timeout"; ours: 0 polls, RTOS_FOREVER waits for ever. */
        netconn_set_recvtimeout( s->conn, timeout_ms == RTOS_FOREVER ? 0 : ( timeout_ms == 0 ? 1 : ( int ) timeout_ms ) );
        err_t e = netconn_recv( s->conn, &nb );

        if( e == ERR_CLSD )
        {
            st = 0; /* the peer closed the connection: end of stream */
        }
        else if( e != ERR_OK )
        {
            st = tcpip_error( e );
        }
        else if( s->proto == PROTO_TCP )
        {
            s->pending = nb;
            s->pending_off = 0;
        }
        else
        {
            /* UDP: one datagram, cut to the window. */
            st = netbuf_copy( nb, window.base, window.len );
            netbuf_delete( nb );
        }
    }

    if( s->pending != NULL )
    {
        uint16_t total = netbuf_len( s->pending );
        uint16_t n = netbuf_copy_partial( s->pending, window.base, window.len, s->pending_off );

        s->pending_off = ( uint16_t ) ( s->pending_off + n );

        if( s->pending_off >= total )
        {
            netbuf_delete( s->pending );
            s->pending = NULL;
        }

        st = n;
    }

    put( s );
    return st;
}

int32_t net_close( uint32_t socket )
{
    struct socket * s = NULL;
    uint32_t slot = 0;
    int32_t st = get( socket, &s );

    if( st != RTOS_OK )
    {
        return st;
    }

    /* Revoke the handle first: no new call can reach the socket from here on. */
    ( void ) rtos_seal_destroy( socket_key, socket, &slot );
    ( void ) xSemaphoreTake( table_lock, portMAX_DELAY );
    s->closing = 1;
    s->handle = 0;
    ( void ) xSemaphoreGive( table_lock );
    put( s );
    return 0;
}

int32_t net_stat( uint32_t what )
{
    switch( what )
    {
        case NET_STAT_SNTP_SYNCS:
            return ( int32_t ) tcpip_sntp_syncs();

        case NET_STAT_RX_FRAMES:
            return ( int32_t ) tcpip_netif_rx_frames();

        case NET_STAT_TX_FRAMES:
            return ( int32_t ) tcpip_netif_tx_frames();

        case NET_STAT_RX_DROPPED:
            return ( int32_t ) tcpip_netif_rx_dropped();

        case NET_STAT_TX_ERRORS:
            return ( int32_t ) tcpip_netif_tx_errors();

        case NET_STAT_DNS_SERVER:
        {
            const ip_addr_t * dns = dns_getserver( 0 );
            return ( int32_t ) ip4_addr_get_u32( ip_2_ip4( dns ) );
        }

        default:
            return ( what < NET_STAT_SNTP_SYNCS ) ? ( int32_t ) stats[ what ] : RTOS_E_INVALID_ARGUMENT;
    }
}
