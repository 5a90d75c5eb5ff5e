/*
 * log.c: log lines to syslog, or to stderr for programs run by hand or in
 * the foreground.  A line may carry a per-message id ("[a1b2c3] ...") so a
 * mail admin can grep one message's story out of a busy log.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static const char *log_prog = "liaison";
static enum log_dest log_dest = LOG_TO_STDERR;
static int log_level = LOG_INFO;

/* Set the program name and where lines go. */
void
log_init(const char *progname, enum log_dest dest)
{
    const char *slash = strrchr(progname, '/');

    log_prog = slash != NULL ? slash + 1 : progname;
    log_dest = dest;
    if (dest == LOG_TO_SYSLOG)
        openlog(log_prog, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

/* Set the lowest priority written. */
void
log_set_level(int priority)
{
    log_level = priority;
}

/* The word a person reads for a syslog priority. */
static const char *
log_priority_name(int priority)
{
    switch (priority) {
    case LOG_EMERG: case LOG_ALERT: case LOG_CRIT: return "fatal";
    case LOG_ERR: return "error";
    case LOG_WARNING: return "warning";
    case LOG_NOTICE: return "notice";
    case LOG_INFO: return "info";
    default: return "debug";
    }
}

/* Log one line at a priority, tagged with a message id when given. */
void
log_msg(int priority, const char *id, const char *fmt, ...)
{
    char line[2048];
    va_list ap;

    if (priority > log_level)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* A log line is one line: mail-supplied text must not forge others. */
    for (char *p = line; *p != '\0'; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    if (log_dest == LOG_TO_SYSLOG) {
        if (id != NULL)
            syslog(priority, "%s: %s", id, line);
        else
            syslog(priority, "%s", line);
    } else {
        if (id != NULL)
            fprintf(stderr, "%s: %s: %s: %s\n", log_prog, log_priority_name(priority), id, line);
        else
            fprintf(stderr, "%s: %s: %s\n", log_prog, log_priority_name(priority), line);
    }
}
