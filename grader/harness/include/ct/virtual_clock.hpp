// A clock that moves only when the test moves it, for Asio timers (playbook 4.3: "with a virtual
// clock, assert exact times"). A test that owns the timers (ct::BasicFakeService<VirtualClock>,
// ct::BasicLagProbe<VirtualClock>, or a day API generic in its timer type) then asserts exact
// times and counts, with no sleeps and nothing a slow machine can change:
//
//   ct::VirtualClock::reset();
//   ct::VirtualTimer timer(io, 50ms);
//   timer.async_wait(...);
//   ct::VirtualClock::advance(io, 49ms);   // nothing due yet: the handler has not run
//   ct::VirtualClock::advance(io, 1ms);    // it runs now, and sees now() == 50 ms exactly
//
// Time moves in steps (1 ms unless told otherwise); at each step every handler that is due runs,
// in Asio's order, before time moves on. A handler may call elapse(d) to stand for work that takes
// d: the clock jumps while the handler holds the loop, so everything due meanwhile runs late, as
// it would after a real block of d.
//
// Drive a loop with virtual timers through advance(), never run(): Asio re-checks virtual timers
// on every pass of its reactor (the wait traits below say "check again now"), so run() on a loop
// with virtual timers pending would spin instead of waiting. Real timers (asio::steady_timer) on
// the same loop keep real time.
//
// One clock per process, shared by every thread (an atomic); reset() at the start of each test.
// The day APIs that take asio::any_io_executor and use asio::steady_timer cannot be moved by it:
// their timing checks stay one-sided (architecture.md, "virtual clock").
#pragma once

#include <asio/basic_waitable_timer.hpp>
#include <asio/io_context.hpp>
#include <asio/wait_traits.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace ct {

class VirtualClock {
public:
    using rep = std::int64_t;
    using period = std::nano;
    using duration = std::chrono::nanoseconds;
    using time_point = std::chrono::time_point<VirtualClock>;
    static constexpr bool is_steady = true;

    static time_point now() noexcept { return time_point(duration(s_now.load())); }

    // Back to time zero. Timers already set keep their expiry.
    static void reset() noexcept { s_now.store(0); }

    // Moves the clock by `d` without running anything: from inside a handler, that handler took d.
    static void elapse(duration d) noexcept { s_now.fetch_add(std::max(d, duration::zero()).count()); }

    // Runs what is due now, then moves the clock forward by `d` in steps of at most `step`,
    // running everything due at each step. Returns how many handlers ran. Call it from the test's
    // thread while no other thread runs `io`.
    static std::size_t advance(asio::io_context& io, duration d,
                               duration step = std::chrono::milliseconds(1)) {
        const time_point end = now() + std::max(d, duration::zero());
        std::size_t ran = run_due(io);
        while (now() < end) {
            s_now.fetch_add(std::min(std::max(step, duration(1)), end - now()).count());
            ran += run_due(io);
        }
        return ran;
    }

private:
    static std::size_t run_due(asio::io_context& io) {
        std::size_t ran = 0;
        for (;;) {
            if (io.stopped()) {
                io.restart();
            }
            const std::size_t n = io.poll();
            if (n == 0) {
                return ran;
            }
            ran += n;
        }
    }

    static inline std::atomic<rep> s_now{0};
};

// An Asio timer on the virtual clock.
using VirtualTimer = asio::basic_waitable_timer<VirtualClock>;

}  // namespace ct

// Asio asks the wait traits how long its reactor may sleep before the earliest timer is due. Real
// time says nothing about virtual time, so the answer is "check again now": every pass of the
// reactor (every poll()) then sees the timers that advance() made due.
template <>
struct asio::wait_traits<ct::VirtualClock> {
    static ct::VirtualClock::duration to_wait_duration(const ct::VirtualClock::duration&) {
        return ct::VirtualClock::duration::zero();
    }
    static ct::VirtualClock::duration to_wait_duration(const ct::VirtualClock::time_point&) {
        return ct::VirtualClock::duration::zero();
    }
};
