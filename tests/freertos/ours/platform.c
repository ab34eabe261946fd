/*
 * trace.h (and bench.h) on our FreeRTOS layer: the program is a C compartment, so output goes
 * through the kernel's console system call (one call per line, so lines never interleave), the
 * run ends with rtos_shutdown, and "interrupts" are run by the layer's interrupt emulation
 * (vCompatRunAsIsr: the function runs at once, with no task of the compartment able to run
 * until it returns).
 */
#include <stdarg.h>
#include <stdint.h>

#include "FreeRTOS.h"
#include "task.h"
#include "rtos.h"

#include "trace.h"

void vCompatRunAsIsr( void ( * fn )( void * ), void * arg );

enum { EXIT_DONE = 0, EXIT_FAIL = 1, EXIT_ASSERT = 3 };

#define LINE_MAX 200

typedef struct
{
    char buf[ LINE_MAX ];
    unsigned n;
} line_t;

static void put_char( line_t * l, char c )
{
    if( l->n < LINE_MAX - 1 )
    {
        l->buf[ l->n++ ] = c;
    }
}

static void put_str( line_t * l, const char * s )
{
    while( *s )
    {
        put_char( l, *s++ );
    }
}

static void put_unsigned( line_t * l, unsigned long v, unsigned base, int width, char pad )
{
    char digits[ 24 ];
    int n = 0;

    do
    {
        unsigned d = ( unsigned ) ( v % base );
        digits[ n++ ] = ( char ) ( d < 10U ? '0' + d : 'a' + d - 10U );
        v /= base;
    } while( v != 0UL );

    for( ; width > n; width-- )
    {
        put_char( l, pad );
    }

    while( n > 0 )
    {
        put_char( l, digits[ --n ] );
    }
}

static void put_formatted( line_t * l, const char * fmt, va_list ap )
{
    while( *fmt )
    {
        char c = *fmt++;

        if( c != '%' )
        {
            put_char( l, c );
            continue;
        }

        char pad = ' ';
        int width = 0;
        int is_long = 0;

        if( *fmt == '0' )
        {
            pad = '0';
            fmt++;
        }

        while( *fmt >= '0' && *fmt <= '9' )
        {
            width = width * 10 + ( *fmt++ - '0' );
        }

        if( *fmt == 'l' )
        {
            is_long = 1;
            fmt++;
        }

        switch( *fmt++ )
        {
            case 'd':
            case 'i':
            {
                long v = is_long ? va_arg( ap, long ) : va_arg( ap, int );

                if( v < 0 )
                {
                    put_char( l, '-' );
                    put_unsigned( l, 0UL - ( unsigned long ) v, 10U, width > 0 ? width - 1 : 0, pad );
                }
                else
                {
                    put_unsigned( l, ( unsigned long ) v, 10U, width, pad );
                }
                break;
            }
            case 'u':
                put_unsigned( l, is_long ? va_arg( ap, unsigned long ) : va_arg( ap, unsigned ), 10U, width, pad );
                break;
            case 'x':
                put_unsigned( l, is_long ? va_arg( ap, unsigned long ) : va_arg( ap, unsigned ), 16U, width, pad );
                break;
            case 'c':
                put_char( l, ( char ) va_arg( ap, int ) );
                break;
            case 's':
            {
                const char * s = va_arg( ap, const char * );
                put_str( l, s ? s : "(null)" );
                break;
            }
            case '%':
                put_char( l, '%' );
                break;
            default:
                put_char( l, '?' );
                break;
        }
    }
}

static void emit( const char * prefix, const char * fmt, va_list ap )
{
    line_t l = { .n = 0 };

    put_str( &l, prefix );
    put_formatted( &l, fmt, ap );
    put_char( &l, '\n' );
    ( void ) rtos_console_write( ( const uint8_t * ) l.buf, l.n );
}

void trace( const char * fmt, ... )
{
    va_list ap;

    va_start( ap, fmt );
    emit( "TRACE ", fmt, ap );
    va_end( ap );
}

void trace_done( void )
{
    trace( "done" );
    rtos_shutdown( EXIT_DONE );
    for( ; ; )
    {
    }
}

void trace_fail( const char * fmt, ... )
{
    va_list ap;

    va_start( ap, fmt );
    emit( "TRACE FAIL ", fmt, ap );
    va_end( ap );
    rtos_shutdown( EXIT_FAIL );
    for( ; ; )
    {
    }
}

void trace_run_isr( void ( * fn )( void * ), void * arg )
{
    vCompatRunAsIsr( fn, arg );
}

void platform_assert_failed( const char * file, int line )
{
    trace( "ASSERT %s:%d", file, line );
    rtos_shutdown( EXIT_ASSERT );
    for( ; ; )
    {
    }
}
