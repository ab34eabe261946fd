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

/* ---- Memory of statically allocated objects (sizes checked against ours in Rust) ---------- */
typedef struct xCOMPAT_STATIC_TCB
{
    uint32_t opaque[ 24 ];
} StaticTask_t;

typedef struct xCOMPAT_STATIC_QUEUE
{
    uint32_t opaque[ 16 ];
} StaticQueue_t;
typedef StaticQueue_t StaticSemaphore_t;

#define tskIDLE_PRIORITY    ( ( UBaseType_t ) 0U )

/* The configuration record the runtime reads (timer task, message lengths, configASSERT). */
#include "compat_config.h"

#endif /* INC_FREERTOS_H */
