/*
 * test_tlscheck.c: tlscheck_verify against certificates made here with
 * GnuTLS (a test CA, a relay's certificate it signs, an expired one, one
 * signed by nobody trusted), without a network or root: the relay's name,
 * an address literal, the CA file, the system's store and an empty chain.
 * tests/postfix/test-relay.sh checks the same through a real STARTTLS.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tlscheck.h"

/* A key and the certificate made with it. */
struct made {
    gnutls_x509_privkey_t key;
    gnutls_x509_crt_t crt;
};

/* What every test shares: a CA, its PEM file, and the relay's chain. */
struct fixture {
    char   *dir;
    char   *ca_file;
    struct made ca, other_ca;
};

/* An ECDSA P-256 key (fast to make, also under valgrind). */
static gnutls_x509_privkey_t
make_key(void)
{
    gnutls_x509_privkey_t key;

    assert_int_equal(gnutls_x509_privkey_init(&key), 0);
    assert_int_equal(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                     GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
    return key;
}

/* A certificate for cn: a CA when issuer is NULL (self-signed), else a
 * TLS server's, signed by issuer, naming dns and ip (either may be NULL),
 * valid from `from` to `to` seconds from now. */
static struct made
make_cert(const struct made *issuer, const char *cn, const char *dns,
          const char *ip, long from, long to)
{
    static unsigned char serial = 1;
    struct made m = { make_key(), NULL };
    time_t now = time(NULL);

    assert_int_equal(gnutls_x509_crt_init(&m.crt), 0);
    assert_int_equal(gnutls_x509_crt_set_version(m.crt, 3), 0);
    serial++;
    assert_int_equal(gnutls_x509_crt_set_serial(m.crt, &serial, 1), 0);
    assert_int_equal(gnutls_x509_crt_set_activation_time(m.crt, now + from), 0);
    assert_int_equal(gnutls_x509_crt_set_expiration_time(m.crt, now + to), 0);
    assert_int_equal(gnutls_x509_crt_set_dn_by_oid(m.crt, GNUTLS_OID_X520_COMMON_NAME,
                                                   0, cn, strlen(cn)), 0);
    assert_int_equal(gnutls_x509_crt_set_key(m.crt, m.key), 0);
    if (issuer == NULL) {
        assert_int_equal(gnutls_x509_crt_set_basic_constraints(m.crt, 1, -1), 0);
        assert_int_equal(gnutls_x509_crt_set_key_usage(m.crt, GNUTLS_KEY_KEY_CERT_SIGN
                                                       | GNUTLS_KEY_CRL_SIGN), 0);
    } else {
        assert_int_equal(gnutls_x509_crt_set_basic_constraints(m.crt, 0, -1), 0);
        assert_int_equal(gnutls_x509_crt_set_key_usage(m.crt, GNUTLS_KEY_DIGITAL_SIGNATURE), 0);
        assert_int_equal(gnutls_x509_crt_set_key_purpose_oid(m.crt, GNUTLS_KP_TLS_WWW_SERVER, 0), 0);
        if (dns != NULL)
            assert_int_equal(gnutls_x509_crt_set_subject_alt_name(m.crt, GNUTLS_SAN_DNSNAME,
                             dns, strlen(dns), GNUTLS_FSAN_APPEND), 0);
        if (ip != NULL) {
            unsigned char a[4] = { 0 };

            assert_int_equal(sscanf(ip, "%hhu.%hhu.%hhu.%hhu", &a[0], &a[1], &a[2], &a[3]), 4);
            assert_int_equal(gnutls_x509_crt_set_subject_alt_name(m.crt, GNUTLS_SAN_IPADDRESS,
                             a, 4, GNUTLS_FSAN_APPEND), 0);
        }
    }
    assert_int_equal(gnutls_x509_crt_sign2(m.crt, issuer != NULL ? issuer->crt : m.crt,
                                           issuer != NULL ? issuer->key : m.key,
                                           GNUTLS_DIG_SHA256, 0), 0);
    return m;
}

/* Free what make_cert made. */
static void
made_free(struct made *m)
{
    gnutls_x509_crt_deinit(m->crt);
    gnutls_x509_privkey_deinit(m->key);
}

/* A chain of the certificates given (DER), as the outbox hands it over. */
static GPtrArray *
chain_of(gnutls_x509_crt_t first, gnutls_x509_crt_t second)
{
    GPtrArray *chain = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
    gnutls_x509_crt_t crts[2] = { first, second };

    for (int i = 0; i < 2 && crts[i] != NULL; i++) {
        gnutls_datum_t d = { NULL, 0 };

        assert_int_equal(gnutls_x509_crt_export2(crts[i], GNUTLS_X509_FMT_DER, &d), 0);
        g_ptr_array_add(chain, g_bytes_new(d.data, d.size));
        gnutls_free(d.data);
    }
    return chain;
}

static int
setup(void **state)
{
    struct fixture *f = g_new0(struct fixture, 1);
    gnutls_datum_t pem = { NULL, 0 };

    f->dir = g_dir_make_tmp("test_tlscheck-XXXXXX", NULL);
    assert_non_null(f->dir);
    f->ca = make_cert(NULL, "Test CA", NULL, NULL, -3600, 86400);
    f->other_ca = make_cert(NULL, "Someone else's CA", NULL, NULL, -3600, 86400);
    f->ca_file = g_build_filename(f->dir, "ca.pem", NULL);
    assert_int_equal(gnutls_x509_crt_export2(f->ca.crt, GNUTLS_X509_FMT_PEM, &pem), 0);
    assert_true(g_file_set_contents(f->ca_file, (const char *) pem.data, pem.size, NULL));
    gnutls_free(pem.data);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    g_unlink(f->ca_file);
    g_rmdir(f->dir);
    made_free(&f->ca);
    made_free(&f->other_ca);
    g_free(f->ca_file);
    g_free(f->dir);
    g_free(f);
    return 0;
}

/* Verify chain against ca_file and name; the reason when it fails. */
static char *
verify(GPtrArray *chain, const char *ca_file, const char *name, gboolean want)
{
    char   *why = NULL;
    gboolean ok = tlscheck_verify(chain, ca_file, name, &why);

    assert_int_equal(ok, want);
    if (want)
        assert_null(why);
    else
        assert_non_null(why);
    return why;
}

/* The relay's certificate, signed by the CA of relay_ca_file, for the
 * name asked: verified, with or without the CA in the chain. */
static void
test_trusted(void **state)
{
    struct fixture *f = *state;
    struct made relay = make_cert(&f->ca, "relay.test", "relay.test", "127.0.0.1", -60, 3600);
    g_autoptr(GPtrArray) alone = chain_of(relay.crt, NULL);
    g_autoptr(GPtrArray) with_ca = chain_of(relay.crt, f->ca.crt);

    verify(alone, f->ca_file, "relay.test", TRUE);
    verify(with_ca, f->ca_file, "relay.test", TRUE);
    /* An address literal matches the certificate's IP address. */
    verify(alone, f->ca_file, "127.0.0.1", TRUE);
    made_free(&relay);
}

/* Another name: refused, and the reason names both. */
static void
test_name_mismatch(void **state)
{
    struct fixture *f = *state;
    struct made relay = make_cert(&f->ca, "relay.test", "relay.test", NULL, -60, 3600);
    g_autoptr(GPtrArray) chain = chain_of(relay.crt, NULL);
    g_autofree char *why = verify(chain, f->ca_file, "other.test", FALSE);

    assert_non_null(strstr(why, "name mismatch"));
    assert_non_null(strstr(why, "relay.test"));
    assert_non_null(strstr(why, "other.test"));
    assert_null(strstr(why, "signer"));
    made_free(&relay);
}

/* Signed by a CA that is not relay_ca_file's, or checked against the
 * system's store, which does not hold the test CA: not trusted. */
static void
test_untrusted(void **state)
{
    struct fixture *f = *state;
    struct made stranger = make_cert(&f->other_ca, "relay.test", "relay.test", NULL, -60, 3600);
    struct made relay = make_cert(&f->ca, "relay.test", "relay.test", NULL, -60, 3600);
    g_autoptr(GPtrArray) chain = chain_of(stranger.crt, f->other_ca.crt);
    g_autoptr(GPtrArray) ours = chain_of(relay.crt, NULL);
    g_autofree char *why = verify(chain, f->ca_file, "relay.test", FALSE);
    g_autofree char *why_system = verify(ours, NULL, "relay.test", FALSE);

    assert_non_null(strstr(why, "signer not trusted"));
    /* Without ca-certificates the store is empty: a reason either way. */
    assert_true(strstr(why_system, "signer not trusted") != NULL
                || strstr(why_system, "system's store") != NULL);
    made_free(&stranger);
    made_free(&relay);
}

/* Expired: refused as expired. */
static void
test_expired(void **state)
{
    struct fixture *f = *state;
    struct made old = make_cert(&f->ca, "relay.test", "relay.test", NULL, -7200, -3600);
    g_autoptr(GPtrArray) chain = chain_of(old.crt, NULL);
    g_autofree char *why = verify(chain, f->ca_file, "relay.test", FALSE);

    assert_non_null(strstr(why, "expired"));
    made_free(&old);
}

/* No certificate at all, a CA file that is not there, or one with no
 * certificate in it: refused, each with its reason. */
static void
test_nothing_to_check(void **state)
{
    struct fixture *f = *state;
    struct made relay = make_cert(&f->ca, "relay.test", "relay.test", NULL, -60, 3600);
    g_autoptr(GPtrArray) none = g_ptr_array_new();
    g_autoptr(GPtrArray) chain = chain_of(relay.crt, NULL);
    g_autofree char *missing = g_build_filename(f->dir, "no-such.pem", NULL);
    g_autofree char *junk = g_build_filename(f->dir, "junk.pem", NULL);
    g_autofree char *why_none = verify(none, f->ca_file, "relay.test", FALSE);
    g_autofree char *why_missing = verify(chain, missing, "relay.test", FALSE);
    g_autofree char *why_junk = NULL;

    assert_true(g_file_set_contents(junk, "not a certificate\n", -1, NULL));
    why_junk = verify(chain, junk, "relay.test", FALSE);
    assert_non_null(strstr(why_none, "sent none"));
    assert_non_null(strstr(why_missing, "relay_ca_file"));
    assert_non_null(strstr(why_junk, "no PEM certificate"));
    {
        g_autofree char *why_noname = verify(chain, f->ca_file, NULL, FALSE);

        assert_non_null(strstr(why_noname, "no name to check it against"));
    }
    g_unlink(junk);
    made_free(&relay);
}

/* Address literals, which SNI must not carry. */
static void
test_is_address(void **state)
{
    (void) state;
    assert_true(tlscheck_is_address("127.0.0.1"));
    assert_true(tlscheck_is_address("::1"));
    assert_false(tlscheck_is_address("relay.test"));
    assert_false(tlscheck_is_address("127.0.0.1.example.test"));
    assert_false(tlscheck_is_address(NULL));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_trusted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_name_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_untrusted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_to_check, setup, teardown),
        cmocka_unit_test(test_is_address),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
