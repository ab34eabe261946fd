/*
 * Compartment `service`: a FreeRTOS application whose exports run on the *caller's* thread (a
 * thread of compartment `client`). They block on a semaphore that one of its own tasks gives,
 * and ask for the current task handle: the layer must give the foreign thread a control block of
 * its own, distinct from every task of the compartment and stable across calls.
 */
#include <stdint.h>

#include "FreeRTOS.h"
#include "semphr.h"
#include "task.h"

#include "service.h"

static SemaphoreHandle_t sem;
static TaskHandle_t main_handle;
static volatile uint32_t ready;

static void giver( void * arg )
{
    ( void ) arg;

    for( ; ; )
    {
        vTaskDelay( 5 );
        ( void ) xSemaphoreGive( sem );
    }
}

int main( void )
{
    main_handle = xTaskGetCurrentTaskHandle();
    sem = xSemaphoreCreateBinary();
    configASSERT( sem != NULL );
    configASSERT( xTaskCreate( giver, "giver", 256, NULL, 2, NULL ) == pdPASS );
    ready = 1;
    vTaskStartScheduler();
    return 1;
}

uint32_t fr_ready( void )
{
    return ready;
}

uint32_t fr_take( uint32_t ticks )
{
    return xSemaphoreTake( sem, ( TickType_t ) ticks ) == pdTRUE;
}

uint32_t fr_self( void )
{
    return ( uint32_t ) ( uintptr_t ) xTaskGetCurrentTaskHandle();
}

uint32_t fr_main_handle( void )
{
    return ( uint32_t ) ( uintptr_t ) main_handle;
}

uint32_t fr_tasks( void )
{
    return ( uint32_t ) uxTaskGetNumberOfTasks();
}
