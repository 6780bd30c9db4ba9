// The allocator options runtime/jemalloc_defaults.cc gives programs that link kstreams.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cstdlib>

namespace {

using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);

TEST(Allocator, ProgramsLinkingKstreamsRunJemallocWithOneArena) {
  auto mallctl = reinterpret_cast<Mallctl>(dlsym(RTLD_DEFAULT, "mallctl"));
  if (!mallctl) GTEST_SKIP() << "built with KSTREAMS_MALLOC=system";
  if (std::getenv("MALLOC_CONF")) GTEST_SKIP() << "MALLOC_CONF overrides the defaults";
  unsigned narenas = 0;
  size_t size = sizeof narenas;
  EXPECT_EQ(mallctl("opt.narenas", &narenas, &size, nullptr, 0), 0);
  EXPECT_EQ(narenas, 1u);
}

}  // namespace
