// Printed: where and how KStream::print writes a stream's records, one line each, for
// debugging. As in Kafka Streams a line is "[label]: key, value": the label is the name of
// the stream's node unless withLabel gives one, and withKeyValueMapper replaces
// "key, value" with what the function returns.
//
//   stream.print(Printed<std::string, Order>::toFile("/tmp/orders.txt").withLabel("orders"));
#pragma once

#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>

#include "streams/errors.h"
#include "streams/serde.h"
#include "streams/windows.h"

namespace kstreams {

namespace internal {

// Where print() writes: standard output, or a file Printed::toFile opened. One target is
// shared by the print nodes of every task on every stream thread, so a line is written
// whole, under a lock.
class PrintTarget {
 public:
  static std::shared_ptr<PrintTarget> standardOutput() {
    return std::shared_ptr<PrintTarget>(new PrintTarget(stdout, false));
  }
  // Opens (and truncates) the file now, so that a path that cannot be written is an error
  // while the topology is built, not once records arrive.
  static std::shared_ptr<PrintTarget> openFile(const std::string& path) {
    if (path.find_first_not_of(" \t\n\r") == std::string::npos)
      throw TopologyException("Printed::toFile needs a file path; got an empty string");
    std::FILE* file = std::fopen(path.c_str(), "w");
    if (file == nullptr)
      throw TopologyException("Printed::toFile cannot open '" + path + "' for writing: " + std::strerror(errno) +
                              "; give a path in an existing directory this process may write to");
    return std::shared_ptr<PrintTarget>(new PrintTarget(file, true));
  }

  PrintTarget(const PrintTarget&) = delete;
  PrintTarget& operator=(const PrintTarget&) = delete;
  ~PrintTarget() {
    if (ownsFile_) std::fclose(file_);
  }

  void writeLine(std::string_view line) {
    std::lock_guard lock(mutex_);
    std::fwrite(line.data(), 1, line.size(), file_);
    // Standard output shows each line at once, as Kafka Streams flushes System.out; a file
    // is flushed when a task closes (and closed when the topology goes).
    if (!ownsFile_) std::fflush(file_);
  }
  void flush() {
    std::lock_guard lock(mutex_);
    std::fflush(file_);
  }

 private:
  PrintTarget(std::FILE* file, bool ownsFile) : file_(file), ownsFile_(ownsFile) {}

  std::mutex mutex_;
  std::FILE* file_;
  bool ownsFile_;
};

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

template <class T>
struct IsWindowedKey : std::false_type {};
template <class K>
struct IsWindowedKey<Windowed<K>> : std::true_type {};

// The types print() can show without a mapper: text, numbers, Bytes, optionals and
// windowed keys of those, and anything with an operator<< for std::ostream.
template <class T>
constexpr bool printable() {
  if constexpr (std::is_convertible_v<const T&, std::string_view> || std::is_arithmetic_v<T> ||
                std::is_same_v<T, Bytes>)
    return true;
  else if constexpr (IsOptional<T>::value) return printable<typename T::value_type>();
  else if constexpr (IsWindowedKey<T>::value) return printable<decltype(T::key)>();
  else return requires(std::ostream& os, const T& v) { os << v; };
}

// Appends a key or value as Java's String.valueOf shows it: null, true/false, 12.0, 1.0E7,
// [key@start/end] for a windowed key, Bytes with what is not printable ASCII (or is a
// backslash) as \xHH.
template <class T>
void appendPrintable(std::string& out, const T& v) {
  if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    out += std::string_view(v);
  } else if constexpr (std::is_same_v<T, bool>) {
    out += v ? "true" : "false";
  } else if constexpr (std::is_same_v<T, char>) {
    out += v;
  } else if constexpr (std::is_integral_v<T>) {
    char buf[24];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(v)) {
      out += "NaN";
    } else if (std::isinf(v)) {
      out += v > 0 ? "Infinity" : "-Infinity";
    } else {
      // Java writes the shortest digits that read back as v, plainly from 10^-3 up to 10^7
      // and as d.dddE<exponent> outside that, always with a digit after the point.
      const T magnitude = std::fabs(v);
      const bool plain = magnitude == 0 || (magnitude >= T(1e-3) && magnitude < T(1e7));
      const auto format = plain ? std::chars_format::fixed : std::chars_format::scientific;
      char buf[64];
      const std::string_view digits(buf, std::to_chars(buf, buf + sizeof buf, v, format).ptr - buf);
      const std::string_view mantissa = digits.substr(0, digits.find('e'));
      out += mantissa;
      if (mantissa.find('.') == std::string_view::npos) out += ".0";
      if (!plain) {
        int exponent = 0;
        std::from_chars(digits.data() + mantissa.size() + 1 + (digits[mantissa.size() + 1] == '+'),
                        digits.data() + digits.size(), exponent);
        out += 'E';
        char exp[8];
        out.append(exp, std::to_chars(exp, exp + sizeof exp, exponent).ptr);
      }
    }
  } else if constexpr (std::is_same_v<T, Bytes>) {
    constexpr char kHex[] = "0123456789ABCDEF";
    for (unsigned char c : v.data) {
      if (c >= ' ' && c <= '~' && c != '\\') {
        out += static_cast<char>(c);
      } else {
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
      }
    }
  } else if constexpr (IsOptional<T>::value) {
    if (v) appendPrintable(out, *v);
    else out += "null";
  } else if constexpr (IsWindowedKey<T>::value) {
    out += '[';
    appendPrintable(out, v.key);
    out += '@';
    appendPrintable(out, v.window.start);
    out += '/';
    appendPrintable(out, v.window.end);
    out += ']';
  } else {
    std::ostringstream os;
    os << v;
    out += os.str();
  }
}

}  // namespace internal

template <class K, class V>
class Printed {
 public:
  // Shows a record as the text it returns, in place of "key, value".
  using KeyValueMapper = std::function<std::string(const K&, const V&)>;

  static Printed toSysOut() { return Printed(internal::PrintTarget::standardOutput()); }
  // Creates (or empties) the file now; throws TopologyException naming the path if it
  // cannot. Every task of the application writes its lines to this one file.
  static Printed toFile(const std::string& filePath) { return Printed(internal::PrintTarget::openFile(filePath)); }

  Printed& withLabel(std::string label) {
    label_ = std::move(label);
    return *this;
  }
  Printed& withKeyValueMapper(KeyValueMapper mapper) {
    if (!mapper) throw TopologyException("Printed::withKeyValueMapper needs a function, not an empty one");
    mapper_ = std::move(mapper);
    return *this;
  }
  // Names the print node (for describe()); generated (KSTREAM-PRINTER-...) otherwise.
  Printed& withName(std::string processorName) {
    processorName_ = std::move(processorName);
    return *this;
  }

  const std::shared_ptr<internal::PrintTarget>& target() const { return target_; }
  const std::optional<std::string>& label() const { return label_; }
  const KeyValueMapper& keyValueMapper() const { return mapper_; }
  const std::string& processorName() const { return processorName_; }

 private:
  explicit Printed(std::shared_ptr<internal::PrintTarget> target) : target_(std::move(target)) {}

  std::shared_ptr<internal::PrintTarget> target_;
  std::optional<std::string> label_;  // unset: the name of the printed stream's node
  KeyValueMapper mapper_;             // empty: "key, value"
  std::string processorName_;
};

}  // namespace kstreams
