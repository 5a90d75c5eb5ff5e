/*
 * config_file.h: liaisond's configuration, liaisond.conf(5).
 *
 * "key = value" lines read by a generic loader from a declarative table
 * (config.c), so that adding a setting is one table row, and the man page,
 * the defaults and the parser cannot drift apart.  The header is not
 * called config.h because that name belongs to autoconf's generated
 * header, which every source file includes first.
 */
#ifndef LIAISON_CONFIG_FILE_H
#define LIAISON_CONFIG_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <glib.h>

struct directory;

struct config {
    char   *path;               /* the file read, NULL for built-in defaults */
    char   *socket;             /* milter socket: unix:PATH or inet:PORT@HOST */
    char  **intake;             /* intake addresses, NULL-terminated */
    char   *database;           /* SQLite file */
    char   *directory;          /* directory JSON file */
    char   *spool_dir;          /* where large messages spill to temp files */
    size_t  spool_memory_max;   /* bytes of a message kept in memory */
    size_t  message_max;        /* largest message accepted for intake */
    char   *user;               /* run as this user ("" = do not change) */
    char   *pidfile;            /* "" = none */
    bool    subject_tag;        /* prefix "[LS n] " to the Subject */
    int     busy_timeout_ms;    /* SQLite busy timeout */
    /* Mail the tool sends (notifications, acknowledgements, reminders). */
    char   *mail_from;          /* From and reply address ("" = first intake) */
    char   *mail_from_name;
    char   *base_url;           /* a statement's page is base_url + id */
    char   *hostname;           /* for Message-IDs and EHLO ("" = this host) */
    bool    notify;             /* send the notification on arrival */
    bool    acknowledge;        /* send the acknowledgement on arrival */
    int     ack_per_day;        /* acknowledgements per address per day */
    int     answer_per_day;     /* answers to commands by mail per address per day */
    char   *authserv_id;        /* "" = commands need no Authentication-Results */
    char   *relay_host;
    int     relay_port;
    bool    relay_starttls;
    bool    relay_tls_verify;   /* defer unless the certificate verifies */
    char   *relay_ca_file;      /* "" = the system's trusted CAs */
    char   *relay_tls_name;     /* "" = relay_host */
    char   *relay_user;         /* "" = no AUTH */
    char   *relay_password;
    char   *tickle_before;      /* "14,7,3,1,0" */
    int     tickle_overdue_interval;    /* days */
    int     tickle_no_deadline_age;     /* days */
    bool    sender;             /* liaisond delivers the outbox itself */
    int     sender_interval;    /* seconds between its rounds */
};

/* Fill cfg with the built-in defaults (cfg is overwritten, not freed). */
void    config_defaults(struct config *cfg);
/* Take relative paths (the file's own, and those in it or given to
 * config_set) from dir rather than the working directory, which a daemon
 * leaves when it detaches: a reload must find the same files.  NULL: the
 * working directory again.  Call before any thread. */
void    config_set_start_dir(const char *dir);
/* Read path over the defaults into a new configuration; NULL with *err
 * set ("FILE:LINE: what is wrong") on any error. */
struct config *config_load(const char *path, GError **err);
/* Set one key from text, as a file line would (for command-line
 * overrides); FALSE with *err set when the key or value is bad. */
gboolean config_set(struct config *cfg, const char *key, const char *value,
                    GError **err);
/* Release a configuration; NULL is fine. */
void    config_free(struct config *cfg);
/* Write every key with its current value, as a valid file (for -n). */
void    config_dump(const struct config *cfg, FILE *out);
/* Write the table of keys with their type, default and help (for the man
 * page and -h). */
void    config_describe(FILE *out);

/* Whether a socket address is this host (127.0.0.0/8, ::1, or IPv4
 * loopback mapped into IPv6): where a relay may get AUTH without TLS. */
struct sockaddr;
gboolean config_sockaddr_is_loopback(const struct sockaddr *sa);
/* An address as an MTA delivers it, lower case: <> and blanks removed, a
 * source route dropped, a quoted local part unquoted, one trailing dot
 * after the domain dropped (g_free). */
char   *config_bare_address(const char *addr);
/* How loosely config_is_intake reads an address (flags). */
#define CONFIG_INTAKE_PERCENT 1u    /* local%domain@host at an intake domain */
#define CONFIG_INTAKE_LOCAL   2u    /* no domain: an intake address's local part */
/* TRUE when addr (an RCPT path as typed, or the MTA's {rcpt_addr}) is an
 * intake address: one of cfg->intake, or the same with a +TAG after the
 * local part, or an intake address of the directory dir (may be NULL),
 * once unquoted, without a source route or a domain's trailing dot, in
 * any case; and, as how allows, local%domain@host when host is an intake
 * domain, or a path with no domain whose local part is an intake
 * address's.  A local part with a % is intake only through the first. */
gboolean config_is_intake(const struct config *cfg, const struct directory *dir,
                          const char *addr, unsigned how);

#endif
