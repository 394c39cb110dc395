// Agenda: the simulator's virtual time line. Actions run in order of their time; actions due at
// the same millisecond run in the order they were scheduled, so a run is a pure function of its
// seed. Nothing here reads a clock: time is whatever the earliest pending action says.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

namespace casesync::sim {

class Agenda {
 public:
  using Action = std::function<void()>;

  void at(std::uint64_t when_ms, Action action) {
    items_.push_back({when_ms, serial_++, std::move(action)});
    std::push_heap(items_.begin(), items_.end(), Later{});
  }
  bool empty() const { return items_.empty(); }
  // REQUIRES: !empty().
  std::uint64_t next_ms() const { return items_.front().at_ms; }
  // Removes the earliest action and returns it with its time. REQUIRES: !empty().
  Action pop(std::uint64_t* when_ms) {
    std::pop_heap(items_.begin(), items_.end(), Later{});
    Item item = std::move(items_.back());
    items_.pop_back();
    *when_ms = item.at_ms;
    return std::move(item.action);
  }
  std::size_t size() const { return items_.size(); }

 private:
  struct Item {
    std::uint64_t at_ms;
    std::uint64_t serial;
    Action action;
  };
  struct Later {
    bool operator()(const Item& a, const Item& b) const {
      return a.at_ms != b.at_ms ? a.at_ms > b.at_ms : a.serial > b.serial;
    }
  };
  std::vector<Item> items_;
  std::uint64_t serial_ = 0;
};

}  // namespace casesync::sim
