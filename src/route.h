/*
 * route.h: the routing rule of the directory applied to a statement:
 * which group(s) it is for, who is assigned, who gets copies.
 */
#ifndef LIAISON_ROUTE_H
#define LIAISON_ROUTE_H

#include "directory.h"
#include "statement.h"

/* Fill s->groups, s->info_groups, s->peer, s->assignee and s->recipients
 * from s->env and the header From address (may be NULL). */
void    route_statement(const struct directory *d, struct statement *s,
                        const char *header_from_addr);
/* Route s to the group or area key ("netmod", "ops", "iesg") instead of
 * its groups: its assignee, the assignee's supervisor and the group's
 * list replace theirs; technical contacts, the liaison manager and the
 * lists copied for information stay.  FALSE, s untouched, when the
 * directory has no such group or area. */
gboolean route_reassign(const struct directory *d, struct statement *s, const char *key);
/* The address route_reassign would make the assignee for key, or NULL
 * when the directory has no such group or area. */
const char *route_reassign_target(const struct directory *d, const char *key);
/* The addresses the acknowledgement of s may go to: the response contacts
 * at the sending body's own mail domains (at most eight), else the header
 * From's address (may be NULL).  A new array of strings, maybe empty. */
GPtrArray *route_acknowledge_to(const struct directory *d, const struct statement *s,
                                const char *header_from_addr);

#endif
