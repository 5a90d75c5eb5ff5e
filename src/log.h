/*
 * log.h: logging to syslog, or to stderr when a program runs in the
 * foreground or from a terminal.  Every line may carry a per-message id so
 * that one message can be followed through the log.
 */
#ifndef LIAISON_LOG_H
#define LIAISON_LOG_H

#include <syslog.h>

/* Where log lines go. */
enum log_dest { LOG_TO_STDERR, LOG_TO_SYSLOG };

/* Set the program name and destination; call once from main. */
void log_init(const char *progname, enum log_dest dest);
/* Set the lowest priority written (LOG_DEBUG shows everything). */
void log_set_level(int priority);
/* Log a line at a syslog priority; id (may be NULL) tags the message. */
void log_msg(int priority, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
