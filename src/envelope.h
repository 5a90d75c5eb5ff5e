/*
 * envelope.h: the liaison envelope (RFC 4053 section 2) read out of text.
 *
 * The envelope is what a person fills in on a liaison form: From body, To
 * body, Title, contacts, Purpose, Deadline.  Senders write it in several
 * layouts (RFC 4053 Appendix A labels, the datatracker notification, the
 * ITU-T and 3GPP templates); envelope_scan() knows them all and only fills
 * fields that are still unset, so it can be run over several texts (body,
 * then text attachments) in order of trust.
 */
#ifndef LIAISON_ENVELOPE_H
#define LIAISON_ENVELOPE_H

#include <glib.h>

/* The purpose of a statement, RFC 4053 section 2.1. */
enum purpose {
    PURPOSE_NONE = 0,           /* not stated */
    PURPOSE_INFORMATION,
    PURPOSE_COMMENT,
    PURPOSE_ACTION,
    PURPOSE_RESPONSE,
};

/* A person or role: display name (may be NULL) and address (may be NULL). */
struct contact {
    char   *name;
    char   *addr;               /* lower-cased when it is an address */
};

struct envelope {
    char   *title;
    char   *from_body;          /* "ITU-T Study Group 15" */
    char   *to_body;            /* as written, unfolded, spaces collapsed */
    GPtrArray *to_list;         /* char*: each addressee of To / For action / For comment */
    GPtrArray *info_to;         /* char*: "For information to:" addressees */
    GPtrArray *cc;              /* struct contact*: Cc line (bodies or addresses) */
    GPtrArray *response_contacts;   /* struct contact* */
    GPtrArray *technical_contacts;  /* struct contact* */
    enum purpose purpose;
    char   *deadline;           /* "YYYY-MM-DD" or NULL */
    GPtrArray *other_identifiers;   /* char*: "S2-2611873" */
    GPtrArray *related;         /* char*: referenced liaisons (URLs or ids) */
    GPtrArray *references;      /* char*: documents named: draft-..., TR-471 */
    char   *body;               /* the text after "Body:", else NULL */
    int     labels;             /* envelope labels recognised, summed over
                                   every text scanned into it */
};

/* Allocate an empty envelope. */
struct envelope *envelope_new(void);
/* Free an envelope and everything it holds; NULL is fine. */
void    envelope_free(struct envelope *env);
/* Read envelope fields out of UTF-8 text, filling only unset fields;
 * returns the number of labels recognised in this text. */
int     envelope_scan(struct envelope *env, const char *text);
/* Compile the patterns once; call from main before any thread.  Returns
 * FALSE (with a message in *err) only on a programming error. */
gboolean envelope_init(GError **err);

/* Parse a date in any layout senders use into "YYYY-MM-DD" (out has room
 * for 11 bytes); returns TRUE on success. */
gboolean envelope_parse_date(const char *s, char out[11]);
/* Split a contact list ("A <a@x>, B <b@y>; c@z") into struct contact*. */
void    envelope_parse_contacts(const char *s, GPtrArray *out);
/* A new contact (either part may be NULL); free with contact_free. */
struct contact *contact_new(const char *name, const char *addr);
void    contact_free(gpointer c);

/* "information", "comment", "action", "response" or NULL for NONE. */
const char *purpose_name(enum purpose p);
/* Read a purpose as written ("For Action", "In Response", "comment"). */
enum purpose purpose_parse(const char *s);

#endif
