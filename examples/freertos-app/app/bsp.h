/*
 * What the greenhouse controller needs from its board support package: a console and a way to
 * end the run. Everything else it uses is the FreeRTOS API.
 */
#ifndef BSP_H
#define BSP_H

/* printf-style output of one line (formats: %d %u %x %s %c %%, optional width and '0' flag). */
void bsp_printf( const char * fmt, ... ) __attribute__( ( format( printf, 1, 2 ) ) );

/* Ends the run: status 0 for success. */
void bsp_exit( int status ) __attribute__( ( noreturn ) );

#endif /* BSP_H */
