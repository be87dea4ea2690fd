// The backends of stage 4; see stage4_backends.hpp.
#include "stage4_backends.hpp"

#include "kqueue_backend.hpp"
#include "stage3_backends.hpp"

namespace kit {

std::vector<BackendMaker> stage4_backends() {
    std::vector<BackendMaker> makers = stage3_backends();
    makers.push_back({"kqueue", [](std::error_code& error) { return make_kqueue_backend(error); }});
    return makers;
}

}  // namespace kit
