// Public tests for task 1 (StripedHashMap). Run them with `grade day1`; the hidden tests go further.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "ct/ct.hpp"
#include "striped_hash_map.hpp"

namespace {

using Map = cc::StripedHashMap<std::uint64_t, std::uint64_t>;

// Every thread inserts its own block of keys, then the test checks that none went missing.
void insert_disjoint_blocks(int threads, std::uint64_t per_thread) {
    Map map;
    ct::step("concurrent insert_or_assign calls must return");
    ct::stress(threads, 1, [&](int tid, int, ct::Rng&) {
        for (std::uint64_t i = 0; i < per_thread; ++i) {
            const std::uint64_t key = static_cast<std::uint64_t>(tid) * per_thread + i;
            map.insert_or_assign(key, key * 2 + 1);
        }
    });
    const std::uint64_t total = per_thread * static_cast<std::uint64_t>(threads);
    std::uint64_t missing = 0;
    std::uint64_t first_missing = 0;
    for (std::uint64_t key = 0; key < total; ++key) {
        const auto value = map.find(key);
        if (!value || *value != key * 2 + 1) {
            if (missing++ == 0) {
                first_missing = key;
            }
        }
    }
    EXPECT_EQ(missing, 0u) << missing << " of " << total << " keys inserted by " << threads
                           << " threads are missing or have the wrong value (the first is key "
                           << first_missing << "). Two threads changed the same bucket at the "
                           << "same time and one change was lost: the bucket was not guarded by "
                           << "the lock of its stripe.";
    EXPECT_EQ(map.size(), total) << "size() after " << threads << " threads inserted " << total
                                 << " distinct keys in total.";
}

TEST(StripedHashMapPublic, SingleThreadBasics) {
    for (std::size_t stripes : {1u, 4u, 16u}) {
        SCOPED_TRACE("StripedHashMap with " + std::to_string(stripes) + " stripes");
        cc::StripedHashMap<std::string, int> map(stripes);
        EXPECT_EQ(map.size(), 0u) << "a new map is empty";
        EXPECT_FALSE(map.find("a").has_value()) << "find() on an empty map";

        EXPECT_TRUE(map.insert_or_assign("a", 1)) << "insert_or_assign returns true for a new key";
        EXPECT_TRUE(map.insert_or_assign("b", 2));
        EXPECT_FALSE(map.insert_or_assign("a", 10))
            << "insert_or_assign returns false when it replaces the value of an existing key";
        EXPECT_EQ(map.find("a"), std::optional<int>(10)) << "the second insert_or_assign replaces the value";
        EXPECT_EQ(map.find("b"), std::optional<int>(2));
        EXPECT_EQ(map.size(), 2u) << "replacing a value does not change size()";

        EXPECT_TRUE(map.erase("a")) << "erase returns true when the key was there";
        EXPECT_FALSE(map.erase("a")) << "erase returns false when the key is not there";
        EXPECT_FALSE(map.find("a").has_value()) << "an erased key is gone";
        EXPECT_EQ(map.size(), 1u);

        for (int i = 0; i < 1000; ++i) {
            map.insert_or_assign("k" + std::to_string(i), i);
        }
        EXPECT_EQ(map.size(), 1001u) << "after 1000 more distinct keys (enough to make any bucket array grow)";
        EXPECT_EQ(map.find("k999"), std::optional<int>(999));
        EXPECT_EQ(map.find("b"), std::optional<int>(2)) << "keys survive the map growing";
    }
}

TEST(StripedHashMapPublic, TwoThreadsDisjointKeys) { insert_disjoint_blocks(2, 20000); }

// Built with -fsanitize=thread: a data race fails this test even if no key went missing.
TEST(StripedHashMapPublic, TwoThreadsUnderTsan) {
    insert_disjoint_blocks(2, 20000 / ct::slowdown());
}

}  // namespace
