/* One operations table per kind of node, in the manner of libfuse's own
 * operation table: the FUSE operations (ops_*.c) resolve a path to a node
 * (node.c) and call its kind's entry; the kind's file is the one home of
 * that behaviour.
 *
 *   kind_dir.c      the root, a container directory, an object directory
 *   kind_value.c    values: attribute files, other keys, config.json (an
 *                   entry's and the whole document's), and a known key not
 *                   written yet (network_config/name)
 *   kind_gen.c      generated files of a container (status, error, log,
 *                   wait, ctl, drift) and of the root (status, events,
 *                   metrics, tree, graph.dot), each a row of a table
 *   kind_scratch.c  editors' temporary files (scratch.c holds them)
 *
 * A NULL entry means the operation does not apply to the kind; the FUSE
 * operation then answers with the errno the kind names in `not_applicable`
 * (EISDIR for directories) or, for directory operations, ENOTDIR. */
#ifndef PHX_KIND_H
#define PHX_KIND_H

#include "backend/strbuf.h"
#include "fs/node.h"

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

struct phx_handle;
struct phx_sfile;

/* The names of a directory, taken once at opendir, in the one buffer type:
 * each entry is its type ('d' or 'f'), its name and a NUL, and an entry's
 * byte offset is its place for readdir. A failed allocation is sticky
 * (strbuf.h): the caller sees it once, as ENOMEM, never a short listing. */
struct phx_listing {
	struct strbuf b;
};
void phx_listing_add(struct phx_listing *l, const char *name, mode_t type);
/* Add unless a name of that spelling is listed already (scratch files
 * shadowed by a key of the same name are not shown twice). */
void phx_listing_add_new(struct phx_listing *l, const char *name, mode_t type);
/* The entry at byte offset *off: its name and type; *off moves to the
 * next. NULL past the end. */
const char *phx_listing_next(const struct phx_listing *l, size_t *off, mode_t *type);
void phx_listing_release(struct phx_listing *l);

struct phx_kind {
	const char *what;
	int not_applicable; /* errno of file operations that do not apply */

	/* by name */
	int (*getattr)(struct phx_fs *fs, const struct phx_node *n, struct stat *st);
	/* open(2) of what the node names (created: this request made it) */
	int (*open)(struct phx_fs *fs, const struct phx_node *n, int flags, bool created,
		    struct phx_handle **out);
	/* O_CREAT, after the replacement check (replace.c) */
	int (*create)(struct phx_fs *fs, const struct phx_node *n, mode_t mode, int flags,
		      struct phx_handle **out);
	int (*truncate)(struct phx_fs *fs, const struct phx_node *n, off_t size);
	int (*unlink)(struct phx_fs *fs, const struct phx_node *n);
	/* a scratch file renamed onto this name */
	int (*rename_onto)(struct phx_fs *fs, const struct phx_node *n, const char *from,
			   struct phx_sfile *f);
	int (*setattr)(struct phx_fs *fs, const struct phx_node *n, const mode_t *mode,
		       const uid_t *uid, const gid_t *gid, const struct timespec *tv);
	/* directories */
	int (*list)(struct phx_fs *fs, const struct phx_node *n, struct phx_listing *l);
	int (*mkdir)(struct phx_fs *fs, const struct phx_node *n);
	int (*rmdir)(struct phx_fs *fs, const struct phx_node *n);
	/* content of a file, for reads and sizes; NULL: not rendered */
	int (*render)(struct phx_fs *fs, const struct phx_node *n, char **out, size_t *len);

	/* through an open handle */
	int (*h_getattr)(struct phx_fs *fs, struct phx_handle *h, struct stat *st);
	ssize_t (*h_read)(struct phx_fs *fs, struct phx_handle *h, char *buf, size_t size,
			  off_t off);
	ssize_t (*h_write)(struct phx_fs *fs, struct phx_handle *h, const char *buf,
			   size_t size, off_t off);
	int (*h_commit)(struct phx_fs *fs, struct phx_handle *h); /* flush, fsync, release */
	int (*h_truncate)(struct phx_fs *fs, struct phx_handle *h, off_t size);
	int (*h_setattr)(struct phx_fs *fs, struct phx_handle *h, const mode_t *mode,
			 const uid_t *uid, const gid_t *gid, const struct timespec *tv);
};

/* The table of a node's kind. */
const struct phx_kind *phx_kind(const struct phx_node *n);

extern const struct phx_kind phx_kind_root, phx_kind_ct, phx_kind_keydir;
extern const struct phx_kind phx_kind_attr, phx_kind_key, phx_kind_ct_config,
	phx_kind_root_config, phx_kind_new_key;
extern const struct phx_kind phx_kind_gen, phx_kind_root_gen;
extern const struct phx_kind phx_kind_scratch;

/* Generated files (kind_gen.c): the index of a container's or the root's
 * generated file by name, -1 when name is none; the root's names. */
int phx_gen_find(const char *name);
int phx_root_gen_find(const char *name);
void phx_root_gen_list(struct phx_listing *l);
/* The name of the root's generated file i, NULL past the last; counters:
 * it changes with no container's change (requests, events). */
const char *phx_root_gen_name(int i, bool *counters);
void phx_gen_list(struct phx_listing *l);

/* Shared by the kinds (stat.c). */
struct timespec phx_doc_time(struct phx_fs *fs);
void phx_stat_dir(struct phx_fs *fs, struct stat *st);
/* A container's directory and its object directories: mtime is when
 * anything of the entry last changed (kind_dir.c). */
void phx_stat_ct_dir(struct phx_fs *fs, uint32_t ctid, struct stat *st);
void phx_stat_file(struct phx_fs *fs, struct stat *st, mode_t mode, size_t size, bool live);
/* What phoenixfs serves keeps its mode, owner and times: a change asked for
 * is accepted (tools set them on their way) unless it would change the
 * owner, which cannot be kept. */
int phx_setattr_kept(struct phx_fs *fs, const struct phx_node *n, const uid_t *uid,
		     const gid_t *gid);
/* Render through the node's kind; -ENOENT when it renders nothing. */
int phx_render(struct phx_fs *fs, const struct phx_node *n, char **out, size_t *len);
int phx_rendered_size(struct phx_fs *fs, const struct phx_node *n, size_t *size);

/* Every CTID shown at the root: entries and backend guests, sorted,
 * unique (kind_dir.c). Returns the count, or -ENOMEM. */
ssize_t phx_all_ctids(struct phx_fs *fs, uint32_t **out);

/* A refusal of something the mount generates (EPERM, logged). */
int phx_refuse_generated(struct phx_fs *fs, const struct phx_node *n, const char *verb);

#endif
