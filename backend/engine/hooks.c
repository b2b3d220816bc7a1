/* Features and application scripts as host hooks (backend/hook.h), the
 * origin's bin/lxc_setup/ layout: run on the worker that carries out the
 * container's job (never on a FUSE thread, so a hook may read and write
 * the mount), in list order, output into the container's log. */
#include "backend/engine/provision.h"

#include "backend/hook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOOK_GRACE_MS 5000

struct hook_out {
	struct step *s;
	const char *label;
};

static void on_line(void *arg, const char *line)
{
	struct hook_out *o = arg;

	step_note(o->s, "%s: %s", o->label, line);
}

/* Run argv for the container; label names it in log and error. */
static int run_hook(struct step *s, const char *kind, const char *label,
		    const char *const *argv)
{
	struct phx_engine *e = s->e;
	char env_ctid[32], env_cfg[4200], env_node[80], env_mnt[4200], env_kind[64];
	const char *env[6];
	struct hook_out out = { .s = s, .label = label };
	struct phx_hook h = {
		.argv = argv, .env = env, .cwd = NULL,
		.timeout_ms = (int)e->hook_timeout_ms, .grace_ms = HOOK_GRACE_MS,
		.on_line = on_line, .arg = &out, .stop_fd = e->stop_pipe[0],
	};
	struct phx_hook_result res;
	char what[256];
	double t0;
	int n = 0, rc;

	snprintf(env_ctid, sizeof(env_ctid), "PHOENIX_CTID=%u", s->ctid);
	snprintf(env_cfg, sizeof(env_cfg), "PHOENIX_CONFIG=%s", e->config_path ? e->config_path : "");
	snprintf(env_node, sizeof(env_node), "PHOENIX_NODE=%s", s->node);
	snprintf(env_mnt, sizeof(env_mnt), "PHOENIX_MOUNT=%s", e->mountpoint ? e->mountpoint : "");
	snprintf(env_kind, sizeof(env_kind), "PHOENIX_HOOK=%s", kind);
	env[n++] = env_ctid;
	env[n++] = env_cfg;
	env[n++] = env_node;
	env[n++] = env_mnt;
	env[n++] = env_kind;
	env[n] = NULL;

	if (step_stopping(s))
		return STEP_STOPPED;
	step_show(s, ST_CONFIGURING, "running %s", label);
	step_note(s, "%s: running %s", label, argv[0]);
	memset(&res, 0, sizeof(res));
	t0 = now_mono();
	rc = phx_hook_run(&h, &res);
	if (!res.stopped) /* a run we cut short is no measure of the hook */
		eng_observe_hook(e, now_mono() - t0, rc == 0);
	if (rc == 0) {
		step_note(s, "%s: done", label);
		return STEP_OK;
	}
	if (res.stopped)
		return STEP_STOPPED; /* phoenixfs stops: run again on the next start */
	phx_hook_describe(&h, &res, what, sizeof(what));
	return step_fail(s, "%s of %u %s%s%s", label, s->ctid, what,
			 res.tail[0] ? "; its last lines:\n" : "", res.tail);
}

static bool in_words(const char *words, const char *w)
{
	size_t len = strlen(w);

	for (const char *p = words; p && *p;) {
		size_t l = strcspn(p, " ");

		if (l == len && !strncmp(p, w, len))
			return true;
		p += l;
		while (*p == ' ')
			p++;
	}
	return false;
}

int step_features(struct step *s, const char *skip, const char *only, char *done,
		  size_t donelen)
{
	json_object *list;
	const char *ca;
	char path[4300], ctid[16], label[160];
	size_t n;

	if (!s->entry || !json_object_object_get_ex(s->entry, "features", &list) ||
	    !json_object_is_type(list, json_type_array) ||
	    (n = json_object_array_length(list)) == 0)
		return STEP_OK;
	if (!s->e->feature_dir) {
		step_note(s, "features: not run: no feature_dir (mount with -o feature_dir=DIR "
			  "to run DIR/phoenix_hypervisor_feature_install_<feature>.sh)");
		return STEP_OK;
	}
	snprintf(ctid, sizeof(ctid), "%u", s->ctid);
	ca = entry_str(s->entry, "bootstrap_ca_url");
	for (size_t i = 0; i < n; i++) {
		const char *f = json_object_get_string(json_object_array_get_idx(list, i));
		const char *argv[4] = { path, ctid, NULL, NULL };
		int rc;

		if (!f || (skip && in_words(skip, f)) || (only && !in_words(only, f)))
			continue;
		if (ca && *ca)
			argv[2] = ca;
		snprintf(path, sizeof(path), "%s/phoenix_hypervisor_feature_install_%s.sh",
			 s->e->feature_dir, f);
		snprintf(label, sizeof(label), "feature %s", f);
		rc = run_hook(s, "feature", label, argv);
		if (rc)
			return rc;
		if (done && strlen(done) + strlen(f) + 2 < donelen) {
			if (*done)
				strcat(done, " ");
			strcat(done, f);
		}
	}
	return STEP_OK;
}

int step_app_script(struct step *s)
{
	const char *app = entry_str(s->entry, "application_script");
	char path[4300], ctid[16], label[200];
	const char *argv[3] = { path, ctid, NULL };

	if (!app || !*app)
		return STEP_OK;
	if (!s->e->app_script_dir) {
		step_note(s, "application_script %s: not run: no app_script_dir (mount with "
			  "-o app_script_dir=DIR to run DIR/%s CTID)", app, app);
		return STEP_OK;
	}
	snprintf(ctid, sizeof(ctid), "%u", s->ctid);
	snprintf(path, sizeof(path), "%s/%s", s->e->app_script_dir, app);
	snprintf(label, sizeof(label), "application_script %s", app);
	return run_hook(s, "application_script", label, argv);
}
