// Named: the name of the processor an operation adds, for describe(), metrics and logs.
#pragma once

#include <string>

namespace kstreams {

struct Named {
  std::string name;  // empty: a generated name such as KSTREAM-FILTER-0000000001

  static Named as(std::string name) { return Named{std::move(name)}; }
};

}  // namespace kstreams
