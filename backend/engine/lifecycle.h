/* Steps on a container that exists: each returns STEP_OK, STEP_FAILED
 * (recorded) or STEP_STOPPED. */
#ifndef PHX_ENGINE_LIFECYCLE_H
#define PHX_ENGINE_LIFECYCLE_H

#include "backend/engine/steps.h"

int step_configure(struct step *s, unsigned keys);
int step_start(struct step *s);
int step_stop(struct step *s);
/* Stop if running, POST template, poll the config for template: 1. */
int step_convert(struct step *s);
/* Stop if running, DELETE with purge=1. */
int step_destroy(struct step *s);

#endif
