/*
 * The platform lwIP's arch/cc.h asks for, on the RTOS: diagnostics through the kernel console
 * (a small formatter: there is no C library), failed assertions, random numbers, and the SNTP
 * client's access to the wall clock through the clock capability.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "FreeRTOS.h"
#include "task.h"
#include "rtos.h"

#include "lwip/opt.h"
#include "lwip/netif.h"

#include "glue.h"

void tcpip_console( const char * s )
{
    uint32_t n = 0;

    while( s[ n ] != '\0' )
    {
        n++;
    }

    ( void ) rtos_console_write( ( const uint8_t * ) s, n );
}

/* ---- The two C library functions lwIP's sources name (there is no C library) --------------- */

/* netif_find parses an interface number with it. */
int atoi( const char * s )
{
    int v = 0, sign = 1;

    if( *s == '-' || *s == '+' )
    {
        sign = ( *s++ == '-' ) ? -1 : 1;
    }

    while( *s >= '0' && *s <= '9' )
    {
        v = v * 10 + ( *s++ - '0' );
    }

    return sign * v;
}

/* lwip_strnstr compares with it. */
int strncmp( const char * a, const char * b, size_t n )
{
    for( ; n > 0; n--, a++, b++ )
    {
        if( *a != *b || *a == '\0' )
        {
            return ( unsigned char ) *a - ( unsigned char ) *b;
        }
    }

    return 0;
}

/* ---- Diagnostics -------------------------------------------------------------------------- */

struct line
{
    char buf[ 160 ];
    uint32_t len;
};

static void put( struct line * l, char c )
{
    if( l->len < sizeof( l->buf ) - 1 )
    {
        l->buf[ l->len++ ] = c;
    }
}

static void put_unsigned( struct line * l, uint32_t v, uint32_t base )
{
    char digits[ 12 ];
    uint32_t n = 0;

    do
    {
        digits[ n++ ] = "0123456789abcdef"[ v % base ];
        v /= base;
    } while( v != 0 );

    while( n > 0 )
    {
        put( l, digits[ --n ] );
    }
}

/* The conversions lwIP's diagnostics use (%s %c %d %i %u %x %X %p, width and length modifiers
 * accepted and ignored). Lines longer than the buffer are cut. */
void tcpip_diag( const char * fmt, ... )
{
    struct line l = { .len = 0 };
    va_list ap;

    va_start( ap, fmt );

    for( const char * p = fmt; *p != '\0'; p++ )
    {
        if( *p != '%' )
        {
            put( &l, *p );
            continue;
        }

        p++;

        while( ( *p >= '0' && *p <= '9' ) || *p == '-' || *p == 'l' || *p == 'h' || *p == 'z' )
        {
            p++;
        }

        switch( *p )
        {
            case 's':
            {
                const char * s = va_arg( ap, const char * );

                for( s = ( s != NULL ) ? s : "(null)"; *s != '\0'; s++ )
                {
                    put( &l, *s );
                }

                break;
            }

            case 'c':
                put( &l, ( char ) va_arg( ap, int ) );
                break;

            case 'd':
            case 'i':
            {
                int v = va_arg( ap, int );

                if( v < 0 )
                {
                    put( &l, '-' );
                    put_unsigned( &l, 0u - ( uint32_t ) v, 10 );
                }
                else
                {
                    put_unsigned( &l, ( uint32_t ) v, 10 );
                }

                break;
            }

            case 'u':
                put_unsigned( &l, va_arg( ap, unsigned ), 10 );
                break;

            case 'x':
            case 'X':
            case 'p':
                put_unsigned( &l, va_arg( ap, unsigned ), 16 );
                break;

            case '\0':
                p--;
                break;

            default:
                put( &l, *p );
                break;
        }
    }

    va_end( ap );
    ( void ) rtos_console_write( ( const uint8_t * ) l.buf, l.len );
}

/* A failed lwIP assertion or configASSERT: report it and fault. The kernel unwinds the current
 * call (its caller gets CompartmentFault) or ends the compartment's own thread; the rest of the
 * system keeps running. */
void tcpip_assert_failed( const char * msg, const char * file, int line )
{
    tcpip_diag( "tcpip: ASSERT %s at %s:%d\n", msg, file, line );

    for( ; ; )
    {
        __asm volatile ( "udf #0" );
    }
}

void vApplicationMallocFailedHook( void )
{
    tcpip_console( "tcpip: out of heap (configTOTAL_HEAP_SIZE / manifest heap)\n" );
}

void vApplicationStackOverflowHook( TaskHandle_t task, char * name )
{
    ( void ) task;
    tcpip_diag( "tcpip: stack overflow in task %s\n", name );
    tcpip_assert_failed( "stack overflow", __FILE__, __LINE__ );
}

/* ---- Random numbers (DNS ids, TCP initial sequence numbers, local ports) ------------------- */

/* xorshift32, stirred with the cycle counter on every call: unpredictable enough for DNS ids and
 * initial sequence numbers on a board without a hardware generator (QEMU's -icount makes runs
 * repeatable, which the tests rely on). Not a cryptographic generator. */
static uint32_t rand_state;

uint32_t tcpip_rand( void )
{
    uint32_t x = rand_state ^ ( uint32_t ) rtos_cycles();

    if( x == 0 )
    {
        x = 0x9E3779B9u;
    }

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rand_state = x;
    return x;
}

/* ---- Wall clock ------------------------------------------------------------------------------ */

static uint32_t clock_cap;
static volatile uint32_t sntp_syncs;

/* Fetches the compartment's clock capability (manifest `may_set_clock`). */
int32_t tcpip_clock_init( void )
{
    return rtos_clock_cap( &clock_cap );
}

void tcpip_sntp_set_time( uint32_t sec, uint32_t us )
{
    uint64_t unix_us = ( uint64_t ) sec * 1000000u + us;
    int32_t st = rtos_wall_clock_set( clock_cap, unix_us );

    if( st == RTOS_OK )
    {
        sntp_syncs++;
        tcpip_diag( "tcpip: SNTP set the wall clock to %lu s\n", ( unsigned long ) sec );
    }
    else
    {
        tcpip_diag( "tcpip: SNTP could not set the wall clock (error %d)\n", ( int ) st );
    }
}

void tcpip_sntp_get_time( uint32_t * sec, uint32_t * us )
{
    uint64_t t = 0;

    if( rtos_wall_clock( &t ) != RTOS_OK )
    {
        /* Not set yet: the uptime, which is just as good for matching our own request. */
        t = rtos_now() * ( 1000000u / configTICK_RATE_HZ );
    }

    *sec = ( uint32_t ) ( t / 1000000u );
    *us = ( uint32_t ) ( t % 1000000u );
}

uint32_t tcpip_sntp_syncs( void )
{
    return sntp_syncs;
}
