// The node's files are readable by the node alone, whoever starts it: the database holds ID
// numbers (身份证号) and every signed event. main() sets umask(077), so whatever the daemon or
// SQLite creates (database, WAL, SHM, roster copy, markers, backups) is 0600 and every folder
// 0700 even outside systemd (whose unit sets UMask=0077 too); these two put right what an older
// release, an installer or a test bed left looser.
#pragma once

#include <string>

#include "common/status.h"

namespace casesync {

// The folder `path` (and any missing parent) exists and is 0700. A folder already there with
// looser modes is tightened (and logged). Fails when `path` is not a folder or cannot be made.
Status make_private_dir(const std::string& path, const std::string& what);

// Every regular file directly in `dir` that group or others may read or write becomes 0600
// (logged). Symbolic links are left alone.
void tighten_private_files(const std::string& dir);

// Writes `text` to `path` (0600) so that a crash leaves the old file or the new one, never half of
// one: a temporary file, fsync, rename, fsync of the directory.
Status write_private_file(const std::string& path, const std::string& text);

}  // namespace casesync
