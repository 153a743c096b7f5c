// Task 3: a counter that several processes share (Python's multiprocessing.Value('l')).
#pragma once

namespace cc {

// A counter in memory that stays shared across fork(): a process forked after the constructor
// ran adds to the same counter as its parent, and each sees the other's adds. add() and value()
// may be called from any thread of any of these processes, at the same time.
class SharedCounter {
public:
    SharedCounter();   // starts at 0; throws std::system_error if the memory cannot be mapped
    ~SharedCounter();  // gives the memory back (in the process that runs it)
    SharedCounter(const SharedCounter&) = delete;
    SharedCounter& operator=(const SharedCounter&) = delete;

    void add(long delta);
    long value() const;

private:
    struct Shared;
    Shared* m_shared = nullptr;  // in a MAP_SHARED mapping: fork() shares it instead of copying it
};

}  // namespace cc
