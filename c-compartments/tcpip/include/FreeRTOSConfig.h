/*
 * FreeRTOS configuration of the TCP/IP compartment: what lwIP's FreeRTOS port
 * (contrib/ports/freertos/sys_arch.c) needs — dynamic allocation, mutexes, counting semaphores,
 * vTaskDelay and vTaskSuspend — on our FreeRTOS layer. No software timers: lwIP keeps its own
 * timeouts in the tcpip thread.
 */
#ifndef FREERTOS_CONFIG_H
#define FREERTOS_CONFIG_H

#define configCPU_CLOCK_HZ                        25000000UL
#define configTICK_RATE_HZ                        1000      /* = the image's [kernel] tick_hz */
#define configUSE_PREEMPTION                      1
#define configUSE_TIME_SLICING                    1
#define configUSE_PORT_OPTIMISED_TASK_SELECTION   0
#define configUSE_TICKLESS_IDLE                   0
#define configMAX_PRIORITIES                      16
#define configMINIMAL_STACK_SIZE                  256
#define configMAX_TASK_NAME_LEN                   12
#define configTICK_TYPE_WIDTH_IN_BITS             TICK_TYPE_WIDTH_32_BITS
#define configIDLE_SHOULD_YIELD                   1
#define configNUMBER_OF_CORES                     1

#define configUSE_TASK_NOTIFICATIONS              1
#define configTASK_NOTIFICATION_ARRAY_ENTRIES     1
#define configUSE_MUTEXES                         1
#define configUSE_RECURSIVE_MUTEXES               1
#define configUSE_COUNTING_SEMAPHORES             1
#define configQUEUE_REGISTRY_SIZE                 0
#define configUSE_QUEUE_SETS                      0
#define configUSE_NEWLIB_REENTRANT                0
/* lwIP's port still uses portTICK_RATE_MS. */
#define configENABLE_BACKWARD_COMPATIBILITY       1
#define configSTACK_DEPTH_TYPE                    uint32_t
#define configNUM_THREAD_LOCAL_STORAGE_POINTERS   0

#define configSUPPORT_STATIC_ALLOCATION           0
#define configSUPPORT_DYNAMIC_ALLOCATION          1
#define configTOTAL_HEAP_SIZE                     ( 32 * 1024 )  /* = the manifest's heap */

#define configUSE_IDLE_HOOK                       0
#define configUSE_TICK_HOOK                       0
#define configUSE_MALLOC_FAILED_HOOK              1
#define configUSE_DAEMON_TASK_STARTUP_HOOK        0
#define configCHECK_FOR_STACK_OVERFLOW            2
#define configGENERATE_RUN_TIME_STATS             0
#define configUSE_TRACE_FACILITY                  0
#define configUSE_STATS_FORMATTING_FUNCTIONS      0
#define configUSE_TIMERS                          0

#define INCLUDE_vTaskPrioritySet                  1
#define INCLUDE_uxTaskPriorityGet                 1
#define INCLUDE_vTaskDelete                       1
#define INCLUDE_vTaskSuspend                      1
#define INCLUDE_xTaskDelayUntil                   1
#define INCLUDE_vTaskDelay                        1
#define INCLUDE_xTaskGetCurrentTaskHandle         1
#define INCLUDE_uxTaskGetStackHighWaterMark       1

/* A failed assertion is reported and ends the current call into the compartment with a fault
 * (the kernel unwinds it): never the system. */
void tcpip_assert_failed( const char * msg, const char * file, int line ) __attribute__( ( noreturn ) );
#define configASSERT( x )    do { if( ( x ) == 0 ) { tcpip_assert_failed( "configASSERT", __FILE__, __LINE__ ); } } while( 0 )

#endif /* FREERTOS_CONFIG_H */
