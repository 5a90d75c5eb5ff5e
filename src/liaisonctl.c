/*
 * liaisonctl.c: the admin tool.  A command table, as in OpenSMTPD's
 * smtpctl: global options first (-c CONFIG, -d DB), then a command and
 * its own options, as git and postconf do.
 *
 * Exit codes follow sysexits(3), because liaisonctl ingest is also run as
 * a pipe transport or from .forward, where the MTA reads them: 0 done,
 * 1 no such statement (show, close, reopen, deadline, reassign, reply,
 * export; requeue: no such mail), 64 usage, 65 not mail (reply: not
 * text, too large, no address), 66 no input file (ingest, import, reply;
 * import: a compressed one) or no database (list, show, stats, close,
 * reopen, deadline, reassign, reply, queue, requeue, flush, tickle,
 * publish, backup, export), 70 internal error, 73 publish cannot write
 * its folder, backup or export its file, or import make the database
 * (no folder), 74 input too large (backup, export: disk full or an I/O
 * error), 75 temporary failure (the MTA keeps the message and retries),
 * 78 configuration error; ingest answers 75 for its own
 * usage errors, 70, 73, 78 and unreadable input, which are not the
 * message's fault (ctl_ingest_keep()).  The help texts below, usage() and
 * doc/liaisonctl.8 list the same codes; keep them together.
 *
 * Every command takes -h/--help, which prints its usage and description
 * (ctl_usage(), the same text as 'liaisonctl help COMMAND') and exits
 * 0.  The configuration is read only once a command's arguments are right,
 * so help and usage errors never depend on it.
 *
 * This file holds the command table with the help texts, the usage and
 * main(); the commands themselves are in the ctl_*.c files (ctl.h).
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"
#include "message.h"
#include "ctl.h"

static const struct command *find_command(const char *name);
static void usage(FILE *fp);

/* liaisonctl help [COMMAND]: the same as COMMAND --help, or the summary. */
static int
ctl_cmd_help(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const struct command *c;
    int opt;

    while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (opt) {
        case 'h': return ctl_usage(ctl->cmd, TRUE);
        default: return ctl_usage(ctl->cmd, FALSE);
        }
    }
    if (argc - optind > 1)
        return ctl_usage(ctl->cmd, FALSE);
    if (argc - optind == 0) {
        usage(stdout);
        return EX_OK;
    }
    c = find_command(argv[optind]);
    if (c == NULL) {
        fprintf(stderr, "liaisonctl: help: unknown command \"%s\"; 'liaisonctl help' lists them\n",
                argv[optind]);
        return EX_USAGE;
    }
    return ctl_usage(c, TRUE);
}

/* The commands.  usage is what follows the name on the usage line; help
 * describes the command, its options with their defaults, and its exit
 * codes.  doc/liaisonctl.8 says the same: change both together. */
