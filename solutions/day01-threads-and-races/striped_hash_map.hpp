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
        : m_stripes(stripes == 0 ? 1 : stripes), m_hash(std::move(h)), m_eq(std::move(eq)) {}

    StripedHashMap(const StripedHashMap&) = delete;
    StripedHashMap& operator=(const StripedHashMap&) = delete;

    // Returns true if k was not in the map (inserted), false if its value was replaced.
    bool insert_or_assign(const K& k, V v) {
        const std::size_t h = m_hash(k);
        Stripe& stripe = m_stripes[stripe_index(h)];
        std::scoped_lock lock(stripe.mutex);
        Bucket& bucket = stripe.buckets[bucket_index(stripe, h)];
        for (auto& entry : bucket) {
            if (m_eq(entry.first, k)) {
                entry.second = std::move(v);
                return false;
            }
        }
        bucket.emplace_back(k, std::move(v));
        ++stripe.size;
        if (stripe.size > max_load * stripe.buckets.size()) {
            grow(stripe);
        }
        return true;
    }

    std::optional<V> find(const K& k) const {
        const std::size_t h = m_hash(k);
        const Stripe& stripe = m_stripes[stripe_index(h)];
        // Readers lock too: a writer may be moving this bucket's entries right now.
        std::scoped_lock lock(stripe.mutex);
        for (const auto& entry : stripe.buckets[bucket_index(stripe, h)]) {
            if (m_eq(entry.first, k)) {
                return entry.second;
            }
        }
        return std::nullopt;
    }

    bool erase(const K& k) {
        const std::size_t h = m_hash(k);
        Stripe& stripe = m_stripes[stripe_index(h)];
        std::scoped_lock lock(stripe.mutex);
        Bucket& bucket = stripe.buckets[bucket_index(stripe, h)];
        for (auto it = bucket.begin(); it != bucket.end(); ++it) {
            if (m_eq(it->first, k)) {
                // Order inside a bucket does not matter: move the last entry into the hole.
                *it = std::move(bucket.back());
                bucket.pop_back();
                --stripe.size;
                return true;
            }
        }
        return false;
    }

    // Exact when no writer is running. While writers run, each stripe is counted at a slightly
    // different moment, so the sum is a value the map had "around" this call, not a snapshot.
    std::size_t size() const {
        std::size_t total = 0;
        for (const Stripe& stripe : m_stripes) {
            std::scoped_lock lock(stripe.mutex);
            total += stripe.size;
        }
        return total;
    }

private:
    using Bucket = std::vector<std::pair<K, V>>;

    static constexpr std::size_t initial_buckets = 8;
    static constexpr std::size_t max_load = 2;  // entries per bucket before a stripe doubles

    // Everything in a stripe is guarded by its mutex, including its entry count: a count kept
    // outside the stripe (or updated after unlocking) would be a data race between stripes.
    struct Stripe {
        mutable std::mutex mutex;
        std::vector<Bucket> buckets = std::vector<Bucket>(initial_buckets);
        std::size_t size = 0;
    };

    std::size_t stripe_index(std::size_t h) const { return h % m_stripes.size(); }

    // The low part of h already chose the stripe (all keys of a stripe share h % stripes), so the
    // bucket inside the stripe comes from the rest of h; h % buckets alone would leave most
    // buckets empty whenever the two counts share a factor.
    std::size_t bucket_index(const Stripe& stripe, std::size_t h) const {
        return (h / m_stripes.size()) % stripe.buckets.size();
    }

    // Called with stripe.mutex held. Only this stripe is rebuilt, so other stripes keep working.
    void grow(Stripe& stripe) {
        std::vector<Bucket> old(stripe.buckets.size() * 2);
        old.swap(stripe.buckets);
        for (Bucket& bucket : old) {
            for (auto& entry : bucket) {
                const std::size_t h = m_hash(entry.first);
                stripe.buckets[bucket_index(stripe, h)].push_back(std::move(entry));
            }
        }
    }

    std::vector<Stripe> m_stripes;  // the vector itself never changes size after construction
    Hash m_hash;
    Eq m_eq;
};

}  // namespace cc
