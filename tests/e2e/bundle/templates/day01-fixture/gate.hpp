#pragma once
#include <condition_variable>
#include <mutex>

namespace fx {

// A one-shot gate: wait() blocks until open() was called.
class Gate {
public:
    void open();
    void wait();

private:
    std::mutex m_;
    std::condition_variable cv_;
    bool open_ = false;
};

}  // namespace fx
