/* Linked or full clone (issue 14.2). A linked clone shares the template's
 * base volume, so it can only land where that volume is: Proxmox refuses
 * `storage` with a linked clone, refuses it on storage types that cannot
 * link ("Linked clone feature for '<vol>' is not available"), and refuses
 * a clone to another node on local storage (pve-container API2/LXC.pm
 * clone_vm). Rather than meet those refusals, phoenixfs clones full, with
 * `storage`, whenever a linked clone cannot be what the entry asks for. */
#ifndef PHX_ENGINE_CLONE_MODE_H
#define PHX_ENGINE_CLONE_MODE_H

#include "backend/engine/steps.h"

#include <json-c/json.h>
#include <stdbool.h>

enum clone_mode { CLONE_LINKED, CLONE_FULL };

/* What the decision rests on; "" for what is not known. */
struct clone_facts {
	bool source_is_template;
	const char *source_storage;      /* storage of the source's rootfs */
	const char *source_storage_type; /* its type in /storage */
	const char *want_storage;        /* the entry's storage_pool */
	const char *source_node;
	const char *target_node;         /* the entry's node; "" = the source's */
};

struct clone_choice {
	enum clone_mode mode;
	char storage[64];  /* `storage` to send; "" for none */
	char why[256];     /* for the log: which mode and why */
};

/* pve-storage: can volumes of this storage type be cloned linked as a
 * container's raw/subvol volume? */
bool clone_storage_links(const char *type);

/* The pure decision. */
void clone_mode_decide(const struct clone_facts *f, struct clone_choice *out);

/* The clone step's way in: the facts from the source's config src_cfg
 * (rootfs, template), the entry, and GET /storage (one call; a failure
 * leaves the type unknown), then the decision. */
void step_clone_mode(struct step *s, json_object *src_cfg, const char *srcnode,
		     struct clone_choice *out);

#endif
