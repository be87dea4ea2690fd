// kqueue(2) on Linux, built on epoll: the kit's emulation; see sys/event.h
// for the subset and what is left out. Lesson: lessons/04-kqueue.md.
//
// How it maps:
// - A kqueue is an epoll fd, so close() ends it as it ends a real one. Its
//   knotes live here, per fd: one for EVFILT_READ, one for EVFILT_WRITE
//   (kqueue keeps the two filters apart; epoll has one registration per
//   fd, whose mask is the union of the enabled filters).
// - Every registration is edge-triggered (EPOLLET), because EV_CLEAR is
//   per filter and epoll's EPOLLET is per fd. Level-triggered knotes are
//   then done the way the Linux kernel does level-triggered epoll: a knote
//   that was reported goes on a re-check list, and the next kevent() asks
//   poll() (timeout 0) whether it is still ready. O(reported), not
//   O(watched).
// - EV_ONESHOT knotes are deleted once reported; EV_DISABLE takes the
//   filter out of the epoll mask and keeps the knote.
// - Events that do not fit in the caller's eventlist wait for the next
//   call (level ones are simply re-checked then), as the kernel's do.
// Deviations, besides those in sys/event.h: a real kqueue drops an fd's
// knotes on close() even when a dup() keeps the file open; here (epoll's
// trap) the registration outlives the close while the file lives. And a
// change to one filter of an fd re-arms the other (EPOLL_CTL_MOD reports
// current readiness again), so an EV_CLEAR knote may see one extra event.
#include <sys/event.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

struct Knote {
    bool present = false;
    bool enabled = false;
    uint16_t mode = 0;  // EV_ONESHOT and EV_CLEAR, as given
    void* udata = nullptr;
};

struct FdKnotes {
    Knote read;
    Knote write;
    bool in_epoll = false;  // whether the epoll set has a registration for the fd
};

// One ready knote, before it becomes a struct kevent.
struct Found {
    int fd;
    int16_t filter;
    bool eof;
};

class Queue {
public:
    explicit Queue(int epoll_fd) : epoll_fd_(epoll_fd) {}

    // Applies one change: 0, or the errno kqueue(2) gives for it.
    int apply(const struct kevent& change) {
        if (change.filter != EVFILT_READ && change.filter != EVFILT_WRITE) {
            return EINVAL;
        }
        if (change.ident > static_cast<uintptr_t>(INT_MAX)) {
            return EBADF;
        }
        int fd = static_cast<int>(change.ident);
        if (::fcntl(fd, F_GETFD) < 0) {
            fds_.erase(fd);  // closed: a real kqueue has dropped its knotes
            return EBADF;
        }
        FdKnotes& knotes = fds_[fd];
        Knote& knote = change.filter == EVFILT_READ ? knotes.read : knotes.write;
        const Knote before = knote;
        if ((change.flags & EV_DELETE) != 0) {
            if (!knote.present) {
                return ENOENT;
            }
            knote = {};
        } else if ((change.flags & EV_ADD) != 0) {
            // Adding an existing knote changes it; adding enables, unless EV_DISABLE.
            knote = {.present = true,
                     .enabled = (change.flags & EV_DISABLE) == 0,
                     .mode = static_cast<uint16_t>(change.flags & (EV_ONESHOT | EV_CLEAR)),
                     .udata = change.udata};
        } else {
            if (!knote.present) {
                return ENOENT;
            }
            if ((change.flags & EV_ENABLE) != 0) {
                knote.enabled = true;
            }
            if ((change.flags & EV_DISABLE) != 0) {
                knote.enabled = false;
            }
        }
        if (int error = sync(fd, knotes)) {
            knote = before;
            return error;
        }
        forget_if_empty(fd);
        return 0;
    }

