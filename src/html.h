/*
 * html.h: HTML rendered as lines of plain text with libxml2 (html.c),
 * for message.c's body text.
 */
#ifndef LIAISON_HTML_H
#define LIAISON_HTML_H

#include <glib.h>

/* Render len bytes of UTF-8 HTML as text lines (a new string); *rough is
 * set when the markup could not be parsed completely and its text was
 * extracted roughly instead. */
char *html_to_text(const char *html, gsize len, gboolean *rough);

#endif
