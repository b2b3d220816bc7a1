/* Storage endpoints (pve-storage PVE/API2/Storage/Status.pm, Content.pm,
 * Config.pm): the storages a node sees and their content. */
#include "sim_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <gnutls/crypto.h>
#include <string.h>

static const char *content_list(const struct sim_storage *st, char *buf, size_t len)
{
	static const char *const all[] = { "backup", "images", "iso", "rootdir",
					   "vztmpl", NULL };
	size_t o = 0;
	buf[0] = 0;
	for (const char *const *c = all; *c; c++)
		if (sim_storage_has_content(st, *c))
			o += snprintf(buf + o, o < len ? len - o : 0, "%s%s",
				      o ? "," : "", *c);
	return buf;
}

void sim_storage_list(struct sim *s, const char *node, json_object *p,
		      struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "content", PT_STR, 0, 256, NULL },
		{ "enabled", PT_BOOL, 0, 1, NULL },
		{ "format", PT_BOOL, 0, 1, NULL },
		{ "storage", PT_STR, 0, 256, NULL },
		{ "target", PT_STR, 0, 256, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	const char *content = NULL, *only = NULL;
	json_object *arr;

	if (sim_check_node(s, node, r) || sim_validate(s, p, params, false, NULL, r))
		return;
	sim_param_str(p, "content", &content);
	sim_param_str(p, "storage", &only);
	arr = json_object_new_array();
	for (int j = 0; j < s->o.n_storages; j++) {
		const struct sim_storage *st = &s->o.storages[j];
		json_object *o;
		char cl[128];
		if (only && strcmp(only, st->id))
			continue;
		/* Status.pm index: storage_check_enabled on this node */
		if (!sim_storage_on_node(st, node))
			continue;
		/* Status.pm index: only storages with Datastore.Audit or
		 * Datastore.AllocateSpace */
		snprintf(cl, sizeof(cl), "/storage/%s", st->id);
		if (!sim_can(s, cl, "Datastore.Audit,Datastore.AllocateSpace", true))
			continue;
		if (content && !sim_storage_has_content(st, content))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "storage", json_object_new_string(st->id));
		json_object_object_add(o, "type", json_object_new_string(
					       sim_storage_type_name(st->type)));
		json_object_object_add(o, "content", json_object_new_string(
					       content_list(st, cl, sizeof(cl))));
		sim_add_num(o, "active", 1);
		sim_add_num(o, "enabled", 1);
		sim_add_num(o, "shared", sim_storage_is_shared(st->type));
		sim_add_num(o, "total", 500LL << 30);
		sim_add_num(o, "used", 10LL << 30);
		sim_add_num(o, "avail", 490LL << 30);
		json_object_array_add(arr, o);
	}
	res_ok(r, arr);
}

static int volid_cmp(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;
	json_object *vx, *vy;
	json_object_object_get_ex(x, "volid", &vx);
	json_object_object_get_ex(y, "volid", &vy);
	return strcasecmp(json_object_get_string(vx), json_object_get_string(vy));
}

void sim_storage_content(struct sim *s, const char *node, const char *sid,
			 json_object *p, struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "content", PT_STR, 0, 256, NULL },
		{ "vmid", PT_VMID, 0, 0, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	const struct sim_storage *st;
	const char *content = NULL, *vmid = NULL;
	json_object *arr, *tab;
	char key[160];

	/* Content.pm index `permissions`: Datastore.Audit or
	 * Datastore.AllocateSpace on the storage (checked before the
	 * parameters, as RESTHandler does) */
	snprintf(key, sizeof(key), "/storage/%s", sid);
	if (sim_check_node(s, node, r) ||
	    sim_perm(s, key, "Datastore.Audit,Datastore.AllocateSpace", true, r) ||
	    sim_validate(s, p, params, false, NULL, r))
		return;
	st = sim_storage_find(s, sid);
	if (!st) {
		res_err(r, 500, "storage '%s' does not exist", sid);
		return;
	}
	sim_param_str(p, "content", &content);
	sim_param_str(p, "vmid", &vmid);
	arr = json_object_new_array();
	if (!strcmp(sid, "local") && sim_storage_has_content(st, "vztmpl") &&
	    (!content || !strcmp(content, "vztmpl")) && !vmid) {
		for (const char *const *t = sim_os_templates; *t; t++) {
			json_object *o = json_object_new_object();
			char volid[256];
			snprintf(volid, sizeof(volid), "local:vztmpl/%s", *t);
			json_object_object_add(o, "volid", json_object_new_string(volid));
			json_object_object_add(o, "content", json_object_new_string("vztmpl"));
			json_object_object_add(o, "format", json_object_new_string("tzst"));
			sim_add_num(o, "size", 120000000 + 1000 * (long long)(t - sim_os_templates));
			sim_add_num(o, "ctime", 1718000000);
			json_object_array_add(arr, o);
		}
	}
	if ((!content || !strcmp(content, "rootdir") || !strcmp(content, "images")) &&
	    json_object_object_get_ex(s->volumes, sim_volkey(s, sid, node, key, sizeof(key)), &tab)) {
		json_object_object_foreach(tab, name, v) {
			json_object *o, *x;
			char volid[400];
			int id;
			json_object_object_get_ex(v, "vmid", &x);
			id = json_object_get_int(x);
			if (vmid && id != atoi(vmid))
				continue;
			o = json_object_new_object();
			snprintf(volid, sizeof(volid), "%s:%s", sid, name);
			json_object_object_add(o, "volid", json_object_new_string(volid));
			json_object_object_add(o, "content", json_object_new_string("rootdir"));
			json_object_object_add(o, "format", json_object_new_string(
				st->type == ST_ZFSPOOL ? "subvol" : "raw"));
			sim_add_num(o, "vmid", id);
			json_object_object_get_ex(v, "size", &x);
			{
				char opt[64];
				snprintf(opt, sizeof(opt), "size=%s", json_object_get_string(x));
				sim_add_num(o, "size", sim_size_bytes(opt));
			}
			json_object_array_add(arr, o);
		}
	}
	json_object_array_sort(arr, volid_cmp);
	res_ok(r, arr);
}


