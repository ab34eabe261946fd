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

typedef BaseType_t ( * TaskHookFunction_t )( void * arg );

/* Task notifications. */
typedef enum
{
    eNoAction = 0,
    eSetBits,
    eIncrement,
    eSetValueWithOverwrite,
    eSetValueWithoutOverwrite
} eNotifyAction;

#define tskDEFAULT_INDEX_TO_NOTIFY    ( 0 )

#define tskKERNEL_VERSION_NUMBER    "compat-freertos (FreeRTOS V11 API)"

BaseType_t xTaskCreate( TaskFunction_t pxTaskCode, const char * pcName, configSTACK_DEPTH_TYPE uxStackDepth,
                        void * pvParameters, UBaseType_t uxPriority, TaskHandle_t * pxCreatedTask );
TaskHandle_t xTaskCreateStatic( TaskFunction_t pxTaskCode, const char * pcName, configSTACK_DEPTH_TYPE uxStackDepth,
                                void * pvParameters, UBaseType_t uxPriority, StackType_t * puxStackBuffer,
                                StaticTask_t * pxTaskBuffer );
#if ( INCLUDE_vTaskDelete == 1 )
    void vTaskDelete( TaskHandle_t xTaskToDelete );
#endif
#if ( INCLUDE_vTaskDelay == 1 )
    void vTaskDelay( TickType_t xTicksToDelay );
#endif
#if ( INCLUDE_xTaskDelayUntil == 1 )
    BaseType_t xTaskDelayUntil( TickType_t * pxPreviousWakeTime, TickType_t xTimeIncrement );
    #define vTaskDelayUntil( pxPreviousWakeTime, xTimeIncrement )    do { ( void ) xTaskDelayUntil( ( pxPreviousWakeTime ), ( xTimeIncrement ) ); } while( 0 )
#endif
#if ( INCLUDE_xTaskAbortDelay == 1 )
    BaseType_t xTaskAbortDelay( TaskHandle_t xTask );
#endif
UBaseType_t uxTaskPriorityGet( TaskHandle_t xTask );
UBaseType_t uxTaskPriorityGetFromISR( TaskHandle_t xTask );
void vTaskPrioritySet( TaskHandle_t xTask, UBaseType_t uxNewPriority );
UBaseType_t uxTaskBasePriorityGet( TaskHandle_t xTask );
UBaseType_t uxTaskBasePriorityGetFromISR( TaskHandle_t xTask );
#if ( INCLUDE_eTaskGetState == 1 )
    eTaskState eTaskGetState( TaskHandle_t xTask );
#endif
#if ( INCLUDE_vTaskSuspend == 1 )
    void vTaskSuspend( TaskHandle_t xTaskToSuspend );
    void vTaskResume( TaskHandle_t xTaskToResume );
#endif
#if ( INCLUDE_xTaskResumeFromISR == 1 )
    BaseType_t xTaskResumeFromISR( TaskHandle_t xTaskToResume );
#endif
TickType_t xTaskGetTickCount( void );
TickType_t xTaskGetTickCountFromISR( void );
char * pcTaskGetName( TaskHandle_t xTaskToQuery );
#if ( INCLUDE_xTaskGetHandle == 1 )
    TaskHandle_t xTaskGetHandle( const char * pcNameToQuery );
#endif
#if ( INCLUDE_xTaskGetCurrentTaskHandle == 1 )
    TaskHandle_t xTaskGetCurrentTaskHandle( void );
#endif
#if ( INCLUDE_xTaskGetIdleTaskHandle == 1 )
    TaskHandle_t xTaskGetIdleTaskHandle( void );
#endif
#if ( INCLUDE_uxTaskGetStackHighWaterMark == 1 )
    UBaseType_t uxTaskGetStackHighWaterMark( TaskHandle_t xTask );
    configSTACK_DEPTH_TYPE uxTaskGetStackHighWaterMark2( TaskHandle_t xTask );
#endif
UBaseType_t uxTaskGetNumberOfTasks( void );
#if ( INCLUDE_xTaskGetSchedulerState == 1 )
    BaseType_t xTaskGetSchedulerState( void );
#endif
void vTaskSuspendAll( void );
BaseType_t xTaskResumeAll( void );

