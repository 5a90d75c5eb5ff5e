/*
 * tlscheck.c: verifying the certificate a relay showed in STARTTLS, with
 * GnuTLS (see tlscheck.h).
 *
 * Why it is built this way:
 *
 * - The trust list is made for each check (one per connection to the
 *   relay): the system's store is a file of 144 certificates on Debian
 *   12 that GnuTLS reads in 7 to 23 ms, and a fresh read follows an
 *   update of ca-certificates or of relay_ca_file without a restart.
 *
 * - relay_ca_file replaces the system's store rather than adding to it:
 *   a site that names its own CA means that CA, and a public CA that
 *   signed some other certificate for the relay's name is not one it
 *   chose.
 *
 * - The chain and the name are checked apart, so that the reason says
 *   which one failed: "signer not trusted" is mended with relay_ca_file,
 *   "name mismatch" with relay_tls_name.
 */
#include "config.h"

#include <arpa/inet.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tlscheck.h"

/* More certificates than a real chain has; the rest are not read. */
#define CHAIN_MAX 16
/* Names of the certificate quoted in a name mismatch. */
#define NAMES_MAX 4

/* Whether name is an IP address literal. */
gboolean
tlscheck_is_address(const char *name)
{
    unsigned char buf[sizeof(struct in6_addr)];

    return name != NULL && (inet_pton(AF_INET, name, buf) == 1
                            || inet_pton(AF_INET6, name, buf) == 1);
}

/* The problems of a chain's verification status, as a phrase. */
static char *
status_text(unsigned status)
{
    static const struct {
        unsigned flag;
        const char *text;
    } known[] = {
        { GNUTLS_CERT_SIGNER_NOT_FOUND, "signer not trusted" },
        { GNUTLS_CERT_SIGNER_NOT_CA, "signer is not a CA" },
        { GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, "signer's constraints violated" },
        { GNUTLS_CERT_SIGNATURE_FAILURE, "bad signature" },
        { GNUTLS_CERT_INSECURE_ALGORITHM, "insecure algorithm" },
        { GNUTLS_CERT_NOT_ACTIVATED, "not valid yet" },
        { GNUTLS_CERT_EXPIRED, "expired" },
        { GNUTLS_CERT_REVOKED, "revoked" },
        { GNUTLS_CERT_PURPOSE_MISMATCH, "not for a TLS server" },
    };
    GString *s = g_string_new(NULL);

    for (gsize i = 0; i < G_N_ELEMENTS(known); i++)
        if (status & known[i].flag)
            g_string_append_printf(s, "%s%s", s->len > 0 ? ", " : "", known[i].text);
    if (s->len == 0) {
        gnutls_datum_t out = { NULL, 0 };

        if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509,
                                                         &out, 0) == 0) {
            g_string_append_len(s, (const char *) out.data, out.size);
            gnutls_free(out.data);
        } else {
            g_string_append_printf(s, "not trusted (status 0x%x)", status);
        }
    }
    return g_string_free(s, FALSE);
}

/* The names crt is for (its DNS and IP subject alternative names, else
 * its common name), at most NAMES_MAX, comma-separated. */
static char *
crt_names(gnutls_x509_crt_t crt)
{
    GString *s = g_string_new(NULL);
    int n = 0;

    for (unsigned i = 0; n < NAMES_MAX; i++) {
        char buf[256];
        size_t len = sizeof buf - 1;
        char ip[INET6_ADDRSTRLEN];
        int type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &len, NULL);

        if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            break;
        if (type == GNUTLS_SAN_DNSNAME) {
            buf[len] = '\0';
            g_string_append_printf(s, "%s%s", n++ > 0 ? ", " : "", buf);
        } else if (type == GNUTLS_SAN_IPADDRESS && (len == 4 || len == 16)
                   && inet_ntop(len == 4 ? AF_INET : AF_INET6, buf, ip, sizeof ip)) {
            g_string_append_printf(s, "%s%s", n++ > 0 ? ", " : "", ip);
        }
    }
    if (n == 0) {
        char cn[256];
        size_t len = sizeof cn;

        if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0,
                                          cn, &len) == 0)
            g_string_append(s, cn);
        else
            g_string_append(s, "no name");
    }
    for (gsize i = 0; i < s->len; i++)
        if ((unsigned char) s->str[i] < 0x20 || s->str[i] == 0x7f)
            s->str[i] = '?';
    return g_string_free(s, FALSE);
}

