// Misconceptions: "a blocking wait in a coroutine only delays that coroutine" (it freezes the whole
// loop: std::this_thread::sleep_for, a loop that spins until a deadline, std::future::get and a
// synchronous poll() all hold the loop's only thread); "calling async_wait waits" (without co_await
// nothing waits); "a coroutine may take a const std::string&" (it keeps a reference to a
// temporary); "freezer_demo runs the workers" (it only starts them: the caller runs the loop);
// "cancelling the timer stops the heartbeat" (a loop that re-arms after operation_aborted never
// ends, and cancel() ends nothing when no wait is pending: stop() before the loop ran, or from
// on_warn); "clearing a flag is enough to stop" (the pending wait of a long period keeps io.run()
// busy until it expires); "the lag is the time between two firings" (it includes the period); "a
// heartbeat keeps fixed slots" (one block, a burst of warnings); "a poller can co_spawn a detached
// poll per tick" (polls overlap when the source is slower than the interval); "sleep the interval
// after each poll" (the schedule drifts by the poll's duration); "check for stop() after the poll"
// (start(); stop(); io.run() then still polls once); and "a capturing lambda coroutine can be
// called on the spot and its coroutine handed to co_spawn" (its captures die with the temporary
// lambda). Hidden tests for day 6, all tasks in one file (each file that includes Asio's coroutine
// machinery costs seconds of compile time).
#include <gtest/gtest.h>

#include <algorithm>
#include <asio.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "ct/asio.hpp"
#include "ct/ct.hpp"
#include "event_log.hpp"
#include "freezer.hpp"
#include "loop_lag_monitor.hpp"
#include "poller.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

