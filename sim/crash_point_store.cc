#include "sim/crash_point_store.h"

namespace casesync::sim {

Status CrashPointStore::commit() {
  if (crash_in_commits_ != 0 && --crash_in_commits_ == 0) {
    memory_->crash();
    throw NodeCrashed{};
  }
  return memory_->commit();
}

}  // namespace casesync::sim
