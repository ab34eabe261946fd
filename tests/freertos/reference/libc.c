/*
 * The few C library functions the reference build needs (the kernel's <string.h> use and the
 * calls GCC emits for struct copies and zeroing). Simple loops (word copies when aligned): this
 * is test support. Built with -fno-tree-loop-distribute-patterns so GCC does not turn the loops
 * back into calls to themselves.
 */
#include <stdint.h>
#include <string.h>

void * memcpy( void * dst, const void * src, size_t n )
{
    unsigned char * d = dst;
    const unsigned char * s = src;

    if( ( ( ( uintptr_t ) d | ( uintptr_t ) s ) & 3U ) == 0U )
    {
        for( ; n >= 4U; n -= 4U, d += 4, s += 4 )
        {
            *( uint32_t * ) d = *( const uint32_t * ) s;
        }
    }

    while( n-- )
    {
        *d++ = *s++;
    }

    return dst;
}

void * memmove( void * dst, const void * src, size_t n )
{
    unsigned char * d = dst;
    const unsigned char * s = src;

    if( d < s )
    {
        while( n-- )
        {
            *d++ = *s++;
        }
    }
    else
    {
        while( n-- )
        {
            d[ n ] = s[ n ];
        }
    }

    return dst;
}

void * memset( void * dst, int c, size_t n )
{
    unsigned char * d = dst;

    while( n-- )
    {
        *d++ = ( unsigned char ) c;
    }

    return dst;
}

int memcmp( const void * a, const void * b, size_t n )
{
    const unsigned char * x = a;
    const unsigned char * y = b;

    for( ; n; n--, x++, y++ )
    {
        if( *x != *y )
        {
            return *x < *y ? -1 : 1;
        }
    }

    return 0;
}

size_t strlen( const char * s )
{
    size_t n = 0;

    while( s[ n ] )
    {
        n++;
    }

    return n;
}

int strcmp( const char * a, const char * b )
{
    while( *a && *a == *b )
    {
        a++;
        b++;
    }

    return ( int ) ( unsigned char ) *a - ( int ) ( unsigned char ) *b;
}

char * strncpy( char * dst, const char * src, size_t n )
{
    size_t i = 0;

    for( ; i < n && src[ i ]; i++ )
    {
        dst[ i ] = src[ i ];
    }

    for( ; i < n; i++ )
    {
        dst[ i ] = '\0';
    }

    return dst;
}
