/*
 * problems.c: the sentences that say what of a message could not be read.
 *
 * A module of its own because two modules write to the same list:
 * message.c for the MIME structure and the headers, text.c for charsets
 * and bytes.  Both need the same bound and the same removal of repeats,
 * and text.c should not need struct message to get them.
 */
#include "config.h"

#include <string.h>

#include "problems.h"

/* More problem sentences than this tell nobody anything new. */
#define PROBLEMS_MAX        64

/* Record a problem sentence once; the list is bounded. */
void
problems_addv(GPtrArray *problems, const char *fmt, va_list ap)
{
    char *s;

    if (problems->len >= PROBLEMS_MAX)
        return;
    s = g_strdup_vprintf(fmt, ap);
    for (guint i = 0; i < problems->len; i++) {
        if (strcmp(g_ptr_array_index(problems, i), s) == 0) {
            g_free(s);
            return;
        }
    }
    if (problems->len == PROBLEMS_MAX - 1) {
        g_free(s);
        s = g_strdup("More problems were found and not listed.");
    }
    g_ptr_array_add(problems, s);
}

/* Record a problem sentence once (problems_addv). */
void
problems_add(GPtrArray *problems, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    problems_addv(problems, fmt, ap);
    va_end(ap);
}
