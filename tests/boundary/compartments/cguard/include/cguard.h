/* Exports of the C compartment `cguard` (tests/boundary/images/reboot.toml): the build tool
 * reads their signatures from here (bindgen) to type the callers' stubs. */
#ifndef CGUARD_H
#define CGUARD_H

#include <stdint.h>

/* The state word: 7 after init (so a reboot is seen to rerun init). */
uint32_t cg_state(void);
/* Sets the state word; returns the new value. */
uint32_t cg_set(uint32_t v);
/* Fault cause the error handler saw last (RTOS_FAULT_CAUSE_*). */
uint32_t cg_last_cause(void);
/* Faults on purpose: 0 a store outside the view, 1 a trap. */
uint32_t cg_fault(uint32_t kind);

#endif /* CGUARD_H */