    // Waits up to timeout_ms (-1: forever) and stores up to capacity events.
    int collect(struct kevent* out, int capacity, int timeout_ms) {
        using Clock = std::chrono::steady_clock;
        const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
        for (;;) {
            found_.clear();
            where_.clear();
            take_backlog();
            recheck_level_knotes();
            int wait_ms = timeout_ms;
            if (!found_.empty()) {
                wait_ms = 0;  // something is ready: only look, do not wait
            } else if (timeout_ms > 0) {
                auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
                wait_ms = static_cast<int>(std::max<std::chrono::milliseconds::rep>(
                    0, std::min<std::chrono::milliseconds::rep>(left.count(), INT_MAX)));
            }
            epoll_events_.resize(static_cast<std::size_t>(std::max(capacity, 1)));
            int count = ::epoll_wait(epoll_fd_, epoll_events_.data(),
                                     static_cast<int>(epoll_events_.size()), wait_ms);
            if (count < 0 && found_.empty()) {
                return -1;  // errno is set: EINTR, EBADF, ...
            }
            for (int i = 0; i < count; ++i) {
                add_epoll_event(epoll_events_[static_cast<std::size_t>(i)]);
            }
            if (!found_.empty()) {
                return deliver(out, capacity);
            }
            if (count <= 0 || (timeout_ms >= 0 && Clock::now() >= deadline)) {
                return 0;  // timed out (or only disabled knotes stirred)
            }
        }
    }

private:
    Knote* knote_of(int fd, int16_t filter) {
        auto it = fds_.find(fd);
        if (it == fds_.end()) {
            return nullptr;
        }
        Knote& knote = filter == EVFILT_READ ? it->second.read : it->second.write;
        return knote.present ? &knote : nullptr;
    }

    // Makes the epoll registration of fd match its enabled knotes.
    int sync(int fd, FdKnotes& knotes) {
        uint32_t mask = (knotes.read.present && knotes.read.enabled ? EPOLLIN | EPOLLRDHUP : 0U) |
                        (knotes.write.present && knotes.write.enabled ? EPOLLOUT : 0U);
        if (mask == 0) {
            if (knotes.in_epoll) {
                ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);  // may be closed: fine
                knotes.in_epoll = false;
            }
            return 0;
        }
        epoll_event event{.events = mask | EPOLLET, .data = {.fd = fd}};
        if (knotes.in_epoll) {
            if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event) == 0) {
                return 0;
            }
            if (errno != ENOENT) {  // ENOENT: closed and reopened meanwhile; add anew
                return errno;
            }
        }
        if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) == 0 ||
            (errno == EEXIST && ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event) == 0)) {
            knotes.in_epoll = true;
            return 0;
        }
        return errno;
    }

    void forget_if_empty(int fd) {
        auto it = fds_.find(fd);
        if (it != fds_.end() && !it->second.read.present && !it->second.write.present) {
            fds_.erase(it);
        }
    }

    void add_found(int fd, int16_t filter, bool eof) {
        Knote* knote = knote_of(fd, filter);
        if (knote == nullptr || !knote->enabled) {
            return;
        }
        uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(fd)) << 1U) |
                       (filter == EVFILT_READ ? 0U : 1U);
        auto [it, added] = where_.try_emplace(key, found_.size());
        if (added) {
            found_.push_back({fd, filter, eof});
        } else {
            found_[it->second].eof |= eof;
        }
    }

    void take_backlog() {
        std::vector<Found> backlog = std::exchange(backlog_, {});
        for (const Found& f : backlog) {
            add_found(f.fd, f.filter, f.eof);
        }
    }

    // Level-triggered knotes reported before: still ready? One poll(), timeout 0.
    void recheck_level_knotes() {
        std::vector<std::pair<int, int16_t>> level = std::exchange(recheck_, {});
        polls_.clear();
        for (auto [fd, filter] : level) {
            Knote* knote = knote_of(fd, filter);
            if (knote != nullptr && knote->enabled && (knote->mode & EV_CLEAR) == 0) {
                polls_.push_back({.fd = fd,
                                  .events = static_cast<short>(
                                      filter == EVFILT_READ ? POLLIN | POLLRDHUP : POLLOUT),
                                  .revents = 0});
            }
        }
        if (polls_.empty() || ::poll(polls_.data(), polls_.size(), 0) <= 0) {
            return;
        }
        for (const pollfd& p : polls_) {
            if ((p.revents & POLLNVAL) != 0) {
                fds_.erase(p.fd);  // closed: a real kqueue has dropped its knotes
                continue;
            }
            bool eof = (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
            if (p.revents != 0) {
                add_found(p.fd, (p.events & POLLOUT) != 0 ? EVFILT_WRITE : EVFILT_READ, eof);
            }
        }
    }

    void add_epoll_event(const epoll_event& event) {
        uint32_t e = event.events;
        bool broken = (e & (EPOLLHUP | EPOLLERR)) != 0;
        if ((e & (EPOLLIN | EPOLLRDHUP)) != 0 || broken) {
            add_found(event.data.fd, EVFILT_READ, broken || (e & EPOLLRDHUP) != 0);
        }
        if ((e & EPOLLOUT) != 0 || broken) {
            add_found(event.data.fd, EVFILT_WRITE, broken);
        }
    }

    int deliver(struct kevent* out, int capacity) {
        int stored = 0;
        for (const Found& f : found_) {
            Knote* knote = knote_of(f.fd, f.filter);
            if (knote == nullptr) {
                continue;  // a oneshot knote deleted by an earlier entry
            }
            bool level = (knote->mode & (EV_CLEAR | EV_ONESHOT)) == 0;
            if (stored == capacity) {  // no room: the next call gets it
                if (level) {
                    recheck_.emplace_back(f.fd, f.filter);
                } else {
                    backlog_.push_back(f);
                }
                continue;
            }
            int available = 0;
            if (f.filter == EVFILT_READ && ::ioctl(f.fd, FIONREAD, &available) != 0) {
                available = 0;  // e.g. a listening socket
            }
            EV_SET(&out[stored], static_cast<uintptr_t>(f.fd), f.filter,
                   static_cast<uint16_t>(knote->mode | (f.eof ? EV_EOF : 0)), 0, available,
                   knote->udata);
            ++stored;
            if ((knote->mode & EV_ONESHOT) != 0) {
                *knote = {};
                auto it = fds_.find(f.fd);
                sync(f.fd, it->second);
                forget_if_empty(f.fd);
            } else if (level) {
                recheck_.emplace_back(f.fd, f.filter);
            }
        }
        return stored;
    }

    int epoll_fd_;
    std::unordered_map<int, FdKnotes> fds_;
    std::vector<std::pair<int, int16_t>> recheck_;  // level knotes reported last time
    std::vector<Found> backlog_;                    // edge/oneshot events that did not fit
    // Scratch space, kept to save allocations.
    std::vector<Found> found_;
    std::unordered_map<uint64_t, std::size_t> where_;  // (fd, filter) -> index in found_
    std::vector<epoll_event> epoll_events_;
    std::vector<pollfd> polls_;
};

