/*
 * route.c: the routing rule of RFC 4053 applied to one statement.
 *
 * A statement goes to the group(s) its To names; an area's name routes to
 * the area directors; a To that names people is routed by a group's list
 * or chairs address among To and Cc; "For information to:" groups get a
 * copy on their list; a To that names nothing known is homeless and goes
 * to the IESG.  The assignee is the group's chairs (an area's ADs, the
 * IESG when homeless); copies go to the technical contacts, the
 * supervisor (a WG's ADs; an area's: the IETF chair), the sending peer's
 * liaison manager and the group's list.  The tickler later mails the same
 * people minus the lists, which is why every recipient keeps its role.
 */
#include "config.h"

#include <string.h>

#include "route.h"

/* Technical contacts copied on one statement's mail at most. */
#define ROUTE_TECHNICAL_MAX 8
/* The most groups and areas one statement is routed to (For Action and
 * For Information together).  Anyone can write a To line: past this, a
 * statement goes to the IESG alone, which decides, rather than to every
 * list a stranger named. */
#define ROUTE_GROUPS_MAX 8

/* Whether a string array holds s (any case). */
static gboolean
has_string(const GPtrArray *a, const char *s)
{
    for (guint i = 0; i < a->len; i++)
        if (g_ascii_strcasecmp(g_ptr_array_index(a, i), s) == 0)
            return TRUE;
    return FALSE;
}

/* Add s to a string array unless it is already there. */
static void
add_unique(GPtrArray *a, const char *s)
{
    if (!has_string(a, s))
        g_ptr_array_add(a, g_strdup(s));
}

/* An address as a phrase writes it, lower case, without what may wrap it
 * ("(a@x)", "a@x.", "mailto:a@x", "a@x,"); NULL when no address is left. */
static char *
clean_addr(const char *s, size_t n)
{
    static const char wrap[] = "<>()[]{}\"',;:";

    while (n > 0 && strchr(wrap, *s) != NULL)
        s++, n--;
    while (n > 0 && (strchr(wrap, s[n - 1]) != NULL || s[n - 1] == '.'))
        n--;
    if (n > 7 && g_ascii_strncasecmp(s, "mailto:", 7) == 0)
        s += 7, n -= 7;
    if (n == 0 || memchr(s, '@', n) == NULL || s[0] == '@' || s[n - 1] == '@')
        return NULL;
    return g_ascii_strdown(s, (gssize) n);
}

/* The address of a phrase, lower case, or NULL: inside "Name <addr>", else
 * the first blank-separated word that holds an '@' ("addr (Name)", "Name
 * addr", "mailto:addr", "addr.").  *words gets the rest, which may name a
 * body: the text before the "<", or the phrase without that word. */
static char *
phrase_addr(const char *phrase, char **words)
{
    const char *lt = strchr(phrase, '<'), *gt, *p;

    *words = NULL;
    if (lt != NULL && (gt = strchr(lt, '>')) != NULL && strchr(lt, '@') != NULL
        && strchr(lt, '@') < gt) {
        char *addr = clean_addr(lt + 1, (size_t) (gt - lt - 1));

        if (addr != NULL)
            *words = g_strndup(phrase, (gsize) (lt - phrase));
        return addr;
    }
    for (p = phrase; *p != '\0'; ) {
        size_t n;

        while (g_ascii_isspace(*p))
            p++;
        n = strcspn(p, " \t\r\n");
        if (n > 0 && memchr(p, '@', n) != NULL) {
            char *addr = clean_addr(p, n);

            if (addr != NULL) {
                *words = g_strdup_printf("%.*s %s", (int) (p - phrase), phrase, p + n);
                return addr;
            }
        }
        p += n;
    }
    return NULL;
}

/* The group whose list or chairs address addr is, else the area whose
 * ADs it is: its key, or NULL. */
static const char *
body_by_addr(const struct directory *d, const char *addr)
{
    const struct dir_group *g = directory_group_by_addr(d, addr);
    const struct dir_area *a = g == NULL ? directory_area_by_addr(d, addr) : NULL;

    return g != NULL ? g->key : a != NULL ? a->key : NULL;
}

/* Whether words say they name an IETF or IRTF body, not a person:
 * "IETF", "IRTF", "WG(s)", "RG(s)", "Working Group(s)", "Research
 * Group(s)" or "Area" among them.  "Research" counts only before
 * "group(s)": alone it is as likely an employer's name ("Acme Research
 * <a@x>"). */