long long ms(Clock::duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

std::string lags(const std::vector<milliseconds>& values) {
    std::string out;
    for (const auto v : values) {
        out += (out.empty() ? "" : ", ") + std::to_string(v.count()) + " ms";
    }
    return out.empty() ? "none" : out;
}

// A handler of the test's own that blocks the loop on purpose, `after` from now, for `block`.
void block_loop(asio::steady_timer& timer, milliseconds after, milliseconds block) {
    timer.expires_after(after);
    timer.async_wait([block](const asio::error_code& ec) {
        if (!ec) {
            std::this_thread::sleep_for(block);
        }
    });
}

// A "must happen" wait on the test's own loop: runs it in short slices until `done()` holds or
// `limit` has passed, and returns as soon as it holds. False if it never did.
template <class Pred>
bool run_until(asio::io_context& io, Pred done, milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (!done()) {
        if (io.stopped() || Clock::now() >= deadline) {
            return done();
        }
        io.run_for(5ms);
    }
    return true;
}

// An hour: a period or interval that no test waits out, so that only stop() can end the wait.
constexpr milliseconds an_hour = std::chrono::hours(1);

// --- task 1: the freezer -----------------------------------------------------------------------

// The Freezer itself, judged by the order of events only (so machine speed cannot change the
// verdict): while "slow" waits its 400 ms, "ping" and "pong" (every 50 ms) keep ticking.
TEST(FreezerHidden, SlowWorkerDoesNotFreezeTheOthers) {
    asio::io_context io;
    cc::EventLog log;
    cc::freezer_demo(io, log);
    ct::step("io.run() after freezer_demo() must return");
    io.run_for(10s);
    const auto events = log.snapshot();
    const struct {
        const char* name;
        int steps;
    } workers[] = {{"slow", 1}, {"ping", 8}, {"pong", 8}};
    for (const auto& w : workers) {
        const std::string name = w.name;
        ASSERT_EQ(ct::count_of(events, name + ".start"), 1) << "freezer_demo() must start worker(\"" << name
                                                        << "\") once; the log: " << ct::joined(events);
        ASSERT_EQ(ct::count_of(events, name + ".tick"), w.steps)
            << "worker \"" << name << "\" must tick " << w.steps << " times; the log: " << ct::joined(events);
        ASSERT_EQ(ct::count_of(events, name + ".end"), 1) << "worker \"" << name << "\" never ended; the log: "
                                                      << ct::joined(events);
    }
    const int ping = ct::count_between(events, "slow.start", "slow.end", "ping.tick");
    const int pong = ct::count_between(events, "slow.start", "slow.end", "pong.tick");
    EXPECT_TRUE(ping >= 3 && pong >= 3)
        << "while \"slow\" waited 400 ms (between slow.start and slow.end), \"ping\" ticked " << ping
        << " times and \"pong\" " << pong << " times; each should tick about 7 times (every 50 ms), "
        << "at least 3. The loop was frozen: one coroutine held its only thread while waiting. "
        << "The log: " << ct::joined(events);
}

// The handler tracker (asyncio's debug mode for Asio): no handler of freezer_demo may hold the loop
// for 100 ms or more. The blocking variants hold it 400 ms, and the report names the line.
TEST(FreezerHidden, NoHandlerBlocksTheLoop) {
    asio::io_context io;
    cc::EventLog log;
    ct::HandlerWatch watch(100ms);
    cc::freezer_demo(io, log);
    ct::step("io.run() after freezer_demo() must return");
    io.run_for(10s);
    ASSERT_GT(watch.handlers(), 0u) << "the loop ran no handler at all: freezer_demo() must co_spawn the "
                                    << "workers on io. The log: " << ct::joined(log.snapshot());
    if (const auto report = watch.report(); !report.empty()) {
        ADD_FAILURE() << "while freezer_demo's workers ran, " << report;
    }
}

// async_sleep on its own: a 10 ms probe timer on the same loop must keep firing while a coroutine
// sleeps 400 ms. A sleep that blocks (spinning on the clock, or waiting on a future) lets it fire
// not once.
TEST(AsyncSleepHidden, OtherTimersFireDuringTheSleep) {
    asio::io_context io;
    ct::HandlerWatch watch(100ms);
    ct::LagProbe probe(io.get_executor(), 10ms);
    probe.start();
    bool finished = false;
    Clock::time_point begun;
    Clock::time_point ended;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            begun = Clock::now();
            co_await cc::async_sleep(400ms);
            ended = Clock::now();
            finished = true;
            probe.stop();
        },
        asio::detached);
    ct::step("co_await async_sleep(400ms) must complete");
    io.run_for(10s);
    probe.stop();
    ASSERT_TRUE(finished) << "co_await async_sleep(400ms) did not complete within 10 s.";
    EXPECT_GE(ended - begun, 400ms) << "async_sleep(400ms) completed after " << ms(ended - begun) << " ms.";
    if (ended - begun < 400ms) {
        return;  // an early return is reported above; "the probe did not fire" would only confuse
    }
    const auto fired = probe.count_between(begun, ended);
    const auto report = watch.report();
    EXPECT_GE(fired, 5u) << "a 10 ms timer on the same loop fired " << fired << " times while co_await "
                         << "async_sleep(400ms) waited (about 40 expected, at least 5): the sleep held the "
                         << "loop's thread." << (report.empty() ? "" : " The tracker: " + report);
    if (!report.empty() && fired >= 5) {
        ADD_FAILURE() << "during co_await async_sleep(400ms), " << report;
    }
}

TEST(WorkerHidden, TicksAreSpacedByTheStep) {
    asio::io_context io;
    cc::EventLog log;
    const auto start = Clock::now();
    asio::co_spawn(io, cc::worker("w", 5, 20ms, log), asio::detached);
    asio::co_spawn(io, cc::worker("zero", 0, 20ms, log), asio::detached);
    ct::step("io.run() with two workers must return");
    io.run_for(10s);
    const auto took = Clock::now() - start;
    const auto events = log.snapshot();
    const std::vector<std::string> w = {"w.start", "w.tick", "w.tick", "w.tick", "w.tick", "w.tick", "w.end"};
    EXPECT_EQ(ct::with_prefix(events, "w."), w) << "worker(\"w\", 5, 20ms) logged: " << ct::joined(ct::with_prefix(events, "w."));
    const std::vector<std::string> zero = {"zero.start", "zero.end"};
    EXPECT_EQ(ct::with_prefix(events, "zero."), zero)
        << "worker(\"zero\", 0, 20ms) must log zero.start and zero.end and no tick; it logged: "
        << ct::joined(ct::with_prefix(events, "zero."));
    EXPECT_GE(took, 100ms) << "worker(\"w\", 5, 20ms) finished after " << ms(took)
                           << " ms; 5 steps of 20 ms take at least 100 ms: each step must wait `step` "
                           << "(co_await async_sleep(step)) before its tick.";
}

