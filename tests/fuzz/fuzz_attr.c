/* Fuzz the attribute parsers: the first byte picks a row of the schema
 * table (and whether an old value of string type exists), the rest is what
 * a program wrote to the file. An accepted value must pass the whole-entry
 * check and format back to text that parses to the same value. */
#include "backend/schema.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct phx_attr *a;
	json_object *old = NULL, *v = NULL, *entry, *v2 = NULL;
	char err[512], *shown;

	if (size < 1)
		return 0;
	a = &phx_attrs[data[0] % phx_nattrs];
	if (data[0] & 0x80)
		old = json_object_new_string("1");
	if (phx_attr_parse(a, (const char *)data + 1, size - 1, old, &v, err, sizeof(err)) < 0 || !v) {
		json_object_put(old);
		return 0;
	}
	entry = json_object_new_object();
	json_object_object_add(entry, a->key, json_object_get(v));
	if (phx_entry_check(entry, err, sizeof(err)) != 0 && a->type != PHX_T_CTID)
		abort(); /* accepted in a file, refused in an entry */
	shown = phx_attr_format(a, v);
	if (!shown)
		abort();
	if (phx_attr_parse(a, shown, strlen(shown), v, &v2, err, sizeof(err)) != 0 ||
	    !json_object_equal(v, v2))
		abort(); /* what we show does not read back as what we hold */
	free(shown);
	json_object_put(v2);
	json_object_put(entry);
	json_object_put(v);
	json_object_put(old);
	return 0;
}
