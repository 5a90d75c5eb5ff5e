/*
 * malformed.h: generators of hostile mail for the tests.
 *
 * Each function builds one message that a careless MIME reader would crash,
 * hang or leak on.  They are built in code rather than stored as files so
 * that the large ones (a 512 KB header line, 10,000 nested multiparts) cost
 * nothing in the repository, and so that the exact bytes (NULs, bare CRs)
 * survive editors and git.  The table lets any test (test_message,
 * test_corpus's ingest) run every case.
 */
#ifndef LIAISON_TEST_MALFORMED_H
#define LIAISON_TEST_MALFORMED_H

#include <glib.h>

/* One hostile message: a name for test output, how to build it, and what
 * it is for. */
struct malformed_case {
    const char *name;
    GBytes *(*make)(void);
    const char *description;
};

/* Every case, in a fixed order. */
extern const struct malformed_case malformed_cases[];
extern const gsize malformed_case_count;

/* Find a case by name; NULL when there is none. */
const struct malformed_case *malformed_find(const char *name);

/* The generators; each returns a new GBytes the caller unrefs. */
GBytes *malformed_truncated_mime(void);
GBytes *malformed_missing_closing_boundary(void);
GBytes *malformed_nested_10000(void);
GBytes *malformed_nested_100(void);
GBytes *malformed_nul_bytes(void);
GBytes *malformed_huge_header_line(void);
GBytes *malformed_unknown_charset(void);
GBytes *malformed_base64_garbage(void);
GBytes *malformed_headers_only(void);
GBytes *malformed_many_parts(void);
GBytes *malformed_header_flood(void);
GBytes *malformed_parts_flood(void);
GBytes *malformed_deep_html(void);
GBytes *malformed_multipart_without_boundary(void);
GBytes *malformed_header_injection(void);
GBytes *malformed_hostile_filenames(void);
GBytes *malformed_nested_rfc822(void);
GBytes *malformed_invalid_utf8(void);
GBytes *malformed_bare_cr(void);
GBytes *malformed_garbage_dsn(void);

#endif