static const struct command commands[] = {
    { "ingest", ctl_cmd_ingest, "[-f SENDER] [--json] [FILE]",
      "Read one message (FILE, or standard input when FILE is absent or \"-\") and\n"
      "record it: a new statement, correspondence on a recorded one, auto-generated\n"
      "mail or a bounce.  Prints the decision: the statement, whom the mail is\n"
      "routed to (with each recipient's role) and the diagnostics.  The same\n"
      "message ingested twice is recorded once.  CRLF is read as LF and a last\n"
      "line is given its line end, as liaisond records mail from SMTP.\n"
      "\n"
      "Options:\n"
      "  -f, --sender SENDER  the envelope sender; \"<>\" or an empty SENDER is the\n"
      "                       null sender of a bounce (default: none, unknown)\n"
      "  -j, --json           print the decision as a JSON object\n"
      "  -h, --help           this help\n"
      "\n"
      "Exit status: 0 recorded (or recorded before); 65 not mail (a compressed\n"
      "file is named so, with the command that undoes it), nothing recorded;\n"
      "66 FILE cannot be opened; 74 the input is larger than 256 MiB;\n"
      "75 temporary failure: a usage error in ingest's options or operands, the\n"
      "configuration, the directory or the database cannot be loaded, opened or\n"
      "written (its folder not there included), or the input cannot be read;\n"
      "nothing recorded, an MTA keeps the message and retries.  (An MTA running\n"
      "ingest as a pipe bounces every code but 75 and 71, so whatever is not the\n"
      "message's fault is 75.)" },
    { "import", ctl_cmd_import, "[--close-before YYYY-MM-DD] [--from-line-dates] [--dry-run] PATH...",
      "Record an archive of liaison mail: each PATH an mbox (a list archive), a\n"
      "file holding one message, a Maildir or a folder of message files.  Every\n"
      "message is read and dated first, then recorded oldest first, as liaisond\n"
      "would have recorded it on arrival (so that an answer threads onto its\n"
      "statement), each dated by its Date header (without one, by an mbox's From_\n"
      "line, else it keeps its place after the one before it; a Date in the\n"
      "future counts as now).  CRLF and LF files alike; an mbox is read as mboxrd.\n"
      "A compressed file (gzip, bzip2, xz, zstd) stops the import before anything\n"
      "is recorded: decompress it first.\n"
      "Nothing is sent: no notification, acknowledgement or answer to a command.\n"
      "A message recorded before (live, or by an earlier import) is recognised and\n"
      "not recorded again, so an import that stopped can simply be run again.\n"
      "Progress goes to standard error, the messages not recorded with their\n"
      "place, and what was left out (empty files, folders within a folder), and a\n"
      "summary to standard output.  It creates the database when there is none:\n"
      "run it as liaisond's user.\n"
      "\n"
      "Options:\n"
      "  -b, --close-before DAY  close every statement received before DAY\n"
      "                          (YYYY-MM-DD), dated when it was received, so\n"
      "                          that the tickler does not remind anyone of\n"
      "                          statements dealt with long ago (one recorded\n"
      "                          before only if nobody ever closed or reopened\n"
      "                          it)\n"
      "  -F, --from-line-dates   date each message of an mbox by its From_ line,\n"
      "                          and by its Date only without one: for an mbox\n"
      "                          that 'liaisonctl export' wrote, whose From_\n"
      "                          lines say when each message came, so that the\n"
      "                          statements keep the times they were received\n"
      "  -N, --dry-run           read and date the messages, record nothing\n"
      "  -h, --help              this help\n"
      "\n"
      "Exit status: 0 every message recorded (or recorded before); 64 usage\n"
      "error; 65 some messages were not mail or were larger than 256 MiB and were\n"
      "not recorded (the rest were); 66 a PATH cannot be read or is compressed\n"
      "(nothing recorded); 70 internal error; 73 the database cannot be made:\n"
      "its folder does not exist (nothing recorded); 75 the database cannot be\n"
      "opened or written, or a PATH changed since it was read (what was recorded\n"
      "stays; the same import again goes on); 78 configuration error, or the\n"
      "directory cannot be loaded." },
    { "export", ctl_cmd_export, "[--since YYYY-MM-DD] [--until YYYY-MM-DD] FILE [ID]...",
      "Write the mail recorded to FILE as an mbox: every message received (not the\n"
      "mail the tool sent) in the order it came, or the mail of the statements ID,\n"
      "each statement's in that order, the statements in the order named.  The\n"
      "mbox is mboxrd (a line that starts \"From \" or \">From \" gets one more\n"
      "'>'), and each message's From_ line names its sender (MAILER-DAEMON for a\n"
      "bounce) and the time it came, so that 'liaisonctl import --from-line-dates\n"
      "FILE' into an empty database gives the same statements, received when\n"
      "they were: a way to move the record, or to hand a statement's mail to a\n"
      "person.  Byte for byte as liaisond records mail (LF line ends, a final\n"
      "newline, as ingest and import record a CRLF file).  FILE \"-\" is standard\n"
      "output (not a terminal; a pipe gets the mail once the database is read,\n"
      "held meanwhile in TMPDIR); any other FILE is written whole or not at\n"
      "all: a temporary file beside it, mode 0600 (no name till it is whole,\n"
      "where the file system allows), flushed to disk and renamed over it (a\n"
      "link at FILE is replaced; a FIFO, a device or a socket is refused).  A\n"
      "summary goes to standard output (standard error with \"-\").  The database\n"
      "is only read, in one snapshot for all the mail or for each statement's.\n"
      "\n"
      "Options (before or after FILE):\n"
      "  -s, --since DAY  only what came on DAY (YYYY-MM-DD, UTC) or after\n"
      "  -u, --until DAY  only what came on DAY or before\n"
      "  -h, --help       this help\n"
      "\n"
      "Exit status: 0 written; 1 no such statement (nothing written); 64 usage\n"
      "error, or \"-\" on a terminal; 66 no database; 70 internal error; 73 FILE\n"
      "cannot be made (no such folder, read-only, a folder, a FIFO, a device or\n"
      "a socket, the database or one of its files); 74 a write failed (the disk\n"
      "is full; FILE is left as it was); 75 the database cannot be read; 78\n"
      "configuration error.  A run killed part-way leaves its\n"
      ".liaison-export-XXXXXX beside FILE, which the next export into that\n"
      "folder removes." },
    { "list", ctl_cmd_list, "[FILTER]... [--json]",
      "List the statements in the order they were recorded (by id: oldest\n"
      "first, but for an archive imported after them): id, received, from, to,\n"
      "purpose, deadline, state and title, then how many.  With filters, only\n"
      "those that pass every filter given, and how many of how many.\n"
      "\n"
      "Filters:\n"
      "  -o, --open            open statements\n"
      "  -C, --closed          closed statements\n"
      "  -O, --overdue         open statements not answered (reply) whose\n"
      "                        deadline has passed\n"
      "  -u, --due DAYS        open statements not answered that are due within\n"
      "                        DAYS days (0 to 36500; 0: today), the overdue\n"
      "                        ones included\n"
      "  -g, --group GROUP     assigned to GROUP, a group or area of the\n"
      "                        directory, or iesg; an area also gives those\n"
      "                        assigned to its groups\n"
      "  -f, --from TEXT       whose From body holds TEXT, case ignored\n"
      "  -s, --search TEXT     whose Title, Subject or Body holds TEXT, case\n"
      "                        ignored\n"
      "\n"
      "Options:\n"
      "  -n, --now YYYY-MM-DD  the day --overdue and --due count from\n"
      "                        (default: today, UTC)\n"
      "  -j, --json            print a JSON array of those statements (the\n"
      "                        fields of show --json)\n"
      "  -h, --help            this help\n"
      "\n"
      "Exit status: 0 listed, even none; 64 usage error, a --now that is not\n"
      "a day, or a GROUP the directory does not have; 66 no database; 70\n"
      "internal error; 75 the database cannot be opened or read; 78\n"
      "configuration error, or with --group a directory that cannot be read." },
    { "stats", ctl_cmd_stats, "[--since YYYY-MM-DD] [--until YYYY-MM-DD] [--now YYYY-MM-DD] [--json]",
      "How the statements received in a time were dealt with: for each group or\n"
      "area they were assigned to (a statement to two groups counts in both; an\n"
      "area's row has the statements assigned to the area itself), then for all\n"
      "of them (each once, with those assigned to none), how many were received,\n"
      "are open, are closed, were answered (liaisonctl reply), answered by their\n"
      "deadline (ON TIME) or after it (LATE; one with no deadline counts in\n"
      "neither), are overdue (open, not answered, the deadline passed), and the\n"
      "median of the days from arrival to the answer.  Days are UTC days.\n"
      "\n"
      "Options:\n"
      "  -s, --since YYYY-MM-DD  only statements received on that day or later\n"
      "  -u, --until YYYY-MM-DD  only statements received on that day or earlier\n"
      "  -n, --now YYYY-MM-DD    the day OVERDUE counts from (default: today, UTC)\n"
      "  -j, --json              print a JSON array: group (null for all),\n"
      "                          received, open, closed, answered, on_time, late,\n"
      "                          overdue, median_days_to_answer (null when none)\n"
      "  -h, --help              this help\n"
      "\n"
      "Exit status: 0 printed; 64 usage error (also --since after --until); 66\n"
      "no database; 70 internal error; 75 the database cannot be opened or\n"
      "read; 78 configuration error." },
    { "show", ctl_cmd_show, "[--json] ID",
      "Show everything recorded about statement ID, ending with its history:\n"
      "arrival, routing, mail queued, correspondence, reminders, closing,\n"
      "deadlines moved, reassignments, commands refused by mail, responses sent.\n"
      "When it was answered (reply) and closed show as Answered and Closed.\n"
      "\n"
      "Options:\n"
      "  -j, --json  print the statement as a JSON object\n"
      "  -h, --help  this help\n"
      "\n"
      "Exit status: 0 shown; 1 no statement ID; 64 usage error (ID is not a\n"
      "positive number as list prints it: 1 to 18 digits, no sign or leading\n"
      "zero); 66 no database; 70 internal error; 75 the database\n"
      "cannot be opened or read; 78 configuration error." },
    { "close", ctl_cmd_close, "[--reason TEXT] ID",
      "Close statement ID: the tickler stops reminding its assignee.  An event\n"
      "records who closed it (the login behind sudo, else this user) and why.\n"
      "Closing a closed statement changes nothing.\n"
      "\n"
      "Options:\n"
      "  -r, --reason TEXT  why, kept with the event (\"answered by LS 57\")\n"
      "  -h, --help         this help\n"
      "\n"
      "Exit status: 0 closed, or already closed; 1 no statement ID; 64 usage\n"
      "error; 66 no database; 70 internal error; 75 the database cannot be\n"
      "opened or written; 78 configuration error." },
    { "reopen", ctl_cmd_close, "[--reason TEXT] ID",
      "Open statement ID again after a close, or after an answer that did not\n"
      "settle it: the tickler reminds it again.  An event records who and why.\n"
      "\n"
      "Options:\n"
      "  -r, --reason TEXT  why, kept with the event\n"
      "  -h, --help         this help\n"
      "\n"
      "Exit status: 0 reopened, or already open and not answered (nothing\n"
      "recorded); 1 no statement ID; 64 usage\n"
      "error; 66 no database; 70 internal error; 75 the database cannot be\n"
      "opened or written; 78 configuration error." },
    { "deadline", ctl_cmd_deadline, "[--reason TEXT] ID YYYY-MM-DD",
      "Move statement ID's deadline to YYYY-MM-DD, as a \"deadline:\" command by\n"
      "mail does: the reminders start again from the new date.  An event records\n"
      "who (the login behind sudo, else this user), the old and new dates, and\n"
      "why.  The same date again changes nothing.\n"
      "\n"
      "Options:\n"
      "  -r, --reason TEXT  why, kept with the event (\"extended at SG15's request\")\n"
      "  -h, --help         this help\n"
      "\n"
      "Exit status: 0 moved, or already that date; 1 no statement ID; 64 usage\n"
      "error (not a date of the form YYYY-MM-DD, or a year before 2000 or after\n"
      "2099); 66 no database; 70 internal error; 75 the database cannot be\n"
      "opened or written; 78 configuration error." },
    { "reassign", ctl_cmd_reassign, "[--reason TEXT] ID GROUP",
      "Give statement ID to another group or area (its acronym, or iesg), as a\n"
      "\"reassign:\" command by mail does: its chairs (or ADs) become the assignee,\n"
      "its area's ADs the supervisor and its list the list; the technical\n"
      "contacts, the liaison manager and the lists copied for information stay.\n"
      "The notification is queued to them (unless notify = no).  An event\n"
      "records who, from whom to whom, and why.  A closed statement stays closed.\n"
      "\n"
      "Options:\n"
      "  -r, --reason TEXT  why, kept with the event\n"
      "  -h, --help         this help\n"
      "\n"
      "Exit status: 0 reassigned, or already assigned there; 1 no statement ID;\n"
      "64 usage error (no such group or area); 66 no database; 70 internal error;\n"
      "75 the database cannot be opened or written; 78 configuration error (the\n"
      "directory cannot be loaded)." },
    { "queue", ctl_cmd_queue, "[--all] [--json]",
      "The mail the tool queued and has not sent (notifications,\n"
      "acknowledgements, reminders, reports, responses), oldest first, as\n"
      "mailq shows an MTA's: id, when queued, kind, statement, attempts made,\n"
      "state (queued: no attempt has failed, not tried yet or being delivered\n"
      "now; deferred: an attempt failed, it is tried again; given up), the time\n"
      "before which no sender takes it up (the next try after a failure, or the\n"
      "end of a sender's 30-minute claim while it delivers it), the recipients\n"
      "(the first, +N more), and below a row its last error (the relay's answer,\n"
      "or why it could not be reached).  Then how\n"
      "many are in each state.  flush delivers them; requeue puts given-up mail\n"
      "back.\n"
      "\n"
      "Options:\n"
      "  -a, --all   the mail sent too (state sent)\n"
      "  -j, --json  print a JSON array: id, statement (null for none), kind,\n"
      "              state, created, attempts, next_try (null once sent or given\n"
      "              up), sent, failed, requeued (when requeue last put it\n"
      "              back, else null), last_error, and the arrays rcpts,\n"
      "              delivered and rejected\n"
      "  -h, --help  this help\n"
      "\n"
      "Exit status: 0 listed; 64 usage error; 66 no database; 70 internal\n"
      "error; 75 the database cannot be opened or read; 78 configuration error." },
    { "requeue", ctl_cmd_requeue, "--all | ID...",
      "Put mail the sender gave up on back in the queue, once what stopped it\n"
      "is mended, as postsuper -r does for an MTA's: by ID, a row of\n"
      "liaisonctl queue in state given up, or a sent mail some of whose\n"
      "recipients the relay refused; with --all, every mail given up after five\n"
      "days of temporary failures (a relay or network that was down), whether\n"
      "nobody or only some got it.  Every recipient that did not get it is\n"
      "tried again (one refused before such a give-up too), due at once (flush,\n"
      "or liaisond's sender at its next round), with the backoff started over\n"
      "and five new days before it is given up again; refused again, it is\n"
      "reported again.  Each is printed, logged, and recorded on its statement\n"
      "(event \"mail requeued\", with the attempts and the last error).  Not put\n"
      "back: mail still waiting in the queue (a sender may be delivering it),\n"
      "and a reminder whose statement has been closed or answered since.\n"
      "\n"
      "Options:\n"
      "  -a, --all   every mail given up after five days of temporary failures\n"
      "              (a refusal, 5xx, only by its ID)\n"
      "  -h, --help  this help\n"
      "\n"
      "Exit status: 0 requeued (with --all, also when there was none, or a stale\n"
      "reminder was left, said); 1 an ID names no mail, one with nothing to send\n"
      "again, or a stale reminder (said; the others are still requeued); 64\n"
      "usage error; 66 no database; 70 internal error; 75 the database cannot\n"
      "be opened or written (those requeued before it stay so, and are\n"
      "counted); 78 configuration error." },
    { "flush", ctl_cmd_flush, "[--max N] [--now TIME] [--relay HOST[:PORT]]",
      "Deliver the queued mail that is due (notifications, acknowledgements,\n"
      "reminders, reports, responses) to the relay, retrying temporary failures\n"
      "later and reporting permanent ones.  Prints how many were sent, deferred\n"
      "and failed.\n"
      "\n"
      "Options:\n"
      "  -m, --max N              deliver at most N queued mails (default: 0, all\n"
      "                           that are due)\n"
      "  -n, --now TIME           deliver what is due at TIME, ISO 8601: a day\n"
      "                           (2027-01-15, its midnight UTC) or a time\n"
      "                           (2027-01-15T09:00:00Z; UTC without a zone)\n"
      "                           (default: the current time); each row's claim\n"
      "                           lasts 30 minutes from TIME, so a TIME further\n"
      "                           back makes claims another sender may take at\n"
      "                           once: to test or catch up, not beside liaisond's\n"
      "                           sender\n"
      "  -r, --relay HOST[:PORT]  the relay (default: relay_host and relay_port of\n"
      "                           the configuration, 127.0.0.1 and 25 by default;\n"
      "                           without PORT, relay_port; an IPv6 address with\n"
      "                           a port in brackets, [::1]:25); with STARTTLS its\n"
      "                           certificate must name HOST (relay_tls_name is\n"
      "                           not used)\n"
      "  -h, --help               this help\n"
      "\n"
      "Exit status: 0 done (mail the relay did not take is counted as deferred or\n"
      "failed); 64 usage error; 66 no database; 70 internal error; 75 the\n"
      "database cannot be opened or failed (run it again later); 78\n"
      "configuration error." },
    { "reply", ctl_cmd_reply, "[--to ADDR]... [--attach FILE]... [--close] [--dry-run] ID TEXT",
      "Send the IETF's response to statement ID and record that it was answered:\n"
      "the tickler stops reminding it.  TEXT is a file holding the letter (UTF-8\n"
      "text, at most 1 MiB; \"-\" for standard input); it goes out from the tool's\n"
      "address (mail_from), Subject \"[LS ID] Response: TITLE\", threaded on the\n"
      "statement, to the statement's response contacts at the sending body's own\n"
      "domains (else its sender, or a forward's forwarder: whom its acknowledgement\n"
      "went to), copying everyone its notification went to, the\n"
      "lists included; replies to it come back to intake and are threaded on the\n"
      "statement.  The outbox delivers it (liaisond's sender, or flush).\n"
      "\n"
      "Options:\n"
      "  -t, --to ADDR      send to ADDR (a plain local@domain) instead of the\n"
      "                     response contacts (again for more)\n"
      "  -a, --attach FILE  attach FILE, its type guessed from its name and bytes\n"
      "                     (again for more; at most 7 MiB together, which a relay\n"
      "                     with Postfix's default size limit still takes)\n"
      "  -c, --close        close the statement too\n"
      "  -N, --dry-run      print to whom it would go and the message (attachments\n"
      "                     base64), and queue nothing; the database is only\n"
      "                     read, so no write lock is waited for\n"
      "  -h, --help         this help\n"
      "\n"
      "Exit status: 0 queued; 1 no statement ID; 64 usage error, or a --to that is\n"
      "not an address; 65 TEXT is not text, the attachments are too large, or no\n"
      "address to send to (give --to); 66 no database, or TEXT or an attachment\n"
      "cannot be read; 70 internal error; 75 the database cannot be opened or\n"
      "written (nothing queued); 78 configuration error." },
    { "tickle", ctl_cmd_tickle, "[--now YYYY-MM-DD] [--dry-run]",
      "Queue the reminders due today for open statements: before the deadline,\n"
      "overdue, or without a deadline (tickle_* keys of the configuration).  Each\n"
      "reminder goes to the assignee, copying everyone the notification copied but\n"
      "the lists, and is queued once however often this runs.  Prints one line per\n"
      "reminder, then a summary; `liaisonctl flush` delivers them.\n"
      "\n"
      "Options:\n"
      "  -n, --now YYYY-MM-DD  queue what is due on that day (default: today, UTC)\n"
      "  -N, --dry-run         print what would go to whom and queue nothing\n"
      "  -h, --help            this help\n"
      "\n"
      "Exit status: 0 done; 64 usage error, or a --now that is not a day;\n"
      "66 no database; 70 internal error; 75 the database cannot be opened or failed (what was\n"
      "queued stays queued); 78 configuration error, or a bad tickle_before." },
    { "publish", ctl_cmd_publish, "[--now TIME] [--days N] DIR",
      "Write the statements as a static web site into DIR (made when absent):\n"
      "index.html lists the open statements, the nearest deadline first (overdue\n"
      "ones marked, unless answered), then those closed in the last N days;\n"
      "ID/index.html is each statement's page, so that base_url followed by the\n"
      "id (the link in every notification) finds it when DIR is served at\n"
      "base_url; feed.atom is an Atom feed, deadlines.ics a calendar (an all-day\n"
      "event on the deadline of each open statement not yet answered) and\n"
      "statements.json a JSON array of the listed statements; group/KEY/ holds\n"
      "the same page, feed and calendar for each group and area of the directory\n"
      "(an area's with its groups' statements) and the IESG.  Document\n"
      "attachments (PDF, text, office files, ZIP)\n"
      "are published beside their page as N-NAME.ext.  Only what a statement says\n"
      "of itself, its groups and when it was answered or closed are published:\n"
      "not the mail's From, whom it was routed to, the diagnostics or the\n"
      "history.  A file is\n"
      "replaced whole, and only when its content changed.  Prints a summary.  Run\n"
      "it from cron; two runs at once take turns.\n"
      "\n"
      "Options:\n"
      "  -n, --now TIME  publish as at TIME, ISO 8601: a day (2027-01-15, its\n"
      "                  midnight UTC) or a time (2027-01-15T09:00:00Z; UTC\n"
      "                  without a zone) (default: now): how deadlines\n"
      "                  stand, and which closed statements are recent (the\n"
      "                  statements are those recorded now)\n"
      "  -D, --days N    list the statements closed in the last N days (default 90)\n"
      "  -h, --help      this help\n"
      "\n"
      "Exit status: 0 published; 64 usage error; 66 no database; 70 internal\n"
      "error; 73 a file or directory under DIR cannot be written (what was\n"
      "written stays, whole); 75 the database cannot be opened or read; 78\n"
      "configuration error, or the directory cannot be read." },
    { "backup", ctl_cmd_backup, "FILE",
      "Write a copy of the database to FILE while liaisond runs: one snapshot,\n"
      "taken through SQLite's backup API (a cp of a database in WAL mode can be\n"
      "torn), without the changes of a transaction not yet committed; liaisond\n"
      "neither waits for it nor stops.  The copy is one self-contained file (no\n"
      "-wal file beside it), mode 0600 (it holds mail and the database's secret),\n"
      "checked (quick_check), flushed to disk and then renamed over FILE: FILE is\n"
      "the old file or a whole new copy, never a part (a link at FILE is\n"
      "replaced, not followed).  The database is read as it is, never migrated.\n"
      "Prints how many\n"
      "statements and messages it holds and its size.  To restore: stop\n"
      "liaisond, copy the backup over the database, remove the database's -wal\n"
      "and -shm files, start liaisond.\n"
      "\n"
      "Options:\n"
      "  -h, --help  this help\n"
      "\n"
      "Exit status: 0 backed up; 64 usage error; 66 no database; 70 internal\n"
      "error; 73 FILE cannot be written: its folder does not exist or is\n"
      "read-only, or FILE is a folder, a FIFO, a device, a socket or the\n"
      "database itself; 74 the disk\n"
      "filled or an I/O error while the copy was written, or the copy failed\n"
      "its check (a damaged database); 75 the database cannot be opened or\n"
      "read (locked past the busy timeout); 78 configuration error.  On a\n"
      "failure no temporary file stays behind, and FILE is left as it was\n"
      "(but when the copy is in place and only flushing its folder failed,\n"
      "which is said); a backup killed part-way leaves its temporary copy,\n"
      ".liaison-backup-XXXXXX, which the next backup into that folder\n"
      "removes." },
    { "help", ctl_cmd_help, "[COMMAND]",
      "Describe the commands, or COMMAND (the same as 'liaisonctl COMMAND --help').\n"
      "It reads no configuration.\n"
      "\n"
      "Options:\n"
      "  -h, --help  this help\n"
      "\n"
      "Exit status: 0 described; 64 usage error, or an unknown COMMAND." },
};

