/* malformed.c: to be written */
