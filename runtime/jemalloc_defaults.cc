// jemalloc's options for programs that link kstreams with jemalloc (CMake's
// KSTREAMS_MALLOC=jemalloc, the default). CMake compiles this file into each such program,
// since jemalloc reads `malloc_conf` from the program before main(). The definition is
// weak: a program that defines its own `malloc_conf` keeps it, and the MALLOC_CONF
// environment variable overrides any option here, as jemalloc documents.
//
// narenas:1. jemalloc's default, four arenas per CPU, keeps each arena's freed pages for
// the threads of that arena; librdkafka allocates fetched records on its broker threads and
// a stream thread frees them, RocksDB flushes on threads of its own. With one arena what
// one thread frees the next allocation of any thread reuses: peak resident memory of the
// stateful benchmarks fell 7-18% at the same CPU, with one stream thread and with two
// (docs/benchmark-profiles.md, "jemalloc kept freed memory per arena"). Thread caches
// still serve most allocations without taking the arena's locks. Returning freed pages
// sooner (background_thread, a shorter dirty_decay_ms) saved a little more memory and cost
// up to a sixth more CPU: the pages were faulted in again.
extern "C" {
__attribute__((weak)) const char* malloc_conf = "narenas:1";
}
