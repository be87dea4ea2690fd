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
//   and libuv batch so). Two rules limit what may wait: a watch() must
//   hear its own error (and a failed add must change nothing), and the
//   Loop's contract lets the caller close an fd right after unwatch().
//   Which changes may wait, then? That is this stage's decision (the
//   TODO in modify()).
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
        // TODO(stage 4): decide when each change reaches the kernel. There
        //   are three cases of the two interests: a new fd, a removal, and
        //   a change of an fd that stays watched. For each, may its changes
        //   wait in pending_ for the next wait's kevent() call, or must they
        //   go in now (apply(), one change a call)? Read the notes at the
        //   top: what must a watch() hear, and what may the caller do right
        //   after an unwatch()? And when a change goes in now, can a change
        //   of the same fd that is still pending be left behind it?
        //   Given: apply(), undo() and take_pending(fd). The interest must
        //   be unchanged when you return an error.
        (void)changes;
        return std::make_error_code(std::errc::function_not_supported);  // TODO(stage 4): delete
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
        // TODO(stage 4): the changes modify() left in pending_ ride on this
        //   call: pass them as the changelist, and leave pending_ empty. A
        //   change that fails comes back as an EV_ERROR event, if the
        //   eventlist has room for it (kqueue(2)): make sure it does.
        int count = ::kevent(kq_.get(), nullptr, 0, events_.data(),
                             static_cast<int>(events_.size()), timeout ? &limit : nullptr);
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
        // TODO(stage 4): build the changelist for one filter of fd.
        //   - wanted now and not before: push knote_change(fd, filter, EV_ADD);
        //   - wanted before and not now: push knote_change(fd, filter, EV_DELETE);
        //   - unchanged: push nothing.
        // Until then, a change with filter 0, which kevent() refuses (EINVAL):
        changes.push_back(knote_change(fd, 0, EV_ADD));  // TODO(stage 4): delete
    }

    // What one event means to the Loop: its filter, or both on EV_EOF.
    static IoEvents translate(const struct kevent& event) {
        // TODO(stage 4): translate one event into IoEvents.
        //   EVFILT_READ is readable, EVFILT_WRITE writable; EV_EOF in the
        //   flags (READ: the peer shut its write side; WRITE: the reader is
        //   gone) counts as readable *and* writable, as poll's POLLHUP does.
        return {};  // TODO(stage 4): delete
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
