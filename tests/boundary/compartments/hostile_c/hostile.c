/* Compartment `hostile` (C): a hostile callee written in C, for the image isolation_c.
 *
 * Besides honest exports (arithmetic, its own globals, calls into the Rust compartment `gamma`,
 * capability calls of its own) it tries, on request, every way of reaching beyond what it was
 * given: the caller's stack and globals, kernel memory, MMIO, system registers, the MPU, other
 * compartments' handles and keys, imports it does not have, its own stack limit. Each attempt
 * must be stopped by the kernel: a fault unwound to the caller, or an error status.
 *
 * Every export returns a uint32_t (statuses as (uint32_t) of the negative RTOS_E_* code); the
 * honest grant exports declare the grant kind they accept (rtos_read_only_t, ...) in hostile.h,
 * the hostile ones take raw uint32_t addresses. */
#include <stdint.h>

#include "imports.h" /* generated: gamma_double, gamma_sum_ro, ... (and rtos.h) */
#include "hostile.h"

#define REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* ---- honest exports ---------------------------------------------------------------------- */

uint32_t add(uint32_t a, uint32_t b) {
    return a + b;
}

static uint32_t counter = HOSTILE_COUNTER_START; /* .data: initialised from the image */
static uint32_t zeroed[8];                       /* .bss: zeroed at boot */

/* 42 on the first call when .data and .bss were set up; 0xBAD if .bss was not zero. */
uint32_t globals_check(void) {
    uint32_t sum = 0;
    for (unsigned i = 0; i < 8; i++) {
        sum |= zeroed[i];
    }
    zeroed[3] = 0; /* touch .bss: writable */
    return sum == 0 ? ++counter : 0xBAD;
}

/* C calls Rust: gamma.double(x) + 1, or the status. */
uint32_t relay(uint32_t x) {
    uint32_t r = 0;
    int32_t status = gamma_double(x, &r);
    return status == RTOS_OK ? r + 1 : (uint32_t)status;
}

static uint32_t words_fill(uintptr_t ptr, uint32_t len, uint32_t value) {
    for (uint32_t i = 0; i < len / 4; i++) {
        REG(ptr + 4 * i) = value;
    }
    return 0;
}

/* Sums the words of a buffer granted read-only for this call. */
uint32_t sum_ro(rtos_read_only_t buf) {
    uint32_t sum = 0;
    for (uint32_t i = 0; i < buf.len / 4; i++) {
        sum += ((const volatile uint32_t *)buf.base)[i];
    }
    return sum;
}

/* Fills a buffer granted read-write. */
uint32_t fill(rtos_read_write_t buf, uint32_t value) {
    return words_fill((uintptr_t)buf.base, buf.len, value);
}

/* Nested Rust -> C -> Rust with a passed-on grant: lends the read-only buffer it was granted to
 * gamma.sum_ro through the typed stub (allowed: it holds it with those rights). */
uint32_t pass_on(rtos_read_only_t buf) {
    uint32_t r = 0;
    int32_t status = gamma_sum_ro(buf, &r);
    return status == RTOS_OK ? r : (uint32_t)status;
}

static RTOS_GRANULE_ALIGNED uint32_t lend_buffer[8];

/* Typed C -> Rust calls with the other two grant kinds: gamma.fill (read-write) must fill all 8
 * words of its own buffer, gamma.store (store-only) must see nothing of what was there (the kernel
 * zeroes it) and its stores must arrive. 0 when all holds, else the step that failed (or a status). */
uint32_t typed_c_to_rust(void) {
    uint32_t n = 0, seen = 1;
    int32_t status = gamma_fill(RTOS_READ_WRITE(lend_buffer), 0x11111111u, &n);
    if (status != RTOS_OK) return (uint32_t)status;
    if (n != 8 || lend_buffer[0] != 0x11111111u || lend_buffer[7] != 0x11111111u) return 1;
    status = gamma_store(RTOS_STORE_ONLY(lend_buffer), 0x22u, &seen);
    if (status != RTOS_OK) return (uint32_t)status;
    if (seen != 0) return 2; /* the old 0x11111111 words must have been wiped */
    if (lend_buffer[0] != 0x22u || lend_buffer[7] != 0x22u) return 3;
    return 0;
}

/* Confused deputy through the raw path: lends gamma a buffer of its own but puts gamma's own
 * globals (gamma.secret_at) in the registers gamma.sum_ro declares as its read-only grant. Refused,
 * RTOS_E_GRANT_MISMATCH; otherwise gamma would sum its own secret for us. */
