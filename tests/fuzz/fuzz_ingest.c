/*
 * fuzz_ingest.c: libFuzzer target for the whole core, ingest_message():
 * parse, classify, envelope, route against the corpus directory, record in
 * SQLite, compose the notification and acknowledgement.
 *
 * Each input gets a fresh in-memory store, so a finding never depends on
 * the inputs before it.  It is ingested twice: the second time must be
 * recognised as the same message.  Built by tests/fuzz/run.sh with
 * SRCDIR, where tests/corpus/directory.json is (LIAISON_SRCDIR at run time
 * overrides it).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include <glib.h>

#include "envelope.h"
#include "ingest.h"
#include "log.h"
#include "message.h"
#include "fuzz_check.h"
#include "mail_settings.h"

static struct directory *directory;

/* Initialise the libraries and load the directory once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    GError *err = NULL;
    const char *top = g_getenv("LIAISON_SRCDIR");
    char *path = g_build_filename(top ? top : SRCDIR, "tests", "corpus",
                                  "directory.json", NULL);

    setenv("G_SLICE", "always-malloc", 0);
    log_init("fuzz_ingest", LOG_TO_STDERR);
    log_set_level(LOG_ERR);
    message_library_init();
    if (!envelope_init(&err)) {
        fprintf(stderr, "envelope_init: %s\n", err->message);
        abort();
    }
    directory = directory_load(path, &err);
    if (directory == NULL) {
        fprintf(stderr, "%s: %s\n", path, err->message);
        abort();
    }
    g_free(path);
    return 0;
}

/* One input: ingest it twice into a fresh store. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ingest_ctx ctx = { 0 };
    struct decision d = { 0 }, again = { 0 };
    enum ingest_status st, st2;
    GError *err = NULL;
    char *json;

    ctx.store = store_open(":memory:", 1000, &err);
    if (ctx.store == NULL) {
        fprintf(stderr, "store_open: %s\n", err->message);
        abort();
    }
    ctx.dir = directory;
    message_limits_default(&ctx.limits);
    ctx.mail = &test_mail_settings;
    ctx.notify = TRUE;
    ctx.acknowledge = TRUE;
    ctx.ack_per_day = 3;

    st = ingest_message(&ctx, (const char *) data, size,
                        "sender@itu.test", &d);
    FUZZ_REQUIRE(st == INGEST_OK || st == INGEST_DATAERR,
                 "ingest_message status", d.error);
    if (st == INGEST_OK) {
        json = decision_to_json(&d);
        FUZZ_REQUIRE(json != NULL, "decision_to_json", NULL);
        g_free(json);
        st2 = ingest_message(&ctx, (const char *) data, size,
                             "sender@itu.test", &again);
        FUZZ_REQUIRE(st2 == INGEST_OK, "second ingest status", again.error);
        FUZZ_REQUIRE(again.duplicate, "second ingest is a duplicate", NULL);
        FUZZ_REQUIRE(again.message_row == d.message_row,
                     "second ingest finds the same row", NULL);
        decision_clear(&again);
    }
    decision_clear(&d);
    store_close(ctx.store);
    return 0;
}
