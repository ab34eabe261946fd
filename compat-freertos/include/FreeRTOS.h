/* compat-freertos: the main header of the FreeRTOS compatibility layer (our own writing).
 *
 * Include it first, as with FreeRTOS. It reads the application's FreeRTOSConfig.h, fills in
 * defaults and refuses configurations this layer cannot honour. Tasks are threads of the calling
 * C compartment, objects live in its memory; see docs/porting.md for what differs from the
 * FreeRTOS kernel. */
#ifndef INC_FREERTOS_H
#define INC_FREERTOS_H

#include <stddef.h>
#include <stdint.h>

/* Values of configTICK_TYPE_WIDTH_IN_BITS. */
#define TICK_TYPE_WIDTH_16_BITS    0
#define TICK_TYPE_WIDTH_32_BITS    1
#define TICK_TYPE_WIDTH_64_BITS    2

#include "FreeRTOSConfig.h"

#include "portable.h"
#include "projdefs.h"

/* ---- Configurations we cannot honour ------------------------------------------------------- */
#if defined( configUSE_PREEMPTION ) && ( configUSE_PREEMPTION == 0 )
    #error "compat-freertos: cooperative scheduling is not available: the kernel always preempts (set configUSE_PREEMPTION to 1)"
#endif
#if defined( configNUMBER_OF_CORES ) && ( configNUMBER_OF_CORES != 1 )
    #error "compat-freertos: the kernel runs on one core (set configNUMBER_OF_CORES to 1)"
#endif
#if defined( configUSE_TICKLESS_IDLE ) && ( configUSE_TICKLESS_IDLE != 0 )
    #error "compat-freertos: tickless idle belongs to the kernel, not to a compartment (set configUSE_TICKLESS_IDLE to 0)"
#endif
#if defined( configMAX_PRIORITIES ) && ( configMAX_PRIORITIES > 32 )
    #error "compat-freertos: the kernel has 32 priorities (configMAX_PRIORITIES must be at most 32)"
#endif
#if defined( configTICK_TYPE_WIDTH_IN_BITS ) && ( configTICK_TYPE_WIDTH_IN_BITS != 1 )
    #error "compat-freertos: ticks are 32 bits wide (configTICK_TYPE_WIDTH_IN_BITS must be TICK_TYPE_WIDTH_32_BITS)"
#endif
#if defined( configUSE_16_BIT_TICKS ) && ( configUSE_16_BIT_TICKS != 0 )
    #error "compat-freertos: ticks are 32 bits wide (set configUSE_16_BIT_TICKS to 0)"
#endif
#if defined( configUSE_NEWLIB_REENTRANT ) && ( configUSE_NEWLIB_REENTRANT != 0 )
    #error "compat-freertos: C compartments have no C library, so there is no newlib state to switch"
#endif
#if defined( configGENERATE_RUN_TIME_STATS ) && ( configGENERATE_RUN_TIME_STATS != 0 )
    #error "compat-freertos: run-time statistics are not available yet"
#endif
#if defined( configUSE_PORT_OPTIMISED_TASK_SELECTION ) && ( configUSE_PORT_OPTIMISED_TASK_SELECTION != 0 )
    #error "compat-freertos: task selection is the kernel's (set configUSE_PORT_OPTIMISED_TASK_SELECTION to 0)"
#endif

/* ---- Defaults ------------------------------------------------------------------------------ */
#ifndef configASSERT
    #define configASSERT( x )
#endif
#ifndef configMAX_PRIORITIES
    #define configMAX_PRIORITIES    32
#endif
#ifndef configMAX_TASK_NAME_LEN
    #define configMAX_TASK_NAME_LEN    16
#endif
#ifndef configSTACK_DEPTH_TYPE
    #define configSTACK_DEPTH_TYPE    uint32_t
#endif
#ifndef configSUPPORT_STATIC_ALLOCATION
    #define configSUPPORT_STATIC_ALLOCATION    0
#endif
#ifndef configSUPPORT_DYNAMIC_ALLOCATION
    #define configSUPPORT_DYNAMIC_ALLOCATION    1
#endif
#ifndef configMINIMAL_STACK_SIZE
    #define configMINIMAL_STACK_SIZE    256
#endif
#ifndef INCLUDE_vTaskSuspend
    #define INCLUDE_vTaskSuspend    1
#endif
#if ( configMAX_TASK_NAME_LEN > 16 )
    #error "compat-freertos: task names keep at most 15 characters (configMAX_TASK_NAME_LEN must be at most 16)"
#endif

/* ---- Tasks, notifications, hooks: defaults and limits ------------------------------------ */
#ifndef configUSE_TASK_NOTIFICATIONS
    #define configUSE_TASK_NOTIFICATIONS    1
#endif
#ifndef configTASK_NOTIFICATION_ARRAY_ENTRIES
    #define configTASK_NOTIFICATION_ARRAY_ENTRIES    1
#endif
#ifndef configNUM_THREAD_LOCAL_STORAGE_POINTERS
    #define configNUM_THREAD_LOCAL_STORAGE_POINTERS    0
#endif
#ifndef configUSE_APPLICATION_TASK_TAG
    #define configUSE_APPLICATION_TASK_TAG    0
#endif
#ifndef configUSE_IDLE_HOOK
    #define configUSE_IDLE_HOOK    0
#endif
#ifndef configUSE_TICK_HOOK
    #define configUSE_TICK_HOOK    0
#endif
#ifndef configUSE_MALLOC_FAILED_HOOK
    #define configUSE_MALLOC_FAILED_HOOK    0
