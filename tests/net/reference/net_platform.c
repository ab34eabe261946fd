/*
 * The network benchmark's reference platform, beside ../../freertos/reference/platform.c (trace
 * output, bench clock, exit): busy-time accounting in the idle hook, and the functions our lwIP
 * configuration (c-compartments/tcpip/include: lwipopts.h, arch/cc.h) expects its platform to
 * provide. The compartment provides the same names its own way; here they print through trace()
 * and end the run through the reference platform.
 */
#include <stdarg.h>
#include <stdint.h>

#include "FreeRTOS.h"
#include "task.h"

#include "bench.h"
#include "trace.h"
#include "trace_format.h"

#include "net_reference.h"

void platform_assert_failed( const char * file, int line );

/* ---- Busy-time accounting ------------------------------------------------------------------ */

/* Written only by the idle task with PRIMASK set, read in a critical section. */
static volatile uint64_t idle_cycles;

/* Called by the idle task on every pass of its loop (configUSE_IDLE_HOOK). With interrupts
 * masked it reads the bench clock, waits for an interrupt to become pending (WFI wakes on a
 * pending interrupt even while PRIMASK masks it), reads the clock again and adds the difference;
 * the interrupt is taken only after unmasking, so handler time is busy time. bench_cycles()
 * accounts for a SysTick that pended during the wait. */
void vApplicationIdleHook( void )
{
    __asm volatile ( "cpsid i" ::: "memory" );
    uint64_t t0 = bench_cycles();
    __asm volatile ( "dsb \n wfi" ::: "memory" );
    uint64_t t1 = bench_cycles();
    idle_cycles += t1 - t0;
    __asm volatile ( "cpsie i \n isb" ::: "memory" );
}

uint64_t bench_idle_cycles( void )
{
    taskENTER_CRITICAL();
    uint64_t v = idle_cycles;
    taskEXIT_CRITICAL();
    return v;
}

/* ---- What lwipopts.h and arch/cc.h declare -------------------------------------------------- */

void tcpip_diag( const char * fmt, ... )
{
    char line[ TRACE_LINE_MAX ];
    va_list ap;

    va_start( ap, fmt );
    unsigned n = trace_format( line, "", fmt, ap );
    va_end( ap );

    /* trace() adds its own newline. */
    while( n > 0U && ( line[ n - 1U ] == '\n' || line[ n - 1U ] == '\r' ) )
    {
        n--;
    }

    line[ n ] = '\0';
    trace( "lwip: %s", line );
}

void tcpip_assert_failed( const char * msg, const char * file, int line )
{
    trace( "lwip assertion failed: %s", msg );
    platform_assert_failed( file, line );

    /* platform_assert_failed ends the run. */
    for( ; ; )
    {
    }
}

/* lwIP's random numbers (TCP initial sequence numbers, local ports, DNS ids): xorshift32 from a
 * fixed seed, so runs of the benchmark are alike. Nothing here needs unpredictability: the peers
 * are on the host's loopback. */
uint32_t tcpip_rand( void )
{
    static uint32_t state = 0x2545F491U;

    taskENTER_CRITICAL();
    uint32_t x = state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    state = x;
    taskEXIT_CRITICAL();
    return x;
}

/* SNTP is compiled with our options but not used by the benchmark: record the time only. */
static volatile uint32_t sntp_seconds;

void tcpip_sntp_set_time( uint32_t sec, uint32_t frac )
{
    ( void ) frac;
    sntp_seconds = sec;
}
