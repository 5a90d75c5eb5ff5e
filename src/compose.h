/*
 * compose.h: the mail the tool sends, composed with GMime: the notification
 * to the assignee, the acknowledgement to the sender, the tickler's
 * reminders, reports to the liaison manager, and the IETF's response.
 *
 * Everything that came from incoming mail (titles, names, addresses) is
 * treated as hostile: no CR, LF or NUL can reach a header, long and
 * non-ASCII values are folded and RFC 2047-encoded by GMime.  Every message
 * but the response carries Auto-Submitted: auto-generated (auto-replied on
 * the acknowledgement), and every one the loop header X-Liaison-Loop
 * (intake classifies mail carrying it as auto-generated and never answers
 * it), a Message-ID, and In-Reply-To/References to the statement's own
 * Message-ID so that mail clients thread it with the statement.  The
 * envelope sender is VERP-style, naming the outbox row and the recipient,
 * so that a bounce tells which address failed.
 */
#ifndef LIAISON_COMPOSE_H
#define LIAISON_COMPOSE_H

#include <glib.h>

#include "statement.h"

/* The commands an answer by mail may give (command.c), one a line, as
 * the notification, the reminders and the answers to commands list them. */
#define COMPOSE_COMMAND_LIST \
    "  close\n" \
    "  close: REASON\n" \
    "  reopen\n" \
    "  reopen: REASON\n" \
    "  deadline: YYYY-MM-DD\n" \
    "  reassign: GROUP   (a group or area acronym, or iesg)\n"

/* Who the tool is and where statements are shown. */
struct compose_settings {
    const char *from_addr;      /* "liaisons@ietf.test": From, and the address
                                   replies go to */
    const char *from_name;      /* "IETF Liaison Statements" */
    const char *bounce_local;   /* local part of VERP senders, "liaisons" */
    const char *bounce_domain;  /* "ietf.test" */
    const char *base_url;       /* "https://datatracker.ietf.test/liaison/":
                                   the statement's page is base_url + id */
    const char *hostname;       /* right side of generated Message-IDs */
};

/* One composed mail, ready to queue. */
struct outmail {
    char   *kind;               /* "notification", "acknowledgement",
                                   "reminder", "report", "answer",
                                   "response" */
    char   *message_id;         /* "<...>" */
    char   *mail_from;          /* envelope sender before VERP: the
                                   From address; the outbox replaces it per
                                   recipient with compose_verp_sender() */
    GPtrArray *rcpts;           /* char*: envelope recipients */
    GBytes *raw;                /* the RFC 5322 message, CRLF line ends */
};

/* The notification: to the assignee(s), copying the statement's other
 * routed recipients (technical contacts, supervisor, liaison manager, the
 * lists); NULL when there is no one to send to. */
struct outmail *compose_notification(const struct compose_settings *cs,
                                     const struct statement *s);
/* The acknowledgement, with the tracking id, the envelope as understood
 * and the diagnostics put as requests, to the addresses in to (strings;
 * route_acknowledge_to says which may be), or when to is NULL to every
 * response contact; NULL when that leaves no one. */
struct outmail *compose_acknowledgement(const struct compose_settings *cs,
                                        const struct statement *s,
                                        const GPtrArray *to);
/* A tickler reminder: kind "due" (days until the deadline, 0 = today),
 * "overdue" (days past it) or "no-deadline" (days since it arrived); to the
 * assignee copying everyone the notification copied except the lists. */
struct outmail *compose_reminder(const struct compose_settings *cs,
                                 const struct statement *s,
                                 const char *kind, int days);
/* A report to the liaison manager (or the IESG when the statement has no
 * peer): what failed and why (a bounce, a permanent delivery failure). */
struct outmail *compose_report(const struct compose_settings *cs,
                               const struct statement *s, const char *to,
                               const char *subject, const char *text);
/* The answer to commands given by mail (command.c) on s: a report to
 * to_addr under outbox kind "answer", its subject "[LS n] WHAT: TITLE"
 * as the other mails about s have it (what: "Closed", "Commands
 * refused"). */
