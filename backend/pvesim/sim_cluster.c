/* Cluster and node endpoints (pve-manager API2/Cluster.pm, API2/Nodes.pm,
 * API2.pm): version, node list, cluster resources, next free id. */
#include "sim_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The pve-manager release each simulated version reports: the newest
 * package on pve-manager's stable-8 and master branches when read
 * (debian/changelog), and the commit the repoid names. */
struct release {
	const char *version, *release, *repoid, *kernel, *kbuild;
};

static const struct release *release_of(struct sim *s)
{
	static const struct release pve8 = {
		"8.4.21", "8.4", "2606ac85", "6.8.12-15-pve",
		"#1 SMP PREEMPT_DYNAMIC PMX 6.8.12-15 (2025-09-12T11:02Z)" };
	static const struct release pve9 = {
		"9.2.11", "9.2", "14a22df3", "6.14.11-4-pve",
		"#1 SMP PREEMPT_DYNAMIC PMX 6.14.11-4 (2025-10-10T08:04Z)" };
	return sim_pve(s) == 8 ? &pve8 : &pve9;
}

/* API2.pm version and Nodes.pm version: PVE::pvecfg::version_info() */
static json_object *version_info(struct sim *s)
{
	const struct release *v = release_of(s);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "version", json_object_new_string(v->version));
	json_object_object_add(o, "release", json_object_new_string(v->release));
	json_object_object_add(o, "repoid", json_object_new_string(v->repoid));
	return o;
}


/* A node's memory: its RAM (--node-memory) and what is used of it, the
 * host's own 1 GiB plus each running container's `memory` (pvestatd reads
 * /proc/meminfo; this is its simple stand-in) */
static long long node_maxmem(struct sim *s, int i)
{
	return (long long)(s->o.node_mem_gib[i] ? s->o.node_mem_gib[i] : 32) << 30;
}

/* The mem of the node listings (/nodes, /cluster/resources): pve-manager's
 * extract_node_stats (PVE/API2Tools.pm) reads it from the node's
 * pve2-node rrd entry, which pvestatd's update_node_status broadcasts once
 * per cycle, together with the guests' status: published with them
 * (sim_task.c publish_stats), so a guest the listing shows running is in
 * its node's mem and one it does not show yet is not. */
static long long node_mem(struct sim *s, int i)
{
	return s->o.stats_lag_ms && s->node_mem_published ? s->node_mem_pub[i] :
		sim_node_mem_now(s, i);
}

void sim_version(struct sim *s, struct sim_res *r)
{
	res_ok(r, version_info(s));
}

void sim_node_version(struct sim *s, const char *node, json_object *p,
		      struct sim_res *r)
{
	if (sim_check_node(s, node, r) || sim_validate(s, p, NULL, false, NULL, r))
		return;
	res_ok(r, version_info(s));
}

static json_object *kv_obj(const char *k1, long long v1, const char *k2,
			   long long v2, const char *k3, long long v3)
{
	json_object *o = json_object_new_object();
	sim_add_num(o, k1, v1);
	if (k2)
		sim_add_num(o, k2, v2);
	if (k3)
		sim_add_num(o, k3, v3);
	return o;
}

/* pve-manager API2/Nodes.pm status: the host's figures, read from /proc
 * on a real node; here fixed figures of a mid-size host whose uptime is
 * pvesim's. pveversion is "pve-manager/VERSION/REPOID". */
void sim_node_status(struct sim *s, const char *node, json_object *p,
		     struct sim_res *r)
{
	const struct release *v = release_of(s);
	json_object *o, *a, *k, *m;
	char text[128];

