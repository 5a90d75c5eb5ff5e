/*
 * classify.h: what kind of mail this is: a new statement, correspondence
 * on a statement already recorded, auto-generated mail, or a bounce.
 */
#ifndef LIAISON_CLASSIFY_H
#define LIAISON_CLASSIFY_H

#include <glib.h>

#include "message.h"

enum message_kind {
    KIND_STATEMENT,
    KIND_CORRESPONDENCE,
    KIND_AUTO,
    KIND_BOUNCE,
};

/* Looks up the statement a Message-ID belongs to: its id, 0 if none, -1 on
 * an internal failure (with *err set). */
typedef gint64 (*classify_lookup_fn)(const char *message_id, gpointer data,
                                     GError **err);
/* Looks up the statement whose own Message-ID this is and whose From had
 * from_addr (lower case): its id, 0 if none, -1 on a failure. */
typedef gint64 (*classify_own_lookup_fn)(const char *message_id, const char *from_addr,
                                         gpointer data, GError **err);
/* Whether addr (lower case) is one of statement id's contacts or routed
 * recipients: 1 yes (with *title the statement's title, to be freed, or
 * NULL), 0 no, -1 on an internal failure (with *err set). */
typedef int (*classify_knows_fn)(gint64 id, const char *addr, char **title,
                                 gpointer data, GError **err);

/* Whether addr (lower case) is at the IETF's own domain: its people
 * answer statements, they do not send the IETF statements. */
typedef gboolean (*classify_ours_fn)(const char *addr, gpointer data);
/* Whether a From or To body names the IETF: one of its groups or areas,
 * or the IETF, IESG, IAB or IRTF by name. */
typedef gboolean (*classify_ietf_fn)(const char *body, gpointer data);

/* The statement m was sent to a reply address of (one liaisond gave a
 * recipient of it, token and all): its id, 0 if none, -1 on a failure. */
typedef gint64 (*classify_addressed_fn)(const struct message *m, gpointer data,
                                        GError **err);

/* What classification asks of the store (and the directory). */
struct classify_store {
    classify_lookup_fn by_message_id;
    classify_own_lookup_fn by_own_message_id;
    classify_knows_fn knows;
    classify_ours_fn ours;
    classify_ietf_fn ietf_body;
    gpointer data;
    classify_addressed_fn addressed;    /* NULL: reply addresses not asked */
};

/* Classify m.  envelope_sender is the SMTP MAIL FROM ("" for the null
 * sender, NULL when unknown).  For correspondence, *statement_id is the
 * statement it refers to.  Returns FALSE with *err only when a lookup
 * failed. */
gboolean classify_message(const struct message *m, const char *envelope_sender,
                          const struct classify_store *cs,
                          enum message_kind *kind, gint64 *statement_id,
                          GError **err);
/* TRUE when m says no person wrote it (Auto-Submitted other than "no",
 * Precedence bulk, junk or list, List-Id, our loop header): such mail,
 * even a statement, gets no acknowledgement (RFC 3834). */
gboolean classify_automatic(const struct message *m);
/* "statement", "correspondence", "auto", "bounce". */
const char *classify_kind_name(enum message_kind k);
/* The kind so named (as classify_kind_name gives it and the store keeps
 * it); FALSE for any other name. */
gboolean classify_kind_from_name(const char *name, enum message_kind *k);

#endif
