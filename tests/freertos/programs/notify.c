/*
 * Task notifications: every eNotifyAction with return values and resulting values,
 * xTaskNotifyAndQuery, ulTaskNotifyTake (clear vs decrement, timeout), xTaskNotifyWait (entry and
 * exit clear masks, timeout, pending state), the indexed array (independent slots, a wait on one
 * index not woken by another), state and value clearing, FromISR variants.
 */
#include "FreeRTOS.h"
#include "task.h"

#include "trace.h"
#include "util.h"

static TaskHandle_t ctrl;
static TaskHandle_t worker;

static void worker_task( void * arg )
{
    uint32_t v = 0;
    BaseType_t r;

    ( void ) arg;

    /* 1: take with clear: the count of gives collapses to zero. */
    trace( "worker: take(clear) -> %u at tick %lu", ( unsigned ) ulTaskNotifyTake( pdTRUE, portMAX_DELAY ), now() );
    /* 2: take with decrement (the gives arrive while it is suspended). */
    trace( "worker: take(decrement) -> %u", ( unsigned ) ulTaskNotifyTake( pdFALSE, portMAX_DELAY ) );
    trace( "worker: take(decrement) -> %u", ( unsigned ) ulTaskNotifyTake( pdFALSE, portMAX_DELAY ) );
    /* 3: timeout. */
    unsigned long t = now();
    trace( "worker: take with timeout -> %u after %lu ticks", ( unsigned ) ulTaskNotifyTake( pdTRUE, 3 ), now() - t );
    /* 4: wait with masks: clear 0x0f on entry, 0xf0 on exit. */
    r = xTaskNotifyWait( 0x0f, 0xf0, &v, portMAX_DELAY );
    trace( "worker: wait -> %d value %x at tick %lu", ( int ) r, ( unsigned ) v, now() );
    r = xTaskNotifyWait( 0, 0, &v, 0 );
    trace( "worker: wait again (nothing pending) -> %d value %x", ( int ) r, ( unsigned ) v );
    /* 5: index 2 only; a notification on index 1 must not wake it. */
    r = xTaskNotifyWaitIndexed( 2, 0, 0xffffffffUL, &v, portMAX_DELAY );
    trace( "worker: wait[2] -> %d value %x at tick %lu", ( int ) r, ( unsigned ) v, now() );
    trace( "worker: take[1] -> %u", ( unsigned ) ulTaskNotifyTakeIndexed( 1, pdTRUE, 0 ) );
    /* 6: woken from an interrupt (slot 0 still holds 0x0f from step 4). */
    trace( "worker: value clear -> %x", ( unsigned ) ulTaskNotifyValueClear( NULL, 0xffffffffUL ) );
    trace( "worker: take -> %u (from isr)", ( unsigned ) ulTaskNotifyTake( pdTRUE, portMAX_DELAY ) );
    r = xTaskNotifyWait( 0, 0xffffffffUL, &v, portMAX_DELAY );
    trace( "worker: wait -> %d value %x (from isr)", ( int ) r, ( unsigned ) v );
    xTaskNotifyGive( ctrl );
    vTaskSuspend( NULL );
}

static void isr_give( void * arg )
{
    BaseType_t woken = pdFALSE;

    ( void ) arg;
    vTaskNotifyGiveFromISR( worker, &woken );
    trace( "isr: give, woken %d", ( int ) woken );
    portYIELD_FROM_ISR( woken );
}

static void isr_notify( void * arg )
{
    BaseType_t woken = pdFALSE;
    uint32_t prev = 0;

    ( void ) arg;
    BaseType_t r = xTaskNotifyAndQueryFromISR( worker, 0x30, eSetBits, &prev, &woken );
    trace( "isr: notify set bits -> %d prev %x woken %d", ( int ) r, ( unsigned ) prev, ( int ) woken );
    r = xTaskNotifyFromISR( worker, 0x1, eSetValueWithoutOverwrite, &woken );
    trace( "isr: notify without overwrite -> %d", ( int ) r );
    portYIELD_FROM_ISR( woken );
}

static void show( const char * what, BaseType_t r, UBaseType_t index )
{
    /* Reads (and clears) the value of our own slot without blocking. */
    uint32_t v = 0;
    BaseType_t pending = xTaskNotifyWaitIndexed( index, 0, 0, &v, 0 );

    trace( "%s -> %d, pending %d, value %x", what, ( int ) r, ( int ) pending, ( unsigned ) v );
}

