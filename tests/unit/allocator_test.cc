// The allocator options runtime/jemalloc_defaults.cc gives programs that link kstreams.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cstdlib>

namespace {

using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);

template <class T>
T option(Mallctl mallctl, const char* name) {
  T value{};
  size_t size = sizeof value;
  EXPECT_EQ(mallctl(name, &value, &size, nullptr, 0), 0) << name;
  return value;
}

TEST(Allocator, ProgramsLinkingKstreamsRunJemallocWithOneArena) {
  auto mallctl = reinterpret_cast<Mallctl>(dlsym(RTLD_DEFAULT, "mallctl"));
  if (!mallctl) GTEST_SKIP() << "built with KSTREAMS_MALLOC=system";
  if (std::getenv("MALLOC_CONF")) GTEST_SKIP() << "MALLOC_CONF overrides the defaults";
  EXPECT_EQ(option<unsigned>(mallctl, "opt.narenas"), 1u);
}

}  // namespace
