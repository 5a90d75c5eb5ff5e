/* ingest.c: to be written */
