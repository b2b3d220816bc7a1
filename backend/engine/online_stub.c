/* Placeholder for the online engine (planner, workers, builds, refresher)
 * while it is being written: starting with a driver is refused. */
#include "backend/engine/engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

unsigned ct_cfg_key_bit(const char *key)
{
	static const char *const keys[] = { "name", "memory_mb", "swap_mb", "cores",
		"network_config", "start_at_boot", "boot_order" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i]) == 0)
			return 1u << i;
	return 0;
}
void plan_ctid(struct phx_engine *e, uint32_t ctid) { (void)e; (void)ctid; }
int workers_start(struct phx_engine *e, char *err, size_t errlen)
{
	(void)e;
	snprintf(err, errlen, "the online engine is not built yet");
	return -ENOSYS;
}
void workers_stop(struct phx_engine *e) { (void)e; }
int refresher_start(struct phx_engine *e, char *err, size_t errlen)
{
	(void)e; (void)err; (void)errlen;
	return 0;
}
void refresher_stop(struct phx_engine *e) { (void)e; }
