/* Daemon logging: stderr in the foreground, syslog in the background.
 * Per-container history (the `log` file) is the engine's business, not this. */
#ifndef PHX_LOG_H
#define PHX_LOG_H

#include <stdbool.h>

enum phx_log_level { PHX_LOG_ERR, PHX_LOG_WARN, PHX_LOG_INFO, PHX_LOG_DEBUG };

void phx_log_init(const char *ident, bool to_syslog, bool debug);
void phx_log(enum phx_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define phx_err(...)   phx_log(PHX_LOG_ERR, __VA_ARGS__)
#define phx_warn(...)  phx_log(PHX_LOG_WARN, __VA_ARGS__)
#define phx_info(...)  phx_log(PHX_LOG_INFO, __VA_ARGS__)
#define phx_debug(...) phx_log(PHX_LOG_DEBUG, __VA_ARGS__)

#endif
