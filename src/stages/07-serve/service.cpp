// The service's connections and its graceful shutdown; see service.hpp.
#include "service.hpp"

#include "http_context.hpp"

#include <utility>
#include <vector>

namespace kit {

Service::Service(Loop& loop, TimerQueue& timers, PostQueue& posts, ThreadPool& pool,
                 ServeTrace& trace, ServiceOptions options)
    : loop_(loop), timers_(timers), posts_(posts), pool_(pool), trace_(trace), options_(options) {}

Service::~Service() {
    timers_.cancel(grace_timer_);
    shutdown_done_ = nullptr;
    on_shutdown_.clear();
    // close() calls forget(), which erases from contexts_: walk a copy.
    auto contexts = std::exchange(contexts_, {});
    for (auto& [id, context] : contexts) {
        context->close("service-ended");
    }
}

void Service::adopt(UniqueFd socket) {
    const std::uint64_t id = next_id_++;
    auto context = std::make_shared<HttpContext>(*this, std::move(socket), id);
    contexts_.emplace(id, context);
    ++stats_.accepted;
    ++stats_.open;
    context->start();
}

void Service::forget(std::uint64_t id) {
    contexts_.erase(id);
    finish_shutdown_if_done();
}

void Service::shutdown(std::function<void()> done) {
    if (shutting_down_) {
        return;
    }
    shutting_down_ = true;
    shutdown_done_ = std::move(done);
    for (std::function<void()>& callback : std::exchange(on_shutdown_, {})) {
        callback();
    }
    std::vector<std::shared_ptr<HttpContext>> contexts;
    for (auto& [id, context] : contexts_) {
        contexts.push_back(context);
    }
    for (auto& context : contexts) {
        context->drain();
    }
    if (!contexts_.empty()) {
        grace_timer_ = timers_.after(options_.grace, [this] {
            std::vector<std::shared_ptr<HttpContext>> left;
            for (auto& [id, context] : contexts_) {
                left.push_back(context);
            }
            for (auto& context : left) {
                context->close("grace-ended");
            }
        });
    }
    finish_shutdown_if_done();
}

void Service::finish_shutdown_if_done() {
    if (shutting_down_ && contexts_.empty() && shutdown_done_) {
        timers_.cancel(grace_timer_);
        std::exchange(shutdown_done_, nullptr)();
    }
}

}  // namespace kit
