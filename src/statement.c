/*
 * statement.c: the in-memory liaison statement, its parts, and its JSON
 * form.
 *
 * The JSON keys are those of tests/corpus/expected.json, so that what
 * `liaisonctl show --json` prints can be compared field by field with the
 * golden data; contacts appear as address lists (what a program compares)
 * beside their names (what a person reads).
 */
#include "config.h"

#include <string.h>

#include "statement.h"

/* See statement.h.  strtoll alone also takes "+1", " 1" and "01" for 1
 * and clamps an id too long for 64 bits to the largest. */
gint64
statement_id_scan(const char *text, const char **end)
{
    const char *p = text;

    while (g_ascii_isdigit(*p))
        p++;
    *end = p;
    if (p == text || *text == '0' || p - text > 18)
        return 0;
    return g_ascii_strtoll(text, NULL, 10);
}

/* An empty statement with an empty envelope. */
struct statement *
statement_new(void)
{
    struct statement *s = g_new0(struct statement, 1);

    s->state = g_strdup("open");
    s->env = envelope_new();
    s->groups = g_ptr_array_new_with_free_func(g_free);
    s->info_groups = g_ptr_array_new_with_free_func(g_free);
    s->recipients = g_ptr_array_new_with_free_func(recipient_free);
    s->attachments = g_ptr_array_new_with_free_func(attachment_free);
    s->diagnostics = g_ptr_array_new_with_free_func(diagnostic_free);
    return s;
}

/* Free a statement and everything it owns. */
void
statement_free(struct statement *s)
{
    if (s == NULL)
        return;
    g_free(s->received);
    g_free(s->state);
    g_free(s->message_id);
    g_free(s->forwarded_by);
    g_free(s->closed);
    g_free(s->replied);
    g_free(s->header_from);
    g_free(s->subject);
    envelope_free(s->env);
    g_ptr_array_unref(s->groups);
    g_ptr_array_unref(s->info_groups);
    g_free(s->peer);
    g_free(s->assignee);
    g_ptr_array_unref(s->recipients);
    g_ptr_array_unref(s->attachments);
    g_ptr_array_unref(s->diagnostics);
    g_free(s);
}

/* Append a diagnostic unless one with the same code is already there. */
void
statement_add_diagnostic(struct statement *s, const char *code, const char *text)
{
    if (!statement_has_diagnostic(s, code))
        g_ptr_array_add(s->diagnostics, diagnostic_new(code, text));
}

/* TRUE when a diagnostic with this code is present. */
gboolean
statement_has_diagnostic(const struct statement *s, const char *code)
{
    for (guint i = 0; i < s->diagnostics->len; i++) {
        const struct diagnostic *d = g_ptr_array_index(s->diagnostics, i);

        if (strcmp(d->code, code) == 0)
            return TRUE;
    }
    return FALSE;
}

/* Append a recipient; an address already present keeps its first role,
 * because the first role given is the most specific one. */
void
statement_add_recipient(struct statement *s, const char *addr, const char *role)
{
    if (addr == NULL || *addr == '\0')
        return;
    for (guint i = 0; i < s->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(s->recipients, i);

        if (g_ascii_strcasecmp(r->addr, addr) == 0)
            return;
    }
    g_ptr_array_add(s->recipients, recipient_new(addr, role));
}

