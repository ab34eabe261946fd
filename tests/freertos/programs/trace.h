/*
 * Trace output for the FreeRTOS differential test programs.
 *
 * Programs use only the standard FreeRTOS API plus these functions. Each platform (the reference
 * kernel in ../reference/platform.c, our compatibility layer elsewhere) implements them; a run's
 * trace is every console line that starts with "TRACE ", compared by `cargo xtask test freertos`
 * with the golden file ../expected/<program>.trace.
 *
 * A trace must depend only on FreeRTOS semantics: event order, return values, counts, tick
 * differences. Never print addresses, heap overheads, stack high-water marks or timings.
 */
#ifndef TRACE_H
#define TRACE_H

#include <stdint.h>

/* Prints one trace line. Formats: %d %i %u %x %c %s %%, with an optional 'l' length modifier,
 * an optional '0' flag and a width (e.g. %08lx). Callable from tasks, before the scheduler starts
 * and from trace_run_isr() functions; a line is never interleaved with another. */
void trace( const char * fmt, ... );

/* Prints the final line "done" and ends the run successfully (status 0). */
void trace_done( void ) __attribute__( ( noreturn ) );

/* Prints "FAIL <message>" and ends the run with status 1. */
void trace_fail( const char * fmt, ... ) __attribute__( ( noreturn ) );

/* Runs fn(arg) in interrupt context at a priority from which the FromISR API may be called, and
 * returns once it has run (and any context switch it requested has happened). */
void trace_run_isr( void ( * fn )( void * ), void * arg );

/* Checks a condition the trace would not show by itself; a failed check ends the run. */
#define TRACE_CHECK( cond )                                                        \
    do {                                                                           \
        if( !( cond ) ) { trace_fail( "check failed at line %d: %s", __LINE__, #cond ); } \
    } while( 0 )

#endif /* TRACE_H */
