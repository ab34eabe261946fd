/*
 * Edge cases of timers, event groups and stream/message/batching buffers: a timer started before
 * the scheduler, an auto-reload timer whose callback overruns (one callback per missed period),
 * commands and pended calls queued by a callback (run after it, in order), reset of a dormant
 * timer, stop/change-period from an interrupt, deleting a running timer; deleting an event group
 * releases its waiters with 0, deleting a task blocked on one takes it off the group; a batching buffer (the reader waits for more than the trigger
 * level); a stream reader that times out below the trigger level still gets the bytes; a writer
 * that times out writes what fits; a message whose length field and data wrap around the ring.
 */
#include <string.h>

#include "FreeRTOS.h"
#include "event_groups.h"
#include "message_buffer.h"
#include "stream_buffer.h"
#include "task.h"
#include "timers.h"

#include "trace.h"
#include "util.h"

static TimerHandle_t early, slow, other, dormant;
static int slow_calls;

static void early_cb( TimerHandle_t t )
{
    trace( "early: fired at scheduler tick %lu, active %d", ( unsigned long ) xTaskGetTickCount(), ( int ) xTimerIsTimerActive( t ) );
}

static void pended( void * p1, uint32_t p2 )
{
    trace( "pended %s %u at tick %lu", ( const char * ) p1, ( unsigned ) p2, now() );
}

static void other_cb( TimerHandle_t t )
{
    ( void ) t;
    trace( "other: fired at tick %lu", now() );
}

static void slow_cb( TimerHandle_t t )
{
    slow_calls++;
    trace( "slow: call %d at tick %lu, expiry minus now %ld", slow_calls, now(), ( long ) ( xTimerGetExpiryTime( t ) - xTaskGetTickCount() ) );

    if( slow_calls == 1 )
    {
        /* Overrun: three periods pass inside the callback. */
        TickType_t t0 = xTaskGetTickCount();

        while( xTaskGetTickCount() - t0 < 3 )
        {
        }

        /* Queued now, carried out after this callback returns, in this order. */
        trace( "slow: start other -> %d, pend -> %d", ( int ) xTimerStart( other, 0 ),
               ( int ) xTimerPendFunctionCall( pended, ( void * ) "from-callback", 1, 0 ) );
    }
    else if( slow_calls == 5 )
    {
        trace( "slow: stop -> %d", ( int ) xTimerStop( t, 0 ) );
    }
}

static void dormant_cb( TimerHandle_t t )
{
    ( void ) t;
    trace( "dormant: fired at tick %lu", now() );
}

static void isr_timer_commands( void * arg )
{
    BaseType_t woken = pdFALSE;

    ( void ) arg;
    trace( "isr: change period -> %d", ( int ) xTimerChangePeriodFromISR( dormant, 4, &woken ) );
    trace( "isr: stop other -> %d, woken %d", ( int ) xTimerStopFromISR( other, &woken ), ( int ) woken );
}

static EventGroupHandle_t eg;

static void group_waiter( void * arg )
{
    EventBits_t r = xEventGroupWaitBits( eg, ( EventBits_t ) ( uintptr_t ) arg, pdTRUE, pdTRUE, portMAX_DELAY );

    trace( "%s: released with %x at tick %lu", pcTaskGetName( NULL ), ( unsigned ) r, now() );
    vTaskDelete( NULL );
}

static StreamBufferHandle_t sb;

static void stream_reader( void * arg )
{
    char buf[ 16 ];
    TickType_t wait = ( TickType_t ) ( uintptr_t ) arg;
    unsigned long t = now();
    size_t n = xStreamBufferReceive( sb, buf, sizeof( buf ) - 1, wait );

    buf[ n ] = '\0';
    trace( "%s: got %u \"%s\" after %lu ticks", pcTaskGetName( NULL ), ( unsigned ) n, buf, now() - t );
    vTaskDelete( NULL );
}

