#include "backend/drift.h"

#include "backend/schema.h"

#include <string.h>

#define MiB (1024ULL * 1024)
#define GiB (1024ULL * MiB)

static bool skipped(const char *const *skip, const char *file)
{
	for (; skip && *skip; skip++)
		if (strcmp(*skip, file) == 0)
			return true;
	return false;
}

static bool entry_int(json_object *entry, const char *key, long long *out)
{
	json_object *v;

	return json_object_object_get_ex(entry, key, &v) && phx_json_int(v, out);
}

static const char *entry_str(json_object *entry, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(entry, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool entry_true(json_object *entry, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(entry, key, &v) &&
	       json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

/* Sizes: the listing's bytes in the entry's unit. A size that is not a
 * whole number of units is shown with its fraction, never rounded into
 * agreement. */
static void size_drift(struct strbuf *out, int *n, const char *file, long long want,
		       uint64_t have_bytes, unsigned long long unit)
{
	if (have_bytes == 0 || (uint64_t)want * unit == have_bytes)
		return;
	if (have_bytes % unit == 0)
		strbuf_addf(out, "%s file=%lld proxmox=%llu\n", file, want,
			    (unsigned long long)(have_bytes / unit));
	else
		strbuf_addf(out, "%s file=%lld proxmox=%.2f\n", file, want, (double)have_bytes / (double)unit);
	(*n)++;
}

int phx_drift(json_object *entry, const struct phx_guest *g,
	      const struct phx_drift_want *want, const char *const *skip, struct strbuf *out)
{
	const char *name = entry_str(entry, "name");
	long long v;
	int n = 0;

	if (!g) {
		if (want->exists && !skipped(skip, "status")) {
			strbuf_adds(out, "exists file=yes proxmox=no\n");
			n++;
		}
		return n;
	}
	if (want->node && strcmp(want->node, g->node) != 0 && !skipped(skip, "node")) {
		strbuf_addf(out, "node file=%s proxmox=%s\n", want->node, g->node);
		n++;
	}
	if (name && *name && g->name[0] && strcmp(name, g->name) != 0 && !skipped(skip, "name")) {
		strbuf_addf(out, "name file=%s proxmox=%s\n", name, g->name);
		n++;
	}
	if (entry_int(entry, "memory_mb", &v) && !skipped(skip, "memory_mb"))
		size_drift(out, &n, "memory_mb", v, g->maxmem, MiB);
	if (entry_int(entry, "storage_size_gb", &v) && !skipped(skip, "storage_size_gb"))
		size_drift(out, &n, "storage_size_gb", v, g->maxdisk, GiB);
	if (entry_int(entry, "cores", &v) && g->maxcpu > 0 && g->maxcpu != (double)v &&
	    !skipped(skip, "cores")) {
		strbuf_addf(out, "cores file=%lld proxmox=%g\n", v, g->maxcpu);
		n++;
	}
	if (g->template_ >= 0 && (g->template_ == 1) != entry_true(entry, "is_template") &&
	    !skipped(skip, "is_template")) {
		strbuf_addf(out, "is_template file=%s proxmox=%s\n",
			    entry_true(entry, "is_template") ? "true" : "false",
			    g->template_ ? "true" : "false");
		n++;
	}
	/* power state: only for a container that should run and is settled
	 * (not a template, not locked by an operation in progress) */
	if (g->template_ != 1 && !g->lock[0] && !skipped(skip, "status") &&
	    strcmp(g->status, "unknown") != 0 &&
	    (strcmp(g->status, "running") == 0) != want->running) {
		strbuf_addf(out, "status file=%s proxmox=%s\n", want->running ? "running" : "stopped",
			    g->status);
		n++;
	}
	return n;
}
