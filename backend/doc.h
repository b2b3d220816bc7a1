/* The desired-state document: phoenix_lxc_configs.json held in memory.
 *
 * Readers take the read lock and look at the json-c tree. Writers describe
 * an edit as a function; the edit runs on a private copy, the copy is saved
 * atomically, and only then does it replace the live tree: a failed edit or
 * a failed save leaves both the file and the tree exactly as they were.
 * Keys and types phoenixfs does not know survive every edit, and key order
 * is kept, so the file stays shareable with the shell scripts that use it. */
#ifndef PHX_DOC_H
#define PHX_DOC_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct phx_doc;

/* Load PATH. A missing file is an empty document, created on first write.
 * Returns 0, or a negative errno with the reason in err (bad JSON names the
 * line; a wrong shape names the key). */
int phx_doc_open(struct phx_doc **out, const char *path, char *err, size_t errlen);
void phx_doc_close(struct phx_doc *doc);
const char *phx_doc_path(const struct phx_doc *doc);

void phx_doc_rdlock(struct phx_doc *doc);
void phx_doc_unlock(struct phx_doc *doc);
/* Valid while the read lock is held. */
json_object *phx_doc_root(struct phx_doc *doc);
json_object *phx_doc_entry(struct phx_doc *doc, uint32_t ctid);
/* Bumped by every change, ours or an outside edit picked up. */
uint64_t phx_doc_generation(struct phx_doc *doc);
/* Why the file on disk cannot be used right now (outside edit left bad
 * JSON); NULL when it is fine. Copies into buf. */
bool phx_doc_problem(struct phx_doc *doc, char *buf, size_t len);

/* An edit works on a private copy of the root and returns 0 or a negative
 * errno with the reason in err. An edit that fails must leave the copy as
 * it found it: edits from concurrent writers share one copy and one save
 * (group commit), and a refused edit must not spoil the others. Each
 * caller still gets its own result, and a 0 means its change is on disk. */
typedef int (*phx_doc_edit_fn)(json_object *root, void *arg, char *err, size_t errlen);
int phx_doc_edit(struct phx_doc *doc, phx_doc_edit_fn fn, void *arg,
		 char *err, size_t errlen);

/* The same for an edit that changes nothing but the entry of ctid (which it
 * may create or delete) and lxc_configs' list of keys: it is given a copy that
 * shares every other entry with the live tree, so a commit costs little more
 * than writing the file, however many containers there are. */
int phx_doc_edit_entry(struct phx_doc *doc, uint32_t ctid, phx_doc_edit_fn fn, void *arg,
		       char *err, size_t errlen);

/* The lxc_configs object of a root, created when asked to. */
json_object *phx_doc_configs(json_object *root, bool create);

/* A tree's text with the default layout (4 spaces), for trees that are not
 * the document (fuzzing, tests). */
char *phx_doc_serialize(json_object *root, size_t *len);
/* Exactly the bytes phoenixfs writes for the document as it is now, in the
 * file's own layout. Hold the read lock. malloc'd. */
char *phx_doc_text(struct phx_doc *doc, size_t *len);
/* The length of that text, known without serializing when the current
 * generation was saved by us (stat of config.json). Takes the locks itself. */
int phx_doc_text_size(struct phx_doc *doc, size_t *size);

/* Check a whole document: root object, lxc_configs an object of CTID keys
 * whose entries pass phx_entry_check. Returns 0 or -EINVAL. */
int phx_doc_validate(json_object *root, char *err, size_t errlen);

/* Parse text as a document (used for writes of the root config.json and
 * for reloads). Returns the tree or NULL with the reason in err. */
json_object *phx_doc_parse(const char *text, size_t len, char *err, size_t errlen);

/* Re-read the file if someone else changed it. Returns 1 when the tree
 * changed, 0 when not, negative when the file is unusable (the last good
 * tree stays live and phx_doc_problem says why). */
int phx_doc_check_outside(struct phx_doc *doc);

/* --- the change feed ---
 *
 * Every committed change of an entry is published: this mount's edits and
 * other programs' edits of the file (found when the file is re-read). A
 * change that leaves an entry exactly as it was is not published, so
 * writing the value a file already has asks for nothing. Subscribers are
 * called once per change, in commit order, after every lock of the
 * document (and the file's flock) is released; an edit returns only after
 * its change has been delivered, so what a subscriber records (the
 * engine's journal) is done when the writer's write returns. */
enum phx_origin {
	PHX_BY_MOUNT,   /* a write through this mount */
	PHX_BY_OUTSIDE, /* another program's edit of the file */
};
const char *phx_origin_name(enum phx_origin o);

struct phx_key_change {
	char *key;          /* the entry's key */
	json_object *old_value, *new_value; /* private copies; NULL: absent */
};

struct phx_change {
	uint64_t gen;          /* the document generation that holds it */
	enum phx_origin origin;
	uint32_t ctid;
	bool added, removed;   /* the entry appeared, or went away */
	bool partial;          /* out of memory listing its keys: take every
				  key of the entry as changed */
	size_t nkeys;
	struct phx_key_change *keys;
};

typedef void (*phx_doc_feed_fn)(void *arg, const struct phx_change *changes, size_t n);
/* At most PHX_DOC_SUBSCRIBERS; returns 0 or -ENOSPC. */
#define PHX_DOC_SUBSCRIBERS 4
int phx_doc_subscribe(struct phx_doc *doc, phx_doc_feed_fn fn, void *arg);
/* Returns once no delivery to it is under way. */
void phx_doc_unsubscribe(struct phx_doc *doc, phx_doc_feed_fn fn, void *arg);

/* A thread that checks the file for outside edits every interval_ms.
 * Returns 0 or a negative errno. */
int phx_doc_watch_start(struct phx_doc *doc, unsigned interval_ms);
void phx_doc_watch_stop(struct phx_doc *doc);

#endif