// The ASan flavour: freezer_demo's coroutines must not outlive what they use (a lambda coroutine
// called on the spot, or a reference parameter to a temporary, shows up here).
TEST(FreezerHidden, DemoRunsCleanUnderAsan) {
    asio::io_context io;
    cc::EventLog log;
    cc::freezer_demo(io, log);
    ct::step("io.run() after freezer_demo() must return");
    io.run_for(10s);
    const auto events = log.snapshot();
    for (const std::string name : {"slow", "ping", "pong"}) {
        EXPECT_EQ(ct::count_of(events, name + ".end"), 1) << "worker \"" << name << "\" did not finish; the log: "
                                                      << ct::joined(events);
    }
}

// Misconception: "freezer_demo runs the workers" (like asyncio.run(main())). It only starts them on
// io and returns; the caller runs io. A demo that runs the loop itself has finished every worker
// by the time it returns, so nothing the caller does with io afterwards runs beside them.
TEST(FreezerHidden, DemoReturnsAtOnce) {
    asio::io_context io;
    cc::EventLog log;
    cc::freezer_demo(io, log);
    const auto before = log.snapshot();
    const bool stopped = io.stopped();
    EXPECT_TRUE(before.empty() && !stopped)
        << "when freezer_demo(io, log) returned, the log held " << before.size() << " events ("
        << ct::joined(before) << ")" << (stopped ? " and io had already run out of work" : "")
        << ". freezer_demo must only start the three workers on io (co_spawn) and return at once; the "
        << "caller runs io. Calling io.run() (or waiting for the workers in any other way) inside "
        << "freezer_demo runs the whole demo before it returns.";
    ct::step("io.run() after freezer_demo() must return");
    io.run_for(10s);
    const auto events = log.snapshot();
    for (const std::string name : {"slow", "ping", "pong"}) {
        EXPECT_EQ(ct::count_of(events, name + ".end"), 1)
            << "after freezer_demo() returned, io.run() must run worker \"" << name << "\" to its end; the log: "
            << ct::joined(events);
    }
}

// --- task 2: the loop-lag monitor ----------------------------------------------------------------

TEST(LoopLagMonitorHidden, ReportsTheLagOfABlockingHandler) {
    asio::io_context io;
    std::vector<milliseconds> warnings;
    cc::LoopLagMonitor monitor(io.get_executor(), 15ms, 120ms, [&](milliseconds lag) { warnings.push_back(lag); });
    monitor.start();
    asio::steady_timer blocker(io);
    block_loop(blocker, 60ms, 300ms);
    asio::steady_timer finish(io, 500ms);
    finish.async_wait([&](const asio::error_code&) { monitor.stop(); });
    ct::step("io.run_for(5s) with a LoopLagMonitor must return");
    io.run_for(5s);
    const auto largest = warnings.empty() ? 0ms : *std::max_element(warnings.begin(), warnings.end());
    EXPECT_GE(largest, 250ms) << "a handler blocked the loop for 300 ms under a LoopLagMonitor(period 15 ms, "
                              << "threshold 120 ms); its warnings: " << lags(warnings) << ". The timer "
                              << "that was due during the block fired about 285-300 ms late, and that "
                              << "lateness (fired - due) is the lag.";
    EXPECT_GE(monitor.max_lag(), 250ms) << "max_lag() is " << monitor.max_lag().count()
                                        << " ms after a 300 ms block.";
    for (const auto lag : warnings) {
        EXPECT_GE(lag, 120ms) << "on_warn(" << lag.count() << " ms) with a 120 ms threshold: warn only when "
                              << "the lag reaches the threshold.";
    }
}

