/* Fault injection spec and reproducible draws. */
#include "fault.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[F_NKINDS] = {
	"http500", "drop", "slow", "taskfail", "lock",
	"proxy596", "badjson", "truncate", "ctype",
};

const char *fault_kind_name(enum fault_kind k)
{
	return k < F_NKINDS ? names[k] : "?";
}

void faults_seed(struct faults *f, uint64_t seed)
{
	f->rng = seed ? seed : 0x853C49E6748FEA9Bull;
}

static double next_unit(struct faults *f)
{
	/* splitmix64 */
	uint64_t z = (f->rng += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	z ^= z >> 31;
	return (double)(z >> 11) / (double)(1ull << 53);
}

int faults_parse(struct faults *f, const char *spec, char *err, size_t len)
{
	char buf[1024], *save, *tok;

	memset(f->rate, 0, sizeof(f->rate));
	f->slow_ms = 0;
	if (!spec || !*spec)
		return 0;
	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, len, "fault spec too long");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end, *colon;
		int k;
		double rate;

		if (!eq) {
			snprintf(err, len, "'%s': expected KIND=RATE", tok);
			return -EINVAL;
		}
		*eq = 0;
		for (k = 0; k < F_NKINDS; k++)
			if (!strcmp(tok, names[k]))
				break;
		if (k == F_NKINDS) {
			snprintf(err, len, "unknown fault kind '%s' (http500, drop, slow, taskfail, lock, "
				 "proxy596, badjson, truncate, ctype)", tok);
			return -EINVAL;
		}
		colon = strchr(eq + 1, ':');
		if (colon)
			*colon = 0;
		rate = strtod(eq + 1, &end);
		if (end == eq + 1 || *end || rate < 0 || rate > 1) {
			snprintf(err, len, "%s: rate '%s' is not a number in 0..1", tok, eq + 1);
			return -EINVAL;
		}
		if (k == F_SLOW) {
			long ms;
			if (!colon) {
				snprintf(err, len, "slow: needs RATE:MS");
				return -EINVAL;
			}
			ms = strtol(colon + 1, &end, 10);
			if (end == colon + 1 || *end || ms < 0 || ms > 600000) {
				snprintf(err, len, "slow: '%s' is not a delay in ms", colon + 1);
				return -EINVAL;
			}
			f->slow_ms = (unsigned)ms;
		} else if (colon) {
			snprintf(err, len, "%s takes no argument", tok);
			return -EINVAL;
		}
		f->rate[k] = rate;
	}
	return 0;
}

struct fault_draw faults_draw(struct faults *f)
{
	struct fault_draw d;
	double u[F_NKINDS];
	bool more = false;
	for (int k = F_NBASIC; k < F_NKINDS; k++)
		more |= f->rate[k] > 0;
	for (int k = 0; k < F_NKINDS; k++)
		u[k] = k < F_NBASIC || more ? next_unit(f) : 1.0;
	d.http500 = u[F_HTTP500] < f->rate[F_HTTP500];
	d.drop = u[F_DROP] < f->rate[F_DROP];
	d.slow = u[F_SLOW] < f->rate[F_SLOW];
	d.taskfail = u[F_TASKFAIL] < f->rate[F_TASKFAIL];
	d.lock = u[F_LOCK] < f->rate[F_LOCK];
	d.proxy596 = u[F_PROXY596] < f->rate[F_PROXY596];
	d.badjson = u[F_BADJSON] < f->rate[F_BADJSON];
	d.truncate = u[F_TRUNCATE] < f->rate[F_TRUNCATE];
	d.ctype = u[F_CTYPE] < f->rate[F_CTYPE];
	return d;
}
