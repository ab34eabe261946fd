/*
 * What the differential programs cannot show because the reference configuration leaves it off,
 * or because FreeRTOS would stop at an assertion: the hooks (idle, tick, malloc failed, stack
 * overflow), stack high-water marks, and the layer's answers to bad input (configASSERT reached
 * and the call refused, state untouched). Runs only on our layer (image compat_hooks).
 */
#include <string.h>

#include "FreeRTOS.h"
#include "task.h"

#include "trace.h"
#include "util.h"

static volatile unsigned idle_calls;
static volatile unsigned tick_calls;
static volatile unsigned malloc_failures;
static volatile unsigned asserts;
static volatile unsigned overflows;
static char overflow_name[ configMAX_TASK_NAME_LEN ];

void vApplicationIdleHook( void )
{
    idle_calls++;
}

void vApplicationTickHook( void )
{
    tick_calls++;
}

void vApplicationMallocFailedHook( void )
{
    malloc_failures++;
}

void hooks_assert_failed( int line )
{
    ( void ) line;
    asserts++;
}

/* The stack-overflow hook is platform.c's (it prints "STACK OVERFLOW in task <name>" and ends the
 * run with status 5), so this case comes last: a task on a stack whose bounds we know writes into
 * its own guard bytes and then blocks, where the layer checks them. */
static StackType_t guard_stack[ 256 ] __attribute__( ( aligned( 32 ) ) );
static StaticTask_t guard_tcb;

static void guard_task( void * arg )
{
    ( void ) arg;
    /* The 16 bytes above the kernel's 32-byte reserve at the bottom of the stack. */
    guard_stack[ 9 ] = 0;
    vTaskDelay( 1 );
    trace_fail( "the stack overflow hook did not stop the run" );
}

/* Writes 600 bytes of stack below its caller's frame (the first measurement itself already
 * reached about 130 bytes below it). */
static __attribute__( ( noinline ) ) void use_stack( void )
{
    volatile uint8_t buf[ 600 ];

    memset( ( void * ) buf, 1, sizeof( buf ) );
}

static void deep_task( void * arg )
{
    ( void ) arg;
    UBaseType_t before = uxTaskGetStackHighWaterMark( NULL );
    use_stack();
    UBaseType_t after = uxTaskGetStackHighWaterMark( NULL );
    trace( "high-water mark: fell by at least 100 words %d, still positive %d", ( int ) ( after < before && before - after >= 100 ),
           ( int ) ( after > 0 ) );
    vTaskSuspend( NULL );
}

static unsigned asserts_after( unsigned before )
{
    return asserts - before;
}

static BaseType_t resumed_from_isr;
static TaskHandle_t sleeper;

static void isr_resume( void * arg )
{
    ( void ) arg;
    resumed_from_isr = xTaskResumeFromISR( sleeper );
}

static void sleeper_task( void * arg )
{
    ( void ) arg;
    vTaskSuspend( NULL );
    trace( "sleeper: resumed from the interrupt" );
    vTaskSuspend( NULL );
}