static void ctrl_task( void * arg )
{
    uint32_t prev = 0;

    ( void ) arg;
    sync_start();

    /* Actions on our own slot 0 (a task may notify itself). */
    TaskHandle_t me = xTaskGetCurrentTaskHandle();
    show( "no action", xTaskNotify( me, 0x1234, eNoAction ), 0 );
    show( "set bits 0x3", xTaskNotify( me, 0x3, eSetBits ), 0 );
    show( "set bits 0x4", xTaskNotify( me, 0x4, eSetBits ), 0 );
    show( "increment", xTaskNotify( me, 0, eIncrement ), 0 );
    show( "overwrite 0x55", xTaskNotify( me, 0x55, eSetValueWithOverwrite ), 0 );
    show( "without overwrite 0x66 (not pending)", xTaskNotify( me, 0x66, eSetValueWithoutOverwrite ), 0 );
    ( void ) xTaskNotify( me, 0x77, eSetValueWithOverwrite );
    show( "without overwrite 0x88 (pending)", xTaskNotify( me, 0x88, eSetValueWithoutOverwrite ), 0 );
    BaseType_t r = xTaskNotifyAndQuery( me, 0x10, eSetBits, &prev );
    trace( "and-query -> %d prev %x", ( int ) r, ( unsigned ) prev );
    ( void ) xTaskNotifyAndQuery( me, 0, eNoAction, &prev );
    trace( "and-query no action: prev %x", ( unsigned ) prev );
    trace( "state clear -> %d, again -> %d", ( int ) xTaskNotifyStateClear( NULL ), ( int ) xTaskNotifyStateClear( NULL ) );
    trace( "value clear 0x10 -> %x, value clear 0 -> %x", ( unsigned ) ulTaskNotifyValueClear( NULL, 0x10 ),
           ( unsigned ) ulTaskNotifyValueClear( NULL, 0 ) );

    /* Indexed slots are independent. */
    ( void ) xTaskNotifyIndexed( me, 1, 0xa, eSetValueWithOverwrite );
    ( void ) xTaskNotifyIndexed( me, 2, 0xb, eSetValueWithOverwrite );
    show( "slot 0 untouched", pdTRUE, 0 );
    show( "slot 1", pdTRUE, 1 );
    trace( "slot 2 state clear -> %d", ( int ) xTaskNotifyStateClearIndexed( NULL, 2 ) );
    trace( "slot 2 value clear -> %x", ( unsigned ) ulTaskNotifyValueClearIndexed( NULL, 2, 0xffffffffUL ) );

    ( void ) ulTaskNotifyValueClear( NULL, 0xffffffffUL );
    ( void ) xTaskNotifyStateClear( NULL );

    /* A worker that blocks; it is more urgent, so it runs as soon as it is notified. */
    worker = spawn( worker_task, "worker", 6, NULL );
    trace( "ctrl: worker %s", state_name( eTaskGetState( worker ) ) );
    xTaskNotifyGive( worker );
    trace( "ctrl: gave once" );
    /* Suspending a waiting task ends its wait: gives meanwhile only count. */
    vTaskSuspend( worker );
    xTaskNotifyGive( worker );
    xTaskNotifyGive( worker );
    trace( "ctrl: gave twice while it was suspended, worker %s", state_name( eTaskGetState( worker ) ) );
    vTaskResume( worker );
    trace( "ctrl: worker resumed and is %s", state_name( eTaskGetState( worker ) ) );
    vTaskDelay( 4 );
    trace( "ctrl: worker timed out by tick %lu", now() );

    /* Wait with masks: our bits 0x0f are cleared on entry, so 0xff -> 0xff; exit clears 0xf0. */
    r = xTaskNotify( worker, 0xff, eSetBits );
    trace( "ctrl: notify 0xff -> %d", ( int ) r );

    /* Index 1 does not wake a wait on index 2. */
    ( void ) xTaskNotifyIndexed( worker, 1, 0, eIncrement );
    trace( "ctrl: notified index 1, worker %s", state_name( eTaskGetState( worker ) ) );
    ( void ) xTaskNotifyIndexed( worker, 2, 0x2222, eSetValueWithOverwrite );
    trace( "ctrl: notified index 2" );

    /* From an interrupt. */
    trace_run_isr( isr_give, NULL );
    trace_run_isr( isr_notify, NULL );
    trace( "ctrl: take -> %u", ( unsigned ) ulTaskNotifyTake( pdTRUE, 10 ) );
    finish_program();
}

int main( void )
{
    if( xTaskCreate( ctrl_task, "ctrl", 1024, NULL, 5, &ctrl ) != pdPASS )
    {
        trace_fail( "cannot create ctrl" );
    }

    vTaskStartScheduler();
    trace_fail( "scheduler returned" );
}
