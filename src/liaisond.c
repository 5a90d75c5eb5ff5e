/*
 * liaisond.c: the milter daemon's main: options, configuration, socket,
 * privileges, pid file, signals; the callbacks are in milter.c.
 *
 * Signals.  libmilter's own signal thread treats SIGHUP like SIGTERM: it
 * stops the milter.  A reload must not drop a connection, so smfi_main runs
 * in a thread of its own with SIGHUP, SIGTERM and SIGINT blocked, and the
 * main thread keeps them unblocked with handlers that only write a byte to
 * a pipe.  Linux hands a process-wide signal to the main thread first when
 * that thread does not block it and has no other signal waiting, so these
 * signals reach our handlers, not libmilter's sigwait().  The handlers run
 * with SA_NODEFER: by default a signal is blocked while its own handler
 * runs, and a second SIGHUP in that moment went to libmilter, which
 * stopped (tests/daemon.sh sends bursts of them).  The handlers are in
 * place from the start, before any setting is read: a SIGHUP while the
 * daemon starts (systemd counts it started at exec) would otherwise end
 * it.  The main thread reloads on SIGHUP (the new settings apply to the
 * messages that start afterwards), and on SIGTERM tells the outbox sender
 * to stop, waits for the messages in hand while libmilter still serves
 * them, then calls smfi_stop() and exits.
 *
 * Order at start: what can fail, the configuration, a daemon already
 * running, the socket, the user to run as, is checked before the daemon
 * detaches, so that an admin sees the error on the terminal and the start
 * command fails; the pid and the outbox sender come after, and the start
 * command waits for them and exits with their status.  The pid file is
 * locked and the socket made while still root, neither through a symbolic
 * link; the privileges are dropped before the daemon detaches and before
 * any mail is read.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "config_file.h"
#include "directory.h"
#include "log.h"
#include "message.h"
#include "milter.h"
#include "sender.h"
#include "store.h"
#include "tickle.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SYSCONFDIR "/liaisond/liaisond.conf"

/* How long SIGTERM waits for the messages in hand. */
#define STOP_GRACE_SECONDS 30
/* How long from the SIGTERM the outbox sender, told to stop at once, may
 * take to finish the delivery in hand, the milter's drain included: inside
 * systemd's stop timeout of 45 s (contrib's unit). */
#define STOP_BUDGET_S 38

/* What the command line asked for. */
struct options {
    const char *config_path;
    const char *socket;         /* -p */
    const char *database;       /* -d */
    gboolean foreground;
    gboolean check_only;
    gboolean verbose;
};

static int signal_pipe[2] = { -1, -1 };

/* The pid file, open and locked (flock) for the daemon's whole life: the
 * lock, not the file's existence, says that a daemon runs. */
static int pidfile_fd = -1;

/* Print the usage line to out; full adds the options and every
 * configuration key (-h), else a pointer to them (a usage error). */
static void
usage(FILE *out, gboolean full)
{
    fprintf(out, "usage: liaisond [-fnvVh] [-c FILE] [-p SOCKET] [-d DB]\n");
    if (!full) {
        fprintf(out, "'liaisond -h' lists the options and the configuration keys\n");
        return;
    }
    fprintf(out,
            "  -c FILE    configuration file (default %s)\n"
            "  -p SOCKET  milter socket, unix:PATH, inet:PORT@HOST or inet6:PORT@HOST\n"
            "             (overrides socket)\n"
            "  -d DB      database file (overrides database)\n"
            "  -f         stay in the foreground and log to stderr\n"
            "  -n         check the configuration and the directory, print the\n"
            "             settings, exit\n"
            "  -v         log debugging detail\n"
            "  -V, --version  print the version and exit\n"
            "  -h, --help     this help, with the configuration keys\n"
            "configuration keys (liaisond.conf(5)):\n", DEFAULT_CONFIG);
    config_describe(out);
}

/* Load the configuration with the command-line overrides and the
 * directory it names; FALSE with *err. */
static gboolean
load_settings(const struct options *o, struct config **cfg_out,
              struct directory **dir_out, GError **err)
{
    struct config *cfg = config_load(o->config_path, err);
    struct directory *dir;

