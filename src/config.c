/*
 * config.c: the liaisond.conf(5) loader.
 *
 * Every setting is one row of config_keys[]: its name, type, where it lives
 * in struct config, its default (as the text a file would hold, so that
 * defaults go through the same parser as files do) and a line of help.  The
 * loader, the -n dump and the help text all walk that one table.
 *
 * The syntax follows Postfix's main.cf, which mail admins already know:
 * "key = value", a line whose first non-blank character is # is a comment,
 * a line that starts with white space continues the previous one.  Unlike
 * main.cf, an unknown or repeated key is an error, because a typo in a
 * milter's configuration would otherwise silently route mail elsewhere.
 *
 * Relative paths: "directory" is read from beside the configuration file
 * (it ships with it); the files liaisond writes (database, spool, pid file,
 * socket) are taken from the working directory at start.  Both are made
 * absolute at load time because the daemon later changes directory.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config_file.h"
#include "directory.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif

/* Largest configuration file read: it is a handful of lines. */
#define CONFIG_FILE_MAX (1024 * 1024)

#define CONFIG_ERROR (config_error_quark())

/* The error domain of configuration errors. */
static GQuark
config_error_quark(void)
{
    return g_quark_from_static_string("liaison-config-error");
}

enum config_type {
    CT_STRING,                  /* free text */
    CT_PATH,                    /* a file liaisond writes: relative to cwd */
    CT_CONFPATH,                /* a file shipped beside the config file */
    CT_SOCKET,                  /* unix:PATH, local:PATH, inet:PORT[@HOST] */
    CT_INT,                     /* 0 .. INT_MAX */
    CT_SIZE,                    /* bytes, with an optional k/M/G suffix */
    CT_BOOL,                    /* yes/no, on/off, true/false, 1/0 */
    CT_LIST,                    /* words separated by commas or blanks */
};

struct config_key {
    const char *name;
    enum config_type type;
    size_t  offset;             /* of the field in struct config */
    const char *def;            /* default, as file text */
    const char *help;
};

#define OFF(field) offsetof(struct config, field)

