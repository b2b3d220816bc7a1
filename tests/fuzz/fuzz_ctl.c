/* Fuzz the ctl command parser: what a program writes to CTID/ctl goes to
 * phx_engine_ctl as text. An offline engine (no driver) is started once
 * on a small document; every input is one command for one of its
 * containers. Anything but the eight commands must be refused with EINVAL,
 * and nothing may crash or leak. */
#include "backend/doc.h"
#include "backend/engine.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct phx_engine *eng;
static struct phx_doc *doc;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char dir[] = "/var/tmp/phx-fuzz-ctl-XXXXXX";
	char path[128], journal[128], err[512];
	FILE *f;

	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/c.json", dir);
	snprintf(journal, sizeof(journal), "%s/journal", dir);
	f = fopen(path, "w");
	if (!f)
		abort();
	fputs("{\"lxc_configs\": {\"900\": {\"is_template\": true, \"template\": \"/t.tar\"},"
	      " \"103\": {\"clone_from_ctid\": \"900\"}}}\n", f);
	fclose(f);
	if (phx_doc_open(&doc, path, err, sizeof(err)) < 0)
		abort();
	struct phx_engine_cfg cfg = { .doc = doc, .jobs = 2, .refresh_ms = 1000,
				      .journal_path = journal };
	if (phx_engine_start(&eng, &cfg, err, sizeof(err)) < 0)
		abort();
	return 0;
}

static bool known(const char *s)
{
	static const char *const cmds[] = { "create", "start", "stop", "restart",
					    "retry", "destroy", "refresh", "apply" };
	char w[32];
	size_t n;

	while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || (s[n - 1] >= '\t' && s[n - 1] <= '\r')))
		n--;
	if (n >= sizeof(w))
		return false;
	memcpy(w, s, n);
	w[n] = '\0';
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(w, cmds[i]) == 0)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], *cmd, *log;
	uint32_t ctid;
	int rc;

	if (size < 1)
		return 0;
	ctid = data[0] & 1 ? 900 : 103;
	cmd = strndup((const char *)data + 1, size - 1); /* the FS passes text */
	if (!cmd)
		return 0;
	rc = phx_engine_ctl(eng, ctid, cmd, err, sizeof(err));
	if (!known(cmd) && rc != -EINVAL)
		abort(); /* an unknown command was accepted */
	free(cmd);
	log = phx_engine_log(eng, ctid);
	free(log);
	return 0;
}