struct outmail *compose_answer(const struct compose_settings *cs,
                               const struct statement *s, const char *to,
                               const char *what, const char *text);
/* The IETF's response to s, sent with liaisonctl reply: a person's
 * letter (text, attachments of struct attachment* with their bytes, may be
 * NULL) to the addresses in to, copying everyone the notification went to
 * (lists included: the response is public), threaded on the statement;
 * no Auto-Submitted, since it is no automatic mail.  NULL when to holds
 * no usable address. */
struct outmail *compose_response(const struct compose_settings *cs,
                                 const struct statement *s, const GPtrArray *to,
                                 const char *text, const GPtrArray *attachments);
/* Whether c is an explicit bidirectional formatting character (embedding,
 * override, isolate, mark), which text from mail loses wherever the tool
 * shows it: in a Subject or on a page it would make a title read as
 * something else. */
gboolean compose_is_bidi_control(gunichar c);
/* A size for a person, "2.1 kB" (SI units, as ls -h --si and df -H),
 * with a plain space before the unit; the caller frees it. */
char   *compose_size_text(guint64 bytes);
/* Whether addr is a plain mailbox address (local@domain, printable ASCII,
 * no blank, quote, bracket, comma or semicolon) that mail is sent to. */
gboolean compose_address_ok(const char *addr);
/* Free; NULL is fine. */
void    outmail_free(struct outmail *m);

struct config;
struct directory;
/* Settings from liaisond.conf: from_addr = mail_from, or when it is empty
 * the first intake address of the configuration, else of the directory
 * (dir, may be NULL), else liaisons@localhost; bounce_local and bounce_domain = the two
 * halves of from_addr (so VERP senders come back to intake, where
 * liaisons+TAG@ counts as intake); from_name, base_url; hostname = the
 * configured one, else this host's name.  The result owns its strings;
 * free it with compose_settings_free. */
struct compose_settings *compose_settings_from_config(const struct config *cfg,
                                                     const struct directory *dir);
void    compose_settings_free(struct compose_settings *cs);
/* The VERP sender for one recipient of an outbox row:
 * bounce_local+b.ROW.ADDRHASH@bounce_domain, for example
 * liaisons+b.17.3f2a9c01d4e5@ietf.test.  ROW is the outbox row id in
 * decimal; ADDRHASH is the first 12 hex digits (lower case) of
 * HMAC-SHA256(secret, "ROW:rcpt"), rcpt exactly as written in the row's
 * rcpts column (the composer lower-cases addresses) and secret the
 * database's own (store_secret()).  It ties the sender to the address
 * without putting the address itself in it, and nobody without the secret
 * can forge one.  The outbox sends one SMTP
 * transaction per recipient, each with its own VERP sender, so a bounce
 * addressed to it names both the row and the recipient.  To map one
 * back: compose_verp_parse() gives ROW and ADDRHASH; the recipient is the
 * line of outbox.rcpts (row ROW) whose compose_verp_hash() equals
 * ADDRHASH (outbox_verp_lookup() does both). */
char   *compose_verp_sender(const struct compose_settings *cs, const char *secret,
                            gint64 outbox_id, const char *rcpt);
/* ADDRHASH of compose_verp_sender(): 12 lower-case hex digits of
 * HMAC-SHA256(secret, "ROW:rcpt"); free with g_free. */
char   *compose_verp_hash(const char *secret, gint64 outbox_id, const char *rcpt);
/* 12 lower-case hex digits of HMAC-SHA256(secret, msg): the short keyed
 * hash of VERP senders and of reply-address tokens (command.c). */
char   *compose_keyed_hash(const char *secret, const char *msg);
/* Whether two such hashes are equal, in time that does not depend on
 * where they differ (no oracle for guessing one a digit at a time). */
gboolean compose_same_hash(const char *a, const char *b);
/* Read a VERP address (with or without <>) back: TRUE with the row and
 * the 12 hex digits of the hash (NUL-terminated) when it has the form
 * LOCAL+b.ROW.ADDRHASH@DOMAIN; FALSE otherwise. */
gboolean compose_verp_parse(const char *addr, gint64 *outbox_id, char hash[13]);

#endif