static const struct config_key config_keys[] = {
    { "socket", CT_SOCKET, OFF(socket),
      "unix:" LOCALSTATEDIR "/run/liaisond/liaisond.sock",
      "milter socket: unix:PATH, inet:PORT@127.0.0.1 or inet6:PORT@::1" },
    { "intake", CT_LIST, OFF(intake), "",
      "intake addresses (liaisons@...); liaisons+TAG@... counts too; "
      "the directory's intake addresses are added" },
    { "database", CT_PATH, OFF(database),
      LOCALSTATEDIR "/lib/liaisond/liaison.db", "SQLite database file" },
    { "directory", CT_CONFPATH, OFF(directory),
      SYSCONFDIR "/liaisond/directory.json",
      "directory of groups, areas and peers (JSON)" },
    { "spool_dir", CT_PATH, OFF(spool_dir),
      LOCALSTATEDIR "/spool/liaisond",
      "where messages larger than spool_memory_max spill to temp files" },
    { "spool_memory_max", CT_SIZE, OFF(spool_memory_max), "1M",
      "bytes of one message kept in memory before spilling to a file" },
    { "message_max", CT_SIZE, OFF(message_max), "100M",
      "largest intake message; a larger one is refused (552)" },
    { "user", CT_STRING, OFF(user), "",
      "user to run as after opening the socket (empty: do not change)" },
    { "pidfile", CT_PATH, OFF(pidfile), "",
      "file holding the daemon's process id (empty: none)" },
    { "subject_tag", CT_BOOL, OFF(subject_tag), "yes",
      "prefix \"[LS n] \" to the Subject of routed statements" },
    { "busy_timeout_ms", CT_INT, OFF(busy_timeout_ms), "5000",
      "how long a database write waits for a lock, in milliseconds" },
    { "mail_from", CT_STRING, OFF(mail_from), "",
      "From of the mail the tool sends, where answers go (empty: the first intake address)" },
    { "mail_from_name", CT_STRING, OFF(mail_from_name), "IETF Liaison Statements",
      "display name of that From" },
    { "base_url", CT_STRING, OFF(base_url), "http://localhost/liaison/",
      "a statement's web page is this URL followed by its id" },
    { "hostname", CT_STRING, OFF(hostname), "",
      "name used in Message-IDs and X-Liaison-Loop (empty: this host's name)" },
    { "notify", CT_BOOL, OFF(notify), "yes",
      "mail the assignee (copying the routed recipients) when a statement arrives" },
    { "acknowledge", CT_BOOL, OFF(acknowledge), "yes",
      "mail the response contact an acknowledgement when a statement arrives" },
    { "ack_per_day", CT_INT, OFF(ack_per_day), "5",
      "at most this many acknowledgements to one address per day" },
    { "answer_per_day", CT_INT, OFF(answer_per_day), "50",
      "at most this many answers to commands by mail (and bounce reports) to one address per day" },
    { "authserv_id", CT_STRING, OFF(authserv_id), "",
      "commands by mail also need this server's Authentication-Results to pass the From (empty: not asked)" },
    { "relay_host", CT_STRING, OFF(relay_host), "127.0.0.1",
      "SMTP relay that delivers the mail the tool sends" },
    { "relay_port", CT_INT, OFF(relay_port), "25", "its port" },
    { "relay_starttls", CT_BOOL, OFF(relay_starttls), "no",
      "require STARTTLS with the relay" },
    { "relay_tls_verify", CT_BOOL, OFF(relay_tls_verify), "yes",
      "with STARTTLS, defer the mail unless the relay's certificate verifies" },
    { "relay_ca_file", CT_CONFPATH, OFF(relay_ca_file), "",
      "PEM file of the CAs trusted for the relay (empty: the system's store)" },
    { "relay_tls_name", CT_STRING, OFF(relay_tls_name), "",
      "name the relay's certificate must carry (empty: relay_host)" },
    { "relay_user", CT_STRING, OFF(relay_user), "",
      "AUTH user for the relay (empty: no AUTH)" },
    { "relay_password", CT_STRING, OFF(relay_password), "", "AUTH password" },
    { "tickle_before", CT_STRING, OFF(tickle_before), "14,7,3,1,0",
      "reminders this many days before a deadline (0..3650, by commas or "
      "blanks; checked by liaisond -n and liaisonctl tickle; empty: none)" },
    { "tickle_overdue_interval", CT_INT, OFF(tickle_overdue_interval), "7",
      "days between reminders once a deadline has passed (at most 3650)" },
    { "tickle_no_deadline_age", CT_INT, OFF(tickle_no_deadline_age), "30",
      "age in days at which For Action/Comment statements without a deadline are tickled "
      "(at most 3650)" },
    { "sender", CT_BOOL, OFF(sender), "yes",
      "liaisond delivers queued mail itself (else run liaisonctl flush from cron)" },
    { "sender_interval", CT_INT, OFF(sender_interval), "60",
      "seconds between the sender's rounds (new mail wakes it at once)" },
};

#define N_KEYS (sizeof config_keys / sizeof config_keys[0])

/* The address of a key's field in a configuration. */
static void *
config_field(struct config *cfg, const struct config_key *k)
{
    return (char *) cfg + k->offset;
}

/* The row for a key name, or NULL. */
static const struct config_key *
config_find_key(const char *name)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(config_keys[i].name, name) == 0)
            return &config_keys[i];
    return NULL;
}

/* Parse a byte count with an optional binary suffix (k, M, G). */
static gboolean
config_parse_size(const char *text, size_t *out)
{
    char   *end;
    unsigned long long n;
    unsigned long long mult = 1;

    if (!isdigit((unsigned char) *text))
        return FALSE;
    errno = 0;
    n = strtoull(text, &end, 10);
    if (errno != 0)
        return FALSE;
    switch (*end) {
    case '\0': break;
    case 'k': case 'K': mult = 1024ULL; end++; break;
    case 'm': case 'M': mult = 1024ULL * 1024; end++; break;
    case 'g': case 'G': mult = 1024ULL * 1024 * 1024; end++; break;
    default: return FALSE;
    }
    if (*end == 'b' || *end == 'B')
        end++;
    if (*end != '\0' || n > SIZE_MAX / mult)
        return FALSE;
    *out = (size_t) (n * mult);
    return TRUE;
}

/* Parse a non-negative int. */
static gboolean
config_parse_int(const char *text, int *out)
{
    char   *end;
    long    n;

    if (!isdigit((unsigned char) *text))
        return FALSE;
    errno = 0;
    n = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || n > INT_MAX)
        return FALSE;
    *out = (int) n;
    return TRUE;
}

