/*
 * Mutexes: holder queries, priority inheritance (chained through two mutexes held at once),
 * disinheritance when the last held mutex is released (releases in both orders), lowering an
 * inherited priority when a waiter times out, priority set on a task that inherited, recursive
 * mutexes (nesting, non-owner give, other takers blocked until fully released).
 */
#include "FreeRTOS.h"
#include "semphr.h"
#include "task.h"

#include "trace.h"
#include "util.h"

static SemaphoreHandle_t a;
static SemaphoreHandle_t b;
static TaskHandle_t low;

static const char * holder_name( SemaphoreHandle_t m )
{
    TaskHandle_t h = xSemaphoreGetMutexHolder( m );

    return h == NULL ? "nobody" : pcTaskGetName( h );
}

/* Takes both mutexes, then on each notification releases the one named by the value. */
static void low_task( void * arg )
{
    ( void ) arg;
    trace( "low: take a -> %d, take b -> %d", ( int ) xSemaphoreTake( a, 0 ), ( int ) xSemaphoreTake( b, 0 ) );

    for( int i = 0; i < 2; i++ )
    {
        uint32_t which = 0;
        ( void ) xTaskNotifyWait( 0, 0xffffffffUL, &which, portMAX_DELAY );
        SemaphoreHandle_t m = which == 1 ? a : b;
        trace( "low: giving %c at prio %u", which == 1 ? 'a' : 'b', ( unsigned ) uxTaskPriorityGet( NULL ) );
        BaseType_t r = xSemaphoreGive( m );
        trace( "low: gave %c -> %d, prio now %u", which == 1 ? 'a' : 'b', ( int ) r, ( unsigned ) uxTaskPriorityGet( NULL ) );
    }

    vTaskSuspend( NULL );
}

static void waiter( void * arg )
{
    SemaphoreHandle_t m = arg;
    const char * name = pcTaskGetName( NULL );
    char which = m == a ? 'a' : 'b';

    trace( "%s: waiting for %c", name, which );
    BaseType_t r = xSemaphoreTake( m, portMAX_DELAY );
    trace( "%s: took %c -> %d, holder %s", name, which, ( int ) r, holder_name( m ) );
    trace( "%s: give %c -> %d", name, which, ( int ) xSemaphoreGive( m ) );
    vTaskDelete( NULL );
}

static void impatient( void * arg )
{
    SemaphoreHandle_t m = arg;
    unsigned long t = now();
    BaseType_t r = xSemaphoreTake( m, 3 );

    trace( "impatient: take -> %d after %lu ticks, %s at prio %u", ( int ) r, now() - t, pcTaskGetName( low ), ( unsigned ) uxTaskPriorityGet( low ) );
    vTaskDelete( NULL );
}

static void release_order( int first, int second )
{
    low = spawn( low_task, "low", 2, NULL );
    vTaskDelay( 1 );
    trace( "ctrl: holders a=%s b=%s, low prio %u", holder_name( a ), holder_name( b ), ( unsigned ) uxTaskPriorityGet( low ) );
    spawn( waiter, "wa", 5, a );
    vTaskDelay( 1 );
    trace( "ctrl: after wa blocked, low prio %u", ( unsigned ) uxTaskPriorityGet( low ) );
    spawn( waiter, "wb", 7, b );
    vTaskDelay( 1 );
    trace( "ctrl: after wb blocked, low prio %u", ( unsigned ) uxTaskPriorityGet( low ) );
    ( void ) xTaskNotify( low, ( uint32_t ) first, eSetValueWithOverwrite );
    vTaskDelay( 1 );
    trace( "ctrl: after first release, low prio %u, holders a=%s b=%s", ( unsigned ) uxTaskPriorityGet( low ), holder_name( a ),
           holder_name( b ) );
    ( void ) xTaskNotify( low, ( uint32_t ) second, eSetValueWithOverwrite );
    vTaskDelay( 1 );
    trace( "ctrl: after second release, low prio %u, holders a=%s b=%s", ( unsigned ) uxTaskPriorityGet( low ), holder_name( a ),
           holder_name( b ) );
    vTaskDelete( low );
}

/* Holds only mutex a until notified. */
static void single_task( void * arg )
{
    ( void ) arg;
    trace( "single: take a -> %d", ( int ) xSemaphoreTake( a, 0 ) );
    ( void ) ulTaskNotifyTake( pdTRUE, portMAX_DELAY );
    trace( "single: give a -> %d, prio now %u", ( int ) xSemaphoreGive( a ), ( unsigned ) uxTaskPriorityGet( NULL ) );
    vTaskSuspend( NULL );
}

