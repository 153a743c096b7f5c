// Task 1: a hash map that several threads can use at once (lock striping, as in MIT's ph.c lab).
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace cc {

// The map is cut into `stripes` independent parts. Key k belongs to stripe hash(k) % stripes, and
// each stripe owns one mutex plus the buckets that mutex guards. Two operations on keys in
// different stripes never wait for each other; two operations in the same stripe take turns.
//
// Contract: Eq is invoked while holding only the key's stripe lock.
template <class K, class V, class Hash = std::hash<K>, class Eq = std::equal_to<K>>
class StripedHashMap {
public:
    explicit StripedHashMap(std::size_t stripes = 16, Hash h = {}, Eq eq = {})
        : m_hash(std::move(h)), m_eq(std::move(eq)) {
        // TODO(student): create `stripes` stripes (at least one), each with its own mutex and
        // buckets. A std::vector<Stripe>(n) works even though std::mutex cannot be moved.
        (void)stripes;
    }

    StripedHashMap(const StripedHashMap&) = delete;
    StripedHashMap& operator=(const StripedHashMap&) = delete;

    // Returns true if k was not in the map (inserted), false if its value was replaced.
    bool insert_or_assign(const K& k, V v) {
        // TODO(student): lock k's stripe, look for k in its bucket (compare keys with m_eq),
        // replace the value or append a new entry, and keep the stripe's entry count.
        (void)k;
        (void)v;
        return false;
    }

    std::optional<V> find(const K& k) const {
        // TODO(student): readers lock too. Return the value stored for k, or std::nullopt.
        (void)k;
        return std::nullopt;
    }

    bool erase(const K& k) {
        // TODO(student): remove k from its bucket under its stripe's lock; true if it was there.
        (void)k;
        return false;
    }

    std::size_t size() const {
        // TODO(student): the number of keys. Where does the count live, and which lock guards it?
        return 0;
    }

private:
    // TODO(student): your stripes: for each, a mutex and the buckets (and count) it guards.
    Hash m_hash;
    Eq m_eq;
};

}  // namespace cc