static gboolean
says_body(const char *words)
{
    static const char *const marks[] = {
        "ietf", "irtf", "wg", "wgs", "rg", "rgs", "working", "area", NULL
    };
    g_auto(GStrv) tokens = NULL;
    g_autofree char *lower = g_ascii_strdown(words, -1);
    gboolean research = FALSE;

    for (char *p = lower; *p != '\0'; p++)
        if (!g_ascii_isalnum(*p))
            *p = ' ';
    tokens = g_strsplit(lower, " ", -1);
    for (char **t = tokens; *t != NULL; t++) {
        if (**t == '\0')
            continue;
        if (research && (strcmp(*t, "group") == 0 || strcmp(*t, "groups") == 0))
            return TRUE;
        research = strcmp(*t, "research") == 0;
        for (const char *const *m = marks; *m != NULL; m++)
            if (strcmp(*t, *m) == 0)
                return TRUE;
    }
    return FALSE;
}

/* Add the groups and areas a phrase names to keys, in its order ("IETF
 * CCAMP and DetNet WGs" names two); TRUE if it named one.  A phrase with
 * an address, in any form ("Name <addr>", "addr (Name)", "Name addr"),
 * names the group whose list or chairs it is, or the area whose ADs; the
 * words around the address name a body only when they say so ("IETF
 * CCAMP WG (Daniele <d@x>)"): otherwise they are a person's name, and a
 * person may be called Bess or Mimi, or be quic.smith@. */
static gboolean
route_phrase(const struct directory *d, const char *phrase, GPtrArray *keys)
{
    g_autoptr(GPtrArray) found = g_ptr_array_new();
    g_autofree char *words = NULL;
    g_autofree char *addr = phrase_addr(phrase, &words);

    const char *key = addr != NULL ? body_by_addr(d, addr) : NULL;

    /* The words around an address count when they say they name a body:
     * "IETF CCAMP and DetNet WGs (ccamp@x, detnet@x)" names two groups,
     * though its first address names one. */
    if (addr == NULL || says_body(words))
        directory_match_bodies(d, addr != NULL ? words : phrase, found);
    for (guint i = 0; i < found->len; i++)
        add_unique(keys, g_ptr_array_index(found, i));
    if (key != NULL)
        add_unique(keys, key);
    return found->len > 0 || key != NULL;
}

/* The sending peer: by the From body's name, else by the mail domain of
 * an address in the From body, the header From or a response contact. */
static const struct dir_peer *
route_peer(const struct directory *d, const struct statement *s, const char *from_addr)
{
    const struct envelope *e = s->env;
    const struct dir_peer *p = NULL;

    if (e->from_body != NULL) {
        g_autofree char *words = NULL;
        g_autofree char *addr = phrase_addr(e->from_body, &words);

        p = directory_peer_by_name(d, e->from_body);
        if (p == NULL && addr != NULL)
            p = directory_peer_by_addr(d, addr);
    }
    if (p == NULL)
        p = directory_peer_by_addr(d, from_addr);
    for (guint i = 0; p == NULL && i < e->response_contacts->len; i++) {
        const struct contact *c = g_ptr_array_index(e->response_contacts, i);

        p = directory_peer_by_addr(d, c->addr);
    }
    return p;
}

/* The domain of an address, or NULL. */
static const char *
domain_of(const char *addr)
{
    const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

    return at != NULL ? at + 1 : NULL;
}

/* Whether addr is a mailbox at its domain and nowhere else: one '@', and
 * nothing in the local part that routes on.  "victim%evil.example@x" (the
 * percent hack, which Postfix applies to its own local domains) and
 * "evil.example!victim@x" (a UUCP bang path) are at x only in name: its
 * MTA forwards them to the address they hide. */
static gboolean
plain_mailbox(const char *addr)
{
    const char *at = addr != NULL ? strchr(addr, '@') : NULL;

    return at != NULL && at != addr && strchr(at + 1, '@') == NULL
           && strpbrk(addr, "%!\"\\:;<>,()[] \t") == NULL;
}

/* Whether addr is at the sending body's own mail domains: the known
 * peer's (which other peers may share: ITU-T's study groups all use
 * itu.int), else the header From's (from_domain, may be NULL).  Only a
 * plain mailbox is at a domain. */
