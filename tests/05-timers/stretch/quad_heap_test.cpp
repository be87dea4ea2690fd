// Stage 5's stretch exercise: the 4-ary heap (quad_heap.hpp) pops its keys
// in (deadline, sequence) order, whatever order they were pushed in, and
// it is a 4-ary heap: every key is no earlier than its parent (i - 1) / 4.
// (A binary heap in the same vector pops in order too; only its shape
// tells it apart.)
#include "quad_heap.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <span>
#include <vector>

namespace {

using kit::QuadHeap;
using kit::TimerKey;

TimerKey key(int ms, std::uint64_t sequence) {
    return {std::chrono::steady_clock::time_point{} + std::chrono::milliseconds(ms), sequence};
}

TEST(QuadHeap, PopsTheEarliestFirst) {
    QuadHeap heap;
    for (int ms : {50, 10, 40, 30, 20, 60}) {
        heap.push(key(ms, 0));
    }
    std::vector<int> popped;
    while (!heap.empty()) {
        popped.push_back(static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              heap.top().deadline.time_since_epoch())
                                              .count()));
        heap.pop();
    }
    EXPECT_EQ(popped, (std::vector<int>{10, 20, 30, 40, 50, 60}));
}

TEST(QuadHeap, BreaksTiesBySequence) {
    QuadHeap heap;
    for (std::uint64_t s : {3U, 1U, 4U, 0U, 2U}) {
        heap.push(key(7, s));
    }
    for (std::uint64_t s = 0; s < 5; ++s) {
        ASSERT_EQ(heap.top().sequence, s);
        heap.pop();
    }
}

TEST(QuadHeap, AgreesWithSortingOnRandomPushesAndPops) {
    QuadHeap heap;
    std::vector<TimerKey> reference;  // kept sorted, latest first
    std::mt19937 random(7);
    std::uint64_t sequence = 0;
    for (int op = 0; op < 50'000; ++op) {
        if (reference.empty() || std::uniform_int_distribution<int>(0, 2)(random) > 0) {
            TimerKey k = key(std::uniform_int_distribution<int>(0, 1000)(random), sequence++);
            heap.push(k);
            reference.insert(
                std::upper_bound(reference.begin(), reference.end(), k,
                                 [](const TimerKey& a, const TimerKey& b) { return b < a; }),
                k);
        } else {
            ASSERT_EQ(heap.top(), reference.back()) << "operation " << op;
            heap.pop();
            reference.pop_back();
        }
        ASSERT_EQ(heap.size(), reference.size());
    }
}

// The heap property with four children per node, after every push and
// pop: keys[i] is never earlier than keys[(i - 1) / 4]. Keys pushed in
// descending order make every push climb, so binary sifts (parent
// (i - 1) / 2) leave a shape that breaks it at once.
TEST(QuadHeap, IsAFourAryHeapAfterEveryOperation) {
    auto check_shape = [](const QuadHeap& heap, const char* after) {
        std::span<const TimerKey> keys = heap.keys();
        for (std::size_t i = 1; i < keys.size(); ++i) {
            ASSERT_FALSE(keys[i] < keys[(i - 1) / 4])
                << "after " << after << ": key " << i << " is earlier than its parent "
                << (i - 1) / 4 << " (the children of i are 4i+1 .. 4i+4)";
        }
    };
    QuadHeap heap;
    for (int ms = 40; ms > 0; --ms) {
        heap.push(key(ms, static_cast<std::uint64_t>(ms)));
        ASSERT_NO_FATAL_FAILURE(check_shape(heap, "a push"));
    }
    std::mt19937 random(11);
    for (std::uint64_t s = 100; s < 140; ++s) {
        heap.push(key(std::uniform_int_distribution<int>(0, 60)(random), s));
        ASSERT_NO_FATAL_FAILURE(check_shape(heap, "a push"));
    }
    while (!heap.empty()) {
        heap.pop();
        ASSERT_NO_FATAL_FAILURE(check_shape(heap, "a pop"));
    }
}

}  // namespace