/* The command with this name, or NULL. */
static const struct command *
find_command(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* Print the usage summary. */
static void
usage(FILE *fp)
{
    fprintf(fp, "usage: liaisonctl [-c CONFIG] [-d DB] [-D DIRECTORY] [-v] COMMAND [ARGS]\n"
                "       liaisonctl -h | -V\n\n"
                "Global options, before the command:\n"
                "  -c CONFIG      configuration file (default: $LIAISON_CONF when set; else\n"
                "                 " SYSCONFDIR "/liaisond/liaisond.conf when it exists;\n"
                "                 else none, and the built-in defaults apply)\n"
                "  -d DB          database file (default: $LIAISON_DB when set; else, when\n"
                "                 a configuration file is read, the configuration's\n"
                "                 database, whose own default is\n"
                "                 " LOCALSTATEDIR "/lib/liaisond/liaison.db; else ./liaison.db)\n"
                "  -D DIRECTORY   directory of groups and peers (default: $LIAISON_DIRECTORY\n"
                "                 when set; else, when a configuration file is read, the\n"
                "                 configuration's directory; else ./conf/directory.json\n"
                "                 when it exists; else " SYSCONFDIR "/liaisond/directory.json)\n"
                "  -v             log more\n"
                "  -h, --help     this help\n"
                "  -V, --version  print the version\n\nCommands:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        fprintf(fp, "  %-8s %s\n", commands[i].name, commands[i].usage);
    fprintf(fp, "\n'liaisonctl help COMMAND' or 'liaisonctl COMMAND --help' describes one.\n\n"
                "Exit status:\n"
                "  0   done\n"
                "  1   show, close, reopen, deadline, reassign, reply, export: no such\n"
                "      statement; requeue: no such mail, nothing in it to send again, or\n"
                "      a stale reminder\n"
                "  64  usage error, or an unknown command\n"
                "  65  ingest: the input is not mail; nothing recorded; import: some\n"
                "      messages are not mail or too large (the rest recorded); reply:\n"
                "      the text is not text, the attachments exceed 7 MiB, or there is no\n"
                "      address to send it to\n"
                "  66  ingest: FILE cannot be opened; import: a PATH cannot be read or is\n"
                "      compressed; list, show, stats, close, reopen, deadline, reassign,\n"
                "      reply, queue, requeue, flush, tickle, publish, backup, export:\n"
                "      there is no database (none is made); reply: a file cannot be read\n"
                "  70  internal error: the envelope patterns cannot be compiled (PCRE2)\n"
                "  73  publish: a file or folder under DIR cannot be written; backup,\n"
                "      export: FILE cannot be written (no such folder, read-only, a\n"
                "      folder, a FIFO, a device or a socket, the database itself);\n"
                "      import: the database's folder does not exist (ingest: 75)\n"
                "  74  ingest: the input is larger than 256 MiB; backup: the disk filled\n"
                "      or an I/O error while writing the copy, or the copy failed its\n"
                "      check; export: a write failed (the disk filled)\n"
                "  75  temporary failure: the database (or, for ingest, the directory)\n"
                "      cannot be opened or used (locked, read-only, full; for a command\n"
                "      that only reads, an older schema, which liaisond migrates when it\n"
                "      starts); try again later\n"
                "  78  configuration error: the configuration file cannot be read or is\n"
                "      invalid, the database or directory path is empty, (tickle) its\n"
                "      tickle_before is not a list of days, or (publish, import, list\n"
                "      --group, reassign, reply; flush and tickle when neither mail_from\n"
                "      nor intake is set) the directory cannot be loaded\n"
                "ingest answers 75 instead of 64, 70, 73 and 78, and when the input cannot\n"
                "be read: an MTA running it as a pipe then keeps the message.\n");
}

/* The one-line reminder after a usage error, on stderr. */
static void
short_usage(void)
{
    fprintf(stderr, "usage: liaisonctl [-c CONFIG] [-d DB] [-D DIRECTORY] [-v] COMMAND [ARGS]\n"
                    "'liaisonctl --help' lists the commands and options.\n");
}

/* Parse the global options, then run one command from the table. */
int
main(int argc, char **argv)
{
    struct ctl ctl = { 0 };
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    int c, rc, first;

    log_init(argv[0], LOG_TO_STDERR);
    /* A write past the file size limit (ulimit -f; systemd's LimitFSIZE)
     * must fail with EFBIG, which every command reports and ingest turns
     * into 75, not kill the process with SIGXFSZ: an MTA reads a killed
     * pipe command as no decision, and a backup or export killed
     * part-way leaves its temporary file. */
    signal(SIGXFSZ, SIG_IGN);
    while ((c = getopt_long(argc, argv, "+c:d:D:vhV", opts, NULL)) != -1) {
        switch (c) {
        case 'c': ctl.config_path = optarg; break;
        case 'd': ctl.db_path = optarg; break;
        case 'D': ctl.dir_path = optarg; break;
        case 'v': log_set_level(LOG_DEBUG); break;
        case 'h': usage(stdout); return EX_OK;
        case 'V': printf("liaisonctl %s\n", PACKAGE_VERSION); return EX_OK;
        default:
            /* getopt has said what was wrong; a short reminder keeps it
             * on the screen, where the whole help would scroll it away. */
            short_usage();
            return ctl_names_ingest(argc, argv, optind) ? ctl_ingest_keep(EX_USAGE) : EX_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "liaisonctl: no command given\n");
        short_usage();
        return EX_USAGE;
    }
    ctl.cmd = find_command(argv[optind]);
    if (ctl.cmd == NULL) {
        fprintf(stderr, "liaisonctl: unknown command \"%s\"; 'liaisonctl help' lists them\n",
                argv[optind]);
        return EX_USAGE;
    }
    first = optind;
    optind = 0;                 /* commands parse their own options (glibc: reset) */
    /* Each command checks its arguments, then calls ctl_setup(). */
    rc = ctl.cmd->run(&ctl, argc - first, argv + first);
    store_close(ctl.store);
    directory_free(ctl.dir);
    compose_settings_free(ctl.mail);
    config_free(ctl.cfg);
    if (ctl.ready)
        message_library_shutdown();
    return rc;
}

