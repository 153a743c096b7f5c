// A lock-order deadlock that happens every time: two threads each lock one mutex, meet, then lock
// the other's. tests/harness/thread_dump_test.py runs it (under a shim) and reads it with gdb.
#include <barrier>
#include <cstdio>
#include <mutex>
#include <thread>

int main() {
    std::mutex a;
    std::mutex b;
    std::barrier both_hold_one(2);
    std::thread first([&] {
        std::lock_guard hold(a);
        both_hold_one.arrive_and_wait();
        std::lock_guard want(b);
    });
    std::thread second([&] {
        std::lock_guard hold(b);
        both_hold_one.arrive_and_wait();
        std::lock_guard want(a);
    });
    std::puts("started");
    std::fflush(stdout);
    first.join();
    second.join();
}
