#pragma once
#include <mutex>

namespace fx {

class Counter {
public:
    void add(long n);
    long value() const;

private:
    mutable std::mutex m_;
    long value_ = 0;
};

}  // namespace fx
