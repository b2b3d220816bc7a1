/* Moving an existing container to the node its entry names. */
#ifndef PHX_ENGINE_MIGRATE_H
#define PHX_ENGINE_MIGRATE_H

struct step;
/* Migrate s->ctid from s->node to the entry's `node` when they differ
 * (restart mode when it runs); on success s->node is the new node. A step
 * result: STEP_OK, STEP_FAILED (with Proxmox's reason), STEP_STOPPED. */
int step_migrate(struct step *s);

#endif
