/* semaphore-give-take: xSemaphoreGive then xSemaphoreTake of a binary semaphore, no blocking. */
#include "FreeRTOS.h"
#include "semphr.h"

#include "common.h"

static void measure( void )
{
    SemaphoreHandle_t s = xSemaphoreCreateBinary();
    uint32_t taken = 0;

    uint64_t t0 = bench_cycles();
    for( uint32_t i = 0; i < ITERATIONS; i++ )
    {
        ( void ) xSemaphoreGive( s );
        taken += ( uint32_t ) xSemaphoreTake( s, 0 );
    }
    bench_report( "semaphore-give-take", bench_cycles() - t0, ITERATIONS );
    TRACE_CHECK( taken == ITERATIONS );
}
