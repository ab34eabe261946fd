/* The reference configuration with a configASSERT that counts instead of ending the run, so that
 * misuse.c can check that every misuse the FreeRTOS kernel asserts on is reported exactly once
 * and then refused by our layer. */
#ifndef MISUSE_FREERTOS_CONFIG_H
#define MISUSE_FREERTOS_CONFIG_H

#include "../../reference/FreeRTOSConfig.h"

#undef configASSERT
extern volatile unsigned misuse_asserts;
#define configASSERT( x )    do { if( ( x ) == 0 ) { misuse_asserts++; } } while( 0 )

#endif /* MISUSE_FREERTOS_CONFIG_H */
