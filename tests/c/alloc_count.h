/* An allocation counter for tests of the step path's promise (no allocation per step). A test
 * that includes this links with sp_count_allocations (tests/CMakeLists.txt), which wraps
 * malloc, calloc and realloc at link time, so every call from our code and Chipmunk's (static
 * libraries) is counted. */
#ifndef SP_TESTS_ALLOC_COUNT_H
#define SP_TESTS_ALLOC_COUNT_H

/* Calls to malloc, calloc and realloc since the process started. */
extern long allocations;

#endif
