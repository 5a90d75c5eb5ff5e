/*
 * fdio.h: writing to a file descriptor whole (fdio.c), for the writers
 * that hold a descriptor rather than a stdio stream or a GIO stream: the
 * milter's spool file and publish's files opened relative to a folder.
 */
#ifndef LIAISON_FDIO_H
#define LIAISON_FDIO_H

#include <stddef.h>

#include <glib.h>

/* Write all n bytes of buf to fd, again after EINTR and short writes.
 * FALSE with errno set (EIO for a write that makes no progress). */
gboolean fdio_write_all(int fd, const void *buf, size_t n);

#endif