/* Parse a boolean in the spellings admins use. */
static gboolean
config_parse_bool(const char *text, bool *out)
{
    static const char *yes[] = { "yes", "on", "true", "1" };
    static const char *no[] = { "no", "off", "false", "0" };

    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (g_ascii_strcasecmp(text, yes[i]) == 0) {
            *out = true;
            return TRUE;
        }
        if (g_ascii_strcasecmp(text, no[i]) == 0) {
            *out = false;
            return TRUE;
        }
    }
    return FALSE;
}

/* Split a list on commas and white space, dropping empty words. */
static char **
config_parse_list(const char *text)
{
    GPtrArray *words = g_ptr_array_new();
    const char *p = text;

    while (*p != '\0') {
        const char *start;

        while (*p == ',' || g_ascii_isspace(*p))
            p++;
        start = p;
        while (*p != '\0' && *p != ',' && !g_ascii_isspace(*p))
            p++;
        if (p > start)
            g_ptr_array_add(words, g_strndup(start, (gsize) (p - start)));
    }
    g_ptr_array_add(words, NULL);
    return (char **) g_ptr_array_free(words, FALSE);
}

/* Where relative paths are taken from when it is not the working
 * directory: the one a daemon started in, before it moved to "/".  Set
 * once, before any thread (config_set_start_dir). */
static char *start_dir;

/* Take relative paths from dir from now on (NULL: the working directory). */
void
config_set_start_dir(const char *dir)
{
    g_free(start_dir);
    start_dir = dir != NULL ? g_strdup(dir) : NULL;
}

/* A path made absolute against base (NULL: the start directory, else the
 * working directory), with "." and ".." folded away. */
static char *
config_absolute(const char *path, const char *base)
{
    if (*path == '\0')
        return g_strdup(path);
    return g_canonicalize_filename(path, base != NULL ? base : start_dir);
}

/* Check a milter socket specification; a relative unix path is made
 * absolute.  NULL with *why when it is not one libmilter understands. */
static char *
config_parse_socket(const char *text, const char **why)
{
    const char *colon = strchr(text, ':');
    const char *rest;

    if (colon == NULL) {
        *why = "expected unix:PATH or inet:PORT@HOST";
        return NULL;
    }
    rest = colon + 1;
    if (strncmp(text, "unix:", 5) == 0 || strncmp(text, "local:", 6) == 0) {
        char   *path;
        char   *spec;

        if (*rest == '\0') {
            *why = "unix socket without a path";
            return NULL;
        }
        path = config_absolute(rest, NULL);
        /* libmilter refuses a path that does not fit a sockaddr_un, and
         * says why only in syslog: the start would fail as "in use, or
         * not allowed" with -n having passed it. */
        if (strlen(path) >= sizeof ((struct sockaddr_un *) NULL)->sun_path) {
            g_free(path);
            *why = "the path is too long for a unix socket (at most 107 bytes,"
                   " once made absolute)";
            return NULL;
        }
        spec = g_strdup_printf("unix:%s", path);
        g_free(path);
        return spec;
    }
    if (strncmp(text, "inet:", 5) == 0 || strncmp(text, "inet6:", 6) == 0) {
        char   *end;
        long    port;

        errno = 0;
        port = strtol(rest, &end, 10);
        if (end == rest || errno != 0 || port < 1 || port > 65535
            || (*end != '\0' && *end != '@') || (*end == '@' && end[1] == '\0')) {
            *why = "expected inet:PORT@HOST with a port 1..65535";
            return NULL;
        }
        /* libmilter would listen on every interface: the milter protocol
         * has no authentication, so that is never what is meant. */
        if (*end == '\0') {
            *why = "no @HOST: libmilter would listen on every interface; "
                   "name one, e.g. inet:PORT@127.0.0.1";
            return NULL;
        }
        return g_strdup(text);
    }
    *why = "expected unix:PATH or inet:PORT@HOST";
    return NULL;
}

/* Whether k is a path that may not be empty: an empty database path would
 * be SQLite's private temporary database, every statement "recorded"
 * there gone at exit; an empty directory or spool folder means nothing. */
static gboolean
config_path_required(const struct config_key *k)
{
    return strcmp(k->name, "database") == 0 || strcmp(k->name, "directory") == 0
        || strcmp(k->name, "spool_dir") == 0;
}

/* Store text as the value of k in cfg; paths relative to conf_dir when k
 * is a CT_CONFPATH.  FALSE with *why (a static string) on a bad value. */