static gboolean
at_sender(const struct dir_peer *peer, const char *from_domain, const char *addr)
{
    const char *dom = domain_of(addr);

    if (!plain_mailbox(addr))
        return FALSE;
    if (peer != NULL)
        return directory_peer_owns(peer, addr);
    return dom != NULL && from_domain != NULL && g_ascii_strcasecmp(dom, from_domain) == 0;
}

/* Whether addr is a group's mailing list. */
static gboolean
is_list(const struct directory *d, const char *addr)
{
    const struct dir_group *g = directory_group_by_addr(d, addr);

    return g != NULL && g->list != NULL && g_ascii_strcasecmp(g->list, addr) == 0;
}

/* Copy the technical contacts, but only those at the sending body's own
 * domains (the header From's domain when the sender is no known peer), and
 * at most ROUTE_TECHNICAL_MAX: their addresses come from the text of
 * unauthenticated mail, and copying any address a message names would make
 * intake an open relay.  The others stay on the statement, with a
 * diagnostic, and are not copied. */
static void
route_technical(const struct directory *d, struct statement *s,
                const struct dir_peer *peer, const char *header_from_addr)
{
    const struct envelope *e = s->env;
    gboolean ours = directory_is_own_domain(d, header_from_addr);
    /* Mail from the IETF's own domain (the datatracker's), or a host
     * below it, is no body's own: without a known peer, no address it
     * names is at the sender, least of all the IETF's own lists, people,
     * accounts and intake. */
    const char *from_domain = directory_is_own_or_below(d, header_from_addr)
                              ? NULL : domain_of(header_from_addr);
    guint copied = 0;
    /* Every contact left out is named, by reason, in one diagnostic (a
     * statement keeps one diagnostic of a kind). */
    g_autoptr(GString) lists = g_string_new(NULL);
    g_autoptr(GString) intl = g_string_new(NULL);
    g_autoptr(GString) elsewhere = g_string_new(NULL);
    g_autoptr(GString) text = g_string_new(NULL);

    /* The routed peer may come from the text (a From body naming ITU-T, a
     * response contact at itu.int), which a stranger writes too: its
     * domains are the sender's own only when the From is at one of them,
     * or at the IETF's own domain, from which the datatracker sends a
     * body's statement.  Otherwise the peer the From's domain belongs to,
     * if any: a stranger naming "ITU-T Study Group 15" must not have eight
     * addresses at itu.int of its choosing sent its text. */
    if (!ours && (peer == NULL || !directory_peer_owns(peer, header_from_addr)))
        peer = header_from_addr != NULL ? directory_peer_by_addr(d, header_from_addr) : NULL;
    for (guint i = 0; i < e->technical_contacts->len; i++) {
        const struct contact *c = g_ptr_array_index(e->technical_contacts, i);
        GString *why;

        if (c->addr == NULL)
            continue;
        /* A group's list named as a contact (the datatracker's forms allow
         * it) is no person: copied as "technical" it would keep that role,
         * and the tickler, which leaves lists out by role, would remind
         * the whole group.  Its own group's routing copies it as a list.
         * An internationalised address needs SMTPUTF8 all the way, which
         * the MTA may not have: the intake message's sender would get the
         * bounce for a copy it did not ask for. */
        if (is_list(d, c->addr))
            why = lists;
        else if (!g_str_is_ascii(c->addr))
            why = intl;
        else if (at_sender(peer, from_domain, c->addr) && copied < ROUTE_TECHNICAL_MAX) {
            statement_add_recipient(s, c->addr, "technical");
            copied++;
            continue;
        } else
            why = elsewhere;
        g_string_append_printf(why, "%s%s", why->len > 0 ? ", " : "", c->addr);
    }
    if (lists->len > 0)
        g_string_append_printf(text, "A working group's list named as a technical contact "
                               "is not a person; recorded but not copied as a contact: %s.",
                               lists->str);
    if (intl->len > 0)
        g_string_append_printf(text, "%sAn internationalised technical contact was recorded "
                               "but not copied: %s.", text->len > 0 ? " " : "", intl->str);
    if (elsewhere->len > 0)
        g_string_append_printf(text, "%sA technical contact not at the sending body's own "
                               "mail domain (or past %d contacts) was recorded but not "
                               "copied: %s.", text->len > 0 ? " " : "", ROUTE_TECHNICAL_MAX,
                               elsewhere->str);
    if (text->len > 0)
        statement_add_diagnostic(s, "technical-contact-not-copied", text->str);
}

