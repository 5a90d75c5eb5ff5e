/*
 * bench/nullmilter.c: the cheapest milter libmilter can make, for make
 * bench's floor row.  It asks Postfix for no step after the connection
 * and answers ACCEPT to it, so Postfix talks to it once per SMTP session
 * (open, option negotiation, the connect macros and event, close) and
 * never per message.  No milter that must see a recipient, as liaisond
 * must, can cost Postfix less; what this one costs is what a) can never
 * get back.  Not part of liaisond: built by bench/run.sh only.
 *
 * Usage: nullmilter unix:PATH (the socket is made 0666 for Postfix).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <libmilter/mfapi.h>

/* Ask for nothing past the connect event. */
static sfsistat
null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
               unsigned long f3, unsigned long *pf0, unsigned long *pf1,
               unsigned long *pf2, unsigned long *pf3)
{
    (void) ctx, (void) f0, (void) f2, (void) f3;
    *pf0 = 0;
    *pf1 = f1 & (SMFIP_NOHELO | SMFIP_NOMAIL | SMFIP_NORCPT | SMFIP_NOBODY | SMFIP_NOHDRS
                 | SMFIP_NOEOH | SMFIP_NOUNKNOWN | SMFIP_NODATA);
    *pf2 = 0;
    *pf3 = 0;
    return SMFIS_CONTINUE;
}

/* Done with the whole session at once. */
static sfsistat
null_connect(SMFICTX *ctx, char *host, struct sockaddr *addr)
{
    (void) ctx, (void) host, (void) addr;
    return SMFIS_ACCEPT;
}

int
main(int argc, char **argv)
{
    struct smfiDesc desc;

    if (argc != 2 || strncmp(argv[1], "unix:", 5) != 0) {
        fprintf(stderr, "usage: nullmilter unix:PATH\n");
        return 64;
    }
    memset(&desc, 0, sizeof desc);
    desc.xxfi_name = "nullmilter";
    desc.xxfi_version = SMFI_VERSION;
    desc.xxfi_connect = null_connect;
    desc.xxfi_negotiate = null_negotiate;
    if (smfi_setconn(argv[1]) == MI_FAILURE || smfi_register(desc) == MI_FAILURE
        || smfi_opensocket(1) == MI_FAILURE) {
        fprintf(stderr, "nullmilter: cannot listen on %s\n", argv[1]);
        return 71;
    }
    if (chmod(argv[1] + 5, 0666) != 0) {
        perror("nullmilter: chmod");
        return 71;
    }
    return smfi_main() == MI_SUCCESS ? 0 : 70;
}
