/* Addresses the hostile C compartment aims at, and its prototypes (found through `include`).
 * Also its `exports_header`: the build tool reads the exports' signatures from here (bindgen). */
#ifndef HOSTILE_H
#define HOSTILE_H

#include <stdint.h>

#include "rtos.h" /* the grant types rtos_read_only_t, ... */

#define HOSTILE_COUNTER_START 41u
#define HOSTILE_UART0_DATA 0x50200000u /* CMSDK APB UART0 data register (Secure alias) */
#define HOSTILE_SYST_CVR 0xE000E018u   /* SysTick current value */
#define HOSTILE_SCB_CPUID 0xE000ED00u
#define HOSTILE_SCB_VTOR 0xE000ED08u
#define HOSTILE_MPU_CTRL 0xE000ED94u

uint32_t add(uint32_t a, uint32_t b);
uint32_t globals_check(void);
uint32_t relay(uint32_t x);
uint32_t sum_ro(rtos_read_only_t buf);
uint32_t fill(rtos_read_write_t buf, uint32_t value);
uint32_t pass_on(rtos_read_only_t buf);
uint32_t typed_c_to_rust(void);
uint32_t deputy_callee_memory(void);
uint32_t deputy_wrong_kind(void);
uint32_t caps_own_buffer(void);
uint32_t caps_not_exact(void);
uint32_t peek(uint32_t addr);
uint32_t poke(uint32_t addr, uint32_t value);
uint32_t scribble(uint32_t complement);
uint32_t store_probe(rtos_store_only_t buf);
uint32_t write_ro(uint32_t ptr);
uint32_t write_past(uint32_t ptr, uint32_t len);
uint32_t keep(uint32_t ptr);
uint32_t use_kept(void);
uint32_t pass_on_rw(uint32_t ptr, uint32_t len);
uint32_t console_foreign(uint32_t addr);
uint32_t touch_uart(void);
uint32_t read_systick(void);
uint32_t escalate(void);
uint32_t touch_mpu(void);
uint32_t write_vtor(uint32_t value);
uint32_t mask_interrupts(void);
uint32_t recurse(uint32_t n);
uint32_t trap(void);
uint32_t null_deref(void);
uint32_t spin(void);
uint32_t call_unimported(void);
uint32_t seal_init(void);
uint32_t seal_issue(uint32_t payload);
uint32_t seal_open(uint32_t handle);
uint32_t seal_destroy(uint32_t handle);
uint32_t seal_replay(void);
uint32_t seal_steal(uint32_t their_key, uint32_t their_handle);
uint32_t seal_with_stolen(uint32_t their_key);
void hostile_main(uintptr_t arg);

#endif
