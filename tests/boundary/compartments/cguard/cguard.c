/*
 * Compartment `cguard` (C): the compartment life cycle from C. Its `init` sets the state to 7,
 * its error handler records the cause and reboots on a trap (undefined instruction) but unwinds
 * anything else; `rebooter` drives it.
 */
#include <stdint.h>

#include "rtos.h"
#include "include/cguard.h"

static uint32_t state;
static uint32_t last_cause;

/* Manifest `init`: 0 = ready. */
uint32_t cg_init(void) {
    state = 7;
    return 0;
}

/* Manifest `error_handler`. */
uint32_t cg_on_error(uint32_t cause, uint32_t pc, uint32_t addr) {
    (void)pc;
    (void)addr;
    last_cause = cause;
    return cause == RTOS_FAULT_CAUSE_USAGE ? RTOS_FAULT_REBOOT : RTOS_FAULT_UNWIND;
}

uint32_t cg_state(void) {
    return state;
}

uint32_t cg_set(uint32_t v) {
    state = v;
    return v;
}

uint32_t cg_last_cause(void) {
    return last_cause;
}

/* Faults on purpose: 0 a store to flash (outside the view), 1 a trap. */
uint32_t cg_fault(uint32_t kind) {
    if (kind == 1) {
        __builtin_trap();
    }
    *(volatile uint32_t *)0x100 = kind;
    return 0;
}
