/* Helpers declared in driver.h that every driver (and the engine's fakes)
 * share: error-kind names, guest list release, UPID node extraction. */
#include "backend/driver.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char *phx_err_kind_name(enum phx_err_kind kind)
{
	switch (kind) {
	case PHX_E_OK:        return "ok";
	case PHX_E_TRANSIENT: return "transient";
	case PHX_E_REFUSED:   return "refused";
	case PHX_E_LOCKED:    return "locked";
	case PHX_E_EXISTS:    return "exists";
	case PHX_E_NOTFOUND:  return "not found";
	case PHX_E_AUTH:      return "auth";
	case PHX_E_TLS:       return "tls";
	case PHX_E_PROTOCOL:  return "protocol";
	}
	return "unknown";
}

void phx_guest_list_free(struct phx_guest_list *l)
{
	if (!l)
		return;
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void phx_node_load_list_free(struct phx_node_load_list *l)
{
	if (!l)
		return;
	free(l->v);
	l->v = NULL;
	l->n = 0;
	free(l->guests);
	l->guests = NULL;
	l->nguests = 0;
}

void phx_storage_list_free(struct phx_storage_list *l)
{
	if (!l)
		return;
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Length of a run of hex digits at s. */
static size_t hex_run(const char *s)
{
	size_t n = 0;

	while (isxdigit((unsigned char)s[n]))
		n++;
	return n;
}

/* Length of a run of characters that are neither ':' nor whitespace. */
static size_t field_run(const char *s)
{
	size_t n = 0;

	while (s[n] && s[n] != ':' && !isspace((unsigned char)s[n]))
		n++;
	return n;
}

/* The whole UPID is checked, not only its node: the server refuses anything
 * else with "unable to parse worker upid", so a UPID we cannot parse here
 * would fail later with a less helpful error (proxmox-api.md §4):
 * UPID:node:PID8:PSTART8-9:START8:type:id:user: */
int phx_upid_node(const char *upid, char node[PHX_NODE_MAX])
{
	const char *p, *nstart;
	size_t n;

	node[0] = '\0';
	if (!upid || strncmp(upid, "UPID:", 5) != 0)
		return -1;
	p = nstart = upid + 5;
	/* node: [A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])? */
	while (isalnum((unsigned char)*p) || *p == '-')
		p++;
	n = (size_t)(p - nstart);
	if (n == 0 || n >= PHX_NODE_MAX || *p != ':' || nstart[0] == '-' ||
	    p[-1] == '-')
		return -1;
	p++;
	if (hex_run(p) != 8 || p[8] != ':')             /* pid */
		return -1;
	p += 9;
	n = hex_run(p);                                  /* pstart */
	if ((n != 8 && n != 9) || p[n] != ':')
		return -1;
	p += n + 1;
	if (hex_run(p) != 8 || p[8] != ':')             /* starttime */
		return -1;
	p += 9;
	n = field_run(p);                                /* type, non-empty */
	if (n == 0 || p[n] != ':')
		return -1;
	p += n + 1;
	n = field_run(p);                                /* id, may be empty */
	if (p[n] != ':')
		return -1;
	p += n + 1;
	n = field_run(p);                                /* user, non-empty */
	if (n == 0 || p[n] != ':' || p[n + 1] != '\0')
		return -1;
	memcpy(node, nstart, (size_t)(strchr(nstart, ':') - nstart));
	node[strchr(nstart, ':') - nstart] = '\0';
	return 0;
}