static gboolean
config_assign(struct config *cfg, const struct config_key *k,
              const char *text, const char *conf_dir, const char **why)
{
    void   *field = config_field(cfg, k);
    char   *s;

    switch (k->type) {
    case CT_STRING:
        g_free(*(char **) field);
        *(char **) field = g_strdup(text);
        return TRUE;
    case CT_PATH:
    case CT_CONFPATH:
        if (*text == '\0' && config_path_required(k)) {
            *why = "a path is required";
            return FALSE;
        }
        s = config_absolute(text, k->type == CT_CONFPATH ? conf_dir : NULL);
        g_free(*(char **) field);
        *(char **) field = s;
        return TRUE;
    case CT_SOCKET:
        if ((s = config_parse_socket(text, why)) == NULL)
            return FALSE;
        g_free(*(char **) field);
        *(char **) field = s;
        return TRUE;
    case CT_INT:
        *why = "expected a whole number";
        return config_parse_int(text, (int *) field);
    case CT_SIZE:
        *why = "expected a size in bytes, with an optional k, M or G";
        return config_parse_size(text, (size_t *) field);
    case CT_BOOL:
        *why = "expected yes or no";
        return config_parse_bool(text, (bool *) field);
    case CT_LIST:
        g_strfreev(*(char ***) field);
        *(char ***) field = config_parse_list(text);
        return TRUE;
    }
    *why = "unknown type";
    return FALSE;
}

/* Fill cfg with the built-in defaults. */
void
config_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < N_KEYS; i++) {
        const char *why = NULL;

        /* The defaults are ours: a failure here is a bug in the table. */
        if (!config_assign(cfg, &config_keys[i], config_keys[i].def, NULL, &why))
            g_error("config: bad built-in default for %s: %s",
                    config_keys[i].name, why);
    }
}

/* Set one key from text (a command-line override). */
gboolean
config_set(struct config *cfg, const char *key, const char *value, GError **err)
{
    const struct config_key *k = config_find_key(key);
    const char *why = NULL;

    if (k == NULL) {
        g_set_error(err, CONFIG_ERROR, 1, "unknown setting \"%s\"", key);
        return FALSE;
    }
    if (!config_assign(cfg, k, value, NULL, &why)) {
        g_set_error(err, CONFIG_ERROR, 1, "%s = %s: %s", key, value, why);
        return FALSE;
    }
    return TRUE;
}

/* Whether k's value is free text, which may hold " #" (a display name,
 * a password); every other value is a name, a path, a number or a list. */
static gboolean
config_free_text(const struct config_key *k)
{
    return strcmp(k->name, "mail_from_name") == 0 || strcmp(k->name, "relay_password") == 0;
}

/* Apply one logical line (continuations joined); FALSE with *err naming
 * the file and line. */
static gboolean
config_apply_line(struct config *cfg, const char *path, const char *conf_dir,
                  int lineno, const char *line, int *seen, GError **err)
{
    const char *eq = strchr(line, '=');
    const struct config_key *k;
    const char *why = NULL;
    char   *key;
    char   *value;
    gboolean ok;

    if (eq == NULL) {
        g_set_error(err, CONFIG_ERROR, 1, "%s:%d: expected \"key = value\"",
                    path, lineno);
        return FALSE;
    }
    key = g_strstrip(g_strndup(line, (gsize) (eq - line)));
    value = g_strstrip(g_strdup(eq + 1));
    k = config_find_key(key);
    if (k == NULL) {
        g_set_error(err, CONFIG_ERROR, 1, "%s:%d: unknown setting \"%s\"",
                    path, lineno, key);
        ok = FALSE;
    } else if (seen[k - config_keys] != 0) {
        g_set_error(err, CONFIG_ERROR, 1, "%s:%d: \"%s\" is already set on line %d",
                    path, lineno, key, seen[k - config_keys]);
        ok = FALSE;
    } else if (!config_free_text(k) && (strstr(value, " #") != NULL
                                        || strstr(value, "\t#") != NULL)) {
        /* A comment after a value would be read as part of it (a socket
         * path "x.sock   # the socket", a host name); only free text (a
         * display name, a password) may hold one. */
        g_set_error(err, CONFIG_ERROR, 1, "%s:%d: %s = %s: a comment must be on a"
                    " line of its own", path, lineno, key, value);
        ok = FALSE;
    } else if (!config_assign(cfg, k, value, conf_dir, &why)) {
        g_set_error(err, CONFIG_ERROR, 1, "%s:%d: %s = %s: %s",
                    path, lineno, key, value, why);
        ok = FALSE;
    } else {
        seen[k - config_keys] = lineno;
        ok = TRUE;
    }
    g_free(key);
    g_free(value);
    return ok;
}

