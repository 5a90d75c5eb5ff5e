/* test_store.c: to be written */
int main(void) { return 77; }
