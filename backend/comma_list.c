/* Membership in a comma list, one place for the engine (a node's
 * storages, a storage's content types) and pvesim (a storage's nodes, a
 * privilege group). */
#include "backend/comma_list.h"

#include <string.h>

bool phx_comma_list_has(const char *list, const char *item)
{
	size_t n = strlen(item);
	const char *p = list;

	while (p && *p) {
		size_t run = strcspn(p, ",");

		if (run == n && !strncmp(p, item, n))
			return true;
		p += run;
		if (*p == ',')
			p++;
	}
	return false;
}
