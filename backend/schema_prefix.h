/* Whether the bytes written so far to an attribute file can still become a
 * valid value. Shells ignore close(2), so a value refused only when the file
 * is closed is an error bash and dash never show: a write that brings a byte
 * no valid value can hold (a letter in an integer, a space in a hostname, a
 * number already past the range, a twelfth hex digit pair of a MAC) is
 * refused at that write instead. Only what cannot be valid whatever comes
 * next is "dead": "12" in a field of 100..200 can still become "120". */
#ifndef PHX_SCHEMA_PREFIX_H
#define PHX_SCHEMA_PREFIX_H

#include "backend/schema.h"

#include <stdbool.h>
#include <stddef.h>

bool phx_attr_prefix_dead(const struct phx_attr *a, const char *text, size_t len);

#endif
