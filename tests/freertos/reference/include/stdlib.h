/* The kernel includes <stdlib.h> but needs nothing from it beyond <stddef.h>. */
#ifndef REFERENCE_STDLIB_H
#define REFERENCE_STDLIB_H

#include <stddef.h>

#endif
