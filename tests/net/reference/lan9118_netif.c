/*
 * lwIP network interface for the board's SMSC LAN9118 (QEMU mps2-an505), for the reference
 * build of the network benchmark: lwIP linked without compartments on the reference FreeRTOS
 * kernel, privileged and Secure. Register facts as in net/lan9118/src/regs.rs (our Rust driver).
 *
 * Receive is interrupt-driven: the chip raises its interrupt (BOARD_ETH_IRQ) when the receive
 * status FIFO holds a frame's status; the handler masks the chip's interrupt and notifies the
 * receive task, which clears the cause, reads every waiting frame into a pbuf, passes it to
 * netif->input (tcpip_input) and unmasks. Transmit (linkoutput) writes the frame to the TX data
 * FIFO under lwIP's core lock.
 */
#include <stdint.h>
#include <string.h>

#include "FreeRTOS.h"
#include "task.h"

#include "lwip/opt.h"
#include "lwip/etharp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"

#include "net_reference.h"

/* The device at its Secure alias, and its interrupt line as the NVIC numbers it. */
/* Board facts, from boards/<board>/board.toml (device `eth`): the build tool defines them. */
#if !defined( BOARD_ETH_BASE ) || !defined( BOARD_ETH_IRQ )
    #error "BOARD_ETH_BASE and BOARD_ETH_IRQ come from the board file; build with `cargo xtask bench net`"
#endif
#define ETH_BASE              BOARD_ETH_BASE
#define ETH_IRQ               BOARD_ETH_IRQ
#define REG( off )            ( *( volatile uint32_t * ) ( ETH_BASE + ( off ) ) )

#define RX_DATA_FIFO          0x00U
#define TX_DATA_FIFO          0x20U
#define RX_STATUS_FIFO        0x40U
#define ID_REV                0x50U
#define IRQ_CFG               0x54U
#define INT_STS               0x58U
#define INT_EN                0x5CU
#define BYTE_TEST             0x64U
#define FIFO_INT              0x68U
#define TX_CFG                0x70U
#define HW_CFG                0x74U
#define RX_FIFO_INF           0x7CU
#define TX_FIFO_INF           0x80U
#define PMT_CTRL              0x84U
#define MAC_CSR_CMD           0xA4U
#define MAC_CSR_DATA          0xA8U

#define BYTE_TEST_VALUE       0x87654321UL
#define CHIP_ID_9118          0x0118U
#define IRQ_CFG_EN_HIGH_PP    ( ( 1UL << 8 ) | ( 1UL << 4 ) | 1UL )
#define INT_RSFL              ( 1UL << 3 )
#define HW_CFG_SRST           1UL
#define PMT_READY             1UL
#define TX_CFG_TX_ON          ( 1UL << 1 )
/* TX status FIFO overrun allowed: nobody reads transmit statuses. */
#define TX_CFG_TXSAO          ( 1UL << 2 )
#define CSR_BUSY              ( 1UL << 31 )
#define CSR_READ              ( 1UL << 30 )
#define MAC_CR                1U
#define MAC_CR_RXEN           ( 1UL << 2 )
#define MAC_CR_TXEN           ( 1UL << 3 )
#define ADDRH                 2U
#define ADDRL                 3U
#define TX_CMD_A_FIRST        ( 1UL << 13 )
#define TX_CMD_A_LAST         ( 1UL << 12 )
#define RX_STS_LEN( s )       ( ( ( s ) >> 16 ) & 0x3FFFU )
#define RX_STS_ERROR          ( 1UL << 15 )

/* Largest frame without CRC, and the CRC the chip leaves in the receive FIFO. */
#define MAX_FRAME             1514U
#define CRC_LEN               4U

#define NVIC_ISER( n )        ( *( volatile uint32_t * ) ( 0xE000E100UL + 4U * ( n ) ) )
#define NVIC_IPR_BYTE( n )    ( *( volatile uint8_t * ) ( 0xE000E400UL + ( n ) ) )
/* Less urgent than configMAX_SYSCALL_INTERRUPT_PRIORITY (5 << 5): FromISR calls are legal. */
#define ETH_IRQ_PRIORITY      ( 6U << 5 )

#define RX_TASK_PRIORITY      ( TCPIP_THREAD_PRIO + 1 )
#define RX_TASK_STACK_WORDS   512U

