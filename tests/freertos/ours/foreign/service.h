/* Exports of the FreeRTOS compartment `service` (images/compat_foreign.toml), called by the
 * compartment `client` on its own thread. */
#ifndef FOREIGN_SERVICE_H
#define FOREIGN_SERVICE_H

#include <stdint.h>

/* 1 once main() has created the semaphore and the giver task. */
uint32_t fr_ready( void );
/* xSemaphoreTake on the service's binary semaphore (given every 5 ticks by its task `giver`):
 * 1 taken, 0 timed out. */
uint32_t fr_take( uint32_t ticks );
/* The calling thread's FreeRTOS task handle, as an integer. */
uint32_t fr_self( void );
/* The handle of the task running main(), for comparison. */
uint32_t fr_main_handle( void );
/* uxTaskGetNumberOfTasks(). */
uint32_t fr_tasks( void );

#endif /* FOREIGN_SERVICE_H */
