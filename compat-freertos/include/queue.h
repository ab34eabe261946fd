/* compat-freertos: the queue API (our own header). Queues live in the calling compartment's
 * memory; blocked senders and receivers wait on the kernel's futex. */
#ifndef QUEUE_H
#define QUEUE_H

#ifndef INC_FREERTOS_H
    #error "include FreeRTOS.h before queue.h"
#endif

#include "task.h"

struct QueueDefinition;
typedef struct QueueDefinition * QueueHandle_t;
typedef struct QueueDefinition * QueueSetHandle_t;
typedef struct QueueDefinition * QueueSetMemberHandle_t;

#define queueSEND_TO_BACK     ( ( BaseType_t ) 0 )
#define queueSEND_TO_FRONT    ( ( BaseType_t ) 1 )
#define queueOVERWRITE        ( ( BaseType_t ) 2 )

#define queueQUEUE_TYPE_BASE                  ( ( uint8_t ) 0U )
#define queueQUEUE_TYPE_SET                   ( ( uint8_t ) 0U )
#define queueQUEUE_TYPE_MUTEX                 ( ( uint8_t ) 1U )
#define queueQUEUE_TYPE_COUNTING_SEMAPHORE    ( ( uint8_t ) 2U )
#define queueQUEUE_TYPE_BINARY_SEMAPHORE      ( ( uint8_t ) 3U )
#define queueQUEUE_TYPE_RECURSIVE_MUTEX       ( ( uint8_t ) 4U )

QueueHandle_t xQueueGenericCreate( const UBaseType_t uxQueueLength, const UBaseType_t uxItemSize, const uint8_t ucQueueType );
QueueHandle_t xQueueGenericCreateStatic( const UBaseType_t uxQueueLength, const UBaseType_t uxItemSize, uint8_t * pucQueueStorage,
                                         StaticQueue_t * pxStaticQueue, const uint8_t ucQueueType );
BaseType_t xQueueGenericReset( QueueHandle_t xQueue, BaseType_t xNewQueue );
BaseType_t xQueueGenericSend( QueueHandle_t xQueue, const void * const pvItemToQueue, TickType_t xTicksToWait, const BaseType_t xCopyPosition );
BaseType_t xQueueGenericSendFromISR( QueueHandle_t xQueue, const void * const pvItemToQueue, BaseType_t * const pxHigherPriorityTaskWoken,
                                     const BaseType_t xCopyPosition );
BaseType_t xQueueGiveFromISR( QueueHandle_t xQueue, BaseType_t * const pxHigherPriorityTaskWoken );
BaseType_t xQueueReceive( QueueHandle_t xQueue, void * const pvBuffer, TickType_t xTicksToWait );
BaseType_t xQueuePeek( QueueHandle_t xQueue, void * const pvBuffer, TickType_t xTicksToWait );
BaseType_t xQueueSemaphoreTake( QueueHandle_t xQueue, TickType_t xTicksToWait );
BaseType_t xQueueReceiveFromISR( QueueHandle_t xQueue, void * const pvBuffer, BaseType_t * const pxHigherPriorityTaskWoken );
BaseType_t xQueuePeekFromISR( QueueHandle_t xQueue, void * const pvBuffer );
UBaseType_t uxQueueMessagesWaiting( const QueueHandle_t xQueue );
UBaseType_t uxQueueMessagesWaitingFromISR( const QueueHandle_t xQueue );
UBaseType_t uxQueueSpacesAvailable( const QueueHandle_t xQueue );
BaseType_t xQueueIsQueueEmptyFromISR( const QueueHandle_t xQueue );
BaseType_t xQueueIsQueueFullFromISR( const QueueHandle_t xQueue );
void vQueueDelete( QueueHandle_t xQueue );
QueueHandle_t xQueueCreateMutex( const uint8_t ucQueueType );
QueueHandle_t xQueueCreateMutexStatic( const uint8_t ucQueueType, StaticQueue_t * pxStaticQueue );
QueueHandle_t xQueueCreateCountingSemaphore( const UBaseType_t uxMaxCount, const UBaseType_t uxInitialCount );
QueueHandle_t xQueueCreateCountingSemaphoreStatic( const UBaseType_t uxMaxCount, const UBaseType_t uxInitialCount,
                                                   StaticQueue_t * pxStaticQueue );
TaskHandle_t xQueueGetMutexHolder( QueueHandle_t xSemaphore );
TaskHandle_t xQueueGetMutexHolderFromISR( QueueHandle_t xSemaphore );
BaseType_t xQueueTakeMutexRecursive( QueueHandle_t xMutex, TickType_t xTicksToWait );
BaseType_t xQueueGiveMutexRecursive( QueueHandle_t xMutex );
BaseType_t xQueueGenericGetStaticBuffers( QueueHandle_t xQueue, uint8_t ** ppucQueueStorage, StaticQueue_t ** ppxStaticQueue );
uint8_t ucQueueGetQueueType( QueueHandle_t xQueue );
#define xQueueGetStaticBuffers( xQueue, ppucQueueStorage, ppxStaticQueue ) \
    xQueueGenericGetStaticBuffers( ( xQueue ), ( ppucQueueStorage ), ( ppxStaticQueue ) )