static TaskHandle_t rx_task;
static struct netif * rx_netif;
static volatile uint32_t rx_frames;
static volatile uint32_t rx_dropped;

uint32_t lan9118_rx_frames( void )
{
    return rx_frames;
}

uint32_t lan9118_rx_dropped( void )
{
    return rx_dropped;
}

/* Waits (bounded) until `( REG( off ) & mask ) == want`; 0 when it got there. */
static int poll_reg( uint32_t off, uint32_t mask, uint32_t want )
{
    for( uint32_t i = 0; i < 100000U; i++ )
    {
        if( ( REG( off ) & mask ) == want )
        {
            return 0;
        }
    }

    return -1;
}

static int mac_read( uint32_t index, uint32_t * value )
{
    if( poll_reg( MAC_CSR_CMD, CSR_BUSY, 0 ) != 0 )
    {
        return -1;
    }

    REG( MAC_CSR_CMD ) = CSR_BUSY | CSR_READ | index;

    if( poll_reg( MAC_CSR_CMD, CSR_BUSY, 0 ) != 0 )
    {
        return -1;
    }

    *value = REG( MAC_CSR_DATA );
    return 0;
}

static int mac_write( uint32_t index, uint32_t value )
{
    if( poll_reg( MAC_CSR_CMD, CSR_BUSY, 0 ) != 0 )
    {
        return -1;
    }

    REG( MAC_CSR_DATA ) = value;
    REG( MAC_CSR_CMD ) = CSR_BUSY | index;
    return poll_reg( MAC_CSR_CMD, CSR_BUSY, 0 );
}

/* The Ethernet interrupt (vector 16 + BOARD_ETH_IRQ, installed in startup.c): mask the chip's interrupt
 * until the receive task has emptied the FIFO, and wake the task. */
void lan9118_irq_handler( void )
{
    BaseType_t woken = pdFALSE;

    REG( INT_EN ) = 0;

    if( rx_task != NULL )
    {
        vTaskNotifyGiveFromISR( rx_task, &woken );
    }

    portYIELD_FROM_ISR( woken );
}

/* Reads one frame (its status already popped) into a pbuf; NULL if it is dropped. */
static struct pbuf * read_frame( uint32_t status )
{
    uint32_t len = RX_STS_LEN( status );
    uint32_t words = ( len + 3U ) / 4U;
    struct pbuf * p = NULL;

    if( ( status & RX_STS_ERROR ) == 0U && len > CRC_LEN && len - CRC_LEN <= MAX_FRAME )
    {
        p = pbuf_alloc( PBUF_RAW, ( u16_t ) ( len - CRC_LEN ), PBUF_POOL );
    }

    if( p == NULL )
    {
        for( uint32_t i = 0; i < words; i++ )
        {
            ( void ) REG( RX_DATA_FIFO );
        }

        return NULL;
    }

    /* Fill the chain word by word; bytes past the frame (the CRC) are read and dropped. */
    uint32_t frame = len - CRC_LEN;
    uint32_t done = 0;
    struct pbuf * q = p;
    uint32_t in_q = 0;

    for( uint32_t i = 0; i < words; i++ )
    {
        uint32_t word = REG( RX_DATA_FIFO );

        for( uint32_t b = 0; b < 4U && done < frame; b++, done++ )
        {
            if( in_q == q->len )
            {
                q = q->next;
                in_q = 0;
            }

            ( ( uint8_t * ) q->payload )[ in_q++ ] = ( uint8_t ) ( word >> ( 8U * b ) );
        }
    }

    return p;
}

static void rx_task_main( void * arg )
{
    ( void ) arg;

    for( ; ; )
    {
        ( void ) ulTaskNotifyTake( pdTRUE, portMAX_DELAY );
        /* Clear the cause first: a frame arriving from here on raises it again, and the interrupt
         * fires once it is unmasked below. */
        REG( INT_STS ) = INT_RSFL;

        while( ( ( REG( RX_FIFO_INF ) >> 16 ) & 0xFFU ) != 0U )
        {
            struct pbuf * p = read_frame( REG( RX_STATUS_FIFO ) );

            if( p == NULL )
            {
                rx_dropped++;
            }
            else if( rx_netif->input( p, rx_netif ) != ERR_OK )
            {
                pbuf_free( p );
                rx_dropped++;
            }
            else
            {
                rx_frames++;
            }
        }

        REG( INT_EN ) = INT_RSFL;
    }
}

