/*
 * Stream and message buffers: send/receive byte counts, partial reads, full/empty queries,
 * spaces, trigger levels (a blocked reader wakes only once enough bytes arrived; changing the
 * level), timeouts, blocked writers, reset, message framing (whole messages, too-small receive
 * buffers, next length), FromISR variants, static buffers.
 */
#include <string.h>

#include "FreeRTOS.h"
#include "message_buffer.h"
#include "stream_buffer.h"
#include "task.h"

#include "trace.h"
#include "util.h"

static StreamBufferHandle_t sb;
static MessageBufferHandle_t mb;

static void reader( void * arg )
{
    char buf[ 32 ];

    ( void ) arg;
    for( int i = 0; i < 2; i++ )
    {
        size_t n = xStreamBufferReceive( sb, buf, sizeof( buf ) - 1, 20 );
        buf[ n ] = '\0';
        trace( "reader: got %u bytes \"%s\" at tick %lu", ( unsigned ) n, buf, now() );
    }

    vTaskDelete( NULL );
}

static void writer( void * arg )
{
    ( void ) arg;
    size_t n = xStreamBufferSend( sb, "0123456789", 10, 20 );
    trace( "writer: sent %u bytes at tick %lu", ( unsigned ) n, now() );
    vTaskDelete( NULL );
}

static void isr_send( void * arg )
{
    BaseType_t woken = pdFALSE;
    size_t n = xStreamBufferSendFromISR( sb, ( const char * ) arg, strlen( ( const char * ) arg ), &woken );

    trace( "isr: stream send %u, woken %d", ( unsigned ) n, ( int ) woken );
    n = xMessageBufferSendFromISR( mb, "isr-msg", 7, &woken );
    trace( "isr: message send %u", ( unsigned ) n );
    portYIELD_FROM_ISR( woken );
}

static void isr_receive( void * arg )
{
    char buf[ 16 ];
    BaseType_t woken = pdFALSE;

    ( void ) arg;
    size_t n = xMessageBufferReceiveFromISR( mb, buf, sizeof( buf ), &woken );
    buf[ n ] = '\0';
    trace( "isr: message receive %u \"%s\"", ( unsigned ) n, buf );
    n = xStreamBufferReceiveFromISR( sb, buf, 4, &woken );
    buf[ n ] = '\0';
    trace( "isr: stream receive %u \"%s\"", ( unsigned ) n, buf );
    portYIELD_FROM_ISR( woken );
}

static StaticStreamBuffer_t static_sb;
static uint8_t static_storage[ 17 ];

static void ctrl_task( void * arg )
{
    char buf[ 40 ];
    size_t n;

    ( void ) arg;
    sync_start();

    /* Stream buffer: 16 bytes, trigger level 4. */
    sb = xStreamBufferCreate( 16, 4 );
    trace( "stream: empty %d, full %d, spaces %u, available %u", ( int ) xStreamBufferIsEmpty( sb ), ( int ) xStreamBufferIsFull( sb ),
           ( unsigned ) xStreamBufferSpacesAvailable( sb ), ( unsigned ) xStreamBufferBytesAvailable( sb ) );
    trace( "send 10 -> %u", ( unsigned ) xStreamBufferSend( sb, "abcdefghij", 10, 0 ) );
    trace( "send 10 -> %u (only the space left)", ( unsigned ) xStreamBufferSend( sb, "klmnopqrst", 10, 0 ) );
    trace( "full %d, available %u", ( int ) xStreamBufferIsFull( sb ), ( unsigned ) xStreamBufferBytesAvailable( sb ) );
    n = xStreamBufferReceive( sb, buf, 5, 0 );
    buf[ n ] = '\0';
    trace( "receive 5 -> %u \"%s\"", ( unsigned ) n, buf );
    n = xStreamBufferReceive( sb, buf, sizeof( buf ), 0 );
    buf[ n ] = '\0';
    trace( "receive all -> %u \"%s\"", ( unsigned ) n, buf );
    unsigned long t = now();
    trace( "receive on empty with timeout 3 -> %u after %lu ticks", ( unsigned ) xStreamBufferReceive( sb, buf, 4, 3 ), now() - t );

    /* Trigger level: the blocked reader wakes only when 4 bytes are there. */
    spawn( reader, "reader", 6, NULL );
    trace( "ctrl: send 2 -> %u", ( unsigned ) xStreamBufferSend( sb, "xy", 2, 0 ) );
    trace( "ctrl: send 1 -> %u", ( unsigned ) xStreamBufferSend( sb, "z", 1, 0 ) );
    trace( "ctrl: send 3 -> %u", ( unsigned ) xStreamBufferSend( sb, "123", 3, 0 ) );
    trace( "ctrl: set trigger 2 -> %d, set trigger 17 -> %d", ( int ) xStreamBufferSetTriggerLevel( sb, 2 ),
           ( int ) xStreamBufferSetTriggerLevel( sb, 17 ) );
    trace( "ctrl: send 2 -> %u", ( unsigned ) xStreamBufferSend( sb, "AB", 2, 0 ) );

    /* A blocked writer on a full buffer. */
    trace( "ctrl: fill -> %u", ( unsigned ) xStreamBufferSend( sb, "................", 16, 0 ) );
    spawn( writer, "writer", 6, NULL );
    n = xStreamBufferReceive( sb, buf, 12, 0 );
    trace( "ctrl: drained %u", ( unsigned ) n );
    vTaskDelay( 1 );
    trace( "ctrl: available %u", ( unsigned ) xStreamBufferBytesAvailable( sb ) );
    trace( "ctrl: reset -> %d, available %u", ( int ) xStreamBufferReset( sb ), ( unsigned ) xStreamBufferBytesAvailable( sb ) );

    /* Message buffer: 32 bytes of storage, each message carries a length word. */
    mb = xMessageBufferCreate( 32 );
    trace( "message: send 5 -> %u", ( unsigned ) xMessageBufferSend( mb, "hello", 5, 0 ) );
    trace( "message: send 3 -> %u", ( unsigned ) xMessageBufferSend( mb, "abc", 3, 0 ) );
    trace( "message: send 20 -> %u (no room)", ( unsigned ) xMessageBufferSend( mb, "01234567890123456789", 20, 0 ) );
    trace( "message: next length %u", ( unsigned ) xMessageBufferNextLengthBytes( mb ) );
    trace( "message: receive into 3 bytes -> %u", ( unsigned ) xMessageBufferReceive( mb, buf, 3, 0 ) );
    n = xMessageBufferReceive( mb, buf, sizeof( buf ), 0 );
    buf[ n ] = '\0';
    trace( "message: receive -> %u \"%s\"", ( unsigned ) n, buf );
    n = xMessageBufferReceive( mb, buf, sizeof( buf ), 0 );
    buf[ n ] = '\0';
    trace( "message: receive -> %u \"%s\", empty %d", ( unsigned ) n, buf, ( int ) xMessageBufferIsEmpty( mb ) );

    /* Interrupts. */
    trace_run_isr( isr_send, "qrst" );
    trace_run_isr( isr_receive, NULL );

    /* Static stream buffer (storage is one byte larger than the capacity). */
    StreamBufferHandle_t s = xStreamBufferCreateStatic( 16, 1, static_storage, &static_sb );
    trace( "static: spaces %u", ( unsigned ) xStreamBufferSpacesAvailable( s ) );
    vStreamBufferDelete( s );
    vMessageBufferDelete( mb );
    vStreamBufferDelete( sb );
    finish_program();
}

int main( void )
{
    run_program( ctrl_task, 5 );
}
