/*
 * Start-up code for the reference FreeRTOS build on mps2-an505: vector table, reset handler
 * (copy .data, zero .bss, point VTOR at the table, call main) and fault handlers that report on
 * the console and end the run.
 */
#include <stdint.h>

extern uint32_t __stack_top;
extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end;

int main( void );

/* The port's handlers, installed directly (configCHECK_HANDLER_INSTALLATION checks this). */
void SVC_Handler( void );
void PendSV_Handler( void );
void SysTick_Handler( void );

void platform_isr_handler( void );
void platform_fault( const char * what ) __attribute__( ( noreturn ) );

void Reset_Handler( void ) __attribute__( ( noreturn ) );

static void hard_fault( void ) { platform_fault( "HardFault" ); }
static void mem_manage( void ) { platform_fault( "MemManage" ); }
static void bus_fault( void ) { platform_fault( "BusFault" ); }
static void usage_fault( void ) { platform_fault( "UsageFault" ); }
static void secure_fault( void ) { platform_fault( "SecureFault" ); }
static void nmi( void ) { platform_fault( "NMI" ); }
static void unexpected( void ) { platform_fault( "unexpected interrupt" ); }

/* The Ethernet controller's line: a build with a network driver (tests/net/reference) defines
 * the handler, and the build tool passes the line from the board file (BOARD_ETH_IRQ); otherwise
 * the interrupt is unexpected. */
void lan9118_irq_handler( void ) __attribute__( ( weak, alias( "unexpected" ) ) );

/* 16 system exceptions + 96 external interrupts (the AN505 model has 92 lines). */
#define VECTORS    ( 16 + 96 )
#define ISR_IRQ    70 /* must match platform.c */

typedef void ( * vector_t )( void );

__attribute__( ( section( ".vectors" ), used ) ) const vector_t vector_table[ VECTORS ] =
{
    [ 0 ] = ( vector_t ) &__stack_top,
    [ 1 ] = Reset_Handler,
    [ 2 ] = nmi,
    [ 3 ] = hard_fault,
    [ 4 ] = mem_manage,
    [ 5 ] = bus_fault,
    [ 6 ] = usage_fault,
    [ 7 ] = secure_fault,
    [ 8 ... 10 ] = unexpected,
    [ 11 ] = SVC_Handler,
    [ 12 ] = unexpected,
    [ 13 ] = unexpected,
    [ 14 ] = PendSV_Handler,
    [ 15 ] = SysTick_Handler,
    [ 16 ... VECTORS - 1 ] = unexpected,
    [ 16 + ISR_IRQ ] = platform_isr_handler,
#ifdef BOARD_ETH_IRQ
    [ 16 + BOARD_ETH_IRQ ] = lan9118_irq_handler,
#endif
};

#define SCB_VTOR     ( *( volatile uint32_t * ) 0xE000ED08UL )
#define SCB_SHCSR    ( *( volatile uint32_t * ) 0xE000ED24UL )

void Reset_Handler( void )
{
    uint32_t * src = &__data_load;

    for( uint32_t * dst = &__data_start; dst < &__data_end; )
    {
        *dst++ = *src++;
    }

    for( uint32_t * dst = &__bss_start; dst < &__bss_end; )
    {
        *dst++ = 0U;
    }

    SCB_VTOR = ( uint32_t ) vector_table;
    /* Separate MemManage, BusFault, UsageFault and SecureFault reports instead of HardFault. */
    SCB_SHCSR |= ( 1UL << 16 ) | ( 1UL << 17 ) | ( 1UL << 18 ) | ( 1UL << 19 );
    __asm volatile ( "dsb \n isb" ::: "memory" );

    ( void ) main();
    platform_fault( "main returned" );
}
