/* Config values as pct writes them (types, canonical property strings,
 * tags), the rendered .conf text whose SHA-1 is the digest, and the storage
 * volume registry with each storage type's naming rules. */
#include "sim_internal.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const sim_os_templates[] = {
	"debian-12-standard_12.7-1_amd64.tar.zst",
	"ubuntu-24.04-standard_24.04-2_amd64.tar.zst",
	NULL,
};

/* Integers and booleans are stored as JSON numbers (the parser int()s them);
 * everything else, `number` keys such as cpulimit included, as strings. */
void sim_conf_set_param(json_object *conf, const char *key, json_object *v)
{
	const struct pdef *d = sim_conf_pdef(key);
	const char *sv = json_object_get_string(v);

	if (d && (d->type == PT_INT || d->type == PT_BOOL)) {
		long long iv;
		if (json_object_is_type(v, json_type_boolean))
			iv = json_object_get_boolean(v);
		else
			iv = strtoll(sv, NULL, 10);
		json_object_object_add(conf, key, json_object_new_int64(iv));
		return;
	}
	json_object_object_add(conf, key, json_object_new_string(sv));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ParseUtils encode_text: control chars, bytes >= 0x80, ':' and '%' */
static void put_description(FILE *f, const char *desc)
{
	const char *p = desc;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		fputc('#', f);
		for (size_t i = 0; i < n; i++) {
			unsigned char c = p[i];
			if (c < 0x20 || c >= 0x80 || c == ':' || c == '%')
				fprintf(f, "%%%02X", c);
			else
				fputc(c, f);
		}
		fputc('\n', f);
		p += n;
		if (nl)
			p++;
	}
}

static void put_section(FILE *f, json_object *conf)
{
	const char *keys[512];
	int n = 0;
	json_object *d;

	if (json_object_object_get_ex(conf, "description", &d))
		put_description(f, json_object_get_string(d));
	json_object_object_foreach(conf, k, v) {
		(void)v;
		if (strcmp(k, "description") && strcmp(k, "digest") && n < 512)
			keys[n++] = k;
	}
	qsort(keys, n, sizeof(keys[0]), cmp_str);
	for (int i = 0; i < n; i++) {
		json_object_object_get_ex(conf, keys[i], &d);
		fprintf(f, "%s: %s\n", keys[i], json_object_get_string(d));
	}
}

char *sim_conf_render(json_object *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_object *pend, *snaps;

	if (!f)
		return NULL;
	put_section(f, sim_guest_conf(g));
	if (json_object_object_get_ex(g, "pending", &pend) &&
	    json_object_object_length(pend) > 0) {
		fprintf(f, "\n[pve:pending]\n");
		put_section(f, pend);
	}
	if (json_object_object_get_ex(g, "snapshots", &snaps)) {
		const char *names[256];
		int n = 0;
		json_object_object_foreach(snaps, k, v) {
			(void)v;
			if (n < 256)
				names[n++] = k;
		}
		qsort(names, n, sizeof(names[0]), cmp_str);
		for (int i = 0; i < n; i++) {
			json_object *sc;
			json_object_object_get_ex(snaps, names[i], &sc);
			fprintf(f, "\n[%s]\n", names[i]);
			put_section(f, sc);
		}
	}
	fclose(f);
	return buf;
}

