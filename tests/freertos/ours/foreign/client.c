/*
 * Compartment `client` (plain C, no FreeRTOS): its thread calls the FreeRTOS compartment
 * `service`, whose exports block on a FreeRTOS semaphore and look up the current task on this
 * (foreign) thread. Prints one line per check and ends the run.
 */
#include <stdint.h>

#include "rtos.h"
#include "imports.h"

static void say( const char * s )
{
    uint32_t n = 0;

    while( s[ n ] != '\0' )
    {
        n++;
    }

    ( void ) rtos_console_write( ( const uint8_t * ) s, n );
}

static uint32_t failures;

static void check( int ok, const char * what )
{
    say( ok ? "foreign: ok   " : "foreign: FAIL " );
    say( what );
    say( "\n" );
    failures += ok ? 0 : 1;
}

void client_main( uintptr_t arg )
{
    uint32_t r = 0, self1 = 0, self2 = 0, main_h = 0, tasks_before = 0, tasks_after = 0;

    ( void ) arg;

    while( service_fr_ready( &r ) != RTOS_OK || r == 0 )
    {
        rtos_sleep( 1 );
    }

    check( service_fr_tasks( &tasks_before ) == RTOS_OK, "the service answers" );
    check( service_fr_self( &self1 ) == RTOS_OK && service_fr_self( &self2 ) == RTOS_OK &&
           self1 != 0 && self1 == self2, "a foreign thread has one control block, the same on every call" );
    check( service_fr_main_handle( &main_h ) == RTOS_OK && main_h != 0 && self1 != main_h,
           "it is not the block of the task that ran main" );
    check( service_fr_take( 0, &r ) == RTOS_OK && r == 0, "take with block time 0 on an empty semaphore fails at once" );
    check( service_fr_take( 20, &r ) == RTOS_OK && r == 1, "take blocks the foreign thread until the service's task gives" );
    check( service_fr_take( 20, &r ) == RTOS_OK && r == 1, "and again, for the next give" );
    check( service_fr_tasks( &tasks_after ) == RTOS_OK && tasks_after == tasks_before,
           "the foreign thread is not counted as a task of the service" );
    say( failures == 0 ? "foreign: all checks passed\n" : "foreign: some checks failed\n" );
    rtos_shutdown( failures == 0 ? 0 : 1 );
}
