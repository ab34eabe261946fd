/* The part of <string.h> the reference kernel and the programs use (implemented in libc.c). */
#ifndef REFERENCE_STRING_H
#define REFERENCE_STRING_H

#include <stddef.h>

void * memcpy( void * dst, const void * src, size_t n );
void * memmove( void * dst, const void * src, size_t n );
void * memset( void * dst, int c, size_t n );
int memcmp( const void * a, const void * b, size_t n );
size_t strlen( const char * s );
int strcmp( const char * a, const char * b );
char * strncpy( char * dst, const char * src, size_t n );

#endif
