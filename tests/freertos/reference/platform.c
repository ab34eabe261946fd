/*
 * Reference platform: the trace API (../programs/trace.h) and bench clock (../bench/bench.h) on
 * QEMU mps2-an505 for the reference FreeRTOS kernel, plus the hooks its configuration asks for.
 *
 * Console: CMSDK APB UART0 (Secure alias). Exit: Arm semihosting SYS_EXIT_EXTENDED, so QEMU's
 * exit status is the run's status (0 done, 1 trace_fail, 3 assertion, 4 fault, 5 stack overflow).
 */
#include <stdarg.h>
#include <stdint.h>

#include "FreeRTOS.h"
#include "task.h"

#include "trace.h"
#include "trace_format.h"

#define UART0_BASE       0x50200000UL
#define UART_DATA        ( *( volatile uint32_t * ) ( UART0_BASE + 0x00 ) )
#define UART_STATE       ( *( volatile uint32_t * ) ( UART0_BASE + 0x04 ) )
#define UART_CTRL        ( *( volatile uint32_t * ) ( UART0_BASE + 0x08 ) )
#define UART_BAUDDIV     ( *( volatile uint32_t * ) ( UART0_BASE + 0x10 ) )
#define UART_TX_FULL     0x1U
#define UART_TX_ENABLE   0x1U

#define SYST_RVR         ( *( volatile uint32_t * ) 0xE000E014UL )
#define SYST_CVR         ( *( volatile uint32_t * ) 0xE000E018UL )
#define SCB_ICSR         ( *( volatile uint32_t * ) 0xE000ED04UL )
#define ICSR_PENDSTSET   ( 1UL << 26 )

/* The interrupt used by trace_run_isr(): an external line no QEMU device drives on this board. */
#define ISR_IRQ          70U
#define NVIC_ISER( n )   ( *( volatile uint32_t * ) ( 0xE000E100UL + 4U * ( n ) ) )
#define NVIC_ISPR( n )   ( *( volatile uint32_t * ) ( 0xE000E200UL + 4U * ( n ) ) )
#define NVIC_IPR_BYTE( n ) ( *( volatile uint8_t * ) ( 0xE000E400UL + ( n ) ) )

enum { EXIT_DONE = 0, EXIT_FAIL = 1, EXIT_ASSERT = 3, EXIT_FAULT = 4, EXIT_STACK = 5 };

static int console_ready;

static void console_init( void )
{
    if( !console_ready )
    {
        UART_BAUDDIV = configCPU_CLOCK_HZ / 115200U;
        UART_CTRL = UART_TX_ENABLE;
        console_ready = 1;
    }
}

static void put_char( char c )
{
    while( UART_STATE & UART_TX_FULL )
    {
    }
    UART_DATA = ( uint32_t ) ( uint8_t ) c;
}

static void put_str( const char * s )
{
    while( *s )
    {
        put_char( *s++ );
    }
}

static void put_formatted_line( const char * prefix, const char * fmt, va_list ap )
{
    char line[ TRACE_LINE_MAX ];
    unsigned n = trace_format( line, prefix, fmt, ap );

    for( unsigned i = 0; i < n; i++ )
    {
        put_char( line[ i ] );
    }
}

static void put_line( const char * prefix, const char * fmt, ... )
{
    va_list ap;

    va_start( ap, fmt );
    put_formatted_line( prefix, fmt, ap );
    va_end( ap );
}

/* Interrupts stay masked for a whole line so lines never interleave; works in any context. */
static uint32_t lock_console( void )
{
    uint32_t primask;

    __asm volatile ( "mrs %0, primask \n cpsid i" : "=r" ( primask ) : : "memory" );
    console_init();
    return primask;
}

static void unlock_console( uint32_t primask )
{
    __asm volatile ( "msr primask, %0" : : "r" ( primask ) : "memory" );
}

