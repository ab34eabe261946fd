/*
 * Queues: send to back and front, overwrite, peek, receive, reset, messages waiting/spaces,
 * block-time expiry on empty and full queues, blocked receivers and senders woken by priority
 * and then in FIFO order, FromISR variants from an interrupt, the queue registry, static queues.
 */
#include "FreeRTOS.h"
#include "queue.h"
#include "task.h"

#include "trace.h"
#include "util.h"

static QueueHandle_t q;

static void receiver( void * arg )
{
    const char * name = pcTaskGetName( NULL );
    uint32_t v = 0;
    BaseType_t r = xQueueReceive( q, &v, ( TickType_t ) ( uintptr_t ) arg );

    trace( "%s: receive -> %d value %u at tick %lu", name, ( int ) r, ( unsigned ) v, now() );
    vTaskDelete( NULL );
}

static void sender( void * arg )
{
    const char * name = pcTaskGetName( NULL );
    uint32_t v = ( uint32_t ) ( uintptr_t ) arg;
    BaseType_t r = xQueueSendToBack( q, &v, 50 );

    trace( "%s: send %u -> %d at tick %lu", name, ( unsigned ) v, ( int ) r, now() );
    vTaskDelete( NULL );
}

static void drain( const char * what )
{
    uint32_t v;

    trace( "%s: %u waiting, %u spaces", what, ( unsigned ) uxQueueMessagesWaiting( q ), ( unsigned ) uxQueueSpacesAvailable( q ) );

    while( xQueueReceive( q, &v, 0 ) == pdPASS )
    {
        trace( "  got %u", ( unsigned ) v );
    }
}

struct isr_args
{
    QueueHandle_t queue;
    uint32_t value;
};

static void isr_send( void * p )
{
    struct isr_args * a = p;
    BaseType_t woken = pdFALSE;
    BaseType_t r = xQueueSendToBackFromISR( a->queue, &a->value, &woken );

    trace( "isr: send %u -> %d, woken %d, waiting %u", ( unsigned ) a->value, ( int ) r, ( int ) woken,
           ( unsigned ) uxQueueMessagesWaitingFromISR( a->queue ) );
    portYIELD_FROM_ISR( woken );
}

static void isr_receive( void * p )
{
    struct isr_args * a = p;
    BaseType_t woken = pdFALSE;
    uint32_t v = 0;
    BaseType_t peeked = xQueuePeekFromISR( a->queue, &v );

    trace( "isr: peek -> %d value %u, full %d, empty %d", ( int ) peeked, ( unsigned ) v, ( int ) xQueueIsQueueFullFromISR( a->queue ),
           ( int ) xQueueIsQueueEmptyFromISR( a->queue ) );
    BaseType_t r = xQueueReceiveFromISR( a->queue, &v, &woken );
    trace( "isr: receive -> %d value %u, woken %d", ( int ) r, ( unsigned ) v, ( int ) woken );
    portYIELD_FROM_ISR( woken );
}

static void isr_overwrite( void * p )
{
    struct isr_args * a = p;
    BaseType_t woken = pdFALSE;

    trace( "isr: overwrite %u -> %d", ( unsigned ) a->value, ( int ) xQueueOverwriteFromISR( a->queue, &a->value, &woken ) );
    portYIELD_FROM_ISR( woken );
}

static StaticQueue_t static_queue;
static uint8_t static_storage[ 2 * sizeof( uint16_t ) ];

