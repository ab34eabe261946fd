/*
 * Sensor tasks: each samples its (simulated) sensor at a fixed rate with xTaskDelayUntil and
 * queues the reading for the controller.
 */
#include "greenhouse.h"

volatile uint32_t ulDroppedReadings;

/* A deterministic stand-in for the sensor: a triangle wave of amplitude 10 around the base. */
static int32_t prvSample( const SensorConfig_t * pxConfig, uint32_t ulSequence )
{
    int32_t lPhase = ( int32_t ) ( ( ulSequence * 3u ) % 40u );
    int32_t lOffset = ( lPhase < 20 ) ? ( lPhase - 10 ) : ( 30 - lPhase );

    return pxConfig->lBase + lOffset;
}

void vSensorTask( void * pvParameters )
{
    const SensorConfig_t * pxConfig = ( const SensorConfig_t * ) pvParameters;
    TickType_t xLastWake = xTaskGetTickCount();
    Reading_t xReading = { pxConfig->eSensor, 0, 0 };

    for( ; ; )
    {
        ( void ) xTaskDelayUntil( &xLastWake, pxConfig->xPeriod );
        xReading.ulSequence++;
        xReading.lValue = prvSample( pxConfig, xReading.ulSequence );

        if( xQueueSend( xReadingQueue, &xReading, pdMS_TO_TICKS( 5 ) ) != pdPASS )
        {
            ulDroppedReadings++;
        }
    }
}
