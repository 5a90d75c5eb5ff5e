/* test_message.c: to be written */
int main(void) { return 77; }
