#include "lifetime.hpp"

#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <utility>

namespace cc {

Heartbeat::Heartbeat(std::chrono::milliseconds period, std::function<void()> beat)
    // The thread owns copies of everything it uses, never a pointer to *this.
    : m_thread([period, beat = std::move(beat)](std::stop_token stop) {
          std::mutex mutex;
          std::condition_variable_any wakeup;
          while (!stop.stop_requested()) {
              beat();
              std::unique_lock lock(mutex);
              // Sleeps one period, but this overload also wakes the moment stop is requested
              // (it registers a stop_callback that notifies `wakeup`). sleep_for(period) could
              // not be interrupted and would keep the destructor waiting for up to a period.
              wakeup.wait_for(lock, stop, period, [] { return false; });
          }
      }) {}

Heartbeat::~Heartbeat() {
    // std::jthread's own destructor does exactly these two steps; they are spelled out because
    // they are the lesson. join() (never detach()) is what guarantees that no beat runs after
    // this destructor returns, when the objects beat() touches may already be gone.
    m_thread.request_stop();
    m_thread.join();
}

}  // namespace cc
