/*
 * Queue sets: adding queues and semaphores (empty members only), selecting members in the order
 * their events arrived, a task blocked on the set woken by a member, select timeouts, removing a
 * member, selecting from an interrupt.
 */
#include "FreeRTOS.h"
#include "queue.h"
#include "semphr.h"
#include "task.h"

#include "trace.h"
#include "util.h"

static QueueHandle_t q1;
static QueueHandle_t q2;
static SemaphoreHandle_t sem;
static QueueSetHandle_t set;

static const char * member_name( QueueSetMemberHandle_t m )
{
    if( m == NULL )
    {
        return "none";
    }

    return m == q1 ? "q1" : m == q2 ? "q2" : m == sem ? "sem" : "?";
}

/* Takes the event from the selected member. */
static void consume( const char * who, QueueSetMemberHandle_t m )
{
    uint32_t v = 0;

    if( m == sem )
    {
        trace( "%s: selected sem, take -> %d", who, ( int ) xSemaphoreTake( sem, 0 ) );
    }
    else if( m != NULL )
    {
        BaseType_t r = xQueueReceive( m, &v, 0 );
        trace( "%s: selected %s, receive -> %d value %u", who, member_name( m ), ( int ) r, ( unsigned ) v );
    }
    else
    {
        trace( "%s: nothing selected at tick %lu", who, now() );
    }
}

static void selector( void * arg )
{
    ( void ) arg;

    for( int i = 0; i < 3; i++ )
    {
        consume( "selector", xQueueSelectFromSet( set, 10 ) );
    }

    vTaskDelete( NULL );
}

static void isr_select( void * arg )
{
    ( void ) arg;
    QueueSetMemberHandle_t m = xQueueSelectFromSetFromISR( set );
    uint32_t v = 0;
    BaseType_t woken = pdFALSE;

    if( m != NULL && m != sem )
    {
        ( void ) xQueueReceiveFromISR( m, &v, &woken );
    }

    trace( "isr: selected %s value %u", member_name( m ), ( unsigned ) v );
}

static void ctrl_task( void * arg )
{
    uint32_t v;

    ( void ) arg;
    sync_start();
    q1 = xQueueCreate( 3, sizeof( uint32_t ) );
    q2 = xQueueCreate( 3, sizeof( uint32_t ) );
    sem = xSemaphoreCreateBinary();
    set = xQueueCreateSet( 3 + 3 + 1 );
    trace( "add q1 -> %d, q2 -> %d, sem -> %d", ( int ) xQueueAddToSet( q1, set ), ( int ) xQueueAddToSet( q2, set ),
           ( int ) xQueueAddToSet( sem, set ) );
    trace( "add q1 again -> %d", ( int ) xQueueAddToSet( q1, set ) );

    /* Events are selected in arrival order. */
    v = 1;
    ( void ) xQueueSend( q2, &v, 0 );
    ( void ) xSemaphoreGive( sem );
    v = 2;
    ( void ) xQueueSend( q1, &v, 0 );
    v = 3;
    ( void ) xQueueSend( q2, &v, 0 );
    for( int i = 0; i < 5; i++ )
    {
        consume( "ctrl", xQueueSelectFromSet( set, 0 ) );
    }
    unsigned long t = now();
    QueueSetMemberHandle_t m = xQueueSelectFromSet( set, 3 );
    trace( "ctrl: select with timeout 3 -> %s after %lu ticks", member_name( m ), now() - t );

    /* A more urgent task blocked on the set. */
    spawn( selector, "selector", 7, NULL );
    v = 10;
    trace( "ctrl: send q1 -> %d", ( int ) xQueueSend( q1, &v, 0 ) );
    trace( "ctrl: give sem -> %d", ( int ) xSemaphoreGive( sem ) );
    vTaskDelay( 12 );

    /* A member can leave the set only while empty. */
    v = 4;
    ( void ) xQueueSend( q2, &v, 0 );
    trace( "ctrl: remove q2 (not empty) -> %d", ( int ) xQueueRemoveFromSet( q2, set ) );
    consume( "ctrl", xQueueSelectFromSet( set, 0 ) );
    trace( "ctrl: remove q2 -> %d", ( int ) xQueueRemoveFromSet( q2, set ) );
    v = 5;
    ( void ) xQueueSend( q2, &v, 0 );
    trace( "ctrl: after sending to the removed q2, select -> %s", member_name( xQueueSelectFromSet( set, 0 ) ) );
    ( void ) xQueueReceive( q2, &v, 0 );
    trace( "ctrl: add non-empty q2 -> %d", ( int ) ( v = 6, xQueueSend( q2, &v, 0 ), xQueueAddToSet( q2, set ) ) );

    /* From an interrupt. */
    v = 8;
    ( void ) xQueueSend( q1, &v, 0 );
    trace_run_isr( isr_select, NULL );
    trace_run_isr( isr_select, NULL );
    finish_program();
}

int main( void )
{
    run_program( ctrl_task, 5 );
}
