// The slow-handler tracker and the Asio test helpers, on handlers whose behaviour the test fixes:
// a sleep, a spin and a futex wait of 150 ms each against a 50 ms threshold (3x), and fast ones.
// The virtual clock, and the lag probe and fake service on it, are checked to the exact virtual
// time: nothing there depends on how fast this machine is.
#include <gtest/gtest.h>

#include <poll.h>

#include <asio.hpp>
#include <chrono>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "ct/asio.hpp"
#include "ct/handler_watch.hpp"

namespace student {
int sleep_on_the_loop();  // student/blocks_the_loop.cpp
}

namespace {

using namespace std::chrono_literals;
using Kind = ct::HandlerInfo::Kind;

std::string stack_of(const ct::HandlerInfo& info) {
    std::string out;
    for (const auto& frame : info.stack) {
        out += "\n  " + frame;
    }
    return out;
}

TEST(HandlerWatch, FastHandlersAreCountedAndNotReported) {
    asio::io_context io;
    ct::HandlerWatch watch(50ms);
    for (int i = 0; i < 100; ++i) {
        asio::post(io, [] {});
    }
    io.run();
    EXPECT_EQ(watch.handlers(), 100u);
    EXPECT_TRUE(watch.blocking().empty());
    EXPECT_EQ(watch.report(), "");
    EXPECT_EQ(watch.worst().kind, Kind::fast);
}

TEST(HandlerWatch, SleepIsASleepAtItsLine) {
    asio::io_context io;
    ct::HandlerWatch watch(50ms);
    int line = 0;
    asio::post(io, [&] { line = __LINE__; std::this_thread::sleep_for(150ms); });
    io.run();
    const auto blocking = watch.blocking();
    ASSERT_EQ(blocking.size(), 1u) << watch.report();
    const auto& info = blocking.front();
    EXPECT_EQ(info.kind, Kind::sleep) << ct::HandlerWatch::describe(info);
    EXPECT_GE(info.wall_ms, 150);
    EXPECT_LT(info.cpu_ms, 50);
    EXPECT_GE(info.voluntary_switches, 1);
    EXPECT_TRUE(info.sampled);
    EXPECT_TRUE(info.syscall == "clock_nanosleep" || info.syscall == "nanosleep") << info.syscall;
    EXPECT_EQ(info.file, "asio_harness_test.cpp") << stack_of(info);
    EXPECT_EQ(info.line, line) << stack_of(info);
    EXPECT_EQ(info.callee, "std::this_thread::sleep_for") << stack_of(info);
    EXPECT_NE(watch.report().find("a blocking sleep"), std::string::npos) << watch.report();
}

// A student's file named relative to the build directory ("../student/blocks_the_loop.cpp") is
// the student's, not a library's: the report names it, not the test that ran the loop.
TEST(HandlerWatch, AStudentFileNamedRelativelyIsTheOneThatBlocked) {
    asio::io_context io;
    ct::HandlerWatch watch(50ms);
    int line = 0;
    asio::post(io, [&] { line = student::sleep_on_the_loop(); });
    io.run();
    const auto blocking = watch.blocking();
    ASSERT_EQ(blocking.size(), 1u) << watch.report();
    const auto& info = blocking.front();
    EXPECT_EQ(info.file, "blocks_the_loop.cpp") << stack_of(info);
    EXPECT_EQ(info.line, line) << stack_of(info);
    EXPECT_EQ(info.function, "student::sleep_on_the_loop") << stack_of(info);
}

TEST(HandlerWatch, SpinIsACpuBusyLoop) {
    asio::io_context io;
    ct::HandlerWatch watch(50ms);
    int line = 0;
    asio::post(io, [&] {
        const auto until = std::chrono::steady_clock::now() + 150ms;
        line = __LINE__; while (std::chrono::steady_clock::now() < until) {}
    });
    io.run();
    const auto blocking = watch.blocking();
    ASSERT_EQ(blocking.size(), 1u) << watch.report();
    const auto& info = blocking.front();
    EXPECT_EQ(info.kind, Kind::cpu) << ct::HandlerWatch::describe(info);
    EXPECT_GE(info.cpu_ms, 2.5) << "less than 5 % of the threshold: was the machine this busy?";
    EXPECT_EQ(info.file, "asio_harness_test.cpp") << stack_of(info);
    EXPECT_EQ(info.line, line) << stack_of(info);
    EXPECT_NE(watch.report().find("a CPU busy loop"), std::string::npos) << watch.report();
}

// In a coroutine: the frame that blocked is the coroutine's body, named with its namespace.
asio::awaitable<void> waits_for_a_future(int& line) {
    asio::steady_timer timer(co_await asio::this_coro::executor, 1ms);
    co_await timer.async_wait(asio::use_awaitable);
    auto future = std::async(std::launch::async, [] { std::this_thread::sleep_for(150ms); });
    line = __LINE__; future.get();
}

TEST(HandlerWatch, FutureGetInACoroutineIsAWait) {
    asio::io_context io;
    ct::HandlerWatch watch(50ms);
    int line = 0;
    asio::co_spawn(io, waits_for_a_future(line), asio::detached);
    io.run();
    const auto blocking = watch.blocking();
    ASSERT_EQ(blocking.size(), 1u) << watch.report();
    const auto& info = blocking.front();
    EXPECT_EQ(info.kind, Kind::wait) << ct::HandlerWatch::describe(info);
    EXPECT_EQ(info.syscall, "futex");
    EXPECT_EQ(info.function, "(anonymous namespace)::waits_for_a_future") << stack_of(info);
    EXPECT_EQ(info.line, line) << stack_of(info);
    EXPECT_EQ(info.callee, "std::future::get") << stack_of(info);
    EXPECT_NE(info.operation.find("async_wait"), std::string::npos) << info.operation;
}

// A blocking wait that gives up when a signal interrupts it: the watch's own sampling signal makes
// poll() return EINTR, and this handler then ends at once. The verdict must not depend on that: the
// handler had held the loop for the threshold before the signal was sent.
asio::awaitable<void> polls_until_interrupted(int& line, int& result) {
    asio::steady_timer timer(co_await asio::this_coro::executor, 1ms);
    co_await timer.async_wait(asio::use_awaitable);
    line = __LINE__; result = ::poll(nullptr, 0, 400);
    if (result < 0) {
        throw std::runtime_error("interrupted");  // swallowed by the detached coroutine
    }
}

TEST(HandlerWatch, ABlockingCallCutShortByTheSampleIsStillFlaggedAtItsLine) {
    asio::io_context io;
    ct::HandlerWatch watch(50ms);
    int line = 0;
    int result = 0;
    asio::co_spawn(io, polls_until_interrupted(line, result), asio::detached);
    io.run();
    const auto blocking = watch.blocking();
    ASSERT_EQ(blocking.size(), 1u) << "poll() returned " << result << "; " << watch.report();
    const auto& info = blocking.front();
    EXPECT_EQ(info.kind, Kind::io) << ct::HandlerWatch::describe(info);
    EXPECT_EQ(info.syscall, "poll");
    EXPECT_GE(info.wall_ms, 50);
    EXPECT_EQ(info.function, "(anonymous namespace)::polls_until_interrupted") << stack_of(info);
    EXPECT_EQ(info.line, line) << stack_of(info);
    EXPECT_NE(watch.report().find("poll"), std::string::npos) << watch.report();
}

TEST(HandlerWatch, ReportCountsEveryBlockingHandler) {
    asio::io_context io;
    ct::HandlerWatch watch(50ms);
    asio::post(io, [] { std::this_thread::sleep_for(80ms); });
    asio::post(io, [] { std::this_thread::sleep_for(120ms); });
    io.run();
    const auto report = watch.report();
    EXPECT_EQ(report.rfind("2 handlers blocked the event loop for 50 ms or more; the longest: the event loop was "
                           "blocked for 12",
                           0),
              0u)
        << report;
}

// Virtual time since reset(), for exact comparisons.
std::chrono::nanoseconds since_zero(ct::VirtualClock::time_point t) { return t.time_since_epoch(); }

TEST(VirtualClock, ATimerFiresExactlyAtItsExpiry) {
    ct::VirtualClock::reset();
    asio::io_context io;
    ct::VirtualTimer timer(io, 50ms);
    std::optional<ct::VirtualClock::time_point> fired_at;
    timer.async_wait([&](const asio::error_code& ec) {
        EXPECT_FALSE(ec) << ec.message();
        fired_at = ct::VirtualClock::now();
    });
    ct::VirtualClock::advance(io, 49ms);
    EXPECT_FALSE(fired_at) << "fired at " << since_zero(*fired_at).count() << " ns, before its expiry";
    EXPECT_EQ(ct::VirtualClock::advance(io, 1ms), 1u);
    ASSERT_TRUE(fired_at);
    EXPECT_EQ(since_zero(*fired_at), 50ms);
}

TEST(VirtualClock, OnlyTheTestMovesIt) {
    ct::VirtualClock::reset();
    asio::io_context io;
    std::vector<int> order;
    ct::VirtualTimer t30(io, 30ms), t10(io, 10ms), t20(io, 20ms);
    t30.async_wait([&](const asio::error_code&) { order.push_back(30); });
    t10.async_wait([&](const asio::error_code&) { order.push_back(10); });
    t20.async_wait([&](const asio::error_code&) { order.push_back(20); });
    std::this_thread::sleep_for(40ms);  // real time passes; virtual time does not
    EXPECT_EQ(ct::VirtualClock::advance(io, 0ms), 0u);
    EXPECT_TRUE(order.empty());
    EXPECT_EQ(since_zero(ct::VirtualClock::now()), 0ms);
    ct::VirtualClock::advance(io, 30ms, 7ms);  // steps of 7 ms still run each timer, in order
    EXPECT_EQ(order, (std::vector<int>{10, 20, 30}));
    EXPECT_EQ(since_zero(ct::VirtualClock::now()), 30ms);
}

TEST(VirtualClock, AHandlerThatElapsesMakesWhatWasDueLate) {
    ct::VirtualClock::reset();
    asio::io_context io;
    ct::VirtualTimer busy(io, 10ms), next(io, 15ms);
    std::optional<ct::VirtualClock::time_point> next_at;
    busy.async_wait([](const asio::error_code&) { ct::VirtualClock::elapse(20ms); });
    next.async_wait([&](const asio::error_code&) { next_at = ct::VirtualClock::now(); });
    ct::VirtualClock::advance(io, 12ms);
    ASSERT_TRUE(next_at) << "a timer that fell due while a handler held the loop did not run after it";
    EXPECT_EQ(since_zero(*next_at), 30ms);
}

TEST(VirtualClock, CancelReportsOperationAborted) {
    ct::VirtualClock::reset();
    asio::io_context io;
    ct::VirtualTimer timer(io, 1h);
    asio::error_code result;
    timer.async_wait([&](const asio::error_code& ec) { result = ec; });
    ct::VirtualClock::advance(io, 5ms);
    timer.cancel();
    ct::VirtualClock::advance(io, 0ms);
    EXPECT_EQ(result, asio::error::operation_aborted);
    EXPECT_TRUE(io.stopped()) << "a cancelled virtual timer left work on the loop";
}

TEST(LagProbe, MeasuresABlockedLoopExactlyOnAVirtualClock) {
    ct::VirtualClock::reset();
    asio::io_context io;
    ct::BasicLagProbe<ct::VirtualClock> probe(io.get_executor(), 10ms);
    probe.start();
    ct::VirtualTimer blocker(io, 25ms);
    blocker.async_wait([](const asio::error_code&) { ct::VirtualClock::elapse(100ms); });
    ct::VirtualClock::advance(io, 300ms);
    probe.stop();
    // Firings at 10 and 20 on time; the one due at 30 runs at 125 (95 ms late); then every 10 ms
    // from there: 135 ... 295.
    const auto samples = probe.samples();
    ASSERT_EQ(samples.size(), 20u);
    EXPECT_EQ(since_zero(samples[1].at), 20ms);
    EXPECT_EQ(samples[1].lag, 0ms);
    EXPECT_EQ(since_zero(samples[2].at), 125ms);
    EXPECT_EQ(samples[2].lag, 95ms);
    EXPECT_EQ(since_zero(samples[19].at), 295ms);
    EXPECT_EQ(probe.max_lag(), 95ms);
    EXPECT_EQ(probe.count_between(ct::VirtualClock::time_point(126ms), ct::VirtualClock::time_point(300ms)), 17u);
}

TEST(LagProbe, SeesARealBlockedLoop) {
    asio::io_context io;
    ct::LagProbe probe(io.get_executor(), 5ms);
    probe.start();
    asio::steady_timer blocker(io, 20ms);
    blocker.async_wait([](const asio::error_code&) { std::this_thread::sleep_for(100ms); });
    asio::steady_timer finish(io, 200ms);
    finish.async_wait([&](const asio::error_code&) { probe.stop(); });
    io.run();
    EXPECT_GE(probe.max_lag(), 90ms);  // one-sided: timers never fire early
    EXPECT_GE(probe.samples().size(), 5u);
}

TEST(FakeService, CountsCallsInFlightAndHolds) {
    ct::VirtualClock::reset();
    asio::io_context io;
    ct::EventLog log;
    ct::BasicFakeService<ct::VirtualClock> service(io.get_executor(), log, "svc", 10ms);
    std::vector<int> results;
    service.hold();
    for (int i = 0; i < 3; ++i) {
        asio::co_spawn(io, [&]() -> asio::awaitable<void> { results.push_back(co_await service.call()); },
                       asio::detached);
    }
    ct::VirtualTimer release(io, 50ms);
    std::uint64_t release_seq = 0;
    release.async_wait([&](const asio::error_code&) {
        EXPECT_EQ(service.in_flight(), 3);
        release_seq = log.record("release");
        service.release();
    });
    ct::VirtualClock::advance(io, 100ms);
    EXPECT_TRUE(io.stopped()) << "work left on the loop after every call ended";
    EXPECT_EQ(service.max_in_flight(), 3);
    EXPECT_EQ(service.in_flight(), 0);
    EXPECT_EQ(results, (std::vector<int>{1, 2, 3}));
    for (const auto& call : service.history()) {
        EXPECT_TRUE(call.finished);
        EXPECT_FALSE(call.cancelled);
        EXPECT_LT(call.start_seq, release_seq);
        EXPECT_GT(call.end_seq, release_seq) << "a held call ended before release()";
        EXPECT_EQ(since_zero(call.ended), 50ms) << "a held call did not end when it was released";
    }
    EXPECT_EQ(log.seq_of("svc.start#1"), 1u);
}

TEST(FakeService, CallsEndExactlyOneLatencyAfterTheyStart) {
    ct::VirtualClock::reset();
    asio::io_context io;
    ct::EventLog log;
    ct::BasicFakeService<ct::VirtualClock> service(io.get_executor(), log, "svc", 30ms);
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {  // calls 1 and 3, one after the other
        co_await service.call();
        co_await service.call();
    }, asio::detached);
    asio::co_spawn(io, service.call(), asio::detached);  // call 2, beside them
    ct::VirtualClock::advance(io, 100ms);
    const auto calls = service.history();
    ASSERT_EQ(calls.size(), 3u);
    EXPECT_EQ(service.max_in_flight(), 2);
    const std::vector<std::pair<std::chrono::nanoseconds, std::chrono::nanoseconds>> expected = {
        {0ms, 30ms}, {0ms, 30ms}, {30ms, 60ms}};
    for (std::size_t i = 0; i < calls.size(); ++i) {
        EXPECT_EQ(since_zero(calls[i].started), expected[i].first) << "call " << calls[i].number;
        EXPECT_EQ(since_zero(calls[i].ended), expected[i].second) << "call " << calls[i].number;
    }
}

