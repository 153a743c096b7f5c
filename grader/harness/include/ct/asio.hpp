// Test helpers for event-loop days (standalone Asio 1.22 + C++20 coroutines). Only days that list
// `asio` in day.yaml's `libraries` can include this (CourseDay.cmake): their every translation unit
// is compiled with the harness's handler tracking hook, which ct::HandlerWatch reads.
//
//   ct::HandlerWatch  which handler blocked the loop, how long, where, and how (ct/handler_watch.hpp)
//   ct::EventLog      numbered events, for order assertions that do not depend on speed
//   ct::joined, count_of, count_between, with_prefix: order checks over a list of event texts
//   ct::LagProbe      a timer re-armed every period that records how late each firing was
//   ct::FakeService   an asynchronous operation for the code under test to call: counts calls in
//                     flight, numbers their start and end, notices cancellation, can be held
//   ct::VirtualClock  time that moves only when the test moves it (ct/virtual_clock.hpp);
//                     ct::BasicLagProbe<ct::VirtualClock> and ct::BasicFakeService<ct::VirtualClock>
//                     run on it, for exact-time assertions
//
// Everything here that touches Asio objects must be used from the thread that runs the loop (or
// while the loop is not running): like the objects under test, these are not thread-safe.
// Declare the io_context before the helpers that use it, so that the helpers are destroyed first.
//
// The day-6 API takes asio::any_io_executor and uses asio::steady_timer, so the virtual clock
// cannot reach the timers under test there: its timing checks stay one-sided (Asio timers never
// fire early; lower bounds are exact, upper bounds get 5x slack).
#pragma once

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ct/handler_watch.hpp"
#include "ct/virtual_clock.hpp"

namespace ct {

// --- numbered events -----------------------------------------------------------------------------

// Events in the order they were recorded, each with a sequence number (1, 2, ...) and a time. On a
// single-threaded loop the order is deterministic, so "at least 3 B.tick between A.start and
// A.end" is a check that a slow machine cannot fail. Thread-safe.
class EventLog {
public:
    struct Entry {
        std::uint64_t seq;
        std::chrono::steady_clock::time_point at;
        std::string text;
    };

    std::uint64_t record(std::string text) {
        std::scoped_lock lock(m_mutex);
        m_entries.push_back({m_entries.size() + 1, std::chrono::steady_clock::now(), std::move(text)});
        return m_entries.size();
    }

    std::vector<Entry> entries() const {
        std::scoped_lock lock(m_mutex);
        return m_entries;
    }

    // The sequence number of the first event with this text, 0 if there is none.
    std::uint64_t seq_of(std::string_view text) const {
        std::scoped_lock lock(m_mutex);
        for (const auto& e : m_entries) {
            if (e.text == text) {
                return e.seq;
            }
        }
        return 0;
    }