/* The addresses the acknowledgement of s may go to: its response contacts
 * at a known peer's domains, at most ROUTE_TECHNICAL_MAX; when none is,
 * or the sender is no known peer, the header From's address.  Those
 * addresses come from the text of unauthenticated mail: acknowledging every one would mail text a stranger wrote (the
 * Title) to any address the stranger names.  Unlike routing, the peer is
 * not taken from the text (a From body naming ITU-T, a contact at
 * itu.int), which a stranger writes too, unless the From is at the
 * IETF's own domain: the datatracker sends a body's statement from there,
 * and a forged From of ours is the MTA's to refuse (DMARC).  Then only
 * that peer's contacts get it, and with none, nobody.  header_from_addr
 * is the mail's own From, a forwarder's for a forward: an attached
 * message's From is anyone's to write. */
GPtrArray *
route_acknowledge_to(const struct directory *d, const struct statement *s,
                     const char *header_from_addr)
{
    GPtrArray *to = g_ptr_array_new_with_free_func(g_free);
    gboolean ours = directory_is_own_domain(d, header_from_addr);
    const struct dir_peer *peer = ours ? route_peer(d, s, header_from_addr)
        : header_from_addr != NULL ? directory_peer_by_addr(d, header_from_addr) : NULL;

    /* From our own domain, only a peer's contacts: never an IETF address
     * a text names, nor our own tool. */
    if (ours && peer == NULL)
        return to;
    /* From a body the directory does not know, no contact but the From
     * below: the contacts at its domain are a stranger's to name, and a
     * forged From at a domain without DMARC would get every one of them a
     * copy of the stranger's text, a reflector eight addresses wide. */
    for (guint i = 0; peer != NULL && i < s->env->response_contacts->len
         && to->len < ROUTE_TECHNICAL_MAX; i++) {
        const struct contact *c = g_ptr_array_index(s->env->response_contacts, i);

        /* An internationalised address cannot be mailed here (compose
         * drops it): counting it would leave the From unacknowledged. */
        if (c->addr != NULL && g_str_is_ascii(c->addr) && !is_list(d, c->addr)
            && plain_mailbox(c->addr) && directory_peer_owns(peer, c->addr))
            add_unique(to, c->addr);
    }
    if (to->len == 0 && !ours && header_from_addr != NULL && strchr(header_from_addr, '@') != NULL)
        add_unique(to, header_from_addr);
    return to;
}

/* The keys in a, and those of b that a lacks. */
static guint
count_distinct(const GPtrArray *a, const GPtrArray *b)
{
    guint n = a->len;

    for (guint i = 0; i < b->len; i++)
        n += !has_string(a, g_ptr_array_index(b, i));
    return n;
}

