/* pvesim: a simulated Proxmox VE node or cluster served over HTTPS with the
 * real REST API. Runs in the foreground until SIGINT/SIGTERM. */
#include "http.h"
#include "sim.h"
#include "tls_setup.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *f)
{
	fprintf(f,
"usage: pvesim [--listen ADDR:PORT] [--state DIR] [--node NAME]...\n"
"              [--storage ID:TYPE[:PATH]]... [--pve-version 8|9]\n"
"              [--task-ms N] [--faults SPEC]\n"
"\n"
"Serves a simulated Proxmox VE node (or cluster, with several --node) over\n"
"HTTPS at /api2/json, with its state kept in DIR.\n"
"\n"
"  --listen ADDR:PORT     HTTPS address (default 127.0.0.1:8006)\n"
"  --state DIR            state.json, cert.pem, key.pem, fingerprint, token\n"
"                         (default ./pvesim-state)\n"
"  --node NAME            a cluster node; repeat for several (default pve)\n"
"  --storage ID:TYPE[:PATH]\n"
"                         dir, lvmthin, zfspool or nfs (nfs is shared); default\n"
"                         local:dir, local-lvm:lvmthin, local-zfs:zfspool.\n"
"                         PATH (dir, nfs): where it lives; default\n"
"                         /var/lib/vz for local, else /mnt/pve/ID\n"
"  --qemu VMID[:NODE[:running|stopped]]\n"
"                         a QEMU VM listed in /cluster/resources only (a\n"
"                         guest containers may depend on); default running\n"
"  --pve-version 8|9      the Proxmox VE release simulated (default 9): its\n"
"                         defaults, rules and texts\n"
"  --task-ms N            base task duration in ms (default 200)\n"
"  --faults SPEC          KIND=RATE[:ARG],... with KIND http500, drop,\n"
"                         slow (RATE:MS), taskfail, lock, proxy596,\n"
"                         badjson, truncate, ctype; RATE in 0..1\n"
"  --storage-nodes ID:NODE[,NODE...]\n"
"                         storage.cfg `nodes`: the storage is only on those\n"
"  --node-memory NODE:GIB the node's RAM (default 32); its used memory is\n"
"                         1 GiB plus its running containers' memory\n"
"  --offline NODE         NODE (not the first) is down: calls for it fail\n"
"                         with 595 after --proxy-timeout-ms; repeatable\n"
"  --proxy-timeout-ms N   pveproxy's hop timeout (default 30000)\n"
"  --seed N               seed for faults and MAC addresses (default 1)\n"
"  --stats-lag-ms N       pvestatd period for /cluster/resources status,\n"
"                         name, template (default 10000; 0 = live)\n"
"  --auth-delay-ms N      delay of 401 answers (default 3000)\n"
"  --lock-timeout-ms N    config flock timeout (default 10000)\n"
"  --no-message-field     error bodies without `message` (PVE before 8.3)\n"
"  --unlock VMID          like `pct unlock`: clear a CT's lock in the state\n"
"                         and exit without serving\n"
"  --help, --version\n");
}

static int parse_uint(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 3600000UL || s[0] == '-')
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int parse_listen(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	unsigned port;
	if (!colon || (size_t)(colon - s) >= sizeof(host) ||
	    parse_uint(colon + 1, &port) || port == 0 || port > 65535)
		return -EINVAL;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -EINVAL;
}

