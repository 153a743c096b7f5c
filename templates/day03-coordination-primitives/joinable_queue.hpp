// Task 5: a blocking queue with task_done()/join() accounting (Python's queue.Queue).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

namespace cc {

// A FIFO queue for producer and consumer threads. Every item that is put() counts as unfinished
// until a consumer calls task_done() for it; join() waits until nothing is unfinished.
template <class T>
class JoinableQueue {
public:
    explicit JoinableQueue(std::size_t maxsize = 0);  // 0 = unbounded
    JoinableQueue(const JoinableQueue&) = delete;
    JoinableQueue& operator=(const JoinableQueue&) = delete;

    // Appends v, waiting while the queue holds maxsize items. Throws std::logic_error if the queue
    // is closed (also when close() comes while put() waits).
    void put(T v);

    // Removes and returns the oldest item, waiting for one if the queue is empty: forever without
    // a timeout, at most `timeout` with one. std::nullopt if the timeout passed first, or if the
    // queue is closed and empty (items put before close() are still handed out).
    std::optional<T> get(std::optional<std::chrono::milliseconds> timeout = {});

    // A consumer has finished with one item it got. More calls than put()s -> std::logic_error.
    void task_done();

    // Waits until task_done() has been called once for every item ever put(). close() does not
    // end the wait: unfinished items stay unfinished.
    void join();

    // Wakes every thread waiting in get() or put(); from now on put() throws and get() drains.
    void close();

private:
    // TODO(student): the items, maxsize, the unfinished count, the closed flag, a mutex, and one
    // condition variable per thing a thread can wait for.
};

template <class T>
JoinableQueue<T>::JoinableQueue(std::size_t maxsize) {
    // TODO(student): remember maxsize.
    (void)maxsize;
}

template <class T>
void JoinableQueue<T>::put(T v) {
    // TODO(student): wait for room (or close), append, count one more unfinished item, wake a getter.
    (void)v;
}

template <class T>
std::optional<T> JoinableQueue<T>::get(std::optional<std::chrono::milliseconds> timeout) {
    // TODO(student): wait (blocking, not polling) for an item or close, with or without a
    // timeout; take the oldest item and wake a putter.
    (void)timeout;
    return std::nullopt;
}

template <class T>
void JoinableQueue<T>::task_done() {
    // TODO(student): one unfinished item fewer; wake join() when none is left.
}

template <class T>
void JoinableQueue<T>::join() {
    // TODO(student): wait until every item ever put() has had its task_done().
}

template <class T>
void JoinableQueue<T>::close() {
    // TODO(student): mark the queue closed and wake every waiting getter and putter.
}

}  // namespace cc