static void ctrl_task( void * arg )
{
    char buf[ 24 ];
    size_t n;

    ( void ) arg;
    sync_start();

    /* Timers. */
    slow = xTimerCreate( "slow", 1, pdTRUE, NULL, slow_cb );
    other = xTimerCreate( "other", 2, pdFALSE, NULL, other_cb );
    dormant = xTimerCreate( "dormant", 3, pdFALSE, NULL, dormant_cb );
    ( void ) xTimerStart( slow, 0 );
    vTaskDelay( 9 );
    trace( "ctrl: slow active %d at tick %lu", ( int ) xTimerIsTimerActive( slow ), now() );
    trace( "ctrl: reset dormant -> %d, active %d", ( int ) xTimerReset( dormant, 0 ), ( int ) xTimerIsTimerActive( dormant ) );
    ( void ) xTimerStart( other, 0 );
    trace_run_isr( isr_timer_commands, NULL );
    vTaskDelay( 6 );
    ( void ) xTimerStart( other, 0 );
    trace( "ctrl: delete running other -> %d", ( int ) xTimerDelete( other, 0 ) );
    vTaskDelay( 3 );
    trace( "ctrl: timers done at tick %lu", now() );

    /* Deleting an event group releases its waiters with 0. */
    eg = xEventGroupCreate();
    spawn( group_waiter, "wait-3", 3, ( void * ) 0x3 );
    spawn( group_waiter, "wait-4", 4, ( void * ) 0x6 );
    ( void ) xEventGroupSetBits( eg, 0x1 );
    vTaskDelay( 1 );
    trace( "ctrl: deleting the group at tick %lu", now() );
    vEventGroupDelete( eg );
    vTaskDelay( 1 );

    /* Deleting a task blocked on an event group takes it off the group: its clear-on-exit no
     * longer applies. (The victim is more urgent, so it blocks before it is deleted.) */
    eg = xEventGroupCreate();
    TaskHandle_t victim = spawn( group_waiter, "victim", 6, ( void * ) 0x1 );
    vTaskDelete( victim );
    trace( "ctrl: set 0x1 after deleting the waiter -> %x", ( unsigned ) xEventGroupSetBits( eg, 0x1 ) );
    vEventGroupDelete( eg );

    /* Batching buffer: a reader waits until MORE than the trigger level is there; woken at the
     * level itself it finds too little and returns 0. */
    sb = xStreamBatchingBufferCreate( 16, 4 );
    spawn( stream_reader, "batch-1", 6, ( void * ) 10 );
    trace( "ctrl: send 4 -> %u", ( unsigned ) xStreamBufferSend( sb, "abcd", 4, 0 ) );
    spawn( stream_reader, "batch-2", 6, ( void * ) 10 );
    trace( "ctrl: send 1 -> %u", ( unsigned ) xStreamBufferSend( sb, "e", 1, 0 ) );
    vStreamBufferDelete( sb );

    /* Stream buffer: a reader below the trigger level times out with what is there. */
    sb = xStreamBufferCreate( 8, 4 );
    spawn( stream_reader, "under", 6, ( void * ) 5 );
    vTaskDelay( 1 );
    trace( "ctrl: send 2 -> %u", ( unsigned ) xStreamBufferSend( sb, "xy", 2, 0 ) );
    vTaskDelay( 6 );

    /* A writer that times out writes what fits. */
    trace( "ctrl: send 6 -> %u", ( unsigned ) xStreamBufferSend( sb, "123456", 6, 0 ) );
    unsigned long t = now();
    n = xStreamBufferSend( sb, "ABCDE", 5, 3 );
    trace( "ctrl: send 5 with 3-tick timeout -> %u after %lu ticks, full %d", ( unsigned ) n, now() - t, ( int ) xStreamBufferIsFull( sb ) );
    n = xStreamBufferReceive( sb, buf, sizeof( buf ), 0 );
    buf[ n ] = '\0';
    trace( "ctrl: drained \"%s\"", buf );
    vStreamBufferDelete( sb );

    /* Message buffer (20 usable bytes, 4-byte length fields): the first message ends at byte
     * 18, so the second one's length field wraps around the end of the ring. */
    MessageBufferHandle_t mb = xMessageBufferCreate( 20 );

    for( int i = 0; i < 3; i++ )
    {
        static const char * const msgs[] = { "0123456789abcd", "abcdefghij", "ABCDEFGH" };
        trace( "message: send %u -> %u, spaces %u", ( unsigned ) strlen( msgs[ i ] ),
               ( unsigned ) xMessageBufferSend( mb, msgs[ i ], strlen( msgs[ i ] ), 0 ), ( unsigned ) xMessageBufferSpacesAvailable( mb ) );
        n = xMessageBufferReceive( mb, buf, sizeof( buf ), 0 );
        buf[ n ] = '\0';
        trace( "message: receive -> %u \"%s\", next %u", ( unsigned ) n, buf, ( unsigned ) xMessageBufferNextLengthBytes( mb ) );
    }

    vMessageBufferDelete( mb );
    finish_program();
}

int main( void )
{
    /* Created and started before the scheduler: counts from the scheduler's start. */
    early = xTimerCreate( "early", 3, pdFALSE, NULL, early_cb );
    trace( "main: start early -> %d", ( int ) xTimerStart( early, 0 ) );
    spawn( ctrl_task, "ctrl", 5, NULL );
    vTaskStartScheduler();
    trace_fail( "scheduler returned" );
}
