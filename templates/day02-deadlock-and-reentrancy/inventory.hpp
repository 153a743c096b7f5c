// Task 3: an inventory whose operations are built from each other, under one plain std::mutex.
#pragma once

#include <map>
#include <mutex>
#include <string>

namespace cc {

// Item counts behind one mutex. Every public method is one atomic step. Operations on different
// inventories never wait for each other (move_to needs both of its inventories).
// Quantities are positive; a call with qty <= 0 changes nothing (remove and move_to return false).
class Inventory {
public:
    void add(const std::string& item, int qty);
    // Takes qty of item if at least that many are here; returns whether it did.
    bool remove(const std::string& item, int qty);
    // Moves qty of item to `other` if at least that many are here, as one step (no thread sees
    // the items in both inventories or in neither); returns whether it did. Moving to itself
    // changes nothing and returns false.
    bool move_to(Inventory& other, const std::string& item, int qty);
    int count(const std::string& item) const;
    int total() const;

private:
    // TODO(student): task 3. Public methods that call each other while holding m_mutex deadlock
    // (README, task 3): add private helpers here that do the work with the lock already held.
    mutable std::mutex m_mutex;
    std::map<std::string, int> m_items;  // guarded by m_mutex
};

}  // namespace cc
