/* liaisonctl.c: to be written */
