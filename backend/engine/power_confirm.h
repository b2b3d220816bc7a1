/* Start and stop of an HA-managed container (issue 14.4): its task is
 * `hastart`/`hastop`, which only asks the HA stack and ends before the
 * container runs or stops (pve-container API2/LXC/Status.pm vm_start,
 * vm_stop, vm_shutdown). The container's own status/current confirms. */
#ifndef PHX_ENGINE_POWER_CONFIRM_H
#define PHX_ENGINE_POWER_CONFIRM_H

#include "backend/engine/steps.h"

#include <stdbool.h>

/* Is upid a task that only hands the request to the HA stack? */
bool power_task_is_ha(const char *upid);

/* After the start/stop task upid ended OK: when it was hastart/hastop,
 * wait (polling status/current, bounded) until the container is `want`
 * ("running", "stopped"), noting why in its log. 0 confirmed (or nothing
 * to confirm), -1 with why, STEP_STOPPED. */
int step_confirm_power(struct step *s, const char *upid, const char *want,
		       char *why, size_t whylen);

#endif
