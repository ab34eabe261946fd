/*
 * Tasks: dynamic and static creation, names and handles, priorities (get/set, preemption on
 * change), task states, suspend/resume, delete (self, a ready task, a blocked task), delay,
 * delay-until (including a deadline already passed), abort-delay (of a delay and of a queue
 * wait), yield between equal
 * priorities, scheduler suspend/resume, tick count, thread-local storage pointers, task tags.
 */
#include "FreeRTOS.h"
#include "task.h"
#include "queue.h"

#include "trace.h"
#include "util.h"

#define CTRL_PRIO    5

static TaskHandle_t ctrl;

static void high_task( void * arg )
{
    ( void ) arg;
    trace( "high: runs first, prio %u, state of ctrl %s", ( unsigned ) uxTaskPriorityGet( NULL ), state_name( eTaskGetState( ctrl ) ) );
    vTaskDelay( 2 );
    trace( "high: woke at tick %lu, deleting itself", now() );
    vTaskDelete( NULL );
}

static StaticTask_t static_tcb;
static StackType_t static_stack[ 512 ];

static void static_task( void * arg )
{
    trace( "static: runs with arg %u, suspending itself", ( unsigned ) ( uintptr_t ) arg );
    vTaskSuspend( NULL );
    trace( "static: resumed, deleting itself" );
    vTaskDelete( NULL );
}

static void queue_waiter_task( void * arg )
{
    uint32_t v;
    TickType_t t0 = xTaskGetTickCount();
    BaseType_t r = xQueueReceive( ( QueueHandle_t ) arg, &v, portMAX_DELAY );

    trace( "qwait: receive -> %d after %lu ticks", ( int ) r, ( unsigned long ) ( xTaskGetTickCount() - t0 ) );
    vTaskDelete( NULL );
}

static void low_task( void * arg )
{
    ( void ) arg;
    trace( "low: runs at prio %u", ( unsigned ) uxTaskPriorityGet( NULL ) );
    vTaskSuspend( NULL );
}

static void riser_task( void * arg )
{
    ( void ) arg;
    trace( "riser: runs at prio %u", ( unsigned ) uxTaskPriorityGet( NULL ) );
    vTaskSuspend( NULL );
    trace( "riser: resumed at prio %u", ( unsigned ) uxTaskPriorityGet( NULL ) );
    vTaskSuspend( NULL );
}

static void sleeper_task( void * arg )
{
    ( void ) arg;
    unsigned long start = now();
    trace( "sleeper: delaying 100 ticks" );
    vTaskDelay( 100 );
    trace( "sleeper: woke after %lu ticks", now() - start );
    vTaskSuspend( NULL );
}

static void yielder_task( void * arg )
{
    const char * name = pcTaskGetName( NULL );

    ( void ) arg;
    /* Both yielders wake on the same tick, in creation order. */
    vTaskDelay( 1 );

    for( int i = 0; i < 3; i++ )
    {
        trace( "%s: round %d", name, i );
        taskYIELD();
    }

    trace( "%s: done", name );
    vTaskDelete( NULL );
}

static void forever_task( void * arg )
{
    ( void ) arg;
    trace( "forever: blocking for good" );
    vTaskDelay( portMAX_DELAY );
    trace_fail( "forever woke up" );
}

static void burst_task( void * arg )
{
    ( void ) arg;
    trace( "burst: runs once the scheduler resumes" );
    vTaskDelete( NULL );
}

static BaseType_t tag_hook( void * param )
{
    return ( BaseType_t ) ( uintptr_t ) param * 2;
}

