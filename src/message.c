/* message.c: to be written */