#endif
#ifndef configCHECK_FOR_STACK_OVERFLOW
    #define configCHECK_FOR_STACK_OVERFLOW    0
#endif
#ifndef configIDLE_SHOULD_YIELD
    #define configIDLE_SHOULD_YIELD    1
#endif
#ifndef INCLUDE_vTaskDelete
    #define INCLUDE_vTaskDelete    1
#endif
#ifndef INCLUDE_vTaskDelay
    #define INCLUDE_vTaskDelay    1
#endif
#ifndef INCLUDE_xTaskDelayUntil
    #ifdef INCLUDE_vTaskDelayUntil
        #define INCLUDE_xTaskDelayUntil    INCLUDE_vTaskDelayUntil
    #else
        #define INCLUDE_xTaskDelayUntil    0
    #endif
#endif
#ifndef INCLUDE_xTaskGetSchedulerState
    #define INCLUDE_xTaskGetSchedulerState    0
#endif
#ifndef INCLUDE_xTaskGetCurrentTaskHandle
    #define INCLUDE_xTaskGetCurrentTaskHandle    1
#endif
#ifndef INCLUDE_uxTaskGetStackHighWaterMark
    #define INCLUDE_uxTaskGetStackHighWaterMark    0
#endif
#ifndef INCLUDE_xTaskGetIdleTaskHandle
    #define INCLUDE_xTaskGetIdleTaskHandle    0
#endif
#ifndef INCLUDE_eTaskGetState
    #define INCLUDE_eTaskGetState    0
#endif
#ifndef INCLUDE_xTaskAbortDelay
    #define INCLUDE_xTaskAbortDelay    0
#endif
#ifndef INCLUDE_xTaskGetHandle
    #define INCLUDE_xTaskGetHandle    0
#endif
#ifndef INCLUDE_xTaskResumeFromISR
    #define INCLUDE_xTaskResumeFromISR    1
#endif
/* The runtime keeps these arrays in every task control block, sized for the limits below. */
#if ( configTASK_NOTIFICATION_ARRAY_ENTRIES < 1 ) || ( configTASK_NOTIFICATION_ARRAY_ENTRIES > 4 )
    #error "compat-freertos: configTASK_NOTIFICATION_ARRAY_ENTRIES must be 1 to 4 (the runtime's task control block has 4 notification slots)"
#endif
#if ( configNUM_THREAD_LOCAL_STORAGE_POINTERS < 0 ) || ( configNUM_THREAD_LOCAL_STORAGE_POINTERS > 8 )
    #error "compat-freertos: configNUM_THREAD_LOCAL_STORAGE_POINTERS must be 0 to 8 (the runtime's task control block has 8 slots)"
#endif
#if ( configCHECK_FOR_STACK_OVERFLOW > 2 )
    #error "compat-freertos: stack-overflow checking method 3 watches an interrupt stack, and C compartments have none (use 1 or 2; the kernel also stops every overflow with PSPLIM)"
#endif
#if defined( configUSE_CO_ROUTINES ) && ( configUSE_CO_ROUTINES != 0 )
    #error "compat-freertos: co-routines are not available (set configUSE_CO_ROUTINES to 0)"
#endif
#if defined( configUSE_STATS_FORMATTING_FUNCTIONS ) && ( configUSE_STATS_FORMATTING_FUNCTIONS != 0 )
    #error "compat-freertos: vTaskList/vTaskGetRunTimeStats are not available yet (set configUSE_STATS_FORMATTING_FUNCTIONS to 0)"
#endif
#if defined( configUSE_POSIX_ERRNO ) && ( configUSE_POSIX_ERRNO != 0 )
    #error "compat-freertos: a per-task errno is not available yet (set configUSE_POSIX_ERRNO to 0)"
#endif

/* ---- Memory of statically allocated objects (sizes checked against ours in Rust) ---------- */
typedef struct xCOMPAT_STATIC_TCB
{
    uint32_t opaque[ 64 ];
} StaticTask_t;

typedef struct xCOMPAT_STATIC_QUEUE
{
    uint32_t opaque[ 16 ];
} StaticQueue_t;
typedef StaticQueue_t StaticSemaphore_t;

#define tskIDLE_PRIORITY    ( ( UBaseType_t ) 0U )


/* ---- Names of older FreeRTOS versions (configENABLE_BACKWARD_COMPATIBILITY, default 1) -------
 * Macros, as in FreeRTOS, so they work whichever header defines the type they stand for; older
 * ports and libraries still use names such as portTICK_RATE_MS. */
#ifndef configENABLE_BACKWARD_COMPATIBILITY
    #define configENABLE_BACKWARD_COMPATIBILITY    1
#endif
#if ( configENABLE_BACKWARD_COMPATIBILITY == 1 )
    #define portTickType             TickType_t
    #define portTICK_RATE_MS         portTICK_PERIOD_MS
    #define xTaskHandle              TaskHandle_t
    #define xQueueHandle             QueueHandle_t
    #define xSemaphoreHandle         SemaphoreHandle_t
    #define xQueueSetHandle          QueueSetHandle_t
    #define xQueueSetMemberHandle    QueueSetMemberHandle_t
    #define xTimeOutType             TimeOut_t
    #define xTimerHandle             TimerHandle_t
    #define pdTASK_CODE              TaskFunction_t
    #define pdTASK_HOOK_CODE         TaskHookFunction_t
    #define tmrTIMER_CALLBACK        TimerCallbackFunction_t
#endif

/* The configuration record the runtime reads (timer task, message lengths, configASSERT). */
#include "compat_config.h"

#endif /* INC_FREERTOS_H */