uint32_t deputy_callee_memory(void) {
    uint32_t target = 0, r = 0;
    int32_t status = gamma_secret_at(&target);
    if (status != RTOS_OK) return (uint32_t)status;
    rtos_cap_t cap = {lend_buffer, sizeof lend_buffer, RTOS_CAP_READ_ONLY};
    status = rtos_call_granted(RTOS_SLOT_gamma_sum_ro, (const uint32_t[4]){target, sizeof lend_buffer, 0u, 0u}, &cap, 1, &r);
    return status == RTOS_OK ? r : (uint32_t)status;
}

/* The raw path with the right registers for gamma.fill(buf: read-write, value) but a store-only
 * grant: refused, RTOS_E_GRANT_MISMATCH (the kind must be exactly the declared one). */
uint32_t deputy_wrong_kind(void) {
    uint32_t r = 0;
    rtos_cap_t cap = {lend_buffer, sizeof lend_buffer, RTOS_CAP_STORE_ONLY};
    uint32_t args[4] = {(uint32_t)(uintptr_t)lend_buffer, sizeof lend_buffer, 0x33u, 0u};
    int32_t status = rtos_call_granted(RTOS_SLOT_gamma_fill, args, &cap, 1, &r);
    return status == RTOS_OK ? r : (uint32_t)status;
}

