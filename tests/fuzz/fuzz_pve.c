/* Fuzz the Proxmox answer parsers with arbitrary bodies: the envelope,
 * then the data handed to every parser of backend/pve/pve_parse.h, plus
 * error bodies, UPIDs and token files. A hostile or broken server must
 * never crash the daemon. */
#include "backend/pve/pve_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct phx_err err = { 0 };
	json_object *d = NULL, *cfg = NULL;
	struct phx_guest_list gl = { 0 };
	struct phx_task_status st;
	char upid[PHX_UPID_MAX], type[64], hdr[2048], *text;
	char **lines = NULL, **nodes = NULL;
	size_t n = 0;
	unsigned long start;

	pve_error_from_reply(size ? 400 + data[0] % 200 : 500, "Reason", body, size, &err);
	(void)pve_token_parse(body, size, hdr, sizeof(hdr), &err);
	text = strndup(body, size);
	if (!text)
		return 0;
	(void)pve_upid_fields(text, &start, type, sizeof(type));
	(void)pve_exitstatus_ok(text);
	free(text);
	if (pve_parse_envelope(body, size, &d, &err) < 0)
		return 0;
	if (pve_parse_guests(d, &gl, &err) == 0)
		phx_guest_list_free(&gl);
	if (pve_parse_nodes(d, &nodes, &n, &err) == 0)
		pve_strlist_free(nodes, n);
	{
		struct phx_node_load_list nl;

		if (pve_parse_node_loads(d, &nl, &err) == 0)
			phx_node_load_list_free(&nl);
	}
	if (pve_parse_config(d, &cfg, &err) == 0)
		json_object_put(cfg);
	(void)pve_parse_upid(d, upid, &err);
	(void)pve_parse_task_status(d, &st, &err);
	if (pve_parse_task_log(d, size % 5, &lines, &n, &err) == 0)
		pve_strlist_free(lines, n);
	(void)pve_parse_newest_task(d, size % 2 ? "vzclone" : NULL, upid, &err);
	json_object_put(d);
	return 0;
}
