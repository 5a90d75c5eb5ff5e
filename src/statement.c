/* statement.c: to be written */
