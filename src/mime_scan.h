/*
 * mime_scan.h: the linear scans of a raw message before GMime parses it
 * (mime_scan.c): a reader that goes through a range of a stream a chunk
 * at a time, and the structure scan that finds where GMime must stop
 * reading so that parsing stays within the limits.  Used by message.c
 * only.
 */
#ifndef LIAISON_MIME_SCAN_H
#define LIAISON_MIME_SCAN_H

#include <glib.h>
#include <gmime/gmime.h>

#include "message.h"

/* Bytes read from the raw stream at a time by the scans before parsing. */
#define MIME_SCAN_READ_CHUNK          65536
/* Header fields (each address of an address field counted as one more),
 * and their bytes, GMime is given in all the header blocks of one message
 * (its own, its parts', its attached messages'): GMime makes several
 * allocations per field and an object per address, so these bound what
 * parsing the headers can cost. */
#define MIME_SCAN_HEADER_FIELDS_MAX   10000
#define MIME_SCAN_HEADER_BYTES_MAX    (1024 * 1024)

/* Sequential reading of a range of a stream, a chunk at a time: the scans
 * before parsing look at every byte of a message that may be far larger
 * than the memory it is allowed to cost. */
struct mime_scan_reader {
    GMimeStream *s;
    gint64  pos;                /* offset of the next chunk in the stream */
    gint64  end;                /* end of the range */
    char   *buf;
    gsize   len;                /* bytes in buf */
    gsize   off;                /* next byte of buf to hand out */
    gboolean failed;            /* a seek or read failed before end */
};

/* Which limit the structure scan found passed, if any. */
enum mime_scan_over {
    MIME_SCAN_OVER_NONE,
    MIME_SCAN_OVER_DEPTH,       /* multiparts nest deeper than max_depth */
    MIME_SCAN_OVER_PARTS,       /* more MIME entities than max_parts */
    MIME_SCAN_OVER_HEADERS,     /* header fields over
                                   MIME_SCAN_HEADER_FIELDS_MAX or
                                   MIME_SCAN_HEADER_BYTES_MAX */
};

/* Result of the structure scan done before parsing. */
struct mime_scan {
    GPtrArray *unclosed;            /* char*: boundaries never closed */
    enum mime_scan_over over;
    gint64 cut;                     /* GMime reads up to here: the end, or
                                       the line where the limit was passed */
    gboolean cut_in_top;            /* ... inside the message's own headers */
};

/* Start reading s from start to end (absolute stream offsets). */
void mime_scan_reader_init(struct mime_scan_reader *r, GMimeStream *s,
                           gint64 start, gint64 end);
/* Release the reader's buffer. */
void mime_scan_reader_clear(struct mime_scan_reader *r);
/* Make sure a byte is buffered; FALSE at the end of the range or when
 * the stream fails (then r->failed is set). */
gboolean mime_scan_reader_fill(struct mime_scan_reader *r);
/* The offset in the stream of the next byte the reader hands out. */
gint64 mime_scan_reader_offset(const struct mime_scan_reader *r);
/* The next line without its LF: its first keep bytes into line, its whole
 * length in *total, whether the rest is all white space in *tail_space;
 * FALSE when no bytes are left. */
gboolean mime_scan_reader_line(struct mime_scan_reader *r, GByteArray *line,
                               gsize keep, gsize *total,
                               gboolean *tail_space);
/* The value of a header field line when its name is name (any case,
 * blanks allowed before the colon, as GMime reads it), else NULL. */
const char *mime_scan_field_value(const char *line, gsize len,
                                  const char *name);

/* Scan the raw bytes from start to end as GMime's parser will, within
 * lim, before it does: into *sc, what it would cost and where GMime must
 * stop (sc->unclosed is the caller's to free). */
void mime_scan_structure(GMimeStream *s, gint64 start, gint64 end,
                         const struct message_limits *lim,
                         struct mime_scan *sc);

#endif
