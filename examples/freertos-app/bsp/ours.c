/*
 * Board support for the greenhouse controller as a C compartment on our RTOS: the console is the
 * kernel's console system call (one call per line, so lines of different tasks never mix) and
 * the run ends through the kernel's shutdown call. This file is the only part of the
 * application that knows where it runs.
 */
#include <stdarg.h>
#include <stdint.h>

#include "rtos.h"
#include "bsp.h"

#define LINE_MAX 160

typedef struct
{
    char buf[ LINE_MAX ];
    unsigned len;
} Line;

static void put( Line * l, char c )
{
    if( l->len < LINE_MAX - 1 )
    {
        l->buf[ l->len++ ] = c;
    }
}

static void put_unsigned( Line * l, uint32_t v, unsigned base, unsigned width, char pad )
{
    char digits[ 10 ];
    unsigned n = 0;

    do
    {
        digits[ n++ ] = "0123456789abcdef"[ v % base ];
        v /= base;
    } while( v != 0 );

    while( width > n )
    {
        put( l, pad );
        width--;
    }

    while( n > 0 )
    {
        put( l, digits[ --n ] );
    }
}

static void format( Line * l, const char * fmt, va_list ap )
{
    for( ; *fmt != '\0'; fmt++ )
    {
        unsigned width = 0;
        char pad = ' ';

        if( *fmt != '%' )
        {
            put( l, *fmt );
            continue;
        }

        fmt++;

        if( *fmt == '0' )
        {
            pad = '0';
            fmt++;
        }

        while( *fmt >= '0' && *fmt <= '9' )
        {
            width = width * 10 + ( unsigned ) ( *fmt++ - '0' );
        }

        switch( *fmt )
        {
            case 'd':
            {
                int v = va_arg( ap, int );

                if( v < 0 )
                {
                    put( l, '-' );
                    put_unsigned( l, 0u - ( uint32_t ) v, 10, width > 0 ? width - 1 : 0, pad );
                }
                else
                {
                    put_unsigned( l, ( uint32_t ) v, 10, width, pad );
                }

                break;
            }

            case 'u':
                put_unsigned( l, va_arg( ap, unsigned ), 10, width, pad );
                break;

            case 'x':
                put_unsigned( l, va_arg( ap, unsigned ), 16, width, pad );
                break;

            case 'c':
                put( l, ( char ) va_arg( ap, int ) );
                break;

            case 's':
            {
                const char * s = va_arg( ap, const char * );

                while( *s != '\0' )
                {
                    put( l, *s++ );
                }

                break;
            }

            case '%':
                put( l, '%' );
                break;

            default:
                /* An unsupported conversion is shown rather than silently dropped. */
                put( l, '?' );

                if( *fmt == '\0' )
                {
                    fmt--;
                }

                break;
        }
    }
}

void bsp_printf( const char * fmt, ... )
{
    Line l = { { 0 }, 0 };
    va_list ap;

    va_start( ap, fmt );
    format( &l, fmt, ap );
    va_end( ap );
    put( &l, '\n' );
    ( void ) rtos_console_write( ( const uint8_t * ) l.buf, l.len );
}

void bsp_exit( int status )
{
    rtos_shutdown( status );

    for( ; ; )
    {
    }
}

void bsp_assert_failed( const char * file, int line )
{
    bsp_printf( "assertion failed at %s:%d", file, line );
    bsp_exit( 3 );
}
