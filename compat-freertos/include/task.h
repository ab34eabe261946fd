/* compat-freertos: the task API (our own header). Tasks are threads of the calling compartment;
 * their priorities are the kernel's (0 lowest .. 31 highest). */
#ifndef INC_TASK_H
#define INC_TASK_H

#ifndef INC_FREERTOS_H
    #error "include FreeRTOS.h before task.h"
#endif

struct tskTaskControlBlock;
typedef struct tskTaskControlBlock * TaskHandle_t;
typedef struct tskTaskControlBlock * xTaskHandle;

typedef enum
{
    eRunning = 0,
    eReady,
    eBlocked,
    eSuspended,
    eDeleted,
    eInvalid
} eTaskState;

#define taskSCHEDULER_SUSPENDED      ( ( BaseType_t ) 0 )
#define taskSCHEDULER_NOT_STARTED    ( ( BaseType_t ) 1 )
#define taskSCHEDULER_RUNNING        ( ( BaseType_t ) 2 )

#define taskYIELD()                         portYIELD()
#define taskENTER_CRITICAL()                portENTER_CRITICAL()
#define taskEXIT_CRITICAL()                 portEXIT_CRITICAL()
#define taskENTER_CRITICAL_FROM_ISR()       portSET_INTERRUPT_MASK_FROM_ISR()
#define taskEXIT_CRITICAL_FROM_ISR( x )     portCLEAR_INTERRUPT_MASK_FROM_ISR( x )
#define taskDISABLE_INTERRUPTS()            portDISABLE_INTERRUPTS()
#define taskENABLE_INTERRUPTS()             portENABLE_INTERRUPTS()

BaseType_t xTaskCreate( TaskFunction_t pxTaskCode, const char * pcName, configSTACK_DEPTH_TYPE uxStackDepth,
                        void * pvParameters, UBaseType_t uxPriority, TaskHandle_t * pxCreatedTask );
TaskHandle_t xTaskCreateStatic( TaskFunction_t pxTaskCode, const char * pcName, configSTACK_DEPTH_TYPE uxStackDepth,
                                void * pvParameters, UBaseType_t uxPriority, StackType_t * puxStackBuffer,
                                StaticTask_t * pxTaskBuffer );
void vTaskDelete( TaskHandle_t xTaskToDelete );
void vTaskDelay( TickType_t xTicksToDelay );
BaseType_t xTaskDelayUntil( TickType_t * pxPreviousWakeTime, TickType_t xTimeIncrement );
#define vTaskDelayUntil( pxPreviousWakeTime, xTimeIncrement )    do { ( void ) xTaskDelayUntil( ( pxPreviousWakeTime ), ( xTimeIncrement ) ); } while( 0 )
UBaseType_t uxTaskPriorityGet( TaskHandle_t xTask );
UBaseType_t uxTaskPriorityGetFromISR( TaskHandle_t xTask );
void vTaskPrioritySet( TaskHandle_t xTask, UBaseType_t uxNewPriority );
UBaseType_t uxTaskBasePriorityGet( TaskHandle_t xTask );
UBaseType_t uxTaskBasePriorityGetFromISR( TaskHandle_t xTask );
TickType_t xTaskGetTickCount( void );
TickType_t xTaskGetTickCountFromISR( void );
char * pcTaskGetName( TaskHandle_t xTaskToQuery );
TaskHandle_t xTaskGetHandle( const char * pcNameToQuery );
TaskHandle_t xTaskGetCurrentTaskHandle( void );
UBaseType_t uxTaskGetNumberOfTasks( void );
BaseType_t xTaskGetSchedulerState( void );
void vTaskSuspendAll( void );
BaseType_t xTaskResumeAll( void );

/* vTaskStartScheduler checks that the kernel's tick rate is configTICK_RATE_HZ (block times are
 * passed to the kernel unchanged), releases the tasks created so far and ends the calling thread. */
BaseType_t xCompatTickRateMatches( uint32_t ulTickRateHz );
void vCompatStartScheduler( void );
#define vTaskStartScheduler()                                            \
    do {                                                                 \
        configASSERT( xCompatTickRateMatches( configTICK_RATE_HZ ) );    \
        vCompatStartScheduler();                                         \
    } while( 0 )

#endif /* INC_TASK_H */