/* Whether a socket address is this host: 127.0.0.0/8, ::1, or an IPv4
 * loopback address mapped into IPv6. */
gboolean
config_sockaddr_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *) sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *) sa)->sin6_addr;

        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return FALSE;
}

/* A relay on this host: "localhost", or an address literal that
 * config_sockaddr_is_loopback accepts.  A name that merely starts with
 * "127." is a name like any other and may resolve anywhere. */
static gboolean
config_is_loopback(const char *host)
{
    struct addrinfo hints = { 0 }, *res = NULL;
    gboolean lo;

    if (host == NULL)
        return FALSE;
    if (g_ascii_strcasecmp(host, "localhost") == 0)
        return TRUE;
    hints.ai_flags = AI_NUMERICHOST;
    if (getaddrinfo(host, NULL, &hints, &res) != 0)
        return FALSE;
    lo = config_sockaddr_is_loopback(res->ai_addr);
    freeaddrinfo(res);
    return lo;
}

/* SQLite stores at most 1,000,000,000 bytes in one row (SQLITE_MAX_LENGTH's
 * default applies to the whole record), and a statement's raw message is
 * one value of one: a larger message_max would let the MTA hand over mail
 * that can only ever fail.  The margin is for the row's other columns. */
#define MESSAGE_MAX_LIMIT ((size_t) 990000000)

/* Settings that are each valid but wrong together, or out of range. */
static gboolean
config_check(const struct config *cfg, GError **err)
{
    if (cfg->message_max == 0 || cfg->message_max > MESSAGE_MAX_LIMIT) {
        g_set_error(err, CONFIG_ERROR, 1, "%s: message_max = %zu: must be 1 to %zu"
                    " bytes (SQLite's limit for one row, less a margin)", cfg->path,
                    cfg->message_max, MESSAGE_MAX_LIMIT);
        return FALSE;
    }
    if (cfg->sender_interval < 1 || cfg->sender_interval > 86400) {
        g_set_error(err, CONFIG_ERROR, 1, "%s: sender_interval = %d: must be 1 to 86400"
                    " seconds", cfg->path, cfg->sender_interval);
        return FALSE;
    }
    if (cfg->relay_port < 1 || cfg->relay_port > 65535) {
        g_set_error(err, CONFIG_ERROR, 1, "%s: relay_port = %d: must be 1 to 65535",
                    cfg->path, cfg->relay_port);
        return FALSE;
    }
    for (char **a = cfg->intake; a != NULL && *a != NULL; a++) {
        const char *at = strrchr(*a, '@');

        if (at == NULL || at == *a || at[1] == '\0') {
            g_set_error(err, CONFIG_ERROR, 1, "%s: intake = %s: not an address"
                        " (expected local@domain)", cfg->path, *a);
            return FALSE;
        }
    }
    if (cfg->mail_from != NULL && *cfg->mail_from != '\0') {
        const char *mf = cfg->mail_from, *at = strchr(mf, '@');
        size_t  n = strlen(mf);
        gboolean plain = n >= 3 && n <= 254;

        /* The form compose.c puts in a header (a plain local@domain),
         * where anything else would fall back to liaisons@localhost in
         * every mail sent. */
        for (const char *p = mf; plain && *p != '\0'; p++)
            plain = (unsigned char) *p > 0x20 && (unsigned char) *p < 0x7f
                    && strchr("<>()[]\\,;:\"", *p) == NULL;
        /* No '+' either: its VERP senders add one, "local+b.ROW.HASH". */
        if (!plain || at == NULL || at == mf || at[1] == '\0' || at[1] == '.'
            || strchr(at + 1, '@') != NULL || mf[n - 1] == '.'
            || memchr(mf, '+', at - mf) != NULL) {
            g_set_error(err, CONFIG_ERROR, 1, "%s: mail_from = %s: not an address"
                        " (expected local@domain, printable ASCII without quotes,"
                        " brackets, a '+' tag or a trailing dot; the display name is"
                        " mail_from_name)", cfg->path, mf);
            return FALSE;
        }
        /* Replies go to it and bounces to its VERP senders: both must
         * come back to intake. */
        if (cfg->intake != NULL && cfg->intake[0] != NULL
            && !config_is_intake(cfg, NULL, mf, 0)) {
            g_set_error(err, CONFIG_ERROR, 1, "%s: mail_from = %s: not an intake address,"
                        " so the replies and bounces it draws would not come back"
                        " (use one of intake, or leave it empty for the first)",
                        cfg->path, mf);
            return FALSE;
        }
    }
    /* An authserv-id is one token (RFC 8601 section 2.5): a value with a
     * blank, ';' or a comment could never match a field, and every
     * command by mail would be refused without a word why. */
    if (cfg->authserv_id != NULL && *cfg->authserv_id != '\0'
        && strpbrk(cfg->authserv_id, " \t;()\"") != NULL) {
        g_set_error(err, CONFIG_ERROR, 1, "%s: authserv_id = %s: not an authserv-id (one"
                    " token, as the MTA writes before the first ';' of its"
                    " Authentication-Results, e.g. mx.example.org)", cfg->path, cfg->authserv_id);
        return FALSE;
    }
    /* AUTH PLAIN and LOGIN carry the password in clear: over a network
     * only inside TLS. */
    if (cfg->relay_user != NULL && *cfg->relay_user != '\0' && !cfg->relay_starttls
        && !config_is_loopback(cfg->relay_host)) {
        g_set_error(err, CONFIG_ERROR, 1, "%s: relay_user is set but relay_starttls is"
                    " not: AUTH would send the password in clear to %s (set"
                    " relay_starttls = yes)", cfg->path, cfg->relay_host);
        return FALSE;
    }
    /* A CA or a name for the relay's certificate means TLS is wanted;
     * without relay_starttls the mail would go in clear regardless. */
    const char *tls_key = cfg->relay_ca_file != NULL && *cfg->relay_ca_file != '\0'
        ? "relay_ca_file"
        : cfg->relay_tls_name != NULL && *cfg->relay_tls_name != '\0' ? "relay_tls_name"
                                                                      : NULL;
    if (!cfg->relay_starttls && tls_key != NULL) {
        g_set_error(err, CONFIG_ERROR, 1, "%s: %s is set but relay_starttls is not:"
                    " the relay's certificate would never be asked for (set"
                    " relay_starttls = yes)", cfg->path, tls_key);
        return FALSE;
    }
    return TRUE;
}

