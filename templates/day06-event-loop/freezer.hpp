// Task 1: The Freezer. Three coroutines share one event loop; one of them waits a long time, and
// that wait must not freeze the other two.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <string>

#include "event_log.hpp"

namespace cc {

// Completes after `d`, without blocking the thread that runs the loop: while it waits, the loop
// runs other coroutines and handlers. Never completes early.
asio::awaitable<void> async_sleep(std::chrono::milliseconds d);

// Logs "<name>.start"; then `steps` times: waits `step` (with async_sleep) and logs "<name>.tick";
// finally logs "<name>.end".
asio::awaitable<void> worker(std::string name, int steps, std::chrono::milliseconds step, EventLog& log);

// Starts three workers on `io` and returns at once (the caller runs io):
//   worker("slow", 1, 400ms), worker("ping", 8, 50ms) and worker("pong", 8, 50ms).
// While "slow" waits, "ping" and "pong" keep ticking.
void freezer_demo(asio::io_context& io, EventLog& log);

}  // namespace cc
