/*
 * Shared skeleton of the bench programs: main() starts one bench task that calibrates, runs
 * the program's measure() and ends the run.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include "FreeRTOS.h"
#include "task.h"

#include "bench.h"

/* Iterations per measurement. */
#define ITERATIONS    4000U

/* Defined by each bench program: prints its BENCH line(s). */
static void measure( void );

static void bench_task( void * arg )
{
    ( void ) arg;
    /* Start right after a tick so nothing else is pending. */
    vTaskDelay( 1 );
    bench_calibrate();
    measure();
    trace_done();
}

int main( void )
{
    if( xTaskCreate( bench_task, "bench", 1024, NULL, 5, NULL ) != pdPASS )
    {
        trace_fail( "cannot create the bench task" );
    }

    vTaskStartScheduler();
    trace_fail( "scheduler returned" );
}

#endif /* BENCH_COMMON_H */
