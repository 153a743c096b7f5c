// SHA-256 (OpenSSL) for the bundle digest and the content-addressed result cache.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "error.hpp"

namespace grade {

class Sha256 {
public:
    Sha256();
    // A field and its NUL: "ab"+"c" and "a"+"bc" hash differently.
    void field(std::string_view bytes);
    // A file's content as one field; false when it cannot be read.
    bool file(const std::filesystem::path& path);
    // "sha256:<64 hex digits>"; the object is spent afterwards.
    std::string hex();

private:
    struct Context;
    std::shared_ptr<Context> m_context;
};

}  // namespace grade
