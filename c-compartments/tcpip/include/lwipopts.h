/*
 * lwIP options of the TCP/IP compartment. lwIP runs with NO_SYS=0 on the FreeRTOS layer through
 * lwIP's own contrib/ports/freertos/sys_arch.c (unmodified); the reasons for each choice are in
 * docs/networking.md.
 */
#ifndef TCPIP_LWIPOPTS_H
#define TCPIP_LWIPOPTS_H

#include <stdint.h>

/* ---- Operating system: threads, the core lock, protection ----------------------------------- */
#define NO_SYS                          0
#define SYS_LIGHTWEIGHT_PROT            1
#define LWIP_TCPIP_CORE_LOCKING         1
#define LWIP_TCPIP_CORE_LOCKING_INPUT   0
/* sys_arch's core-locking check reads the NVIC's active-vector field, a privileged register. */
#define LWIP_FREERTOS_CHECK_CORE_LOCKING 0
/* Task stack sizes below are in words, as xTaskCreate takes them. */
#define LWIP_FREERTOS_THREAD_STACKSIZE_IS_STACKWORDS 1
#define TCPIP_THREAD_NAME               "tcpip"
#define TCPIP_THREAD_STACKSIZE          1024
#define TCPIP_THREAD_PRIO               10
#define TCPIP_MBOX_SIZE                 16
#define DEFAULT_THREAD_STACKSIZE        512
#define DEFAULT_THREAD_PRIO             8
#define DEFAULT_RAW_RECVMBOX_SIZE       8
#define DEFAULT_UDP_RECVMBOX_SIZE       8
#define DEFAULT_TCP_RECVMBOX_SIZE       16
#define DEFAULT_ACCEPTMBOX_SIZE         4
/* lwIP must never hand another thread a pointer into the caller's stack: API messages (and the
 * DNS client's results) come from pools in the compartment's globals. The callers of our exports
 * are threads of other compartments, whose stacks only they can reach; the tcpip thread writing
 * a result into one would fault. */
#define LWIP_MPU_COMPATIBLE             1
/* One semaphore per netconn, not per thread: threads of other compartments call in, and their
 * thread-local storage is not ours to use. */
#define LWIP_NETCONN_SEM_PER_THREAD     0

/* ---- Memory: lwIP's own pools inside the compartment's globals ------------------------------ */
#define MEM_LIBC_MALLOC                 0
#define MEMP_MEM_MALLOC                 0
#define MEM_ALIGNMENT                   4
#define MEM_SIZE                        ( 24 * 1024 )
#define MEMP_NUM_PBUF                   16
#define MEMP_NUM_UDP_PCB                6
#define MEMP_NUM_TCP_PCB                8
#define MEMP_NUM_TCP_PCB_LISTEN         2
#define MEMP_NUM_TCP_SEG                32
#define MEMP_NUM_NETBUF                 8
#define MEMP_NUM_NETCONN                12
#define MEMP_NUM_TCPIP_MSG_API          8
#define MEMP_NUM_TCPIP_MSG_INPKT        16
#define MEMP_NUM_SYS_TIMEOUT            ( LWIP_NUM_SYS_TIMEOUT_INTERNAL + 2 )
#define PBUF_POOL_SIZE                  24
#define PBUF_POOL_BUFSIZE               1536

/* ---- Protocols -------------------------------------------------------------------------------- */
#define LWIP_IPV4                       1
#define LWIP_IPV6                       0
#define LWIP_ARP                        1
#define ETHARP_SUPPORT_STATIC_ENTRIES   0
#define LWIP_ICMP                       1
#define LWIP_RAW                        0
#define LWIP_DHCP                       1
#define LWIP_DNS                        1
#define DNS_MAX_SERVERS                 2
#define LWIP_UDP                        1
#define LWIP_TCP                        1
#define TCP_MSS                         1460
#define TCP_WND                         ( 8 * TCP_MSS )
#define TCP_SND_BUF                     ( 8 * TCP_MSS )
#define TCP_SND_QUEUELEN                ( 4 * TCP_SND_BUF / TCP_MSS )
#define LWIP_TCP_KEEPALIVE              0
#define IP_REASSEMBLY                   0
#define IP_FRAG                         0
#define LWIP_IGMP                       0
#define LWIP_ACD                        0
#define LWIP_DHCP_DOES_ACD_CHECK        0
#define LWIP_AUTOIP                     0

/* ---- APIs: netconn only (the compartment exports its own socket calls over it) --------------- */
#define LWIP_NETCONN                    1
#define LWIP_SOCKET                     0
#define LWIP_NETIF_API                  0
#define LWIP_SO_RCVTIMEO                1
/* Sends never block inside lwIP (net_send waits for lwIP's "sent" event itself). */
#define LWIP_SO_SNDTIMEO                0
#define LWIP_NETIF_STATUS_CALLBACK      1
#define LWIP_NETIF_LINK_CALLBACK        1
#define LWIP_NETIF_HOSTNAME             1

/* ---- SNTP: the client sets the RTOS wall clock through the clock capability ------------------ */
#define SNTP_SERVER_DNS                 0
/* Unix seconds and microseconds of the server's transmit time; the glue turns them into the
 * kernel's wall clock (rtos_wall_clock_set). */
void tcpip_sntp_set_time( uint32_t sec, uint32_t us );
#define SNTP_SET_SYSTEM_TIME_US( sec, us )     tcpip_sntp_set_time( ( sec ), ( us ) )
/* Our transmit timestamp is the wall clock (or the uptime before the first synchronisation), so
 * SNTP_CHECK_RESPONSE 2 can match the reply's originate timestamp against the request. */
void tcpip_sntp_get_time( uint32_t * sec, uint32_t * us );
#define SNTP_GET_SYSTEM_TIME( sec, us )        tcpip_sntp_get_time( &( sec ), &( us ) )
#define SNTP_CHECK_RESPONSE             2
/* The SNTP port is set at build time by the image (an unprivileged port in tests). */
#ifndef SNTP_PORT
#define SNTP_PORT                       123
#endif
#define SNTP_UPDATE_DELAY               3600000
#define SNTP_STARTUP_DELAY              0
/* A lost reply is retried after 2 s (lwIP's default is 15 s), doubling up to a minute. */
#define SNTP_RETRY_TIMEOUT              2000
#define SNTP_RETRY_TIMEOUT_MAX          60000
#define SNTP_RETRY_TIMEOUT_EXP          1

/* ---- DNS: the server comes from DHCP unless the image names one (TCPIP_DNS_SERVER) ------------ */
#ifdef TCPIP_DNS_SERVER
#define LWIP_DHCP_MAX_DNS_SERVERS       0
#endif

/* ---- Statistics and checks -------------------------------------------------------------------- */
#define LWIP_STATS                      0
#define LWIP_DEBUG                      0
#define CHECKSUM_CHECK_IP               1
#define CHECKSUM_CHECK_TCP              1
#define CHECKSUM_CHECK_UDP              1
#define CHECKSUM_GEN_IP                 1
#define CHECKSUM_GEN_TCP                1
#define CHECKSUM_GEN_UDP                1

#endif /* TCPIP_LWIPOPTS_H */
