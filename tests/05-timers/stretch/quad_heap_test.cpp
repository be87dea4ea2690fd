// Stage 5's stretch exercise: the 4-ary heap (quad_heap.hpp) pops its keys
// in (deadline, sequence) order, whatever order they were pushed in.
#include "quad_heap.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>
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

}  // namespace