// Every kqueue made, by its fd. A closed kqueue's entry stays until its
// number is handed out again by kqueue(): memory only, no fd.
std::mutex registry_mutex;
std::unordered_map<int, std::shared_ptr<Queue>>& registry() {
    static std::unordered_map<int, std::shared_ptr<Queue>> queues;
    return queues;
}

std::shared_ptr<Queue> find_queue(int kq) {
    std::lock_guard lock(registry_mutex);
    auto it = registry().find(kq);
    return it == registry().end() ? nullptr : it->second;
}

}  // namespace

extern "C" int kqueue(void) {
    int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0) {
        return -1;
    }
    std::lock_guard lock(registry_mutex);
    registry()[epoll_fd] = std::make_shared<Queue>(epoll_fd);
    return epoll_fd;
}

extern "C" int kevent(int kq, const struct kevent* changelist, int nchanges,
                      struct kevent* eventlist, int nevents, const struct timespec* timeout) {
    std::shared_ptr<Queue> queue = find_queue(kq);
    if (queue == nullptr) {
        errno = EBADF;
        return -1;
    }
    if (nchanges < 0 || nevents < 0 ||
        (timeout != nullptr &&
         (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1'000'000'000))) {
        errno = EINVAL;
        return -1;
    }
    // The changelist first, in order. A failed change goes into the
    // eventlist with EV_ERROR while there is room, and then kevent()
    // returns at once, without waiting; with no room it fails with errno.
    int errors = 0;
    for (int i = 0; i < nchanges; ++i) {
        if (int error = queue->apply(changelist[i])) {
            if (errors == nevents) {
                errno = error;
                return -1;
            }
            eventlist[errors] = changelist[i];
            eventlist[errors].flags = EV_ERROR;
            eventlist[errors].data = error;
            ++errors;
        }
    }
    if (errors > 0) {
        return errors;
    }
    if (nevents == 0) {
        return 0;
    }
    int timeout_ms = -1;  // NULL: no limit
    if (timeout != nullptr) {
        // Rounded up: a wait must never end before the time asked for.
        long long ms = static_cast<long long>(timeout->tv_sec) * 1000 +
                       (timeout->tv_nsec + 999'999) / 1'000'000;
        timeout_ms = static_cast<int>(std::min<long long>(ms, INT_MAX));
    }
    return queue->collect(eventlist, nevents, timeout_ms);
}
