/*
 * Greenhouse controller: a small FreeRTOS application.
 *
 *   sensor tasks --(reading queue)--> controller --(notification bits)--> alarm task
 *                                       |  statistics under a mutex
 *   report timer (auto-reload) --(notification)--> reporter (prints, suspends sensors once,
 *                                                   ends the run)
 *   watchdog timer (one-shot, reset by the controller on every reading)
 */
#ifndef GREENHOUSE_H
#define GREENHOUSE_H

#include <stdint.h>

#include "FreeRTOS.h"
#include "queue.h"
#include "semphr.h"
#include "task.h"
#include "timers.h"

typedef enum
{
    SENSOR_TEMPERATURE,
    SENSOR_HUMIDITY,
    SENSOR_LIGHT,
    SENSOR_COUNT
} SensorId_t;

typedef struct
{
    SensorId_t eSensor;
    uint32_t ulSequence;
    int32_t lValue;
} Reading_t;

typedef struct
{
    SensorId_t eSensor;
    const char * pcName;
    TickType_t xPeriod;   /* sampling period in ticks */
    int32_t lBase;        /* the waveform's centre */
    int32_t lAlarmAbove;  /* readings above this raise an alarm */
} SensorConfig_t;

typedef struct
{
    uint32_t ulCount;
    int32_t lMin;
    int32_t lMax;
    int32_t lSum;
} SensorStats_t;

/* Shared objects (created by main before the scheduler starts). */
extern QueueHandle_t xReadingQueue;
extern SemaphoreHandle_t xStatsMutex;
extern SensorStats_t xStats[ SENSOR_COUNT ];
extern TimerHandle_t xWatchdogTimer;
extern TaskHandle_t xControllerTask;
extern TaskHandle_t xAlarmTask;
extern TaskHandle_t xReporterTask;
extern TaskHandle_t xSensorTasks[ SENSOR_COUNT ];
extern const SensorConfig_t xSensorConfigs[ SENSOR_COUNT ];
extern volatile uint32_t ulWatchdogExpiries;
extern volatile uint32_t ulAlarms[ SENSOR_COUNT ];
extern volatile uint32_t ulDroppedReadings;

void vSensorTask( void * pvParameters );
void vControllerTask( void * pvParameters );
void vAlarmTask( void * pvParameters );
void vReporterTask( void * pvParameters );
void vReportTimerCallback( TimerHandle_t xTimer );
void vWatchdogCallback( TimerHandle_t xTimer );

#endif /* GREENHOUSE_H */
