/*
 * The controller consumes readings, keeps per-sensor statistics under a mutex, feeds the
 * watchdog and raises alarms by notifying the alarm task; the alarm task counts and reports them.
 */
#include "greenhouse.h"
#include "bsp.h"

volatile uint32_t ulAlarms[ SENSOR_COUNT ];

void vControllerTask( void * pvParameters )
{
    Reading_t xReading;

    ( void ) pvParameters;

    for( ; ; )
    {
        if( xQueueReceive( xReadingQueue, &xReading, portMAX_DELAY ) != pdPASS )
        {
            continue;
        }

        configASSERT( xReading.eSensor < SENSOR_COUNT );
        ( void ) xTimerReset( xWatchdogTimer, 0 );

        if( xSemaphoreTake( xStatsMutex, portMAX_DELAY ) == pdTRUE )
        {
            SensorStats_t * pxStats = &xStats[ xReading.eSensor ];

            pxStats->ulCount++;
            pxStats->lSum += xReading.lValue;

            if( xReading.lValue < pxStats->lMin )
            {
                pxStats->lMin = xReading.lValue;
            }

            if( xReading.lValue > pxStats->lMax )
            {
                pxStats->lMax = xReading.lValue;
            }

            ( void ) xSemaphoreGive( xStatsMutex );
        }

        if( xReading.lValue > xSensorConfigs[ xReading.eSensor ].lAlarmAbove )
        {
            ( void ) xTaskNotify( xAlarmTask, 1UL << xReading.eSensor, eSetBits );
        }
    }
}

void vAlarmTask( void * pvParameters )
{
    uint32_t ulBits;
    int i;

    ( void ) pvParameters;

    for( ; ; )
    {
        if( xTaskNotifyWait( 0, UINT32_MAX, &ulBits, portMAX_DELAY ) != pdTRUE )
        {
            continue;
        }

        for( i = 0; i < SENSOR_COUNT; i++ )
        {
            if( ( ulBits & ( 1UL << i ) ) != 0 )
            {
                ulAlarms[ i ]++;
            }
        }
    }
}
