/* gen_config N [FIRST]: print a phoenix_lxc_configs.json with N container
 * entries, CTIDs FIRST.. (default 1000), each shaped like shape.h, to
 * stdout. Used for the read-path and cost-growth benchmarks.
 *
 * gen_config --pvesim-state N [FIRST]: print a pvesim state.json holding
 * the same N containers, stopped, on node pve, so that a simulated backend
 * with 10,000 guests starts in a moment instead of after 10,000 creates. */
#include "shape.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void pvesim_state(unsigned long n, unsigned long first)
{
	printf("{\n  \"format\":1,\n  \"next_pid\":4096,\n  \"guests\":{");
	for (unsigned long i = 0; i < n; i++)
		printf("%s\n    \"%lu\":{\"node\":\"pve\",\"running\":false,\"conf\":{"
		       "\"hostname\":\"ct%lu\",\"rootfs\":\"local-lvm:vm-%lu-disk-0,size=8G\","
		       "\"memory\":1024,\"swap\":512,\"cores\":2,\"arch\":\"amd64\","
		       "\"ostype\":\"debian\",\"unprivileged\":1},\"snapshots\":{}}",
		       i ? "," : "", first + i, first + i, first + i);
	printf("\n  },\n  \"volumes\":{\n    \"local-lvm@pve\":{");
	for (unsigned long i = 0; i < n; i++)
		printf("%s\n      \"vm-%lu-disk-0\":{\"vmid\":%lu,\"size\":\"8G\"}",
		       i ? "," : "", first + i, first + i);
	printf("\n    }\n  },\n  \"tasks\":[]\n}\n");
}

int main(int argc, char **argv)
{
	unsigned long n, first = 1000;
	bool state = argc > 1 && strcmp(argv[1], "--pvesim-state") == 0;
	char *end;

	if (state) {
		argc--;
		argv++;
	}
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: gen_config [--pvesim-state] N [FIRST]\n");
		return 2;
	}
	n = strtoul(argv[1], &end, 10);
	if (*end || (argc == 3 && ((first = strtoul(argv[2], &end, 10)) < 100 || *end))) {
		fprintf(stderr, "gen_config: N and FIRST are numbers, FIRST >= 100\n");
		return 2;
	}
	if (state) {
		pvesim_state(n, first);
		return ferror(stdout) ? 1 : 0;
	}
	printf("{\n    \"lxc_configs\": {");
	for (unsigned long i = 0; i < n; i++) {
		unsigned ct = (unsigned)(first + i);
		int k = 0;

		printf("%s\n        \"%u\": {", i ? "," : "", ct);
		for (size_t j = 0; j < SHAPE_NKEYS; j++) {
			if (!shape_keys[j].key)
				continue;
			printf("%s\n            \"%s\": ", k++ ? "," : "", shape_keys[j].key);
			printf(shape_keys[j].json, ct);
		}
		printf("\n        }");
	}
	printf("\n    }\n}\n");
	return ferror(stdout) ? 1 : 0;
}
