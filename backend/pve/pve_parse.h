/* Parsers for Proxmox VE API answers: pure functions over bytes and
 * json_object, no network and no global state, so that unit tests and
 * fuzz targets can call them directly. Each returns 0, or -1 with err
 * filled in (kind PHX_E_PROTOCOL when the answer has an unexpected shape). */
#ifndef PHX_PVE_PARSE_H
#define PHX_PVE_PARSE_H

#include "backend/driver.h"

#include <json-c/json.h>
#include <stddef.h>

/* Fills err from a failed HTTP exchange: status, the status line's reason
 * phrase (may be NULL) and the body (may be empty or not JSON). The text is
 * the JSON "message" without its trailing newline when there is one, else
 * the reason phrase; parameter "errors" are appended as "key: text; ...".
 * The kind is chosen by pve_classify(). */
void pve_error_from_reply(long http, const char *reason, const char *body,
			  size_t len, struct phx_err *err);

/* After pve_error_from_reply for the request to url: a failed pveproxy hop
 * (595..599) is about the node in the path (/nodes/NODE/...), which the
 * reply itself does not name; put its name in the text, so that a build
 * that stops there says which node did not answer. */
void pve_error_name_node(struct phx_err *err, const char *url);

/* The kind of a server refusal, from its status, its text and whether it
 * had any text of its own and parameter errors (proxmox-api.md §5). */
enum phx_err_kind pve_classify(long http, const char *msg, bool has_text,
			       bool has_param_errors);

/* Parses a 200 answer's envelope {"data": ...}. *data gets a new reference
 * (json NULL stays NULL for "data": null). */
int pve_parse_envelope(const char *body, size_t len, json_object **data,
		       struct phx_err *err);

/* data of GET /cluster/resources[?type=vm]: the guests (lxc and qemu;
 * other resource types are skipped). */
int pve_parse_guests(json_object *data, struct phx_guest_list *out,
		     struct phx_err *err);

/* data of GET /nodes: node names, malloc'd array of malloc'd strings. */
int pve_parse_nodes(json_object *data, char ***nodes, size_t *n,
		    struct phx_err *err);

/* data of GET /storage: every entry with a storage id (others are a
 * protocol error); content and nodes as the server lists them. */
int pve_parse_storage(json_object *data, struct phx_storage_list *out,
		      struct phx_err *err);

/* data of GET /cluster/resources (all types): the type=node rows with the
 * storages of the type=storage rows whose status is "available". */
int pve_parse_node_loads(json_object *data, struct phx_node_load_list *out,
			 struct phx_err *err);

/* data of GET .../snapshot: the names in the order listed, without
 * "current" (the running state, not a snapshot). */
int pve_parse_snapshots(json_object *data, char ***names, size_t *n,
			struct phx_err *err);

/* data of a call that may start a task or answer null (resize on older
 * servers): upid is "" for null. */
int pve_parse_upid_or_null(json_object *data, char upid[PHX_UPID_MAX],
			   struct phx_err *err);

/* data of GET .../config: must be an object; *cfg gets a new reference. */
int pve_parse_config(json_object *data, json_object **cfg, struct phx_err *err);

/* data of a call that starts a task: a well-formed UPID string. */
int pve_parse_upid(json_object *data, char upid[PHX_UPID_MAX],
		   struct phx_err *err);

/* data of GET .../tasks/{upid}/status. */
int pve_parse_task_status(json_object *data, struct phx_task_status *st,
			  struct phx_err *err);

/* data of GET .../tasks/{upid}/log?start=S: the text of the lines numbered
 * above S, in order. The server's placeholder for an empty log (a single
 * line 1 "no content") gives no lines, so that a caller asking again from
 * 0 later does not skip the real first line. */
int pve_parse_task_log(json_object *data, unsigned start, char ***lines,
		       size_t *n, struct phx_err *err);

/* data of GET /nodes/{node}/tasks?...: the newest task of the given type
 * (NULL: any) by the start time encoded in its UPID; "" when none. */
int pve_parse_newest_task(json_object *data, const char *type,
			  char upid[PHX_UPID_MAX], struct phx_err *err);

/* A UPID's start time (epoch seconds) and type; -1 when malformed. */
int pve_upid_fields(const char *upid, unsigned long *starttime,
		    char *type, size_t typelen);

/* Checks the text of a token file, USER@REALM!TOKENID=SECRET with at most
 * one trailing newline, and builds the header value
 * "PVEAPIToken=USER@REALM!TOKENID=SECRET" into hdr. err->msg is a short
 * phrase saying what is wrong ("empty", "no '!' before the token name")
 * that never contains any part of the token. */
int pve_token_parse(const char *text, size_t len, char *hdr, size_t hdrlen,
		    struct phx_err *err);

/* Whether a task's exitstatus means success: "OK" or "WARNINGS: <n>". */
bool pve_exitstatus_ok(const char *exitstatus);

void pve_strlist_free(char **v, size_t n);

#endif
