/*
 * statement.h: a liaison statement as the program holds it: the envelope
 * read from the mail, what routing decided, the attachments and the
 * diagnostics, with its state.  The store saves and loads this; liaisonctl
 * prints it, as a table or as JSON (the keys of tests/corpus/expected.json).
 */
#ifndef LIAISON_STATEMENT_H
#define LIAISON_STATEMENT_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "envelope.h"
#include "message.h"

/* A finding about an incomplete statement: a stable code and a sentence. */
struct diagnostic {
    char   *code;               /* "purpose-missing" */
    char   *text;               /* "No purpose was given; recorded as For Information." */
};

/* Who routing adds to a statement's mail, and why. */
struct recipient {
    char   *addr;
    char   *role;               /* "assignee", "supervisor", "liaison-manager",
                                   "list", "technical", "info-list" */
};

struct statement {
    gint64  id;                 /* 0 until stored */
    char   *received;           /* "YYYY-MM-DDTHH:MM:SSZ", UTC */
    char   *state;              /* "open", "closed" */
    char   *closed;             /* when it was closed, UTC; NULL while open
                                   (and for one closed before the store
                                   kept the time: its "closed" event has it) */
    char   *replied;            /* when the IETF's response was sent
                                   (liaisonctl reply), UTC; NULL before:
                                   the history, kept after a reopen */
    gboolean answered;          /* the response stands: replied is set and
                                   no "reopened" nor "deadline changed"
                                   event came after it (the store derives
                                   it from the event log).  The one rule
                                   of "answered" for the tickler, list,
                                   show, stats, publish and requeue */
    char   *message_id;         /* of the statement mail, "<x@y>" */
    char   *forwarded_by;       /* address, or NULL */
    char   *header_from;        /* the mail's From as a person reads it */
    char   *subject;
    struct envelope *env;       /* owned */
    GPtrArray *groups;          /* char*: assignee groups ("ccamp"; an area key; "iesg") */
    GPtrArray *info_groups;     /* char*: groups copied for information */
    char   *peer;               /* key in the directory, or NULL */
    char   *assignee;           /* address */
    GPtrArray *recipients;      /* struct recipient* */
    GPtrArray *attachments;     /* struct attachment* */
    GPtrArray *diagnostics;     /* struct diagnostic* */
};

/* An empty statement with an empty envelope. */
/* An id as liaisond writes one (LS 42, a reply address, liaisonctl's
 * tables), read from the start of text: 1 to 18 digits, no sign, blank
 * or leading zero, so that one id has one spelling and none overflows.
 * The number, *end just past its digits; 0 when text starts with none. */
gint64  statement_id_scan(const char *text, const char **end);
struct statement *statement_new(void);
/* Free a statement; NULL is fine. */
void    statement_free(struct statement *s);
/* Append a diagnostic. */
void    statement_add_diagnostic(struct statement *s, const char *code, const char *text);
/* TRUE when a diagnostic with this code is present. */
gboolean statement_has_diagnostic(const struct statement *s, const char *code);
/* Append a recipient unless the address is already there. */
void    statement_add_recipient(struct statement *s, const char *addr, const char *role);
/* Write the statement as a JSON object into b (between begin/end object). */
void    statement_to_json(const struct statement *s, JsonBuilder *b);
/* Add "key": "value" to the object being built, or "key": null when value
 * is NULL. */
void    statement_json_string(JsonBuilder *b, const char *key, const char *value);
/* Add "key": [ the strings of a (char*) ] (NULL: an empty array). */
void    statement_json_strings(JsonBuilder *b, const char *key, const GPtrArray *a);

struct recipient *recipient_new(const char *addr, const char *role);
void    recipient_free(gpointer r);
struct diagnostic *diagnostic_new(const char *code, const char *text);
void    diagnostic_free(gpointer d);
struct attachment *attachment_new(const char *name, const char *type, GBytes *data);
void    attachment_free(gpointer a);

#endif