/* ---- the datacenter's storage configuration (/storage) ---- */

/* One storage.cfg section's properties, as pve-storage's plugins keep
 * them: file-based storages have a path, LVM-thin its pool and volume
 * group, ZFS its dataset, NFS its server and export. */
static json_object *storage_config(const struct sim_storage *st)
{
	json_object *o = json_object_new_object();
	char cl[128];

	json_object_object_add(o, "storage", json_object_new_string(st->id));
	json_object_object_add(o, "type", json_object_new_string(
				       sim_storage_type_name(st->type)));
	json_object_object_add(o, "content", json_object_new_string(
				       content_list(st, cl, sizeof(cl))));
	if (st->nodes[0])
		json_object_object_add(o, "nodes", json_object_new_string(st->nodes));
	switch (st->type) {
	case ST_DIR:
		json_object_object_add(o, "path", json_object_new_string(st->path));
		break;
	case ST_NFS:
		json_object_object_add(o, "path", json_object_new_string(st->path));
		json_object_object_add(o, "server", json_object_new_string("192.168.100.2"));
		json_object_object_add(o, "export", json_object_new_string("/export/pve"));
		break;
	case ST_LVMTHIN:
		json_object_object_add(o, "thinpool", json_object_new_string("data"));
		json_object_object_add(o, "vgname", json_object_new_string("pve"));
		break;
	case ST_ZFSPOOL:
		json_object_object_add(o, "pool", json_object_new_string("rpool/data"));
		sim_add_num(o, "sparse", 1);
		break;
	}
	return o;
}

/* SHA-1 of storage.cfg's text, which the API hands out as `digest` */
static void storage_cfg_digest(struct sim *s, char out[41])
{
	char text[8192];
	unsigned char md[20];
	size_t o = 0;

	text[0] = 0;
	for (int i = 0; i < s->o.n_storages; i++) {
		json_object *c = storage_config(&s->o.storages[i]);
		o += snprintf(text + o, o < sizeof(text) ? sizeof(text) - o : 0,
			      "%s: %s\n", sim_storage_type_name(s->o.storages[i].type),
			      s->o.storages[i].id);
		json_object_object_foreach(c, k, v)
			if (strcmp(k, "storage") && strcmp(k, "type"))
				o += snprintf(text + o, o < sizeof(text) ? sizeof(text) - o : 0,
					      "\t%s %s\n", k, json_object_get_string(v));
		o += snprintf(text + o, o < sizeof(text) ? sizeof(text) - o : 0, "\n");
		json_object_put(c);
	}
	gnutls_hash_fast(GNUTLS_DIG_SHA1, text, strlen(text), md);
	for (int i = 0; i < 20; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
	out[40] = 0;
}

/* pve-storage API2/Storage/Config.pm index: every storage's configuration
 * with the file's digest; `type` keeps one plugin type. */
void sim_storage_config_list(struct sim *s, json_object *p, struct sim_res *r)
{
	static const struct pdef params[] = {
		{ "type", PT_ENUM, 0, 0,
		  "btrfs,cephfs,cifs,dir,esxi,glusterfs,iscsi,iscsidirect,lvm,lvmthin,nfs,pbs,rbd,zfs,zfspool" },
		{ NULL, 0, 0, 0, NULL },
	};
	const char *type = NULL;
	json_object *arr;
	char digest[41];

	if (sim_validate(s, p, params, false, NULL, r))
		return;
	sim_param_str(p, "type", &type);
	storage_cfg_digest(s, digest);
	arr = json_object_new_array();
	for (int i = 0; i < s->o.n_storages; i++) {
		json_object *c;
		char sp[128];
		if (type && strcmp(type, sim_storage_type_name(s->o.storages[i].type)))
			continue;
		/* Config.pm index: the same filter as Status.pm's */
		snprintf(sp, sizeof(sp), "/storage/%s", s->o.storages[i].id);
		if (!sim_can(s, sp, "Datastore.Audit,Datastore.AllocateSpace", true))
			continue;
		c = storage_config(&s->o.storages[i]);
		json_object_object_add(c, "digest", json_object_new_string(digest));
		json_object_array_add(arr, c);
	}
	res_ok(r, arr);
}

/* pve-storage API2/Storage/Config.pm read: PVE::Storage::storage_config
 * dies "storage 'ID' does not exist"; the id is a pve-storage-id
 * (JSONSchema.pm parse_storage_id, case-insensitive). */
void sim_storage_config_get(struct sim *s, const char *sid, json_object *p,
			    struct sim_res *r)
{
	const struct sim_storage *st;
	json_object *c;
	char digest[41];

	if (sim_check_storage_id("storage", sid, r) ||
	    sim_validate(s, p, NULL, false, NULL, r))
		return;
	/* Config.pm read: `permissions` Datastore.Allocate on the storage */
	{
		char sp[128];
		snprintf(sp, sizeof(sp), "/storage/%s", sid);
		if (sim_perm(s, sp, "Datastore.Allocate", false, r))
			return;
	}
	st = sim_storage_find(s, sid);
	if (!st) {
		res_err(r, 500, "storage '%s' does not exist", sid);
		return;
	}
	c = storage_config(st);
	storage_cfg_digest(s, digest);
	json_object_object_add(c, "digest", json_object_new_string(digest));
	res_ok(r, c);
}
