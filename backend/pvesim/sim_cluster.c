/* Cluster and node endpoints (pve-manager API2/Cluster.pm, API2/Nodes.pm,
 * API2.pm): version, node list, cluster resources, next free id. */
#include "sim_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sim_version(struct sim *s, struct sim_res *r)
{
	json_object *o = json_object_new_object();
	(void)s;
	json_object_object_add(o, "version", json_object_new_string("9.2.11"));
	json_object_object_add(o, "release", json_object_new_string("9.2"));
	json_object_object_add(o, "repoid", json_object_new_string("14a22df3"));
	res_ok(r, o);
}

void sim_nodes(struct sim *s, const char *fingerprint, struct sim_res *r)
{
	json_object *arr = json_object_new_array();
	for (int i = 0; i < s->o.n_nodes; i++) {
		json_object *o = json_object_new_object();
		char id[96];
		snprintf(id, sizeof(id), "node/%s", s->o.nodes[i]);
		json_object_object_add(o, "node", json_object_new_string(s->o.nodes[i]));
		json_object_object_add(o, "status", json_object_new_string("online"));
		json_object_object_add(o, "id", json_object_new_string(id));
		json_object_object_add(o, "type", json_object_new_string("node"));
		json_object_object_add(o, "level", json_object_new_string(""));
		json_object_object_add(o, "ssl_fingerprint",
				       json_object_new_string(fingerprint ? fingerprint : ""));
		json_object_object_add(o, "cpu", json_object_new_double(0.01));
		sim_add_num(o, "maxcpu", 8);
		sim_add_num(o, "mem", 2LL << 30);
		sim_add_num(o, "maxmem", 32LL << 30);
		sim_add_num(o, "disk", 4LL << 30);
		sim_add_num(o, "maxdisk", 100LL << 30);
		sim_add_num(o, "uptime", (long long)((sim_now(s) - s->boot_ms) / 1000));
		json_object_array_add(arr, o);
	}
	res_ok(r, arr);
}

