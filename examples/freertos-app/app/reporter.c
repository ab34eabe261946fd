/*
 * Reporting: the auto-reload report timer notifies the reporter, which prints the statistics.
 * After the third report it suspends the sensors for longer than the watchdog period (the
 * watchdog must fire exactly once), then resumes them; after the fifth it stops everything and
 * ends the run with a summary.
 */
#include "greenhouse.h"
#include "bsp.h"

#define REPORTS                 5
#define SUSPEND_AFTER_REPORT    3
#define SUSPEND_TICKS           pdMS_TO_TICKS( 150 )

volatile uint32_t ulWatchdogExpiries;

void vReportTimerCallback( TimerHandle_t xTimer )
{
    ( void ) xTimer;
    xTaskNotifyGive( xReporterTask );
}

void vWatchdogCallback( TimerHandle_t xTimer )
{
    ( void ) xTimer;
    ulWatchdogExpiries++;
    bsp_printf( "watchdog: no reading for %u ticks", ( unsigned ) xTimerGetPeriod( xTimer ) );
}

static void prvPrintReport( uint32_t ulReport )
{
    SensorStats_t xCopy[ SENSOR_COUNT ];
    int i;

    configASSERT( xSemaphoreTake( xStatsMutex, portMAX_DELAY ) == pdTRUE );

    for( i = 0; i < SENSOR_COUNT; i++ )
    {
        xCopy[ i ] = xStats[ i ];
    }

    configASSERT( xSemaphoreGive( xStatsMutex ) == pdTRUE );

    for( i = 0; i < SENSOR_COUNT; i++ )
    {
        int32_t lAverage = ( xCopy[ i ].ulCount != 0 ) ? ( xCopy[ i ].lSum / ( int32_t ) xCopy[ i ].ulCount ) : 0;

        bsp_printf( "report %u: %s n=%u min=%d max=%d avg=%d alarms=%u", ( unsigned ) ulReport,
                    xSensorConfigs[ i ].pcName, ( unsigned ) xCopy[ i ].ulCount, ( int ) xCopy[ i ].lMin,
                    ( int ) xCopy[ i ].lMax, ( int ) lAverage, ( unsigned ) ulAlarms[ i ] );
    }
}

static void prvSetSensorsSuspended( BaseType_t xSuspend )
{
    int i;

    for( i = 0; i < SENSOR_COUNT; i++ )
    {
        if( xSuspend )
        {
            vTaskSuspend( xSensorTasks[ i ] );
        }
        else
        {
            vTaskResume( xSensorTasks[ i ] );
        }
    }
}

void vReporterTask( void * pvParameters )
{
    TimerHandle_t xReportTimer = ( TimerHandle_t ) pvParameters;
    uint32_t ulReport;
    uint32_t ulTotal = 0;
    int i;

    for( ulReport = 1; ulReport <= REPORTS; ulReport++ )
    {
        ( void ) ulTaskNotifyTake( pdTRUE, portMAX_DELAY );
        prvPrintReport( ulReport );

        if( ulReport == SUSPEND_AFTER_REPORT )
        {
            prvSetSensorsSuspended( pdTRUE );
            bsp_printf( "reporter: sensors suspended for %u ticks", ( unsigned ) SUSPEND_TICKS );
            vTaskDelay( SUSPEND_TICKS );
            prvSetSensorsSuspended( pdFALSE );
            bsp_printf( "reporter: sensors resumed" );
        }
    }

    ( void ) xTimerStop( xReportTimer, portMAX_DELAY );
    ( void ) xTimerStop( xWatchdogTimer, portMAX_DELAY );

    for( i = 0; i < SENSOR_COUNT; i++ )
    {
        vTaskDelete( xSensorTasks[ i ] );
        ulTotal += xStats[ i ].ulCount;
    }

    bsp_printf( "greenhouse: %u readings, %u dropped, %u watchdog expiries, %u alarms",
                ( unsigned ) ulTotal, ( unsigned ) ulDroppedReadings, ( unsigned ) ulWatchdogExpiries,
                ( unsigned ) ( ulAlarms[ 0 ] + ulAlarms[ 1 ] + ulAlarms[ 2 ] ) );
    bsp_exit( ( ulWatchdogExpiries == 1 && ulDroppedReadings == 0 ) ? 0 : 1 );
}
