/*
 * Greenhouse controller: creates the queue, the mutex, the timers and the tasks, then starts the
 * scheduler. Plain FreeRTOS; the board support package (bsp.h) only prints and ends the run.
 */
#include "greenhouse.h"
#include "bsp.h"

QueueHandle_t xReadingQueue;
SemaphoreHandle_t xStatsMutex;
SensorStats_t xStats[ SENSOR_COUNT ];
TimerHandle_t xWatchdogTimer;
TaskHandle_t xControllerTask;
TaskHandle_t xAlarmTask;
TaskHandle_t xReporterTask;
TaskHandle_t xSensorTasks[ SENSOR_COUNT ];

/* Distinct priorities, so that the order of events never depends on how a kernel breaks ties. */
#define PRIORITY_LIGHT          ( tskIDLE_PRIORITY + 1 )
#define PRIORITY_HUMIDITY       ( tskIDLE_PRIORITY + 2 )
#define PRIORITY_TEMPERATURE    ( tskIDLE_PRIORITY + 3 )
#define PRIORITY_REPORTER       ( tskIDLE_PRIORITY + 4 )
#define PRIORITY_CONTROLLER     ( tskIDLE_PRIORITY + 5 )
#define PRIORITY_ALARM          ( tskIDLE_PRIORITY + 6 )

#define READING_QUEUE_LENGTH    8
#define REPORT_PERIOD           pdMS_TO_TICKS( 199 )
#define WATCHDOG_PERIOD         pdMS_TO_TICKS( 100 )
#define TASK_STACK_WORDS        ( configMINIMAL_STACK_SIZE * 2 )

const SensorConfig_t xSensorConfigs[ SENSOR_COUNT ] =
{
    { SENSOR_TEMPERATURE, "temperature", pdMS_TO_TICKS( 10 ), 22, 30 },
    { SENSOR_HUMIDITY,    "humidity",    pdMS_TO_TICKS( 15 ), 60, 68 },
    { SENSOR_LIGHT,       "light",       pdMS_TO_TICKS( 25 ), 400, 409 },
};

static const UBaseType_t uxSensorPriorities[ SENSOR_COUNT ] =
{
    PRIORITY_TEMPERATURE, PRIORITY_HUMIDITY, PRIORITY_LIGHT
};

static void prvCreate( TaskFunction_t pxCode, const char * pcName, void * pvParameter,
                       UBaseType_t uxPriority, TaskHandle_t * pxHandle )
{
    BaseType_t xCreated = xTaskCreate( pxCode, pcName, TASK_STACK_WORDS, pvParameter, uxPriority, pxHandle );

    configASSERT( xCreated == pdPASS );
}

int main( void )
{
    TimerHandle_t xReportTimer;
    int i;

    xReadingQueue = xQueueCreate( READING_QUEUE_LENGTH, sizeof( Reading_t ) );
    configASSERT( xReadingQueue != NULL );
    vQueueAddToRegistry( xReadingQueue, "readings" );

    xStatsMutex = xSemaphoreCreateMutex();
    configASSERT( xStatsMutex != NULL );

    for( i = 0; i < SENSOR_COUNT; i++ )
    {
        xStats[ i ].lMin = INT32_MAX;
        xStats[ i ].lMax = INT32_MIN;
    }

    xReportTimer = xTimerCreate( "report", REPORT_PERIOD, pdTRUE, NULL, vReportTimerCallback );
    xWatchdogTimer = xTimerCreate( "watchdog", WATCHDOG_PERIOD, pdFALSE, NULL, vWatchdogCallback );
    configASSERT( ( xReportTimer != NULL ) && ( xWatchdogTimer != NULL ) );

    prvCreate( vAlarmTask, "alarm", NULL, PRIORITY_ALARM, &xAlarmTask );
    prvCreate( vControllerTask, "controller", NULL, PRIORITY_CONTROLLER, &xControllerTask );
    prvCreate( vReporterTask, "reporter", xReportTimer, PRIORITY_REPORTER, &xReporterTask );

    for( i = 0; i < SENSOR_COUNT; i++ )
    {
        prvCreate( vSensorTask, xSensorConfigs[ i ].pcName, ( void * ) &xSensorConfigs[ i ],
                   uxSensorPriorities[ i ], &xSensorTasks[ i ] );
    }

    /* Commands queue up for the timer task until the scheduler starts it. */
    configASSERT( xTimerStart( xReportTimer, 0 ) == pdPASS );
    configASSERT( xTimerStart( xWatchdogTimer, 0 ) == pdPASS );

    bsp_printf( "greenhouse: %u tasks created, starting the scheduler", ( unsigned ) uxTaskGetNumberOfTasks() );
    vTaskStartScheduler();

    /* Only reached if the scheduler could not start. */
    bsp_printf( "greenhouse: the scheduler did not start" );
    bsp_exit( 1 );
}

void vApplicationMallocFailedHook( void )
{
    bsp_printf( "greenhouse: out of heap" );
    bsp_exit( 2 );
}
