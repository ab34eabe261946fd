/*
 * The mini formatter behind trace() (conversions: see trace.h), shared by every platform so the
 * trace text cannot differ between the reference kernel and ours. Platform code only: programs
 * use trace.h.
 */
#ifndef TRACE_FORMAT_H
#define TRACE_FORMAT_H

#include <stdarg.h>

/* Longest trace line, newline included. */
#define TRACE_LINE_MAX 200U

/* Formats `prefix`, then `fmt` with `ap`, then a newline into `buf` (TRACE_LINE_MAX bytes; a
 * longer line is cut, its newline kept). Returns the number of bytes written. */
unsigned trace_format( char * buf, const char * prefix, const char * fmt, va_list ap );

#endif /* TRACE_FORMAT_H */
