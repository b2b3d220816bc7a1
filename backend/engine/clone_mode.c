/* Linked or full clone: see clone_mode.h. */
#include "backend/engine/clone_mode.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool clone_storage_links(const char *type)
{
	/* pve-storage volume_has_feature(clone, base): LvmThinPlugin,
	 * ZFSPoolPlugin and RBDPlugin `clone => { base => 1 }`;
	 * BTRFSPlugin base raw/subvol. Plugin.pm (dir, nfs, cifs, cephfs,
	 * glusterfs) links only qcow2, which clone_vm's
	 * valid_target_formats [raw, subvol] excludes; LVMPlugin has no
	 * clone. */
	static const char *const linkable[] = { "lvmthin", "zfspool", "rbd", "btrfs", NULL };

	for (const char *const *t = linkable; type && *t; t++)
		if (strcmp(type, *t) == 0)
			return true;
	return false;
}

static void full(struct clone_choice *out, const char *storage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void full(struct clone_choice *out, const char *storage, const char *fmt, ...)
{
	va_list ap;

	out->mode = CLONE_FULL;
	snprintf(out->storage, sizeof(out->storage), "%s", storage ? storage : "");
	va_start(ap, fmt);
	vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
}

void clone_mode_decide(const struct clone_facts *f, struct clone_choice *out)
{
	const char *want = f->want_storage ? f->want_storage : "";
	const char *src = f->source_storage ? f->source_storage : "";
	const char *type = f->source_storage_type ? f->source_storage_type : "";

	memset(out, 0, sizeof(*out));
	if (!f->source_is_template) {
		full(out, want, "full clone: the source is not a template%s%s%s",
		     *want ? " (to storage " : "", want, *want ? ")" : "");
		return;
	}
	if (f->target_node && *f->target_node && f->source_node &&
	    strcmp(f->target_node, f->source_node) != 0) {
		full(out, want, "full clone: it goes to node %s, the template is on %s",
		     f->target_node, f->source_node);
		return;
	}
	/* storage ids are case-insensitive (pve-storage parse_storage_id) */
	if (*want && strcasecmp(want, src) != 0) {
		full(out, want, "full clone: storage_pool %s is not the template's storage %s",
		     want, *src ? src : "(unknown)");
		return;
	}
	if (!*type) {
		full(out, want, "full clone: the type of storage %s is not known (not in the "
		     "storage list)", *src ? src : "(unknown)");
		return;
	}
	if (!clone_storage_links(type)) {
		full(out, want, "full clone: storage %s (%s) cannot make linked clones", src, type);
		return;
	}
	out->mode = CLONE_LINKED;
	snprintf(out->why, sizeof(out->why), "linked clone on the template's storage %s (%s)",
		 src, type);
}

void step_clone_mode(struct step *s, json_object *src_cfg, const char *srcnode,
		     struct clone_choice *out)
{
	struct phx_storage_list sl = { 0 };
	struct phx_err err = { 0 };
	struct clone_facts f = { 0 };
	char sid[64] = "", type[32] = "";
	const char *rootfs = cfg_str(src_cfg, "rootfs");
	long long tpl = 0;

	cfg_int(src_cfg, "template", &tpl);
	if (rootfs && strchr(rootfs, ':'))
		snprintf(sid, sizeof(sid), "%.*s", (int)(strchr(rootfs, ':') - rootfs), rootfs);
	if (tpl == 1 && *sid && s->e->drv->ops->list_storage &&
	    s->e->drv->ops->list_storage(s->e->drv->ctx, &sl, &err) == 0) {
		for (size_t i = 0; i < sl.n; i++)
			if (strcasecmp(sl.v[i].id, sid) == 0)
				snprintf(type, sizeof(type), "%s", sl.v[i].type);
		phx_storage_list_free(&sl);
	}
	f.source_is_template = tpl == 1;
	f.source_storage = sid;
	f.source_storage_type = type;
	f.want_storage = entry_str(s->entry, "storage_pool");
	f.source_node = srcnode;
	f.target_node = entry_str(s->entry, "node");
	clone_mode_decide(&f, out);
}
