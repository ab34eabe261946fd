/*
 * Configuration of the compat_hooks test (tests/freertos/ours/compat/hooks.c): the differential
 * programs' configuration (../../reference/FreeRTOSConfig.h) with the idle, tick and
 * malloc-failed hooks enabled and configASSERT counting failures instead of ending the run.
 */
#ifndef FREERTOS_CONFIG_H
#define FREERTOS_CONFIG_H

/* ---- Hardware ---------------------------------------------------------------------------- */
/* SysTick runs from the processor clock, which QEMU's AN505 model fixes at 20 MHz. */
#define configCPU_CLOCK_HZ                        20000000UL
#define configTICK_RATE_HZ                        1000
/* Cortex-M33 port, built for Secure state without the TrustZone split (the board boots
 * Secure and everything stays Secure). The port then uses the Secure EXC_RETURN value. */
#define configRUN_FREERTOS_SECURE_ONLY            1
#define configENABLE_TRUSTZONE                    0
#define configENABLE_FPU                          0
#define configENABLE_MPU                          0
#define configENABLE_MVE                          0
/* QEMU implements 8 priority bits; 3 are enough for this value. Interrupts at numerically
 * lower (more urgent) priorities than this must not call the kernel. */
#define configMAX_SYSCALL_INTERRUPT_PRIORITY      ( 5 << 5 )
/* Vector table entries are the port's handlers themselves (startup.c). */
#define configCHECK_HANDLER_INSTALLATION          1

/* ---- Scheduling (programs: preemption, time slicing, 32 priorities) ----------------------- */
#define configUSE_PREEMPTION                      1
#define configUSE_TIME_SLICING                    1
#define configUSE_PORT_OPTIMISED_TASK_SELECTION   0
#define configUSE_TICKLESS_IDLE                   0
#define configMAX_PRIORITIES                      32
#define configMINIMAL_STACK_SIZE                  256
#define configMAX_TASK_NAME_LEN                   16
#define configTICK_TYPE_WIDTH_IN_BITS             TICK_TYPE_WIDTH_32_BITS
#define configIDLE_SHOULD_YIELD                   1
#define configNUMBER_OF_CORES                     1

/* ---- Features used by the programs --------------------------------------------------------- */
#define configUSE_TASK_NOTIFICATIONS              1
#define configTASK_NOTIFICATION_ARRAY_ENTRIES     3
#define configUSE_MUTEXES                         1
#define configUSE_RECURSIVE_MUTEXES               1
#define configUSE_COUNTING_SEMAPHORES             1
#define configQUEUE_REGISTRY_SIZE                 8
#define configUSE_QUEUE_SETS                      1
#define configUSE_APPLICATION_TASK_TAG            1
#define configNUM_THREAD_LOCAL_STORAGE_POINTERS   4
#define configUSE_EVENT_GROUPS                    1
#define configUSE_STREAM_BUFFERS                  1
#define configUSE_TRACE_FACILITY                  1
#define configUSE_NEWLIB_REENTRANT                0
#define configENABLE_BACKWARD_COMPATIBILITY       1
#define configUSE_MINI_LIST_ITEM                  1
#define configSTACK_DEPTH_TYPE                    uint32_t
#define configMESSAGE_BUFFER_LENGTH_TYPE          size_t

/* ---- Memory -------------------------------------------------------------------------------- */
#define configSUPPORT_STATIC_ALLOCATION           1
#define configSUPPORT_DYNAMIC_ALLOCATION          1
/* The kernel supplies the idle and timer tasks' static memory itself. */
#define configKERNEL_PROVIDED_STATIC_MEMORY       1
#define configTOTAL_HEAP_SIZE                     ( 96 * 1024 )
#define configAPPLICATION_ALLOCATED_HEAP          0

/* ---- Hooks --------------------------------------------------------------------------------- */
#define configUSE_IDLE_HOOK                       1
#define configUSE_TICK_HOOK                       1
#define configUSE_MALLOC_FAILED_HOOK              1
#define configUSE_DAEMON_TASK_STARTUP_HOOK        0
/* platform.c reports an overflow on the console and ends the run. */
#define configCHECK_FOR_STACK_OVERFLOW            2

/* ---- Run-time statistics: off -------------------------------------------------------------- */
#define configGENERATE_RUN_TIME_STATS             0
#define configUSE_STATS_FORMATTING_FUNCTIONS      0

/* ---- Software timers (programs: the timer service task outranks every application task) ---- */
#define configUSE_TIMERS                          1
#define configTIMER_TASK_PRIORITY                 ( configMAX_PRIORITIES - 1 )
#define configTIMER_QUEUE_LENGTH                  16
#define configTIMER_TASK_STACK_DEPTH              512

/* ---- Optional functions -------------------------------------------------------------------- */
#define INCLUDE_vTaskPrioritySet                  1
#define INCLUDE_uxTaskPriorityGet                 1
#define INCLUDE_vTaskDelete                       1
#define INCLUDE_vTaskSuspend                      1
#define INCLUDE_xTaskDelayUntil                   1
#define INCLUDE_vTaskDelay                        1
#define INCLUDE_xTaskGetSchedulerState            1
#define INCLUDE_xTaskGetCurrentTaskHandle         1
#define INCLUDE_uxTaskGetStackHighWaterMark       1
#define INCLUDE_xTaskGetIdleTaskHandle            1
#define INCLUDE_eTaskGetState                     1
#define INCLUDE_xTimerPendFunctionCall            1
#define INCLUDE_xTaskAbortDelay                   1
#define INCLUDE_xTaskGetHandle                    1
#define INCLUDE_xTaskResumeFromISR                1
#define INCLUDE_xSemaphoreGetMutexHolder          1
#define INCLUDE_xQueueGetMutexHolder              1

/* ---- Assertions: report file and line on the console, then end the run with status 3 ------- */
/* Counted, not fatal: the test provokes assertions on purpose and checks that each call refused its input. */
void hooks_assert_failed( int line );
#define configASSERT( x )    do { if( ( x ) == 0 ) { hooks_assert_failed( __LINE__ ); } } while( 0 )

#endif /* FREERTOS_CONFIG_H */
