// The backends of stage 3; see stage3_backends.hpp.
#include "stage3_backends.hpp"

#include "edge_reads.hpp"
#include "epoll_backend.hpp"

namespace kit {

std::vector<BackendMaker> stage3_backends() {
    std::vector<BackendMaker> makers = stage2_backends();
    makers.push_back({"epoll", [](std::error_code& error) {
                          return make_epoll_backend(Trigger::level, error);
                      }});
    makers.push_back({"epoll-et", [](std::error_code& error) {
                          return make_epoll_backend(Trigger::edge, error);
                      }});
    return makers;
}

Reads reads_for_backend(std::string_view name) {
    return name == "epoll-et" ? Reads(drain_until_eagain) : Reads{};
}

}  // namespace kit
