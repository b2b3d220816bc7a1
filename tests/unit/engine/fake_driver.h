/* An in-memory Proxmox VE for the engine's unit tests: guests, locks, tasks
 * that take time, the refusals docs/proxmox-api.md describes, and faults on demand.
 * Thread-safe. It counts what the engine asked of it so tests can assert
 * on ordering, sharing and concurrency. */
#ifndef PHX_FAKE_DRIVER_H
#define PHX_FAKE_DRIVER_H

#include "backend/driver.h"

#include <stdbool.h>
#include <stdint.h>

struct fake;

struct fake *fake_new(const char *const *nodes, size_t nnodes, unsigned task_ms);
void fake_free(struct fake *f);
/* A driver whose destroy() does nothing: the test owns the fake. */
struct phx_driver fake_driver(struct fake *f);

void fake_add_ct(struct fake *f, const char *node, uint32_t vmid, bool template_,
		 bool running, const char *lock);
/* The next `times` calls of op ("create", "clone", "set_config", "start",
 * "template", "destroy", "list_guests", ...) on vmid (0: any) fail with
 * kind and msg. */
void fake_fail_call(struct fake *f, const char *op, uint32_t vmid, int times,
		    enum phx_err_kind kind, const char *msg);
/* The next task of type ("vzcreate", "vzclone", "vzstart", "vztemplate")
 * on vmid ends with this exitstatus. */
void fake_fail_task(struct fake *f, const char *type, uint32_t vmid, const char *exitstatus);
/* The next `times` calls of op on vmid get no answer at all (connection
 * refused: TRANSIENT with no HTTP status). */
void fake_drop_call(struct fake *f, const char *op, uint32_t vmid, int times);
/* The next create/clone of vmid goes through, but the caller is told
 * "already exists" (its answer was lost and the driver retried). */
void fake_lose_answer(struct fake *f, const char *op, uint32_t vmid);
/* The listing reports status "unknown" and no template for every guest, as
 * /cluster/resources does before pvestatd catches up. */
void fake_set_listing_lag(struct fake *f, bool lag);

/* Changes made by someone else, as in the GUI or with pct: a config key
 * set ("memory", "2048"), the container started or stopped, deleted. */
void fake_outside_set(struct fake *f, uint32_t vmid, const char *key, const char *value);
void fake_outside_power(struct fake *f, uint32_t vmid, bool running);
void fake_outside_delete(struct fake *f, uint32_t vmid);
/* A QEMU VM with that id (listed as type qemu). */
void fake_add_vm(struct fake *f, const char *node, uint32_t vmid);

/* The listing keeps saying what it says now (true) until thawed (false):
 * /cluster/resources lagging behind a change by pvestatd's period. */
void fake_freeze_listing(struct fake *f, bool freeze);

/* Observations. */
bool fake_exists(struct fake *f, uint32_t vmid);
bool fake_is_template(struct fake *f, uint32_t vmid);
bool fake_is_running(struct fake *f, uint32_t vmid);
/* Calls that reached the fake for op on vmid (0: any vmid). */
unsigned fake_calls(struct fake *f, const char *op, uint32_t vmid);
/* Most tasks running at once, and most clones running from one source. */
unsigned fake_max_tasks(struct fake *f);
unsigned fake_max_clones_per_source(struct fake *f);
unsigned fake_guests(struct fake *f);
/* The params of the last op call on vmid, "k=v&k=v" (malloc'd, "" none). */
char *fake_last_params(struct fake *f, const char *op, uint32_t vmid);
/* A config value of a guest ("" when unset), into buf. */
void fake_config(struct fake *f, uint32_t vmid, const char *key, char *buf, size_t len);
/* Sequence number (1, 2, ...) at which vmid first came to exist; 0 never. */
unsigned fake_created_seq(struct fake *f, uint32_t vmid);

#endif