	if (sim_check_node(s, node, r) || sim_validate(s, p, NULL, false, NULL, r))
		return;
	o = json_object_new_object();
	sim_add_num(o, "uptime", (long long)((sim_now(s) - s->boot_ms) / 1000));
	sim_add_num(o, "idle", 0);
	a = json_object_new_array();
	json_object_array_add(a, json_object_new_string("0.12"));
	json_object_array_add(a, json_object_new_string("0.08"));
	json_object_array_add(a, json_object_new_string("0.05"));
	json_object_object_add(o, "loadavg", a);
	snprintf(text, sizeof(text), "Linux %s %s", v->kernel, v->kbuild);
	json_object_object_add(o, "kversion", json_object_new_string(text));
	k = json_object_new_object();
	json_object_object_add(k, "sysname", json_object_new_string("Linux"));
	json_object_object_add(k, "release", json_object_new_string(v->kernel));
	json_object_object_add(k, "version", json_object_new_string(v->kbuild));
	json_object_object_add(k, "machine", json_object_new_string("x86_64"));
	json_object_object_add(o, "current-kernel", k);
	k = json_object_new_object();
	json_object_object_add(k, "mode", json_object_new_string("efi"));
	json_object_object_add(k, "secureboot", json_object_new_int(0));
	json_object_object_add(o, "boot-info", k);
	k = json_object_new_object();
	json_object_object_add(k, "model", json_object_new_string("pvesim virtual CPU"));
	sim_add_num(k, "cpus", 8);
	sim_add_num(k, "cores", 4);
	sim_add_num(k, "sockets", 1);
	json_object_object_add(k, "mhz", json_object_new_string("2400.000"));
	json_object_object_add(k, "hvm", json_object_new_string("1"));
	json_object_object_add(o, "cpuinfo", k);
	json_object_object_add(o, "cpu", json_object_new_double(0.01));
	json_object_object_add(o, "wait", json_object_new_double(0));
	m = kv_obj("total", 32LL << 30, "used", 2LL << 30, "free", 30LL << 30);
	sim_add_num(m, "available", 30LL << 30);
	json_object_object_add(o, "memory", m);
	json_object_object_add(o, "ksm", kv_obj("shared", 0, NULL, 0, NULL, 0));
	json_object_object_add(o, "swap", kv_obj("total", 8LL << 30, "used", 0,
						 "free", 8LL << 30));
	m = kv_obj("total", 100LL << 30, "used", 4LL << 30, "free", 96LL << 30);
	sim_add_num(m, "avail", 91LL << 30);
	json_object_object_add(o, "rootfs", m);
	snprintf(text, sizeof(text), "pve-manager/%s/%s", v->version, v->repoid);
	json_object_object_add(o, "pveversion", json_object_new_string(text));
	res_ok(r, o);
}

/* One node's interfaces (pve-manager API2/Network.pm index, from
 * /etc/network/interfaces; lo is never listed): a NIC and the bridge
 * vmbr0 on it that guests attach to. type filters by interface type;
 * any_bridge and any_local_bridge match bridges; PVE 9 adds the fabric
 * type and include_sdn. */
static json_object *iface(const char *name, const char *type, const char *method)
{
	json_object *o = json_object_new_object(), *fam = json_object_new_array();
	json_object_object_add(o, "iface", json_object_new_string(name));
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "method", json_object_new_string(method));
	json_object_object_add(o, "method6", json_object_new_string("manual"));
	json_object_array_add(fam, json_object_new_string("inet"));
	json_object_object_add(o, "families", fam);
	sim_add_num(o, "active", 1);
	sim_add_num(o, "autostart", 1);
	sim_add_num(o, "exists", 1);
	return o;
}

void sim_node_network(struct sim *s, const char *node, json_object *p,
		      struct sim_res *r)
{
	static const struct pdef params8[] = {
		{ "type", PT_ENUM, 0, 0, "bridge,bond,eth,alias,vlan,OVSBridge,OVSBond,OVSPort,OVSIntPort,vnet,any_bridge,any_local_bridge" },
		{ NULL, 0, 0, 0, NULL },
	};
	static const struct pdef params9[] = {
		{ "type", PT_ENUM, 0, 0, "bridge,bond,eth,alias,vlan,fabric,OVSBridge,OVSBond,OVSPort,OVSIntPort,vnet,any_bridge,any_local_bridge,include_sdn" },
		{ NULL, 0, 0, 0, NULL },
	};
	const char *type = NULL;
	json_object *arr, *br, *nic;
	int idx = 0;
	char addr[32], cidr[40];