TEST(FakeService, NoticesCancellation) {
    asio::io_context io;
    ct::EventLog log;
    ct::FakeService service(io.get_executor(), log, "svc", 10s);
    asio::cancellation_signal cancel;
    bool threw = false;
    asio::co_spawn(io, service.call(),
                   asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e, int) { threw = e != nullptr; }));
    asio::steady_timer later(io, 20ms);
    later.async_wait([&](const asio::error_code&) { cancel.emit(asio::cancellation_type::terminal); });
    io.run_for(5s);
    EXPECT_TRUE(io.stopped());
    EXPECT_TRUE(threw);
    EXPECT_TRUE(service.any_cancelled());
    EXPECT_EQ(service.in_flight(), 0);
    EXPECT_EQ(service.history().at(0).end_seq, 0u);
}

TEST(EventList, OrderChecksOverEventTexts) {
    const std::vector<std::string> events = {"a.start", "b.tick", "a.tick", "b.tick", "a.end", "b.tick", "b.end"};
    EXPECT_EQ(ct::count_of(events, "b.tick"), 3);
    EXPECT_EQ(ct::count_between(events, "a.start", "a.end", "b.tick"), 2);
    EXPECT_EQ(ct::count_between(events, "c.start", "a.end", "b.tick"), 0);  // no `from`
    EXPECT_EQ(ct::count_between(events, "a.end", "x.never", "b.tick"), 1);  // no `to`: up to the end
    EXPECT_EQ(ct::with_prefix(events, "a."), (std::vector<std::string>{"a.start", "a.tick", "a.end"}));
    EXPECT_EQ(ct::joined({"x", "y"}), "x y");
    EXPECT_EQ(ct::joined({}), "(empty)");
}

}  // namespace
