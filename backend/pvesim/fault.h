/* --faults KIND=RATE[:ARG],...: which misbehaviour a request meets, drawn
 * from a seeded generator so that a run can be reproduced. */
#ifndef PVESIM_FAULT_H
#define PVESIM_FAULT_H

#include <stddef.h>
#include <stdint.h>

enum fault_kind { F_HTTP500, F_DROP, F_SLOW, F_TASKFAIL, F_LOCK, F_NKINDS };

struct faults {
	double rate[F_NKINDS];
	unsigned slow_ms;
	uint64_t rng;
};

/* Parse a spec; 0, or -EINVAL with err naming the bad part. */
int faults_parse(struct faults *f, const char *spec, char *err, size_t len);
void faults_seed(struct faults *f, uint64_t seed);
/* One draw per kind per request, in a fixed order, so that the same seed
 * and request sequence give the same faults. */
struct fault_draw {
	int http500, drop, slow, taskfail, lock;
};
struct fault_draw faults_draw(struct faults *f);
const char *fault_kind_name(enum fault_kind k);

#endif
