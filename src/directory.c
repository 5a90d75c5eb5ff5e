/* directory.c: to be written */
