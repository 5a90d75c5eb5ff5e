/*
 * fuzz_message.c: libFuzzer target for message_parse(), the first code
 * that touches hostile mail.
 *
 * The input is a raw message, parsed with the default limits; when it is
 * accepted as mail, the parsed message must keep message.h's promises
 * (fuzz_check.h), and envelope_scan() then reads the envelope out of its
 * text and its text attachments in the order ingest uses.  Everything is
 * freed, so a leak is a finding too.  Built by tests/fuzz/run.sh.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include <glib.h>

#include "envelope.h"
#include "message.h"
#include "fuzz_check.h"

/* Initialise GMime, libxml2 and the envelope patterns once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    GError *err = NULL;

    /* GLib's slice allocator hides leaks and overflows from ASan. */
    setenv("G_SLICE", "always-malloc", 0);
    message_library_init();
    if (!envelope_init(&err)) {
        fprintf(stderr, "envelope_init: %s\n", err->message);
        abort();
    }
    return 0;
}

/* One input: parse, check, scan, free. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct message_limits lim;
    struct message *m;
    struct envelope *env;
    GError *err = NULL;

    message_limits_default(&lim);
    m = message_parse((const char *) data, size, &lim, &err);
    if (m == NULL) {
        FUZZ_REQUIRE(err != NULL, "message_parse error", NULL);
        g_error_free(err);
        return 0;
    }
    FUZZ_REQUIRE(err == NULL, "message_parse error", NULL);
    fuzz_check_message(m);

    env = envelope_new();
    envelope_scan(env, m->text);
    for (guint i = 0; i < m->text_attachments->len; i++)
        envelope_scan(env, g_ptr_array_index(m->text_attachments, i));
    envelope_free(env);
    message_free(m);
    return 0;
}
