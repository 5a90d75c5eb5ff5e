/*
 * directory.h: who is who: the IETF's groups, areas and officers, and the
 * peers (standards bodies) with their liaison managers, read from the JSON
 * directory in conf/.  Names of groups and peers are matched with PCRE2
 * patterns compiled when the directory is loaded.
 */
#ifndef LIAISON_DIRECTORY_H
#define LIAISON_DIRECTORY_H

#include <glib.h>

/* Each entry begins with its key: directory.c looks all three up alike. */
struct dir_area {
    char   *key;                /* "rtg" */
    char   *name;               /* "Routing Area" */
    char   *ads;                /* address of the area directors */
    GPtrArray *people;          /* char*: the ADs' own addresses (may give
                                   commands by mail for ads); empty when the
                                   file lists none */
};

struct dir_group {
    char   *key;                /* "ccamp" */
    char   *name;
    char   *area;               /* area key */
    char   *list;
    char   *chairs;
    GPtrArray *people;          /* char*: the chairs' own addresses (may give
                                   commands by mail for chairs); empty when
                                   the file lists none */
};

struct dir_peer {
    char   *key;                /* "itu-t-sg15" */
    char   *name;
    GPtrArray *aka;             /* char* */
    GPtrArray *domains;         /* char* */
    char   *liaison_manager;
    GPtrArray *people;          /* char*: who may act for liaison_manager */
};

struct directory;

/* Load and compile a directory file; NULL with *err on any error, naming
 * the file, the member's path ("groups.ccamp.list") and what is wrong: an
 * unknown member, a wrong type, a missing required member, an unknown
 * area.  The schema is in liaisond.conf(5), THE DIRECTORY FILE. */
struct directory *directory_load(const char *path, GError **err);
void    directory_free(struct directory *d);

/* TRUE when addr is an intake address (liaisons@, or liaisons+TAG@). */
gboolean directory_is_intake(const struct directory *d, const char *addr);
/* TRUE when addr is at the IETF's own domain: an intake address's, the
 * IESG's, the chair's or the secretariat's. */
gboolean directory_is_own_domain(const struct directory *d, const char *addr);
/* TRUE when addr is at the IETF's own domain or a host below it
 * ("root@mail.ietf.org"); never "evilietf.org". */
gboolean directory_is_own_or_below(const struct directory *d, const char *addr);
/* The first intake address the directory lists (lower case), or NULL. */
const char *directory_first_intake(const struct directory *d);
/* The i-th intake address the directory lists (lower case), NULL past
 * the last. */
const char *directory_intake_at(const struct directory *d, guint i);
const char *directory_iesg(const struct directory *d);
const char *directory_chair(const struct directory *d);

/* Append to keys (const char *, the directory's own) the key of every
 * group, then of every area, in the file's order. */
void    directory_keys(const struct directory *d, GPtrArray *keys);
/* TRUE when one of groups (assignee keys, as a statement holds them) is
 * key, or, key being an area, is a group of that area (any case); d NULL
 * knows no areas. */
gboolean directory_assigns(const struct directory *d, const GPtrArray *groups,
                           const char *key);
const struct dir_group *directory_group(const struct directory *d, const char *key);
const struct dir_area *directory_area(const struct directory *d, const char *key);
const struct dir_peer *directory_peer(const struct directory *d, const char *key);
/* Append to keys (const char *, the directory's own) the key of every
 * group and area a phrase names ("IETF CCAMP WG", "Common Control and
 * Measurement Plane", "IETF Routing Area", "IETF CCAMP and DetNet WGs"), in
 * the order the phrase names them; of names that overlap, the longest
 * that starts first. */
void    directory_match_bodies(const struct directory *d, const char *phrase,
                               GPtrArray *keys);
/* The group whose list or chairs address is addr, or NULL. */
const struct dir_group *directory_group_by_addr(const struct directory *d, const char *addr);
/* The area whose ADs address is addr, or NULL. */
const struct dir_area *directory_area_by_addr(const struct directory *d, const char *addr);
/* The peer named by a body name or aka, or NULL; of several, the one
 * with the longest name in it. */
const struct dir_peer *directory_peer_by_name(const struct directory *d, const char *name);
/* The first peer that owns the mail domain of addr, or NULL. */
const struct dir_peer *directory_peer_by_addr(const struct directory *d, const char *addr);
/* Whether addr's mail domain is one of p's domains (or below one). */
gboolean directory_peer_owns(const struct dir_peer *p, const char *addr);

/* Whether person (an address) may act for role_addr, an address routed
 * to: it is role_addr itself, or one of the "people" of the group whose
 * chairs or the area whose ADs role_addr is. */
gboolean directory_speaks_for(const struct directory *d, const char *role_addr,
                              const char *person);

#endif
