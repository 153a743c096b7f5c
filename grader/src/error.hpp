// Errors are values (grader-design §9.3). An Error is the grader's own failure to do its job
// (bad yaml, missing toolchain, unreadable repo); a student's failing test is an Outcome, never
// an Error. Exceptions are for bugs and the single fatal path in main().
#pragma once

#include <fmt/format.h>

#include <string>
#include <tl/expected.hpp>
#include <utility>

namespace grade {

// What kind of failure, so the CLI can pick the exit status (grader-design §2).
enum class ErrorKind {
    usage,           // the user's words are off: exit 2
    infrastructure,  // the grader could not grade: exit 3, never a student's 0
};

struct Error {
    ErrorKind kind = ErrorKind::infrastructure;
    std::string message;
};

template <class T>
using Result = tl::expected<T, Error>;

template <class... Args>
tl::unexpected<Error> fail(fmt::format_string<Args...> format, Args&&... args) {
    return tl::unexpected(Error{ErrorKind::infrastructure, fmt::format(format, std::forward<Args>(args)...)});
}

template <class... Args>
tl::unexpected<Error> usage_error(fmt::format_string<Args...> format, Args&&... args) {
    return tl::unexpected(Error{ErrorKind::usage, fmt::format(format, std::forward<Args>(args)...)});
}

}  // namespace grade

// Unwraps a Result or returns its error from the enclosing function (which returns a Result).
#define TRY(var, expr)                                   \
    auto var##_result = (expr);                          \
    if (!var##_result) {                                 \
        return tl::unexpected(var##_result.error());     \
    }                                                    \
    auto var = std::move(*var##_result)

#define TRY_VOID(expr)                         \
    if (auto try_result_ = (expr); !try_result_) { \
        return tl::unexpected(try_result_.error()); \
    }
