/* Who may change the mount. Reading is the kernel's business (allow_other,
 * allow_root, default_permissions); changing anything (a value, ctl, a
 * container, config.json, a scratch file) is checked here on every
 * request, whatever the options, because allow_other alone lets every
 * local user reach the operations and the files' modes are not checked
 * without default_permissions. Root and the mount's owner may change
 * everything; others only when the administrator names them with
 * allow_write_user= or allow_write_group=. */
#ifndef PHX_ACCESS_H
#define PHX_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct phx_writers {
	uid_t *uids;
	size_t nuids;
	gid_t *gids;
	size_t ngids;
};

/* Add "NAME" or "UID" (allow_write_user) / "NAME" or "GID"
 * (allow_write_group). Returns 0, or -1 after writing why into err. */
int phx_writers_add_user(struct phx_writers *w, const char *spec, char *err, size_t errlen);
int phx_writers_add_group(struct phx_writers *w, const char *spec, char *err, size_t errlen);
void phx_writers_free(struct phx_writers *w);

/* May the process behind the current FUSE request change the mount owned
 * by owner? Reads fuse_get_context() (and the caller's groups). */
bool phx_may_change(const struct phx_writers *w, uid_t owner);

#endif
