/*
 * mail_settings.h: the compose settings the unit tests and fuzz_ingest
 * share, the tool as liaisons@ietf.test with its statements on
 * datatracker.ietf.test (every address under .test).  Header-only: one
 * static copy per program.
 */
#ifndef LIAISON_TEST_MAIL_SETTINGS_H
#define LIAISON_TEST_MAIL_SETTINGS_H

#include "compose.h"

static const struct compose_settings test_mail_settings = {
    .from_addr = "liaisons@ietf.test",
    .from_name = "IETF Liaison Statements",
    .bounce_local = "liaisons",
    .bounce_domain = "ietf.test",
    .base_url = "https://datatracker.ietf.test/liaison/",
    .hostname = "lt.ietf.test",
};

#endif
