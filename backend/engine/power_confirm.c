/* Confirming the start or stop of an HA-managed container: see
 * power_confirm.h. */
#include "backend/engine/power_confirm.h"

#include <stdio.h>
#include <string.h>

/* The CRM and the node's LRM act in rounds about 10 s apart, and the
 * LRM's own start or stop then takes as long as ours would: give them a
 * few minutes before calling it a failure. */
#define HA_CONFIRM_S 300.0
#define HA_POLL_MS 500

bool power_task_is_ha(const char *upid)
{
	/* UPID:node:pid:pstart:starttime:TYPE:id:user: */
	return upid && (strstr(upid, ":hastart:") || strstr(upid, ":hastop:"));
}

int step_confirm_power(struct step *s, const char *upid, const char *want,
		       char *why, size_t whylen)
{
	const struct phx_driver_ops *ops = s->e->drv->ops;
	double until = now_mono() + HA_CONFIRM_S;
	char status[16] = "";
	unsigned bad = 0;

	if (!power_task_is_ha(upid))
		return 0;
	if (!ops->status_current) {
		step_note(s, "%u is HA-managed; this backend cannot confirm it is %s", s->ctid, want);
		return 0;
	}
	step_note(s, "%u is HA-managed: its task only asked the HA stack; waiting until it is %s",
		  s->ctid, want);
	while (now_mono() < until) {
		struct phx_err err = { 0 };
		bool ha = false;

		if (ops->status_current(s->e->drv->ctx, s->node, s->ctid, status, &ha, &err) < 0) {
			if (err.kind != PHX_E_TRANSIENT || ++bad >= 30) {
				snprintf(why, whylen, "HA %s of %u not confirmed: %s",
					 strcmp(want, "running") ? "stop" : "start", s->ctid, err.msg);
				return -1;
			}
		} else if (strcmp(status, want) == 0) {
			step_note(s, "the HA stack made %u %s", s->ctid, want);
			return 0;
		}
		if (!step_nap(s, HA_POLL_MS))
			return STEP_STOPPED;
	}
	snprintf(why, whylen, "the HA stack did not make %u %s within %.0f s (it is %s; see "
		 "`ha-manager status`)", s->ctid, want, HA_CONFIRM_S, status[0] ? status : "unknown");
	return -1;
}
