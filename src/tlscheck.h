/*
 * tlscheck.h: verifying the certificate a relay showed in STARTTLS.
 *
 * libetpan (1.9.4) makes the TLS session but checks nothing about the
 * peer, so an attacker on the path could stand in for the relay and read
 * AUTH's password.  The outbox hands the chain the relay sent (DER, as
 * mailstream_get_certificate_chain gives it) to tlscheck_verify before it
 * sends AUTH or MAIL.  GnuTLS does the work (libetpan is built with it):
 * the chain must lead to a trusted CA (the system's store, or only the
 * CAs of one PEM file), be valid now and for a TLS server, and the first
 * certificate must name the host (a DNS name, or an address literal
 * against the certificate's IP addresses).
 *
 * Kept apart from outbox.c so that the SMTP code knows nothing of GnuTLS
 * and this knows nothing of libetpan.
 */
#ifndef LIAISON_TLSCHECK_H
#define LIAISON_TLSCHECK_H

#include <glib.h>

/* Verify chain (a GPtrArray of GBytes, each one DER certificate, the
 * peer's own first) against the system's trusted CAs, or only those in
 * the PEM file ca_file when it is neither NULL nor empty, and against
 * name.  TRUE when it holds; FALSE with *why, a short phrase for a log
 * line or last_error ("signer not trusted", "name mismatch: ...",
 * "expired", ...). */
gboolean tlscheck_verify(const GPtrArray *chain, const char *ca_file,
                         const char *name, char **why);

/* Whether name is an IP address literal (v4 or v6): SNI must not carry
 * one (RFC 6066). */
gboolean tlscheck_is_address(const char *name);

#endif
