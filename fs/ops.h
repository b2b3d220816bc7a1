/* The FUSE operations table of phoenixfs. */
#ifndef PHX_OPS_H
#define PHX_OPS_H

#include <fuse.h>

extern const struct fuse_operations phx_ops;

#endif