/* Read path over the defaults. */
struct config *
config_load(const char *path, GError **err)
{
    struct config *cfg = g_new0(struct config, 1);
    int     seen[N_KEYS] = { 0 };
    char   *text = NULL;
    gsize   len = 0;
    char  **lines = NULL;
    char   *abs_path = NULL;
    char   *conf_dir = NULL;
    GString *logical = g_string_new(NULL);
    int     logical_line = 0;
    GError *e = NULL;

    config_defaults(cfg);
    abs_path = config_absolute(path, NULL);
    conf_dir = g_path_get_dirname(abs_path);
    cfg->path = g_strdup(path);
    if (!g_file_get_contents(abs_path, &text, &len, &e)) {
        g_set_error(err, CONFIG_ERROR, 1, "%s: %s", path, e->message);
        g_error_free(e);
        goto fail;
    }
    if (len > CONFIG_FILE_MAX || memchr(text, '\0', len) != NULL) {
        g_set_error(err, CONFIG_ERROR, 1, "%s: not a configuration file "
                    "(NUL bytes, or larger than %d bytes)", path, CONFIG_FILE_MAX);
        goto fail;
    }
    lines = g_strsplit(text, "\n", -1);
    /* One pass over physical lines; a logical line is applied when the
     * next one does not continue it. */
    for (int i = 0; ; i++) {
        const char *raw = lines[i];
        char   *line = raw != NULL ? g_strdup(raw) : NULL;
        const char *p;

        if (line != NULL) {
            g_strchomp(line);   /* trailing blanks and the \r of CRLF files */
            for (p = line; *p == ' ' || *p == '\t'; p++)
                ;
            if (*p == '#' || *p == '\0') {
                g_free(line);
                continue;
            }
            if (p != line && logical_line != 0) {
                /* "  socket = ..." indented by mistake would be glued to
                 * the line above and fail there, or worse, not fail. */
                const char *eq = strchr(p, '=');
                g_autofree char *word = eq != NULL
                    ? g_strstrip(g_strndup(p, (gsize) (eq - p))) : NULL;

                if (word != NULL && config_find_key(word) != NULL) {
                    g_set_error(err, CONFIG_ERROR, 1, "%s:%d: \"%s = ...\" is indented,"
                                " so it would continue line %d; start it at the"
                                " beginning of the line", path, i + 1, word, logical_line);
                    g_free(line);
                    goto fail;
                }
                g_string_append_c(logical, ' ');
                g_string_append(logical, p);
                g_free(line);
                continue;
            }
            if (p != line) {
                g_set_error(err, CONFIG_ERROR, 1, "%s:%d: continuation line "
                            "with nothing to continue", path, i + 1);
                g_free(line);
                goto fail;
            }
        }
        if (logical_line != 0 &&
            !config_apply_line(cfg, path, conf_dir, logical_line, logical->str,
                               seen, err)) {
            g_free(line);
            goto fail;
        }
        if (line == NULL)
            break;
        g_string_assign(logical, line);
        logical_line = i + 1;
        g_free(line);
    }
    if (!config_check(cfg, err))
        goto fail;
    g_strfreev(lines);
    g_free(text);
    g_free(abs_path);
    g_free(conf_dir);
    g_string_free(logical, TRUE);
    return cfg;

fail:
    g_strfreev(lines);
    g_free(text);
    g_free(abs_path);
    g_free(conf_dir);
    g_string_free(logical, TRUE);
    config_free(cfg);
    return NULL;
}