static void ctrl_task( void * arg )
{
    ( void ) arg;
    sync_start();

    /* Tick hook: once per tick, before tasks woken on that tick. */
    unsigned t0 = tick_calls;
    vTaskDelay( 10 );
    trace( "tick hook calls in 10 ticks: %u", tick_calls - t0 );

    /* Idle hook: runs while every task is blocked. */
    unsigned i0 = idle_calls;
    vTaskDelay( 2 );
    trace( "idle hook ran while all tasks slept %d", ( int ) ( idle_calls > i0 ) );

    /* Malloc failed hook. */
    void * p = pvPortMalloc( configTOTAL_HEAP_SIZE * 2 );
    trace( "impossible malloc -> %s, hook calls %u", p == NULL ? "NULL" : "memory", malloc_failures );
    p = pvPortMalloc( 64 );
    trace( "possible malloc -> %s, hook calls %u", p == NULL ? "NULL" : "memory", malloc_failures );
    vPortFree( p );
    trace( "minimum ever free <= free now %d", ( int ) ( xPortGetMinimumEverFreeHeapSize() <= xPortGetFreeHeapSize() ) );

    /* High-water mark. */
    TaskHandle_t deep = spawn( deep_task, "deep", 6, NULL );
    trace( "deep task %s", state_name( eTaskGetState( deep ) ) );
    vTaskDelete( deep );

    /* Bad input: each call fails configASSERT once and changes nothing. */
    TaskHandle_t me = xTaskGetCurrentTaskHandle();
    StaticTask_t bogus_mem;
    memset( &bogus_mem, 0, sizeof( bogus_mem ) );
    TaskHandle_t bogus = ( TaskHandle_t ) &bogus_mem;
    unsigned a = asserts;
    vTaskResume( NULL );
    trace( "vTaskResume(NULL): asserts %u", asserts_after( a ) );
    a = asserts;
    trace( "xTaskDelayUntil(NULL, 5) -> %d, asserts %u", ( int ) xTaskDelayUntil( NULL, 5 ), asserts_after( a ) );
    a = asserts;
    TickType_t last = xTaskGetTickCount();
    trace( "xTaskDelayUntil(&last, 0) -> %d, asserts %u", ( int ) xTaskDelayUntil( &last, 0 ), asserts_after( a ) );
    a = asserts;
    trace( "notify index 3 of 3 -> %d, asserts %u", ( int ) xTaskNotifyIndexed( me, 3, 1, eSetBits ), asserts_after( a ) );
    a = asserts;
    trace( "notify with action 99 -> %d, asserts %u", ( int ) xTaskNotify( me, 1, ( eNotifyAction ) 99 ), asserts_after( a ) );
    trace( "nothing pending after the refused notifications %d", ( int ) ( xTaskNotifyStateClear( NULL ) == pdFALSE ) );
    a = asserts;
    trace( "notify NULL -> %d, asserts %u", ( int ) xTaskNotifyGive( NULL ), asserts_after( a ) );
    a = asserts;
    trace( "take on index 5 -> %u, asserts %u", ( unsigned ) ulTaskNotifyTakeIndexed( 5, pdTRUE, 10 ), asserts_after( a ) );
    a = asserts;
    trace( "abort delay of NULL -> %d, asserts %u", ( int ) xTaskAbortDelay( NULL ), asserts_after( a ) );
    a = asserts;
    vTaskSuspend( bogus );
    trace( "suspend of a handle that is no task: asserts %u, still running", asserts_after( a ) );
    a = asserts;
    trace( "state of a handle that is no task: %s, asserts %u", state_name( eTaskGetState( bogus ) ), asserts_after( a ) );
    a = asserts;
    trace( "xTaskResumeAll without vTaskSuspendAll -> %d, asserts %u", ( int ) xTaskResumeAll(), asserts_after( a ) );
    vTaskSetThreadLocalStoragePointer( NULL, 4, ( void * ) 1 );
    vTaskSetThreadLocalStoragePointer( NULL, -1, ( void * ) 1 );
    trace( "tls out of range: ignored, reads NULL %d", ( int ) ( pvTaskGetThreadLocalStoragePointer( NULL, 4 ) == NULL &&
                                                            pvTaskGetThreadLocalStoragePointer( NULL, -1 ) == NULL ) );
    trace( "task hook without a tag -> %d", ( int ) xTaskCallApplicationTaskHook( NULL, NULL ) );

    /* xTaskResumeFromISR reports whether the resumed task outranks the interrupted one. */
    sleeper = spawn( sleeper_task, "sleeper", 7, NULL );
    trace_run_isr( isr_resume, NULL );
    trace( "xTaskResumeFromISR -> %d", ( int ) resumed_from_isr );
    trace_run_isr( isr_resume, NULL );
    trace( "second xTaskResumeFromISR -> %d", ( int ) resumed_from_isr );

    /* Last: the stack-overflow hook (platform.c's ends the run with status 5). */
    ( void ) xTaskCreateStatic( guard_task, "guard", 256, NULL, 6, guard_stack, &guard_tcb );
    vTaskDelay( 5 );
    trace_fail( "guard task still running" );
}

int main( void )
{
    spawn( ctrl_task, "ctrl", 5, NULL );
    vTaskStartScheduler();
    trace_fail( "scheduler returned" );
}
