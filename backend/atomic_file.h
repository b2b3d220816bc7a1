/* Replace a file's contents so that a crash at any instant leaves either the
 * old or the new bytes on disk, never a mix: temp file in the same directory,
 * fsync, rename over, fsync of the directory. */
#ifndef PHX_ATOMIC_FILE_H
#define PHX_ATOMIC_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* Returns 0 or a negative errno; on failure *err names the step that failed.
 * An existing file's mode and owner are kept; a new file gets new_mode. */
int atomic_write_file(const char *path, const char *data, size_t len,
		      mode_t new_mode, char *err, size_t errlen);

#endif
