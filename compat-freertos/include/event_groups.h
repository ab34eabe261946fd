/* compat-freertos: event groups (our own header). 24 usable bits: the top byte of EventBits_t
 * carries the waiters' control flags, as with FreeRTOS's 32-bit ticks. The FromISR set and
 * clear are deferred to the timer task (configUSE_TIMERS 1). */
#ifndef EVENT_GROUPS_H
#define EVENT_GROUPS_H

#ifndef INC_FREERTOS_H
    #error "include FreeRTOS.h before event_groups.h"
#endif

#include "timers.h"

struct EventGroupDef_t;
typedef struct EventGroupDef_t * EventGroupHandle_t;
typedef TickType_t EventBits_t;

EventGroupHandle_t xEventGroupCreate( void );
EventGroupHandle_t xEventGroupCreateStatic( StaticEventGroup_t * pxEventGroupBuffer );
BaseType_t xEventGroupGetStaticBuffer( EventGroupHandle_t xEventGroup, StaticEventGroup_t ** ppxEventGroupBuffer );
EventBits_t xEventGroupWaitBits( EventGroupHandle_t xEventGroup, const EventBits_t uxBitsToWaitFor, const BaseType_t xClearOnExit,
                                 const BaseType_t xWaitForAllBits, TickType_t xTicksToWait );
EventBits_t xEventGroupClearBits( EventGroupHandle_t xEventGroup, const EventBits_t uxBitsToClear );
EventBits_t xEventGroupSetBits( EventGroupHandle_t xEventGroup, const EventBits_t uxBitsToSet );
EventBits_t xEventGroupSync( EventGroupHandle_t xEventGroup, const EventBits_t uxBitsToSet, const EventBits_t uxBitsToWaitFor,
                             TickType_t xTicksToWait );
EventBits_t xEventGroupGetBitsFromISR( EventGroupHandle_t xEventGroup );
void vEventGroupDelete( EventGroupHandle_t xEventGroup );
void vEventGroupSetBitsCallback( void * pvEventGroup, uint32_t ulBitsToSet );
void vEventGroupClearBitsCallback( void * pvEventGroup, uint32_t ulBitsToClear );
UBaseType_t uxEventGroupGetNumber( void * xEventGroup );
void vEventGroupSetNumber( void * xEventGroup, UBaseType_t uxEventGroupNumber );

#if ( configUSE_TIMERS == 1 )
    BaseType_t xEventGroupSetBitsFromISR( EventGroupHandle_t xEventGroup, const EventBits_t uxBitsToSet,
                                          BaseType_t * pxHigherPriorityTaskWoken );
    BaseType_t xEventGroupClearBitsFromISR( EventGroupHandle_t xEventGroup, const EventBits_t uxBitsToClear );
#endif

/* Reading the bits is clearing none of them. */
#define xEventGroupGetBits( xEventGroup )    xEventGroupClearBits( ( xEventGroup ), 0 )

#endif /* EVENT_GROUPS_H */
