/* compat-freertos: the application's configuration as the runtime sees it (our own header,
 * included at the end of FreeRTOS.h).
 *
 * The runtime is a Rust archive compiled once, without the application's FreeRTOSConfig.h, yet
 * some of its work depends on that file (notification slots, TLS pointers, the idle task's stack,
 * stack-overflow checking, the hooks, the timer task's priority, stack and command queue length,
 * the width of message-buffer lengths, configASSERT). Hooks are referenced only when configured,
 * so an application defines only the hooks it enables. Every C file that
 * includes FreeRTOS.h therefore defines the same record xCompatConfig as a *weak* constant: the
 * identical copies merge into one when the compartment is linked, and the runtime reads it. The
 * layout is checked against the Rust side (compat-freertos/src/config.rs). */
#ifndef COMPAT_CONFIG_H
#define COMPAT_CONFIG_H

#ifndef INC_FREERTOS_H
    #error "include FreeRTOS.h, not compat_config.h"
#endif

/* ---- Defaults of the options this part of the layer reads ---------------------------------- */
#ifndef configUSE_TIMERS
    #define configUSE_TIMERS    0
#endif
#ifndef configUSE_EVENT_GROUPS
    #define configUSE_EVENT_GROUPS    1
#endif
#ifndef configUSE_STREAM_BUFFERS
    #define configUSE_STREAM_BUFFERS    1
#endif
#ifndef configUSE_SB_COMPLETED_CALLBACK
    #define configUSE_SB_COMPLETED_CALLBACK    0
#endif
#ifndef configMESSAGE_BUFFER_LENGTH_TYPE
    #define configMESSAGE_BUFFER_LENGTH_TYPE    size_t
#endif
#ifndef configUSE_DAEMON_TASK_STARTUP_HOOK
    #define configUSE_DAEMON_TASK_STARTUP_HOOK    0
#endif
#ifndef configTIMER_SERVICE_TASK_NAME
    #define configTIMER_SERVICE_TASK_NAME    "Tmr Svc"
#endif
#ifndef INCLUDE_xTimerPendFunctionCall
    #define INCLUDE_xTimerPendFunctionCall    0
#endif

#if ( configUSE_TIMERS == 1 )
    #if !defined( configTIMER_TASK_PRIORITY ) || !defined( configTIMER_QUEUE_LENGTH ) || !defined( configTIMER_TASK_STACK_DEPTH )
        #error "compat-freertos: configUSE_TIMERS 1 needs configTIMER_TASK_PRIORITY, configTIMER_QUEUE_LENGTH and configTIMER_TASK_STACK_DEPTH"
    #endif
#else
    #ifndef configTIMER_TASK_PRIORITY
        #define configTIMER_TASK_PRIORITY    0
    #endif
    #ifndef configTIMER_QUEUE_LENGTH
        #define configTIMER_QUEUE_LENGTH    0
    #endif
    #ifndef configTIMER_TASK_STACK_DEPTH
        #define configTIMER_TASK_STACK_DEPTH    0
    #endif
#endif
#if ( INCLUDE_xTimerPendFunctionCall == 1 ) && ( configUSE_TIMERS != 1 )
    #error "compat-freertos: xTimerPendFunctionCall runs in the timer task: set configUSE_TIMERS to 1"
#endif
#if ( configUSE_DAEMON_TASK_STARTUP_HOOK == 1 ) && ( configUSE_TIMERS != 1 )
    #error "compat-freertos: the daemon task startup hook runs in the timer task: set configUSE_TIMERS to 1"
#endif

/* ---- Memory of statically allocated timers, event groups, stream and message buffers -------- */
/* (Here, like FreeRTOS.h, so that declaring one needs no other header.) */
typedef struct xCOMPAT_STATIC_TIMER
{
    uint32_t opaque[ 12 ];
} StaticTimer_t;

typedef struct xCOMPAT_STATIC_EVENT_GROUP
{
    uint32_t opaque[ 4 ];
} StaticEventGroup_t;

typedef struct xCOMPAT_STATIC_STREAM_BUFFER
{
    uint32_t opaque[ 20 ];
} StaticStreamBuffer_t;
typedef StaticStreamBuffer_t StaticMessageBuffer_t;

/* ---- The record ---------------------------------------------------------------------------- */
struct tskTaskControlBlock;