    // "A.start A.tick B.tick ...": for failure messages.
    std::string str(std::size_t max_events = 60) const {
        std::scoped_lock lock(m_mutex);
        std::string out;
        for (std::size_t i = 0; i < m_entries.size() && i < max_events; ++i) {
            out += (i == 0 ? "" : " ") + m_entries[i].text;
        }
        if (m_entries.size() > max_events) {
            out += " ... (" + std::to_string(m_entries.size() - max_events) + " more)";
        }
        return out;
    }

private:
    mutable std::mutex m_mutex;
    std::vector<Entry> m_entries;
};

// Order checks over a list of event texts (a day's own event log, snapshotted).

// "a b c", or "(empty)": for failure messages.
inline std::string joined(const std::vector<std::string>& events) {
    std::string out;
    for (const auto& e : events) {
        out += (out.empty() ? "" : " ") + e;
    }
    return out.empty() ? "(empty)" : out;
}

inline int count_of(const std::vector<std::string>& events, const std::string& what) {
    return static_cast<int>(std::count(events.begin(), events.end(), what));
}

// How many `what` events lie after the first `from` and before the first `to` after it (0 when
// there is no `from`).
inline int count_between(const std::vector<std::string>& events, const std::string& from, const std::string& to,
                         const std::string& what) {
    const auto begin = std::find(events.begin(), events.end(), from);
    const auto end = std::find(begin, events.end(), to);
    return static_cast<int>(std::count(begin, end, what));
}

// The events that start with `prefix`, in order.
inline std::vector<std::string> with_prefix(const std::vector<std::string>& events, const std::string& prefix) {
    std::vector<std::string> out;
    std::copy_if(events.begin(), events.end(), std::back_inserter(out),
                 [&](const std::string& e) { return e.starts_with(prefix); });
    return out;
}

// --- loop lag ----------------------------------------------------------------------------------

// Node's monitorEventLoopDelay for Asio: a timer that fires every `period` and records how late it
// fired (the loop could not run it while something else held the thread). After a late firing
// the next one is due a period later from then, so one long block is one large sample. Lag probes
// measure a loop only when one thread runs it (playbook 4.2: with two threads the probe ticks on
// the other one). On ct::VirtualClock the lags are exact: a handler that elapse()s 100 ms while
// the probe's next firing is 5 ms away makes that firing exactly 95 ms late.
template <class Clock>
class BasicLagProbe {
public:
    struct Sample {
        typename Clock::time_point at;
        std::chrono::microseconds lag;
    };

    BasicLagProbe(asio::any_io_executor ex, std::chrono::milliseconds period)
        : m_state(std::make_shared<State>(ex, period)) {}
    ~BasicLagProbe() { stop(); }
    BasicLagProbe(const BasicLagProbe&) = delete;
    BasicLagProbe& operator=(const BasicLagProbe&) = delete;

    void start() {
        m_state->running = true;
        arm(m_state);
    }

    void stop() {
        m_state->running = false;
        m_state->timer.cancel();
    }

    std::vector<Sample> samples() const {
        std::scoped_lock lock(m_state->mutex);
        return m_state->samples;
    }

    // Firings in [from, to].
    std::size_t count_between(typename Clock::time_point from, typename Clock::time_point to) const {
        std::scoped_lock lock(m_state->mutex);
        return static_cast<std::size_t>(std::count_if(m_state->samples.begin(), m_state->samples.end(),
                                                      [&](const Sample& s) { return s.at >= from && s.at <= to; }));
    }

    std::chrono::milliseconds max_lag() const {
        std::scoped_lock lock(m_state->mutex);
        std::chrono::microseconds worst{0};
        for (const auto& s : m_state->samples) {
            worst = std::max(worst, s.lag);
        }
        return std::chrono::duration_cast<std::chrono::milliseconds>(worst);
    }

private:
    struct State {
        State(asio::any_io_executor ex, std::chrono::milliseconds p) : timer(ex), period(p) {}
        asio::basic_waitable_timer<Clock> timer;
        std::chrono::milliseconds period;
        bool running = false;
        typename Clock::time_point due;
        mutable std::mutex mutex;  // samples may be read from another thread
        std::vector<Sample> samples;
    };

    static void arm(const std::shared_ptr<State>& state) {
        state->due = Clock::now() + state->period;
        state->timer.expires_at(state->due);
        state->timer.async_wait([state](const asio::error_code& ec) {
            if (ec || !state->running) {
                return;
            }
            const auto now = Clock::now();
            {
                std::scoped_lock lock(state->mutex);
                state->samples.push_back(
                    {now, std::chrono::duration_cast<std::chrono::microseconds>(now - state->due)});
            }
            arm(state);
        });
    }

