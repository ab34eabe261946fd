/*
 * Compartment `cclient`: a C caller of the TCP/IP compartment's socket API, through the typed
 * stubs the build tool generates into imports.h from net_socket.h. It waits for the interface,
 * opens the connection its manifest capability names, sends a message, reads the echo back,
 * closes, and prints one line: `cclient: ok ...` or `cclient: FAIL ...`.
 */
#include <stdint.h>

#include "rtos.h"
#include "imports.h"
#include "net_socket.h" /* the API's error codes (NET_IS_ERROR, NET_E_*) */

/* Grant buffers are whole 32-byte granules, 32-byte aligned. */
static uint8_t tx[ 64 ] __attribute__( ( aligned( 32 ) ) );
static uint8_t rx[ 64 ] __attribute__( ( aligned( 32 ) ) );

static void say( const char * s )
{
    uint32_t n = 0;

    while( s[ n ] != '\0' )
    {
        n++;
    }

    ( void ) rtos_console_write( ( const uint8_t * ) s, n );
}

/* The stack's answer, or the call's own error when the call did not get through. */
static int32_t result( int32_t status, int32_t value )
{
    return ( status == RTOS_OK ) ? value : status;
}

static void fail( const char * what, int32_t code )
{
    say( "cclient: FAIL " );
    say( what );
    rtos_print_i32( ", code", code );
}

void cclient_main( uintptr_t arg )
{
    static const char message[] = "hello from a C compartment";
    const uint32_t len = sizeof( message ) - 1;
    uint32_t cap = 0, got = 0;
    int32_t r = 0, sock;

    ( void ) arg;

    if( tcpip_net_wait_up( 30000, &r ) != RTOS_OK || NET_IS_ERROR( r ) )
    {
        fail( "no address", r );
        return;
    }

    if( rtos_static_sealed( 0, &cap ) != RTOS_OK )
    {
        fail( "no connection capability (manifest sealed_imports)", 0 );
        return;
    }

    sock = 0;
    r = result( tcpip_net_connect( cap, 5000, &sock ), sock );

    if( NET_IS_ERROR( r ) )
    {
        fail( "connect", r );
        return;
    }

    for( uint32_t i = 0; i < len; i++ )
    {
        tx[ i ] = ( uint8_t ) message[ i ];
    }

    int32_t sent = 0;
    r = result( tcpip_net_send( ( uint32_t ) sock, RTOS_READ_ONLY( tx ), len, &sent ), sent );

    while( !NET_IS_ERROR( r ) && got < len )
    {
        int32_t n = 0;
        r = result( tcpip_net_recv( ( uint32_t ) sock, RTOS_STORE_ONLY( rx ), 5000, &n ), n );

        if( !NET_IS_ERROR( r ) && r == 0 )
        {
            r = NET_E_CLOSED;
        }
        else if( !NET_IS_ERROR( r ) )
        {
            got += ( uint32_t ) r;
        }
    }

    int32_t closed = 0;
    int32_t c = result( tcpip_net_close( ( uint32_t ) sock, &closed ), closed );

    if( NET_IS_ERROR( r ) || NET_IS_ERROR( c ) )
    {
        fail( "echo", NET_IS_ERROR( r ) ? r : c );
        return;
    }

    for( uint32_t i = 0; i < len; i++ )
    {
        if( rx[ i ] != tx[ i ] )
        {
            fail( "echoed bytes differ", ( int32_t ) i );
            return;
        }
    }

    say( "cclient: ok echoed \"" );
    say( message );
    say( "\" through the socket API from C\n" );
}