/* Release a configuration. */
void
config_free(struct config *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < N_KEYS; i++) {
        void   *field = config_field(cfg, &config_keys[i]);

        switch (config_keys[i].type) {
        case CT_STRING: case CT_PATH: case CT_CONFPATH: case CT_SOCKET:
            g_free(*(char **) field);
            break;
        case CT_LIST:
            g_strfreev(*(char ***) field);
            break;
        default:
            break;
        }
    }
    g_free(cfg->path);
    g_free(cfg);
}

/* A key's current value as file text (caller frees). */
static char *
config_value_text(const struct config *cfg, const struct config_key *k)
{
    const void *field = (const char *) cfg + k->offset;

    switch (k->type) {
    case CT_STRING: case CT_PATH: case CT_CONFPATH: case CT_SOCKET:
        return g_strdup(*(char *const *) field);
    case CT_INT:
        return g_strdup_printf("%d", *(const int *) field);
    case CT_SIZE:
        return g_strdup_printf("%zu", *(const size_t *) field);
    case CT_BOOL:
        return g_strdup(*(const bool *) field ? "yes" : "no");
    case CT_LIST:
        return g_strjoinv(", ", *(char **const *) field);
    }
    return g_strdup("");
}

/* Write every key with its current value; a password shows only whether
 * it is set (this output ends up in terminals, tickets and mail). */
void
config_dump(const struct config *cfg, FILE *out)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        char   *v = config_value_text(cfg, &config_keys[i]);

        if (strcmp(config_keys[i].name, "relay_password") == 0 && *v != '\0')
            fprintf(out, "%s = (set, not shown)\n", config_keys[i].name);
        else
            fprintf(out, "%s = %s\n", config_keys[i].name, v);
        g_free(v);
    }
}

/* The name of a type, as the help and the man page say it. */
static const char *
config_type_name(enum config_type t)
{
    switch (t) {
    case CT_STRING: return "string";
    case CT_PATH: case CT_CONFPATH: return "path";
    case CT_SOCKET: return "socket";
    case CT_INT: return "integer";
    case CT_SIZE: return "size";
    case CT_BOOL: return "boolean";
    case CT_LIST: return "list";
    }
    return "?";
}

/* Write the table of keys. */
void
config_describe(FILE *out)
{
    for (size_t i = 0; i < N_KEYS; i++)
        fprintf(out, "  %-17s %-8s default \"%s\"\n      %s\n",
                config_keys[i].name, config_type_name(config_keys[i].type),
                config_keys[i].def, config_keys[i].help);
}

/* The bare address of an RCPT TO path as the client typed it, lower-cased:
 * blanks and <> removed, an RFC 5321 source route ("@relay:") dropped, a
 * quoted local part unquoted and one trailing dot after a domain dropped,
 * as Postfix's trivial-rewrite does before it delivers, so that
 * <"liaisons"@ietf.test>, <@mx.ietf.test:liaisons@ietf.test> and
 * <liaisons@ietf.test.> are liaisons@ietf.test. */