    if (cfg == NULL)
        return FALSE;
    /* Named as the option, not only as the key: the file's socket or
     * database line is not where the bad value is. */
    if (o->socket != NULL && !config_set(cfg, "socket", o->socket, err)) {
        g_prefix_error(err, "-p %s: ", o->socket);
        config_free(cfg);
        return FALSE;
    }
    if (o->database != NULL && !config_set(cfg, "database", o->database, err)) {
        g_prefix_error(err, "-d '%s': ", o->database);
        config_free(cfg);
        return FALSE;
    }
    dir = directory_load(cfg->directory, err);
    if (dir == NULL) {
        config_free(cfg);
        return FALSE;
    }
    /* Both may leave intake out, but not both at once: a milter with no
     * intake address accepts every message untouched, and each statement
     * would reach the mailbox unrecorded without a word in the log. */
    if ((cfg->intake == NULL || cfg->intake[0] == NULL)
        && directory_first_intake(dir) == NULL) {
        g_set_error(err, g_quark_from_static_string("liaisond"), 1,
                    "%s: no intake address: set intake (such as liaisons@example.org)"
                    " here or in the \"intake\" list of %s; without one no mail is"
                    " read or recorded", cfg->path, cfg->directory);
        directory_free(dir);
        config_free(cfg);
        return FALSE;
    }
    *cfg_out = cfg;
    *dir_out = dir;
    return TRUE;
}

/* Turn TCP_NODELAY on for every listening TCP socket of the process.
 * libmilter does not give out its listening descriptor, so look for it;
 * Linux copies the option to every accepted connection, which stops the
 * Nagle/delayed-ACK stall after libmilter's small end-of-message writes. */
static int
set_listener_nodelay(void)
{
    int     done = 0;
    long    maxfd = sysconf(_SC_OPEN_MAX);

    if (maxfd < 0 || maxfd > 4096)
        maxfd = 4096;
    for (int fd = 0; fd < maxfd; fd++) {
        int     listening = 0, one = 1;
        socklen_t len = sizeof listening;
        struct sockaddr_storage sa = { 0 };
        socklen_t salen = sizeof sa;

        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0
            || !listening)
            continue;
        if (getsockname(fd, (struct sockaddr *) &sa, &salen) != 0
            || (sa.ss_family != AF_INET && sa.ss_family != AF_INET6))
            continue;
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0)
            done++;
    }
    return done;
}

/* The signals the main thread takes (signals_catch). */
static void
signals_of_main(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
}

/* The write end of the pipe on which a detached daemon tells the process
 * that started it how the start ended (daemon_ready); -1 in the
 * foreground or once told. */
static int ready_fd = -1;

/* Detach from the terminal: the usual double fork.  The first process
 * stays until the daemon says how its start ended (daemon_ready) and
 * exits with that status, so that an init script or an admin sees a
 * failure after detaching (the pid file, the sender thread), not 0. */
static gboolean
daemonize(void)
{
    int     fds[2], fd;
    pid_t   pid;
    sigset_t set, old;

    if (pipe2(fds, O_CLOEXEC) != 0)
        return FALSE;
    /* Blocked across the fork, so that none meant for the waiting parent
     * runs the daemon's handler (which writes to the pipe they share). */
    signals_of_main(&set);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    pid = fork();
    if (pid < 0) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return FALSE;
    }
    if (pid > 0) {
        unsigned char st;
        ssize_t n;

        /* Signals to this process are its own again: Ctrl-C ends the
         * wait, not the daemon (the pipe of signals is the daemon's). */
        signal(SIGHUP, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        close(signal_pipe[0]);
        close(signal_pipe[1]);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        close(fds[1]);
        while ((n = read(fds[0], &st, 1)) < 0 && errno == EINTR)
            ;
        if (n != 1)
            st = EX_OSERR;      /* the daemon died without a word */
        if (st != EX_OK)
            fprintf(stderr, "liaisond: the daemon did not start (exit %d); "
                    "its reason is in the system log\n", st);
        _exit(st);
    }
    close(fds[0]);
    ready_fd = fds[1];
    if (setsid() < 0)
        return FALSE;
    /* Out of the terminal's process group: the terminal's Ctrl-C no
     * longer reaches here, and what does is the daemon's. */
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pid = fork();
    if (pid < 0)
        return FALSE;
    if (pid > 0)
        _exit(0);
    if (chdir("/") != 0)
        return FALSE;
    fd = open("/dev/null", O_RDWR);
    if (fd < 0)
        return FALSE;
    if (dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0
        || dup2(fd, STDERR_FILENO) < 0)
        return FALSE;
    if (fd > STDERR_FILENO)
        close(fd);
    return TRUE;
}

