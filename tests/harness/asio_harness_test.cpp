// The slow-handler tracker and the Asio test helpers, on handlers whose behaviour the test fixes:
// a sleep, a spin and a futex wait of 150 ms each against a 50 ms threshold (3x), and fast ones.
#include <gtest/gtest.h>

#include <asio.hpp>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "ct/asio.hpp"
#include "ct/handler_watch.hpp"

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

TEST(LagProbe, SeesABlockedLoop) {
    asio::io_context io;
    ct::LagProbe probe(io.get_executor(), 5ms);
    probe.start();
    asio::steady_timer blocker(io, 20ms);
    blocker.async_wait([](const asio::error_code&) { std::this_thread::sleep_for(100ms); });
    asio::steady_timer finish(io, 200ms);
    finish.async_wait([&](const asio::error_code&) { probe.stop(); });
    io.run();
    EXPECT_GE(probe.max_lag(), 90ms);
    EXPECT_GE(probe.samples().size(), 5u);
}

TEST(FakeService, CountsCallsInFlightAndHolds) {
    asio::io_context io;
    ct::EventLog log;
    ct::FakeService service(io.get_executor(), log, "svc", 10ms);
    std::vector<int> results;
    service.hold();
    for (int i = 0; i < 3; ++i) {
        asio::co_spawn(io, [&]() -> asio::awaitable<void> { results.push_back(co_await service.call()); },
                       asio::detached);
    }
    asio::steady_timer release(io, 50ms);
    std::uint64_t release_seq = 0;
    release.async_wait([&](const asio::error_code&) {
        EXPECT_EQ(service.in_flight(), 3);
        release_seq = log.record("release");
        service.release();
    });
    io.run();
    EXPECT_EQ(service.max_in_flight(), 3);
    EXPECT_EQ(service.in_flight(), 0);
    EXPECT_EQ(results.size(), 3u);
    for (const auto& call : service.history()) {
        EXPECT_TRUE(call.finished);
        EXPECT_FALSE(call.cancelled);
        EXPECT_LT(call.start_seq, release_seq);
        EXPECT_GT(call.end_seq, release_seq) << "a held call ended before release()";
    }
    EXPECT_EQ(log.seq_of("svc.start#1"), 1u);
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
