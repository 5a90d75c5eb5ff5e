/*
 * command.h: reply-by-mail commands (close, reopen, deadline, reassign)
 * and their authorisation.  See command.c.
 */
#ifndef LIAISON_COMMAND_H
#define LIAISON_COMMAND_H

#include <glib.h>

#include "compose.h"
#include "message.h"
#include "store.h"

enum command_verb {
    COMMAND_CLOSE,              /* "close" or "close: REASON" */
    COMMAND_DEADLINE,           /* "deadline: YYYY-MM-DD" */
    COMMAND_BAD,                /* a command word with an argument it cannot take */
    COMMAND_REASSIGN,           /* "reassign: GROUP" (a group or area key, or iesg) */
    COMMAND_REOPEN,             /* "reopen" or "reopen: REASON" */
};

/* One command as a reply gives it. */
struct command_line {
    enum command_verb verb;
    char   *arg;                /* the reason, the date, or NULL */
    char   *line;               /* the line as written, trimmed */
};

/* At most this many commands are read from one reply. */
#define COMMAND_MAX 8

/* The commands that open a reply's text, one a line, blank lines between
 * them allowed: the first other line ends them, so that nothing quoted
 * below counts.  A GPtrArray of struct command_line (freed with it),
 * empty when there are none. */
GPtrArray *command_parse(const char *text);

/* s when it is a date of the form YYYY-MM-DD that exists, else NULL
 * (g_free). */
char   *command_date(const char *s);

/* The 12 hex digits that let addr (lower case) command statement id:
 * the start of HMAC-SHA256(secret, "c:ID:addr"). */
char   *command_token(const char *secret, gint64 id, const char *addr);

/* The reply address that carries addr's token for statement id:
 * LOCAL+c.ID.TOKEN@DOMAIN, LOCAL and DOMAIN those of the VERP senders. */
char   *command_reply_address(const struct compose_settings *cs, const char *secret,
                              gint64 id, const char *addr);

/* raw (a composed mail, CRLF) with its Reply-To made rcpt's own reply
 * address for statement id: what the outbox sends rcpt, so that an answer
 * from rcpt carries rcpt's token.  NULL when raw has no Reply-To. */
GBytes *command_personal_copy(const struct compose_settings *cs, const char *secret,
                              gint64 id, const char *rcpt, GBytes *raw);

/* Whether addr is a reply address of cs for some statement: TRUE with *id
 * and *token (g_free). */
gboolean command_reply_address_parse(const struct compose_settings *cs, const char *addr,
                                     gint64 *id, char **token);

/* The statement one of m's To and Cc addresses is a reply address of,
 * with a token liaisond gave one of that statement's recipients (or its
 * assignee): its id; 0 when none is (cs NULL: no mail out, no reply
 * addresses); -1 with *err for a store failure.  What an answer that
 * kept no In-Reply-To or References is about (classify.c). */
gint64  command_addressed(struct store *st, const struct compose_settings *cs,
                          const struct message *m, GError **err);

/* Whether one of m's Authentication-Results fields, added by authserv_id,
 * says the From passed DMARC, or DKIM with a signature of the From's
 * domain. */
gboolean command_authenticated(const struct message *m, const char *authserv_id);

/* What running a reply's commands needs. */
struct command_ctx {
    struct store *store;
    const struct directory *dir;    /* who speaks for a routed address */
    gboolean notify;            /* a reassigned statement's new notification */
    const struct compose_settings *mail;    /* the answer is queued with it */
    const char *authserv_id;    /* NULL or "": Authentication-Results not asked for */
    int     answer_per_day;     /* answers to one address in 24 hours (answer_per_day):
                                   outbox rows of kind "answer" only */
};

/* Who asked for a change, for its event. */
struct command_by {
    const char *actor;          /* an address, or "liaisonctl (user)" */
    const char *reason;         /* NULL: none given */
    gint64  message_row;        /* the mail that asked; 0 for none */
};

/* What a change did: the value before ("none" for no deadline or
 * assignee) and after; changed FALSE when it was so already and nothing
 * was written. */
struct command_change {
    gboolean changed;
    char   *was;
    char   *now;
    gboolean notified;          /* reassign: the new assignee's notification queued */
};
void    command_change_clear(struct command_change *ch);

/* The changes behind the commands, by mail and from liaisonctl alike,
 * inside the caller's transaction: the change and its event ("closed",
 * "reopened", "deadline changed", "reassigned"; actor and reason from by).
 * FALSE with *err for a store failure (STORE_ERROR_NOTFOUND: no statement
 * id).  command_set_state takes "closed" or "open" ("open" also reopens
 * an open statement whose answer stands, so that its reminders come
 * back); command_set_deadline a date command_date accepted;
 * command_reassign a group or area the directory knows
 * (route_reassign_target), and queues the new assignee's notification
 * when cc->notify and cc->mail. */
gboolean command_set_state(const struct command_ctx *cc, gint64 id, const char *state,
                           const struct command_by *by, struct command_change *ch,
                           GError **err);
gboolean command_set_deadline(const struct command_ctx *cc, gint64 id, const char *date,
                              const struct command_by *by, struct command_change *ch,
                              GError **err);
gboolean command_reassign(const struct command_ctx *cc, gint64 id, const char *key,
                          const struct command_by *by, struct command_change *ch,
                          GError **err);

/* Run the commands of m, correspondence on statement s, inside the
 * caller's transaction: when m's From may give them (see command.c),
 * close, re-date or reassign s, with an event each; refused ones get a
 * "command refused" event; one answer goes back to the From when it is a
 * person the reply address was given to or a decider on s, unless that
 * address had answer_per_day answers in 24 hours ("answer withheld"
 * event; the commands ran all the same).  Nothing is
 * done for mail without commands, or sent to no reply address of s; but
 * when it was sent to another statement's reply address with a token
 * liaisond gave, its commands are refused on s, and that reply address's
 * person is told they ran on neither statement.
 * FALSE with *err only for a store failure. */
gboolean command_run(const struct command_ctx *cc, const struct message *m,
                     const struct statement *s, gint64 message_row, GError **err);

#endif