	if (sim_check_node(s, node, r) ||
	    sim_validate(s, p, sim_pve(s) == 8 ? params8 : params9, false, NULL, r))
		return;
	sim_param_str(p, "type", &type);
	for (int i = 0; i < s->o.n_nodes; i++)
		if (!strcmp(s->o.nodes[i], node))
			idx = i;
	nic = iface("eno1", "eth", "manual");
	sim_add_num(nic, "priority", 3);
	br = iface("vmbr0", "bridge", "static");
	snprintf(addr, sizeof(addr), "192.168.100.%d", 10 + idx);
	snprintf(cidr, sizeof(cidr), "%s/24", addr);
	json_object_object_add(br, "address", json_object_new_string(addr));
	json_object_object_add(br, "netmask", json_object_new_string("24"));
	json_object_object_add(br, "cidr", json_object_new_string(cidr));
	json_object_object_add(br, "gateway", json_object_new_string("192.168.100.1"));
	json_object_object_add(br, "bridge_ports", json_object_new_string("eno1"));
	json_object_object_add(br, "bridge_stp", json_object_new_string("off"));
	json_object_object_add(br, "bridge_fd", json_object_new_string("0"));
	sim_add_num(br, "priority", 4);
	arr = json_object_new_array();
	if (!type || !strcmp(type, "eth"))
		json_object_array_add(arr, nic);
	else
		json_object_put(nic);
	if (!type || !strcmp(type, "bridge") || !strncmp(type, "any_", 4) ||
	    !strcmp(type, "include_sdn"))
		json_object_array_add(arr, br);
	else
		json_object_put(br);
	res_ok(r, arr);
}

/* pve-manager API2/Cluster.pm get_status: the cluster entry (from
 * corosync) and one entry per member; the node answering is `local`. */
void sim_cluster_status(struct sim *s, json_object *p, struct sim_res *r)
{
	json_object *arr, *c;

	if (sim_validate(s, p, NULL, false, NULL, r))
		return;
	arr = json_object_new_array();
	if (s->o.n_nodes > 1) {
		c = json_object_new_object();
		json_object_object_add(c, "type", json_object_new_string("cluster"));
		json_object_object_add(c, "id", json_object_new_string("cluster"));
		json_object_object_add(c, "name", json_object_new_string("pvesim"));
		sim_add_num(c, "nodes", s->o.n_nodes);
		sim_add_num(c, "version", s->o.n_nodes);
		sim_add_num(c, "quorate", 1);
		json_object_array_add(arr, c);
	}
	for (int i = 0; i < s->o.n_nodes; i++) {
		char id[96], ip[32];
		c = json_object_new_object();
		snprintf(id, sizeof(id), "node/%s", s->o.nodes[i]);
		snprintf(ip, sizeof(ip), "192.168.100.%d", 10 + i);
		json_object_object_add(c, "type", json_object_new_string("node"));
		json_object_object_add(c, "id", json_object_new_string(id));
		json_object_object_add(c, "name", json_object_new_string(s->o.nodes[i]));
		json_object_object_add(c, "ip", json_object_new_string(ip));
		sim_add_num(c, "local", i == 0);
		sim_add_num(c, "online", !s->offline[i]);
		json_object_object_add(c, "level", json_object_new_string(""));
		if (s->o.n_nodes > 1)
			sim_add_num(c, "nodeid", i + 1);
		else
			sim_add_num(c, "nodeid", 0);
		json_object_array_add(arr, c);
	}
	res_ok(r, arr);
}

