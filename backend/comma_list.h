/* Proxmox's comma lists ("local,local-lvm", a storage's `nodes`). */
#ifndef PHX_COMMA_LIST_H
#define PHX_COMMA_LIST_H

#include <stdbool.h>

/* Whether item is one of list's comma-separated members, whole; a NULL
 * list has none. */
bool phx_comma_list_has(const char *list, const char *item);

#endif
