/* compat-freertos: memory functions of the port layer. pvPortMalloc draws on the calling
 * compartment's own heap (the manifest's `heap`), charged to its quota; blocks are 32-byte
 * aligned and zeroed. */
#ifndef PORTABLE_H
#define PORTABLE_H

#include "portmacro.h"

void * pvPortMalloc( size_t xWantedSize );
void * pvPortCalloc( size_t xNum, size_t xSize );
void vPortFree( void * pv );
/* Free bytes of the compartment's heap quota (what pvPortMalloc can still obtain, before 32-byte
 * rounding), and the least that ever was since the first allocation through this layer. */
size_t xPortGetFreeHeapSize( void );
size_t xPortGetMinimumEverFreeHeapSize( void );

/* vPortGetHeapStats: the block figures are those of the compartment's heap arena (a block is a run
 * of free 32-byte granules), the available and minimum-ever figures those of the quota above. */
typedef struct xHeapStats
{
    size_t xAvailableHeapSpaceInBytes;
    size_t xSizeOfLargestFreeBlockInBytes;
    size_t xSizeOfSmallestFreeBlockInBytes;
    size_t xNumberOfFreeBlocks;
    size_t xMinimumEverFreeBytesRemaining;
    size_t xNumberOfSuccessfulAllocations;
    size_t xNumberOfSuccessfulFrees;
} HeapStats_t;

void vPortGetHeapStats( HeapStats_t * pxHeapStats );

#endif /* PORTABLE_H */
