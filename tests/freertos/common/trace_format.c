/* The shared trace formatter: see trace_format.h. */
#include "trace_format.h"

typedef struct
{
    char * buf;
    unsigned n;
} line_t;

static void put_char( line_t * l, char c )
{
    /* One byte stays free for the newline. */
    if( l->n < TRACE_LINE_MAX - 1U )
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

unsigned trace_format( char * buf, const char * prefix, const char * fmt, va_list ap )
{
    line_t l = { buf, 0U };

    put_str( &l, prefix );

    while( *fmt )
    {
        char c = *fmt++;

        if( c != '%' )
        {
            put_char( &l, c );
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
                    put_char( &l, '-' );
                    put_unsigned( &l, 0UL - ( unsigned long ) v, 10U, width > 0 ? width - 1 : 0, pad );
                }
                else
                {
                    put_unsigned( &l, ( unsigned long ) v, 10U, width, pad );
                }
                break;
            }
            case 'u':
                put_unsigned( &l, is_long ? va_arg( ap, unsigned long ) : va_arg( ap, unsigned ), 10U, width, pad );
                break;
            case 'x':
                put_unsigned( &l, is_long ? va_arg( ap, unsigned long ) : va_arg( ap, unsigned ), 16U, width, pad );
                break;
            case 'c':
                put_char( &l, ( char ) va_arg( ap, int ) );
                break;
            case 's':
            {
                const char * s = va_arg( ap, const char * );
                put_str( &l, s ? s : "(null)" );
                break;
            }
            case '%':
                put_char( &l, '%' );
                break;
            case '\0':
                fmt--; /* a trailing '%': stop at the terminator */
                break;
            default:
                put_str( &l, "<bad format>" );
                break;
        }
    }

    l.buf[ l.n++ ] = '\n';
    return l.n;
}
