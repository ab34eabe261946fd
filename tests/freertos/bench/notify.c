/* notify-give-take: xTaskNotifyGive to the running task, then ulTaskNotifyTake (no blocking). */
#include "common.h"

static void measure( void )
{
    TaskHandle_t me = xTaskGetCurrentTaskHandle();
    uint32_t taken = 0;

    uint64_t t0 = bench_cycles();
    for( uint32_t i = 0; i < ITERATIONS; i++ )
    {
        ( void ) xTaskNotifyGive( me );
        taken += ulTaskNotifyTake( pdTRUE, 0 );
    }
    bench_report( "notify-give-take", bench_cycles() - t0, ITERATIONS );
    TRACE_CHECK( taken == ITERATIONS );
}
