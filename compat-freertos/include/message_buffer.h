/* compat-freertos: message buffers (our own header): stream buffers whose every message is
 * preceded by its length, sizeof( configMESSAGE_BUFFER_LENGTH_TYPE ) bytes, so a message is
 * sent and received whole or not at all. */
#ifndef FREERTOS_MESSAGE_BUFFER_H
#define FREERTOS_MESSAGE_BUFFER_H

#ifndef INC_FREERTOS_H
    #error "include FreeRTOS.h before message_buffer.h"
#endif

#include "stream_buffer.h"

typedef StreamBufferHandle_t MessageBufferHandle_t;

#define xMessageBufferCreate( xBufferSizeBytes ) \
    xStreamBufferGenericCreate( ( xBufferSizeBytes ), ( size_t ) 0, sbTYPE_MESSAGE_BUFFER, NULL, NULL )
#define xMessageBufferCreateStatic( xBufferSizeBytes, pucStorage, pxStaticBuffer ) \
    xStreamBufferGenericCreateStatic( ( xBufferSizeBytes ), 0, sbTYPE_MESSAGE_BUFFER, ( pucStorage ), ( pxStaticBuffer ), NULL, NULL )
#if ( configUSE_SB_COMPLETED_CALLBACK == 1 )
    #define xMessageBufferCreateWithCallback( xBufferSizeBytes, pxSendCb, pxReceiveCb ) \
    xStreamBufferGenericCreate( ( xBufferSizeBytes ), ( size_t ) 0, sbTYPE_MESSAGE_BUFFER, ( pxSendCb ), ( pxReceiveCb ) )
    #define xMessageBufferCreateStaticWithCallback( xBufferSizeBytes, pucStorage, pxStaticBuffer, pxSendCb, pxReceiveCb ) \
    xStreamBufferGenericCreateStatic( ( xBufferSizeBytes ), 0, sbTYPE_MESSAGE_BUFFER, ( pucStorage ), ( pxStaticBuffer ), ( pxSendCb ), ( pxReceiveCb ) )
#endif
#define xMessageBufferGetStaticBuffers( xMessageBuffer, ppucStorage, ppxStaticBuffer ) \
    xStreamBufferGetStaticBuffers( ( xMessageBuffer ), ( ppucStorage ), ( ppxStaticBuffer ) )

#define xMessageBufferSend( xMessageBuffer, pvTxData, xDataLengthBytes, xTicksToWait ) \
    xStreamBufferSend( ( xMessageBuffer ), ( pvTxData ), ( xDataLengthBytes ), ( xTicksToWait ) )
#define xMessageBufferSendFromISR( xMessageBuffer, pvTxData, xDataLengthBytes, pxWoken ) \
    xStreamBufferSendFromISR( ( xMessageBuffer ), ( pvTxData ), ( xDataLengthBytes ), ( pxWoken ) )
#define xMessageBufferReceive( xMessageBuffer, pvRxData, xBufferLengthBytes, xTicksToWait ) \
    xStreamBufferReceive( ( xMessageBuffer ), ( pvRxData ), ( xBufferLengthBytes ), ( xTicksToWait ) )
#define xMessageBufferReceiveFromISR( xMessageBuffer, pvRxData, xBufferLengthBytes, pxWoken ) \
    xStreamBufferReceiveFromISR( ( xMessageBuffer ), ( pvRxData ), ( xBufferLengthBytes ), ( pxWoken ) )
#define vMessageBufferDelete( xMessageBuffer )                 vStreamBufferDelete( xMessageBuffer )
#define xMessageBufferIsFull( xMessageBuffer )                 xStreamBufferIsFull( xMessageBuffer )
#define xMessageBufferIsEmpty( xMessageBuffer )                xStreamBufferIsEmpty( xMessageBuffer )
#define xMessageBufferReset( xMessageBuffer )                  xStreamBufferReset( xMessageBuffer )
#define xMessageBufferResetFromISR( xMessageBuffer )           xStreamBufferResetFromISR( xMessageBuffer )
#define xMessageBufferSpaceAvailable( xMessageBuffer )         xStreamBufferSpacesAvailable( xMessageBuffer )
#define xMessageBufferSpacesAvailable( xMessageBuffer )        xStreamBufferSpacesAvailable( xMessageBuffer )
#define xMessageBufferNextLengthBytes( xMessageBuffer )        xStreamBufferNextMessageLengthBytes( xMessageBuffer )
#define xMessageBufferSendCompletedFromISR( xMessageBuffer, pxWoken ) \
    xStreamBufferSendCompletedFromISR( ( xMessageBuffer ), ( pxWoken ) )
#define xMessageBufferReceiveCompletedFromISR( xMessageBuffer, pxWoken ) \
    xStreamBufferReceiveCompletedFromISR( ( xMessageBuffer ), ( pxWoken ) )

#endif /* FREERTOS_MESSAGE_BUFFER_H */
