/* compat-freertos: semaphores and mutexes (our own header): queues of zero-sized items, as in
 * FreeRTOS. Mutexes have holders and priority inheritance with the reference kernel's rules
 * (docs/porting.md). */
#ifndef SEMAPHORE_H
#define SEMAPHORE_H

#ifndef INC_FREERTOS_H
    #error "include FreeRTOS.h before semphr.h"
#endif

#include "queue.h"

typedef QueueHandle_t SemaphoreHandle_t;

#define semBINARY_SEMAPHORE_QUEUE_LENGTH    ( ( uint8_t ) 1U )
#define semSEMAPHORE_QUEUE_ITEM_LENGTH      ( ( uint8_t ) 0U )
#define semGIVE_BLOCK_TIME                  ( ( TickType_t ) 0U )

#define xSemaphoreCreateBinary() \
    xQueueGenericCreate( 1, semSEMAPHORE_QUEUE_ITEM_LENGTH, queueQUEUE_TYPE_BINARY_SEMAPHORE )
#define xSemaphoreCreateBinaryStatic( pxBuffer ) \
    xQueueGenericCreateStatic( 1, semSEMAPHORE_QUEUE_ITEM_LENGTH, NULL, ( pxBuffer ), queueQUEUE_TYPE_BINARY_SEMAPHORE )
#define xSemaphoreCreateCounting( uxMaxCount, uxInitialCount ) \
    xQueueCreateCountingSemaphore( ( uxMaxCount ), ( uxInitialCount ) )
#define xSemaphoreCreateCountingStatic( uxMaxCount, uxInitialCount, pxBuffer ) \
    xQueueCreateCountingSemaphoreStatic( ( uxMaxCount ), ( uxInitialCount ), ( pxBuffer ) )
#define xSemaphoreCreateMutex()                      xQueueCreateMutex( queueQUEUE_TYPE_MUTEX )
#define xSemaphoreCreateMutexStatic( pxBuffer )      xQueueCreateMutexStatic( queueQUEUE_TYPE_MUTEX, ( pxBuffer ) )
#define xSemaphoreCreateRecursiveMutex()             xQueueCreateMutex( queueQUEUE_TYPE_RECURSIVE_MUTEX )
#define xSemaphoreCreateRecursiveMutexStatic( pxBuffer ) \
    xQueueCreateMutexStatic( queueQUEUE_TYPE_RECURSIVE_MUTEX, ( pxBuffer ) )

#define xSemaphoreTake( xSemaphore, xBlockTime )     xQueueSemaphoreTake( ( xSemaphore ), ( xBlockTime ) )
#define xSemaphoreGive( xSemaphore ) \
    xQueueGenericSend( ( QueueHandle_t ) ( xSemaphore ), NULL, semGIVE_BLOCK_TIME, queueSEND_TO_BACK )
#define xSemaphoreTakeRecursive( xMutex, xBlockTime )    xQueueTakeMutexRecursive( ( xMutex ), ( xBlockTime ) )
#define xSemaphoreGiveRecursive( xMutex )                xQueueGiveMutexRecursive( ( xMutex ) )
#define xSemaphoreGiveFromISR( xSemaphore, pxWoken )     xQueueGiveFromISR( ( QueueHandle_t ) ( xSemaphore ), ( pxWoken ) )
#define xSemaphoreTakeFromISR( xSemaphore, pxWoken )     xQueueReceiveFromISR( ( QueueHandle_t ) ( xSemaphore ), NULL, ( pxWoken ) )
#define vSemaphoreDelete( xSemaphore )                   vQueueDelete( ( QueueHandle_t ) ( xSemaphore ) )
#define uxSemaphoreGetCount( xSemaphore )                uxQueueMessagesWaiting( ( QueueHandle_t ) ( xSemaphore ) )
#define uxSemaphoreGetCountFromISR( xSemaphore )         uxQueueMessagesWaitingFromISR( ( QueueHandle_t ) ( xSemaphore ) )
#define xSemaphoreGetMutexHolder( xSemaphore )           xQueueGetMutexHolder( ( xSemaphore ) )
#define xSemaphoreGetMutexHolderFromISR( xSemaphore )    xQueueGetMutexHolderFromISR( ( xSemaphore ) )
#define xSemaphoreGetStaticBuffer( xSemaphore, ppxSemaphoreBuffer ) \
    xQueueGenericGetStaticBuffers( ( QueueHandle_t ) ( xSemaphore ), NULL, ( ppxSemaphoreBuffer ) )

#endif /* SEMAPHORE_H */
