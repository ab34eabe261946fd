/*
 * Kernel configuration of the network benchmark's reference build (lwIP without compartments on
 * the reference FreeRTOS kernel): the differential tests' reference configuration with the idle
 * hook on, which counts the cycles the idle task waits (net_platform.c). Nothing else differs.
 */
#ifndef NET_REFERENCE_FREERTOS_CONFIG_H
#define NET_REFERENCE_FREERTOS_CONFIG_H

#include "../../freertos/reference/FreeRTOSConfig.h"

#undef configUSE_IDLE_HOOK
#define configUSE_IDLE_HOOK    1

#endif /* NET_REFERENCE_FREERTOS_CONFIG_H */
