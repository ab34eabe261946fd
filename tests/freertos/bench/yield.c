/* yield-switch: taskYIELD() between two equal-priority tasks; the figure is per switch (each
 * iteration of the measuring task is two switches: to the partner and back). */
#include "common.h"

static volatile uint32_t partner_rounds;

static void partner( void * arg )
{
    ( void ) arg;

    for( ; ; )
    {
        partner_rounds++;
        taskYIELD();
    }
}

static void measure( void )
{
    TaskHandle_t p = NULL;

    /* Same priority as the bench task; it runs at our first yield. */
    ( void ) xTaskCreate( partner, "partner", 256, NULL, 5, &p );
    taskYIELD();

    uint64_t t0 = bench_cycles();
    for( uint32_t i = 0; i < ITERATIONS; i++ )
    {
        taskYIELD();
    }
    bench_report( "yield-switch", bench_cycles() - t0, 2U * ITERATIONS );
    vTaskDelete( p );
    TRACE_CHECK( partner_rounds >= ITERATIONS );
}