// Misconception: "cancel() stops the heartbeat". A cancelled wait completes with
// asio::error::operation_aborted; a loop that goes on and re-arms never ends.
TEST(LoopLagMonitorHidden, StopLeavesNoWork) {
    {
        asio::io_context io;
        cc::LoopLagMonitor monitor(io.get_executor(), 20ms, 100ms, [](milliseconds) {});
        monitor.start();
        ct::step("io.run_for(100ms) with a running monitor must return");
        io.run_for(100ms);
        ASSERT_FALSE(io.stopped()) << "io.run_for(100ms) ran out of work at once: after start(), the monitor "
                                   << "must keep a timer pending on the loop.";
        // stop() from a handler, while the monitor's wait is pending.
        asio::post(io, [&] { monitor.stop(); });
        ct::step("io.run_for(3s) with a monitor stopped from a handler must return");
        const auto start = Clock::now();
        io.run_for(3s);
        EXPECT_TRUE(io.stopped()) << "monitor.stop() was called from a handler, and the loop was still busy "
                                  << ms(Clock::now() - start) << " ms later. stop() cancels the timer, and "
                                  << "the cancelled wait completes with asio::error::operation_aborted: the "
                                  << "monitor's coroutine must return then, not measure and re-arm (a "
                                  << "heartbeat that never stops).";
    }
    {
        asio::io_context io;
        cc::LoopLagMonitor monitor(io.get_executor(), 20ms, 100ms, [](milliseconds) {});
        monitor.start();
        monitor.stop();
        ct::step("io.run_for(3s) with a monitor started and stopped before the loop ran must return");
        io.run_for(3s);
        EXPECT_TRUE(io.stopped()) << "start() then stop() before io.run(): the loop then ran for 3 s and still "
                                  << "had work. The monitor's coroutine must notice the stop when it first "
                                  << "runs, or when its wait is cancelled.";
    }
}

// The lag is lateness, not the time between firings: with a 250 ms period, an idle loop has a lag
// near 0, and a 150 ms threshold must never be reached. Then a 500 ms block must be reported.
TEST(LoopLagMonitorHidden, NoWarningWhileIdle) {
    asio::io_context io;
    std::vector<milliseconds> idle_warnings;
    std::vector<milliseconds> warnings;
    bool blocked = false;
    cc::LoopLagMonitor monitor(io.get_executor(), 250ms, 150ms, [&](milliseconds lag) {
        (blocked ? warnings : idle_warnings).push_back(lag);
    });
    monitor.start();
    milliseconds idle_max_lag{0};
    asio::steady_timer blocker(io, 1000ms);
    blocker.async_wait([&](const asio::error_code&) {
        idle_max_lag = monitor.max_lag();
        blocked = true;
        std::this_thread::sleep_for(500ms);
    });
    asio::steady_timer finish(io, 1800ms);
    finish.async_wait([&](const asio::error_code&) { monitor.stop(); });
    ct::step("io.run_for(5s) with a LoopLagMonitor must return");
    io.run_for(5s);
    EXPECT_TRUE(idle_warnings.empty())
        << "an idle loop with a LoopLagMonitor(period 250 ms, threshold 150 ms) got warnings: "
        << lags(idle_warnings) << ". The lag is how late the timer fired (now - the time it was due), not "
        << "the time since the previous firing, which includes the period itself.";
    EXPECT_LT(idle_max_lag, 150ms) << "max_lag() was " << idle_max_lag.count()
                                   << " ms after 1 s on an idle loop with a 250 ms period.";
    EXPECT_FALSE(warnings.empty()) << "no warning after a handler blocked the loop for 500 ms (period 250 ms, "
                                   << "threshold 150 ms).";
}

TEST(LoopLagMonitorHidden, OneBlockOneWarning) {
    asio::io_context io;
    std::vector<milliseconds> warnings;
    cc::LoopLagMonitor monitor(io.get_executor(), 20ms, 100ms, [&](milliseconds lag) { warnings.push_back(lag); });
    monitor.start();
    asio::steady_timer blocker(io);
    block_loop(blocker, 100ms, 300ms);
    asio::steady_timer finish(io, 700ms);
    finish.async_wait([&](const asio::error_code&) { monitor.stop(); });
    ct::step("io.run_for(5s) with a LoopLagMonitor must return");
    io.run_for(5s);
    EXPECT_GE(warnings.size(), 1u) << "no warning for a 300 ms block (period 20 ms, threshold 100 ms).";
    EXPECT_LE(warnings.size(), 2u)
        << "one 300 ms block gave " << warnings.size() << " warnings (" << lags(warnings) << "). After a late "
        << "firing, the next one is due one period after it fired; a schedule that keeps its original slots "
        << "fires the missed ones in a burst, each of them 'late'.";
}

