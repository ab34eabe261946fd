/*
 * Configuration of the compat_hooks test (tests/freertos/ours/compat/hooks.c): the differential
 * programs' configuration (tests/freertos/reference/FreeRTOSConfig.h) with the idle, tick and
 * malloc-failed hooks enabled and configASSERT counting failures instead of ending the run.
 */
#include "../../../reference/FreeRTOSConfig.h"

#undef configUSE_IDLE_HOOK
#undef configUSE_TICK_HOOK
#undef configUSE_MALLOC_FAILED_HOOK
#undef configASSERT

#define configUSE_IDLE_HOOK                       1
#define configUSE_TICK_HOOK                       1
#define configUSE_MALLOC_FAILED_HOOK              1

/* Counted, not fatal: the test provokes assertions on purpose and checks that each call refused its input. */
void hooks_assert_failed( int line );
#define configASSERT( x )    do { if( ( x ) == 0 ) { hooks_assert_failed( __LINE__ ); } } while( 0 )