static void recursive_other( void * arg )
{
    SemaphoreHandle_t r = arg;

    trace( "other: give recursive (not owner) -> %d", ( int ) xSemaphoreGiveRecursive( r ) );
    trace( "other: take recursive -> %d at tick %lu", ( int ) xSemaphoreTakeRecursive( r, portMAX_DELAY ), now() );
    ( void ) xSemaphoreGiveRecursive( r );
    vTaskDelete( NULL );
}

static void ctrl_task( void * arg )
{
    ( void ) arg;
    sync_start();
    a = xSemaphoreCreateMutex();
    b = xSemaphoreCreateMutex();
    trace( "ctrl: a count %u, holder %s", ( unsigned ) uxSemaphoreGetCount( a ), holder_name( a ) );
    trace( "ctrl: take a -> %d, count %u, holder %s", ( int ) xSemaphoreTake( a, 0 ), ( unsigned ) uxSemaphoreGetCount( a ), holder_name( a ) );
    trace( "ctrl: take a again -> %d", ( int ) xSemaphoreTake( a, 0 ) );
    trace( "ctrl: give a -> %d, give again -> %d", ( int ) xSemaphoreGive( a ), ( int ) xSemaphoreGive( a ) );

    trace( "-- release a then b" );
    release_order( 1, 2 );
    trace( "-- release b then a" );
    release_order( 2, 1 );

    /* A waiter timing out lowers the holder's inherited priority to the next waiter's. */
    trace( "-- waiter timeout" );
    low = spawn( low_task, "low", 2, NULL );
    vTaskDelay( 1 );
    spawn( waiter, "wa", 4, a );
    spawn( impatient, "impatient", 6, a );
    vTaskDelay( 1 );
    trace( "ctrl: low prio %u with two waiters", ( unsigned ) uxTaskPriorityGet( low ) );
    vTaskDelay( 4 );
    trace( "ctrl: low prio %u after the timeout", ( unsigned ) uxTaskPriorityGet( low ) );

    /* Changing the base priority of a task that inherited. */
    vTaskPrioritySet( low, 3 );
    trace( "ctrl: set low's base to 3, prio %u", ( unsigned ) uxTaskPriorityGet( low ) );
    ( void ) xTaskNotify( low, 1, eSetValueWithOverwrite );
    vTaskDelay( 1 );
    trace( "ctrl: low released a, prio %u", ( unsigned ) uxTaskPriorityGet( low ) );
    ( void ) xTaskNotify( low, 2, eSetValueWithOverwrite );
    vTaskDelay( 1 );
    vTaskDelete( low );

    /* The same with only one mutex held: the timeout lowers the inherited priority. */
    trace( "-- waiter timeout, one mutex held" );
    low = spawn( single_task, "single", 2, NULL );
    vTaskDelay( 1 );
    spawn( waiter, "wa", 4, a );
    spawn( impatient, "impatient", 6, a );
    vTaskDelay( 1 );
    trace( "ctrl: single prio %u with two waiters", ( unsigned ) uxTaskPriorityGet( low ) );
    vTaskDelay( 4 );
    trace( "ctrl: single prio %u after the timeout", ( unsigned ) uxTaskPriorityGet( low ) );
    xTaskNotifyGive( low );
    vTaskDelay( 1 );
    vTaskDelete( low );

    /* Recursive mutex. */
    trace( "-- recursive" );
    SemaphoreHandle_t r = xSemaphoreCreateRecursiveMutex();
    for( int i = 0; i < 3; i++ )
    {
        trace( "ctrl: take recursive -> %d", ( int ) xSemaphoreTakeRecursive( r, 0 ) );
    }
    spawn( recursive_other, "other", 7, r );
    for( int i = 0; i < 3; i++ )
    {
        trace( "ctrl: give recursive -> %d, holder %s", ( int ) xSemaphoreGiveRecursive( r ), holder_name( r ) );
    }
    trace( "ctrl: give recursive once more -> %d", ( int ) xSemaphoreGiveRecursive( r ) );
    vTaskDelay( 1 );
    trace( "ctrl: holder after other %s", holder_name( r ) );
    vSemaphoreDelete( r );
    vSemaphoreDelete( a );
    vSemaphoreDelete( b );
    finish_program();
}

int main( void )
{
    run_program( ctrl_task, 10 );
}
