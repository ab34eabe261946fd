/*
 * Software timers: one-shot and auto-reload, start/stop/reset/change-period (also on dormant
 * timers), expiry ticks and callback order for timers expiring on the same tick, timer IDs,
 * names, reload mode, expiry time, activity, pended function calls (from a task and from an
 * interrupt), commands from an interrupt, static timers, the timer service task.
 */
#include "FreeRTOS.h"
#include "task.h"
#include "timers.h"

#include "trace.h"
#include "util.h"

static int fired[ 8 ];

static void callback( TimerHandle_t t )
{
    int id = ( int ) ( uintptr_t ) pvTimerGetTimerID( t );

    fired[ id ]++;
    trace( "cb %s (id %d) #%d at tick %lu", pcTimerGetName( t ), id, fired[ id ], now() );
}

/* Auto-reload timer that stops itself after three expiries. */
static void self_stopping( TimerHandle_t t )
{
    callback( t );

    if( fired[ ( uintptr_t ) pvTimerGetTimerID( t ) ] == 3 )
    {
        trace( "  stopping itself -> %d", ( int ) xTimerStop( t, 0 ) );
    }
}

static void pended( void * p1, uint32_t p2 )
{
    trace( "pended call (%s, %u) at tick %lu in %s", ( const char * ) p1, ( unsigned ) p2, now(), pcTaskGetName( NULL ) );
}

static void isr_commands( void * arg )
{
    TimerHandle_t t = arg;
    BaseType_t woken = pdFALSE;

    trace( "isr: start -> %d", ( int ) xTimerStartFromISR( t, &woken ) );
    trace( "isr: pend -> %d", ( int ) xTimerPendFunctionCallFromISR( pended, ( void * ) "isr", 9, &woken ) );
    trace( "isr: woken %d", ( int ) woken );
    portYIELD_FROM_ISR( woken );
}

static StaticTimer_t static_timer;

static void ctrl_task( void * arg )
{
    ( void ) arg;
    sync_start();
    trace( "timer task %s, prio %u", pcTaskGetName( xTimerGetTimerDaemonTaskHandle() ),
           ( unsigned ) uxTaskPriorityGet( xTimerGetTimerDaemonTaskHandle() ) );

    TimerHandle_t once = xTimerCreate( "once", 5, pdFALSE, ( void * ) 1, callback );
    TimerHandle_t tick = xTimerCreate( "tick", 3, pdTRUE, ( void * ) 2, self_stopping );
    TimerHandle_t same_a = xTimerCreate( "same-a", 4, pdFALSE, ( void * ) 3, callback );
    TimerHandle_t same_b = xTimerCreate( "same-b", 4, pdFALSE, ( void * ) 4, callback );
    trace( "once: active %d, period %lu, reload %d", ( int ) xTimerIsTimerActive( once ), ( unsigned long ) xTimerGetPeriod( once ),
           ( int ) uxTimerGetReloadMode( once ) );

    trace( "start once -> %d, start tick -> %d", ( int ) xTimerStart( once, 0 ), ( int ) xTimerStart( tick, 0 ) );
    trace( "once: active %d, expires at +%lu", ( int ) xTimerIsTimerActive( once ),
           ( unsigned long ) ( xTimerGetExpiryTime( once ) - xTaskGetTickCount() ) );
    /* Same expiry tick: callbacks in start order (b started first). */
    ( void ) xTimerStart( same_b, 0 );
    ( void ) xTimerStart( same_a, 0 );
    vTaskDelay( 12 );
    trace( "ctrl: tick active %d, once active %d at tick %lu", ( int ) xTimerIsTimerActive( tick ), ( int ) xTimerIsTimerActive( once ), now() );

    /* Reset restarts the period from now; stop prevents the expiry. */
    ( void ) xTimerStart( once, 0 );
    vTaskDelay( 3 );
    trace( "ctrl: reset once at tick %lu -> %d", now(), ( int ) xTimerReset( once, 0 ) );
    vTaskDelay( 3 );
    trace( "ctrl: reset once at tick %lu -> %d", now(), ( int ) xTimerReset( once, 0 ) );
    vTaskDelay( 7 );
    ( void ) xTimerStart( once, 0 );
    vTaskDelay( 2 );
    trace( "ctrl: stop once -> %d, active %d", ( int ) xTimerStop( once, 0 ), ( int ) xTimerIsTimerActive( once ) );
    vTaskDelay( 6 );

    /* Change period: starts a dormant timer; on a running one counts from now. */
    trace( "ctrl: change once to 2 at tick %lu -> %d", now(), ( int ) xTimerChangePeriod( once, 2, 0 ) );
    vTaskDelay( 4 );
    ( void ) xTimerStart( tick, 0 );
    vTaskDelay( 1 );
    trace( "ctrl: change tick to 5 at tick %lu -> %d", now(), ( int ) xTimerChangePeriod( tick, 5, 0 ) );
    vTaskDelay( 12 );
    ( void ) xTimerStop( tick, 0 );

    /* Reload mode and ID changes. */
    vTimerSetReloadMode( once, pdTRUE );
    vTimerSetTimerID( once, ( void * ) 5 );
    trace( "once: reload %d, id %u", ( int ) uxTimerGetReloadMode( once ), ( unsigned ) ( uintptr_t ) pvTimerGetTimerID( once ) );
    ( void ) xTimerChangePeriod( once, 2, 0 );
    vTaskDelay( 5 );
    ( void ) xTimerStop( once, 0 );
    vTaskDelay( 1 );

    /* Pended function calls run in the timer task, in order, before later commands. */
    trace( "pend -> %d", ( int ) xTimerPendFunctionCall( pended, ( void * ) "task", 7, 0 ) );
    trace( "ctrl: after pend at tick %lu", now() );

    /* From an interrupt. */
    TimerHandle_t st = xTimerCreateStatic( "static", 2, pdFALSE, ( void * ) 6, callback, &static_timer );
    trace_run_isr( isr_commands, st );
    trace( "ctrl: after isr" );
    vTaskDelay( 4 );

    /* Deleting timers. */
    trace( "delete -> %d %d %d %d %d", ( int ) xTimerDelete( once, 0 ), ( int ) xTimerDelete( tick, 0 ), ( int ) xTimerDelete( same_a, 0 ),
           ( int ) xTimerDelete( same_b, 0 ), ( int ) xTimerDelete( st, 0 ) );
    vTaskDelay( 1 );
    finish_program();
}

int main( void )
{
    run_program( ctrl_task, 5 );
}
