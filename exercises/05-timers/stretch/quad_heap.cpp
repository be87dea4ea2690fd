// The 4-ary heap's two sifts; see src/stages/05-timers/stretch/quad_heap.hpp.
// Stretch exercise: not part of `./kit check 5`. Run its tests with
//     ctest --test-dir build/dev -L '^stretch$' -L '^exercise$'
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

// Moves keys_[index] up while it is earlier than its parent.
void QuadHeap::sift_up(std::size_t index) {
    // TODO: as in the binary heap (timer_queue.cpp), with the parent of
    // `index` at (index - 1) / kArity.
    (void)index;
}

// Moves keys_[index] down while one of its (up to four) children is earlier.
void QuadHeap::sift_down(std::size_t index) {
    // TODO: the children of `index` are kArity * index + 1 up to
    // kArity * index + kArity (fewer at the end of the vector); move the
    // earliest of them up while it is earlier than the moving key.
    (void)index;
}

}  // namespace kit