typedef struct xCOMPAT_CONFIG
{
    uint32_t ulUseTimers;                    /* configUSE_TIMERS */
    uint32_t ulTimerTaskPriority;            /* configTIMER_TASK_PRIORITY */
    uint32_t ulTimerTaskStackDepth;          /* configTIMER_TASK_STACK_DEPTH, in words */
    uint32_t ulTimerQueueLength;             /* configTIMER_QUEUE_LENGTH */
    const char * pcTimerTaskName;            /* configTIMER_SERVICE_TASK_NAME */
    void ( * pxDaemonStartupHook )( void );  /* vApplicationDaemonTaskStartupHook or NULL */
    void ( * pxAssertFailed )( void );       /* runs configASSERT( 0 ) */
    uint32_t ulMessageLengthBytes;           /* sizeof( configMESSAGE_BUFFER_LENGTH_TYPE ) */
    /* Sizes of the static object types above as this application sees them: the runtime
     * refuses (configASSERT, NULL) to build an object in a buffer smaller than it needs. */
    uint32_t ulStaticTimerSize;
    uint32_t ulStaticEventGroupSize;
    uint32_t ulStaticStreamBufferSize;
    /* Tasks. */
    uint32_t ulNotifyEntries;                /* configTASK_NOTIFICATION_ARRAY_ENTRIES */
    uint32_t ulTlsPointers;                  /* configNUM_THREAD_LOCAL_STORAGE_POINTERS */
    uint32_t ulIdleStackDepth;               /* configMINIMAL_STACK_SIZE, in words */
    uint32_t ulCheckStackOverflow;           /* configCHECK_FOR_STACK_OVERFLOW */
    void ( * pxIdleHook )( void );           /* vApplicationIdleHook or NULL */
    void ( * pxTickHook )( void );           /* vApplicationTickHook or NULL */
    void ( * pxMallocFailedHook )( void );   /* vApplicationMallocFailedHook or NULL */
    void ( * pxStackOverflowHook )( struct tskTaskControlBlock *, char * ); /* or NULL */
} CompatConfig_t;

#if ( configUSE_IDLE_HOOK == 1 )
    void vApplicationIdleHook( void );
    #define compatIDLE_HOOK    vApplicationIdleHook
#else
    #define compatIDLE_HOOK    NULL
#endif
#if ( configUSE_TICK_HOOK == 1 )
    void vApplicationTickHook( void );
    #define compatTICK_HOOK    vApplicationTickHook
#else
    #define compatTICK_HOOK    NULL
#endif
#if ( configUSE_MALLOC_FAILED_HOOK == 1 )
    void vApplicationMallocFailedHook( void );
    #define compatMALLOC_FAILED_HOOK    vApplicationMallocFailedHook
#else
    #define compatMALLOC_FAILED_HOOK    NULL
#endif
#if ( configCHECK_FOR_STACK_OVERFLOW > 0 )
    void vApplicationStackOverflowHook( struct tskTaskControlBlock * xTask, char * pcTaskName );
    #define compatSTACK_OVERFLOW_HOOK    vApplicationStackOverflowHook
#else
    #define compatSTACK_OVERFLOW_HOOK    NULL
#endif

#if ( configUSE_DAEMON_TASK_STARTUP_HOOK == 1 )
    void vApplicationDaemonTaskStartupHook( void );
    #define compatDAEMON_STARTUP_HOOK    vApplicationDaemonTaskStartupHook
#else
    #define compatDAEMON_STARTUP_HOOK    NULL
#endif

/* The runtime calls this where the FreeRTOS kernel would fail a configASSERT (bad arguments);
 * with configASSERT left empty it returns and the function reports an error instead. */
__attribute__( ( weak ) ) void vCompatAssertFailed( void )
{
    configASSERT( 0 );
}

__attribute__( ( weak ) ) const CompatConfig_t xCompatConfig =
{
    configUSE_TIMERS,
    configTIMER_TASK_PRIORITY,
    configTIMER_TASK_STACK_DEPTH,
    configTIMER_QUEUE_LENGTH,
    configTIMER_SERVICE_TASK_NAME,
    compatDAEMON_STARTUP_HOOK,
    vCompatAssertFailed,
    sizeof( configMESSAGE_BUFFER_LENGTH_TYPE ),
    sizeof( StaticTimer_t ),
    sizeof( StaticEventGroup_t ),
    sizeof( StaticStreamBuffer_t ),
    configTASK_NOTIFICATION_ARRAY_ENTRIES,
    configNUM_THREAD_LOCAL_STORAGE_POINTERS,
    configMINIMAL_STACK_SIZE,
    configCHECK_FOR_STACK_OVERFLOW,
    compatIDLE_HOOK,
    compatTICK_HOOK,
    compatMALLOC_FAILED_HOOK,
    compatSTACK_OVERFLOW_HOOK,
};

#endif /* COMPAT_CONFIG_H */
