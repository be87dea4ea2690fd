// Responder: a handle that forwards to its context; see responder.hpp.
#include "responder.hpp"

#include "http_context.hpp"

#include <utility>

namespace kit {

Responder::Responder(std::shared_ptr<HttpContext> context, std::uint64_t request)
    : context_(std::move(context)), request_(request) {}

void Responder::respond(const Response& response) const {
    context_->respond(request_, response);
}

bool Responder::waiting() const {
    return context_->waiting_for(request_);
}

void Responder::on_disconnect(std::function<void()> callback) const {
    context_->on_disconnect(std::move(callback));
}

void Responder::close() const {
    if (context_->waiting_for(request_)) {
        context_->close("dropped");
    }
}

Service& Responder::service() const {
    return context_->service();
}

}  // namespace kit
