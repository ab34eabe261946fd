/* compat-freertos: basic definitions of the FreeRTOS API (our own header; values match the
 * FreeRTOS ABI so that unmodified applications compile and behave the same). */
#ifndef PROJDEFS_H
#define PROJDEFS_H

typedef void ( * TaskFunction_t )( void * arg );

#define pdMS_TO_TICKS( ms )    ( ( TickType_t ) ( ( ( uint64_t ) ( ms ) * ( uint64_t ) configTICK_RATE_HZ ) / 1000U ) )
#define pdTICKS_TO_MS( t )     ( ( TickType_t ) ( ( ( uint64_t ) ( t ) * 1000U ) / ( uint64_t ) configTICK_RATE_HZ ) )

#define pdFALSE    ( ( BaseType_t ) 0 )
#define pdTRUE     ( ( BaseType_t ) 1 )
#define pdFALSE_SIGNED      ( ( BaseType_t ) 0 )
#define pdTRUE_SIGNED       ( ( BaseType_t ) 1 )
#define pdFALSE_UNSIGNED    ( ( UBaseType_t ) 0 )
#define pdTRUE_UNSIGNED     ( ( UBaseType_t ) 1 )
#define pdPASS     ( pdTRUE )
#define pdFAIL     ( pdFALSE )

#define errQUEUE_EMPTY                           ( ( BaseType_t ) 0 )
#define errQUEUE_FULL                            ( ( BaseType_t ) 0 )
#define errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY    ( -1 )
#define errQUEUE_BLOCKED                         ( -4 )
#define errQUEUE_YIELD                           ( -5 )

#endif /* PROJDEFS_H */
