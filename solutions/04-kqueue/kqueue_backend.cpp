// The kqueue backend (compare Redis's ae_kqueue.c, libev's ev_kqueue.c,
// mio's selector/kqueue.rs): the interest lives in the kernel as knotes,
// one per (fd, filter); a change is a struct kevent in a changelist.
//
// Notes about this API, its traps:
// - Reading and writing are *separate filters*, EVFILT_READ and
//   EVFILT_WRITE, each its own knote, added and deleted on its own. So
//   modify() may need two changes (one per filter), and wait() may get two
//   events for one fd, in any order: we merge them into one ReadyFd, since
//   the Loop wants each fd once (Redis's ae_kqueue.c does the same).
// - kevent() takes changes and returns events in one call, so changes can
//   ride on the next wait instead of costing a system call each (libev
//   and libuv batch so). Not all of them may wait: a new fd's adds go in
//   at once, so that a failed one is its watch()'s error and can be
//   undone; a removal goes in at once too, since the Loop's contract lets
//   the caller close the fd right after unwatch(), and a delete of a
//   closed fd would fail (or, once its number is reused, hit another
//   file). It takes the fd's pending changes along. Only the changes of an
//   fd that stays watched wait for the next kevent() call.
// - A change that fails comes back as an *event* with EV_ERROR, when the
//   eventlist has room; with no room (we pass none) kevent() fails with
//   errno instead. Either way it is easy to miss: check both.
// - EV_EOF depends on the filter: on EVFILT_READ the peer shut its write
//   side (Linux's EPOLLRDHUP; data may still hold bytes to read, and the
//   socket may still be writable); on EVFILT_WRITE the reader has gone (a
//   refused connect() shows up so; SO_ERROR says why). We report it as
//   readable and writable, as poll's backend does POLLHUP; the Loop keeps
//   what the watch asked for, and the read or write that follows finds out.
// - close() removes an fd's knotes (on a real kqueue, even when a dup()
//   keeps the file open; not so on the Linux emulation, which is built on
//   epoll). Deleting afterwards fails with EBADF or ENOENT: done, as the
//   Backend contract wants.
// - The timeout is a struct timespec; NULL waits forever. A signal makes
//   kevent() fail with EINTR; the Loop takes it as "nothing is ready".
#include "kqueue_backend.hpp"

#include "kit/unique_fd.hpp"

#include <sys/event.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <iterator>
#include <span>
#include <utility>
#include <vector>

namespace kit {

namespace {

// A change to the knote of one filter of fd (EV_ADD or EV_DELETE).
struct kevent knote_change(int fd, short filter, unsigned short action) {
    struct kevent change {};
    EV_SET(&change, static_cast<uintptr_t>(fd), filter, action, 0, 0, nullptr);
    return change;
}

class KqueueBackend final : public Backend {
public:
    explicit KqueueBackend(UniqueFd kq) : kq_(std::move(kq)), events_(kFirstBatch) {}

    [[nodiscard]] std::string_view name() const override { return "kqueue"; }

    // Two filters, so up to two changes: a filter that is wanted now and
    // was not is added, one that was wanted and is not is deleted. When
    // they go to the kernel is the decision (see the notes above).
    [[nodiscard]] std::error_code modify(int fd, IoEvents old_interest,
                                         IoEvents new_interest) override {
        std::vector<struct kevent> changes;
        add_changes(fd, EVFILT_READ, old_interest.readable, new_interest.readable, changes);
        add_changes(fd, EVFILT_WRITE, old_interest.writable, new_interest.writable, changes);
        if (old_interest.any() && new_interest.any()) {
            // Watched before and after: nobody waits for an answer.
            pending_.insert(pending_.end(), changes.begin(), changes.end());
            return {};
        }
        if (!new_interest.any()) {
            // A removal: now, after what is pending for the fd, in order,
            // one change a call (a failed change stops a call's others).
            std::vector<struct kevent> now = take_pending(fd);
            now.insert(now.end(), changes.begin(), changes.end());
            for (const struct kevent& change : now) {
                apply(change);  // removing never fails: a failure is a done delete
            }
            return {};
        }
        // A new fd: its adds now, one by one, so an error is this watch()'s.
        for (std::size_t i = 0; i < changes.size(); ++i) {
            if (apply(changes[i]) != 0) {
                std::error_code error{errno, std::system_category()};
                undo(std::span(changes.data(), i));  // the interest must be unchanged
                return error;
            }
        }
        return {};
    }

