#include "daemon/data_at_rest.h"

#include <filesystem>

#include "daemon/log.h"

namespace casesync {

namespace {

std::string database_path(const NodeConfig& config) { return config.data_dir + "/casesync.db"; }

Result<std::unique_ptr<crypto::DataKey>> create_key(const std::string& path) {
  auto key = std::make_unique<crypto::DataKey>(crypto::DataKey::generate());
  if (Status st = crypto::write_data_key(path, *key); !st.is_ok()) {
    return Status::error(st.code(),
                         st.message() +
                             "; create the data key as root with `casesyncctl keygen --data-key " +
                             path + "` and give it to the daemon's user (chown casesync " + path +
                             ")");
  }
  log_warning("created the data key " + path +
              " (0600): events at rest are sealed under it; back it up with the node key "
              "(docs/INSTALL.md, Keys)");
  return key;
}

}  // namespace

Result<std::unique_ptr<crypto::DataKey>> load_node_data_key(const NodeConfig& config) {
  auto loaded = crypto::load_data_key(config.data_key_file);
  if (!loaded.is_ok()) return loaded.status();
  return std::make_unique<crypto::DataKey>(std::move(*loaded));
}

Result<SealedStore> open_sealed_store(const NodeConfig& config) {
  SealedStore out;
  auto key = load_node_data_key(config);
  if (key.is_ok()) {
    out.key = std::move(*key);
  } else if (key.status().code() != Code::kNotFound) {
    return key.status();
  } else {
    bool sealed = false;
    if (std::filesystem::exists(database_path(config))) {
      ASSIGN_OR_RETURN(auto keyless, SqliteStore::open(database_path(config)));
      ASSIGN_OR_RETURN(sealed, keyless->holds_sealed_events());
    }
    if (sealed) {
      return Status::error(Code::kNotFound,
                           config.data_key_file + ": no such file, and the events in " +
                               database_path(config) +
                               " are sealed under it: put back this node's data key from the "
                               "key backup (docs/INSTALL.md, Keys); without it they cannot be read");
    }
    ASSIGN_OR_RETURN(out.key, create_key(config.data_key_file));
  }
  ASSIGN_OR_RETURN(out.store, SqliteStore::open(database_path(config), out.key.get()));
  return out;
}

}  // namespace casesync
