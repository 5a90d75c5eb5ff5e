/*
 * text.h: bytes and header values from mail made into clean UTF-8
 * (text.c): declared charsets read with iconv, Windows-1252 where mail
 * clients read it, control characters and NULs removed, values bounded,
 * format=flowed undone.  What had to be replaced or removed is said in a
 * problems list (problems.h).  Knows nothing of MIME structure or struct
 * message; used by message.c.
 */
#ifndef LIAISON_TEXT_H
#define LIAISON_TEXT_H

#include <glib.h>

/* Cut a UTF-8 string in place to at most max bytes, on a character
 * boundary; TRUE when something was cut. */
gboolean text_utf8_cut(char *s, gsize max);
/* A header value as valid UTF-8 without control characters, trimmed and
 * bounded; NULL stays NULL.  A cut is said in problems (may be NULL) as
 * the header named what. */
char    *text_clean_value(GPtrArray *problems, const char *value,
                          const char *what);
/* TRUE when s is a MIME token (RFC 2045) of 1 to max bytes. */
gboolean text_token_ok(const char *s, gsize max);
/* TRUE when name is one of names (NULL-terminated), ignoring case. */
gboolean text_name_in(const char *name, const char *const *names);
/* Decoded text bytes in the declared charset (may be NULL) to a clean
 * UTF-8 string; cut: the bytes stop at a size bound; what names the part
 * in the sentences added to problems. */
char    *text_to_utf8(GPtrArray *problems, const guint8 *data, gsize len,
                      const char *charset, gboolean cut, const char *what);
/* Undo format=flowed (RFC 3676) in finished text, in place. */
void     text_unflow(char *s, gboolean delsp);

#endif
