/* test_route.c: to be written */
int main(void) { return 77; }