/* Words of a frame being sent, when it is not one word-aligned pbuf. Used under the core lock. */
static uint32_t tx_bounce[ ( MAX_FRAME + 3U ) / 4U ];

static err_t linkoutput( struct netif * netif, struct pbuf * p )
{
    ( void ) netif;
    uint32_t len = p->tot_len;

    if( len < 14U || len > MAX_FRAME )
    {
        return ERR_ARG;
    }

    /* Room for the two command words and the frame (the FIFO drains as QEMU sends). */
    uint32_t need = 8U + ( ( len + 3U ) & ~3U );

    for( uint32_t i = 0; ( REG( TX_FIFO_INF ) & 0xFFFFU ) < need; i++ )
    {
        if( i == 100000U )
        {
            return ERR_IF;
        }
    }

    const uint32_t * words;

    if( p->next == NULL && ( ( uintptr_t ) p->payload & 3U ) == 0U && ( len & 3U ) == 0U )
    {
        words = ( const uint32_t * ) p->payload;
    }
    else
    {
        tx_bounce[ len / 4U ] = 0;
        ( void ) pbuf_copy_partial( p, tx_bounce, ( u16_t ) len, 0 );
        words = tx_bounce;
    }

    REG( TX_DATA_FIFO ) = TX_CMD_A_FIRST | TX_CMD_A_LAST | len;
    REG( TX_DATA_FIFO ) = ( len << 16 ) | len;

    for( uint32_t i = 0; i < ( len + 3U ) / 4U; i++ )
    {
        REG( TX_DATA_FIFO ) = words[ i ];
    }

    return ERR_OK;
}

err_t lan9118_netif_init( struct netif * netif )
{
    uint32_t lo, hi;

    if( REG( BYTE_TEST ) != BYTE_TEST_VALUE )
    {
        return ERR_IF;
    }

    REG( HW_CFG ) = HW_CFG_SRST;

    if( poll_reg( HW_CFG, HW_CFG_SRST, 0 ) != 0 || poll_reg( PMT_CTRL, PMT_READY, PMT_READY ) != 0 )
    {
        return ERR_IF;
    }

    if( ( REG( ID_REV ) >> 16 ) != CHIP_ID_9118 || mac_read( ADDRL, &lo ) != 0 || mac_read( ADDRH, &hi ) != 0 )
    {
        return ERR_IF;
    }

    netif->hwaddr_len = ETH_HWADDR_LEN;

    for( int i = 0; i < 4; i++ )
    {
        netif->hwaddr[ i ] = ( u8_t ) ( lo >> ( 8 * i ) );
    }

    netif->hwaddr[ 4 ] = ( u8_t ) hi;
    netif->hwaddr[ 5 ] = ( u8_t ) ( hi >> 8 );
    netif->mtu = 1500;
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
    netif->name[ 0 ] = 'e';
    netif->name[ 1 ] = 'n';
    netif->output = etharp_output;
    netif->linkoutput = linkoutput;
    rx_netif = netif;

    if( xTaskCreate( rx_task_main, "eth-rx", RX_TASK_STACK_WORDS, NULL, RX_TASK_PRIORITY, &rx_task ) != pdPASS )
    {
        return ERR_MEM;
    }

    /* Interrupt when one frame's status is in the receive status FIFO (level 0: any). */
    REG( FIFO_INT ) = 0;
    REG( INT_STS ) = 0xFFFFFFFFUL;
    REG( IRQ_CFG ) = IRQ_CFG_EN_HIGH_PP;
    REG( TX_CFG ) = TX_CFG_TX_ON | TX_CFG_TXSAO;

    if( mac_write( MAC_CR, MAC_CR_RXEN | MAC_CR_TXEN ) != 0 )
    {
        return ERR_IF;
    }

    NVIC_IPR_BYTE( ETH_IRQ ) = ETH_IRQ_PRIORITY;
    NVIC_ISER( ETH_IRQ / 32U ) = 1UL << ( ETH_IRQ % 32U );
    REG( INT_EN ) = INT_RSFL;
    return ERR_OK;
}
