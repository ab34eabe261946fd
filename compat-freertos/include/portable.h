/* compat-freertos: memory functions of the port layer. pvPortMalloc draws on the calling
 * compartment's own heap (the manifest's `heap`), charged to its quota; blocks are 32-byte
 * aligned and zeroed. */
#ifndef PORTABLE_H
#define PORTABLE_H

#include "portmacro.h"

void * pvPortMalloc( size_t xWantedSize );
void vPortFree( void * pv );

#endif /* PORTABLE_H */
