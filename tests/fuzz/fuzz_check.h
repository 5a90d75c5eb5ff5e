/*
 * fuzz_check.h: the promises message.h makes about a parsed message,
 * checked on every fuzz input.  A broken promise aborts, so libFuzzer
 * saves the input as a crash like any memory error: a CR or LF that
 * leaves the parser in a header value is as much a finding as an
 * overflow.
 */
#ifndef LIAISON_FUZZ_CHECK_H
#define LIAISON_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "message.h"

/* Abort with what was broken and where. */
#define FUZZ_REQUIRE(cond, what, value)                                   \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "fuzz: broken promise: %s: %s\n", (what),    \
                    #cond);                                               \
            if ((value) != NULL)                                          \
                fprintf(stderr, "fuzz: value: \"%s\"\n",                 \
                        (const char *) (value));                          \
            abort();                                                      \
        }                                                                 \
    } while (0)

/* A header value that leaves message.c: valid UTF-8, no C0 control
 * (CR, LF, NUL, tab...) and no DEL. */
static inline void
fuzz_check_header(const char *what, const char *v)
{
    if (v == NULL)
        return;
    FUZZ_REQUIRE(g_utf8_validate(v, -1, NULL), what, v);
    for (const unsigned char *p = (const unsigned char *) v; *p; p++)
        FUZZ_REQUIRE(*p >= 0x20 && *p != 0x7F, what, v);
}

/* Every element of an array of header values. */
static inline void
fuzz_check_headers(const char *what, const GPtrArray *a)
{
    FUZZ_REQUIRE(a != NULL, what, NULL);
    for (guint i = 0; i < a->len; i++)
        fuzz_check_header(what, g_ptr_array_index(a, i));
}

/* A safe file name: not empty, not a path, no hidden file, no control
 * character, valid UTF-8. */
static inline void
fuzz_check_filename(const char *n)
{
    FUZZ_REQUIRE(n != NULL && *n != '\0', "attachment name", n);
    FUZZ_REQUIRE(g_utf8_validate(n, -1, NULL), "attachment name", n);
    FUZZ_REQUIRE(strchr(n, '/') == NULL && strchr(n, '\\') == NULL,
                 "attachment name", n);
    FUZZ_REQUIRE(n[0] != '.', "attachment name", n);
    for (const unsigned char *p = (const unsigned char *) n; *p; p++)
        FUZZ_REQUIRE(*p >= 0x20 && *p != 0x7F, "attachment name", n);
}

/* Everything message.h promises about a parsed message. */
static inline void
fuzz_check_message(const struct message *m)
{
    fuzz_check_header("from", m->from);
    fuzz_check_header("from_name", m->from_name);
    fuzz_check_header("from_addr", m->from_addr);
    fuzz_check_header("to", m->to);
    fuzz_check_header("subject", m->subject);
    fuzz_check_header("date", m->date);
    fuzz_check_header("message_id", m->message_id);
    fuzz_check_header("in_reply_to", m->in_reply_to);
    fuzz_check_headers("references", m->references);
    fuzz_check_header("outer_message_id", m->outer_message_id);
    fuzz_check_header("forwarded_by", m->forwarded_by);
    fuzz_check_header("auto_submitted", m->auto_submitted);
    fuzz_check_header("precedence", m->precedence);
    fuzz_check_header("list_id", m->list_id);
    fuzz_check_header("loop", m->loop);
    fuzz_check_headers("failed_recipients", m->failed_recipients);

    FUZZ_REQUIRE(m->text != NULL, "text", NULL);
    FUZZ_REQUIRE(g_utf8_validate(m->text, -1, NULL), "text", NULL);
    FUZZ_REQUIRE(m->text_attachments != NULL, "text_attachments", NULL);
    for (guint i = 0; i < m->text_attachments->len; i++) {
        const char *t = g_ptr_array_index(m->text_attachments, i);
        FUZZ_REQUIRE(t != NULL && g_utf8_validate(t, -1, NULL),
                     "text attachment", NULL);
    }
    FUZZ_REQUIRE(m->attachments != NULL, "attachments", NULL);
    for (guint i = 0; i < m->attachments->len; i++) {
        const struct attachment *a = g_ptr_array_index(m->attachments, i);
        fuzz_check_filename(a->name);
        fuzz_check_header("attachment type", a->type);
        FUZZ_REQUIRE(a->type != NULL, "attachment type", NULL);
        FUZZ_REQUIRE(strlen(a->sha256) == 64, "attachment sha256", a->sha256);
        if (a->data != NULL)
            FUZZ_REQUIRE(g_bytes_get_size(a->data) == a->size,
                         "attachment size", a->name);
    }
    FUZZ_REQUIRE(m->problems != NULL, "problems", NULL);
}

#endif
