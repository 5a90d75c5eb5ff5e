/*
 * publish.h: the statements as a static web site (liaisonctl publish):
 * the outstanding ones and those closed lately on index.html, a page per
 * statement, an Atom feed and a JSON list, for any web server to serve.
 */
#ifndef LIAISON_PUBLISH_H
#define LIAISON_PUBLISH_H

#include <glib.h>

#include "directory.h"
#include "store.h"

struct publish_options {
    const char *dir;            /* written into; made when absent */
    const char *now;            /* "YYYY-MM-DDTHH:MM:SSZ", UTC */
    int     recent_days;        /* closed statements stay listed this long */
    const char *base_url;       /* a statement's page is base_url + id: the
                                   link notifications carry; the site is
                                   served at base_url */
    const char *site_name;      /* "IETF Liaison Statements" */
    const char *id_domain;      /* the domain the feeds' ids are minted in
                                   (tag: URIs, RFC 4151), so that they are
                                   absolute and stay when base_url moves:
                                   the site's mail domain; NULL, or no DNS
                                   name: base_url's host, else
                                   liaisond.invalid */
    const struct directory *directory;  /* its groups and areas get a page
                                   and a feed each (an area's with its
                                   groups' statements); NULL: only those
                                   statements are assigned to */
};

struct publish_summary {
    unsigned statements;        /* pages made: one per statement */
    unsigned outstanding;       /* open ones, on the index */
    unsigned closed_recently;   /* closed within recent_days */
    unsigned groups;            /* group/KEY/ pages made */
    unsigned written;           /* files whose content changed */
    unsigned unchanged;         /* files left as they were */
};

/* Write the site into o->dir: index.html, ID/index.html for each
 * statement, feed.atom, statements.json, and group/KEY/index.html and
 * group/KEY/feed.atom for each group and area (of the directory, and any
 * other a statement is assigned to).  Each file is replaced whole
 * (a reader never sees half of one), and only when its content changed.
 * FALSE with *err: G_FILE_ERROR for a file that cannot be written, a
 * STORE_ERROR for the database. */
gboolean publish_site(struct store *st, const struct publish_options *o,
                      struct publish_summary *sum, GError **err);

/* Text from mail made safe for HTML and XML: invalid UTF-8 replaced by
 * U+FFFD, control and bidirectional-override characters made spaces or
 * dropped (line ends and tabs kept when lines), then & < > " ' escaped. */
char   *publish_escape(const char *text, gboolean lines);

/* "overdue by 3 days", "due today", "due in 5 days" for a deadline seen on
 * today (both YYYY-MM-DD); NULL when either is not a day. */
char   *publish_due(const char *deadline, const char *today);

#endif
