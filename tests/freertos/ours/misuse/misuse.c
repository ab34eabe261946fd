/*
 * Misuse of the queue API on our layer (test freertos/compat_queue_misuse): every call the
 * FreeRTOS kernel rejects with configASSERT must run configASSERT exactly once (here it counts,
 * see FreeRTOSConfig.h) and then fail without touching the object; correct calls must not assert.
 * Not a differential program: on the reference kernel these calls end the run.
 */
#include "FreeRTOS.h"
#include "queue.h"
#include "semphr.h"
#include "task.h"

#include "trace.h"

volatile unsigned misuse_asserts;

static unsigned checks;

/* Runs `call`, then checks its result and that it asserted `asserts` times. */
#define EXPECT( call, expected, asserts )                                                            \
    do {                                                                                             \
        unsigned before_ = misuse_asserts;                                                           \
        long got_ = ( long ) ( call );                                                               \
        checks++;                                                                                    \
        if( got_ != ( long ) ( expected ) || misuse_asserts - before_ != ( asserts ) )               \
        {                                                                                            \
            trace_fail( "line %d: %s gave %ld with %u asserts, expected %ld with %u", __LINE__,      \
                        #call, got_, misuse_asserts - before_, ( long ) ( expected ), ( unsigned ) ( asserts ) ); \
        }                                                                                            \
    } while( 0 )

static SemaphoreHandle_t held;

static void holder( void * arg )
{
    ( void ) arg;
    ( void ) xSemaphoreTake( held, 0 );
    /* Deleted while holding it: the mutex stays held (as in FreeRTOS). */
    vTaskDelete( NULL );
}

static void from_isr( void * arg )
{
    QueueHandle_t sem = arg;
    uint32_t v = 0;
    BaseType_t woken = pdFALSE;

    EXPECT( xQueuePeekFromISR( sem, &v ), pdFAIL, 1 );           /* a semaphore cannot be peeked */
    EXPECT( xSemaphoreGiveFromISR( held, &woken ), pdFAIL, 1 );  /* a held mutex, from an interrupt */
    EXPECT( xQueueReceiveFromISR( NULL, &v, &woken ), pdFAIL, 1 );
}

static void ctrl( void * arg )
{
    uint32_t v = 7;

    ( void ) arg;
    QueueHandle_t q = xQueueCreate( 4, sizeof( uint32_t ) );
    QueueHandle_t box = xQueueCreate( 1, sizeof( uint32_t ) );
    SemaphoreHandle_t sem = xSemaphoreCreateBinary();
    TRACE_CHECK( q != NULL && box != NULL && sem != NULL );

    /* Correct use does not assert. */
    EXPECT( xQueueSend( q, &v, 0 ), pdPASS, 0 );
    EXPECT( xQueueOverwrite( box, &v ), pdPASS, 0 );
    EXPECT( xSemaphoreGive( sem ), pdPASS, 0 );

    /* NULL handles. */
    EXPECT( xQueueSend( NULL, &v, 0 ), pdFAIL, 1 );
    EXPECT( xQueueReceive( NULL, &v, 0 ), pdFAIL, 1 );
    EXPECT( uxQueueMessagesWaiting( NULL ), 0, 1 );
    EXPECT( xSemaphoreTake( NULL, 0 ), pdFAIL, 1 );
    EXPECT( pcQueueGetName( NULL ), NULL, 1 );

    /* NULL buffers for items with a size; overwrite of a queue longer than 1; peeking or taking
     * the wrong kind of object. The queue keeps its one item. */
    EXPECT( xQueueSend( q, NULL, 0 ), pdFAIL, 1 );
    EXPECT( xQueueReceive( q, NULL, 0 ), pdFAIL, 1 );
    EXPECT( xQueueOverwrite( q, &v ), pdFAIL, 1 );
    EXPECT( xSemaphoreTake( q, 0 ), pdFAIL, 1 );
    EXPECT( uxQueueMessagesWaiting( q ), 1, 0 );

    /* Impossible creations. */
    EXPECT( xQueueCreate( 0, sizeof( uint32_t ) ), NULL, 1 );
    EXPECT( xQueueCreate( 0x40000000UL, 16 ), NULL, 1 );
    EXPECT( xSemaphoreCreateCounting( 2, 3 ), NULL, 1 );

    /* Blocking inside a critical section would stop every task that enters one. */
    ( void ) xQueueReceive( q, &v, 0 );
    taskENTER_CRITICAL();
    EXPECT( xQueueReceive( q, &v, 10 ), pdFAIL, 1 );
    taskEXIT_CRITICAL();
    EXPECT( xQueueReceive( q, &v, 0 ), pdFAIL, 0 ); /* merely empty: no assert */

    /* A mutex given by a task that does not hold it. */
    held = xSemaphoreCreateMutex();
    TaskHandle_t h = NULL;
    TRACE_CHECK( xTaskCreate( holder, "holder", 512, NULL, 6, &h ) == pdPASS );
    vTaskDelay( 1 );
    EXPECT( xSemaphoreGive( held ), pdFAIL, 1 );
    EXPECT( xSemaphoreGetMutexHolder( held ) != NULL, 1, 0 );
    EXPECT( xSemaphoreTake( held, 0 ), pdFAIL, 0 ); /* still held */

    trace_run_isr( from_isr, sem );

    trace( "misuse: %u checks passed", checks );
    trace_done();
}

int main( void )
{
    if( xTaskCreate( ctrl, "ctrl", 1024, NULL, 5, NULL ) != pdPASS )
    {
        trace_fail( "cannot create the task" );
    }

    vTaskStartScheduler();
    trace_fail( "scheduler returned" );
}
