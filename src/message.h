/*
 * message.h: a raw RFC 5322 message turned into what the rest of the
 * program needs, with GMime: decoded headers, the readable text in UTF-8,
 * and the attachments as decoded bytes.
 *
 * Parsing never fails on bad MIME: what cannot be read is noted in
 * problems[] and the rest is kept.  Only input that is not mail at all
 * (no header block) is refused, and a failure to make or write a
 * temporary file (a full spool) is reported so that the caller can
 * answer "try again later".
 *
 * Memory stays bounded whatever the size of the message: the message is
 * read from a seekable GMimeStream (a file for large mail), GMime keeps
 * the parts' contents as ranges of that stream instead of copies, GMime
 * is given no more parts, header fields and header bytes than the limits
 * (a scan of the raw bytes finds where to stop it first), and an
 * attachment larger than attachment_memory_max, or past the share of
 * memory all attachments may take, is decoded into an unlinked temporary
 * file rather than into memory (one file per message, whatever the
 * number of attachments).
 */
#ifndef LIAISON_MESSAGE_H
#define LIAISON_MESSAGE_H

#include <glib.h>

/* GMime's stream type, without pulling GMime into every includer. */
struct _GMimeStream;

/* Bounds on hostile input. */
struct message_limits {
    unsigned max_parts;         /* MIME parts visited (default 1000) */
    unsigned max_depth;         /* multipart / message nesting (default 32) */
    size_t   max_text;          /* bytes of text kept for scanning (default 1 MB) */
    size_t   attachment_memory_max; /* larger attachments are decoded into
                                   a temporary file (default 256 KB) */
    const char *spool_dir;      /* where those files are made; NULL for
                                   g_get_tmp_dir() */
};

struct attachment {
    char   *name;               /* safe file name: never a path, never empty */
    char   *type;               /* "application/pdf", lower case */
    GBytes *data;               /* decoded bytes (NULL when they are in
                                   file, or read back from the store
                                   without its bytes) */
    struct _GMimeStream *file;  /* the decoded bytes of an attachment not
                                   kept in memory: its range of the
                                   message's one unlinked temporary file
                                   (a GMimeStream holding a reference to
                                   the file, whose descriptor closes with
                                   the last range), else NULL */
    gsize   size;               /* decoded size in bytes */
    char    sha256[65];         /* hex digest of data */
};

/* One recipient of a delivery status notification (RFC 3464 2.3). */
struct dsn_recipient {
    char   *addr;               /* Final-Recipient, lower case */
    char   *action;             /* Action, lower case: "failed", "delayed",
                                   "delivered", "relayed", "expanded"; NULL
                                   when its group has none */
    char   *status;             /* Status, "4.4.7", or NULL */
};

struct message {
    /* Headers of the statement (of the inner message when forwarded),
     * RFC 2047 decoded to UTF-8, CR/LF removed. */
    char   *from;               /* "Name <addr>" as a person reads it */
    char   *from_name;          /* may be NULL */
    char   *from_addr;          /* lower case; may be NULL */
    char   *to;
    char   *subject;
    char   *date;
    char   *message_id;         /* with angle brackets, "<x@y>" */
    char   *in_reply_to;        /* "<x@y>" or NULL */
    GPtrArray *references;      /* char*: "<x@y>" */
    /* Headers of the outer message, for classification and dedup. */
    char   *outer_message_id;   /* "<x@y>" or NULL */
    char   *forwarded_by;       /* outer From address when the statement came
                                   as a bare forward (an attached
                                   message/rfc822 and at most a short
                                   note), else NULL */
    char   *auto_submitted;     /* raw header values or NULL */
    char   *precedence;
    char   *list_id;
    char   *loop;               /* our own X-Liaison-Loop header, if present */
    GPtrArray *reply_rcpts;     /* char*: the outer message's To and Cc
                                   addresses, lower case (at most 64) */
    GPtrArray *auth_results;    /* char*: its Authentication-Results values,
                                   unfolded (at most 16) */
    gboolean is_report;         /* top level multipart/report */
    GPtrArray *failed_recipients;   /* char*: Final-Recipients of a
                                       message/delivery-status whose Action
                                       is "failed" or missing, once each */
    GPtrArray *dsn_recipients;  /* struct dsn_recipient*: every recipient
                                   of a delivery status, whatever its
                                   Action */
    /* Content. */
    char   *text;               /* readable body in UTF-8 (plain preferred,
                                   HTML rendered to text); never NULL */
    GPtrArray *text_attachments;    /* char*: UTF-8 text of text/plain attachments */
    GPtrArray *attachments;     /* struct attachment* */
    GPtrArray *problems;        /* char*: what could not be read, as sentences */
};

/* Error domain of message_parse() for input that is not mail. */
#define MESSAGE_ERROR (message_error_quark())
enum message_error {
    MESSAGE_ERROR_NOT_MAIL,     /* refuse the input */
    MESSAGE_ERROR_IO,           /* a temporary file failed: try again later */
};
GQuark  message_error_quark(void);

/* The address (lower case) of a From written as struct message's from
 * is, and as the store keeps it: "Name <addr>" or "addr"; NULL when it
 * holds none. */
char   *message_from_address(const char *from);

/* The address (lower case) of the first mailbox of the From field in the
 * header block of len bytes of raw mail; NULL when there is none, or when
 * it is not one word (liaisonctl export's From_ lines). */
char   *message_raw_from(const char *raw, gsize len);
/* Call g_mime_init() and set the limits' defaults; once, from main. */
void    message_library_init(void);
void    message_library_shutdown(void);
/* Fill limits with the defaults. */
void    message_limits_default(struct message_limits *lim);
/* Parse a raw message.  NULL with *err set when the input is not mail. */
struct message *message_parse(const char *raw, size_t len,
                              const struct message_limits *lim, GError **err);
/* Parse a raw message read from a seekable stream, from its start to its
 * end (a file for large mail: its bytes are never all in memory).  The
 * stream must stay unchanged during the call; it is not kept after it. */
struct message *message_parse_stream(struct _GMimeStream *raw,
                                     const struct message_limits *lim,
                                     GError **err);
/* A stream over len bytes at raw, read in place (no copy): the caller
 * keeps them alive and unchanged while the stream lives. */
struct _GMimeStream *message_stream_for_bytes(const char *raw, size_t len);
/* Free a parsed message; NULL is fine. */
void    message_free(struct message *m);
/* Make a file name safe: last path component only, no control characters,
 * no leading dots, bounded length; "attachment" when nothing is left. */
char   *message_safe_filename(const char *name);

#endif