static void __attribute__( ( noreturn ) ) platform_exit( int status )
{
    /* ADP_Stopped_ApplicationExit with a status, semihosting operation SYS_EXIT_EXTENDED. */
    static volatile uint32_t block[ 2 ];

    block[ 0 ] = 0x20026U;
    block[ 1 ] = ( uint32_t ) status;

    register uint32_t op __asm( "r0" ) = 0x20U;
    register volatile uint32_t * arg __asm( "r1" ) = block;
    __asm volatile ( "bkpt 0xab" : "+r" ( op ) : "r" ( arg ) : "memory" );

    for( ; ; )
    {
        __asm volatile ( "cpsid i \n wfi" );
    }
}

void trace( const char * fmt, ... )
{
    va_list ap;
    uint32_t key = lock_console();

    va_start( ap, fmt );
    put_formatted_line( "TRACE ", fmt, ap );
    va_end( ap );
    unlock_console( key );
}

void trace_done( void )
{
    ( void ) lock_console();
    put_str( "TRACE done\n" );
    platform_exit( EXIT_DONE );
}

void trace_fail( const char * fmt, ... )
{
    va_list ap;

    ( void ) lock_console();
    va_start( ap, fmt );
    put_formatted_line( "TRACE FAIL ", fmt, ap );
    va_end( ap );
    platform_exit( EXIT_FAIL );
}

/* ---- trace_run_isr: a software-pended external interrupt ---------------------------------- */

static void ( * volatile isr_fn )( void * );
static void * volatile isr_arg;

void platform_isr_handler( void )
{
    void ( * fn )( void * ) = isr_fn;

    isr_fn = NULL;

    if( fn != NULL )
    {
        fn( isr_arg );
    }
}

void trace_run_isr( void ( * fn )( void * ), void * arg )
{
    isr_arg = arg;
    isr_fn = fn;
    /* Least urgent priority, like the kernel's own interrupts: FromISR calls are legal there. */
    NVIC_IPR_BYTE( ISR_IRQ ) = 0xFFU;
    NVIC_ISER( ISR_IRQ / 32U ) = 1UL << ( ISR_IRQ % 32U );
    __asm volatile ( "dsb \n isb" ::: "memory" );
    /* Pending it from thread mode with interrupts enabled takes it before the next instruction. */
    NVIC_ISPR( ISR_IRQ / 32U ) = 1UL << ( ISR_IRQ % 32U );
    __asm volatile ( "dsb \n isb" ::: "memory" );

    while( isr_fn != NULL )
    {
    }
}

/* ---- Bench clock: SysTick cycles since the scheduler started ------------------------------ */

uint64_t bench_cycles( void )
{
    taskENTER_CRITICAL();
    /* SysTick cannot be serviced here, so the counter reaching zero since the last tick shows as
     * a pending SysTick. The counter then reads 0 for one more cycle (the period's last) before
     * it reloads: the second reading is that 0 or belongs to the next tick period. */
    uint32_t ticks = ( uint32_t ) xTaskGetTickCount();
    uint32_t v1 = SYST_CVR;
    uint32_t pending = SCB_ICSR & ICSR_PENDSTSET;
    uint32_t v2 = SYST_CVR;
    uint32_t period = SYST_RVR + 1U;
    taskEXIT_CRITICAL();

    if( pending )
    {
        if( v2 != 0U )
        {
            ticks++;
        }

        v1 = v2;
    }

    return ( uint64_t ) ticks * period + ( period - 1U - v1 );
}

uint32_t bench_cycles_hz( void )
{
    return configCPU_CLOCK_HZ;
}

/* ---- Kernel hooks -------------------------------------------------------------------------- */

void platform_assert_failed( const char * file, int line )
{
    const char * base = file;

    ( void ) lock_console();

    for( const char * p = file; *p; p++ )
    {
        if( *p == '/' )
        {
            base = p + 1;
        }
    }

    put_line( "TRACE ASSERT ", "%s:%d", base, line );
    platform_exit( EXIT_ASSERT );
}

void vApplicationStackOverflowHook( TaskHandle_t task, char * name )
{
    ( void ) task;
    ( void ) lock_console();
    put_str( "TRACE STACK OVERFLOW in task " );
    put_str( name );
    put_char( '\n' );
    platform_exit( EXIT_STACK );
}

void platform_fault( const char * what )
{
    ( void ) lock_console();
    put_str( "TRACE FAULT " );
    put_str( what );
    put_char( '\n' );
    platform_exit( EXIT_FAULT );
}
