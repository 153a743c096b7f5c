#include "inventory.hpp"

namespace cc {

void Inventory::add(const std::string& item, int qty) {
    std::lock_guard lock(m_mutex);
    add_locked(item, qty);
}

bool Inventory::remove(const std::string& item, int qty) {
    std::lock_guard lock(m_mutex);
    return remove_locked(item, qty);
}

bool Inventory::move_to(Inventory& other, const std::string& item, int qty) {
    if (&other == this) {
        return false;
    }
    std::scoped_lock lock(m_mutex, other.m_mutex);
    if (!remove_locked(item, qty)) {
        return false;
    }
    other.add_locked(item, qty);
    return true;
}

int Inventory::count(const std::string& item) const {
    std::lock_guard lock(m_mutex);
    return count_locked(item);
}

int Inventory::total() const {
    std::lock_guard lock(m_mutex);
    int sum = 0;
    for (const auto& [item, qty] : m_items) {
        sum += qty;
    }
    return sum;
}

void Inventory::add_locked(const std::string& item, int qty) {
    if (qty > 0) {
        m_items[item] += qty;
    }
}

bool Inventory::remove_locked(const std::string& item, int qty) {
    if (qty <= 0 || count_locked(item) < qty) {
        return false;
    }
    auto it = m_items.find(item);
    it->second -= qty;
    if (it->second == 0) {
        m_items.erase(it);
    }
    return true;
}

int Inventory::count_locked(const std::string& item) const {
    const auto it = m_items.find(item);
    return it == m_items.end() ? 0 : it->second;
}

}  // namespace cc
