/*
 * Mutex priority inheritance with semaphores as the only signals (no notifications, no
 * suspension): an inheriting holder runs before a ready task of middle priority, base and
 * effective priorities, two mutexes released in both orders (disinheritance only with the last),
 * a waiter timing out while the holder holds one mutex, base-priority changes while inherited
 * (below and above the inherited priority), a recursive mutex passing inheritance on.
 */
#include "FreeRTOS.h"
#include "semphr.h"
#include "task.h"

#include "trace.h"
#include "util.h"

static SemaphoreHandle_t a;
static SemaphoreHandle_t b;
static SemaphoreHandle_t go;
static volatile int which;

static char name_of( SemaphoreHandle_t m )
{
    return m == a ? 'a' : 'b';
}

static void prio( const char * who, TaskHandle_t t )
{
    trace( "%s: %s prio %u base %u", who, pcTaskGetName( t ), ( unsigned ) uxTaskPriorityGet( t ), ( unsigned ) uxTaskBasePriorityGet( t ) );
}

/* Takes a (and b if the argument is non-NULL); on each `go` gives the mutex named by `which`. */
static void holder( void * arg )
{
    int rounds = arg != NULL ? 2 : 1;

    trace( "%s: take a -> %d", pcTaskGetName( NULL ), ( int ) xSemaphoreTake( a, 0 ) );

    if( rounds == 2 )
    {
        trace( "%s: take b -> %d", pcTaskGetName( NULL ), ( int ) xSemaphoreTake( b, 0 ) );
    }

    for( int i = 0; i < rounds; i++ )
    {
        ( void ) xSemaphoreTake( go, portMAX_DELAY );
        SemaphoreHandle_t m = which == 1 ? a : b;
        trace( "%s: giving %c at prio %u", pcTaskGetName( NULL ), name_of( m ), ( unsigned ) uxTaskPriorityGet( NULL ) );
        BaseType_t r = xSemaphoreGive( m );
        trace( "%s: gave %c -> %d, prio now %u", pcTaskGetName( NULL ), name_of( m ), ( int ) r, ( unsigned ) uxTaskPriorityGet( NULL ) );
    }

    trace( "%s: done", pcTaskGetName( NULL ) );
    vTaskDelete( NULL );
}

static void waiter( void * arg )
{
    SemaphoreHandle_t m = arg;
    BaseType_t r = xSemaphoreTake( m, portMAX_DELAY );

    trace( "%s: took %c -> %d", pcTaskGetName( NULL ), name_of( m ), ( int ) r );
    ( void ) xSemaphoreGive( m );
    vTaskDelete( NULL );
}

static void impatient( void * arg )
{
    SemaphoreHandle_t m = arg;
    unsigned long t = now();
    BaseType_t r = xSemaphoreTake( m, 3 );

    trace( "impatient: take %c -> %d after %lu ticks", name_of( m ), ( int ) r, now() - t );
    vTaskDelete( NULL );
}

static void middle( void * arg )
{
    ( void ) arg;
    trace( "middle: running" );
    vTaskDelete( NULL );
}

static void release( int m )
{
    which = m;
    ( void ) xSemaphoreGive( go );
    vTaskDelay( 1 );
}

static void ctrl_task( void * arg )
{
    ( void ) arg;
    sync_start();
    a = xSemaphoreCreateMutex();
    b = xSemaphoreCreateMutex();
    go = xSemaphoreCreateBinary();

    trace( "-- the holder runs before a ready task of middle priority" );
    TaskHandle_t h = spawn( holder, "low", 2, NULL );
    vTaskDelay( 1 );
    spawn( waiter, "high", 6, a );
    vTaskDelay( 1 );
    prio( "ctrl", h );
    spawn( middle, "middle", 4, NULL );
    release( 1 );

    for( int order = 0; order < 2; order++ )
    {
        int first = order == 0 ? 1 : 2;
        int second = order == 0 ? 2 : 1;
        trace( "-- two mutexes, release %c then %c", first == 1 ? 'a' : 'b', second == 1 ? 'a' : 'b' );
        h = spawn( holder, "two", 2, ( void * ) 1 );
        vTaskDelay( 1 );
        spawn( waiter, "wa", 5, a );
        vTaskDelay( 1 );
        prio( "ctrl", h );
        spawn( waiter, "wb", 7, b );
        vTaskDelay( 1 );
        prio( "ctrl", h );
        release( first );
        prio( "ctrl", h );
        release( second );
    }

    trace( "-- a waiter times out, one mutex held" );
    h = spawn( holder, "single", 2, NULL );
    vTaskDelay( 1 );
    spawn( waiter, "wa", 4, a );
    spawn( impatient, "impatient", 6, a );
    vTaskDelay( 1 );
    prio( "ctrl", h );
    vTaskDelay( 4 );
    prio( "ctrl", h );
    release( 1 );

    trace( "-- base priority changed while inherited" );
    h = spawn( holder, "based", 2, NULL );
    vTaskDelay( 1 );
    spawn( waiter, "wa", 6, a );
    vTaskDelay( 1 );
    vTaskPrioritySet( h, 3 );
    prio( "set base 3", h );
    vTaskPrioritySet( h, 8 );
    prio( "set base 8", h );
    vTaskPrioritySet( h, 1 );
    prio( "set base 1", h );
    release( 1 );

    trace( "-- recursive mutex" );
    SemaphoreHandle_t r = xSemaphoreCreateRecursiveMutex();
    TaskHandle_t me = xTaskGetCurrentTaskHandle();
    vTaskPrioritySet( NULL, 1 );
    trace( "ctrl: take recursive twice -> %d %d", ( int ) xSemaphoreTakeRecursive( r, 0 ), ( int ) xSemaphoreTakeRecursive( r, 0 ) );
    vSemaphoreDelete( a );
    a = r; /* name_of() calls it 'a' */
    spawn( waiter, "wr", 6, r );
    prio( "ctrl", me );
    trace( "ctrl: give recursive -> %d", ( int ) xSemaphoreGiveRecursive( r ) );
    prio( "ctrl", me );
    trace( "ctrl: give recursive -> %d", ( int ) xSemaphoreGiveRecursive( r ) );
    prio( "ctrl", me );
    vTaskPrioritySet( NULL, 10 );
    vSemaphoreDelete( r );
    vSemaphoreDelete( b );
    vSemaphoreDelete( go );
    finish_program();
}

int main( void )
{
    run_program( ctrl_task, 10 );
}
