/*
 * Benchmark helpers for the FreeRTOS bench programs: instruction counts per operation.
 *
 * Under QEMU's `-icount shift=0` every guest instruction advances virtual time by 1 ns, so a
 * clock of known frequency read around a loop converts to instructions. The platform provides
 * the clock (reference: SysTick plus the tick count, see ../reference/platform.c).
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>
#include "trace.h"

/* A monotonic cycle count of the platform's clock; call from task context. */
uint64_t bench_cycles( void );
/* The frequency of that clock in Hz. */
uint32_t bench_cycles_hz( void );

/* Prints "BENCH <name>: <value> instructions" for `cycles` spent in `iterations` operations,
 * with one decimal. */
static inline void bench_report( const char * name, uint64_t cycles, uint32_t iterations )
{
    /* Virtual nanoseconds (= instructions) per cycle, times 1000, then tenths per iteration. */
    uint64_t ns_per_cycle_x1000 = 1000000000000ULL / bench_cycles_hz();
    uint64_t tenths = cycles * ns_per_cycle_x1000 / 100U / iterations;
    trace( "BENCH %s: %lu.%lu instructions", name, ( unsigned long ) ( tenths / 10U ), ( unsigned long ) ( tenths % 10U ) );
}

/* Measures a loop of exactly two instructions (subs + bne) to validate the method: the reported
 * value must be 2.0. */
static inline void bench_calibrate( void )
{
    const uint32_t loops = 1000000U;
    uint32_t n = loops;
    uint64_t t0 = bench_cycles();
    __asm volatile ( "1: subs %0, %0, #1 \n bne 1b" : "+r" ( n ) : : "cc" );
    bench_report( "calibration-loop", bench_cycles() - t0, loops );
}

#endif /* BENCH_H */
