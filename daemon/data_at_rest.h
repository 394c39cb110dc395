// The node's database and the data key its events are sealed under (crypto/data_key.h,
// storage/sealed_events.h), opened together at start. The key lives in paths.data_key (default
// data.key beside the identity key, 0600, never in the database):
//  - present: loaded (a file readable by others is refused, like the identity key);
//  - absent, and the database holds sealed events: refused — they cannot be read without it;
//    the message says to put the key back from the key backup;
//  - absent otherwise (a new node, or one upgraded from a release that stored events plain): a
//    fresh key is written, and the events already stored are sealed under it.
#pragma once

#include <memory>

#include "config/node_config.h"
#include "crypto/data_key.h"
#include "storage/sqlite_store.h"

namespace casesync {

struct SealedStore {
  std::unique_ptr<crypto::DataKey> key;  // outlives `store`, which points at it
  std::unique_ptr<SqliteStore> store;
};

Result<SealedStore> open_sealed_store(const NodeConfig& config);

// The data key for `config`, as open_sealed_store finds or makes it, without opening the node's
// own database (`casesyncctl restore` checks a backup with it).
Result<std::unique_ptr<crypto::DataKey>> load_node_data_key(const NodeConfig& config);

}  // namespace casesync
