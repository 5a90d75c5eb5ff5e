/*
 * beside.h: a file replaced whole (beside.c).  The new content goes into
 * a temporary file in the same folder, flock'ed while it is written,
 * which the writer then syncs and renames over the old one (or a file
 * without a name, named when whole); what a killed writer left is removed
 * by the next.  liaisonctl backup and export.
 */
#ifndef LIAISON_BESIDE_H
#define LIAISON_BESIDE_H

#include <glib.h>

/* Why path cannot be replaced by a renamed file, or NULL when it can:
 * a folder, or something that is not a regular file (a FIFO, a device,
 * a socket), there or at the end of a link there.  A link to a file, or
 * to nothing, is replaced. */
const char *beside_unusable(const char *path);

/* Make a temporary file in folder dir named prefix and six characters,
 * mode 0600, open with O_CLOEXEC | flags and flock'ed; its name in *tmp
 * (the caller's to free).  The descriptor, or -1 with errno (and *tmp
 * NULL). */
int     beside_create(const char *dir, const char *prefix, int flags, char **tmp);

/* Make a file without a name in folder dir that beside_link can later
 * name (O_TMPFILE), mode 0600, open with O_CLOEXEC | flags (O_WRONLY or
 * O_RDWR) and flock'ed: a writer killed part-way leaves nothing.  -1
 * with errno when it cannot be made, EOPNOTSUPP when the file system or
 * the kernel has no such file or /proc is not there to name it: the
 * caller then falls back on beside_create. */
int     beside_create_unnamed(const char *dir, int flags);

/* Give the file fd of beside_create_unnamed, written and synced, path's
 * name: linked as a temporary name of prefix in dir (path's folder), then
 * renamed over path.  0, or errno (path left as it was). */
int     beside_link(int fd, const char *dir, const char *prefix, const char *path);

/* Open a file without a name in folder dir (O_TMPFILE; where the file
 * system has none, a name of beside_create's form, removed at once), mode 0600,
 * with O_CLOEXEC | flags (O_WRONLY or O_RDWR): nothing of it is left
 * when the process dies, however.  The descriptor, or -1 with errno. */
int     beside_anonymous(const char *dir, int flags);

/* Remove the temporary files in folder dir named prefix and six
 * characters that no writer holds (its flock), with discard (NULL:
 * unlink). */
void    beside_remove_stale(const char *dir, const char *prefix,
                            void (*discard)(const char *path));

/* fsync the folder dir, so that a rename in it is on disk: 0, or errno. */
int     beside_sync_dir(const char *dir);

#endif
