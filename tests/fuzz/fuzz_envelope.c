/*
 * fuzz_envelope.c: libFuzzer target for the envelope reader (PCRE2 over
 * text a sender wrote).
 *
 * The input, up to its first NUL, is the text: as it is when it is valid
 * UTF-8, else made valid the way message.c makes all text it hands on
 * (envelope_scan() is promised UTF-8).  It goes through envelope_scan()
 * twice (the second pass must fill nothing new and break nothing), then
 * through envelope_parse_date(), envelope_parse_contacts() and
 * purpose_parse() on its own and line by line.  Built by
 * tests/fuzz/run.sh.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "envelope.h"

/* Abort with a message: libFuzzer keeps the input. */
static void
broken(const char *what, const char *value)
{
    fprintf(stderr, "fuzz: broken promise: %s: \"%s\"\n", what,
            value ? value : "(null)");
    abort();
}

/* A "YYYY-MM-DD" date, as envelope.h promises. */
static void
check_date(const char *what, const char *d)
{
    if (d == NULL)
        return;
    if (strlen(d) != 10 || d[4] != '-' || d[7] != '-')
        broken(what, d);
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !g_ascii_isdigit(d[i]))
            broken(what, d);
}

/* Initialise the patterns once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    GError *err = NULL;

    setenv("G_SLICE", "always-malloc", 0);
    if (!envelope_init(&err)) {
        fprintf(stderr, "envelope_init: %s\n", err->message);
        abort();
    }
    return 0;
}

/* Dates, contacts and purpose out of one string. */
static void
parse_pieces(const char *s)
{
    char date[11];
    GPtrArray *contacts = g_ptr_array_new_with_free_func(contact_free);

    memset(date, 0, sizeof date);
    if (envelope_parse_date(s, date))
        check_date("envelope_parse_date", date);
    envelope_parse_contacts(s, contacts);
    for (guint i = 0; i < contacts->len; i++) {
        const struct contact *c = g_ptr_array_index(contacts, i);
        if (c == NULL)
            broken("envelope_parse_contacts", "NULL contact");
    }
    g_ptr_array_unref(contacts);
    (void) purpose_name(purpose_parse(s));
}

/* One input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = strnlen((const char *) data, size);
    char *text = g_utf8_make_valid((const char *) data, (gssize) n);
    struct envelope *env = envelope_new();
    char **lines;

    envelope_scan(env, text);
    check_date("envelope deadline", env->deadline);
    envelope_scan(env, text);
    check_date("envelope deadline", env->deadline);
    envelope_free(env);

    parse_pieces(text);
    /* Line by line, as the scanner hands label values on; bounded so that
     * one input stays cheap. */
    lines = g_strsplit(text, "\n", 64);
    for (int i = 0; lines[i] != NULL; i++)
        parse_pieces(lines[i]);
    g_strfreev(lines);
    g_free(text);
    return 0;
}