void sim_nodes(struct sim *s, const char *fingerprint, struct sim_res *r)
{
	json_object *arr = json_object_new_array();
	for (int i = 0; i < s->o.n_nodes; i++) {
		json_object *o = json_object_new_object();
		char id[96];
		snprintf(id, sizeof(id), "node/%s", s->o.nodes[i]);
		json_object_object_add(o, "node", json_object_new_string(s->o.nodes[i]));
		/* API2Tools.pm extract_node_stats: a node not in the
		 * membership is `offline`, without figures */
		json_object_object_add(o, "status", json_object_new_string(
			s->offline[i] ? "offline" : "online"));
		json_object_object_add(o, "id", json_object_new_string(id));
		json_object_object_add(o, "type", json_object_new_string("node"));
		json_object_object_add(o, "level", json_object_new_string(""));
		json_object_object_add(o, "ssl_fingerprint",
				       json_object_new_string(fingerprint ? fingerprint : ""));
		/* Nodes.pm index: extract_node_stats leaves out the load
		 * figures without Sys.Audit on /nodes/NODE */
		snprintf(id, sizeof(id), "/nodes/%s", s->o.nodes[i]);
		if (s->offline[i] || !sim_can(s, id, "Sys.Audit", false)) {
			json_object_array_add(arr, o);
			continue;
		}
		json_object_object_add(o, "cpu", json_object_new_double(0.01));
		sim_add_num(o, "maxcpu", 8);
		sim_add_num(o, "mem", node_mem(s, i));
		sim_add_num(o, "maxmem", node_maxmem(s, i));
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

	if (sim_validate(s, p, params, false, NULL, r))
		return;
	sim_param_str(p, "type", &type);
	arr = json_object_new_array();
	/* --qemu VMs, as pve-manager's resources call lists every guest of
	 * the vmlist (PVE/API2/Cluster.pm, via PVE::API2Tools::extract_vm_stats:
	 * id "qemu/VMID", type qemu, status from the RRD data) */
	for (int i = 0; (!type || !strcmp(type, "vm")) && i < s->o.n_qemu; i++) {
		json_object *o = json_object_new_object();
		char id[32];

		snprintf(id, sizeof(id), "qemu/%u", s->o.qemu[i].vmid);
		json_object_object_add(o, "id", json_object_new_string(id));
		json_object_object_add(o, "type", json_object_new_string("qemu"));
		sim_add_num(o, "vmid", s->o.qemu[i].vmid);
		json_object_object_add(o, "node", json_object_new_string(
			s->o.qemu[i].node[0] ? s->o.qemu[i].node : s->o.nodes[0]));
		json_object_object_add(o, "status", json_object_new_string(
			s->o.qemu[i].running ? "running" : "stopped"));
		json_object_object_add(o, "template", json_object_new_int(0));
		json_object_array_add(arr, o);
	}
	if (!type || !strcmp(type, "vm")) {
		json_object_object_foreach(s->guests, key, g) {
			json_object *o = json_object_new_object(), *c = sim_guest_conf(g);
			json_object *rrd = NULL, *v;
			int vmid = atoi(key);
			char id[32];
			bool live = s->o.stats_lag_ms == 0;
			/* Cluster.pm resources / API2Tools.pm extract_vm_stats:
			 * the guests of a node that publishes nothing are
			 * `unknown` */
			bool down = sim_node_offline(s, sim_guest_node(g));

			/* Cluster.pm resources: guests without VM.Audit are
			 * left out */
			snprintf(id, sizeof(id), "/vms/%d", vmid);
			if (!sim_can(s, id, "VM.Audit", false)) {
				json_object_put(o);
				continue;
			}
			snprintf(id, sizeof(id), "lxc/%d", vmid);
			json_object_object_add(o, "id", json_object_new_string(id));
			json_object_object_add(o, "type", json_object_new_string("lxc"));
			sim_add_num(o, "vmid", vmid);
			json_object_object_add(o, "node",
					       json_object_new_string(sim_guest_node(g)));
			if (down) {
				rrd = NULL;
			} else if (live) {
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
			json_object_object_add(o, "status", json_object_new_string(
				s->offline[i] ? "offline" : "online"));
			/* Cluster.pm resources: the figures only with
			 * Sys.Audit on /nodes/NODE */
			snprintf(id, sizeof(id), "/nodes/%s", s->o.nodes[i]);
			if (!s->offline[i] && sim_can(s, id, "Sys.Audit", false)) {
				sim_add_num(o, "maxcpu", 8);
				sim_add_num(o, "mem", node_mem(s, i));
				sim_add_num(o, "maxmem", node_maxmem(s, i));
				sim_add_num(o, "uptime", (long long)((sim_now(s) - s->boot_ms) / 1000));
			}
			json_object_array_add(arr, o);
		}
	}
	if (!type || !strcmp(type, "storage")) {
		for (int i = 0; i < s->o.n_nodes; i++)
			for (int j = 0; j < s->o.n_storages; j++) {
				const struct sim_storage *st = &s->o.storages[j];
				json_object *o;
				char id[160];
				/* Cluster.pm resources: storages need
				 * Datastore.Audit */
				snprintf(id, sizeof(id), "/storage/%s", st->id);
				if (!sim_can(s, id, "Datastore.Audit", false))
					continue;
				/* pvestatd reports a node's storages: those
				 * storage.cfg `nodes` allows there */
				if (!sim_storage_on_node(st, s->o.nodes[i]))
					continue;
				o = json_object_new_object();
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

	if (sim_validate(s, p, params, false, NULL, r))
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