void sim_cluster_resources(struct sim *s, json_object *p, struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "type", PT_ENUM, 0, 0, "vm,storage,node,sdn" },
		{ NULL, 0, 0, 0, NULL },
	};
	const char *type = NULL;
	json_object *arr;

	if (sim_validate(p, params, false, NULL, r))
		return;
	sim_param_str(p, "type", &type);
	arr = json_object_new_array();
	if (!type || !strcmp(type, "vm")) {
		json_object_object_foreach(s->guests, key, g) {
			json_object *o = json_object_new_object(), *c = sim_guest_conf(g);
			json_object *rrd = NULL, *v;
			int vmid = atoi(key);
			char id[32];
			bool live = s->o.stats_lag_ms == 0;

			snprintf(id, sizeof(id), "lxc/%d", vmid);
			json_object_object_add(o, "id", json_object_new_string(id));
			json_object_object_add(o, "type", json_object_new_string("lxc"));
			sim_add_num(o, "vmid", vmid);
			json_object_object_add(o, "node",
					       json_object_new_string(sim_guest_node(g)));
			if (live) {
				/* no lag: what pvestatd would publish, now */
				bool only_lock = json_object_object_length(c) == 1 &&
					json_object_object_get_ex(c, "lock", NULL);
				if (!only_lock) {
					rrd = json_object_new_object();
					json_object_object_add(rrd, "status", json_object_new_string(
						sim_guest_running(g) ? "running" : "stopped"));
					if (json_object_object_get_ex(c, "hostname", &v))
						json_object_object_add(rrd, "name", json_object_get(v));
					json_object_object_add(rrd, "template",
						json_object_new_int(sim_guest_template(g)));
				}
			} else if (json_object_object_get_ex(g, "rrd", &rrd)) {
				json_object_get(rrd);
			}
			if (rrd) {
				bool run;
				json_object_object_get_ex(rrd, "status", &v);
				run = !strcmp(json_object_get_string(v), "running");
				json_object_object_add(o, "status", json_object_get(v));
				if (json_object_object_get_ex(rrd, "name", &v))
					json_object_object_add(o, "name", json_object_get(v));
				if (json_object_object_get_ex(rrd, "template", &v))
					json_object_object_add(o, "template", json_object_get(v));
				sim_add_num(o, "maxcpu", sim_conf_int(c, "cores", 8));
				json_object_object_add(o, "cpu", json_object_new_int(0));
				sim_add_num(o, "maxmem", sim_conf_int(c, "memory", 512) << 20);
				sim_add_num(o, "mem", run ? (sim_conf_int(c, "memory", 512) << 20) / 8 : 0);
				sim_add_num(o, "maxdisk", sim_guest_maxdisk(c));
				sim_add_num(o, "disk", 0);
				sim_add_num(o, "netin", 0);
				sim_add_num(o, "netout", 0);
				sim_add_num(o, "diskread", 0);
				sim_add_num(o, "diskwrite", 0);
				sim_add_num(o, "uptime", run ? 60 : 0);
				json_object_put(rrd);
			} else {
				json_object_object_add(o, "status",
						       json_object_new_string("unknown"));
			}
			/* lock and tags are read live from the config */
			if (json_object_object_get_ex(c, "lock", &v))
				json_object_object_add(o, "lock", json_object_get(v));
			if (json_object_object_get_ex(c, "tags", &v))
				json_object_object_add(o, "tags", json_object_get(v));
			json_object_array_add(arr, o);
		}
	}
	if (!type || !strcmp(type, "node")) {
		for (int i = 0; i < s->o.n_nodes; i++) {
			json_object *o = json_object_new_object();
			char id[96];
			snprintf(id, sizeof(id), "node/%s", s->o.nodes[i]);
			json_object_object_add(o, "id", json_object_new_string(id));
			json_object_object_add(o, "type", json_object_new_string("node"));
			json_object_object_add(o, "node", json_object_new_string(s->o.nodes[i]));
			json_object_object_add(o, "status", json_object_new_string("online"));
			sim_add_num(o, "maxcpu", 8);
			sim_add_num(o, "maxmem", 32LL << 30);
			sim_add_num(o, "uptime", (long long)((sim_now(s) - s->boot_ms) / 1000));
			json_object_array_add(arr, o);
		}
	}
	if (!type || !strcmp(type, "storage")) {
		for (int i = 0; i < s->o.n_nodes; i++)
			for (int j = 0; j < s->o.n_storages; j++) {
				const struct sim_storage *st = &s->o.storages[j];
				json_object *o = json_object_new_object();
				char id[160];
				snprintf(id, sizeof(id), "storage/%s/%s", s->o.nodes[i], st->id);
				json_object_object_add(o, "id", json_object_new_string(id));
				json_object_object_add(o, "type", json_object_new_string("storage"));
				json_object_object_add(o, "storage", json_object_new_string(st->id));
				json_object_object_add(o, "node", json_object_new_string(s->o.nodes[i]));
				json_object_object_add(o, "status", json_object_new_string("available"));
				json_object_object_add(o, "plugintype", json_object_new_string(
					sim_storage_type_name(st->type)));
				sim_add_num(o, "shared", sim_storage_is_shared(st->type));
				sim_add_num(o, "maxdisk", 500LL << 30);
				sim_add_num(o, "disk", 10LL << 30);
				json_object_array_add(arr, o);
			}
	}
	res_ok(r, arr);
}

void sim_nextid(struct sim *s, json_object *p, struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "vmid", PT_VMID, 0, 0, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	const char *v;
	char buf[16];

	if (sim_validate(p, params, false, NULL, r))
		return;
	if (sim_param_str(p, "vmid", &v)) {
		int id = atoi(v);
		if (sim_guest(s, id)) {
			res_param(r, "vmid", "VM %d already exists", id);
			return;
		}
		snprintf(buf, sizeof(buf), "%d", id);
		res_ok(r, json_object_new_string(buf));
		return;
	}
	for (int id = 100; id < 1000000; id++)
		if (!sim_guest(s, id)) {
			/* the loop variable was a hash key: a JSON string */
			snprintf(buf, sizeof(buf), "%d", id);
			res_ok(r, json_object_new_string(buf));
			return;
		}
	res_err(r, 500, "unable to get any free VMID in range [100, 1000000]");
}