static void ctrl_task( void * arg )
{
    ( void ) arg;
    sync_start();
    trace( "ctrl: started, name %s, prio %u, state %s", pcTaskGetName( NULL ), ( unsigned ) uxTaskPriorityGet( NULL ),
           state_name( eTaskGetState( xTaskGetCurrentTaskHandle() ) ) );
    TRACE_CHECK( xTaskGetCurrentTaskHandle() == ctrl );
    TRACE_CHECK( xTaskGetHandle( "ctrl" ) == ctrl );
    trace( "ctrl: scheduler state %d", ( int ) xTaskGetSchedulerState() );

    /* A lower-priority task waits; a higher one preempts at once. */
    TaskHandle_t low = spawn( low_task, "low", 2, NULL );
    trace( "ctrl: low created, state %s", state_name( eTaskGetState( low ) ) );
    TaskHandle_t high = spawn( high_task, "high", 7, NULL );
    trace( "ctrl: after high, its state %s", state_name( eTaskGetState( high ) ) );
    TRACE_CHECK( xTaskGetHandle( "high" ) == high );
    TRACE_CHECK( xTaskGetHandle( "nobody" ) == NULL );

    /* Static creation; suspend and resume. */
    TaskHandle_t st = xTaskCreateStatic( static_task, "static", 512, ( void * ) 42, 6, static_stack, &static_tcb );
    TRACE_CHECK( st != NULL );
    trace( "ctrl: static is %s", state_name( eTaskGetState( st ) ) );
    vTaskResume( st );
    trace( "ctrl: static is %s", state_name( eTaskGetState( st ) ) );

    /* Delay: exact in ticks. */
    unsigned long before = now();
    vTaskDelay( 3 );
    trace( "ctrl: vTaskDelay(3) took %lu ticks (now %lu)", now() - before, now() );

    /* Delay until: periodic without drift, and a deadline in the past. */
    TickType_t last = xTaskGetTickCount();
    for( int i = 0; i < 3; i++ )
    {
        BaseType_t r = xTaskDelayUntil( &last, 4 );
        trace( "ctrl: delay-until -> %d at tick %lu, next base %lu", ( int ) r, now(), ( unsigned long ) ( last - util_t0 ) );
    }
    last = xTaskGetTickCount() - 10;
    BaseType_t late = xTaskDelayUntil( &last, 5 );
    trace( "ctrl: late delay-until -> %d at tick %lu, base moved to now-%lu", ( int ) late, now(),
           ( unsigned long ) ( xTaskGetTickCount() - last ) );
    vTaskDelay( 1 );

    /* Abort delay. */
    TaskHandle_t sleeper = spawn( sleeper_task, "sleeper", 6, NULL );
    vTaskDelay( 2 );
    trace( "ctrl: sleeper is %s", state_name( eTaskGetState( sleeper ) ) );
    trace( "ctrl: abort delay -> %d", ( int ) xTaskAbortDelay( sleeper ) );
    trace( "ctrl: abort again -> %d, sleeper %s", ( int ) xTaskAbortDelay( sleeper ), state_name( eTaskGetState( sleeper ) ) );
    vTaskDelete( sleeper );

    /* Abort delay of a task blocked on a queue: its receive fails as if the block time expired. */
    QueueHandle_t q = xQueueCreate( 1, sizeof( uint32_t ) );
    TRACE_CHECK( q != NULL );
    TaskHandle_t qwaiter = spawn( queue_waiter_task, "qwait", 6, q );
    vTaskDelay( 2 );
    trace( "ctrl: qwait is %s", state_name( eTaskGetState( qwaiter ) ) );
    trace( "ctrl: abort queue wait -> %d", ( int ) xTaskAbortDelay( qwaiter ) );
    vTaskDelay( 1 );
    vQueueDelete( q );

    /* Priority changes: raising a ready task above us switches at once; so does lowering
     * ourselves below a ready task. */
    TaskHandle_t riser = spawn( riser_task, "riser", 2, NULL );
    trace( "ctrl: riser is %s at prio %u", state_name( eTaskGetState( riser ) ), ( unsigned ) uxTaskPriorityGet( riser ) );
    vTaskPrioritySet( riser, 8 );
    trace( "ctrl: riser prio now %u, state %s", ( unsigned ) uxTaskPriorityGet( riser ), state_name( eTaskGetState( riser ) ) );
    vTaskPrioritySet( riser, 3 );
    vTaskResume( riser );
    trace( "ctrl: resumed riser below us, state %s", state_name( eTaskGetState( riser ) ) );
    vTaskPrioritySet( NULL, 2 );
    trace( "ctrl: back after lowering myself to %u, riser is %s", ( unsigned ) uxTaskPriorityGet( NULL ),
           state_name( eTaskGetState( riser ) ) );
    vTaskPrioritySet( NULL, CTRL_PRIO );
    vTaskDelete( riser );

    /* Yield between two equal-priority tasks (below us, so they run while we sleep). */
    spawn( yielder_task, "A", 4, NULL );
    spawn( yielder_task, "B", 4, NULL );
    vTaskDelay( 5 );
    trace( "ctrl: yielders finished by tick %lu", now() );

    /* Deleting a blocked task. */
    TaskHandle_t forever = spawn( forever_task, "forever", 6, NULL );
    trace( "ctrl: forever is %s", state_name( eTaskGetState( forever ) ) );
    vTaskDelete( forever );
    vTaskDelay( 2 );
    trace( "ctrl: tasks now %u (ctrl, low, idle, timer)", ( unsigned ) uxTaskGetNumberOfTasks() );

    /* Scheduler suspension: a more urgent task created meanwhile runs at resume. */
    vTaskSuspendAll();
    trace( "ctrl: scheduler state %d while suspended", ( int ) xTaskGetSchedulerState() );
    spawn( burst_task, "burst", 9, NULL );
    trace( "ctrl: burst created, still running ctrl" );
    BaseType_t yielded = xTaskResumeAll();
    trace( "ctrl: xTaskResumeAll -> %d", ( int ) yielded );
    vTaskSuspendAll();
    yielded = xTaskResumeAll();
    trace( "ctrl: empty suspension -> %d", ( int ) yielded );

    /* Thread-local storage pointers, own and another task's. */
    for( BaseType_t i = 0; i < configNUM_THREAD_LOCAL_STORAGE_POINTERS; i++ )
    {
        vTaskSetThreadLocalStoragePointer( NULL, i, ( void * ) ( uintptr_t ) ( 100 + i ) );
    }
    vTaskSetThreadLocalStoragePointer( low, 1, ( void * ) 7 );
    trace( "ctrl: tls %u %u %u %u, low's slot 1 %u", ( unsigned ) ( uintptr_t ) pvTaskGetThreadLocalStoragePointer( NULL, 0 ),
           ( unsigned ) ( uintptr_t ) pvTaskGetThreadLocalStoragePointer( NULL, 1 ),
           ( unsigned ) ( uintptr_t ) pvTaskGetThreadLocalStoragePointer( NULL, 2 ),
           ( unsigned ) ( uintptr_t ) pvTaskGetThreadLocalStoragePointer( NULL, 3 ),
           ( unsigned ) ( uintptr_t ) pvTaskGetThreadLocalStoragePointer( low, 1 ) );

    /* Task tags and the task hook. */
    TRACE_CHECK( xTaskGetApplicationTaskTag( NULL ) == NULL );
    vTaskSetApplicationTaskTag( NULL, tag_hook );
    TRACE_CHECK( xTaskGetApplicationTaskTag( NULL ) == tag_hook );
    TRACE_CHECK( xTaskGetApplicationTaskTagFromISR( NULL ) == tag_hook );
    trace( "ctrl: hook(21) -> %d", ( int ) xTaskCallApplicationTaskHook( NULL, ( void * ) 21 ) );
    vTaskSetApplicationTaskTag( low, tag_hook );
    trace( "ctrl: low's hook(5) -> %d, low is %s", ( int ) xTaskCallApplicationTaskHook( low, ( void * ) 5 ),
           state_name( eTaskGetState( low ) ) );

    /* The idle task. */
    trace( "ctrl: idle task is %s, prio %u", pcTaskGetName( xTaskGetIdleTaskHandle() ),
           ( unsigned ) uxTaskPriorityGet( xTaskGetIdleTaskHandle() ) );
    trace( "ctrl: finished at tick %lu", now() );
    trace_done();
}

int main( void )
{
    trace( "main: scheduler state %d before start", ( int ) xTaskGetSchedulerState() );
    if( xTaskCreate( ctrl_task, "ctrl", 1024, NULL, CTRL_PRIO, &ctrl ) != pdPASS )
    {
        trace_fail( "cannot create ctrl" );
    }

    trace( "main: %u task(s) before start", ( unsigned ) uxTaskGetNumberOfTasks() );
    vTaskStartScheduler();
    trace_fail( "scheduler returned" );
}
