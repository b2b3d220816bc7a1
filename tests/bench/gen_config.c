/* gen_config [--nodes A,B,...] N [FIRST]: print a phoenix_lxc_configs.json
 * with N container entries, CTIDs FIRST.. (default 1000), each shaped like
 * shape.h, to stdout. Used for the read-path and cost-growth benchmarks.
 *
 * gen_config --pvesim-state [--nodes A,B,...] N [FIRST]: print a pvesim
 * state.json holding the same N containers, stopped, so that a simulated
 * backend with 10,000 guests starts in a moment instead of after 10,000
 * creates.
 *
 * The containers are on node pve, or, with --nodes, spread over the nodes
 * listed in turn (container i on node i mod K), in the config's `node` as
 * in the state, so that a cluster's fleet and its config agree. */
#include "shape.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NODES 16

static const char *nodes[MAX_NODES] = { "pve" };
static size_t n_nodes = 1;

static const char *node_of(unsigned long i)
{
	return nodes[i % n_nodes];
}

/* "a,b,c" into nodes[]; the string is kept (argv) */
static int parse_nodes(char *list)
{
	n_nodes = 0;
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		if (n_nodes == MAX_NODES || !*tok)
			return -1;
		nodes[n_nodes++] = tok;
	}
	return n_nodes ? 0 : -1;
}

static void pvesim_state(unsigned long n, unsigned long first)
{
	printf("{\n  \"format\":1,\n  \"next_pid\":4096,\n  \"guests\":{");
	for (unsigned long i = 0; i < n; i++)
		printf("%s\n    \"%lu\":{\"node\":\"%s\",\"running\":false,\"conf\":{"
		       "\"hostname\":\"ct%lu\",\"rootfs\":\"local-lvm:vm-%lu-disk-0,size=8G\","
		       "\"memory\":1024,\"swap\":512,\"cores\":2,\"arch\":\"amd64\","
		       "\"ostype\":\"debian\",\"unprivileged\":1},\"snapshots\":{}}",
		       i ? "," : "", first + i, node_of(i), first + i, first + i);
	/* local-lvm is local: one volume list per node */
	printf("\n  },\n  \"volumes\":{");
	for (size_t k = 0; k < n_nodes; k++) {
		bool any = false;

		printf("%s\n    \"local-lvm@%s\":{", k ? "," : "", nodes[k]);
		for (unsigned long i = k; i < n; i += n_nodes) {
			printf("%s\n      \"vm-%lu-disk-0\":{\"vmid\":%lu,\"size\":\"8G\"}",
			       any ? "," : "", first + i, first + i);
			any = true;
		}
		printf("\n    }");
	}
	printf("\n  },\n  \"tasks\":[]\n}\n");
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
	if (argc > 2 && strcmp(argv[1], "--nodes") == 0) {
		if (parse_nodes(argv[2]) < 0) {
			fprintf(stderr, "gen_config: --nodes takes 1 to %d names, comma-separated\n",
				MAX_NODES);
			return 2;
		}
		argc -= 2;
		argv += 2;
	}
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: gen_config [--pvesim-state] [--nodes A,B,...] N [FIRST]\n");
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
			if (strcmp(shape_keys[j].key, "node") == 0)
				printf("\"%s\"", node_of(i));
			else
				printf(shape_keys[j].json, ct);
		}
		printf("\n        }");
	}
	printf("\n    }\n}\n");
	return ferror(stdout) ? 1 : 0;
}
