/*
 * Small helpers shared by the trace programs (plain FreeRTOS API, no platform code).
 */
#ifndef UTIL_H
#define UTIL_H

#include "FreeRTOS.h"
#include "task.h"
#include "trace.h"

/* Tick at which a program's time line starts (set by sync_start()). */
static TickType_t util_t0;

/* Waits for the next tick boundary and makes it tick 0 of the trace: everything a task does
 * right after a delay ends runs at the start of a tick, far from the next one. */
static inline void sync_start( void )
{
    vTaskDelay( 1 );
    util_t0 = xTaskGetTickCount();
}

/* Ticks since sync_start(). */
static inline unsigned long now( void )
{
    return ( unsigned long ) ( xTaskGetTickCount() - util_t0 );
}

static inline const char * state_name( eTaskState s )
{
    switch( s )
    {
        case eRunning:   return "running";
        case eReady:     return "ready";
        case eBlocked:   return "blocked";
        case eSuspended: return "suspended";
        case eDeleted:   return "deleted";
        default:         return "invalid";
    }
}

/* Creates a task and fails the run if that is impossible. */
static inline TaskHandle_t spawn( TaskFunction_t fn, const char * name, UBaseType_t priority, void * arg )
{
    TaskHandle_t h = NULL;

    if( xTaskCreate( fn, name, 512, arg, priority, &h ) != pdPASS )
    {
        trace_fail( "cannot create task %s", name );
    }

    return h;
}

/* The usual main(): a control task `ctrl` at `priority` runs the program; the scheduler never
 * returns. */
static inline void run_program( TaskFunction_t ctrl, UBaseType_t priority )
{
    spawn( ctrl, "ctrl", priority, NULL );
    vTaskStartScheduler();
    trace_fail( "scheduler returned" );
}

/* The usual end: the tick the program finished at, then "done". */
static inline void finish_program( void )
{
    trace( "finished at tick %lu", now() );
    trace_done();
}

#endif /* UTIL_H */
