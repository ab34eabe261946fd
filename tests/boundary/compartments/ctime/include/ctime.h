/* Exports of the C compartment `ctime` (tests/boundary/images/clock.toml): the wall clock and
 * caller identity through rtos.h. Each returns a value, or a negative status code as uint32_t.
 * The build tool reads their signatures from here (bindgen) to type the callers' stubs. */
#ifndef CTIME_H
#define CTIME_H

#include <stdint.h>

/* rtos_caller: the manifest index of the compartment that called this export. */
uint32_t ct_caller(void);
/* rtos_wall_clock: whole seconds since the Unix epoch. */
uint32_t ct_clock_s(void);
/* rtos_clock_cap: the status only (ctime has no may_set_clock). */
uint32_t ct_clock_cap(void);
/* rtos_wall_clock_set with a capability lent by the caller, to lo | hi << 32 microseconds. */
uint32_t ct_set(uint32_t cap, uint32_t lo, uint32_t hi);

#endif /* CTIME_H */
