/* route.c: to be written */
