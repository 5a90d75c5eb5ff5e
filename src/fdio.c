/*
 * fdio.c: writing to a file descriptor whole.  write(2) may write less
 * than asked (a signal, a pipe, a file system near its limits); every
 * caller wants all of it or an errno to report.
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "fdio.h"

/* See fdio.h. */
gboolean
fdio_write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;

    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            /* No progress and no error: the caller prints errno. */
            if (w == 0)
                errno = EIO;
            return FALSE;
        }
        p += w;
        n -= (size_t) w;
    }
    return TRUE;
}