static void ctrl_task( void * arg )
{
    uint32_t v;

    ( void ) arg;
    sync_start();

    /* Back, front, peek, ordering. */
    q = xQueueCreate( 4, sizeof( uint32_t ) );
    TRACE_CHECK( q != NULL );
    vQueueAddToRegistry( q, "numbers" );
    trace( "registry: %s", pcQueueGetName( q ) );
    v = 1;
    trace( "send back 1 -> %d", ( int ) xQueueSendToBack( q, &v, 0 ) );
    v = 2;
    trace( "send back 2 -> %d", ( int ) xQueueSend( q, &v, 0 ) );
    v = 3;
    trace( "send front 3 -> %d", ( int ) xQueueSendToFront( q, &v, 0 ) );
    v = 4;
    trace( "send back 4 -> %d", ( int ) xQueueSendToBack( q, &v, 0 ) );
    v = 5;
    trace( "send back 5 on full -> %d, full %d", ( int ) xQueueSendToBack( q, &v, 0 ), ( int ) ( uxQueueSpacesAvailable( q ) == 0 ) );
    v = 0;
    trace( "peek -> %d value %u", ( int ) xQueuePeek( q, &v, 0 ), ( unsigned ) v );
    drain( "after sends" );
    trace( "receive on empty -> %d", ( int ) xQueueReceive( q, &v, 0 ) );

    /* Reset empties the queue. */
    v = 9;
    ( void ) xQueueSend( q, &v, 0 );
    ( void ) xQueueSend( q, &v, 0 );
    trace( "reset -> %d, waiting %u", ( int ) xQueueReset( q ), ( unsigned ) uxQueueMessagesWaiting( q ) );

    /* Block-time expiry. */
    unsigned long t = now();
    BaseType_t r = xQueueReceive( q, &v, 3 );
    trace( "receive with 3-tick timeout -> %d after %lu ticks", ( int ) r, now() - t );
    for( uint32_t i = 0; i < 4; i++ )
    {
        ( void ) xQueueSend( q, &i, 0 );
    }
    t = now();
    v = 99;
    r = xQueueSend( q, &v, 2 );
    trace( "send with 2-tick timeout on full -> %d after %lu ticks", ( int ) r, now() - t );
    ( void ) xQueueReset( q );

    /* Blocked receivers: woken by priority, then FIFO among equals. */
    vTaskDelay( 1 );
    spawn( receiver, "r-low", 3, ( void * ) 100 );
    spawn( receiver, "r-high", 4, ( void * ) 100 );
    spawn( receiver, "r-low2", 3, ( void * ) 100 );
    spawn( receiver, "r-high2", 4, ( void * ) 100 );
    spawn( receiver, "r-short", 4, ( void * ) 2 );
    vTaskDelay( 1 );
    trace( "ctrl: receivers blocked at tick %lu", now() );
    vTaskDelay( 2 );
    trace( "ctrl: r-short timed out by tick %lu", now() );
    for( uint32_t i = 10; i < 14; i++ )
    {
        trace( "ctrl: send %u", ( unsigned ) i );
        ( void ) xQueueSend( q, &i, 0 );
    }
    /* All four receivers are below us: they run when we block. */
    vTaskDelay( 1 );

    /* Blocked senders on a full queue. */
    for( uint32_t i = 0; i < 4; i++ )
    {
        ( void ) xQueueSend( q, &i, 0 );
    }
    spawn( sender, "s-low", 3, ( void * ) 21 );
    spawn( sender, "s-high", 4, ( void * ) 22 );
    spawn( sender, "s-low2", 3, ( void * ) 23 );
    vTaskDelay( 1 );
    trace( "ctrl: senders blocked, %u waiting", ( unsigned ) uxQueueMessagesWaiting( q ) );
    for( int i = 0; i < 3; i++ )
    {
        ( void ) xQueueReceive( q, &v, 0 );
        trace( "ctrl: took %u", ( unsigned ) v );
        vTaskDelay( 1 );
    }
    drain( "after senders" );

    /* Overwrite on a length-1 queue (a mailbox). */
    QueueHandle_t box = xQueueCreate( 1, sizeof( uint32_t ) );
    v = 7;
    trace( "overwrite 7 -> %d", ( int ) xQueueOverwrite( box, &v ) );
    v = 8;
    trace( "overwrite 8 -> %d", ( int ) xQueueOverwrite( box, &v ) );
    trace( "box peek -> %d value %u, waiting %u", ( int ) xQueuePeek( box, &v, 0 ), ( unsigned ) v, ( unsigned ) uxQueueMessagesWaiting( box ) );

    /* FromISR variants from an interrupt. */
    struct isr_args a = { q, 31 };
    trace_run_isr( isr_send, &a );
    a.value = 32;
    trace_run_isr( isr_send, &a );
    trace_run_isr( isr_receive, &a );
    struct isr_args b = { box, 55 };
    trace_run_isr( isr_overwrite, &b );
    trace( "box now %u", ( unsigned ) ( xQueueReceive( box, &v, 0 ) == pdPASS ? v : 0 ) );
    drain( "after isr" );

    /* An interrupt send wakes a blocked, more urgent receiver: it runs right after the ISR. */
    spawn( receiver, "r-isr", 6, ( void * ) 100 );
    a.value = 77;
    trace_run_isr( isr_send, &a );
    trace( "ctrl: after isr send" );

    /* Static queue. */
    QueueHandle_t sq = xQueueCreateStatic( 2, sizeof( uint16_t ), static_storage, &static_queue );
    uint16_t h = 0xbeef;
    ( void ) xQueueSend( sq, &h, 0 );
    h = 0;
    trace( "static queue: receive -> %d value %x, spaces %u", ( int ) xQueueReceive( sq, &h, 0 ), ( unsigned ) h,
           ( unsigned ) uxQueueSpacesAvailable( sq ) );

    /* Registry removal; deletion. */
    vQueueUnregisterQueue( q );
    trace( "registry after removal: %s", pcQueueGetName( q ) == NULL ? "none" : pcQueueGetName( q ) );
    vQueueDelete( box );
    vQueueDelete( sq );
    finish_program();
}

int main( void )
{
    run_program( ctrl_task, 5 );
}
