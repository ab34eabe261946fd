/*
 * Statically allocated queues, semaphores and queue sets: the buffers an object was created in
 * (xQueueGetStaticBuffers, xSemaphoreGetStaticBuffer; none for heap objects), object types
 * (ucQueueGetQueueType), a static queue set selecting a static member, a full static queue.
 */
#include "FreeRTOS.h"
#include "queue.h"
#include "semphr.h"
#include "task.h"

#include "trace.h"
#include "util.h"

static StaticQueue_t queue_buffer;
static uint32_t queue_storage[ 3 ];
static StaticQueue_t set_buffer;
static QueueHandle_t set_storage[ 4 ];
static StaticSemaphore_t mutex_buffer;
static StaticSemaphore_t counting_buffer;

static const char * same( const void * a, const void * b )
{
    return a == b ? "given" : "other";
}

static void ctrl_task( void * arg )
{
    ( void ) arg;
    sync_start();

    QueueHandle_t q = xQueueCreateStatic( 3, sizeof( uint32_t ), ( uint8_t * ) queue_storage, &queue_buffer );
    uint8_t * storage = NULL;
    StaticQueue_t * buffer = NULL;
    BaseType_t r = xQueueGetStaticBuffers( q, &storage, &buffer );
    trace( "static queue: buffers -> %d, storage %s, struct %s", ( int ) r, same( storage, queue_storage ), same( buffer, &queue_buffer ) );

    QueueHandle_t d = xQueueCreate( 2, sizeof( uint32_t ) );
    trace( "heap queue: buffers -> %d", ( int ) xQueueGetStaticBuffers( d, &storage, &buffer ) );

    SemaphoreHandle_t m = xSemaphoreCreateMutexStatic( &mutex_buffer );
    StaticSemaphore_t * sb = NULL;
    r = xSemaphoreGetStaticBuffer( m, &sb );
    trace( "static mutex: buffer -> %d, %s", ( int ) r, same( sb, &mutex_buffer ) );

    SemaphoreHandle_t c = xSemaphoreCreateCountingStatic( 5, 2, &counting_buffer );
    SemaphoreHandle_t bin = xSemaphoreCreateBinary();
    SemaphoreHandle_t rec = xSemaphoreCreateRecursiveMutex();
    trace( "types: queue %u, mutex %u, counting %u, binary %u, recursive %u", ( unsigned ) ucQueueGetQueueType( q ),
           ( unsigned ) ucQueueGetQueueType( m ), ( unsigned ) ucQueueGetQueueType( c ), ( unsigned ) ucQueueGetQueueType( bin ),
           ( unsigned ) ucQueueGetQueueType( rec ) );
    trace( "static counting semaphore: count %u", ( unsigned ) uxSemaphoreGetCount( c ) );

    QueueSetHandle_t set = xQueueCreateSetStatic( 4, ( uint8_t * ) set_storage, &set_buffer );
    trace( "static set: add queue -> %d, add counting semaphore (not empty) -> %d", ( int ) xQueueAddToSet( q, set ),
           ( int ) xQueueAddToSet( c, set ) );
    for( uint32_t v = 1; v <= 4; v++ )
    {
        trace( "send %u -> %d", ( unsigned ) v, ( int ) xQueueSend( q, &v, 0 ) );
    }
    for( int i = 0; i < 4; i++ )
    {
        QueueSetMemberHandle_t sel = xQueueSelectFromSet( set, 0 );
        uint32_t v = 0;
        BaseType_t got = sel == q ? xQueueReceive( q, &v, 0 ) : pdFAIL;
        trace( "select -> %s, receive -> %d value %u", sel == q ? "queue" : sel == NULL ? "none" : "?", ( int ) got, ( unsigned ) v );
    }

    vQueueDelete( d );
    vSemaphoreDelete( bin );
    vSemaphoreDelete( rec );
    finish_program();
}

int main( void )
{
    run_program( ctrl_task, 5 );
}