/* Route statement s: groups, peer, assignee and recipients with roles. */
void
route_statement(const struct directory *d, struct statement *s,
                const char *header_from_addr)
{
    const struct envelope *e = s->env;
    const struct dir_peer *peer;
    gboolean people = FALSE;
    guint named;

    /* Every To item, those with an address too: "IETF CCAMP WG
     * <ccamp@ietf.test>, IETF DetNet WG" names two groups. */
    for (guint i = 0; i < e->to_list->len; i++) {
        const char *t = g_ptr_array_index(e->to_list, i);

        if (!route_phrase(d, t, s->groups) && strchr(t, '@') != NULL)
            people = TRUE;
    }
    /* A To naming only people says where it goes through the addresses
     * around it: a group's list or chairs, an area's ADs, among the Cc. */
    if (s->groups->len == 0 && people) {
        for (guint i = 0; i < e->cc->len; i++) {
            const struct contact *c = g_ptr_array_index(e->cc, i);
            const char *key = c->addr != NULL ? body_by_addr(d, c->addr) : NULL;

            if (key != NULL)
                add_unique(s->groups, key);
        }
    }
    for (guint i = 0; i < e->info_to->len; i++) {
        g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);

        route_phrase(d, g_ptr_array_index(e->info_to, i), keys);
        for (guint k = 0; k < keys->len; k++)
            if (directory_group(d, g_ptr_array_index(keys, k)) != NULL)
                add_unique(s->info_groups, g_ptr_array_index(keys, k));
    }
    named = count_distinct(s->groups, s->info_groups);
    if (named > ROUTE_GROUPS_MAX) {
        g_autofree char *text = g_strdup_printf(
            "The statement names %u IETF groups and areas, more than %d: it was routed "
            "to the IESG alone, to decide where it goes.", named, ROUTE_GROUPS_MAX);

        statement_add_diagnostic(s, "too-many-groups", text);
        g_ptr_array_set_size(s->groups, 0);
        g_ptr_array_set_size(s->info_groups, 0);
    }
    if (s->groups->len == 0)
        add_unique(s->groups, "iesg");

    peer = route_peer(d, s, header_from_addr);
    g_free(s->peer);
    s->peer = peer != NULL ? g_strdup(peer->key) : NULL;

    /* Assignees first, so that an address that is both assignee and a copy
     * keeps the assignee role. */
    for (guint i = 0; i < s->groups->len; i++) {
        const char *key = g_ptr_array_index(s->groups, i);
        const struct dir_group *g = directory_group(d, key);
        const struct dir_area *a = directory_area(d, key);
        const char *who = g != NULL ? g->chairs : a != NULL ? a->ads : directory_iesg(d);

        statement_add_recipient(s, who, "assignee");
        if (s->assignee == NULL)
            s->assignee = g_ascii_strdown(who, -1);
    }
    route_technical(d, s, peer, header_from_addr);
    for (guint i = 0; i < s->groups->len; i++) {
        const char *key = g_ptr_array_index(s->groups, i);
        const struct dir_group *g = directory_group(d, key);
        const struct dir_area *ga = g != NULL ? directory_area(d, g->area) : NULL;

        if (ga != NULL)
            statement_add_recipient(s, ga->ads, "supervisor");
        else if (directory_area(d, key) != NULL)
            statement_add_recipient(s, directory_chair(d), "supervisor");
    }
    if (peer != NULL)
        statement_add_recipient(s, peer->liaison_manager, "liaison-manager");
    for (guint i = 0; i < s->groups->len; i++) {
        const struct dir_group *g = directory_group(d, g_ptr_array_index(s->groups, i));

        if (g != NULL)
            statement_add_recipient(s, g->list, "list");
    }
    for (guint i = 0; i < s->info_groups->len; i++) {
        const struct dir_group *g = directory_group(d, g_ptr_array_index(s->info_groups, i));

        if (g != NULL)
            statement_add_recipient(s, g->list, "info-list");
    }
}

/* See route.h. */
const char *
route_reassign_target(const struct directory *d, const char *key)
{
    g_autofree char *k = g_ascii_strdown(key, -1);
    const struct dir_group *g = directory_group(d, k);
    const struct dir_area *a = g == NULL ? directory_area(d, k) : NULL;

    return g != NULL ? g->chairs : a != NULL ? a->ads
         : strcmp(k, "iesg") == 0 ? directory_iesg(d) : NULL;
}

/* Add to s the recipients of old that have role, in their order. */
static void
keep_role(struct statement *s, const GPtrArray *old, const char *role)
{
    for (guint i = 0; i < old->len; i++) {
        const struct recipient *r = g_ptr_array_index(old, i);

        if (g_strcmp0(r->role, role) == 0)
            statement_add_recipient(s, r->addr, r->role);
    }
}

/* See route.h. */
gboolean
route_reassign(const struct directory *d, struct statement *s, const char *key)
{
    g_autofree char *k = g_ascii_strdown(key, -1);
    const struct dir_group *g = directory_group(d, k);
    const struct dir_area *a = g == NULL ? directory_area(d, k) : NULL;
    const struct dir_area *ga = g != NULL && g->area != NULL ? directory_area(d, g->area) : NULL;
    const char *who = route_reassign_target(d, k);
    GPtrArray *old = s->recipients;

    if (who == NULL)
        return FALSE;
    s->recipients = g_ptr_array_new_with_free_func(recipient_free);
    statement_add_recipient(s, who, "assignee");
    g_free(s->assignee);
    s->assignee = g_ascii_strdown(who, -1);
    keep_role(s, old, "technical");
    if (ga != NULL)
        statement_add_recipient(s, ga->ads, "supervisor");
    else if (a != NULL)
        statement_add_recipient(s, directory_chair(d), "supervisor");
    keep_role(s, old, "liaison-manager");
    if (g != NULL)
        statement_add_recipient(s, g->list, "list");
    keep_role(s, old, "info-list");
    g_ptr_array_unref(old);
    g_ptr_array_set_size(s->groups, 0);
    g_ptr_array_add(s->groups, g_strdup(k));
    return TRUE;
}
