/* compat-freertos: the "port" of the compatibility layer. Tasks are kernel threads of an
 * unprivileged C compartment, so nothing here touches the hardware: yields and critical
 * sections are calls into the runtime (docs/porting.md). */
#ifndef PORTMACRO_H
#define PORTMACRO_H

#include <stdint.h>
#include <stddef.h>

typedef long BaseType_t;
typedef unsigned long UBaseType_t;
typedef uint32_t StackType_t;
typedef uint32_t TickType_t;
#define portMAX_DELAY               ( ( TickType_t ) 0xffffffffUL )
#define portTICK_TYPE_IS_ATOMIC     1
#define portSTACK_GROWTH            ( -1 )
#define portBYTE_ALIGNMENT          32
#define portPOINTER_SIZE_TYPE       uint32_t
#define portTICK_PERIOD_MS          ( ( TickType_t ) 1000 / configTICK_RATE_HZ )
#define portNUM_CONFIGURABLE_REGIONS 0
#define portHAS_STACK_OVERFLOW_CHECKING 1

void vPortYield( void );
void vPortEnterCritical( void );
void vPortExitCritical( void );
void vCompatYieldFromIsr( BaseType_t xSwitchRequired );
BaseType_t xPortIsInsideInterrupt( void );

#define portYIELD()                         vPortYield()
#define portYIELD_WITHIN_API()              vPortYield()
#define portYIELD_FROM_ISR( x )             vCompatYieldFromIsr( x )
#define portEND_SWITCHING_ISR( x )          vCompatYieldFromIsr( x )
#define portENTER_CRITICAL()                vPortEnterCritical()
#define portEXIT_CRITICAL()                 vPortExitCritical()
/* No interrupt masking is possible unprivileged: the "interrupt" critical sections of the API
 * (used only around FromISR calls) are the same recursive lock. */
#define portSET_INTERRUPT_MASK_FROM_ISR()           ( vPortEnterCritical(), ( UBaseType_t ) 0 )
#define portCLEAR_INTERRUPT_MASK_FROM_ISR( x )      do { ( void ) ( x ); vPortExitCritical(); } while( 0 )
#define portDISABLE_INTERRUPTS()                    vPortEnterCritical()
#define portENABLE_INTERRUPTS()                     vPortExitCritical()
#define portNOP()                                   __asm volatile ( "nop" )
#define portMEMORY_BARRIER()                        __asm volatile ( "" ::: "memory" )
#define portTASK_FUNCTION_PROTO( f, p )             void f( void * p )
#define portTASK_FUNCTION( f, p )                   void f( void * p )

/* The layer (Rust) calls this when an API function gets arguments the FreeRTOS kernel rejects
 * with configASSERT (a NULL handle, ...), so that the application's configASSERT reports it; the
 * function then fails cleanly. Weak: every file including this header carries a copy, the
 * linker keeps one. FreeRTOSConfig.h is read before this header, so configASSERT is known here
 * if the application defines it. */
__attribute__( ( weak ) ) void vCompatAssertFailed( void )
{
    #ifdef configASSERT
        configASSERT( 0 );
    #endif
}

#endif /* PORTMACRO_H */
