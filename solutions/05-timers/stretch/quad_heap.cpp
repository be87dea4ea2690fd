// The 4-ary heap's two sifts; see quad_heap.hpp.
#include "quad_heap.hpp"

#include <algorithm>

namespace kit {

void QuadHeap::push(TimerKey key) {
    keys_.push_back(key);
    sift_up(keys_.size() - 1);
}

void QuadHeap::pop() {
    keys_.front() = keys_.back();
    keys_.pop_back();
    if (!keys_.empty()) {
        sift_down(0);
    }
}

// As in the binary heap, with the parent at (index - 1) / 4.
void QuadHeap::sift_up(std::size_t index) {
    const TimerKey moving = keys_[index];
    while (index > 0) {
        const std::size_t parent = (index - 1) / kArity;
        if (!(moving < keys_[parent])) {
            break;
        }
        keys_[index] = keys_[parent];
        index = parent;
    }
    keys_[index] = moving;
}

// The earliest of up to four children takes the hole, while it is earlier
// than the moving key.
void QuadHeap::sift_down(std::size_t index) {
    const TimerKey moving = keys_[index];
    const std::size_t size = keys_.size();
    while (true) {
        const std::size_t first = kArity * index + 1;
        if (first >= size) {
            break;
        }
        const std::size_t last = std::min(first + kArity, size);
        std::size_t earliest = first;
        for (std::size_t child = first + 1; child < last; ++child) {
            if (keys_[child] < keys_[earliest]) {
                earliest = child;
            }
        }
        if (!(keys_[earliest] < moving)) {
            break;
        }
        keys_[index] = keys_[earliest];
        index = earliest;
    }
    keys_[index] = moving;
}

}  // namespace kit
