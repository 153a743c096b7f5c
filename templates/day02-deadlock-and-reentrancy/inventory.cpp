#include "inventory.hpp"

namespace cc {

void Inventory::add(const std::string& /*item*/, int /*qty*/) {
    // TODO(student): add qty of item, under the mutex.
}

bool Inventory::remove(const std::string& /*item*/, int /*qty*/) {
    // TODO(student): take qty of item if there are at least that many; say whether you did.
    return false;
}

bool Inventory::move_to(Inventory& /*other*/, const std::string& /*item*/, int /*qty*/) {
    // TODO(student): remove here and add to `other` as one step, holding both mutexes (in an order
    // that cannot deadlock); moving to *this changes nothing and returns false.
    return false;
}

int Inventory::count(const std::string& /*item*/) const {
    // TODO(student): how many of item are here (0 if none).
    return 0;
}

int Inventory::total() const {
    // TODO(student): the sum of all counts.
    return 0;
}

}  // namespace cc
