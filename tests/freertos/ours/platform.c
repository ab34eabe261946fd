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
#include "trace_format.h"

void vCompatRunAsIsr( void ( * fn )( void * ), void * arg );

enum { EXIT_DONE = 0, EXIT_FAIL = 1, EXIT_ASSERT = 3, EXIT_STACK = 5 };

static void emit( const char * prefix, const char * fmt, va_list ap )
{
    char line[ TRACE_LINE_MAX ];
    unsigned n = trace_format( line, prefix, fmt, ap );

    ( void ) rtos_console_write( ( const uint8_t * ) line, n );
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

/* configCHECK_FOR_STACK_OVERFLOW: the layer calls this when a task's stack guard was written
 * (checked where a task blocks or yields; the kernel itself stops an actual overflow). */
void vApplicationStackOverflowHook( TaskHandle_t task, char * name )
{
    ( void ) task;
    trace( "STACK OVERFLOW in task %s", name );
    rtos_shutdown( EXIT_STACK );
    for( ; ; )
    {
    }
}

/* bench.h: the kernel's tick-timer clock (20 MHz on this board; 50 instructions per cycle under
 * -icount shift=0). Each read is a system call, outside the measured loop. */
uint64_t bench_cycles( void )
{
    return rtos_cycles();
}

uint32_t bench_cycles_hz( void )
{
    return rtos_clock_hz();
}