void sim_conf_digest(json_object *g, char out[41])
{
	unsigned char md[20];
	char *text = sim_conf_render(g);

	memset(md, 0, sizeof(md));
	if (text)
		gnutls_hash_fast(GNUTLS_DIG_SHA1, text, strlen(text), md);
	free(text);
	for (int i = 0; i < 20; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
	out[40] = 0;
}

/* ---- netN ---- */

struct kv {
	char k[32];
	char v[256];
};

static int kv_cmp(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	/* the required key `name` first, then alphabetical */
	if (!strcmp(x->k, "name"))
		return -1;
	if (!strcmp(y->k, "name"))
		return 1;
	return strcmp(x->k, y->k);
}

static bool valid_mac(const char *m)
{
	unsigned int b[6];
	char tail;
	if (strlen(m) != 17 ||
	    sscanf(m, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6)
		return false;
	return (b[0] & 1) == 0;
}

int sim_net_canonical(struct sim *s, const char *in, bool new_mac, char *out,
		      size_t len, char *err, size_t errlen)
{
	static const char *const known[] = {
		"name", "bridge", "firewall", "gw", "gw6", "hwaddr", "ip", "ip6",
		"link_down", "mtu", "rate", "tag", "trunks", "type",
		"host-managed", NULL };
	struct kv kv[32];
	int n = 0, has_name = 0, mac = -1, type = -1;
	char buf[1024];
	char *save, *tok;
	size_t o = 0;

	snprintf(buf, sizeof(buf), "%s", in);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		bool ok = false;
		if (!eq || n >= 32) {
			snprintf(err, errlen, "format error - value without key");
			return -EINVAL;
		}
		*eq = 0;
		for (const char *const *k = known; *k; k++)
			ok |= !strcmp(*k, tok);
		/* host-managed came with PVE 9 (pve-container master
		 * LXC/Config.pm $netconf_desc; absent from stable-bookworm) */
		if (!strcmp(tok, "host-managed") && sim_pve(s) < 9)
			ok = false;
		if (!ok) {
			snprintf(err, errlen, "invalid format - format error\n%s: property is not defined in schema and the schema does not allow additional properties\n", tok);
			return -EINVAL;
		}
		for (int i = 0; i < n; i++)
			if (!strcmp(kv[i].k, tok)) {
				snprintf(err, errlen, "invalid format - duplicate key in comma-separated list property: %s\n", tok);
				return -EINVAL;
			}
		snprintf(kv[n].k, sizeof(kv[n].k), "%s", tok);
		snprintf(kv[n].v, sizeof(kv[n].v), "%s", eq + 1);
		if (!strcmp(tok, "name"))
			has_name = 1;
		if (!strcmp(tok, "hwaddr"))
			mac = n;
		if (!strcmp(tok, "type"))
			type = n;
		n++;
	}
	if (!has_name) {
		snprintf(err, errlen, "invalid format - format error\nname: property is missing and it is not optional\n");
		return -EINVAL;
	}
	if (mac >= 0 && !new_mac && !valid_mac(kv[mac].v)) {
		snprintf(err, errlen, "invalid format - value does not look like a valid unicast MAC address\n");
		return -EINVAL;
	}
	if (mac < 0 && n < 32) {
		mac = n++;
		snprintf(kv[mac].k, sizeof(kv[mac].k), "hwaddr");
		new_mac = true;
	}
	if (new_mac && mac >= 0) {
		uint64_t r = sim_rand(s);
		/* datacenter mac_prefix BC:24:11, random rest */
		snprintf(kv[mac].v, sizeof(kv[mac].v), "BC:24:11:%02X:%02X:%02X",
			 (unsigned)(r & 0xff), (unsigned)((r >> 8) & 0xff),
			 (unsigned)((r >> 16) & 0xff));
	}
	for (int i = 0; i < n; i++)
		if (i == mac) {
			for (char *p = kv[i].v; *p; p++)
				if (*p >= 'a' && *p <= 'f')
					*p -= 32;
		}
	if (type < 0 && n < 32) {
		snprintf(kv[n].k, sizeof(kv[n].k), "type");
		snprintf(kv[n++].v, sizeof(kv[0].v), "veth");
	}
	qsort(kv, n, sizeof(kv[0]), kv_cmp);
	out[0] = 0;
	for (int i = 0; i < n; i++)
		o += snprintf(out + o, o < len ? len - o : 0, "%s%s=%s",
			      i ? "," : "", kv[i].k, kv[i].v);
	return o < len ? 0 : -ENAMETOOLONG;
}

static int tag_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* split on , ; or whitespace, lower-case, de-duplicate, sort, join with ; */
void sim_tags_normalize(const char *in, char *out, size_t len)
{
	char buf[4096];
	char *tags[256];
	char *save, *tok;
	int n = 0;
	size_t o = 0;

	snprintf(buf, sizeof(buf), "%s", in);
	for (char *p = buf; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 32;
	for (tok = strtok_r(buf, ",; \t\n", &save); tok && n < 256;
	     tok = strtok_r(NULL, ",; \t\n", &save))
		tags[n++] = tok;
	qsort(tags, n, sizeof(tags[0]), tag_cmp);
	out[0] = 0;
	for (int i = 0; i < n; i++) {
		if (i && !strcmp(tags[i], tags[i - 1]))
			continue;
		o += snprintf(out + o, o < len ? len - o : 0, "%s%s",
			      o ? ";" : "", tags[i]);
	}
}

/* ---- volumes ---- */

int sim_volume_split(const char *val, char *sid, size_t sidlen,
		     char *volname, size_t vlen, char *opts, size_t olen)
{
	const char *colon = strchr(val, ':');
	const char *comma;
	if (!colon || colon == val)
		return -EINVAL;
	snprintf(sid, sidlen, "%.*s", (int)(colon - val), val);
	comma = strchr(colon + 1, ',');
	if (comma) {
		snprintf(volname, vlen, "%.*s", (int)(comma - colon - 1), colon + 1);
		snprintf(opts, olen, "%s", comma + 1);
	} else {
		snprintf(volname, vlen, "%s", colon + 1);
		if (olen)
			opts[0] = 0;
	}
	return 0;
}

/* Local storages are per node: the same volume name may exist on each. */
const char *sim_volkey(struct sim *s, const char *sid, const char *node,
		       char *buf, size_t len)
{
	const struct sim_storage *st = sim_storage_find(s, sid);
	if (st && sim_storage_is_shared(st->type))
		snprintf(buf, len, "%s", sid);
	else
		snprintf(buf, len, "%s@%s", sid, node);
	return buf;
}

static json_object *vol_table(struct sim *s, const char *sid, const char *node,
			      bool create)
{
	char key[160];
	json_object *t;
	sim_volkey(s, sid, node, key, sizeof(key));
	if (json_object_object_get_ex(s->volumes, key, &t))
		return t;
	if (!create)
		return NULL;
	t = json_object_new_object();
	json_object_object_add(s->volumes, key, t);
	return t;
}

bool sim_volume_exists(struct sim *s, const char *sid, const char *node,
		       const char *volname)
{
	json_object *t = vol_table(s, sid, node, false);
	return t && json_object_object_get_ex(t, volname, NULL);
}

static bool index_used(json_object *t, int vmid, int n)
{
	char a[64], b[64];
	int la, lb;
	la = snprintf(a, sizeof(a), "-%d-disk-%d", vmid, n);
	lb = snprintf(b, sizeof(b), "-%d-disk-%d.raw", vmid, n);
	json_object_object_foreach(t, name, v) {
		size_t ln = strlen(name);
		(void)v;
		if ((ln >= (size_t)la && !strcmp(name + ln - la, a)) ||
		    (ln >= (size_t)lb && !strcmp(name + ln - lb, b)))
			return true;
	}
	return false;
}

int sim_volume_alloc(struct sim *s, const char *sid, const char *node,
		     int vmid, const char *size, const char *base,
		     char *volname, size_t vlen, char *err, size_t errlen)
{
	const struct sim_storage *st = sim_storage_find(s, sid);
	json_object *t, *v;
	int n = 0;

	if (!st) {
		snprintf(err, errlen, "storage '%s' does not exist", sid);
		return -ENOENT;
	}
	t = vol_table(s, sid, node, true);
	while (index_used(t, vmid, n))
		n++;
	switch (st->type) {
	case ST_LVMTHIN:
		snprintf(volname, vlen, "vm-%d-disk-%d", vmid, n);
		break;
	case ST_ZFSPOOL:
		if (base)
			snprintf(volname, vlen, "%s/subvol-%d-disk-%d", base, vmid, n);
		else
			snprintf(volname, vlen, "subvol-%d-disk-%d", vmid, n);
		break;
	case ST_DIR:
	case ST_NFS:
		snprintf(volname, vlen, "%d/vm-%d-disk-%d.raw", vmid, vmid, n);
		break;
	}
	v = json_object_new_object();
	json_object_object_add(v, "vmid", json_object_new_int(vmid));
	json_object_object_add(v, "size", json_object_new_string(size));
	if (base)
		json_object_object_add(v, "base", json_object_new_string(base));
	json_object_object_add(t, volname, v);
	sim_mark_dirty(s);
	return 0;
}

int sim_volume_free(struct sim *s, const char *sid, const char *node,
		    const char *volname, char *err, size_t errlen)
{
	const struct sim_storage *st = sim_storage_find(s, sid);
	json_object *t = vol_table(s, sid, node, false);
	size_t n = strlen(volname);

	if (!st) {
		snprintf(err, errlen, "storage '%s' does not exist", sid);
		return -ENOENT;
	}
	if (!t || !json_object_object_get_ex(t, volname, NULL))
		return 0; /* already gone: vdisk_free is quiet about it */
	/* Storage.pm volume_is_base_and_used: only storages whose clone names
	 * embed the base see the link; on LVM-thin the base just goes. */
	if (st->type == ST_ZFSPOOL || st->type == ST_DIR || st->type == ST_NFS) {
		json_object_object_foreach(t, name, v) {
			(void)v;
			if (!strncmp(name, volname, n) && name[n] == '/') {
				snprintf(err, errlen,
					 "base volume '%s' is still in use by linked clones",
					 volname);
				return -EBUSY;
			}
		}
	}
	json_object_object_del(t, volname);
	sim_mark_dirty(s);
	return 0;
}

int sim_volume_rename(struct sim *s, const char *sid, const char *node,
		      const char *from, const char *to)
{
	json_object *t = vol_table(s, sid, node, false);
	json_object *v;
	if (!t || !json_object_object_get_ex(t, from, &v))
		return -ENOENT;
	json_object_get(v);
	json_object_object_del(t, from);
	json_object_object_add(t, to, v);
	sim_mark_dirty(s);
	return 0;
}

bool sim_storage_has_content(const struct sim_storage *st, const char *ct)
{
	const char *list;
	char want[32], l[128];

	switch (st->type) {
	case ST_LVMTHIN:
	case ST_ZFSPOOL:
		list = "rootdir,images";
		break;
	case ST_NFS:
		list = "rootdir,images,vztmpl,iso,backup";
		break;
	case ST_DIR:
	default:
		/* a stock install's `local` has no container directories */
		list = strcmp(st->id, "local") ? "rootdir,images,vztmpl,iso,backup" :
						 "vztmpl,iso,backup";
		break;
	}
	snprintf(l, sizeof(l), ",%s,", list);
	snprintf(want, sizeof(want), ",%s,", ct);
	return strstr(l, want) != NULL;
}
