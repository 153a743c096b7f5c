#include "digest.hpp"

#include <openssl/evp.h>

#include <fstream>
#include <vector>

namespace grade {

struct Sha256::Context {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    Context() { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
    ~Context() { EVP_MD_CTX_free(ctx); }
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;
};

Sha256::Sha256() : m_context(std::make_shared<Context>()) {}

void Sha256::field(std::string_view bytes) {
    EVP_DigestUpdate(m_context->ctx, bytes.data(), bytes.size());
    EVP_DigestUpdate(m_context->ctx, "", 1);
}

bool Sha256::file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return false;
    }
    std::vector<char> buffer(1 << 16);
    while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
        EVP_DigestUpdate(m_context->ctx, buffer.data(), static_cast<std::size_t>(in.gcount()));
    }
    EVP_DigestUpdate(m_context->ctx, "", 1);
    return true;
}

std::string Sha256::hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(m_context->ctx, digest, &length);
    std::string text = "sha256:";
    for (unsigned int i = 0; i < length; ++i) {
        text += fmt::format("{:02x}", digest[i]);
    }
    return text;
}

}  // namespace grade
