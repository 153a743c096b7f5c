// Connects to a listener on the host's loopback (the corpus driver listens on 127.0.0.1 and ::1,
// TCP and UDP, ports 47361-47364, outside any namespace) and sends it a datagram. Only loopback,
// never another address. Contained: this day has no network, so the test has none (a network
// namespace with loopback down, and seccomp refuses internet sockets); the listener sees nothing.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "attack.hpp"

namespace hostile {

std::string attack() {
    std::string result;
    for (int port = 47361; port <= 47364; ++port) {
        sockaddr_in v4{};
        v4.sin_family = AF_INET;
        v4.sin_port = htons(static_cast<unsigned short>(port));
        inet_pton(AF_INET, "127.0.0.1", &v4.sin_addr);
        const int tcp = socket(AF_INET, SOCK_STREAM, 0);
        if (tcp < 0) {
            result += "tcp socket: " + std::string(std::strerror(errno)) + "; ";
        } else {
            const int rc = connect(tcp, reinterpret_cast<sockaddr*>(&v4), sizeof v4);
            result += "tcp " + std::to_string(port) + ": " + (rc == 0 ? "CONNECTED" : std::strerror(errno)) + "; ";
            if (rc == 0) {
                (void)!write(tcp, "CANARY-NET", 10);
            }
            close(tcp);
        }
        const int udp = socket(AF_INET, SOCK_DGRAM, 0);
        if (udp >= 0) {
            const auto sent = sendto(udp, "CANARY-NET", 10, 0, reinterpret_cast<sockaddr*>(&v4), sizeof v4);
            result += "udp " + std::to_string(port) + ": " + (sent == 10 ? "sent" : std::strerror(errno)) + "; ";
            close(udp);
        }
        sockaddr_in6 v6{};
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(static_cast<unsigned short>(port));
        v6.sin6_addr = in6addr_loopback;
        const int tcp6 = socket(AF_INET6, SOCK_STREAM, 0);
        if (tcp6 >= 0) {
            const int rc = connect(tcp6, reinterpret_cast<sockaddr*>(&v6), sizeof v6);
            result += "tcp6 " + std::to_string(port) + ": " + (rc == 0 ? "CONNECTED" : std::strerror(errno)) + "; ";
            close(tcp6);
        }
    }
    return result;
}

int answer() { return 42; }

}  // namespace hostile
