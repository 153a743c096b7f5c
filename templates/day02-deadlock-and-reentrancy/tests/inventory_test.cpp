// Public tests for task 3: Inventory.
#include <gtest/gtest.h>

#include "ct/ct.hpp"
#include "inventory.hpp"

namespace {

TEST(InventoryPublic, AddRemoveCount) {
    cc::Inventory inv;
    ct::step("add / count / remove / total on one Inventory must each return");
    inv.add("apple", 3);
    inv.add("apple", 2);
    inv.add("pear", 1);
    EXPECT_EQ(inv.count("apple"), 5) << "add(apple, 3) then add(apple, 2)";
    EXPECT_EQ(inv.count("pear"), 1);
    EXPECT_EQ(inv.count("kiwi"), 0) << "an item never added counts 0";
    EXPECT_EQ(inv.total(), 6) << "total() is the sum of all counts";
    EXPECT_TRUE(inv.remove("apple", 4)) << "5 apples are there, so removing 4 must succeed";
    EXPECT_EQ(inv.count("apple"), 1);
    EXPECT_FALSE(inv.remove("apple", 2)) << "only 1 apple is left: removing 2 must be refused";
    EXPECT_EQ(inv.count("apple"), 1) << "a refused remove must change nothing";
    EXPECT_FALSE(inv.remove("kiwi", 1)) << "there are no kiwis to remove";
    EXPECT_EQ(inv.total(), 2);
}

TEST(InventoryPublic, MoveToMovesItems) {
    cc::Inventory shop;
    cc::Inventory truck;
    shop.add("apple", 5);
    ct::step("shop.move_to(truck, apple, ...) must return");
    EXPECT_TRUE(shop.move_to(truck, "apple", 3)) << "the shop has 5 apples, so moving 3 must work";
    EXPECT_EQ(shop.count("apple"), 2);
    EXPECT_EQ(truck.count("apple"), 3);
    EXPECT_FALSE(shop.move_to(truck, "apple", 3)) << "only 2 apples are left in the shop";
    EXPECT_EQ(shop.count("apple"), 2) << "a refused move must change neither inventory";
    EXPECT_EQ(truck.count("apple"), 3) << "a refused move must change neither inventory";
    EXPECT_EQ(shop.total() + truck.total(), 5) << "moving never creates or destroys items";
}

}  // namespace
