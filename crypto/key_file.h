// Key files and other secret files: created durably with a given mode, and read back — a secret
// only from a file its owner alone may read. Shared by the node's identity (crypto.h), its data
// key (data_key.h) and the clerks' token hashes (daemon/clerk_book.h), so all refuse the same
// loose modes with the same words.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"

namespace casesync::crypto::key_file {

// Whether an existing file may be replaced: never for a secret (it is a node's identity or the
// key its data is sealed under), always for a public key file (it only restates the secret).
enum class Existing { kRefuse, kReplace };

// Writes `bytes` to `path` (created with `mode`) durably, then syncs its directory. A
// half-written file is removed so it cannot block the next attempt or be mistaken for a key.
Status create(const std::string& path, std::string_view bytes, mode_t mode, Existing existing);

// Replaces `path` atomically and durably with `bytes` (a temporary file of `mode`, synced, then
// renamed over it, then the directory synced): a crash leaves the old file or the new one.
Status replace(const std::string& path, std::string_view bytes, mode_t mode);

// kYes: readable by its owner only (a key). kShared: by its owner and group, never others (the
// admin token: root writes it, the daemon's group reads it). kNo: anything (a public key).
enum class Secret { kYes, kShared, kNo };

// Reads the whole file into `buf` (the file must be shorter than `buf`) and drops a trailing
// newline; `*size` is what remains. A secret must be a regular file of the mode `secret` says
// (kPermission naming the path, its mode and the chmod that fixes it). `missing_hint` ends the
// kNotFound message ("; create one with ...").
Status read_line(const std::string& path, Secret secret, const char* missing_hint,
                 std::span<char> buf, std::size_t* size);

}  // namespace casesync::crypto::key_file
