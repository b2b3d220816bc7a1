/* The HTTPS face of pvesim: libmicrohttpd with TLS, token auth, routing
 * of /api2/json paths to the simulation core, the PVE JSON envelope and
 * reason phrases, fault injection, and the clock thread that runs tasks. */
#ifndef PVESIM_HTTP_H
#define PVESIM_HTTP_H

#include "fault.h"
#include "sim.h"

#include <netinet/in.h>
#include <stdbool.h>

struct http_opts {
	struct sockaddr_in addr;
	const char *cert_pem;
	const char *key_pem;
	const char *token;        /* USER@REALM!TOKENID=SECRET */
	const char *fingerprint;
	unsigned auth_delay_ms;   /* 401s are slow on purpose (3 s real) */
	unsigned lock_timeout_ms;
	unsigned proxy_timeout_ms; /* a hop to an offline node fails after this (30 s) */
	bool no_message;          /* pre-5.2 error bodies: no `message` */
	struct faults faults;
};

struct http_server;

struct http_server *http_start(struct sim *sim, const struct http_opts *o,
			       char *err, size_t errlen);
/* Stops answering, stops the clock thread, saves state. */
void http_stop(struct http_server *h);

#endif
