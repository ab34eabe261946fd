/*
 * Start-up of the TCP/IP compartment: runs as the FreeRTOS `main()` of the compartment (the
 * manifest's thread enters compat_freertos_main, which calls it). It starts lwIP's tcpip thread,
 * adds the interface behind the firewall, starts DHCP (or sets the image's static address),
 * names the DNS and SNTP servers the image configures, and starts the receive task. Calls into
 * the socket API before the interface is up wait in net_wait_up or fail with NET_E_DOWN.
 *
 * Build-time configuration (manifest `defines`), all optional:
 *   TCPIP_STATIC_IP="10.0.2.15" TCPIP_NETMASK="255.255.255.0" TCPIP_GATEWAY="10.0.2.2"
 *                           a fixed address instead of DHCP;
 *   TCPIP_DNS_SERVER="a.b.c.d"   the DNS server (instead of the one DHCP offers);
 *   TCPIP_SNTP_SERVER="a.b.c.d"  start lwIP's SNTP client against this server (SNTP_PORT sets
 *                           its port) once the interface has an address.
 */
#include <stdint.h>

#include "FreeRTOS.h"
#include "task.h"
#include "rtos.h"

#include "lwip/opt.h"
#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/tcpip.h"
#include "lwip/apps/sntp.h"
#include "netif/ethernet.h"

#include "glue.h"

#if defined( TCPIP_STATIC_IP ) || defined( TCPIP_DNS_SERVER ) || defined( TCPIP_SNTP_SERVER )
static void parse_or_die( const char * text, ip4_addr_t * out, const char * what )
{
    if( ip4addr_aton( text, out ) == 0 )
    {
        tcpip_diag( "tcpip: %s \"%s\" is not an IPv4 address; fix the manifest's defines\n", what, text );
        tcpip_assert_failed( "bad address in the configuration", __FILE__, __LINE__ );
    }
}
#endif

/* Runs in the tcpip thread (lwIP core locked) whenever the address changes. */
static void status_changed( struct netif * netif )
{
    int up = netif_is_up( netif ) && !ip4_addr_isany_val( *netif_ip4_addr( netif ) );

    if( up )
    {
        tcpip_diag( "tcpip: interface up, address %s\n", ip4addr_ntoa( netif_ip4_addr( netif ) ) );
#ifdef TCPIP_SNTP_SERVER
        if( !sntp_enabled() )
        {
            ip_addr_t server;

            parse_or_die( TCPIP_SNTP_SERVER, ip_2_ip4( &server ), "TCPIP_SNTP_SERVER" );
            IP_SET_TYPE_VAL( server, IPADDR_TYPE_V4 );
            sntp_setoperatingmode( SNTP_OPMODE_POLL );
            sntp_setserver( 0, &server );
            sntp_init();
        }
#endif
    }

    tcpip_sockets_link_event( up );
}

/* Runs in the tcpip thread once lwIP is initialised. */
static void stack_ready( void * arg )
{
    ip4_addr_t addr, mask, gw;

    ( void ) arg;
    ip4_addr_set_zero( &addr );
    ip4_addr_set_zero( &mask );
    ip4_addr_set_zero( &gw );
#ifdef TCPIP_STATIC_IP
    parse_or_die( TCPIP_STATIC_IP, &addr, "TCPIP_STATIC_IP" );
    parse_or_die( TCPIP_NETMASK, &mask, "TCPIP_NETMASK" );
    parse_or_die( TCPIP_GATEWAY, &gw, "TCPIP_GATEWAY" );
#endif

    if( netif_add( &tcpip_netif, &addr, &mask, &gw, NULL, tcpip_netif_init, tcpip_input ) == NULL )
    {
        tcpip_console( "tcpip: the network interface did not start; no networking\n" );
        return;
    }

    netif_set_default( &tcpip_netif );
    netif_set_status_callback( &tcpip_netif, status_changed );
#ifdef TCPIP_DNS_SERVER
    {
        ip_addr_t dns;

        parse_or_die( TCPIP_DNS_SERVER, ip_2_ip4( &dns ), "TCPIP_DNS_SERVER" );
        IP_SET_TYPE_VAL( dns, IPADDR_TYPE_V4 );
        dns_setserver( 0, &dns );
    }
#endif
    netif_set_up( &tcpip_netif );
#ifndef TCPIP_STATIC_IP
    if( dhcp_start( &tcpip_netif ) != ERR_OK )
    {
        tcpip_console( "tcpip: DHCP did not start\n" );
    }
#endif
    tcpip_netif_start_rx();
}

int main( void )
{
    if( tcpip_clock_init() != RTOS_OK )
    {
        tcpip_console( "tcpip: no clock capability (manifest may_set_clock); SNTP will not set the wall clock\n" );
    }

    if( tcpip_sockets_init() != 0 )
    {
        tcpip_console( "tcpip: cannot set up the socket table\n" );
        return 1;
    }

    tcpip_init( stack_ready, NULL );
    vTaskStartScheduler();
    return 0;
}