/* Tell the process that started a detached daemon how the start ended
 * (EX_OK: serving); once. */
static void
daemon_ready(int status)
{
    unsigned char st = (unsigned char) status;

    if (ready_fd < 0)
        return;
    if (write(ready_fd, &st, 1) != 1)
        log_msg(LOG_WARNING, NULL, "cannot tell the starting process: %s", g_strerror(errno));
    close(ready_fd);
    ready_fd = -1;
}

/* Open and lock the pid file: EX_OK, EX_UNAVAILABLE when another daemon
 * holds it, EX_CANTCREAT when it cannot be used (logged).  A symbolic
 * link is refused: the file is opened as root in a folder that the
 * daemon's user may be able to write. */
static int
pidfile_lock(const char *path)
{
    struct stat sb;
    char    other[32] = "";
    ssize_t n;

    if (path == NULL || *path == '\0')
        return EX_OK;
    pidfile_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (pidfile_fd < 0) {
        log_msg(LOG_ERR, NULL, "pid file %s: %s", path,
                errno == ELOOP ? "is a symbolic link, refused" : g_strerror(errno));
        return EX_CANTCREAT;
    }
    /* A second link would let the truncation below reach another file. */
    if (fstat(pidfile_fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_nlink != 1) {
        log_msg(LOG_ERR, NULL, "pid file %s: not a regular file with one link, refused", path);
        goto refused;           /* not ours: never removed at exit */
    }
    if (flock(pidfile_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) {
            log_msg(LOG_ERR, NULL, "pid file %s: lock: %s", path, g_strerror(errno));
            goto refused;
        }
        n = pread(pidfile_fd, other, sizeof other - 1, 0);
        other[n > 0 ? n : 0] = '\0';
        other[strcspn(other, "\n")] = '\0';
        log_msg(LOG_ERR, NULL, "another liaisond is running (pid %s, pid file %s)",
                other[0] != '\0' ? other : "unknown", path);
        close(pidfile_fd);
        pidfile_fd = -1;
        return EX_UNAVAILABLE;
    }
    /* Ours now: the pid in it is a dead daemon's; emptied until ours is
     * written, so that nothing signals that pid meanwhile. */
    if (ftruncate(pidfile_fd, 0) != 0)
        log_msg(LOG_WARNING, NULL, "pid file %s: truncate: %s", path, g_strerror(errno));
    return EX_OK;
  refused:
    close(pidfile_fd);
    pidfile_fd = -1;
    return EX_CANTCREAT;
}

/* Write this process's pid into the locked pid file; FALSE when it
 * cannot be written. */
static gboolean
pidfile_write(const char *path)
{
    char    buf[32];
    int     n;

    if (pidfile_fd < 0)
        return TRUE;
    n = snprintf(buf, sizeof buf, "%ld\n", (long) getpid());
    if (ftruncate(pidfile_fd, 0) != 0 || pwrite(pidfile_fd, buf, (size_t) n, 0) != n) {
        log_msg(LOG_ERR, NULL, "pid file %s: write failed: %s", path, g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

/* Remove the pid file (ours: we hold its lock) and let the lock go.  A
 * daemon that can no longer remove it (its folder writable only by root,
 * privileges dropped) empties it, so that no stale pid stays behind. */
static void
pidfile_remove(const char *path)
{
    if (pidfile_fd < 0)
        return;
    if (unlink(path) != 0) {
        int     e = errno;

        if (ftruncate(pidfile_fd, 0) == 0)
            log_msg(LOG_NOTICE, NULL, "pid file %s emptied, not removed: %s", path,
                    g_strerror(e));
        else
            log_msg(LOG_WARNING, NULL, "cannot remove pid file %s: %s", path, g_strerror(e));
    }
    close(pidfile_fd);
    pidfile_fd = -1;
}

/* Remove the unix socket at path if it is still the one made at start
 * (dev, ino): libmilter may have removed it already, and a path that now
 * names another file is left alone. */
static void
socket_remove(const char *path, dev_t dev, ino_t ino)
{
    struct stat sb;

    if (lstat(path, &sb) != 0 || sb.st_dev != dev || sb.st_ino != ino)
        return;
    if (unlink(path) != 0)
        log_msg(LOG_WARNING, NULL, "cannot remove socket %s: %s", path, g_strerror(errno));
}

/* Whether the unix socket at path may be taken: NULL when nothing is
 * there or it is a stale socket (its daemon gone); else why not.
 * libmilter removes whatever is at the path before it binds, so without
 * this a second daemon started with no pid file (or another pid file)
 * would take a running daemon's socket: both would run, and the first
 * would never again be reached.  (Two daemons started in the same
 * instant can still both find it free; the pid file's lock closes that.) */
static char *
socket_taken(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat sb;
    int fd, r, e;

    if (lstat(path, &sb) != 0 || !S_ISSOCK(sb.st_mode)
        || strlen(path) >= sizeof sa.sun_path)
        return NULL;
    /* Non-blocking: a milter that is alive but hung, its backlog full,
     * answers EAGAIN at once instead of holding this start. */
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return g_strdup_printf("cannot probe it: %s", g_strerror(errno));
    memcpy(sa.sun_path, path, strlen(path) + 1);
    /* A stale socket refuses (ECONNREFUSED); a live one accepts, and the
     * milter at the other end sees a connection closed before any
     * command, which it takes as an aborted session. */
    r = connect(fd, (struct sockaddr *) &sa, sizeof sa);
    e = errno;
    close(fd);
    if (r != 0 && e == ECONNREFUSED)
        return NULL;
    if (r == 0 || e == EAGAIN || e == EINPROGRESS)
        return g_strdup("a milter is serving on it already; stop it first, "
                        "or give this one another socket");
    return g_strdup_printf("cannot tell whether a milter serves on it (%s); "
                           "remove it if none does", g_strerror(e));
}

/* Log why the milter socket spec could not be opened, as far as can be
 * told from here (libmilter logs its own reason to syslog only). */
static void
socket_diagnose(const char *spec, const char *unix_path)
{
    if (unix_path != NULL) {
        g_autofree char *dir = g_path_get_dirname(unix_path);

        if (access(dir, W_OK | X_OK) != 0) {
            log_msg(LOG_ERR, NULL, "cannot open the milter socket %s: folder %s: %s",
                    spec, dir, g_strerror(errno));
            return;
        }
    }
    log_msg(LOG_ERR, NULL, "cannot open the milter socket %s (in use, or not "
            "allowed: libmilter's own message is in the mail log)", spec);
}

/* liaisond -n: what the loader cannot see but a start or a later run
 * would trip on.  EX_OK, or EX_CONFIG with the reasons logged; folders
 * that are missing are only warned about (the daemon starts without
 * them, and defers the mail that needs them). */
static int
check_more(const struct config *cfg)
{
    struct tickle_policy tp;
    GError *err = NULL;
    int     rc = EX_OK;

    if (cfg->user != NULL && *cfg->user != '\0' && getpwnam(cfg->user) == NULL) {
        log_msg(LOG_ERR, NULL, "%s: user = %s: no such user", cfg->path, cfg->user);
        rc = EX_CONFIG;
    }
    if (cfg->relay_ca_file != NULL && *cfg->relay_ca_file != '\0'
        && access(cfg->relay_ca_file, R_OK) != 0) {
        log_msg(LOG_ERR, NULL, "%s: relay_ca_file = %s: %s", cfg->path,
                cfg->relay_ca_file, g_strerror(errno));
        rc = EX_CONFIG;
    }
    if (!tickle_policy_from_config(&tp, cfg, &err)) {
        log_msg(LOG_ERR, NULL, "%s: %s", cfg->path, err->message);
        g_clear_error(&err);
        rc = EX_CONFIG;
    }
    {
        g_autofree char *db_dir = g_path_get_dirname(cfg->database);

        if (!g_file_test(db_dir, G_FILE_TEST_IS_DIR))
            log_msg(LOG_WARNING, NULL, "database = %s: folder %s does not exist",
                    cfg->database, db_dir);
    }
    if (!g_file_test(cfg->spool_dir, G_FILE_TEST_IS_DIR))
        log_msg(LOG_WARNING, NULL, "spool_dir = %s: no such folder", cfg->spool_dir);
    /* The pid file's folder is needed at start (exit 73 without it). */
    if (cfg->pidfile != NULL && *cfg->pidfile != '\0') {
        g_autofree char *pid_dir = g_path_get_dirname(cfg->pidfile);

        if (!g_file_test(pid_dir, G_FILE_TEST_IS_DIR))
            log_msg(LOG_WARNING, NULL, "pidfile = %s: folder %s does not exist",
                    cfg->pidfile, pid_dir);
    }
    if (strncmp(cfg->socket, "unix:", 5) == 0) {
        g_autofree char *sock_dir = g_path_get_dirname(cfg->socket + 5);

        if (!g_file_test(sock_dir, G_FILE_TEST_IS_DIR))
            log_msg(LOG_WARNING, NULL, "socket = %s: folder %s does not exist",
                    cfg->socket, sock_dir);
    }
    return rc;
}

/* Warn at start, as the user that will write there, when the spool
 * folder cannot take a spilled message: every intake message larger than
 * spool_memory_max would be deferred until it can. */
static void
spool_check(const char *spool_dir)
{
    if (access(spool_dir, W_OK | X_OK) != 0)
        log_msg(LOG_WARNING, NULL, "spool_dir %s: %s; intake mail larger than "
                "spool_memory_max will be answered with a temporary failure",
                spool_dir, g_strerror(errno));
}

/* Become user (and its primary group); FALSE with a logged reason. */
static gboolean
drop_privileges(const char *user)
{
    struct passwd *pw;

    if (user == NULL || *user == '\0') {
        if (geteuid() == 0)
            log_msg(LOG_WARNING, NULL, "running as root: set \"user\" in the configuration");
        return TRUE;
    }
    pw = getpwnam(user);
    if (pw == NULL) {
        log_msg(LOG_ERR, NULL, "user %s: no such user", user);
        return FALSE;
    }
    if (geteuid() != 0) {
        if (geteuid() == pw->pw_uid)
            return TRUE;
        log_msg(LOG_ERR, NULL, "must start as root to run as %s", user);
        return FALSE;
    }
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0
        || setuid(pw->pw_uid) != 0) {
        log_msg(LOG_ERR, NULL, "cannot become %s: %s", user, g_strerror(errno));
        return FALSE;
    }
    /* Make sure there is no way back. */
    if (setuid(0) == 0 || getuid() != pw->pw_uid || geteuid() != pw->pw_uid) {
        log_msg(LOG_ERR, NULL, "privileges not dropped to %s", user);
        return FALSE;
    }
    return TRUE;
}

/* Signal handler: pass the signal number to the main loop. */
static void
on_signal(int sig)
{
    unsigned char c = (unsigned char) sig;
    int     saved = errno;

    if (write(signal_pipe[1], &c, 1) < 0) {
        /* The pipe is full: a signal of that kind is already waiting. */
    }
    errno = saved;
}

/* Catch SIGHUP, SIGTERM and SIGINT into the signal pipe, from the start:
 * before any setting is loaded, so that a reload or a stop that comes
 * while the daemon starts (systemd counts it started at exec) waits in
 * the pipe for serve() instead of ending the process, which is SIGHUP's
 * default.  FALSE if the pipe cannot be made. */
static gboolean
signals_catch(void)
{
    struct sigaction sa;
    sigset_t set;

    if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        log_msg(LOG_ERR, NULL, "pipe: %s", g_strerror(errno));
        return FALSE;
    }
    /* The reading end blocks; the writing end must not (a handler). */
    if (fcntl(signal_pipe[0], F_SETFL, 0) != 0) {
        log_msg(LOG_ERR, NULL, "fcntl on the signal pipe: %s", g_strerror(errno));
        return FALSE;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* SA_NODEFER: never blocked in the main thread, even while the
     * handler runs, so that none can go to libmilter's signal thread,
     * which sigwait()s for these three and stops the milter on any. */
    sa.sa_flags = SA_RESTART | SA_NODEFER;
    if (sigaction(SIGHUP, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0
        || sigaction(SIGINT, &sa, NULL) != 0) {
        log_msg(LOG_ERR, NULL, "sigaction: %s", g_strerror(errno));
        return FALSE;
    }
    signals_of_main(&set);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    return TRUE;
}

/* The thread that runs libmilter's accept loop. */
static void *
milter_thread(void *arg)
{
    unsigned char c = 0;        /* 0: smfi_main returned */
    int    *rc = arg;
    sigset_t set;

    /* Blocked here, and so in every thread libmilter starts from here,
     * before smfi_main starts its signal thread: the main thread, which
     * never blocks them, is then the only one they can reach.  One that
     * comes before this line runs on_signal in this thread, which is
     * just as good. */
    signals_of_main(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    *rc = smfi_main();
    if (write(signal_pipe[1], &c, 1) < 0)
        log_msg(LOG_ERR, NULL, "cannot wake the main thread");
    return NULL;
}

/* Reload configuration and directory; on any error keep the old ones. */
static void
reload(const struct options *o)
{
    struct config *cfg;
    struct directory *dir;
    GError *err = NULL;

    if (!load_settings(o, &cfg, &dir, &err)) {
        log_msg(LOG_ERR, NULL, "reload failed, keeping the previous settings: %s",
                err->message);
        g_error_free(err);
        return;
    }
    log_msg(LOG_NOTICE, NULL, "reloaded %s and %s", o->config_path, cfg->directory);
    milter_reload(cfg, dir);
}

/* The signals that came while the daemon started, read from the pipe
 * without waiting: a SIGHUP reloads now; TRUE when a SIGTERM or SIGINT
 * says to stop before serving. */
static gboolean
start_signals(const struct options *o)
{
    gboolean hup = FALSE, stop = FALSE;
    unsigned char c;
    int     fl = fcntl(signal_pipe[0], F_GETFL);

    fcntl(signal_pipe[0], F_SETFL, fl | O_NONBLOCK);
    while (read(signal_pipe[0], &c, 1) == 1) {
        if (c == SIGHUP)
            hup = TRUE;
        else if (c == SIGTERM || c == SIGINT)
            stop = TRUE;
    }
    fcntl(signal_pipe[0], F_SETFL, fl);
    if (stop)
        return TRUE;
    if (hup)
        reload(o);
    return FALSE;
}

/* SIGTERM: let the messages in hand end, up to STOP_GRACE_SECONDS, while
 * libmilter still serves.  smfi_stop() comes only after: Debian's
 * libmilter (and any built with _FFR_WORKERS_POOL) serves its sessions
 * from a pool whose controller stops at smfi_stop() and never again reads
 * a session waiting for the MTA's next command, so a message in hand then
 * could not end.  Messages that begin meanwhile are not waited for
 * (milter_stop_intake): intake mail is deferred, other mail passes. */
static void
drain(void)
{
    milter_stop_intake();
    for (int i = 0; i < STOP_GRACE_SECONDS * 10 && milter_in_flight() > 0; i++) {
        struct timespec ts = { 0, 100 * 1000 * 1000 };

        nanosleep(&ts, NULL);
    }
}

/* Serve until SIGTERM/SIGINT or until libmilter stops; the exit status.
 * *stop_at is the monotonic time of the stop (of the return, when none
 * was asked for). */
static int
serve(const struct options *o, gint64 *stop_at)
{
    pthread_t tid;
    int     milter_rc = MI_SUCCESS;
    gboolean stopping = FALSE;

    /* A stop asked for while starting ends it here, before libmilter
     * listens: smfi_stop before smfi_main makes libmilter close its socket
     * and bind it again, which fails as root. */
    *stop_at = g_get_monotonic_time();
    if (start_signals(o)) {
        log_msg(LOG_NOTICE, NULL, "stopping: asked to while starting");
        return EX_OK;
    }
    if (pthread_create(&tid, NULL, milter_thread, &milter_rc) != 0) {
        log_msg(LOG_ERR, NULL, "cannot start the milter thread");
        return EX_OSERR;
    }
    daemon_ready(EX_OK);
    log_msg(LOG_NOTICE, NULL, "liaisond %s started (pid %ld)", PACKAGE_VERSION,
            (long) getpid());

    for (;;) {
        unsigned char c;
        ssize_t n = read(signal_pipe[0], &c, 1);

        /* The time of each wake-up until the stop: the one that brings
         * SIGTERM is the stop's. */
        if (!stopping)
            *stop_at = g_get_monotonic_time();
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            log_msg(LOG_ERR, NULL, "signal pipe: %s", n < 0 ? g_strerror(errno) : "closed");
            break;
        }
        if (c == SIGHUP) {
            reload(o);
        } else if (c == SIGTERM || c == SIGINT) {
            if (!stopping) {
                log_msg(LOG_NOTICE, NULL, "stopping: %d message(s) in hand",
                        milter_in_flight());
                stopping = TRUE;
                /* The sender winds down while the milter drains, not
                 * after it: the two together stay inside a service
                 * manager's stop timeout. */
                sender_request_stop();
                drain();
                smfi_stop();
            }
        } else if (c == 0) {
            if (!stopping)
                log_msg(LOG_ERR, NULL, "libmilter stopped on its own (smfi_main: %s)",
                        milter_rc == MI_SUCCESS ? "success" : "failure");
            break;
        }
    }
    pthread_join(tid, NULL);
    if (milter_in_flight() > 0) {
        log_msg(LOG_WARNING, NULL, "exiting with %d message(s) unfinished; the MTA retries them",
                milter_in_flight());
    } else {
        /* A message leaves in_flight when its end-of-message callback
         * returns, and libmilter writes the answer just after: a moment
         * more lets the last answer reach the MTA, which would otherwise
         * see the connection drop and retry a message already recorded. */
        struct timespec ts = { 0, 200 * 1000 * 1000 };

        nanosleep(&ts, NULL);
    }
    /* After smfi_stop, a failure of smfi_main is no failure of the
     * daemon: a stop that comes before libmilter's listener has opened its
     * socket makes it close and bind the socket again, which can fail. */
    if (stopping && milter_rc != MI_SUCCESS)
        log_msg(LOG_INFO, NULL, "libmilter's listener ended with a failure after the stop");
    return stopping ? EX_OK : EX_SOFTWARE;
}

/* Start the daemon. */
int
main(int argc, char **argv)
{
    struct options o = { .config_path = DEFAULT_CONFIG };
    struct config *cfg;
    struct directory *dir;
    GError *err = NULL;
    const char *sock;
    char   *pidfile, *user, *database, *spool_dir, *unix_path = NULL;
    int     opt, rc, busy_ms;
    gint64  stop_at = 0;
    gboolean sender_left = FALSE;
    mode_t  old_mask;
    gboolean opened = FALSE;
    struct stat sock_sb = { 0 };

    static const struct option long_opts[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };

    while ((opt = getopt_long(argc, argv, "c:p:d:fnvVh", long_opts, NULL)) != -1) {
        switch (opt) {
        case 'c': o.config_path = optarg; break;
        case 'p': o.socket = optarg; break;
        case 'd': o.database = optarg; break;
        case 'f': o.foreground = TRUE; break;
        case 'n': o.check_only = TRUE; break;
        case 'v': o.verbose = TRUE; break;
        case 'V':
            printf("liaisond %s\n", PACKAGE_VERSION);
            return EX_OK;
        case 'h':
            usage(stdout, TRUE);
            return EX_OK;
        default:
            usage(stderr, FALSE);
            return EX_USAGE;
        }
    }
    if (optind != argc) {
        usage(stderr, FALSE);
        return EX_USAGE;
    }
    log_init(argv[0], LOG_TO_STDERR);
    log_set_level(o.verbose ? LOG_DEBUG : LOG_INFO);
    if (!o.check_only && !signals_catch())
        return EX_OSERR;
    /* Relative paths (-c, -d, -p and those in the file) stay where they
     * were at the start after the daemon moves to "/": a reload must not
     * open another database. */
    {
        g_autofree char *cwd = g_get_current_dir();

        config_set_start_dir(cwd);
    }

    if (!load_settings(&o, &cfg, &dir, &err)) {
        log_msg(LOG_ERR, NULL, "%s", err->message);
        g_error_free(err);
        return EX_CONFIG;
    }
    if (o.check_only) {
        rc = check_more(cfg);
        if (rc == EX_OK)
            config_dump(cfg, stdout);
        config_free(cfg);
        directory_free(dir);
        return rc;
    }
    /* GMime's global state is set up once, before any thread exists. */
    message_library_init();
    signal(SIGPIPE, SIG_IGN);
    /* A write past the file size limit (a unit's LimitFSIZE, ulimit -f)
     * must fail with EFBIG, which the spool and the store turn into a
     * TEMPFAIL the MTA retries, not end the daemon with SIGXFSZ and every
     * message in hand with it. */
    signal(SIGXFSZ, SIG_IGN);

    sock = cfg->socket;
    if (strncmp(sock, "unix:", 5) == 0)
        unix_path = g_strdup(sock + 5);
    pidfile = g_strdup(cfg->pidfile);
    user = g_strdup(cfg->user);
    database = g_strdup(cfg->database);
    spool_dir = g_strdup(cfg->spool_dir);
    busy_ms = cfg->busy_timeout_ms;
    if (smfi_setconn((char *) sock) != MI_SUCCESS || smfi_setbacklog(128) != MI_SUCCESS) {
        log_msg(LOG_ERR, NULL, "smfi_setconn(%s) failed", sock);
        return EX_SOFTWARE;
    }
    if (!milter_register("liaisond", cfg, dir, &err)) {
        log_msg(LOG_ERR, NULL, "%s", err->message);
        return EX_SOFTWARE;
    }
    /* cfg and dir now belong to milter.c; only the copies above are used. */
    rc = pidfile_lock(pidfile);
    if (rc != EX_OK)
        goto out;
    /* The socket is made read-write for everyone through the umask, not
     * by a chmod afterwards that would follow a link planted meanwhile;
     * the folder that holds it decides who reaches it (the MTA connects
     * as its own user). */
    if (unix_path != NULL) {
        g_autofree char *taken = socket_taken(unix_path);

        if (taken != NULL) {
            log_msg(LOG_ERR, NULL, "socket %s: %s", unix_path, taken);
            rc = EX_UNAVAILABLE;
            goto out;
        }
    }
    old_mask = umask(0111);
    opened = smfi_opensocket(true) == MI_SUCCESS;
    umask(old_mask);
    if (!opened) {
        socket_diagnose(sock, unix_path);
        rc = EX_UNAVAILABLE;
        goto out;
    }
    if (unix_path != NULL) {
        if (lstat(unix_path, &sock_sb) != 0)
            log_msg(LOG_WARNING, NULL, "socket %s: %s", unix_path, g_strerror(errno));
    } else {
        log_msg(LOG_DEBUG, NULL, "TCP_NODELAY set on %d listening socket(s)",
                set_listener_nodelay());
    }
    if (!drop_privileges(user)) {
        rc = EX_NOPERM;
        goto out;
    }
    /* Open the database once as the user that will write it, so that a
     * wrong path or owner shows now rather than at the first message.
     * Not fatal: a database that is only unavailable for a while (a
     * read-only or full file system, a lock) costs temporary failures
     * that the MTA retries, and liaisond recovers without a restart. */
    {
        struct store *st = store_open(database, busy_ms, &err);

        if (st == NULL) {
            log_msg(LOG_ERR, NULL, "database: %s; intake mail will be answered "
                    "with a temporary failure until it can be opened", err->message);
            g_clear_error(&err);
        }
        store_close(st);
    }
    spool_check(spool_dir);
    if (!o.foreground) {
        if (!daemonize()) {
            log_msg(LOG_ERR, NULL, "cannot detach: %s", g_strerror(errno));
            rc = EX_OSERR;
            goto out;
        }
        log_init(argv[0], LOG_TO_SYSLOG);
    }
    if (!pidfile_write(pidfile)) {
        rc = EX_CANTCREAT;
        goto out;
    }
    /* The outbox sender starts after the privileges are dropped and the
     * daemon detached (no thread crosses a fork): it only needs the
     * database and a TCP connection to the relay. */
    if (!sender_start(&err)) {
        log_msg(LOG_ERR, NULL, "cannot start the outbox sender: %s", err->message);
        g_clear_error(&err);
        rc = EX_OSERR;
        goto out;
    }
    rc = serve(&o, &stop_at);
    /* The sender's wait to record a delivery past a locked database ends
     * 25 s after the stop (outbox.c); one still in a relay's transaction
     * at STOP_BUDGET_S is left behind, and the process ends with _exit,
     * so that no library's exit handler frees what that thread uses. */
    sender_left = !sender_stop((int) MAX(1, STOP_BUDGET_S
                                         - (g_get_monotonic_time() - stop_at) / G_TIME_SPAN_SECOND));
    milter_shutdown();
  out:
    daemon_ready(rc);           /* a start that failed after detaching */
    /* libmilter leaves its unix socket behind; a stale one would make the
     * MTA's next connection fail instead of finding nobody listening. */
    if (unix_path != NULL && opened)
        socket_remove(unix_path, sock_sb.st_dev, sock_sb.st_ino);
    pidfile_remove(pidfile);
    log_msg(LOG_NOTICE, NULL, "liaisond stopped");
    if (sender_left)
        _exit(rc);
    g_free(pidfile);
    g_free(user);
    g_free(database);
    g_free(spool_dir);
    g_free(unix_path);
    return rc;
}