#if ( configNUM_THREAD_LOCAL_STORAGE_POINTERS > 0 )
    void vTaskSetThreadLocalStoragePointer( TaskHandle_t xTaskToSet, BaseType_t xIndex, void * pvValue );
    void * pvTaskGetThreadLocalStoragePointer( TaskHandle_t xTaskToQuery, BaseType_t xIndex );
#endif

#if ( configUSE_APPLICATION_TASK_TAG == 1 )
    void vTaskSetApplicationTaskTag( TaskHandle_t xTask, TaskHookFunction_t pxHookFunction );
    TaskHookFunction_t xTaskGetApplicationTaskTag( TaskHandle_t xTask );
    TaskHookFunction_t xTaskGetApplicationTaskTagFromISR( TaskHandle_t xTask );
    BaseType_t xTaskCallApplicationTaskHook( TaskHandle_t xTask, void * pvParameter );
#endif

#if ( configUSE_TASK_NOTIFICATIONS == 1 )
    /* Uncontended notifications never enter the kernel; a task waits for one on a futex word of
     * its own notification slot. */
    BaseType_t xTaskGenericNotify( TaskHandle_t xTaskToNotify, UBaseType_t uxIndexToNotify, uint32_t ulValue,
                                   eNotifyAction eAction, uint32_t * pulPreviousNotificationValue );
    BaseType_t xTaskGenericNotifyFromISR( TaskHandle_t xTaskToNotify, UBaseType_t uxIndexToNotify, uint32_t ulValue,
                                          eNotifyAction eAction, uint32_t * pulPreviousNotificationValue,
                                          BaseType_t * pxHigherPriorityTaskWoken );
    BaseType_t xTaskGenericNotifyWait( UBaseType_t uxIndexToWaitOn, uint32_t ulBitsToClearOnEntry,
                                       uint32_t ulBitsToClearOnExit, uint32_t * pulNotificationValue,
                                       TickType_t xTicksToWait );
    void vTaskGenericNotifyGiveFromISR( TaskHandle_t xTaskToNotify, UBaseType_t uxIndexToNotify,
                                        BaseType_t * pxHigherPriorityTaskWoken );
    uint32_t ulTaskGenericNotifyTake( UBaseType_t uxIndexToWaitOn, BaseType_t xClearCountOnExit, TickType_t xTicksToWait );
    BaseType_t xTaskGenericNotifyStateClear( TaskHandle_t xTask, UBaseType_t uxIndexToClear );
    uint32_t ulTaskGenericNotifyValueClear( TaskHandle_t xTask, UBaseType_t uxIndexToClear, uint32_t ulBitsToClear );

    #define xTaskNotify( xTaskToNotify, ulValue, eAction ) \
    xTaskGenericNotify( ( xTaskToNotify ), ( tskDEFAULT_INDEX_TO_NOTIFY ), ( ulValue ), ( eAction ), NULL )
    #define xTaskNotifyIndexed( xTaskToNotify, uxIndexToNotify, ulValue, eAction ) \
    xTaskGenericNotify( ( xTaskToNotify ), ( uxIndexToNotify ), ( ulValue ), ( eAction ), NULL )
    #define xTaskNotifyAndQuery( xTaskToNotify, ulValue, eAction, pulPreviousNotifyValue ) \
    xTaskGenericNotify( ( xTaskToNotify ), ( tskDEFAULT_INDEX_TO_NOTIFY ), ( ulValue ), ( eAction ), ( pulPreviousNotifyValue ) )
    #define xTaskNotifyAndQueryIndexed( xTaskToNotify, uxIndexToNotify, ulValue, eAction, pulPreviousNotifyValue ) \
    xTaskGenericNotify( ( xTaskToNotify ), ( uxIndexToNotify ), ( ulValue ), ( eAction ), ( pulPreviousNotifyValue ) )
    #define xTaskNotifyFromISR( xTaskToNotify, ulValue, eAction, pxHigherPriorityTaskWoken ) \
    xTaskGenericNotifyFromISR( ( xTaskToNotify ), ( tskDEFAULT_INDEX_TO_NOTIFY ), ( ulValue ), ( eAction ), NULL, ( pxHigherPriorityTaskWoken ) )
    #define xTaskNotifyIndexedFromISR( xTaskToNotify, uxIndexToNotify, ulValue, eAction, pxHigherPriorityTaskWoken ) \
    xTaskGenericNotifyFromISR( ( xTaskToNotify ), ( uxIndexToNotify ), ( ulValue ), ( eAction ), NULL, ( pxHigherPriorityTaskWoken ) )
    #define xTaskNotifyAndQueryFromISR( xTaskToNotify, ulValue, eAction, pulPreviousNotificationValue, pxHigherPriorityTaskWoken ) \
    xTaskGenericNotifyFromISR( ( xTaskToNotify ), ( tskDEFAULT_INDEX_TO_NOTIFY ), ( ulValue ), ( eAction ), ( pulPreviousNotificationValue ), ( pxHigherPriorityTaskWoken ) )
    #define xTaskNotifyAndQueryIndexedFromISR( xTaskToNotify, uxIndexToNotify, ulValue, eAction, pulPreviousNotificationValue, pxHigherPriorityTaskWoken ) \
    xTaskGenericNotifyFromISR( ( xTaskToNotify ), ( uxIndexToNotify ), ( ulValue ), ( eAction ), ( pulPreviousNotificationValue ), ( pxHigherPriorityTaskWoken ) )
    #define xTaskNotifyWait( ulBitsToClearOnEntry, ulBitsToClearOnExit, pulNotificationValue, xTicksToWait ) \
    xTaskGenericNotifyWait( tskDEFAULT_INDEX_TO_NOTIFY, ( ulBitsToClearOnEntry ), ( ulBitsToClearOnExit ), ( pulNotificationValue ), ( xTicksToWait ) )
    #define xTaskNotifyWaitIndexed( uxIndexToWaitOn, ulBitsToClearOnEntry, ulBitsToClearOnExit, pulNotificationValue, xTicksToWait ) \
    xTaskGenericNotifyWait( ( uxIndexToWaitOn ), ( ulBitsToClearOnEntry ), ( ulBitsToClearOnExit ), ( pulNotificationValue ), ( xTicksToWait ) )
    #define xTaskNotifyGive( xTaskToNotify ) \
    xTaskGenericNotify( ( xTaskToNotify ), ( tskDEFAULT_INDEX_TO_NOTIFY ), ( 0 ), eIncrement, NULL )
    #define xTaskNotifyGiveIndexed( xTaskToNotify, uxIndexToNotify ) \
    xTaskGenericNotify( ( xTaskToNotify ), ( uxIndexToNotify ), ( 0 ), eIncrement, NULL )
    #define vTaskNotifyGiveFromISR( xTaskToNotify, pxHigherPriorityTaskWoken ) \
    vTaskGenericNotifyGiveFromISR( ( xTaskToNotify ), ( tskDEFAULT_INDEX_TO_NOTIFY ), ( pxHigherPriorityTaskWoken ) )
    #define vTaskNotifyGiveIndexedFromISR( xTaskToNotify, uxIndexToNotify, pxHigherPriorityTaskWoken ) \
    vTaskGenericNotifyGiveFromISR( ( xTaskToNotify ), ( uxIndexToNotify ), ( pxHigherPriorityTaskWoken ) )
    #define ulTaskNotifyTake( xClearCountOnExit, xTicksToWait ) \
    ulTaskGenericNotifyTake( ( tskDEFAULT_INDEX_TO_NOTIFY ), ( xClearCountOnExit ), ( xTicksToWait ) )
    #define ulTaskNotifyTakeIndexed( uxIndexToWaitOn, xClearCountOnExit, xTicksToWait ) \
    ulTaskGenericNotifyTake( ( uxIndexToWaitOn ), ( xClearCountOnExit ), ( xTicksToWait ) )
    #define xTaskNotifyStateClear( xTask ) \
    xTaskGenericNotifyStateClear( ( xTask ), ( tskDEFAULT_INDEX_TO_NOTIFY ) )
    #define xTaskNotifyStateClearIndexed( xTask, uxIndexToClear ) \
    xTaskGenericNotifyStateClear( ( xTask ), ( uxIndexToClear ) )
    #define ulTaskNotifyValueClear( xTask, ulBitsToClear ) \
    ulTaskGenericNotifyValueClear( ( xTask ), ( tskDEFAULT_INDEX_TO_NOTIFY ), ( ulBitsToClear ) )
    #define ulTaskNotifyValueClearIndexed( xTask, uxIndexToClear, ulBitsToClear ) \
    ulTaskGenericNotifyValueClear( ( xTask ), ( uxIndexToClear ), ( ulBitsToClear ) )
#endif

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
