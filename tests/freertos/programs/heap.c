/*
 * Heap: pvPortMalloc/vPortFree/pvPortCalloc facts that hold for any implementation: alignment,
 * usable and distinct blocks, zeroed calloc memory, NULL for impossible sizes (including calloc
 * overflow), freeing NULL, free space restored after freeing, objects created and deleted
 * leaving the heap as it was.
 */
#include <string.h>

#include "FreeRTOS.h"
#include "queue.h"
#include "task.h"

#include "trace.h"
#include "util.h"

static void ctrl_task( void * arg )
{
    ( void ) arg;
    sync_start();

    size_t free0 = xPortGetFreeHeapSize();
    uint8_t * blocks[ 8 ];
    int aligned = 1;

    for( int i = 0; i < 8; i++ )
    {
        blocks[ i ] = pvPortMalloc( ( size_t ) ( 1 + i * 13 ) );
        TRACE_CHECK( blocks[ i ] != NULL );
        aligned &= ( ( uintptr_t ) blocks[ i ] % portBYTE_ALIGNMENT ) == 0;
        memset( blocks[ i ], 0xa0 + i, ( size_t ) ( 1 + i * 13 ) );
    }

    int intact = 1;
    for( int i = 0; i < 8; i++ )
    {
        for( int k = 0; k < 1 + i * 13; k++ )
        {
            intact &= blocks[ i ][ k ] == ( uint8_t ) ( 0xa0 + i );
        }
    }

    trace( "8 blocks: aligned to %u bytes %d, contents intact %d", ( unsigned ) portBYTE_ALIGNMENT, aligned, intact );
    trace( "free space shrank %d", ( int ) ( xPortGetFreeHeapSize() < free0 ) );

    /* Free in an interleaved order. */
    for( int i = 0; i < 8; i += 2 )
    {
        vPortFree( blocks[ i ] );
    }
    for( int i = 1; i < 8; i += 2 )
    {
        vPortFree( blocks[ i ] );
    }
    trace( "after freeing all: free space restored %d", ( int ) ( xPortGetFreeHeapSize() == free0 ) );

    vPortFree( NULL );
    trace( "vPortFree(NULL) is harmless" );

    /* calloc zeroes, and rejects overflowing products. */
    uint8_t * dirty = pvPortMalloc( 64 );
    memset( dirty, 0xff, 64 );
    vPortFree( dirty );
    uint32_t * z = pvPortCalloc( 16, sizeof( uint32_t ) );
    int zero = z != NULL;
    for( int i = 0; z != NULL && i < 16; i++ )
    {
        zero &= z[ i ] == 0;
    }
    trace( "calloc(16, 4): non-null and zeroed %d", zero );
    vPortFree( z );
    trace( "calloc overflow -> %s", pvPortCalloc( ( size_t ) 0x10000, ( size_t ) 0x10001 ) == NULL ? "NULL" : "memory" );
    trace( "malloc larger than the heap -> %s", pvPortMalloc( configTOTAL_HEAP_SIZE + 1 ) == NULL ? "NULL" : "memory" );
    trace( "malloc(SIZE_MAX) -> %s", pvPortMalloc( ( size_t ) -1 ) == NULL ? "NULL" : "memory" );

    /* Kernel objects come from the same heap and go back to it. */
    size_t before = xPortGetFreeHeapSize();
    QueueHandle_t q = xQueueCreate( 8, 16 );
    trace( "queue created %d, free space shrank %d", ( int ) ( q != NULL ), ( int ) ( xPortGetFreeHeapSize() < before ) );
    vQueueDelete( q );
    trace( "queue deleted, free space restored %d", ( int ) ( xPortGetFreeHeapSize() == before ) );
    trace( "minimum ever free <= free now %d", ( int ) ( xPortGetMinimumEverFreeHeapSize() <= xPortGetFreeHeapSize() ) );

    /* Heap statistics: counts of successful allocations and frees, and consistent block figures. */
    HeapStats_t s0, s1;
    vPortGetHeapStats( &s0 );
    void * a = pvPortMalloc( 100 );
    void * b = pvPortMalloc( 200 );
    vPortFree( a );
    vPortGetHeapStats( &s1 );
    trace( "stats: +%u allocations, +%u frees", ( unsigned ) ( s1.xNumberOfSuccessfulAllocations - s0.xNumberOfSuccessfulAllocations ),
           ( unsigned ) ( s1.xNumberOfSuccessfulFrees - s0.xNumberOfSuccessfulFrees ) );
    trace( "stats: smallest <= largest <= available %d, blocks >= 1 %d, available shrank %d",
           ( int ) ( s1.xSizeOfSmallestFreeBlockInBytes <= s1.xSizeOfLargestFreeBlockInBytes &&
                     s1.xSizeOfLargestFreeBlockInBytes <= s1.xAvailableHeapSpaceInBytes ),
           ( int ) ( s1.xNumberOfFreeBlocks >= 1 ), ( int ) ( s1.xAvailableHeapSpaceInBytes < s0.xAvailableHeapSpaceInBytes ) );
    trace( "stats: available = free heap size %d, minimum ever <= available %d",
           ( int ) ( s1.xAvailableHeapSpaceInBytes == xPortGetFreeHeapSize() ),
           ( int ) ( s1.xMinimumEverFreeBytesRemaining <= s1.xAvailableHeapSpaceInBytes ) );
    vPortFree( b );
    finish_program();
}

int main( void )
{
    run_program( ctrl_task, 5 );
}