// Every order of calls the README allows ends with no work on the loop, even with a period of an
// hour: stop() without start(); start() then stop() (twice) before the loop ever ran. cancel() has
// no wait to end then; a monitor that arms its timer before it looks at the flag keeps io.run()
// busy for the whole period.
TEST(LoopLagMonitorHidden, StopBeforeTheLoopRanLeavesNoTimer) {
    {
        // The positive partner, so that a monitor that never arms anything earns nothing here: a
        // started monitor keeps its timer pending on the loop.
        asio::io_context io;
        cc::LoopLagMonitor monitor(io.get_executor(), an_hour, 100ms, [](milliseconds) {});
        monitor.start();
        ct::step("io.run_for(100ms) with a running monitor must return");
        io.run_for(100ms);
        ASSERT_FALSE(io.stopped()) << "io.run_for(100ms) ran out of work at once: after start(), the monitor "
                                   << "must keep a timer pending on the loop (here for its one-hour period).";
        monitor.stop();
        ct::step("io.run_for(2s) after monitor.stop() must return");
        io.run_for(2s);
    }
    {
        asio::io_context io;
        int warned = 0;
        cc::LoopLagMonitor monitor(io.get_executor(), an_hour, 100ms, [&](milliseconds) { ++warned; });
        monitor.stop();
        ct::step("io.run_for(2s) with a monitor stopped but never started must return");
        io.run_for(2s);
        EXPECT_TRUE(io.stopped()) << "stop() on a monitor that was never started left work on the loop.";
        EXPECT_EQ(warned, 0) << "on_warn was called by a monitor that was never started.";
    }
    {
        asio::io_context io;
        int warned = 0;
        cc::LoopLagMonitor monitor(io.get_executor(), an_hour, 100ms, [&](milliseconds) { ++warned; });
        monitor.start();
        monitor.stop();
        monitor.stop();
        ct::step("io.run_for(2s) with a monitor started and stopped (twice) before the loop ran must return");
        const auto start = Clock::now();
        io.run_for(2s);
        EXPECT_TRUE(io.stopped())
            << "start(), stop(), stop() before io.run(), with a period of one hour: the loop still had work "
            << ms(Clock::now() - start) << " ms later. When the monitor's coroutine first runs, stop() has "
            << "already come and there is no pending wait for cancel() to end: it must look at the running "
            << "flag before it arms the timer (arming it anyway keeps io.run() busy for a whole period).";
        EXPECT_EQ(warned, 0) << "on_warn was called by a monitor stopped before the loop ran.";
        EXPECT_EQ(monitor.max_lag(), 0ms) << "max_lag() is " << monitor.max_lag().count()
                                          << " ms, but the monitor was stopped before its timer ever fired.";
    }
}

// Misconception: "stop() only needs to clear a flag; the monitor sees it at its next firing". With
// a period of an hour, that is an hour of a pending wait: stop() must cancel the timer.
TEST(LoopLagMonitorHidden, StopEndsALongWaitAtOnce) {
    asio::io_context io;
    cc::LoopLagMonitor monitor(io.get_executor(), an_hour, 100ms, [](milliseconds) {});
    monitor.start();
    ct::step("io.run_for(200ms) with a running monitor must return");
    io.run_for(200ms);
    ASSERT_FALSE(io.stopped()) << "io.run_for(200ms) ran out of work at once: after start(), the monitor "
                               << "must keep a timer pending on the loop (here for its one-hour period).";
    asio::post(io, [&] { monitor.stop(); });
    ct::step("io.run_for(3s) after stop() of a monitor with a one-hour period must return");
    const auto start = Clock::now();
    io.run_for(3s);
    EXPECT_TRUE(io.stopped()) << "stop() came while the monitor waited out its one-hour period, and the loop "
                              << "still had work " << ms(Clock::now() - start) << " ms later. stop() must "
                              << "cancel the timer (the wait then completes at once with "
                              << "asio::error::operation_aborted), not only clear a flag that the monitor "
                              << "reads when the period is over.";
}

