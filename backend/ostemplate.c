#include "backend/ostemplate.h"

#include "backend/comma_list.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

bool phx_ostemplate_is_path(const char *s)
{
	return s && s[0] == '/';
}

/* pve-storage's VZTMPL_EXT_RE_1, case-insensitive: .tar at the very end,
 * or .tar.gz/.xz/.zst/.bz2. */
static bool template_name(const char *file)
{
	static const char *const ext[] = { ".tar", ".tar.gz", ".tar.xz", ".tar.zst", ".tar.bz2" };
	size_t n = strlen(file);

	if (!*file || strchr(file, '/'))
		return false;
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t e = strlen(ext[i]);

		if (n > e && strcasecmp(file + n - e, ext[i]) == 0)
			return true;
	}
	return false;
}

/* `path` with runs of '/' folded and any trailing '/' dropped, so that a
 * storage path written "/srv/x/" matches a template "/srv/x//template/..".
 * ".." and "." components are refused: the text is compared, not resolved
 * (the file lives on the Proxmox host, not necessarily here). */
static bool normalize(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (const char *p = in; *p; p++) {
		if (*p == '/' && o > 0 && out[o - 1] == '/')
			continue;
		if (o + 1 >= len)
			return false;
		out[o++] = *p;
	}
	while (o > 1 && out[o - 1] == '/')
		o--;
	out[o] = '\0';
	return !strstr(out, "/../") && !strstr(out, "/./") &&
	       (o < 3 || strcmp(out + o - 3, "/..") != 0) &&
	       (o < 2 || strcmp(out + o - 2, "/.") != 0);
}

int phx_ostemplate_volid(const char *path, const struct phx_storage_list *storages,
			 const char *node, char *volid, size_t volidlen,
			 char *err, size_t errlen)
{
	char want[1024], dir[1024], *slash;
	const char *file, *why = NULL;
	const struct phx_storage *near = NULL;
	bool off_node = false;

	if (!phx_ostemplate_is_path(path) || !normalize(path, want, sizeof(want))) {
		snprintf(err, errlen, "'%s' is not an absolute path without '.' or '..'", path);
		return -ENOENT;
	}
	slash = strrchr(want, '/');
	file = slash + 1;
	if (!template_name(file)) {
		snprintf(err, errlen,
			 "'%s' is not a container template's name (.tar, .tar.gz, .tar.xz, .tar.zst or .tar.bz2)",
			 file);
		return -ENOENT;
	}
	*slash = '\0';
	for (size_t i = 0; storages && i < storages->n; i++) {
		const struct phx_storage *st = &storages->v[i];

		if (!st->path[0] || !normalize(st->path, dir, sizeof(dir)))
			continue;
		if (strlen(dir) + sizeof("/template/cache") > sizeof(dir))
			continue;
		strcat(dir, strcmp(dir, "/") == 0 ? "template/cache" : "/template/cache");
		if (strcmp(dir, want) != 0)
			continue;
		/* the directory is this storage's: can it serve the template? */
		off_node = false;
		if (st->disabled)
			why = "is disabled";
		else if (!phx_comma_list_has(st->content, "vztmpl"))
			why = "does not list vztmpl in its content";
		else if (node && st->nodes[0] && !phx_comma_list_has(st->nodes, node))
			why = "is not available on node", off_node = true;
		else {
			snprintf(volid, volidlen, "%s:vztmpl/%s", st->id, file);
			return 0;
		}
		near = st;
	}
	if (near) {
		snprintf(err, errlen, "template %s/%s: storage '%s' holds that directory but %s%s%s",
			 want, file, near->id, why, off_node ? " " : "", off_node ? node : "");
	} else {
		size_t wl = strlen(want), sl = strlen("/template/cache");

		if (wl > sl && strcmp(want + wl - sl, "/template/cache") == 0)
			snprintf(err, errlen,
				 "template %s/%s: no storage of the cluster has the path %.*s (GET /storage)",
				 want, file, (int)(wl - sl), want);
		else
			snprintf(err, errlen,
				 "template %s/%s: not in a storage's template directory (STORAGE-PATH/template/cache/)",
				 want, file);
	}
	return -ENOENT;
}