enum {
	OPT_LISTEN = 256, OPT_STATE, OPT_NODE, OPT_STORAGE, OPT_TASKMS,
	OPT_FAULTS, OPT_SEED, OPT_LAG, OPT_AUTHDELAY, OPT_LOCKTO, OPT_NOMSG,
	OPT_UNLOCK, OPT_HELP, OPT_VERSION, OPT_PVEVERSION, OPT_OFFLINE, OPT_PROXYTO, OPT_QEMU,
	OPT_STORAGENODES, OPT_NODEMEM,
};

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "node", required_argument, NULL, OPT_NODE },
		{ "storage", required_argument, NULL, OPT_STORAGE },
		{ "task-ms", required_argument, NULL, OPT_TASKMS },
		{ "faults", required_argument, NULL, OPT_FAULTS },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "stats-lag-ms", required_argument, NULL, OPT_LAG },
		{ "auth-delay-ms", required_argument, NULL, OPT_AUTHDELAY },
		{ "lock-timeout-ms", required_argument, NULL, OPT_LOCKTO },
		{ "no-message-field", no_argument, NULL, OPT_NOMSG },
		{ "unlock", required_argument, NULL, OPT_UNLOCK },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "pve-version", required_argument, NULL, OPT_PVEVERSION },
		{ "offline", required_argument, NULL, OPT_OFFLINE },
		{ "proxy-timeout-ms", required_argument, NULL, OPT_PROXYTO },
		{ "qemu", required_argument, NULL, OPT_QEMU },
		{ "storage-nodes", required_argument, NULL, OPT_STORAGENODES },
		{ "node-memory", required_argument, NULL, OPT_NODEMEM },
		{ NULL, 0, NULL, 0 },
	};
	struct sim_opts so;
	struct http_opts ho;
	const char *state = "./pvesim-state", *faults = NULL;
	unsigned seed = 1, unlock = 0;
	const char *offline[SIM_MAX_NODES];
	int n_offline = 0;
	/* applied once sim_new has the nodes and storages (and defaults) */
	const char *later[2 * SIM_MAX_STORAGES + SIM_MAX_NODES];
	int later_opt[2 * SIM_MAX_STORAGES + SIM_MAX_NODES], n_later = 0;
	char err[512], token[256], fp[PVESIM_FP_LEN];
	char *cert = NULL, *key = NULL;
	struct sim *sim;
	struct http_server *h;
	sigset_t set;
	int opt, sig;

	memset(&so, 0, sizeof(so));
	memset(&ho, 0, sizeof(ho));
	so.task_ms = 200;
	so.stats_lag_ms = 10000;
	so.lock_timeout_ms = 10000;
	ho.auth_delay_ms = 3000;
	ho.proxy_timeout_ms = 30000;
	parse_listen("127.0.0.1:8006", &ho.addr);

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		int bad = 0;
		switch (opt) {
		case OPT_LISTEN: bad = parse_listen(optarg, &ho.addr); break;
		case OPT_STATE: state = optarg; break;
		case OPT_NODE: bad = sim_opts_add_node(&so, optarg); break;
		case OPT_STORAGE: bad = sim_opts_add_storage(&so, optarg); break;
		case OPT_TASKMS: bad = parse_uint(optarg, &so.task_ms); break;
		case OPT_FAULTS: faults = optarg; break;
		case OPT_SEED: bad = parse_uint(optarg, &seed); break;
		case OPT_LAG: bad = parse_uint(optarg, &so.stats_lag_ms); break;
		case OPT_AUTHDELAY: bad = parse_uint(optarg, &ho.auth_delay_ms); break;
		case OPT_LOCKTO: bad = parse_uint(optarg, &so.lock_timeout_ms); break;
		case OPT_NOMSG: ho.no_message = true; break;
		case OPT_UNLOCK: bad = parse_uint(optarg, &unlock); break;
		case OPT_PVEVERSION: bad = sim_opts_set_version(&so, optarg); break;
		case OPT_OFFLINE:
			if (n_offline < SIM_MAX_NODES)
				offline[n_offline++] = optarg;
			break;
		case OPT_STORAGENODES:
		case OPT_NODEMEM:
			if (n_later < (int)(sizeof(later) / sizeof(later[0]))) {
				later_opt[n_later] = opt;
				later[n_later++] = optarg;
			}
			break;
		case OPT_PROXYTO: bad = parse_uint(optarg, &ho.proxy_timeout_ms); break;
		case OPT_QEMU: bad = sim_opts_add_qemu(&so, optarg); break;
		case OPT_HELP: usage(stdout); return 0;
		case OPT_VERSION: printf("pvesim %s (simulating pve-manager 9.2.11, or 8.4.21 with --pve-version 8)\n",
					 PHX_VERSION); return 0;
		default: usage(stderr); return 2;
		}
		if (bad) {
			fprintf(stderr, "pvesim: invalid value for --%s: '%s'\n",
				lo[opt - OPT_LISTEN].name, optarg);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pvesim: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (faults_parse(&ho.faults, faults, err, sizeof(err))) {
		fprintf(stderr, "pvesim: --faults: %s\n", err);
		return 2;
	}
	faults_seed(&ho.faults, seed);
	if (mkdir(state, 0700) && errno != EEXIST) {
		fprintf(stderr, "pvesim: %s: %s\n", state, strerror(errno));
		return 1;
	}
	so.state_dir = state;
	ho.lock_timeout_ms = so.lock_timeout_ms;
	sim = sim_new(&so, err, sizeof(err));
	if (!sim) {
		fprintf(stderr, "pvesim: %s\n", err);
		return 1;
	}
	sim_set_seed(sim, seed);
	for (int i = 0; i < n_offline; i++)
		if (sim_set_node_offline(sim, offline[i], true)) {
			fprintf(stderr, "pvesim: --offline %s: not a --node other than the first "
				"(the first is the one pvesim answers as)\n", offline[i]);
			sim_free(sim);
			return 2;
		}
	for (int i = 0; i < n_later; i++)
		if (later_opt[i] == OPT_STORAGENODES ? sim_set_storage_nodes(sim, later[i]) :
		    sim_set_node_memory(sim, later[i])) {
			fprintf(stderr, "pvesim: invalid value for --%s: '%s' (a known %s)\n",
				later_opt[i] == OPT_STORAGENODES ? "storage-nodes" : "node-memory",
				later[i], later_opt[i] == OPT_STORAGENODES ?
				"storage and nodes" : "node and GiB above 0");
			sim_free(sim);
			return 2;
		}
	if (sim_load(sim, err, sizeof(err)) || sim_access_load(sim, err, sizeof(err))) {
		fprintf(stderr, "pvesim: %s\n", err);
		sim_free(sim);
		return 1;
	}
	if (unlock) {
		int rc = sim_unlock(sim, (int)unlock);
		if (rc == 0)
			rc = sim_save(sim, err, sizeof(err));
		else
			snprintf(err, sizeof(err), "CT %u does not exist", unlock);
		if (rc)
			fprintf(stderr, "pvesim: --unlock: %s\n", err);
		sim_free(sim);
		return rc ? 1 : 0;
	}
	if (tls_prepare(state, so.n_nodes ? so.nodes[0] : "pve", &cert, &key, fp,
			err, sizeof(err)) ||
	    token_prepare(state, token, sizeof(token), err, sizeof(err))) {
		fprintf(stderr, "pvesim: %s\n", err);
		sim_free(sim);
		return 1;
	}
	ho.cert_pem = cert;
	ho.key_pem = key;
	ho.token = token;
	ho.fingerprint = fp;

	/* signals are taken by sigwait below, not by the server threads */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	h = http_start(sim, &ho, err, sizeof(err));
	if (!h) {
		fprintf(stderr, "pvesim: %s\n", err);
		sim_free(sim);
		free(cert);
		free(key);
		return 1;
	}
	fprintf(stderr, "pvesim: listening on https://%s:%u, state in %s, fingerprint %s\n",
		inet_ntoa(ho.addr.sin_addr), ntohs(ho.addr.sin_port), state, fp);
	sigwait(&set, &sig);
	fprintf(stderr, "pvesim: signal %d, stopping\n", sig);
	http_stop(h);
	sim_free(sim);
	free(cert);
	free(key);
	return 0;
}
