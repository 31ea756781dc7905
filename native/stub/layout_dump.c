/* Prints every layout constant, for the test that checks stub_layout.ts. */
#include <stdio.h>
#include "layout.h"
#define P(x) printf("%s %lu\n", #x, (unsigned long)(x))
int main(void) {
  P(STUB_PAGE_SIZE); P(GUEST_TASK_SIZE); P(STUB_START); P(STUB_CODE); P(STUB_CODE_SIZE);
  P(STUB_BATCH); P(STUB_BATCH_SIZE); P(STUB_BATCH_ENTRY); P(STUB_BATCH_PATH_SIZE); P(STUB_BATCH_PATH); P(STUB_BATCH_MAX);
  P(STUB_END); P(STUB_HOST_TOP); P(STUB_SETUP); P(STUB_SETUP_SIZE); P(STUB_WAKER_STACK);
  P(STUB_FD_PHYSMEM); P(STUB_FD_LIMIT); P(STUB_CLONE_FLAGS);
  return 0;
}
