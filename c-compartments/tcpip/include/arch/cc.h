/*
 * lwIP's architecture header for the TCP/IP compartment: a little-endian Cortex-M33 built with
 * arm-none-eabi-gcc, running unprivileged with no C library beyond the freestanding headers.
 * Diagnostics and failed assertions go to the kernel console; an assertion ends the compartment's
 * current call with a fault (the kernel unwinds it), never the system.
 */
#ifndef TCPIP_ARCH_CC_H
#define TCPIP_ARCH_CC_H

#include <stdint.h>
#include <stddef.h>

#define BYTE_ORDER              LITTLE_ENDIAN

/* lwIP's own errno values (there is no C library errno here). */
#define LWIP_PROVIDE_ERRNO      1
/* No <ctype.h>: lwIP's own character-class macros. */
#define LWIP_NO_CTYPE_H         1

/* No stdio: lwIP's diagnostic printf goes through our formatter. */
void tcpip_diag( const char * fmt, ... ) __attribute__( ( format( printf, 1, 2 ) ) );
void tcpip_assert_failed( const char * msg, const char * file, int line ) __attribute__( ( noreturn ) );

#define LWIP_PLATFORM_DIAG( x )                 do { tcpip_diag x; } while( 0 )
#define LWIP_PLATFORM_ASSERT( x )               tcpip_assert_failed( ( x ), __FILE__, __LINE__ )

/* Size formats for the diagnostics (32-bit target). */
#define X8_F    "02x"
#define U16_F   "u"
#define S16_F   "d"
#define X16_F   "x"
#define U32_F   "lu"
#define S32_F   "ld"
#define X32_F   "lx"
#define SZT_F   "u"

/* lwIP's random numbers (DNS ids, TCP initial sequence numbers, local ports). */
uint32_t tcpip_rand( void );
#define LWIP_RAND()             tcpip_rand()

#endif /* TCPIP_ARCH_CC_H */