    [[nodiscard]] std::error_code wait(std::optional<std::chrono::milliseconds> timeout,
                                       std::vector<ReadyFd>& ready) override {
        ready.clear();
        timespec limit{};
        if (timeout) {
            // Clamped as poll's and epoll's backends do (macOS refuses more
            // than 1e8 s with EINVAL); a longer sleep just turns the loop again.
            auto ms = std::clamp<std::chrono::milliseconds::rep>(timeout->count(), 0, INT_MAX);
            limit.tv_sec = static_cast<time_t>(ms / 1000);
            limit.tv_nsec = static_cast<long>(ms % 1000 * 1'000'000);
        }
        // The pending changes ride on this call; a failed one comes back
        // as an EV_ERROR event (room for each), and kevent() then returns
        // at once. EINTR too leaves them applied (kqueue(2)).
        if (events_.size() < pending_.size()) {
            events_.resize(pending_.size());
        }
        int count =
            ::kevent(kq_.get(), pending_.data(), static_cast<int>(pending_.size()), events_.data(),
                     static_cast<int>(events_.size()), timeout ? &limit : nullptr);
        pending_.clear();
        if (count < 0) {
            return {errno, std::system_category()};
        }
        std::error_code error;
        for (const struct kevent& event :
             std::span(events_.data(), static_cast<std::size_t>(count))) {
            if ((event.flags & EV_ERROR) != 0) {  // a pending change of a watched fd failed
                error = {static_cast<int>(event.data), std::system_category()};
                break;
            }
            add_ready(static_cast<int>(event.ident), translate(event), ready);
        }
        for (const ReadyFd& r : ready) {  // leave the merge map clean for next time, always
            slot_of_fd_[static_cast<std::size_t>(r.fd)] = kNoSlot;
        }
        if (error) {
            ready.clear();
            return error;
        }
        if (static_cast<std::size_t>(count) == events_.size() && events_.size() < kLastBatch) {
            events_.resize(events_.size() * 2);
        }
        return {};
    }

private:
    static constexpr std::size_t kFirstBatch = 64;
    static constexpr std::size_t kLastBatch = 4096;
    static constexpr std::size_t kNoSlot = static_cast<std::size_t>(-1);

    // The change for one filter, if its interest changes.
    static void add_changes(int fd, short filter, bool was_wanted, bool is_wanted,
                            std::vector<struct kevent>& changes) {
        if (is_wanted && !was_wanted) {
            changes.push_back(knote_change(fd, filter, EV_ADD));
        } else if (was_wanted && !is_wanted) {
            changes.push_back(knote_change(fd, filter, EV_DELETE));
        }
    }

    // What one event means to the Loop: its filter, or both on EV_EOF.
    static IoEvents translate(const struct kevent& event) {
        bool eof = (event.flags & EV_EOF) != 0;
        return {.readable = eof || event.filter == EVFILT_READ,
                .writable = eof || event.filter == EVFILT_WRITE};
    }

    // One change, applied now: 0, or -1 with errno.
    int apply(const struct kevent& change) {
        return ::kevent(kq_.get(), &change, 1, nullptr, 0, nullptr);
    }

    // Reverts adds already applied.
    void undo(std::span<const struct kevent> applied) {
        for (struct kevent change : applied) {
            change.flags = EV_DELETE;
            apply(change);
        }
    }

    // Takes fd's pending changes out of pending_, in order.
    std::vector<struct kevent> take_pending(int fd) {
        std::vector<struct kevent> taken;
        auto is_fds = [fd](const struct kevent& change) {
            return change.ident == static_cast<uintptr_t>(fd);
        };
        std::copy_if(pending_.begin(), pending_.end(), std::back_inserter(taken), is_fds);
        std::erase_if(pending_, is_fds);
        return taken;
    }

    // Merges the events of one fd's two filters into one ReadyFd.
    void add_ready(int fd, IoEvents events, std::vector<ReadyFd>& ready) {
        auto index = static_cast<std::size_t>(fd);
        if (index >= slot_of_fd_.size()) {
            slot_of_fd_.resize(index + 1, kNoSlot);
        }
        std::size_t& slot = slot_of_fd_[index];
        if (slot == kNoSlot) {
            slot = ready.size();
            ready.push_back({fd, events});
        } else {
            ready[slot].events.readable |= events.readable;
            ready[slot].events.writable |= events.writable;
        }
    }

    UniqueFd kq_;
    std::vector<struct kevent> pending_;  // changes for the next wait's kevent()
    std::vector<struct kevent> events_;   // kevent()'s answer, reused
    // fd -> its index in this wait's ready list (kNoSlot: none yet).
    std::vector<std::size_t> slot_of_fd_;
};

}  // namespace

std::unique_ptr<Backend> make_kqueue_backend(std::error_code& error) {
    UniqueFd kq(::kqueue());
    if (!kq) {
        error = {errno, std::system_category()};
        return nullptr;
    }
    return std::make_unique<KqueueBackend>(std::move(kq));
}

}  // namespace kit
