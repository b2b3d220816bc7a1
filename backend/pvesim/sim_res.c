/* Results: what a handler answers (data, or a status with Perl's die text,
 * or a 400 with per-parameter errors). The lowest layer of the simulation
 * core: it calls nothing else in pvesim. */
#include "sim_internal.h"

#include <stdio.h>
#include <string.h>

void sim_res_init(struct sim_res *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 200;
	r->total = -1;
}

void sim_res_clear(struct sim_res *r)
{
	json_object_put(r->errors);
	json_object_put(r->data);
	sim_res_init(r);
}

void res_err(struct sim_res *r, int status, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg) - 1, fmt, ap);
	va_end(ap);
	/* Perl die messages end with a newline, and PVE keeps it */
	n = strlen(r->msg);
	if (n == 0 || r->msg[n - 1] != '\n')
		strcat(r->msg, "\n");
}

void res_param(struct sim_res *r, const char *param, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!r->errors)
		r->errors = json_object_new_object();
	if (!json_object_object_get_ex(r->errors, param, NULL))
		json_object_object_add(r->errors, param,
				       json_object_new_string(buf));
	r->status = 400;
	snprintf(r->msg, sizeof(r->msg), "Parameter verification failed.\n");
}

void res_ok(struct sim_res *r, json_object *data)
{
	/* a caller reusing a result must not leak what it held */
	json_object_put(r->data);
	r->status = 200;
	r->data = data;
}

void res_missing_conf(struct sim_res *r, const char *node, int vmid)
{
	res_err(r, 500, "Configuration file 'nodes/%s/lxc/%d.conf' does not exist",
		node, vmid);
}

void sim_flock_timeout_msg(int vmid, char *buf, size_t len)
{
	snprintf(buf, len,
		 "can't lock file '/run/lock/lxc/pve-config-%d.lock' - got timeout\n",
		 vmid);
}