// stop() called from on_warn, on the loop, right after a firing: no wait is pending, so cancel()
// ends nothing, and a monitor that relies on operation_aborted alone arms its timer again forever.
TEST(LoopLagMonitorHidden, StopFromOnWarnEndsTheMonitor) {
    asio::io_context io;
    std::vector<milliseconds> warnings;
    cc::LoopLagMonitor* self = nullptr;
    cc::LoopLagMonitor monitor(io.get_executor(), 20ms, 100ms, [&](milliseconds lag) {
        warnings.push_back(lag);
        self->stop();
    });
    self = &monitor;
    monitor.start();
    asio::steady_timer blocker(io);
    block_loop(blocker, 100ms, 300ms);
    ct::step("io.run_for(3s) with a monitor that on_warn stops must return");
    io.run_for(3s);
    ASSERT_FALSE(warnings.empty()) << "no warning for a 300 ms block (period 20 ms, threshold 100 ms).";
    EXPECT_TRUE(io.stopped()) << "on_warn called monitor.stop(), and 3 s later the loop still had work: the "
                              << "monitor went on after stop(). It had just fired, so no wait was pending and "
                              << "cancel() ended nothing; the monitor must check its running flag before it "
                              << "arms the timer again, not rely on operation_aborted alone.";
    EXPECT_EQ(warnings.size(), 1u) << "on_warn stopped the monitor at the first warning, yet it was called "
                                   << warnings.size() << " times (" << lags(warnings) << ").";
}

TEST(LoopLagMonitorHidden, RunsCleanUnderAsan) {
    asio::io_context io;
    std::vector<milliseconds> warnings;
    {
        cc::LoopLagMonitor monitor(io.get_executor(), 10ms, 100ms, [&](milliseconds lag) { warnings.push_back(lag); });
        monitor.start();
        asio::steady_timer blocker(io);
        block_loop(blocker, 50ms, 200ms);
        asio::steady_timer finish(io, 400ms);
        finish.async_wait([&](const asio::error_code&) { monitor.stop(); });
        ct::step("io.run_for(5s) with a LoopLagMonitor must return");
        io.run_for(5s);
        EXPECT_TRUE(io.stopped()) << "the loop still had work 5 s after monitor.stop().";
        EXPECT_GE(monitor.max_lag(), 150ms) << "max_lag() is " << monitor.max_lag().count()
                                            << " ms after a 200 ms block.";
    }
    EXPECT_FALSE(warnings.empty()) << "no warning for a 200 ms block (threshold 100 ms).";
}

// --- task 3: the poller -------------------------------------------------------------------------

// Misconception: "co_spawn a detached poll per tick". With a source slower than the interval, the
// polls then overlap; the fake source counts how many calls are in flight at once.
TEST(PollerHidden, SlowSourceNeverOverlaps) {
    asio::io_context io;
    ct::EventLog events;
    ct::FakeService source(io.get_executor(), events, "source", 80ms);
    cc::Poller poller(io.get_executor(), [&source] { return source.call(); }, 50ms);
    poller.start();
    asio::steady_timer finish(io, 600ms);
    finish.async_wait([&](const asio::error_code&) { poller.stop(); });
    ct::step("io.run_for(5s) with a Poller must return");
    io.run_for(5s);
    EXPECT_EQ(source.max_in_flight(), 1)
        << "up to " << source.max_in_flight() << " source() calls were in flight at once (a source that takes "
        << "80 ms, polled every 50 ms): the polls overlapped. Each poll must co_await the source before the "
        << "next may start; a co_spawn(..., detached) per tick waits for nothing.";
    const auto results = poller.results();
    EXPECT_GE(results.size(), 4u) << "only " << results.size() << " polls finished in 600 ms with an 80 ms source.";
    for (std::size_t i = 0; i < results.size(); ++i) {
        ASSERT_EQ(results[i], static_cast<int>(i) + 1)
            << "results()[" << i << "] is " << results[i] << ": results must be in the order the polls ran.";
    }
}