char *
config_bare_address(const char *addr)
{
    char   *a = g_strstrip(g_strdup(addr));
    size_t  n = strlen(a);
    char   *p, *colon, *at, *lower;

    if (n >= 2 && a[0] == '<' && a[n - 1] == '>') {
        memmove(a, a + 1, n - 2);
        a[n - 2] = '\0';
    }
    g_strstrip(a);
    if (a[0] == '@' && (colon = strchr(a, ':')) != NULL)
        memmove(a, colon + 1, strlen(colon + 1) + 1);
    if (a[0] == '"') {
        GString *u = g_string_new(NULL);

        for (p = a + 1; *p != '\0' && *p != '"'; p++) {
            if (*p == '\\' && p[1] != '\0')
                p++;
            g_string_append_c(u, *p);
        }
        if (*p == '"') {
            g_string_append(u, p + 1);
            g_free(a);
            a = g_string_free(u, FALSE);
        } else {
            g_string_free(u, TRUE);     /* unbalanced: left as written */
        }
    }
    lower = g_ascii_strdown(a, -1);
    g_free(a);
    n = strlen(lower);
    at = strrchr(lower, '@');
    if (at != NULL && n >= 2 && (size_t) (at - lower) + 2 < n
        && lower[n - 1] == '.' && lower[n - 2] != '.')
        lower[n - 1] = '\0';
    return lower;
}

/* The i-th intake address, the configured ones first and then the
 * directory's; NULL past the last. */
static const char *
intake_nth(const struct config *cfg, const struct directory *dir, guint i)
{
    guint   n = cfg->intake != NULL ? g_strv_length(cfg->intake) : 0;

    if (i < n)
        return cfg->intake[i];
    return dir != NULL ? directory_intake_at(dir, i - n) : NULL;
}

/* TRUE when bare (a bare address, lower-cased) or its form without a
 * +TAG is one of the configured or the directory's intake addresses. */
static gboolean
config_intake_match(const struct config *cfg, const struct directory *dir,
                    const char *bare)
{
    g_autofree char *plain = NULL;      /* bare without its +TAG */
    const char *at = strrchr(bare, '@');
    const char *plus = strchr(bare, '+');

    if (at != NULL && plus != NULL && plus < at)
        plain = g_strdup_printf("%.*s%s", (int) (plus - bare), bare, at);
    for (char **p = cfg->intake; p != NULL && *p != NULL; p++)
        if (g_ascii_strcasecmp(*p, bare) == 0
            || (plain != NULL && g_ascii_strcasecmp(*p, plain) == 0))
            return TRUE;
    return dir != NULL && directory_is_intake(dir, bare);
}

/* TRUE when addr is an intake address (see config_file.h for how).
 * - CONFIG_INTAKE_PERCENT: user%domain@host, where host is an intake
 *   address's domain, is user@domain, as Postfix's percent hack
 *   (allow_percent_hack, on by default) delivers it.  At another host
 *   Postfix relays it as it is.  Without the flag, a % in the local part
 *   is never intake: the tag rule must not read liaisons+x%other@ours as
 *   liaisons@ours.
 * - CONFIG_INTAKE_LOCAL: a path with no domain is intake when it is an
 *   intake address's local part (Sendmail's {rcpt_addr} for its local
 *   mailer has no domain; a typed path gets one from the MTA after the
 *   milter has answered). */
gboolean
config_is_intake(const struct config *cfg, const struct directory *dir,
                 const char *addr, unsigned how)
{
    g_autofree char *bare = NULL;
    const char *a;
    char   *at, *pct;

    if (addr == NULL)
        return FALSE;
    bare = config_bare_address(addr);
    at = strrchr(bare, '@');
    if (at != NULL) {
        const char *host = at + 1;

        *at = '\0';
        pct = strrchr(bare, '%');
        if (pct == NULL) {
            *at = '@';
            return config_intake_match(cfg, dir, bare);
        }
        if (!(how & CONFIG_INTAKE_PERCENT) || *host == '\0')
            return FALSE;
        for (guint i = 0; (a = intake_nth(cfg, dir, i)) != NULL; i++) {
            const char *d = strrchr(a, '@');

            if (d != NULL && g_ascii_strcasecmp(d + 1, host) == 0) {
                *pct = '@';
                return strchr(bare, '%') == NULL && config_intake_match(cfg, dir, bare);
            }
        }
        return FALSE;
    }
    if (!(how & CONFIG_INTAKE_LOCAL) || *bare == '\0' || strchr(bare, '%') != NULL)
        return FALSE;
    for (guint i = 0; (a = intake_nth(cfg, dir, i)) != NULL; i++) {
        const char *d = strrchr(a, '@');
        g_autofree char *full = NULL;

        if (d == NULL)
            continue;
        full = g_strconcat(bare, d, NULL);
        if (config_intake_match(cfg, dir, full))
            return TRUE;
    }
    return FALSE;
}

