#include "runtime/shutdown_signal.h"

#include <signal.h>

#include <cstring>
#include <ctime>

namespace kstreams {
namespace {
sigset_t shutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}
}  // namespace

static_assert(sizeof(sigset_t) <= 128, "ShutdownSignal keeps a sigset_t in 128 bytes");

ShutdownSignal::ShutdownSignal() {
  sigset_t set = shutdownSignals();
  sigset_t old;
  pthread_sigmask(SIG_BLOCK, &set, &old);
  std::memcpy(previousMask_, &old, sizeof(old));
}

ShutdownSignal::~ShutdownSignal() {
  sigset_t old;
  std::memcpy(&old, previousMask_, sizeof(old));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

bool ShutdownSignal::waitFor(std::chrono::milliseconds timeout) {
  sigset_t set = shutdownSignals();
  timespec ts;
  ts.tv_sec = timeout.count() / 1000;
  ts.tv_nsec = (timeout.count() % 1000) * 1000000;
  int sig = sigtimedwait(&set, nullptr, &ts);
  if (sig > 0) {
    received_ = sig;
    return true;
  }
  return false;
}

}  // namespace kstreams
