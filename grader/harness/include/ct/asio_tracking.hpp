// Asio's custom handler tracking hook, pointed at the harness's per-handler accounting.
//
// A day that uses Asio is compiled with -DASIO_CUSTOM_HANDLER_TRACKING="ct/asio_tracking.hpp"
// (CourseDay.cmake does it for every translation unit of the day: student files, tests, harness,
// because the hook changes the layout of Asio's operation objects). Asio then calls the hooks
// below around every handler it invokes, and every resumption of a coroutine is one such handler.
// The accounting (wall time, thread CPU time, voluntary context switches, and a stack sample of a
// handler that runs long) lives in src/asio_tracking.cpp; tests read it through ct::HandlerWatch
// (ct/asio.hpp). This header is included from inside Asio's own headers, so it includes nothing
// of Asio and stays small.
#pragma once

#include <cstdint>

namespace asio {
class execution_context;
}  // namespace asio

namespace ct::asio_tracking {

// Base of every Asio operation object: what the creation hook learnt about the handler.
struct tracked_handler {
    const char* ct_object_type = nullptr;  // "basic_waitable_timer", "io_context", ...
    const char* ct_op_name = nullptr;      // "async_wait", "post", "dispatch", ...
    const char* ct_file = nullptr;         // where the operation was started, if Asio knows it
    const char* ct_function = nullptr;
    int ct_line = 0;
};

// Asio's ASIO_HANDLER_LOCATION: marks, for the duration of an initiating function, where the
// operation was started. Asio 1.22 knows this only for use_awaitable_t objects built at the call
// site (use_awaitable_t<>{}) and for co_spawn's entry point; the constant asio::use_awaitable that
// everyone writes carries no location (file 0), which is why the harness samples stacks instead.
class location {
public:
    location(const char* file, int line, const char* function) noexcept;
    ~location();
    location(const location&) = delete;
    location& operator=(const location&) = delete;

    const char* file;
    int line;
    const char* function;
    location* next;
};

void creation(asio::execution_context& context, tracked_handler& h, const char* object_type, void* object,
              std::uintmax_t native_handle, const char* op_name) noexcept;

// Lives on the stack of Asio's completion function, around the upcall. Copies what it needs from
// the operation first: Asio frees the operation before it invokes the handler.
class completion {
public:
    explicit completion(const tracked_handler& h) noexcept;
    ~completion();  // ends the invocation when the handler left by an exception
    completion(const completion&) = delete;
    completion& operator=(const completion&) = delete;

    template <class... Args>
    void invocation_begin(const Args&...) noexcept {
        begin();
    }
    void invocation_end() noexcept;

private:
    void begin() noexcept;

    tracked_handler m_info;
    bool m_running = false;
};

template <class... Args>
inline void ignore(const Args&...) noexcept {}

}  // namespace ct::asio_tracking

#define ASIO_INHERIT_TRACKED_HANDLER : public ::ct::asio_tracking::tracked_handler
#define ASIO_ALSO_INHERIT_TRACKED_HANDLER , public ::ct::asio_tracking::tracked_handler
#define ASIO_HANDLER_TRACKING_INIT (void)0
#define ASIO_HANDLER_LOCATION(args) ::ct::asio_tracking::location ct_tracked_location args
#define ASIO_HANDLER_CREATION(args) ::ct::asio_tracking::creation args
#define ASIO_HANDLER_COMPLETION(args) ::ct::asio_tracking::completion tracked_completion args
#define ASIO_HANDLER_INVOCATION_BEGIN(args) tracked_completion.invocation_begin args
#define ASIO_HANDLER_INVOCATION_END tracked_completion.invocation_end()
#define ASIO_HANDLER_OPERATION(args) ::ct::asio_tracking::ignore args
#define ASIO_HANDLER_REACTOR_REGISTRATION(args) ::ct::asio_tracking::ignore args
#define ASIO_HANDLER_REACTOR_DEREGISTRATION(args) ::ct::asio_tracking::ignore args
#define ASIO_HANDLER_REACTOR_READ_EVENT 1
#define ASIO_HANDLER_REACTOR_WRITE_EVENT 2
#define ASIO_HANDLER_REACTOR_ERROR_EVENT 4
#define ASIO_HANDLER_REACTOR_EVENTS(args) ::ct::asio_tracking::ignore args
#define ASIO_HANDLER_REACTOR_OPERATION(args) ::ct::asio_tracking::ignore args
