#include "embed_scan.hpp"

#include <gtest/gtest.h>

namespace grade {
namespace {

const std::string hidden =
    "// A hidden test.\n"
    "TEST(CounterHidden, FourThreadsLoseNothing) {\n"
    "    fx::Counter counter;\n"
    "    std::vector<std::thread> threads;\n"
    "    for (int t = 0; t < 4; ++t) { threads.emplace_back([&] { counter.add(1); }); }\n"
    "    EXPECT_EQ(counter.value(), 4) << \"four adds\";\n"
    "}\n";

TEST(EmbedScan, FindsACopyOfTheSourceAnywhereInTheBytes) {
    const std::string binary = std::string(1000, '\0') + "junk" + hidden.substr(20, 200) + std::string(50, 'x');
    EXPECT_TRUE(contains_embedded(binary, hidden));
}

TEST(EmbedScan, StringifiedExpressionsAreNotACopy) {
    // What GoogleTest keeps of the source: expressions on one line, no line breaks.
    const std::string binary = "counter.value()\0004\0four adds\0fx::Counter counter;    std::vector<std::thread> "
                               "threads;";
    EXPECT_FALSE(contains_embedded(binary, hidden));
}

TEST(EmbedScan, RawStringLiteralsMayLegitimatelyBeInTheBinary) {
    const std::string with_raw = "TEST(HttpHidden, Parses) {\n    const char* request = R\"(GET / HTTP/1.1\n"
                                 "Host: example.org with a long enough header line\nAccept: */*\n)\";\n    parse(request);\n}\n";
    const std::string binary = "GET / HTTP/1.1\nHost: example.org with a long enough header line\nAccept: */*\n";
    EXPECT_FALSE(contains_embedded(binary, with_raw));
}

}  // namespace
}  // namespace grade
