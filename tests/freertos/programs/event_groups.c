/*
 * Event groups: set/clear/get, waits for any or all bits with and without clear-on-exit,
 * timeouts (returned bits), several waiters released by one set, xEventGroupSync rendezvous,
 * set/clear from an interrupt (deferred to the timer service task), static event groups.
 */
#include "FreeRTOS.h"
#include "event_groups.h"
#include "task.h"
#include "timers.h"

#include "trace.h"
#include "util.h"

static EventGroupHandle_t eg;

struct wait_spec
{
    EventBits_t bits;
    BaseType_t clear;
    BaseType_t all;
    TickType_t timeout;
};

static void waiter( void * arg )
{
    const struct wait_spec * w = arg;
    const char * name = pcTaskGetName( NULL );
    EventBits_t r = xEventGroupWaitBits( eg, w->bits, w->clear, w->all, w->timeout );

    trace( "%s: wait %x -> %x at tick %lu, group now %x", name, ( unsigned ) w->bits, ( unsigned ) r, now(),
           ( unsigned ) xEventGroupGetBits( eg ) );
    vTaskDelete( NULL );
}

#define SYNC_BITS    0x7U

static void syncer( void * arg )
{
    EventBits_t mine = ( EventBits_t ) ( uintptr_t ) arg;
    const char * name = pcTaskGetName( NULL );

    vTaskDelay( ( TickType_t ) mine );
    trace( "%s: arrives at tick %lu", name, now() );
    EventBits_t r = xEventGroupSync( eg, mine, SYNC_BITS, 50 );
    trace( "%s: released -> %x at tick %lu", name, ( unsigned ) r, now() );
    vTaskDelete( NULL );
}

static void isr_set( void * arg )
{
    BaseType_t woken = pdFALSE;
    BaseType_t r = xEventGroupSetBitsFromISR( eg, ( EventBits_t ) ( uintptr_t ) arg, &woken );

    trace( "isr: set %x -> %d, woken %d", ( unsigned ) ( uintptr_t ) arg, ( int ) r, ( int ) woken );
    portYIELD_FROM_ISR( woken );
}

static void isr_clear( void * arg )
{
    BaseType_t r = xEventGroupClearBitsFromISR( eg, ( EventBits_t ) ( uintptr_t ) arg );

    trace( "isr: clear %x -> %d, bits %x", ( unsigned ) ( uintptr_t ) arg, ( int ) r, ( unsigned ) xEventGroupGetBitsFromISR( eg ) );
}

static StaticEventGroup_t static_group;

static void ctrl_task( void * arg )
{
    ( void ) arg;
    sync_start();
    eg = xEventGroupCreate();
    trace( "initial bits %x", ( unsigned ) xEventGroupGetBits( eg ) );
    trace( "set 0x5 -> %x", ( unsigned ) xEventGroupSetBits( eg, 0x5 ) );
    trace( "clear 0x4 -> %x (bits before)", ( unsigned ) xEventGroupClearBits( eg, 0x4 ) );
    trace( "bits %x", ( unsigned ) xEventGroupGetBits( eg ) );

    /* Waits satisfied at once. */
    trace( "wait any 0x3 no clear -> %x", ( unsigned ) xEventGroupWaitBits( eg, 0x3, pdFALSE, pdFALSE, 0 ) );
    trace( "wait all 0x3 -> %x (timeout 0)", ( unsigned ) xEventGroupWaitBits( eg, 0x3, pdFALSE, pdTRUE, 0 ) );
    trace( "wait any 0x1 clear -> %x, bits %x", ( unsigned ) xEventGroupWaitBits( eg, 0x1, pdTRUE, pdFALSE, 0 ),
           ( unsigned ) xEventGroupGetBits( eg ) );
    unsigned long t = now();
    EventBits_t r = xEventGroupWaitBits( eg, 0x30, pdTRUE, pdTRUE, 3 );
    trace( "wait all 0x30 with 3-tick timeout -> %x after %lu ticks", ( unsigned ) r, now() - t );

    /* Several waiters, one set releases those satisfied; clear-on-exit of each applies. */
    static const struct wait_spec any_a = { 0x11, pdFALSE, pdFALSE, 100 };
    static const struct wait_spec all_ab = { 0x03, pdTRUE, pdTRUE, 100 };
    static const struct wait_spec any_c_clear = { 0x06, pdTRUE, pdFALSE, 100 };
    static const struct wait_spec all_never = { 0x300, pdTRUE, pdTRUE, 5 };
    vTaskDelay( 1 );
    spawn( waiter, "any-11", 3, ( void * ) &any_a );
    spawn( waiter, "all-03", 4, ( void * ) &all_ab );
    spawn( waiter, "any-06", 2, ( void * ) &any_c_clear );
    spawn( waiter, "all-300", 2, ( void * ) &all_never );
    vTaskDelay( 1 );
    trace( "ctrl: set 0x1 -> %x", ( unsigned ) xEventGroupSetBits( eg, 0x1 ) );
    vTaskDelay( 1 );
    trace( "ctrl: set 0x2 -> %x", ( unsigned ) xEventGroupSetBits( eg, 0x2 ) );
    vTaskDelay( 1 );
    trace( "ctrl: set 0x100 -> %x", ( unsigned ) xEventGroupSetBits( eg, 0x100 ) );
    vTaskDelay( 5 );
    trace( "ctrl: bits %x at tick %lu", ( unsigned ) xEventGroupGetBits( eg ), now() );
    ( void ) xEventGroupClearBits( eg, 0xffff );

    /* A more urgent waiter runs inside the set call. */
    static const struct wait_spec urgent = { 0x8, pdTRUE, pdFALSE, 100 };
    spawn( waiter, "urgent", 7, ( void * ) &urgent );
    trace( "ctrl: set 0x8 -> %x", ( unsigned ) xEventGroupSetBits( eg, 0x8 ) );

    /* Rendezvous of three tasks. */
    spawn( syncer, "sync-1", 3, ( void * ) 1 );
    spawn( syncer, "sync-2", 4, ( void * ) 2 );
    spawn( syncer, "sync-4", 2, ( void * ) 4 );
    vTaskDelay( 8 );
    trace( "ctrl: after sync, bits %x", ( unsigned ) xEventGroupGetBits( eg ) );

    /* From an interrupt: the set is deferred to the timer service task. */
    static const struct wait_spec from_isr = { 0x40, pdTRUE, pdFALSE, 100 };
    spawn( waiter, "isr-wait", 6, ( void * ) &from_isr );
    trace_run_isr( isr_set, ( void * ) 0x40 );
    trace( "ctrl: after isr set" );
    vTaskDelay( 1 );
    ( void ) xEventGroupSetBits( eg, 0x3 );
    trace_run_isr( isr_clear, ( void * ) 0x1 );
    vTaskDelay( 1 );
    trace( "ctrl: bits %x after the deferred clear", ( unsigned ) xEventGroupGetBits( eg ) );

    /* Static event group. */
    EventGroupHandle_t s = xEventGroupCreateStatic( &static_group );
    trace( "static: set 0x80 -> %x", ( unsigned ) xEventGroupSetBits( s, 0x80 ) );
    vEventGroupDelete( s );
    vEventGroupDelete( eg );
    finish_program();
}

int main( void )
{
    run_program( ctrl_task, 5 );
}
