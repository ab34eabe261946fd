/* mutex-take-give: xSemaphoreTake then xSemaphoreGive of an uncontended mutex. */
#include "FreeRTOS.h"
#include "semphr.h"

#include "common.h"

static void measure( void )
{
    SemaphoreHandle_t m = xSemaphoreCreateMutex();
    uint32_t taken = 0;

    uint64_t t0 = bench_cycles();
    for( uint32_t i = 0; i < ITERATIONS; i++ )
    {
        taken += ( uint32_t ) xSemaphoreTake( m, 0 );
        ( void ) xSemaphoreGive( m );
    }
    bench_report( "mutex-take-give", bench_cycles() - t0, ITERATIONS );
    TRACE_CHECK( taken == ITERATIONS );
}
