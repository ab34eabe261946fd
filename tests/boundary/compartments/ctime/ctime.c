/*
 * Compartment `ctime` (C): the wall clock and caller identity through the generated rtos.h.
 * It has no right of its own (no may_set_clock): it reads the clock, is refused a clock
 * capability, sets the clock with one its caller lends it, and reports who called it.
 */
#include <stdint.h>

#include "ctime.h"
#include "rtos.h"

/* A status code, or the value if the call succeeded. */
static uint32_t value_or_status(int32_t status, uint32_t value) {
    return status == RTOS_OK ? value : (uint32_t)status;
}

uint32_t ct_caller(void) {
    uint32_t index = 0;
    int32_t st = rtos_caller(&index);
    return value_or_status(st, index);
}

uint32_t ct_clock_s(void) {
    uint64_t us = 0;
    int32_t st = rtos_wall_clock(&us);
    return value_or_status(st, (uint32_t)(us / 1000000u));
}

uint32_t ct_clock_cap(void) {
    uint32_t cap = 0;
    return (uint32_t)rtos_clock_cap(&cap);
}

uint32_t ct_set(uint32_t cap, uint32_t lo, uint32_t hi) {
    return (uint32_t)rtos_wall_clock_set(cap, (uint64_t)hi << 32 | lo);
}