/* Queue sets: a set is a queue of member handles; a member posts itself when it receives an
 * item (or a semaphore member is given). Members must be empty to join or leave. */
QueueSetHandle_t xQueueCreateSet( const UBaseType_t uxEventQueueLength );
QueueSetHandle_t xQueueCreateSetStatic( const UBaseType_t uxEventQueueLength, uint8_t * pucQueueStorage, StaticQueue_t * pxStaticQueue );
BaseType_t xQueueAddToSet( QueueSetMemberHandle_t xQueueOrSemaphore, QueueSetHandle_t xQueueSet );
BaseType_t xQueueRemoveFromSet( QueueSetMemberHandle_t xQueueOrSemaphore, QueueSetHandle_t xQueueSet );
QueueSetMemberHandle_t xQueueSelectFromSet( QueueSetHandle_t xQueueSet, const TickType_t xTicksToWait );
QueueSetMemberHandle_t xQueueSelectFromSetFromISR( QueueSetHandle_t xQueueSet );

/* The queue registry (names for debuggers), sized by configQUEUE_REGISTRY_SIZE (default 0: the
 * calls do nothing, as in FreeRTOS). */
#ifndef configQUEUE_REGISTRY_SIZE
    #define configQUEUE_REGISTRY_SIZE    0U
#endif
#if ( configQUEUE_REGISTRY_SIZE > 32 )
    #error "compat-freertos: the queue registry holds at most 32 names (configQUEUE_REGISTRY_SIZE must be at most 32)"
#endif
#if ( configQUEUE_REGISTRY_SIZE > 0 )
    void vCompatQueueAddToRegistry( QueueHandle_t xQueue, const char * pcQueueName, UBaseType_t uxRegistrySize );
    void vQueueUnregisterQueue( QueueHandle_t xQueue );
    const char * pcQueueGetName( QueueHandle_t xQueue );
    #define vQueueAddToRegistry( xQueue, pcQueueName )    vCompatQueueAddToRegistry( ( xQueue ), ( pcQueueName ), configQUEUE_REGISTRY_SIZE )
#else
    #define vQueueAddToRegistry( xQueue, pcQueueName )    do { ( void ) ( xQueue ); ( void ) ( pcQueueName ); } while( 0 )
    #define vQueueUnregisterQueue( xQueue )               do { ( void ) ( xQueue ); } while( 0 )
#endif

#define xQueueCreate( uxQueueLength, uxItemSize )    xQueueGenericCreate( ( uxQueueLength ), ( uxItemSize ), queueQUEUE_TYPE_BASE )
#define xQueueCreateStatic( uxQueueLength, uxItemSize, pucQueueStorage, pxQueueBuffer ) \
    xQueueGenericCreateStatic( ( uxQueueLength ), ( uxItemSize ), ( pucQueueStorage ), ( pxQueueBuffer ), queueQUEUE_TYPE_BASE )
#define xQueueReset( xQueue )                               xQueueGenericReset( ( xQueue ), pdFALSE )
#define xQueueSend( xQueue, pvItem, xTicks )                xQueueGenericSend( ( xQueue ), ( pvItem ), ( xTicks ), queueSEND_TO_BACK )
#define xQueueSendToBack( xQueue, pvItem, xTicks )          xQueueGenericSend( ( xQueue ), ( pvItem ), ( xTicks ), queueSEND_TO_BACK )
#define xQueueSendToFront( xQueue, pvItem, xTicks )         xQueueGenericSend( ( xQueue ), ( pvItem ), ( xTicks ), queueSEND_TO_FRONT )
#define xQueueOverwrite( xQueue, pvItem )                   xQueueGenericSend( ( xQueue ), ( pvItem ), 0, queueOVERWRITE )
#define xQueueSendFromISR( xQueue, pvItem, pxWoken )        xQueueGenericSendFromISR( ( xQueue ), ( pvItem ), ( pxWoken ), queueSEND_TO_BACK )
#define xQueueSendToBackFromISR( xQueue, pvItem, pxWoken )  xQueueGenericSendFromISR( ( xQueue ), ( pvItem ), ( pxWoken ), queueSEND_TO_BACK )
#define xQueueSendToFrontFromISR( xQueue, pvItem, pxWoken ) xQueueGenericSendFromISR( ( xQueue ), ( pvItem ), ( pxWoken ), queueSEND_TO_FRONT )
#define xQueueOverwriteFromISR( xQueue, pvItem, pxWoken )   xQueueGenericSendFromISR( ( xQueue ), ( pvItem ), ( pxWoken ), queueOVERWRITE )

#endif /* QUEUE_H */
