// The headers every test source of every day parses: GoogleTest, RapidCheck, the harness and the
// standard library's threading and container headers. The course runtime precompiles them once per
// flavour (add_course_runtime), and each day's test sources are compiled with `-include` of the
// result, which saves a third of the compile time of a test source that does not use Asio. (Asio
// is left out on purpose: its precompiled header is 200 MB, and loading it was slower than parsing
// Asio, measured on this machine; docs/dev/benchmarks.md.) Precompiling changes nothing a test
// sees: every test source still includes what it uses.
#pragma once

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "ct/ct.hpp"
