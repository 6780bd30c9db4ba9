// ShutdownSignal: waits for SIGINT or SIGTERM, so a program can close its KafkaStreams
// cleanly (commit, leave the group) when asked to stop.
//
//   int main() {
//     kstreams::ShutdownSignal signal;  // first: threads started later inherit the mask
//     kstreams::KafkaStreams streams(...);
//     streams.start();
//     while (!signal.waitFor(std::chrono::seconds(1)))
//       if (streams.state() == kstreams::KafkaStreams::State::ERROR) return 1;
//     streams.close();
//   }
#pragma once

#include <chrono>

namespace kstreams {

class ShutdownSignal {
 public:
  // Blocks SIGINT and SIGTERM for this thread and the threads it starts from now on.
  ShutdownSignal();
  // Restores the previous signal mask of the constructing thread.
  ~ShutdownSignal();
  ShutdownSignal(const ShutdownSignal&) = delete;
  ShutdownSignal& operator=(const ShutdownSignal&) = delete;

  // Waits up to timeout for SIGINT or SIGTERM. Returns whether one arrived.
  bool waitFor(std::chrono::milliseconds timeout);
  // The signal that arrived, or 0.
  int received() const { return received_; }

 private:
  int received_ = 0;
  unsigned char previousMask_[128];  // a sigset_t, without including <signal.h> here
};

}  // namespace kstreams