// Misconception: "wait the interval after each poll". That schedule's period is the interval plus
// the poll's duration: 80 ms here instead of 50, 13 polls in a second instead of 20-21. (Timers
// never fire early, so the drifting schedule cannot reach 17 however fast the machine.)
TEST(PollerHidden, FixedRateDoesNotDrift) {
    asio::io_context io;
    ct::EventLog events;
    ct::FakeService source(io.get_executor(), events, "source", 30ms);
    cc::Poller poller(io.get_executor(), [&source] { return source.call(); }, 50ms);
    asio::steady_timer finish(io);
    asio::post(io, [&] {
        poller.start();
        finish.expires_after(1000ms);
        finish.async_wait([&](const asio::error_code&) { poller.stop(); });
    });
    ct::step("io.run_for(5s) with a Poller must return");
    io.run_for(5s);
    const auto polls = poller.results().size();
    EXPECT_GE(polls, 17u) << "a Poller with a 50 ms interval and a 30 ms source finished " << polls
                          << " polls in 1000 ms; expected 20-21 (one due every 50 ms). Waiting `interval` "
                          << "after each poll has finished makes the period 50 + 30 = 80 ms (13 polls): "
                          << "keep the time the next poll is due (due += interval; timer.expires_at(due)).";
    EXPECT_LE(polls, 22u) << "a Poller with a 50 ms interval finished " << polls << " polls in 1000 ms; at "
                          << "most 21 can be due in that time.";
}

TEST(PollerHidden, StopWhileAPollIsInFlight) {
    asio::io_context io;
    ct::EventLog events;
    ct::FakeService source(io.get_executor(), events, "source", 5ms);
    source.hold();  // the first call stays in flight until released
    cc::Poller poller(io.get_executor(), [&source] { return source.call(); }, 20ms);
    poller.start();
    std::uint64_t stop_seq = 0;
    asio::steady_timer stopper(io, 100ms);
    stopper.async_wait([&](const asio::error_code&) {
        stop_seq = events.record("poller.stop");
        poller.stop();
        source.release();
    });
    ct::step("io.run_for(3s) after stop() with a poll in flight must return");
    io.run_for(3s);
    ASSERT_NE(stop_seq, 0u);
    ASSERT_GE(source.calls(), 1) << "the poller never called source(): start() must poll at once.";
    for (const auto& call : source.history()) {
        EXPECT_LT(call.start_seq, stop_seq)
            << "poll " << call.number << " started after stop() (stop() came while poll 1 was in flight). "
            << "Events: " << events.str();
    }
    EXPECT_TRUE(io.stopped()) << "the loop still had work 3 s after stop(); events: " << events.str();
}

// Every order of calls the README allows before the loop runs: stop() without start(); start() then
// stop() (twice). No poll may start after stop(), and that includes the first one.
TEST(PollerHidden, StopBeforeTheLoopRanPollsNothing) {
    {
        // The positive partner, so that a poller that never polls earns nothing here: started and
        // not stopped, it polls.
        asio::io_context io;
        ct::EventLog events;
        ct::FakeService source(io.get_executor(), events, "source", 1ms);
        cc::Poller poller(io.get_executor(), [&source] { return source.call(); }, an_hour);
        poller.start();
        ct::step("the first poll of a Poller with a one-hour interval");
        ASSERT_TRUE(run_until(io, [&] { return poller.results().size() >= 1; }, 5s))
            << "a started Poller had finished no poll 5 s later (" << source.calls() << " source() calls "
            << "started): start() polls at once.";
        poller.stop();
        ct::step("io.run_for(2s) after poller.stop() must return");
        io.run_for(2s);
    }
    {
        asio::io_context io;
        ct::EventLog events;
        ct::FakeService source(io.get_executor(), events, "source", 1ms);
        cc::Poller poller(io.get_executor(), [&source] { return source.call(); }, 10ms);
        poller.stop();
        ct::step("io.run_for(2s) with a poller stopped but never started must return");
        io.run_for(2s);
        EXPECT_TRUE(io.stopped()) << "stop() on a poller that was never started left work on the loop.";
        EXPECT_EQ(source.calls(), 0) << "a poller that was never started called source() " << source.calls()
                                     << " times.";
    }
    {
        asio::io_context io;
        ct::EventLog events;
        ct::FakeService source(io.get_executor(), events, "source", 1ms);
        cc::Poller poller(io.get_executor(), [&source] { return source.call(); }, 10ms);
        poller.start();
        poller.stop();
        poller.stop();
        ct::step("io.run_for(2s) with a poller started and stopped (twice) before the loop ran must return");
        io.run_for(2s);
        EXPECT_EQ(source.calls(), 0)
            << "start(), stop(), stop() before io.run(): the poller then called source() " << source.calls()
            << " times (events: " << events.str() << "). No poll may start after stop(), the first one "
            << "included: the polling coroutine first runs after stop() has come, so it must check the "
            << "running flag before each poll, not only after it.";
        EXPECT_TRUE(poller.results().empty()) << "results() holds " << poller.results().size()
                                              << " values after start(); stop(); before the loop ran.";
        EXPECT_TRUE(io.stopped()) << "start(); stop(); before io.run(): the loop still had work 2 s later.";
    }
}

