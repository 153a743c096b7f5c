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
    std::mutex m_mutex;
    std::condition_variable m_not_empty;  // get() waits here: an item arrived or the queue closed
    std::condition_variable m_not_full;   // put() waits here: room appeared or the queue closed
    std::condition_variable m_all_done;   // join() waits here: the unfinished count reached 0
    std::deque<T> m_items;                // guarded by m_mutex
    const std::size_t m_maxsize;
    std::size_t m_unfinished = 0;  // guarded by m_mutex: put() count minus task_done() count
    bool m_closed = false;         // guarded by m_mutex
};

template <class T>
JoinableQueue<T>::JoinableQueue(std::size_t maxsize) : m_maxsize(maxsize) {}

template <class T>
void JoinableQueue<T>::put(T v) {
    std::unique_lock lock(m_mutex);
    m_not_full.wait(lock, [this] { return m_closed || m_maxsize == 0 || m_items.size() < m_maxsize; });
    if (m_closed) {
        throw std::logic_error("JoinableQueue::put() on a closed queue");
    }
    m_items.push_back(std::move(v));
    // Counted at put(), not at get(): an item is unfinished from the moment it exists until a
    // consumer says it is done with it, including the time it spends in a consumer's hands.
    ++m_unfinished;
    m_not_empty.notify_one();
}

template <class T>
std::optional<T> JoinableQueue<T>::get(std::optional<std::chrono::milliseconds> timeout) {
    std::unique_lock lock(m_mutex);
    // A blocking wait: the thread sleeps in the kernel until put() or close() notifies it. The
    // predicate is re-checked after every wakeup (another consumer may have taken the item, or
    // the wakeup was spurious).
    const auto ready = [this] { return !m_items.empty() || m_closed; };
    if (timeout) {
        if (!m_not_empty.wait_for(lock, *timeout, ready)) {
            return std::nullopt;  // timed out
        }
    } else {
        m_not_empty.wait(lock, ready);
    }
    if (m_items.empty()) {
        return std::nullopt;  // closed and drained
    }
    std::optional<T> item(std::move(m_items.front()));
    m_items.pop_front();
    m_not_full.notify_one();
    return item;
}

template <class T>
void JoinableQueue<T>::task_done() {
    std::scoped_lock lock(m_mutex);
    if (m_unfinished == 0) {
        throw std::logic_error("JoinableQueue::task_done() called more times than put()");
    }
    if (--m_unfinished == 0) {
        m_all_done.notify_all();
    }
}

template <class T>
void JoinableQueue<T>::join() {
    std::unique_lock lock(m_mutex);
    // Not "until the queue is empty": an empty queue only means every item has been taken, and a
    // taken item may still be in the middle of being processed.
    m_all_done.wait(lock, [this] { return m_unfinished == 0; });
}

template <class T>
void JoinableQueue<T>::close() {
    {
        std::scoped_lock lock(m_mutex);
        m_closed = true;
    }
    m_not_empty.notify_all();
    m_not_full.notify_all();
}

}  // namespace cc
