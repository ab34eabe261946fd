/*
 * Compartment `ctenant` (C): the heap cases from the C side. It allocates from its own heap,
 * exceeds its quota, lends its allocation capability to the Rust service `store`, forges a
 * capability, frees what is not its own, and frees everything. Prints
 * `| case | expected | observed | ok |` rows (status codes as numbers) and ends the test.
 */
#include <stddef.h>
#include <stdint.h>

#include "imports.h" /* generated: store_make, store_release, ... (and rtos.h) */

static uint32_t failures;

static void fmt_i32(char *out, int32_t v) {
    char tmp[12];
    int n = 0;
    uint32_t u = v < 0 ? (uint32_t)(-(int64_t)v) : (uint32_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    int i = 0;
    if (v < 0) {
        out[i++] = '-';
    }
    while (n > 0) {
        out[i++] = tmp[--n];
    }
    out[i] = 0;
}

/* One row; `expected` / `observed` are status codes (0 = success). */
static void check(const char *name, int32_t expected, int32_t observed) {
    char e[12], o[12];
    fmt_i32(e, expected);
    fmt_i32(o, observed);
    int ok = expected == observed;
    if (!ok) {
        failures++;
    }
    rtos_print("| ");
    rtos_print(name);
    rtos_print(" | ");
    rtos_print(e);
    rtos_print(" | ");
    rtos_print(o);
    rtos_puts(ok ? " | ok |" : " | FAIL |");
}

/* An export's u32 result: a value, or a negative status code. */
static int32_t status_of(int32_t call_status, uint32_t value) {
    if (call_status != RTOS_OK) {
        return call_status;
    }
    return (int32_t)value < 0 && (int32_t)value >= -100 ? (int32_t)value : RTOS_OK;
}

void ctenant_main(uint32_t arg) {
    (void)arg;
    uint32_t cap = 0, used = 0, limit = 0, r = 0;
    int32_t st;

    check("c-own-allocation-capability", RTOS_OK, rtos_heap_cap(&cap));
    check("c-quota-limit", RTOS_OK, rtos_heap_quota(cap, &used, &limit));
    check("c-quota-limit-is-512", 512, (int32_t)limit);

    uint8_t *p = rtos_heap_alloc(cap, 40, &st);
    check("c-alloc-own-heap", RTOS_OK, st);
    check("c-block-aligned", 0, (int32_t)((uintptr_t)p % 32));
    int zeroed = 1;
    for (int i = 0; p != NULL && i < 64; i++) {
        zeroed &= p[i] == 0;
    }
    check("c-block-zeroed", 1, zeroed);
    check("c-own-arena-full", RTOS_E_OUT_OF_MEMORY, (rtos_heap_alloc(cap, 128, &st), st));

    /* The service allocates for us, in its heap, on our quota. */
    st = store_make(cap, 200, &r);
    check("c-service-allocates-with-lent-cap", RTOS_OK, status_of(st, r));
    uint32_t block = r;
    rtos_heap_quota(cap, &used, &limit);
    check("c-charged-to-the-lender", 64 + 224, (int32_t)used);
    st = store_make(cap, 300, &r);
    check("c-exceed-heap-quota", RTOS_E_QUOTA_EXCEEDED, status_of(st, r));
    check("c-alloc-with-forged-cap", RTOS_E_INVALID_HANDLE, (rtos_heap_alloc(cap ^ 0x10000u, 32, &st), st));
    check("c-alloc-with-made-up-cap", RTOS_E_INVALID_HANDLE, (rtos_heap_alloc(0x12345678u, 32, &st), st));
    uint32_t key = 0, sealed = 0;
    rtos_seal_key_create(&key);
    rtos_seal(key, 0, &sealed);
    check("c-alloc-with-type-confused-handle", RTOS_E_WRONG_TYPE, (rtos_heap_alloc(sealed, 32, &st), st));
    check("c-free-block-of-another-heap", RTOS_E_INVALID_ARGUMENT, rtos_heap_free(cap, (uint8_t *)(uintptr_t)block));
    check("c-free-interior-pointer", RTOS_E_INVALID_ARGUMENT, rtos_heap_free(cap, p + 32));
    st = store_peek((uint32_t)(uintptr_t)p, &r);
    check("c-service-reads-lenders-heap", RTOS_E_COMPARTMENT_FAULT, st);

    uint32_t freed = 0;
    check("c-free-all", RTOS_OK, rtos_heap_free_all(cap, &freed));
    check("c-free-all-bytes", 64 + 224, (int32_t)freed);
    rtos_heap_quota(cap, &used, &limit);
    check("c-quota-back-to-zero", 0, (int32_t)used);
    check("c-double-free-after-free-all", RTOS_E_INVALID_ARGUMENT, rtos_heap_free(cap, p));

    if (failures == 0) {
        rtos_puts("all C heap cases behaved as expected");
        rtos_puts("PASS");
        rtos_shutdown(0);
    }
    rtos_print_u32("FAIL: C heap cases not as expected: ", failures);
    rtos_shutdown(1);
}