    std::shared_ptr<State> m_state;
};

using LagProbe = BasicLagProbe<std::chrono::steady_clock>;

// --- a fake asynchronous service -----------------------------------------------------------------

// Something for the code under test to co_await: call() completes after `latency` on a timer and
// returns the call's number (1, 2, ...). It counts the calls in flight (max_in_flight() == 1 means
// no two calls ever overlapped, whatever the timing), records each call's start and end in the
// EventLog ("<name>.start#3", "<name>.end#3") so tests can order them against other events, and
// notices cancellation (the call's timer completed with operation_aborted). hold() makes new and
// running calls wait, after their latency, until release(): a call can be kept in flight for as
// long as a test needs. Every call keeps the service's state alive, so a coroutine frame that
// outlives the FakeService object is harmless. On ct::VirtualClock a call that is not held ends
// exactly `latency` after it started.
template <class Clock>
class BasicFakeService {
public:
    struct Call {
        int number = 0;
        std::uint64_t start_seq = 0;
        std::uint64_t end_seq = 0;  // 0 while running, and for a cancelled call
        typename Clock::time_point started{};
        typename Clock::time_point ended{};
        bool finished = false;
        bool cancelled = false;
    };

    BasicFakeService(asio::any_io_executor ex, EventLog& log, std::string name, std::chrono::milliseconds latency)
        : m_state(std::make_shared<State>(ex, log, std::move(name), latency)) {}

    asio::awaitable<int> call() {
        const std::shared_ptr<State> state = m_state;
        const std::size_t index = state->calls.size();
        const int number = static_cast<int>(index) + 1;
        Call record;
        record.number = number;
        record.started = Clock::now();
        record.start_seq = state->log->record(state->name + ".start#" + std::to_string(number));
        state->calls.push_back(record);
        InFlight in_flight(*state);

        asio::basic_waitable_timer<Clock> timer(co_await asio::this_coro::executor, state->latency);
        auto [ec] = co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
        while (!ec && state->held) {
            const std::uint64_t generation = state->releases;
            std::tie(ec) = co_await state->gate.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
            if (ec == asio::error::operation_aborted && state->releases != generation) {
                ec = {};  // release() opened the gate (and maybe hold() closed it again: wait on)
            }
        }
        if (ec) {
            state->calls[index].cancelled = ec == asio::error::operation_aborted;
            state->calls[index].ended = Clock::now();
            throw asio::system_error(ec);
        }
        state->calls[index].ended = Clock::now();
        state->calls[index].end_seq = state->log->record(state->name + ".end#" + std::to_string(number));
        state->calls[index].finished = true;
        co_return number;
    }

    void hold() {
        if (!m_state->held) {
            m_state->held = true;
            m_state->gate.expires_at(Clock::time_point::max());
        }
    }

    void release() {
        m_state->held = false;
        ++m_state->releases;
        m_state->gate.cancel();
    }

    int in_flight() const { return m_state->in_flight; }
    int max_in_flight() const { return m_state->max_in_flight; }
    int calls() const { return static_cast<int>(m_state->calls.size()); }
    std::vector<Call> history() const { return m_state->calls; }
    bool any_cancelled() const {
        return std::any_of(m_state->calls.begin(), m_state->calls.end(), [](const Call& c) { return c.cancelled; });
    }

private:
    struct State {
        State(asio::any_io_executor ex, EventLog& l, std::string n, std::chrono::milliseconds lat)
            : log(&l), name(std::move(n)), latency(lat), gate(ex) {}
        EventLog* log;
        std::string name;
        std::chrono::milliseconds latency;
        asio::basic_waitable_timer<Clock> gate;
        bool held = false;
        std::uint64_t releases = 0;
        int in_flight = 0;
        int max_in_flight = 0;
        std::vector<Call> calls;
    };

    // Counts a call in flight for exactly as long as its coroutine frame exists.
    struct InFlight {
        explicit InFlight(State& s) : state(s) { state.max_in_flight = std::max(state.max_in_flight, ++state.in_flight); }
        ~InFlight() { --state.in_flight; }
        InFlight(const InFlight&) = delete;
        InFlight& operator=(const InFlight&) = delete;
        State& state;
    };

    std::shared_ptr<State> m_state;
};

using FakeService = BasicFakeService<std::chrono::steady_clock>;

}  // namespace ct
