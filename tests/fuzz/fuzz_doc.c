/* Fuzz the desired-state document: parse, validate, check clone chains,
 * and for every accepted document require that what phoenixfs would save
 * parses again to the same text (the file must stay readable by us and by
 * the scripts that share it). */
#include "backend/chain.h"
#include "backend/doc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool maybe(void *arg, uint32_t ctid)
{
	(void)arg;
	return ctid % 2 == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	json_object *root = phx_doc_parse((const char *)data, size, err, sizeof(err));
	char *text, *again;
	size_t len, len2;
	json_object *back;

	if (!root)
		return 0;
	if (phx_doc_validate(root, err, sizeof(err)) == 0)
		(void)phx_chain_check_all(phx_doc_configs(root, false), maybe, NULL, err, sizeof(err));
	text = phx_doc_serialize(root, &len);
	if (!text)
		abort();
	back = phx_doc_parse(text, len, err, sizeof(err));
	if (!back)
		abort(); /* we would save a file we cannot read back */
	again = phx_doc_serialize(back, &len2);
	if (!again || len != len2 || memcmp(text, again, len) != 0)
		abort(); /* saving is not stable */
	free(again);
	json_object_put(back);
	free(text);
	json_object_put(root);
	return 0;
}
