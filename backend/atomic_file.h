/* Replace a file's contents so that a crash at any instant leaves either the
 * old or the new bytes on disk, never a mix: temp file in the same directory,
 * fsync, rename over, fsync of the directory. A path that is a symbolic link
 * is written through: the link's final target is replaced and the link
 * stays. */
#ifndef PHX_ATOMIC_FILE_H
#define PHX_ATOMIC_FILE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Returns 0 or a negative errno; on failure *err names the step that failed.
 * An existing file's mode and owner are kept; a new file gets new_mode. */
int atomic_write_file(const char *path, const char *data, size_t len,
		      mode_t new_mode, char *err, size_t errlen);

/* The same, and *written (when not NULL) is the stat of the file put in
 * place, taken after the rename from the file itself: a later stat of the
 * path may already see another program's rename. */
int atomic_write_file_stat(const char *path, const char *data, size_t len, mode_t new_mode,
			   struct stat *written, char *err, size_t errlen);

/* The path writes to path go to: path with its symbolic links followed to
 * the final target, which need not exist yet (malloc'd; NULL with errno). */
char *atomic_file_target(const char *path);

/* Remove the temporary files (".NAME.phx-XXXXXX" beside path's target) that
 * writers killed mid-save left behind: only regular files of this user not
 * locked by a live writer (a writer holds flock on its temporary file until
 * it is renamed into place) and unchanged for max_age_s seconds. Returns how
 * many were removed. */
int atomic_file_clean_stale(const char *path, int max_age_s);

#endif
