/*
 * mkseeds.c: write every hostile message of tests/unit/malformed.c into a
 * directory as a seed for the fuzz targets.  The large cases (10,000
 * nested multiparts, a 1 MB header line) are made here at run time rather
 * than committed; libFuzzer cuts seeds to -max_len.
 *
 * Usage: mkseeds DIR
 */
#include <stdio.h>

#include <glib.h>

#include "malformed.h"

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    for (gsize i = 0; i < malformed_case_count; i++) {
        GBytes *b = malformed_cases[i].make();
        gsize len;
        const char *data = g_bytes_get_data(b, &len);
        char *name = g_strconcat("malformed-", malformed_cases[i].name,
                                 ".eml", NULL);
        char *path = g_build_filename(argv[1], name, NULL);
        GError *err = NULL;

        if (!g_file_set_contents(path, data, (gssize) len, &err)) {
            fprintf(stderr, "%s\n", err->message);
            return 1;
        }
        g_free(path);
        g_free(name);
        g_bytes_unref(b);
    }
    return 0;
}
