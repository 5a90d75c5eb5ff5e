/*
 * problems.h: the list of sentences saying what of a message could not be
 * read (struct message's problems), bounded and without repeats
 * (problems.c).  Used by message.c and text.c.
 */
#ifndef LIAISON_PROBLEMS_H
#define LIAISON_PROBLEMS_H

#include <stdarg.h>

#include <glib.h>

/* Add a sentence to problems (char*, g_free'd) unless it is there already
 * or the list is full. */
void    problems_add(GPtrArray *problems, const char *fmt, ...)
        G_GNUC_PRINTF(2, 3);
/* problems_add() with a va_list. */
void    problems_addv(GPtrArray *problems, const char *fmt, va_list ap)
        G_GNUC_PRINTF(2, 0);

#endif
