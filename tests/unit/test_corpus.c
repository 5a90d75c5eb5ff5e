/* test_corpus.c: to be written */
int main(void) { return 77; }