static RTOS_GRANULE_ALIGNED uint32_t own_buffer[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static uint32_t unaligned_buffer[9]; /* 36 bytes: never a whole number of granules */

/* Lends its own (granule-aligned) globals to gamma: gamma's sum of 1..16 = 136. */
uint32_t caps_own_buffer(void) {
    uint32_t r = 0;
    int32_t status = gamma_sum_ro(RTOS_READ_ONLY(own_buffer), &r);
    return status == RTOS_OK ? r : (uint32_t)status;
}

/* Lends a buffer the MPU cannot bound exactly: refused, RTOS_E_GRANT_NOT_EXACT. */
uint32_t caps_not_exact(void) {
    rtos_cap_t cap = {unaligned_buffer, sizeof unaligned_buffer, RTOS_CAP_READ_ONLY};
    uint32_t len = sizeof unaligned_buffer;
    return (uint32_t)gamma_sum_ro_caps(&cap, 1, &len, 1, 0);
}

/* ---- attacks on memory -------------------------------------------------------------------- */

uint32_t peek(uint32_t addr) {
    return REG(addr);
}

uint32_t poke(uint32_t addr, uint32_t value) {
    REG(addr) = value;
    return 0;
}

/* Leaves the complement of its argument all over its stack (the caller then searches for it
 * below its own stack pointer). */
uint32_t scribble(uint32_t complement) {
    volatile uint32_t buf[64];
    for (unsigned i = 0; i < 64; i++) {
        buf[i] = ~complement;
    }
    return buf[5] == ~complement ? 0 : 1;
}

/* Store-only grant: counts the non-zero words it can see (must be none), then writes 0xAB. */
uint32_t store_probe(rtos_store_only_t buf) {
    uint32_t seen = 0;
    for (uint32_t i = 0; i < buf.len / 4; i++) {
        seen += ((volatile uint32_t *)buf.base)[i] != 0;
    }
    words_fill((uintptr_t)buf.base, buf.len, 0xAB);
    return seen;
}

uint32_t write_ro(uint32_t ptr) {
    REG(ptr) = 0xBAD;
    return 0;
}

uint32_t write_past(uint32_t ptr, uint32_t len) {
    *(volatile uint8_t *)(uintptr_t)(ptr + len) = 1;
    return 0;
}

static uint32_t kept;

/* Keeps a non-global grant for later. */
uint32_t keep(uint32_t ptr) {
    kept = ptr;
    return 0;
}

/* Uses it after the call that granted it returned. */
uint32_t use_kept(void) {
    return REG(kept);
}

/* Tries to pass a read-only grant on with more rights: refused, RTOS_E_NOT_PERMITTED. */
uint32_t pass_on_rw(uint32_t ptr, uint32_t len) {
    rtos_cap_t cap = {(const void *)(uintptr_t)ptr, len, RTOS_CAP_READ_WRITE};
    return (uint32_t)gamma_sum_ro_caps(&cap, 1, &len, 1, 0);
}

/* Asks the kernel to print memory that is not its own (confused deputy). */
uint32_t console_foreign(uint32_t addr) {
    return (uint32_t)rtos_console_write((const uint8_t *)(uintptr_t)addr, 16);
}

/* ---- attacks on devices and the system ---------------------------------------------------- */

uint32_t touch_uart(void) {
    REG(HOSTILE_UART0_DATA) = 'X';
    return 0;
}

uint32_t read_systick(void) {
    return REG(HOSTILE_SYST_CVR);
}

/* Clears CONTROL.nPRIV (ignored unprivileged), then proves privilege by reading the SCB. */
uint32_t escalate(void) {
    __asm volatile("msr control, %0\n\tisb" : : "r"(0u) : "memory");
    return REG(HOSTILE_SCB_CPUID);
}

uint32_t touch_mpu(void) {
    REG(HOSTILE_MPU_CTRL) = 0;
    return 0;
}

uint32_t write_vtor(uint32_t value) {
    REG(HOSTILE_SCB_VTOR) = value;
    return 0;
}

/* `cpsid i` is ignored unprivileged: the next tick still arrives; returns PRIMASK. */
uint32_t mask_interrupts(void) {
    __asm volatile("cpsid i" : : : "memory");
    uint32_t t0 = rtos_ticks();
    while (rtos_ticks() == t0) {
    }
    uint32_t primask;
    __asm volatile("mrs %0, primask" : "=r"(primask));
    return primask;
}

/* Unbounded recursion (not a tail call: the frame is used after the call). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion" /* the point of this export */
uint32_t recurse(uint32_t n) {
    volatile uint32_t frame[32];
    frame[1] = n;
    return recurse(n + 1) + frame[1];
}
#pragma GCC diagnostic pop

uint32_t trap(void) {
    __builtin_trap();
}

uint32_t null_deref(void) {
    return REG(0);
}

uint32_t spin(void) {
    for (;;) {
    }
}

/* Calls an import slot it does not have (it has 2: gamma.double, gamma.sum_ro). */
uint32_t call_unimported(void) {
    return (uint32_t)rtos_call(7, 0, 0, 0, 0, 0);
}

/* ---- sealed handles ----------------------------------------------------------------------- */

static uint32_t key;

/* Creates the compartment's own sealing key. */
uint32_t seal_init(void) {
    return (uint32_t)rtos_seal_key_create(&key);
}

/* Seals `payload` under its own key and returns the handle (0 on error). */
uint32_t seal_issue(uint32_t payload) {
    uint32_t handle = 0;
    return rtos_seal(key, payload, &handle) == RTOS_OK ? handle : 0;
}

/* Opens `handle` with its own key: the payload, or the status. */
uint32_t seal_open(uint32_t handle) {
    uint32_t payload = 0;
    int32_t status = rtos_unseal(key, handle, &payload);
    return status == RTOS_OK ? payload : (uint32_t)status;
}

/* Destroys `handle`: every copy becomes stale. */
uint32_t seal_destroy(uint32_t handle) {
    return (uint32_t)rtos_seal_destroy(key, handle, 0);
}

/* Seals, destroys, then replays the handle: RTOS_E_INVALID_HANDLE. */
uint32_t seal_replay(void) {
    uint32_t handle = 0;
    if (rtos_seal(key, 7, &handle) != RTOS_OK || rtos_seal_destroy(key, handle, 0) != RTOS_OK) {
        return 1;
    }
    return (uint32_t)rtos_unseal(key, handle, 0);
}

/* Opens someone else's handle with someone else's (leaked) key: RTOS_E_NOT_PERMITTED. */
uint32_t seal_steal(uint32_t their_key, uint32_t their_handle) {
    return (uint32_t)rtos_unseal(their_key, their_handle, 0);
}

/* Seals with someone else's (leaked) key: RTOS_E_NOT_PERMITTED. */
uint32_t seal_with_stolen(uint32_t their_key) {
    return (uint32_t)rtos_seal(their_key, 1, 0);
}

/* ---- its own thread ----------------------------------------------------------------------- */

/* A thread that starts in this C compartment: greets, calls Rust, and ends by returning. */
void hostile_main(uintptr_t arg) {
    uint32_t r = 0;
    int32_t status = gamma_double((uint32_t)arg, &r);
    rtos_puts("hostile: C thread started");
    rtos_print_u32("hostile: C thread: gamma.double(arg) = ", status == RTOS_OK ? r : 0);
}
