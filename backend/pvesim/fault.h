/* --faults KIND=RATE[:ARG],...: which misbehaviour a request meets, drawn
 * from a seeded generator so that a run can be reproduced. */
#ifndef PVESIM_FAULT_H
#define PVESIM_FAULT_H

#include <stddef.h>
#include <stdint.h>

/* The first five kinds are drawn for every request; the later ones only
 * when one of them is asked for, so that a seed gives the same faults of
 * the first five as before they existed. */
enum fault_kind { F_HTTP500, F_DROP, F_SLOW, F_TASKFAIL, F_LOCK,
		  F_PROXY596, F_BADJSON, F_TRUNCATE, F_CTYPE, F_NKINDS };
#define F_NBASIC 5

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
	int proxy596;   /* a request for another node: pveproxy's hop fails */
	int badjson;    /* a 200's body is not well-formed JSON */
	int truncate;   /* a 200's body stops halfway, the connection closes */
	int ctype;      /* a 200 comes as text/html, an HTML page */
};
struct fault_draw faults_draw(struct faults *f);
const char *fault_kind_name(enum fault_kind k);

#endif