/* See statement.h. */
void
statement_json_string(JsonBuilder *b, const char *key, const char *value)
{
    json_builder_set_member_name(b, key);
    if (value != NULL)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

/* See statement.h. */
void
statement_json_strings(JsonBuilder *b, const char *key, const GPtrArray *a)
{
    json_builder_set_member_name(b, key);
    json_builder_begin_array(b);
    for (guint i = 0; a != NULL && i < a->len; i++)
        json_builder_add_string_value(b, g_ptr_array_index(a, i));
    json_builder_end_array(b);
}

/* Add "key": [addresses] and "key_names": [names] for a contact list;
 * contacts known only by name (a body in a Cc line) appear in the names. */
static void
json_member_contacts(JsonBuilder *b, const char *key, const GPtrArray *a)
{
    g_autofree char *names = g_strconcat(key, "_names", NULL);

    json_builder_set_member_name(b, key);
    json_builder_begin_array(b);
    for (guint i = 0; a != NULL && i < a->len; i++) {
        const struct contact *c = g_ptr_array_index(a, i);

        if (c->addr != NULL)
            json_builder_add_string_value(b, c->addr);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, names);
    json_builder_begin_array(b);
    for (guint i = 0; a != NULL && i < a->len; i++) {
        const struct contact *c = g_ptr_array_index(a, i);

        if (c->name != NULL)
            json_builder_add_string_value(b, c->name);
    }
    json_builder_end_array(b);
}

/* Write the statement as the members of a JSON object (the caller has
 * begun the object and ends it). */
void
statement_to_json(const struct statement *s, JsonBuilder *b)
{
    const struct envelope *e = s->env;

    json_builder_set_member_name(b, "id");
    json_builder_add_int_value(b, s->id);
    statement_json_string(b, "received", s->received);
    statement_json_string(b, "state", s->state);
    statement_json_string(b, "closed", s->closed);
    statement_json_string(b, "replied", s->replied);
    /* Added beside replied, which keeps its meaning (when the IETF
     * answered): whether that answer still stands. */
    json_builder_set_member_name(b, "answered");
    json_builder_add_boolean_value(b, s->answered);
    statement_json_string(b, "title", e->title);
    statement_json_string(b, "from", e->from_body);
    statement_json_string(b, "to", e->to_body);
    statement_json_strings(b, "to_list", e->to_list);
    statement_json_string(b, "purpose", purpose_name(e->purpose));
    statement_json_string(b, "deadline", e->deadline);
    json_member_contacts(b, "response_contacts", e->response_contacts);
    json_member_contacts(b, "technical_contacts", e->technical_contacts);
    json_member_contacts(b, "cc", e->cc);
    statement_json_strings(b, "groups", s->groups);
    statement_json_strings(b, "cc_groups", s->info_groups);
    statement_json_string(b, "peer", s->peer);
    statement_json_string(b, "assignee", s->assignee);

    json_builder_set_member_name(b, "recipients");
    json_builder_begin_array(b);
    for (guint i = 0; i < s->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(s->recipients, i);

        json_builder_begin_object(b);
        statement_json_string(b, "addr", r->addr);
        statement_json_string(b, "role", r->role);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);

    json_builder_set_member_name(b, "attachments");
    json_builder_begin_array(b);
    for (guint i = 0; i < s->attachments->len; i++) {
        const struct attachment *a = g_ptr_array_index(s->attachments, i);

        json_builder_begin_object(b);
        statement_json_string(b, "name", a->name);
        statement_json_string(b, "type", a->type);
        json_builder_set_member_name(b, "size");
        json_builder_add_int_value(b, (gint64)a->size);
        statement_json_string(b, "sha256", a->sha256);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);

    /* Codes alone under "diagnostics" (what expected.json compares), the
     * sentences beside them for people. */
    json_builder_set_member_name(b, "diagnostics");
    json_builder_begin_array(b);
    for (guint i = 0; i < s->diagnostics->len; i++) {
        const struct diagnostic *d = g_ptr_array_index(s->diagnostics, i);

        json_builder_add_string_value(b, d->code);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "diagnostic_texts");
    json_builder_begin_array(b);
    for (guint i = 0; i < s->diagnostics->len; i++) {
        const struct diagnostic *d = g_ptr_array_index(s->diagnostics, i);

        json_builder_add_string_value(b, d->text);
    }
    json_builder_end_array(b);

    statement_json_strings(b, "related", e->related);
    statement_json_strings(b, "other_identifiers", e->other_identifiers);
    statement_json_strings(b, "references", e->references);
    statement_json_string(b, "message_id", s->message_id);
    statement_json_string(b, "forwarded_by", s->forwarded_by);
    statement_json_string(b, "header_from", s->header_from);
    statement_json_string(b, "subject", s->subject);
    statement_json_string(b, "body", e->body);
}

/* A routed recipient. */
struct recipient *
recipient_new(const char *addr, const char *role)
{
    struct recipient *r = g_new0(struct recipient, 1);

    r->addr = g_ascii_strdown(addr, -1);
    r->role = g_strdup(role);
    return r;
}

/* Free a recipient (a GDestroyNotify). */
void
recipient_free(gpointer p)
{
    struct recipient *r = p;

    if (r == NULL)
        return;
    g_free(r->addr);
    g_free(r->role);
    g_free(r);
}

/* A diagnostic: stable code and a sentence. */
struct diagnostic *
diagnostic_new(const char *code, const char *text)
{
    struct diagnostic *d = g_new0(struct diagnostic, 1);

    d->code = g_strdup(code);
    d->text = g_strdup(text);
    return d;
}

/* Free a diagnostic (a GDestroyNotify). */
void
diagnostic_free(gpointer p)
{
    struct diagnostic *d = p;

    if (d == NULL)
        return;
    g_free(d->code);
    g_free(d->text);
    g_free(d);
}

/* An attachment holding a reference to data (may be NULL); computes the
 * size and digest when data is given. */
struct attachment *
attachment_new(const char *name, const char *type, GBytes *data)
{
    struct attachment *a = g_new0(struct attachment, 1);

    a->name = g_strdup(name);
    a->type = g_strdup(type);
    if (data != NULL) {
        gsize len;
        const guchar *p = g_bytes_get_data(data, &len);
        g_autofree char *hex =
            g_compute_checksum_for_data(G_CHECKSUM_SHA256, p != NULL ? p : (const guchar *)"", len);

        a->data = g_bytes_ref(data);
        a->size = len;
        g_strlcpy(a->sha256, hex, sizeof a->sha256);
    }
    return a;
}

/* Free an attachment (a GDestroyNotify). */
void
attachment_free(gpointer p)
{
    struct attachment *a = p;

    if (a == NULL)
        return;
    g_free(a->name);
    g_free(a->type);
    if (a->data != NULL)
        g_bytes_unref(a->data);
    if (a->file != NULL)
        g_object_unref(a->file);    /* its slice of the message's temp file */
    g_free(a);
}
