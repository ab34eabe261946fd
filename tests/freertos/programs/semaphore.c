/*
 * Binary and counting semaphores: initial states, give/take return values, counts, take
 * timeouts, waiters woken by priority then FIFO, gives from an interrupt, static semaphores.
 */
#include "FreeRTOS.h"
#include "semphr.h"
#include "task.h"

#include "trace.h"
#include "util.h"

static SemaphoreHandle_t bin;
static SemaphoreHandle_t count;

static void taker( void * arg )
{
    SemaphoreHandle_t s = arg;
    const char * name = pcTaskGetName( NULL );

    for( int i = 0; i < 2; i++ )
    {
        BaseType_t r = xSemaphoreTake( s, 20 );
        trace( "%s: take -> %d at tick %lu", name, ( int ) r, now() );
    }

    vTaskDelete( NULL );
}

static void isr_give( void * arg )
{
    BaseType_t woken = pdFALSE;
    BaseType_t r = xSemaphoreGiveFromISR( ( SemaphoreHandle_t ) arg, &woken );

    trace( "isr: give -> %d, woken %d", ( int ) r, ( int ) woken );
    portYIELD_FROM_ISR( woken );
}

static void isr_take( void * arg )
{
    BaseType_t woken = pdFALSE;
    BaseType_t r = xSemaphoreTakeFromISR( ( SemaphoreHandle_t ) arg, &woken );

    trace( "isr: take -> %d, count %u", ( int ) r, ( unsigned ) uxSemaphoreGetCountFromISR( ( SemaphoreHandle_t ) arg ) );
}

static StaticSemaphore_t static_bin_buf;
static StaticSemaphore_t static_count_buf;

static void ctrl_task( void * arg )
{
    ( void ) arg;
    sync_start();

    /* Binary: created empty. */
    bin = xSemaphoreCreateBinary();
    trace( "binary: count %u, take -> %d", ( unsigned ) uxSemaphoreGetCount( bin ), ( int ) xSemaphoreTake( bin, 0 ) );
    trace( "binary: give -> %d, give again -> %d, count %u", ( int ) xSemaphoreGive( bin ), ( int ) xSemaphoreGive( bin ),
           ( unsigned ) uxSemaphoreGetCount( bin ) );
    trace( "binary: take -> %d, take -> %d", ( int ) xSemaphoreTake( bin, 0 ), ( int ) xSemaphoreTake( bin, 0 ) );
    unsigned long t = now();
    trace( "binary: take with 4-tick timeout -> %d after %lu ticks", ( int ) xSemaphoreTake( bin, 4 ), now() - t );

    /* Counting: maximum and initial count. */
    count = xSemaphoreCreateCounting( 3, 1 );
    trace( "counting: initial %u", ( unsigned ) uxSemaphoreGetCount( count ) );
    for( int i = 0; i < 3; i++ )
    {
        BaseType_t r = xSemaphoreGive( count );
        trace( "counting: give -> %d, count %u", ( int ) r, ( unsigned ) uxSemaphoreGetCount( count ) );
    }
    for( int i = 0; i < 4; i++ )
    {
        BaseType_t r = xSemaphoreTake( count, 0 );
        trace( "counting: take -> %d, count %u", ( int ) r, ( unsigned ) uxSemaphoreGetCount( count ) );
    }

    /* Waiters: priority first, FIFO among equals; each takes twice. */
    vTaskDelay( 1 );
    spawn( taker, "t-low", 2, count );
    spawn( taker, "t-mid-a", 3, count );
    spawn( taker, "t-mid-b", 3, count );
    spawn( taker, "t-high", 4, count );
    vTaskDelay( 1 );
    trace( "ctrl: four takers blocked" );
    for( int i = 0; i < 3; i++ )
    {
        trace( "ctrl: give -> %d", ( int ) xSemaphoreGive( count ) );
    }
    vTaskDelay( 1 );
    trace( "ctrl: count %u", ( unsigned ) uxSemaphoreGetCount( count ) );
    for( int i = 0; i < 3; i++ )
    {
        trace( "ctrl: give -> %d", ( int ) xSemaphoreGive( count ) );
        vTaskDelay( 1 );
    }
    /* The rest time out 20 ticks after they blocked. */
    vTaskDelay( 25 );
    trace( "ctrl: count %u at tick %lu", ( unsigned ) uxSemaphoreGetCount( count ), now() );

    /* Interrupt gives and takes. */
    trace_run_isr( isr_give, bin );
    trace_run_isr( isr_give, bin );
    trace_run_isr( isr_take, bin );
    trace_run_isr( isr_take, bin );
    spawn( taker, "t-urgent", 7, bin );
    trace( "ctrl: t-urgent waiting" );
    trace_run_isr( isr_give, bin );
    trace( "ctrl: after the interrupt" );
    vTaskDelay( 22 );

    /* Static semaphores. */
    SemaphoreHandle_t sb = xSemaphoreCreateBinaryStatic( &static_bin_buf );
    SemaphoreHandle_t sc = xSemaphoreCreateCountingStatic( 5, 5, &static_count_buf );
    trace( "static: binary count %u, counting count %u", ( unsigned ) uxSemaphoreGetCount( sb ), ( unsigned ) uxSemaphoreGetCount( sc ) );
    trace( "static: counting give on full -> %d", ( int ) xSemaphoreGive( sc ) );
    vSemaphoreDelete( sb );
    vSemaphoreDelete( sc );
    vSemaphoreDelete( bin );
    vSemaphoreDelete( count );
    finish_program();
}

int main( void )
{
    run_program( ctrl_task, 5 );
}
