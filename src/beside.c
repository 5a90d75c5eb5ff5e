/*
 * beside.c: a file replaced whole.  Writing over a file in place leaves a
 * torn one when the writer dies or the disk fills; so the new content
 * goes into a temporary file beside it (the same folder, so that the
 * rename is atomic), which the writer flushes, renames over the old one
 * and makes durable by syncing the folder.  The temporary file holds a
 * flock while it is written: a writer killed part-way (a timeout, the
 * OOM killer, a reboot) leaves one nobody holds, which the next writer
 * into that folder removes, where each would otherwise stay, a copy of
 * the database or of mail.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "beside.h"

/* See beside.h. */
const char *
beside_unusable(const char *path)
{
    GStatBuf sb;

    if (g_lstat(path, &sb) != 0)
        return NULL;            /* not there: made */
    if (S_ISLNK(sb.st_mode) && g_stat(path, &sb) != 0)
        return NULL;            /* a link to nothing: replaced */
    if (S_ISDIR(sb.st_mode))
        return "is a folder: name a file";
    /* The rename would put a file where a reader or a device was: what
     * the admin meant to write into would get nothing. */
    if (!S_ISREG(sb.st_mode))
        return "is not a file (a FIFO, a device or a socket)";
    return NULL;
}

/* Call make(name, data) on a fresh name in dir, prefix and six random
 * characters (mkstemp's form, which beside_remove_stale knows), again on
 * another while it answers EEXIST: the one way beside_create and
 * beside_link choose a temporary name.  0 with the name in *tmp (the
 * caller's to free), or make's errno (*tmp NULL). */
static int
beside_fresh_name(const char *dir, const char *prefix,
                  int (*make)(const char *name, void *data), void *data, char **tmp)
{
    static const char chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    int     e = EEXIST;

    *tmp = NULL;
    for (int tries = 0; tries < 100 && e == EEXIST; tries++) {
        char    rnd[7];

        for (int i = 0; i < 6; i++)
            rnd[i] = chars[g_random_int_range(0, sizeof chars - 1)];
        rnd[6] = '\0';
        *tmp = g_strdup_printf("%s/%s%s", dir, prefix, rnd);
        if ((e = make(*tmp, data)) != 0)
            g_clear_pointer(tmp, g_free);
    }
    return e;
}

/* What beside_create asks of a new file: its flags in, its descriptor out. */
struct beside_open {
    int     flags, fd;
};

/* beside_fresh_name's make for beside_create: the file, made new. */
static int
beside_make_file(const char *name, void *data)
{
    struct beside_open *o = data;

    o->fd = g_open(name, O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | o->flags, 0600);
    return o->fd < 0 ? errno : 0;
}

/* See beside.h. */
int
beside_create(const char *dir, const char *prefix, int flags, char **tmp)
{
    struct beside_open o = { flags, -1 };
    int     e;

    if ((e = beside_fresh_name(dir, prefix, beside_make_file, &o, tmp)) != 0) {
        errno = e;
        return -1;
    }
    (void) flock(o.fd, LOCK_EX | LOCK_NB);  /* a new file: nobody holds it */
    return o.fd;
}

/* See beside.h. */
int
beside_create_unnamed(const char *dir, int flags)
{
    int     fd;

    /* linkat names an O_TMPFILE file through /proc (AT_EMPTY_PATH would
     * need CAP_DAC_READ_SEARCH): without it the mail could not be given
     * its name once written. */
    if (!g_file_test("/proc/self/fd", G_FILE_TEST_IS_DIR)) {
        errno = EOPNOTSUPP;
        return -1;
    }
    fd = g_open(dir, O_TMPFILE | O_CLOEXEC | flags, 0600);
    if (fd < 0) {
        if (errno == EISDIR || errno == EINVAL)
            errno = EOPNOTSUPP;
        return -1;
    }
    /* Held while it has a name, in the instant between beside_link's
     * link and rename, so that beside_remove_stale leaves it alone. */
    (void) flock(fd, LOCK_EX | LOCK_NB);
    return fd;
}

/* beside_fresh_name's make for beside_link: the name given to the file
 * /proc/self/fd/N (data) leads to. */
static int
beside_make_link(const char *name, void *data)
{
    return linkat(AT_FDCWD, data, AT_FDCWD, name, AT_SYMLINK_FOLLOW) == 0 ? 0 : errno;
}

/* See beside.h. */
int
beside_link(int fd, const char *dir, const char *prefix, const char *path)
{
    g_autofree char *proc = g_strdup_printf("/proc/self/fd/%d", fd), *tmp = NULL;
    int     e;

    /* linkat will not replace a file, so a fresh name, then rename over
     * path. */
    if ((e = beside_fresh_name(dir, prefix, beside_make_link, proc, &tmp)) != 0)
        return e;
    if (g_rename(tmp, path) != 0) {
        e = errno;
        g_unlink(tmp);
        return e;
    }
    return 0;
}

/* See beside.h. */
int
beside_anonymous(const char *dir, int flags)
{
    g_autofree char *tmp = NULL;
    struct beside_open o = { flags, -1 };
    int     fd, e;

    /* O_EXCL: never to be linked into a folder. */
    fd = g_open(dir, O_TMPFILE | O_EXCL | O_CLOEXEC | flags, 0600);
    /* EISDIR or EOPNOTSUPP: a kernel or a file system without it. */
    if (fd >= 0 || (errno != EISDIR && errno != EOPNOTSUPP && errno != EINVAL))
        return fd;
    if ((e = beside_fresh_name(dir, ".liaison-", beside_make_file, &o, &tmp)) != 0) {
        errno = e;
        return -1;
    }
    fd = o.fd;
    if (g_unlink(tmp) != 0) {
        e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* See beside.h. */
void
beside_remove_stale(const char *dir, const char *prefix, void (*discard)(const char *path))
{
    GDir   *d = g_dir_open(dir, 0, NULL);
    const char *name;

    if (d == NULL)
        return;
    while ((name = g_dir_read_name(d)) != NULL) {
        g_autofree char *f = NULL;
        int     fd;

        if (!g_str_has_prefix(name, prefix) || strlen(name) != strlen(prefix) + 6)
            continue;
        f = g_build_filename(dir, name, NULL);
        if ((fd = g_open(f, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0)) < 0)
            continue;
        /* Held by a writer at work: its own. */
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            if (discard != NULL)
                discard(f);
            else
                g_unlink(f);
        }
        close(fd);
    }
    g_dir_close(d);
}

/* See beside.h. */
int
beside_sync_dir(const char *dir)
{
    int     fd = g_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    int     e = 0;

    if (fd < 0)
        return errno;
    if (fsync(fd) != 0)
        e = errno;
    close(fd);
    return e;
}