// "start() polls at once": with an interval of an hour, the first poll must not wait for it.
TEST(PollerHidden, FirstPollStartsAtOnce) {
    asio::io_context io;
    ct::EventLog events;
    ct::FakeService source(io.get_executor(), events, "source", 1ms);
    cc::Poller poller(io.get_executor(), [&source] { return source.call(); }, an_hour);
    poller.start();
    ct::step("the first poll of a Poller with a one-hour interval");
    const bool polled = run_until(io, [&] { return poller.results().size() >= 1; }, 5s);
    EXPECT_TRUE(polled) << "a Poller with a one-hour interval had finished no poll 5 s after start() ("
                        << source.calls() << " source() calls started). start() polls at once; the interval "
                        << "is the time between polls, not before the first one.";
    poller.stop();
    ct::step("io.run_for(3s) after poller.stop() must return");
    io.run_for(3s);
    EXPECT_EQ(source.calls(), polled ? 1 : 0) << "a Poller with a one-hour interval called source() "
                                              << source.calls() << " times in a few seconds.";
}

// Misconception: "stop() only needs to clear a flag; the poller sees it when the next poll is due".
// With an interval of an hour that is an hour of a pending wait: stop() must cancel the timer.
TEST(PollerHidden, StopBetweenPollsLeavesNoWork) {
    asio::io_context io;
    ct::EventLog events;
    ct::FakeService source(io.get_executor(), events, "source", 1ms);
    cc::Poller poller(io.get_executor(), [&source] { return source.call(); }, an_hour);
    poller.start();
    ct::step("the first poll of a Poller with a one-hour interval");
    ASSERT_TRUE(run_until(io, [&] { return poller.results().size() >= 1; }, 5s))
        << "a Poller with a one-hour interval had finished no poll 5 s after start(): start() polls at once.";
    ASSERT_FALSE(io.stopped()) << "after its first poll, a Poller with a one-hour interval left no work on the "
                               << "loop: it must wait for the next poll (a timer due in an hour).";
    asio::post(io, [&] { poller.stop(); });
    ct::step("io.run_for(3s) after stop() of a Poller with a one-hour interval must return");
    const auto start = Clock::now();
    io.run_for(3s);
    EXPECT_TRUE(io.stopped()) << "stop() came while the poller waited for its next poll, due in an hour, and "
                              << "the loop still had work " << ms(Clock::now() - start) << " ms later. stop() "
                              << "must cancel the timer (the wait then completes at once with "
                              << "asio::error::operation_aborted), not only clear a flag that the poller reads "
                              << "when the next poll is due.";
    EXPECT_EQ(source.calls(), 1) << "source() was called " << source.calls() << " times; stop() came after "
                                 << "the first poll, so no other may start.";
}

// The ASan flavour. A lambda coroutine called on the spot, co_spawn(ex, [this]() -> ... {...}(), ...),
// hands co_spawn a coroutine whose captures live in the temporary lambda object: it dies at the end
// of that statement, and the coroutine reads it later.
TEST(PollerHidden, RunsCleanUnderAsan) {
    asio::io_context io;
    ct::EventLog events;
    ct::FakeService source(io.get_executor(), events, "source", 5ms);
    {
        cc::Poller poller(io.get_executor(), [&source] { return source.call(); }, 10ms);
        poller.start();
        asio::steady_timer finish(io, 200ms);
        finish.async_wait([&](const asio::error_code&) { poller.stop(); });
        ct::step("io.run_for(5s) with a Poller must return");
        io.run_for(5s);
        EXPECT_TRUE(io.stopped()) << "the loop still had work 5 s after poller.stop().";
        const auto results = poller.results();
        EXPECT_GE(results.size(), 3u) << "only " << results.size() << " polls in 200 ms (10 ms interval).";
        for (std::size_t i = 0; i < results.size(); ++i) {
            ASSERT_EQ(results[i], static_cast<int>(i) + 1) << "results() out of order at " << i;
        }
    }
}

}  // namespace
