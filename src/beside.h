/*
 * beside.h: a file replaced whole (beside.c).  The new content goes into
 * a temporary file in the same folder, flock'ed while it is written,
 * which the writer then syncs and renames over the old one; what a killed
 * writer left is removed by the next.  liaisonctl backup and export.
 */
#ifndef LIAISON_BESIDE_H
#define LIAISON_BESIDE_H

#include <glib.h>

/* Make a temporary file in folder dir named prefix and six characters,
 * mode 0600, open with O_CLOEXEC | flags and flock'ed; its name in *tmp
 * (the caller's to free).  The descriptor, or -1 with errno (and *tmp
 * NULL). */
int     beside_create(const char *dir, const char *prefix, int flags, char **tmp);

/* Remove the temporary files in folder dir named prefix and six
 * characters that no writer holds (its flock), with discard (NULL:
 * unlink). */
void    beside_remove_stale(const char *dir, const char *prefix,
                            void (*discard)(const char *path));

/* fsync the folder dir, so that a rename in it is on disk: 0, or errno. */
int     beside_sync_dir(const char *dir);

#endif