/* A trust list of the CAs in the PEM file ca_file, or of the system's
 * store when ca_file is NULL or empty; NULL with *why. */
static gnutls_x509_trust_list_t
trust_load(const char *ca_file, char **why)
{
    gnutls_x509_trust_list_t tl = NULL;
    int r;

    if (gnutls_x509_trust_list_init(&tl, 0) < 0) {
        *why = g_strdup("cannot make a trust list (out of memory)");
        return NULL;
    }
    if (ca_file != NULL && *ca_file != '\0') {
        g_autofree char *pem = NULL;
        gsize len = 0;
        GError *e = NULL;

        if (!g_file_get_contents(ca_file, &pem, &len, &e)) {
            *why = g_strdup_printf("relay_ca_file: %s", e->message);
            g_error_free(e);
            r = -1;
        } else {
            gnutls_datum_t d = { (unsigned char *) pem, (unsigned) len };

            r = gnutls_x509_trust_list_add_trust_mem(tl, &d, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
            if (r <= 0)
                *why = g_strdup_printf("relay_ca_file %s: no PEM certificate read%s%s",
                                       ca_file, r < 0 ? ": " : "",
                                       r < 0 ? gnutls_strerror(r) : "");
        }
    } else {
        r = gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
        if (r <= 0)
            *why = g_strdup_printf("no trusted CA in the system's store%s%s"
                                   " (is ca-certificates installed?)",
                                   r < 0 ? ": " : "", r < 0 ? gnutls_strerror(r) : "");
    }
    if (r <= 0) {
        gnutls_x509_trust_list_deinit(tl, 1);
        return NULL;
    }
    return tl;
}

/* Verify a peer's chain and name (see tlscheck.h). */
gboolean
tlscheck_verify(const GPtrArray *chain, const char *ca_file, const char *name,
                char **why)
{
    gnutls_x509_crt_t crts[CHAIN_MAX];
    unsigned n = 0, status = 0;
    gnutls_x509_trust_list_t tl = NULL;
    /* The first certificate must be meant for a TLS server (when it says
     * what it is meant for at all). */
    gnutls_typed_vdata_st purpose = {
        .type = GNUTLS_DT_KEY_PURPOSE_OID,
        .data = (unsigned char *) GNUTLS_KP_TLS_WWW_SERVER,
        .size = 0,
    };
    GString *problems = g_string_new(NULL);
    int r;

    *why = NULL;
    if (chain == NULL || chain->len == 0) {
        g_string_append(problems, "the relay sent none");
        goto out;
    }
    if (name == NULL || *name == '\0') {
        g_string_append(problems, "no name to check it against");
        goto out;
    }
    for (guint i = 0; i < chain->len && n < CHAIN_MAX; i++) {
        gsize len;
        const void *der = g_bytes_get_data(g_ptr_array_index(chain, i), &len);
        gnutls_datum_t d = { (unsigned char *) der, (unsigned) len };

        if (gnutls_x509_crt_init(&crts[n]) < 0) {
            g_string_append(problems, "cannot read it (out of memory)");
            goto out;
        }
        r = gnutls_x509_crt_import(crts[n], &d, GNUTLS_X509_FMT_DER);
        n++;
        if (r < 0) {
            g_string_append_printf(problems, "certificate %u unreadable: %s",
                                   i + 1, gnutls_strerror(r));
            goto out;
        }
    }
    tl = trust_load(ca_file, why);
    if (tl == NULL)
        goto out;           /* *why says what is wrong with the CAs */
    r = gnutls_x509_trust_list_verify_crt2(tl, crts, n, &purpose, 1, 0, &status, NULL);
    if (r < 0) {
        g_string_append_printf(problems, "cannot verify: %s", gnutls_strerror(r));
    } else if (status != 0) {
        g_autofree char *text = status_text(status);

        g_string_append(problems, text);
    }
    if (!gnutls_x509_crt_check_hostname2(crts[0], name, 0)) {
        g_autofree char *names = crt_names(crts[0]);

        g_string_append_printf(problems, "%sname mismatch: it is for %s, not %s",
                               problems->len > 0 ? "; " : "", names, name);
    }
out:
    for (unsigned i = 0; i < n; i++)
        gnutls_x509_crt_deinit(crts[i]);
    if (tl != NULL)
        gnutls_x509_trust_list_deinit(tl, 1);
    if (*why == NULL && problems->len > 0)
        *why = g_string_free(problems, FALSE);
    else
        g_string_free(problems, TRUE);
    return *why == NULL;
}
