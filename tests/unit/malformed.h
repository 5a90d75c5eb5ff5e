/* malformed.h: generators of hostile mail for the tests (to be written). */
#ifndef LIAISON_TEST_MALFORMED_H
#define LIAISON_TEST_MALFORMED_H
#include <glib.h>
#endif
