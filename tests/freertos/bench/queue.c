/* queue-send-receive: xQueueSend then xQueueReceive of a 4-byte item by one task, no blocking. */
#include "FreeRTOS.h"
#include "queue.h"

#include "common.h"

static void measure( void )
{
    QueueHandle_t q = xQueueCreate( 1, sizeof( uint32_t ) );
    uint32_t v = 0;

    uint64_t t0 = bench_cycles();
    for( uint32_t i = 0; i < ITERATIONS; i++ )
    {
        ( void ) xQueueSend( q, &i, 0 );
        ( void ) xQueueReceive( q, &v, 0 );
    }
    bench_report( "queue-send-receive", bench_cycles() - t0, ITERATIONS );
    TRACE_CHECK( v == ITERATIONS - 1 );
}
